// Escalator timelines on the fake clock, through the real store: pages, reminders, climbs, acks, rises, silences,
// resolution exactly once, and restarts in the middle of an escalation.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config/load.js';
import type { EscalationFile } from '../../src/config/schema.js';
import { Escalator } from '../../src/engine/escalator.js';
import {
  escalationConfig,
  firing,
  HOUR,
  MIN,
  makeAlert,
  priorityChanged,
  resolved,
  TempState,
} from '../support/escalation-fixtures.js';
import { SHIPPED_ENV } from '../support/shipped-env.js';

let state: TempState;
let clock: FakeClock;

beforeEach(() => {
  state = new TempState();
  clock = new FakeClock(Date.UTC(2026, 0, 1, 10, 0));
});
afterEach(() => state.remove());

/** The outbox as "kind contact" lines, oldest first, for readable timelines. */
function sent(): string[] {
  return state.store.outboxRows().map((r) => `${r.kind} ${r.contact}`);
}

/** Advances the fake clock minute by minute, ticking whenever escalation is due (as the daemon's timer does). */
async function run(escalation: Escalator, ms: number): Promise<void> {
  const end = clock.now() + ms;
  for (;;) {
    const due = escalation.nextDueAt();
    if (due === undefined || due > end) break;
    await clock.advanceTo(Math.max(due, clock.now()));
    escalation.tick(clock.now());
  }
  await clock.advanceTo(end);
}

function make(cfg: EscalationFile = escalationConfig()): Escalator {
  return new Escalator(state.all, cfg);
}

describe('escalation timelines', () => {
  it('pages P0 at once, reminds every 5m, and climbs as configured when unacknowledged for 15m', async () => {
    // The shipped config stops P0 at the CTO (escalate_to: none); here P0 climbs to a level that adds the lead
    // (and lists the CTO too, who is not paged twice).
    const cfg = escalationConfig({
      raw: {
        levels: { P0: { escalate_to: 'P1' }, P1: { contacts: ['lead', 'cto'], escalate_to: 'none' } },
      },
    });
    const esc = make(cfg);
    const alert = makeAlert();
    esc.handle([firing(alert, clock.now())], clock.now());
    expect(sent()).toEqual(['firing cto']);
    await run(esc, 14 * MIN);
    expect(sent()).toEqual(['firing cto', 'reminder cto', 'reminder cto']);
    await run(esc, 1 * MIN);
    // At 15m: the lead is added (the cto, already paged, is not paged twice for the climb), and reminded at 15m.
    expect(sent()).toEqual(['firing cto', 'reminder cto', 'reminder cto', 'escalated lead', 'reminder cto']);
    const inc = state.store.openIncident(alert.id);
    expect(inc?.levels.map((l) => [l.level, l.contacts])).toEqual([
      ['P0', ['cto']],
      ['P1', ['lead']],
    ]);
    await run(esc, 15 * MIN);
    // The lead is reminded every 15m from the climb; the cto every 5m.
    expect(sent().filter((s) => s === 'reminder lead')).toHaveLength(1);
    expect(sent().filter((s) => s === 'reminder cto')).toHaveLength(6);
  });

  it('stops reminders and climbing when acknowledged at 7 minutes', async () => {
    const cfg = escalationConfig({ raw: { levels: { P0: { escalate_to: 'P1' }, P1: { escalate_to: 'none' } } } });
    const esc = make(cfg);
    const alert = makeAlert();
    esc.handle([firing(alert, clock.now())], clock.now());
    await run(esc, 7 * MIN);
    expect(sent()).toEqual(['firing cto', 'reminder cto']);
    expect(esc.ack(alert.id, { who: 'cto', comment: 'on it', via: 'api' }, clock.now()).status).toBe('acknowledged');
    const ackedAt = clock.now();
    // Quiet until the acknowledgement runs out: P0's default ack_timeout is 30 min.
    await run(esc, 30 * MIN - 1);
    expect(sent()).toEqual(['firing cto', 'reminder cto']);
    expect(esc.nextDueAt()).toBe(ackedAt + 30 * MIN);
    expect(esc.ack(alert.id, { who: 'lead', via: 'api' }, clock.now()).status).toBe('already-acknowledged');
  });

  it('an acknowledgement lasts its level’s ack_timeout; still firing then, everyone reached is paged again', async () => {
    const esc = make(escalationConfig({ raw: { levels: { P0: { ack_timeout: '10m' } } } }));
    const alert = makeAlert();
    esc.handle([firing(alert, clock.now())], clock.now());
    esc.ack(alert.id, { who: 'cto', via: 'api' }, clock.now());
    await run(esc, 10 * MIN);
    expect(sent()).toEqual(['firing cto', 'reopened cto']);
  });

  it('ack_timeout none keeps an acknowledgement until the alert resolves', async () => {
    const esc = make(escalationConfig({ raw: { levels: { P0: { ack_timeout: 'none' } } } }));
    const alert = makeAlert();
    esc.handle([firing(alert, clock.now())], clock.now());
    esc.ack(alert.id, { who: 'cto', via: 'api' }, clock.now());
    await run(esc, 2 * HOUR);
    expect(sent()).toEqual(['firing cto']);
    expect(esc.nextDueAt()).toBeUndefined();
  });

  it('takes the steps of a level without an acknowledgement: contacts added after their delay, reminded after', async () => {
    const esc = make(
      escalationConfig({
        raw: {
          levels: { P0: { repeat_every: '5m', steps: [{ after: '5m', contacts: ['lead'] }], escalate_to: 'none' } },
        },
      }),
    );
    const alert = makeAlert();
    esc.handle([firing(alert, clock.now())], clock.now());
    await run(esc, 5 * MIN);
    expect(sent()).toEqual(['firing cto', 'step lead', 'reminder cto']);
    await run(esc, 5 * MIN);
    // The step's contact joined the level: the level's reminder reaches them too.
    expect(sent().slice(3).sort()).toEqual(['reminder cto', 'reminder lead']);
    expect(esc.ack(alert.id, { who: 'lead', via: 'api' }, clock.now()).status).toBe('acknowledged');
  });

  it('an acknowledgement before a step’s delay stops the step', async () => {
    const esc = make(escalationConfig({ raw: { levels: { P0: { steps: [{ after: '5m', contacts: ['lead'] }] } } } }));
    const alert = makeAlert();
    esc.handle([firing(alert, clock.now())], clock.now());
    await run(esc, 4 * MIN);
    esc.ack(alert.id, { who: 'cto', via: 'api' }, clock.now());
    await run(esc, 10 * MIN);
    expect(sent()).toEqual(['firing cto']);
  });

  it('takes an ignored P3 to P2 after a day by the default chain, and on towards P0', async () => {
    const esc = make();
    const alert = makeAlert({ alertname: 'DiskGrowing', priority: 'P3', summary: 'Disk filling up' });
    esc.handle([firing(alert, clock.now())], clock.now());
    await run(esc, 24 * HOUR - 1);
    expect(sent()).toEqual([
      'firing dev',
      'reminder dev',
      'reminder dev',
      'reminder dev',
      'reminder dev',
      'reminder dev',
    ]);
    await run(esc, 1);
    expect(sent().slice(6)).toEqual(['escalated devops', 'reminder dev']);
    await run(esc, 4 * HOUR);
    expect(sent()).toContain('escalated lead');
    await run(esc, 1 * HOUR);
    expect(sent()).toContain('escalated cto');
    await run(esc, 1 * HOUR);
    // P0 is the top: nothing above it, reminders go on.
    expect(sent().filter((s) => s.startsWith('escalated'))).toEqual([
      'escalated devops',
      'escalated lead',
      'escalated cto',
    ]);
  });

  it('pages the new level at once when the priority rises, re-opening an acknowledged incident', async () => {
    const esc = make();
    const alert = makeAlert({ priority: 'P2', summary: 'API slow' });
    esc.handle([firing(alert, clock.now())], clock.now());
    await run(esc, 10 * MIN);
    esc.ack(alert.id, { who: 'devops', via: 'api' }, clock.now());
    await run(esc, 1 * MIN);
    esc.handle([priorityChanged(alert, 'P0', clock.now())], clock.now());
    expect(sent()).toEqual(['firing devops', 'priority-rose cto']);
    const row = state.store.outboxRows().at(-1);
    expect(row?.item.previousPriority).toBe('P2');
    expect(state.store.openIncident(alert.id)?.status).toBe('open');
    // A fall back to P2 pages nobody new.
    esc.handle([priorityChanged({ ...alert, priority: 'P0' }, 'P2', clock.now())], clock.now());
    expect(sent()).toHaveLength(2);
  });

  it('holds a silenced alert (no reminders) and sends the resolution exactly once to everyone paged', async () => {
    const esc = make();
    const alert = makeAlert();
    esc.handle([firing(alert, clock.now())], clock.now());
    await run(esc, 6 * MIN);
    expect(sent()).toEqual(['firing cto', 'reminder cto']);
    const silenced = { ...alert, suppressedBy: [{ kind: 'silenced' as const, id: 's1' }] };
    esc.handle([firing(silenced, clock.now())], clock.now());
    await run(esc, 2 * HOUR);
    expect(sent()).toEqual(['firing cto', 'reminder cto']);
    esc.handle([resolved(silenced, clock.now())], clock.now());
    esc.handle([resolved(silenced, clock.now())], clock.now());
    expect(sent()).toEqual(['firing cto', 'reminder cto', 'resolved cto']);
  });

  it('does not page an alert paged before a hold again as new when the hold ends; its reminders resume', async () => {
    const esc = make();
    const alert = makeAlert();
    esc.handle([firing(alert, clock.now())], clock.now());
    await run(esc, 1 * MIN);
    esc.handle([firing({ ...alert, suppressedBy: [{ kind: 'inhibited', id: 'ApiDown' }] }, clock.now())], clock.now());
    await run(esc, 1 * MIN);
    // Released two minutes after its page: nothing is sent; the P0 reminder is due 5 min after the page.
    esc.handle([firing(alert, clock.now())], clock.now());
    expect(sent()).toEqual(['firing cto']);
    expect(state.store.openIncident(alert.id)?.status).toBe('open');
    await run(esc, 3 * MIN);
    expect(sent()).toEqual(['firing cto', 'reminder cto']);
  });

  it('records an alert held from the start without paging, pages it on release, and says nothing if it never was', async () => {
    const esc = make();
    const held = makeAlert({ suppressedBy: [{ kind: 'inhibited', id: 'ApiDown' }] });
    esc.handle([firing(held, clock.now())], clock.now());
    expect(sent()).toEqual([]);
    expect(state.store.openIncident(held.id)?.status).toBe('held');
    await run(esc, 10 * MIN);
    esc.handle([firing({ ...held, suppressedBy: [] }, clock.now())], clock.now());
    // Released and still firing: paged now; a repeated firing is nothing new.
    esc.handle([firing({ ...held, suppressedBy: [] }, clock.now())], clock.now());
    expect(sent()).toEqual(['firing cto']);

    const other = makeAlert({
      alertname: 'RedisDown',
      summary: 'Redis down',
      suppressedBy: [{ kind: 'maintenance', id: 'm' }],
    });
    esc.handle([firing(other, clock.now())], clock.now());
    esc.handle([resolved(other, clock.now())], clock.now());
    expect(sent()).toEqual(['firing cto']);
  });

  it('re-opens an acknowledged alert after ack.timeout and pages everyone reached again', async () => {
    const esc = make(escalationConfig({ raw: { ack: { timeout: '2h' } } }));
    const alert = makeAlert({ priority: 'P1' });
    esc.handle([firing(alert, clock.now())], clock.now());
    esc.ack(alert.id, { who: 'lead', via: 'link' }, clock.now());
    await run(esc, 2 * HOUR - 1);
    expect(sent()).toEqual(['firing lead']);
    await run(esc, 1);
    expect(sent()).toEqual(['firing lead', 'reopened lead']);
    expect(state.store.openIncident(alert.id)?.status).toBe('open');
  });

  it('starts a new incident when an alert fires again after it resolved', () => {
    const esc = make();
    const alert = makeAlert();
    esc.handle([firing(alert, clock.now()), resolved(alert, clock.now())], clock.now());
    esc.handle([firing(alert, clock.now() + 1)], clock.now() + 1);
    const rows = state.store.outboxRows();
    expect(rows.map((r) => r.kind)).toEqual(['firing', 'resolved', 'firing']);
    expect(new Set(rows.map((r) => r.incidentId)).size).toBe(2);
  });

  it('opens and pages an incident when flapping starts on a re-fire after the last one resolved', async () => {
    const esc = make();
    const alert = makeAlert();
    esc.handle([firing(alert, clock.now())], clock.now());
    await run(esc, 2 * MIN);
    esc.handle([resolved(alert, clock.now())], clock.now());
    await run(esc, 1 * MIN);
    const flapping = { ...alert, flapping: true };
    esc.handle([{ type: 'flapping', at: clock.now(), alert: flapping }], clock.now());
    expect(sent()).toEqual(['firing cto', 'resolved cto', 'firing cto']);
    const incident = state.store.openIncident(alert.id);
    expect(incident?.status).toBe('open');
    expect(incident?.alert.flapping).toBe(true);
    expect(state.store.outboxRows().at(-1)?.item.alert.flapping).toBe(true);
    await run(esc, 5 * MIN);
    expect(sent()).toEqual(['firing cto', 'resolved cto', 'firing cto', 'reminder cto']);
  });

  it('holds a flapping alert opened while held back, and pages it when a flapping event lifts the hold', () => {
    const esc = make();
    const held = makeAlert({ flapping: true, suppressedBy: [{ kind: 'silenced', id: 's1' }] });
    esc.handle([{ type: 'flapping', at: clock.now(), alert: held }], clock.now());
    expect(sent()).toEqual([]);
    expect(state.store.openIncident(held.id)?.status).toBe('held');
    esc.handle([{ type: 'flapping', at: clock.now(), alert: { ...held, suppressedBy: [] } }], clock.now());
    expect(sent()).toEqual(['firing cto']);
    expect(state.store.openIncident(held.id)?.status).toBe('open');
  });

  it('routes a priority with no level to the nearest more urgent one', () => {
    const cfg = escalationConfig();
    delete cfg.levels.P3;
    const esc = make(cfg);
    esc.handle([firing(makeAlert({ priority: 'P3' }), clock.now())], clock.now());
    expect(sent()).toEqual(['firing devops']);
  });

  it('follows the shipped matrix: an ignored P3 ends at the CTO; P0 pages the CTO everywhere, then the lead and DevOps', async () => {
    const { escalation: shipped } = await loadConfig({ dir: 'config', env: SHIPPED_ENV });
    const esc = make(shipped);
    const minor = makeAlert({ alertname: 'SlowQuery', priority: 'P3', summary: 'Slow queries' });
    esc.handle([firing(minor, clock.now())], clock.now());
    await run(esc, 30 * HOUR);
    expect(sent().filter((s) => !s.startsWith('reminder'))).toEqual([
      'firing dev_team',
      'escalated devops',
      'escalated tech_lead',
      // Reaching P0 pages the CTO on every channel of theirs (push, email, webhook), as P0 does.
      'escalated cto',
      'escalated cto',
      'escalated cto',
    ]);
    const down = makeAlert({ alertname: 'ApiDown' });
    esc.handle([firing(down, clock.now())], clock.now());
    await run(esc, 2 * HOUR);
    const rows = state.store.outboxRows().filter((r) => r.item.alert.alertname === 'ApiDown');
    // The CTO at once on all three of their channels; 5 min later, unacknowledged, the tech lead and DevOps too.
    const start = rows[0]?.createdAt ?? 0;
    const at = (kind: string) =>
      rows
        .filter((r) => r.kind === kind)
        .map((r) => `${r.contact}:${r.channelIndex}@${(r.createdAt - start) / MIN}m`)
        .sort();
    expect(at('firing')).toEqual(['cto:0@0m', 'cto:1@0m', 'cto:2@0m']);
    expect(at('step')).toEqual([
      'devops:0@5m',
      'devops:1@5m',
      'devops:2@5m',
      'tech_lead:0@5m',
      'tech_lead:1@5m',
      'tech_lead:2@5m',
    ]);
    expect(at('escalated')).toEqual([]);
    // Reminders every 5 min for 2 h to all three, on every channel (24 to the CTO, 23 to the others).
    expect(rows.filter((r) => r.kind === 'reminder')).toHaveLength(24 * 3 + 23 * 3 * 2);
  });

  it('tells an observer of climbs (not of steps), acks and resolutions (for metrics)', async () => {
    const seen: string[] = [];
    const cfg = escalationConfig({ raw: { levels: { P0: { steps: [{ after: '5m', contacts: ['devops'] }] } } } });
    const esc = new Escalator(state.all, cfg, {
      escalated: (from, to) => seen.push(`escalated ${from}→${to}`),
      acknowledged: (p, s) => seen.push(`acknowledged ${p} ${s}s`),
      resolved: (p, s) => seen.push(`resolved ${p} ${s}s`),
    });
    const alert = makeAlert({ priority: 'P1', activeSince: clock.now() });
    esc.handle([firing(alert, clock.now())], clock.now());
    // The climb to P0 at 1 h, then P0's step adds DevOps at 1 h 5 min: one climb.
    await run(esc, HOUR + 5 * MIN);
    expect(sent().filter((s) => !s.startsWith('reminder'))).toEqual(['firing lead', 'escalated cto', 'step devops']);
    esc.ack(alert.id, { who: 'lead', via: 'api' }, clock.now());
    await run(esc, 30 * MIN);
    esc.handle([resolved(alert, clock.now())], clock.now());
    expect(seen).toEqual(['escalated P1→P0', 'acknowledged P1 3900s', 'resolved P1 5700s']);
  });

  it('neither loses nor repeats anything across a restart in the middle of an escalation', async () => {
    const cfg = escalationConfig({ raw: { levels: { P0: { escalate_to: 'P1' }, P1: { escalate_to: 'none' } } } });
    let esc = make(cfg);
    const alert = makeAlert();
    esc.handle([firing(alert, clock.now())], clock.now());
    await run(esc, 12 * MIN);
    const before = sent();
    expect(before).toEqual(['firing cto', 'reminder cto', 'reminder cto']);
    state.reopen();
    esc = make(cfg);
    // The rules replay the still-firing alert after a restart: nothing new.
    esc.handle([firing(alert, clock.now())], clock.now());
    esc.tick(clock.now());
    expect(sent()).toEqual(before);
    await run(esc, 3 * MIN);
    expect(sent()).toEqual([...before, 'escalated lead', 'reminder cto']);
    expect(new Set(state.store.outboxRows().map((r) => r.key)).size).toBe(sent().length);
  });
});
