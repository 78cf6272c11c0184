// Flapping on the fake clock, delivered to a real SMTP server and webhook receiver: one notice when an incident
// already paged starts flapping, one when it settles still firing, and the resolution when it settles resolved.
import { expect, it } from 'vitest';
import { OutboxWorker } from '../../src/engine/delivery.js';
import { Escalator } from '../../src/engine/escalator.js';
import type { AlertEvent } from '../../src/types.js';
import { deliveryWorld, firing, MIN, makeAlert, resolved, silentLog } from '../support/escalation-fixtures.js';

const w = deliveryWorld();

const alert = makeAlert();
const flapping = { ...alert, flapping: true };
const event = (type: 'flapping' | 'flapping-ended', a = flapping): AlertEvent => ({
  type,
  at: w.clock.now(),
  alert: a,
});

it('tells those paged once that it flaps, then its real state when it settles: still firing, later resolved', async () => {
  const cfg = w.config({
    levels: { P0: { contacts: ['cto', 'devops'] } },
    contacts: { cto: { channels: ['mail'] }, devops: { channels: ['hook'] } },
  });
  const escalation = new Escalator(w.state.all, cfg);
  const worker = new OutboxWorker({ store: w.state.store, config: cfg, clock: w.clock, log: silentLog });
  const mails = () => w.smtp.received.map((m) => m.mail.subject);
  const hooks = () =>
    w.hook.requests.map((r) =>
      JSON.parse(r.body)
        .notifications.map((n: { event: string }) => n.event)
        .join(),
    );
  /** Handles events now, delivers, and waits for this many mails and webhook requests in all. */
  const step = async (events: AlertEvent[], total: [number, number]) => {
    escalation.handle(events, w.clock.now());
    await worker.runOnce();
    await w.smtp.waitFor(total[0]);
    await w.hook.waitFor(total[1]);
    await w.clock.advance(MIN);
  };

  await step([firing(alert, w.clock.now())], [1, 1]);
  // Acknowledged by the CTO: flapping is still news for both.
  escalation.ack(alert.id, { who: 'cto', via: 'api' }, w.clock.now());
  await step([], [1, 2]);
  await step([event('flapping')], [2, 3]);
  // While it flaps, a hold lifted or set is told as `flapping` again: nothing new for those paged.
  await step([event('flapping')], [2, 3]);
  await step([event('flapping-ended', alert), firing(alert, w.clock.now())], [3, 4]);
  expect(mails()).toEqual([
    '[P0] API down — grupo_gad_api',
    '[P0] Flapping, it keeps firing and resolving: API down — grupo_gad_api',
    '[P0] Stopped flapping, still firing: API down — grupo_gad_api',
  ]);
  expect(hooks()).toEqual(['firing', 'acknowledged', 'flapping', 'flapping-ended']);
  const notice = w.smtp.received[1]?.mail.text ?? '';
  expect(notice).toContain('Flapping: yes: it keeps changing state');
  // News, not a page: no ack link (it was acknowledged anyway, and reminders carry links when it is not).
  expect(notice).not.toContain('Acknowledge:');

  // It flaps again and settles resolved: the resolution is the news.
  await step([event('flapping')], [4, 5]);
  await step([event('flapping-ended', alert), resolved(alert, w.clock.now())], [5, 6]);
  expect(mails().slice(3)).toEqual([
    '[P0] Flapping, it keeps firing and resolving: API down — grupo_gad_api',
    expect.stringMatching(/^\[RESOLVED\] API down — grupo_gad_api/),
  ]);
  expect(hooks().slice(4)).toEqual(['flapping', 'resolved']);
  expect(w.state.store.outboxCounts()).toMatchObject({ pending: 0, failed: 0 });
});
