// Per-rule routing: a rule's `also_page` adds the security contact to whatever its priority pages. The rule is
// compiled from alerts.yaml keys, fed probe runs through the engine's loop on the fake clock, and the pages go out
// through real SMTP: the first page, the reminders and the all-clear reach the security contact beside the tech lead.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { alertsFile } from '../../src/config/schema.js';
import { Engine } from '../../src/engine/loop.js';
import { DEFAULT_READING } from '../../src/locale/locale.js';
import { compileAlerting } from '../../src/rules/alerting.js';
import { escalationConfig, MIN, passUntil, silentLog, TempState } from '../support/escalation-fixtures.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';

let smtp: SmtpSink;
beforeAll(async () => {
  smtp = await startSmtpSink();
});
afterAll(async () => {
  await smtp.close();
});

it('pages the rule’s also_page contacts with the level’s, reminds them and tells them it is over', async () => {
  const T0 = Date.UTC(2026, 0, 1, 3, 0);
  const clock = new FakeClock(T0);
  const state = new TempState();
  const escalation = escalationConfig({
    smtpPort: smtp.port,
    caFile: smtp.cert.certFile,
    raw: {
      contacts: {
        lead: { channels: ['mail'] },
        security: { name: 'Security', email: 'security@grupogad.gob.ec', channels: ['mail'] },
      },
    },
  });
  const alerts = alertsFile.parse({
    probes: [{ name: 'caddy_access', kind: 'caddy_access_log', container: 'grupo_gad_caddy', every: '1m' }],
    rules: [
      {
        name: 'AuthFailureSurge',
        sample: 'caddy_access.auth_failures_per_minute',
        op: '>',
        thresholds: { P1: 60 },
        after_failures: 2,
        summary: '{{ value }} answers 401/403 per minute',
        also_page: ['security'],
      },
    ],
  });
  const engine = new Engine({
    store: state.all,
    clock,
    log: silentLog,
    alerting: compileAlerting(alerts, DEFAULT_READING).alerting,
    paging: { escalation, publicUrl: 'https://centinela.grupogad.gob.ec' },
  });
  engine.start();
  const run = async (value: number) => {
    engine.evaluate([
      {
        probe: 'caddy_access',
        up: true,
        samples: [{ name: 'caddy_access.auth_failures_per_minute', labels: {}, value }],
        at: clock.now(),
      },
    ]);
    await engine.delivery.idle();
  };
  const mails = () => smtp.received.map((m) => `${m.to.join()} ${m.mail.subject}`).sort();
  try {
    await run(130);
    expect(smtp.received).toEqual([]); // one run over: not yet (after_failures 2)
    await clock.advance(MIN);
    await run(140);
    expect(mails()).toEqual([
      'security@grupogad.gob.ec [P1] 140 answers 401/403 per minute',
      'tech.lead@grupogad.gob.ec [P1] 140 answers 401/403 per minute',
    ]);
    // The level's reminder (P1: every 15 minutes) reaches both.
    smtp.received.length = 0;
    await passUntil(engine, clock, T0 + 17 * MIN);
    expect(mails()).toEqual([
      'security@grupogad.gob.ec [P1] Not acknowledged for 15 min: 140 answers 401/403 per minute',
      'tech.lead@grupogad.gob.ec [P1] Not acknowledged for 15 min: 140 answers 401/403 per minute',
    ]);
    smtp.received.length = 0;
    await run(0);
    expect(mails().map((m) => m.split(' ')[0])).toEqual(['security@grupogad.gob.ec', 'tech.lead@grupogad.gob.ec']);
    expect(mails().every((m) => /RESOLVED|resolved/i.test(m))).toBe(true);
  } finally {
    await engine.stop(1000);
    engine.close();
    state.remove();
  }
});
