// Incident updates through escalation and the outbox, on the fake clock, to real receivers: every PagerDuty channel
// that got the trigger gets the acknowledge and the resolve, also when the one who acknowledged is its only contact;
// and the all-clear reaches every channel a page reached (a P0 on `channels: all`), not only the contact's first.
import { expect, it } from 'vitest';
import { OutboxWorker } from '../../src/engine/delivery.js';
import { Escalator } from '../../src/engine/escalator.js';
import { deliveryWorld, firing, MIN, makeAlert, resolved, silentLog } from '../support/escalation-fixtures.js';

const w = deliveryWorld();

it('sends acknowledge and resolve to the PagerDuty channel of the contact who acknowledged', async () => {
  const cfg = w.config({
    levels: { P0: { contacts: ['cto', 'oncall'] } },
    contacts: { cto: { channels: ['mail'] }, oncall: { name: 'On call', channels: ['pd'] } },
    channels: { pd: { kind: 'webhook', format: 'pagerduty', routing_key: 'R0UTING', url: w.hook.path('/v2/enqueue') } },
  });
  const escalation = new Escalator(w.state.all, cfg);
  const worker = new OutboxWorker({ store: w.state.store, config: cfg, clock: w.clock, log: silentLog });
  const alert = makeAlert();
  const actions = () => w.hook.requests.map((r) => JSON.parse(r.body)).map((b) => `${b.event_action} ${b.dedup_key}`);

  escalation.handle([firing(alert, w.clock.now())], w.clock.now());
  await worker.runOnce();
  await w.hook.waitFor(1);
  await w.clock.advance(3 * MIN);
  // The on-call engineer acknowledges in centinela (API or link), not in PagerDuty.
  expect(escalation.ack(alert.id, { who: 'oncall', via: 'api' }, w.clock.now()).status).toBe('acknowledged');
  await worker.runOnce();
  await w.hook.waitFor(2);
  await w.smtp.waitFor(2);
  expect(w.smtp.received.map((m) => m.mail.subject)).toEqual([
    '[P0] API down — grupo_gad_api',
    '[P0] Acknowledged by oncall: API down — grupo_gad_api',
  ]);
  await w.clock.advance(10 * MIN);
  escalation.handle([resolved(alert, w.clock.now())], w.clock.now());
  await worker.runOnce();
  await w.hook.waitFor(3);
  // The worker was given no installation number: it counts as 0.
  const key = `0:${alert.id}`;
  expect(actions()).toEqual([`trigger ${key}`, `acknowledge ${key}`, `resolve ${key}`]);
  // The acknowledgement went to PagerDuty only: no mail tells the one who acked that they did.
  await w.smtp.waitFor(3);
  expect(w.smtp.received.map((m) => m.to[0])).toEqual([
    'cto@grupogad.gob.ec',
    'cto@grupogad.gob.ec',
    'cto@grupogad.gob.ec',
  ]);
  expect(w.state.store.outboxCounts()).toMatchObject({ pending: 0, failed: 0, delivered: 6 });
});

it('sends the all-clear over every channel a channels: all page went out on; the ack stays on the first', async () => {
  const cfg = w.config({ levels: { P0: { channels: 'all' } }, contacts: { cto: { channels: ['mail', 'hook'] } } });
  const escalation = new Escalator(w.state.all, cfg);
  const worker = new OutboxWorker({ store: w.state.store, config: cfg, clock: w.clock, log: silentLog });
  const alert = makeAlert({ activeSince: w.clock.now() });
  const events = () => w.hook.requests.map((r) => JSON.parse(r.body).notifications[0].event);

  escalation.handle([firing(alert, w.clock.now())], w.clock.now());
  await worker.runOnce();
  await w.hook.waitFor(1);
  await w.smtp.waitFor(1);
  await w.clock.advance(MIN);
  // The CTO acknowledges: no notice of their own ack, on any channel.
  expect(escalation.ack(alert.id, { who: 'cto', via: 'api' }, w.clock.now()).status).toBe('acknowledged');
  await worker.runOnce();
  await w.clock.advance(10 * MIN);
  escalation.handle([resolved(alert, w.clock.now())], w.clock.now());
  await worker.runOnce();
  await w.hook.waitFor(2);
  await w.smtp.waitFor(2);
  expect(events()).toEqual(['firing', 'resolved']);
  expect(w.smtp.received.map((m) => m.mail.subject)).toEqual([
    '[P0] API down — grupo_gad_api',
    '[RESOLVED] API down — grupo_gad_api (lasted 11 min)',
  ]);
  expect(w.state.store.outboxCounts()).toMatchObject({ pending: 0, failed: 0, delivered: 4 });
});
