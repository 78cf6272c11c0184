// The scripted scenario: the whole P0 timeline — page at once → reminders → climb → ack by link →
// resolution once — by email and a generic webhook, with a restart in the middle, driven by synthetic AlertEvents
// through the engine's loop (its tick and delivery run on the fake clock).

import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { alertsFile } from '../../src/config/schema.js';
import { confirmAckLink, inspectAckLink } from '../../src/engine/acks.js';
import type { Evaluation } from '../../src/engine/evaluator.js';
import { Engine } from '../../src/engine/loop.js';
import { DEFAULT_READING } from '../../src/locale/locale.js';
import { compileAlerting } from '../../src/rules/alerting.js';
import type { AlertEvent } from '../../src/types.js';
import {
  escalationConfig,
  firing,
  MIN,
  makeAlert,
  passUntil,
  resolved,
  silentLog,
  TempState,
} from '../support/escalation-fixtures.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';
import { startWebhookSink, type WebhookSink } from '../support/webhook-sink.js';

let smtp: SmtpSink;
let hook: WebhookSink;
beforeAll(async () => {
  smtp = await startSmtpSink({ auth: { user: 'centinela', pass: 'smtp-pass' } });
  hook = await startWebhookSink();
});
afterAll(async () => {
  await smtp.close();
  await hook.close();
});

it('pages at once, reminds, climbs, is acknowledged by link, and resolves once — across a restart', async () => {
  const T0 = Date.UTC(2026, 0, 1, 3, 0);
  const clock = new FakeClock(T0);
  const state = new TempState();
  const cfg = escalationConfig({
    smtpPort: smtp.port,
    caFile: smtp.cert.certFile,
    webhookUrl: hook.url,
    raw: {
      levels: { P0: { contacts: ['cto', 'oncall'], escalate_to: 'P1' }, P1: { escalate_to: 'none' } },
      contacts: {
        cto: { channels: ['mail'] },
        lead: { channels: ['mail'], phone: '+593 99 000 0001' },
        oncall: { name: 'On-call bot', channels: ['hook'] },
      },
      channels: {
        mail: { smtp: { user: 'centinela', password: 'smtp-pass' } },
        hook: { signing_secret: 'hook-key' },
      },
    },
  });
  const linkSecret = cfg.ack.link_secret;
  let engine!: Engine;
  const boot = () => {
    engine = new Engine({
      store: state.all,
      clock,
      log: silentLog,
      alerting: compileAlerting(alertsFile.parse({}), DEFAULT_READING).alerting,
      paging: { escalation: cfg, publicUrl: 'https://centinela.grupogad.gob.ec' },
    });
    engine.start();
  };
  const shutdown = async () => {
    await engine.stop(1000);
    engine.close();
  };
  /** The scripted events, as the rules would hand them to the loop. */
  const happen = async (event: AlertEvent) => {
    const scripted: Evaluation = { now: clock.now(), events: [event], retry: [], commit: () => {} };
    engine.apply(scripted);
    await engine.delivery.idle();
  };
  const until = (t: number) => passUntil(engine, clock, t);
  const mails = () => smtp.received.map((m) => `${m.to[0]?.split('@')[0]} ${m.mail.subject}`);
  const hooks = () =>
    hook.requests.map((r) =>
      JSON.parse(r.body)
        .notifications.map((n: { event: string }) => n.event)
        .join(),
    );

  boot();
  const alert = makeAlert({ activeSince: T0 });
  try {
    // 03:00 the API goes down: the CTO (email) and the on-call bot (webhook) at once.
    await happen(firing(alert, T0));
    expect(mails()).toEqual(['cto [P0] API down — grupo_gad_api']);
    expect(hooks()).toEqual(['firing']);
    const firstHook = hook.requests[0];
    expect(firstHook?.headers['x-centinela-signature']).toBe(
      `sha256=${createHmac('sha256', 'hook-key')
        .update(firstHook?.body ?? '')
        .digest('hex')}`,
    );

    // 03:05, 03:10: reminders to both.
    await until(T0 + 12 * MIN);
    expect(mails().slice(1)).toEqual([
      'cto [P0] Not acknowledged for 5 min: API down — grupo_gad_api',
      'cto [P0] Not acknowledged for 10 min: API down — grupo_gad_api',
    ]);
    expect(hooks()).toEqual(['firing', 'reminder', 'reminder']);

    // 03:12 centinela restarts (the store is closed and reopened; a new engine).
    await shutdown();
    state.reopen();
    boot();
    await happen(firing(alert, clock.now())); // the rules replay what still fires
    expect(smtp.received).toHaveLength(3);
    expect(hook.requests).toHaveLength(3);

    // 03:15 nobody acknowledged within 15m: the tech lead is added; the CTO and bot are reminded.
    await until(T0 + 16 * MIN);
    expect(mails().slice(3).sort()).toEqual([
      'cto [P0] Not acknowledged for 15 min: API down — grupo_gad_api',
      'tech.lead [P0] Escalated to P1, not acknowledged: API down — grupo_gad_api',
    ]);
    expect(hooks()).toEqual(['firing', 'reminder', 'reminder', 'reminder']);

    // 03:17 the CTO opens the link in the latest email: the page shows, nothing is acknowledged yet...
    await until(T0 + 17 * MIN);
    const latest = smtp.received.filter((m) => m.to[0] === 'cto@grupogad.gob.ec').at(-1);
    const link = /Acknowledge: (https:\/\/\S+)/.exec(latest?.mail.text ?? '')?.[1] ?? '';
    const token = link.replace('https://centinela.grupogad.gob.ec/ack/', '');
    const deps = { escalator: engine.escalator, store: state.store, linkSecret, reading: DEFAULT_READING };
    expect(inspectAckLink(token, deps, clock.now())).toMatchObject({ ok: true, contact: 'cto' });
    expect(state.store.openIncident(alert.id)?.ack).toBeUndefined();
    // ...and presses the button.
    const accepted = confirmAckLink(token, 'restarting the api container', deps, clock.now());
    expect(accepted).toMatchObject({
      ok: true,
      ack: { who: 'cto', via: 'link' },
    });
    if (accepted.ok) engine.acknowledged(accepted);
    await engine.delivery.idle();
    expect(mails().at(-1)).toBe('tech.lead [P0] Acknowledged by cto: API down — grupo_gad_api');
    // Whoever is paged sees who else was, with a phone number to call.
    expect(latest?.mail.text).toContain('Also paged: oncall, lead (+593 99 000 0001)');
    expect(hooks().at(-1)).toBe('acknowledged');

    // Quiet until it resolves at 03:42: no more reminders, no climb.
    const sentAtAck = [smtp.received.length, hook.requests.length];
    await until(T0 + 42 * MIN);
    expect([smtp.received.length, hook.requests.length]).toEqual(sentAtAck);
    await happen(resolved(alert, clock.now()));
    // Replayed after another restart: still once.
    await shutdown();
    state.reopen();
    boot();
    await happen(resolved(alert, clock.now()));
    expect(
      mails()
        .filter((m) => m.includes('RESOLVED'))
        .sort(),
    ).toEqual([
      'cto [RESOLVED] API down — grupo_gad_api (lasted 42 min)',
      'tech.lead [RESOLVED] API down — grupo_gad_api (lasted 42 min)',
    ]);
    expect(hooks().filter((h) => h === 'resolved')).toHaveLength(1);
    const resolution = smtp.received.find(
      (m) => m.to[0] === 'cto@grupogad.gob.ec' && m.mail.subject?.startsWith('[RESOLVED]'),
    );
    expect(resolution?.mail.text).toContain(
      'Acknowledged: by cto at 2026-01-01 03:17:00 (UTC+00:00): restarting the api container',
    );
    const lastHook = JSON.parse(hook.requests.at(-1)?.body ?? '{}').notifications[0];
    expect(lastHook.incident).toMatchObject({ acknowledged: { by: 'cto' }, durationMs: 42 * MIN });

    // The link cannot be replayed now.
    expect(
      confirmAckLink(
        token,
        undefined,
        { escalator: engine.escalator, store: state.store, linkSecret, reading: DEFAULT_READING },
        clock.now(),
      ),
    ).toMatchObject({
      code: 'NOT_FIRING',
    });
    // Every outbox row was delivered exactly once; nothing is left.
    expect(state.store.outboxCounts()).toMatchObject({ pending: 0, sending: 0, failed: 0 });
    expect(smtp.received.every((m) => m.secure && m.user === 'centinela')).toBe(true);
  } finally {
    await shutdown();
    state.remove();
  }
});
