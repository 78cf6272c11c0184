// An inhibiting alert's pages name what it holds back (alert name and labels, not ids), also alerts held after its
// first page, on the fake clock through the outbox to a real SMTP server and webhook receiver.
import { expect, it } from 'vitest';
import { OutboxWorker } from '../../src/engine/delivery.js';
import { Escalator } from '../../src/engine/escalator.js';
import type { Alert } from '../../src/types.js';
import { deliveryWorld, firing, MIN, makeAlert, silentLog } from '../support/escalation-fixtures.js';

const w = deliveryWorld();

// Ids as the rules make them: hashes of the rule and labels, meaningless to a reader.
const source = makeAlert({ id: 'a1b2c3d4e5f6a7b8c9d0', inhibits: ['3f0e1d2c3b4a59687766', '9e8d7c6b5a4938271605'] });

function target(id: string, alertname: string, route: string): Alert {
  return makeAlert({
    id,
    alertname,
    labels: { alertname, container: 'grupo_gad_api', route },
    priority: 'P1',
    summary: `${alertname} on ${route}`,
    suppressedBy: [{ kind: 'inhibited', id: source.id }],
  });
}

const latency = target('3f0e1d2c3b4a59687766', 'ApiLatencyHigh', '/api/v1/tasks');
const errors = target('9e8d7c6b5a4938271605', 'ApiErrorRate', '/api/v1/tasks');
const queue = target('5a5a5a5a5a5a5a5a5a5a', 'QueueDeep', '/api/v1/jobs');

it("lists the held alerts by name and labels in the source's page, and in its reminders those held since", async () => {
  const cfg = w.config({
    levels: { P0: { contacts: ['cto', 'devops'] } },
    contacts: { devops: { channels: ['hook'] } },
  });
  const escalation = new Escalator(w.state.all, cfg);
  const worker = new OutboxWorker({ store: w.state.store, config: cfg, clock: w.clock, log: silentLog });
  // The rules tell the source before the targets it holds back.
  escalation.handle(
    [firing(source, w.clock.now()), firing(latency, w.clock.now()), firing(errors, w.clock.now())],
    w.clock.now(),
  );
  await worker.runOnce();
  const [page] = await w.smtp.waitFor(1);
  expect(page?.mail.text).toContain(
    'Holding back: ApiLatencyHigh{container=grupo_gad_api, route=/api/v1/tasks}, ' +
      'ApiErrorRate{container=grupo_gad_api, route=/api/v1/tasks}\n',
  );
  expect(page?.mail.text).not.toContain(latency.id);
  const [req] = await w.hook.waitFor(1);
  expect(JSON.parse(req?.body ?? '{}').notifications[0].holding).toEqual([
    {
      id: latency.id,
      name: 'ApiLatencyHigh',
      labels: latency.labels,
      summary: 'ApiLatencyHigh on /api/v1/tasks',
    },
    { id: errors.id, name: 'ApiErrorRate', labels: errors.labels, summary: 'ApiErrorRate on /api/v1/tasks' },
  ]);

  // Two minutes later another alert is held back by it; the source itself has nothing new to tell.
  await w.clock.advance(2 * MIN);
  escalation.handle([firing(queue, w.clock.now())], w.clock.now());
  await w.clock.advance(3 * MIN);
  escalation.tick(w.clock.now());
  await worker.runOnce();
  const [, reminder] = await w.smtp.waitFor(2);
  expect(reminder?.mail.subject).toMatch(/Not acknowledged/);
  expect(reminder?.mail.text).toContain(
    'Holding back: ApiLatencyHigh{container=grupo_gad_api, route=/api/v1/tasks}, ' +
      'ApiErrorRate{container=grupo_gad_api, route=/api/v1/tasks}, QueueDeep{container=grupo_gad_api, route=/api/v1/jobs}\n',
  );
});
