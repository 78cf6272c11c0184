// DeliveryFailing for an alert whose pages reached nobody: the outbox worker on the fake clock against a real SMTP
// server and two webhook receivers (the broken `hook` and a working `push`). Once every page of an alert has failed
// for fallback_after (or all gave up), the P2 level's contacts hear it once, at the alert's priority, over a channel
// none of its pages failed on; another level's contact when DevOps has none; an error in the log when nobody has one.
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboxWorker } from '../../src/engine/delivery.js';
import { Escalator } from '../../src/engine/escalator.js';
import { DEFAULT_READING } from '../../src/locale/locale.js';
import { deliveryWorld, firing, MIN, makeAlert, silentLog } from '../support/escalation-fixtures.js';
import { startWebhookSink, type WebhookSink } from '../support/webhook-sink.js';

const w = deliveryWorld();
let push: WebhookSink;

beforeAll(async () => {
  push = await startWebhookSink();
});
afterAll(async () => {
  await push.close();
});

/**
 * The CTO paged at P0 on mail and hook at once; DevOps (P2) on `devops` (default: hook, then push); `raw` over that.
 * Runs the worker as the daemon's timer would, until `until` of fake time has passed. Pages read as `reading` says.
 */
function setup(raw: Record<string, unknown> = {}, log = silentLog, reading = DEFAULT_READING) {
  push.requests.length = 0;
  const cfg = w.config({
    levels: { P0: { channels: 'all' } },
    channels: { push: { kind: 'webhook', format: 'generic', url: push.url, timeout: '5s' } },
    contacts: { cto: { channels: ['mail', 'hook'] }, devops: { channels: ['hook', 'push'] } },
    ...raw,
  });
  const escalation = new Escalator(w.state.all, cfg);
  const worker = new OutboxWorker({
    store: w.state.store,
    config: cfg,
    clock: w.clock,
    log,
    random: () => 0.5,
    reading,
  });
  const run = async (until: number) => {
    const end = w.clock.now() + until;
    for (;;) {
      await worker.runOnce();
      const due = w.state.store.nextAttemptAt();
      if (due === undefined || due > end) break;
      await w.clock.advanceTo(Math.max(due, w.clock.now()));
    }
    await w.clock.advanceTo(end);
  };
  return { escalation, run };
}

/** What the push receiver got, as `[priority] summary` per notification. */
const pushed = () =>
  push.requests.flatMap((r) =>
    (
      JSON.parse(r.body) as { notifications: { event: string; alert: { summary: string; priority: string } }[] }
    ).notifications.map((n) => `${n.event} [${n.alert.priority}] ${n.alert.summary}`),
  );
const unreached = () => w.state.store.outboxRows().filter((r) => r.key.startsWith('delivery-failing:unreached:'));

describe('DeliveryFailing when a page reached nobody', () => {
  it('tells DevOps once, at P0, over a channel the pages did not fail on, when every channel failed for fallback_after', async () => {
    w.smtp.refuse(1000);
    w.hook.otherwise({ status: 503, body: 'down for maintenance' });
    const { escalation, run } = setup();
    const alert = makeAlert();
    const t0 = w.clock.now();
    escalation.handle([firing(alert, t0)], t0);
    await run(5 * MIN - 1);
    expect(unreached()).toEqual([]);
    await run(1);
    // At fallback_after: mail and hook both failed to the CTO, so DevOps hears it over push, not hook.
    expect(unreached().map((r) => [r.contact, r.channelIndex, r.state])).toEqual([['devops', 1, 'delivered']]);
    // In the same message, the older reason: the hook failing (DevOps' first channel that is not the hook is push).
    expect(pushed()).toEqual([
      'delivery-failing [P2] Notifications to cto over channel "hook" are failing',
      'delivery-failing [P0] Nobody was reached about ApiDown (P0): every page failed for 5 min',
    ]);
    const body = JSON.parse(push.requests[0]?.body ?? '{}').notifications[1];
    expect(body.alert.description).toBe('API down. Its pages to cto failed on mail, hook.');
    expect(body.alert.diagnosis.map((d: { detail: string }) => d.detail)).toEqual([
      expect.stringMatching(/^cto over mail: email to cto via 127\.0\.0\.1:\d+: SMTP 451 Try again later$/),
      expect.stringMatching(
        /^cto over hook: webhook \(generic\) to http:\/\/127\.0\.0\.1:\d+: HTTP 503 down for maintenance$/,
      ),
    ]);
    // Raised once: an hour more of failures and reminders adds none.
    await run(60 * MIN);
    expect(unreached()).toHaveLength(1);
    expect(pushed().filter((p) => p.includes('Nobody was reached'))).toHaveLength(1);
  });

  it('speaks the language of centinela.yaml: Spanish pages say in Spanish that nobody was reached', async () => {
    w.smtp.refuse(1000);
    w.hook.otherwise({ status: 503, body: 'down for maintenance' });
    const { escalation, run } = setup({}, silentLog, { locale: 'es', timezone: 'America/Guayaquil' });
    const t0 = w.clock.now();
    escalation.handle([firing(makeAlert({ id: 'es-1' }), t0)], t0);
    await run(5 * MIN);
    expect(pushed()).toEqual([
      'delivery-failing [P2] Las notificaciones a cto por el canal "hook" están fallando',
      'delivery-failing [P0] No se avisó a nadie de ApiDown (P0): todos los avisos fallaron durante 5 min',
    ]);
    const [failing, unreachedPage] = JSON.parse(push.requests[0]?.body ?? '{}').notifications;
    expect(failing.alert.runbook).toEqual([
      'Ejecutar: centinela notify-test --contact cto --channel hook',
      'Corregir el canal en escalation.yaml o el servicio que lo recibe (contraseña, URL, token, cuota)',
      // The count agrees: "1 notificación en espera; pasa", "3 notificaciones en espera; pasan".
      expect.stringMatching(
        /^(1 notificación en espera; pasa|([02-9]|\d\d+) notificaciones en espera; pasan) al siguiente canal del contacto cuando lo hay$/,
      ),
    ]);
    expect(unreachedPage.alert.description).toBe('API down. Sus avisos a cto fallaron en mail, hook.');
    expect(unreachedPage.alert.runbook[0]).toBe(
      'Atender ApiDown usted mismo: nadie de los avisados se ha enterado (GET /api/v1/alerts/es-1)',
    );
    expect(unreachedPage.alert.diagnosis[0].detail).toMatch(/^cto por mail: email to cto via /);
  });

  it('says nothing of the kind while one channel has the page', async () => {
    w.smtp.refuse(1000);
    const { escalation, run } = setup();
    escalation.handle([firing(makeAlert(), w.clock.now())], w.clock.now());
    await run(20 * MIN);
    expect(w.hook.requests.length).toBeGreaterThan(0);
    expect(unreached()).toEqual([]);
  });

  it('tells at once when every page gave up (final failures), without waiting for fallback_after', async () => {
    w.smtp.refuse(1000, 550);
    w.hook.otherwise({ status: 404, body: 'no such hook' });
    const { escalation, run } = setup();
    escalation.handle([firing(makeAlert(), w.clock.now())], w.clock.now());
    await run(0);
    expect(
      w.state.store
        .outboxRows()
        .filter((r) => r.kind === 'firing')
        .map((r) => r.state),
    ).toEqual(['failed', 'failed']);
    expect(pushed().filter((p) => p.includes('Nobody'))).toEqual([
      'delivery-failing [P0] Nobody was reached about ApiDown (P0): every page failed for good',
    ]);
  });

  it("tells another level's contact when no DevOps channel is left", async () => {
    w.smtp.refuse(1000);
    w.hook.otherwise({ status: 503 });
    const lead = setup({
      levels: { P0: { channels: 'all' }, P1: { contacts: ['lead'] } },
      contacts: { cto: { channels: ['mail', 'hook'] }, devops: { channels: ['hook'] }, lead: { channels: ['push'] } },
    });
    lead.escalation.handle([firing(makeAlert(), w.clock.now())], w.clock.now());
    await lead.run(5 * MIN);
    expect(unreached().map((r) => r.contact)).toEqual(['lead']);
    expect(pushed().filter((p) => p.includes('Nobody was reached'))).toHaveLength(1);
  });

  it('logs an error once, with no page, when nobody has a channel the pages did not fail on', async () => {
    w.smtp.refuse(1000);
    w.hook.otherwise({ status: 503 });
    const logged: { msg: string; alert?: string; contacts?: string[] }[] = [];
    const log = pino({ level: 'error' }, { write: (line: string) => logged.push(JSON.parse(line)) });
    const nobody = setup({ contacts: { cto: { channels: ['mail', 'hook'] }, devops: { channels: ['hook'] } } }, log);
    const alert = makeAlert();
    nobody.escalation.handle([firing(alert, w.clock.now())], w.clock.now());
    await nobody.run(5 * MIN);
    expect(unreached()).toEqual([]);
    const errors = logged.filter((l) => l.msg.startsWith('outbox: nobody was reached'));
    // Retried for 5 minutes, failing at every attempt: told once, not at each attempt.
    expect(errors).toEqual([expect.objectContaining({ alert: alert.id, contacts: ['devops'] })]);
  });
});
