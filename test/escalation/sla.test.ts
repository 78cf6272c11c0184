// Response-SLA accounting: time to acknowledge and to resolve against the level's response time.
import { afterEach, beforeEach, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { Escalator } from '../../src/engine/escalator.js';
import { slaReport } from '../../src/escalation/sla.js';
import { escalationConfig, firing, HOUR, MIN, makeAlert, resolved, TempState } from '../support/escalation-fixtures.js';

let state: TempState;
let clock: FakeClock;
beforeEach(() => {
  state = new TempState();
  clock = new FakeClock(Date.UTC(2026, 0, 1, 10, 0));
});
afterEach(() => state.remove());

it('measures time to ack and to resolve per incident against ack_within of the priority first paged', async () => {
  const cfg = escalationConfig();
  const esc = new Escalator(state.all, cfg);
  const start = clock.now();
  const fast = makeAlert({ alertname: 'ApiDown' });
  const slow = makeAlert({ alertname: 'DbDown', summary: 'DB down', priority: 'P1' });
  const open = makeAlert({ alertname: 'RedisDown', summary: 'Redis down' });
  const held = makeAlert({ alertname: 'BotDown', suppressedBy: [{ kind: 'silenced', id: 's' }] });
  esc.handle([firing(fast, start), firing(slow, start), firing(open, start), firing(held, start)], start);
  await clock.advance(7 * MIN);
  esc.ack(fast.id, { who: 'cto', via: 'api' }, clock.now());
  await clock.advance(20 * MIN);
  esc.handle([resolved(fast, clock.now())], clock.now());
  await clock.advance(2 * HOUR);
  esc.ack(slow.id, { who: 'lead', via: 'link' }, clock.now());
  const report = slaReport(state.store.incidentsSince(start), cfg.levels, clock.now());
  const by = Object.fromEntries(report.map((r) => [r.alertname, r]));
  expect(Object.keys(by).sort()).toEqual(['ApiDown', 'DbDown', 'RedisDown']);
  expect(by.ApiDown).toMatchObject({
    priority: 'P0',
    targetMs: 15 * MIN,
    timeToAckMs: 7 * MIN,
    ackedBy: 'cto',
    ackMet: true,
    timeToResolveMs: 27 * MIN,
    resolveMet: false,
  });
  expect(by.DbDown).toMatchObject({ priority: 'P1', targetMs: HOUR, timeToAckMs: 147 * MIN, ackMet: false });
  expect(by.DbDown?.timeToResolveMs).toBeUndefined();
  // Still open and past its 15m without an ack: already missed.
  expect(by.RedisDown).toMatchObject({ ackMet: false, resolveMet: false, timeToAckMs: undefined });
});
