import { describe, expect, it } from 'vitest';
import { trackFlapping } from '../../src/rules/flapping.js';
import { type Instance, inactive, type Observation, step, type Timing, tell } from '../../src/rules/state-machine.js';

const T0 = 1_000_000;
const breach = (value: number, priority: 'P0' | 'P1' | 'P2' = 'P2', threshold = 0.5): Observation => ({
  kind: 'breach',
  value,
  priority,
  threshold,
});
const band = (value: number): Observation => ({ kind: 'band', value, priority: 'P2', threshold: 90 });
const clear = (value?: number): Observation => ({ kind: 'clear', value });
const noData: Observation = { kind: 'no-data' };

/** Runs observations at the given offsets (ms after T0) and returns the state after each. */
function walk(timing: Timing, seen: [number, Observation][], start: Instance = inactive(T0)): string[] {
  let inst = start;
  return seen.map(([at, obs]) => {
    inst = step(inst, obs, T0 + at, timing);
    return inst.state === 'firing' || inst.state === 'pending' ? `${inst.state}:${inst.priority}` : inst.state;
  });
}

const at = (timing: Partial<Timing>): Timing => ({
  op: '>',
  for: 0,
  afterFailures: 1,
  clearFor: 0,
  afterSuccesses: undefined,
  ...timing,
});

describe('step: every transition', () => {
  it.each<[string, Timing, [number, Observation][], string[]]>([
    ['inactive → firing at once with for 0', at({}), [[0, breach(0.6)]], ['firing:P2']],
    ['inactive stays inactive on clear', at({}), [[0, clear(0.1)]], ['inactive']],
    ['inactive ignores band (hysteresis only holds a firing alert)', at({}), [[0, band(85)]], ['inactive']],
    [
      'pending then firing once `for` has elapsed',
      at({ for: 60_000 }),
      [
        [0, breach(0.6)],
        [30_000, breach(0.7)],
        [60_000, breach(0.7)],
      ],
      ['pending:P2', 'pending:P2', 'firing:P2'],
    ],
    [
      'pending that clears before `for` goes back to inactive',
      at({ for: 60_000 }),
      [
        [0, breach(0.6)],
        [30_000, clear(0.1)],
        [60_000, breach(0.6)],
      ],
      ['pending:P2', 'inactive', 'pending:P2'],
    ],
    [
      'after_failures counts breaching runs in a row',
      at({ afterFailures: 3 }),
      [
        [0, breach(1, 'P0')],
        [10_000, breach(1, 'P0')],
        [20_000, breach(1, 'P0')],
      ],
      ['pending:P0', 'pending:P0', 'firing:P0'],
    ],
    [
      'a clear run resets after_failures',
      at({ afterFailures: 3 }),
      [
        [0, breach(1, 'P0')],
        [10_000, breach(1, 'P0')],
        [20_000, clear(0)],
        [30_000, breach(1, 'P0')],
        [40_000, breach(1, 'P0')],
        [50_000, breach(1, 'P0')],
      ],
      ['pending:P0', 'pending:P0', 'inactive', 'pending:P0', 'pending:P0', 'firing:P0'],
    ],
    [
      'for and after_failures must both hold',
      at({ for: 60_000, afterFailures: 3 }),
      [
        [0, breach(1)],
        [70_000, breach(1)],
        [80_000, breach(1)],
      ],
      ['pending:P2', 'pending:P2', 'firing:P2'],
    ],
    [
      'no-data keeps pending; it counts neither as a failure nor as a clear',
      at({ afterFailures: 3 }),
      [
        [0, breach(1)],
        [10_000, noData],
        [20_000, breach(1)],
        [30_000, noData],
        [40_000, breach(1)],
      ],
      ['pending:P2', 'pending:P2', 'pending:P2', 'pending:P2', 'firing:P2'],
    ],
    [
      'the `for` clock keeps running through no-data, but only an observed breach confirms',
      at({ for: 60_000 }),
      [
        [0, breach(1)],
        [30_000, noData],
        [90_000, noData],
        [100_000, breach(1)],
      ],
      ['pending:P2', 'pending:P2', 'pending:P2', 'firing:P2'],
    ],
    [
      'no-data during firing changes nothing: no false resolve',
      at({}),
      [
        [0, breach(1)],
        [10_000, noData],
        [20_000, noData],
        [30_000, breach(1)],
      ],
      ['firing:P2', 'firing:P2', 'firing:P2', 'firing:P2'],
    ],
    [
      'firing resolves at the first clear with clear_for 0',
      at({}),
      [
        [0, breach(1)],
        [10_000, clear(0.1)],
      ],
      ['firing:P2', 'resolved'],
    ],
    [
      'clear_for: resolves only once clear has held that long; a breach restarts the wait',
      at({ clearFor: 60_000 }),
      [
        [0, breach(1)],
        [10_000, clear(0.1)],
        [50_000, breach(1)],
        [60_000, clear(0.1)],
        [100_000, clear(0.1)],
        [120_000, clear(0.1)],
      ],
      ['firing:P2', 'firing:P2', 'firing:P2', 'firing:P2', 'firing:P2', 'resolved'],
    ],
    [
      'after_successes: resolves at the N-th clear run in a row; a breach or band in between restarts the count',
      at({ afterSuccesses: 3 }),
      [
        [0, breach(1)],
        [1_000, clear(0.1)],
        [2_000, clear(0.1)],
        [3_000, breach(1)],
        [4_000, clear(0.1)],
        [5_000, clear(0.1)],
        [6_000, band(85)],
        [7_000, clear(0.1)],
        [8_000, clear(0.1)],
        [9_000, clear(0.1)],
      ],
      [...Array(9).fill('firing:P2'), 'resolved'],
    ],
    [
      'after_successes: no-data neither counts nor resets the clear runs',
      at({ afterSuccesses: 2 }),
      [
        [0, breach(1)],
        [1_000, clear(0.1)],
        [2_000, noData],
        [3_000, clear(0.1)],
      ],
      ['firing:P2', 'firing:P2', 'firing:P2', 'resolved'],
    ],
    [
      'after_successes and clear_for must both hold: the runs are counted, then the time',
      at({ afterSuccesses: 2, clearFor: 60_000 }),
      [
        [0, breach(1)],
        [10_000, clear(0.1)],
        [20_000, clear(0.1)],
        [70_000, clear(0.1)],
      ],
      ['firing:P2', 'firing:P2', 'firing:P2', 'resolved'],
    ],
    [
      'after_successes and clear_for must both hold: the time has passed, then the runs are counted',
      at({ afterSuccesses: 3, clearFor: 1_000 }),
      [
        [0, breach(1)],
        [10_000, clear(0.1)],
        [20_000, clear(0.1)],
        [30_000, clear(0.1)],
      ],
      ['firing:P2', 'firing:P2', 'firing:P2', 'resolved'],
    ],
    [
      'after_successes: a resolved alert that fires again counts its clear runs from zero',
      at({ afterSuccesses: 2 }),
      [
        [0, breach(1)],
        [1_000, clear(0.1)],
        [2_000, clear(0.1)],
        [3_000, breach(1)],
        [4_000, clear(0.1)],
        [5_000, clear(0.1)],
      ],
      ['firing:P2', 'firing:P2', 'resolved', 'firing:P2', 'firing:P2', 'resolved'],
    ],
    [
      'hysteresis: band keeps a firing alert firing until the value is clear',
      at({}),
      [
        [0, breach(95)],
        [10_000, band(85)],
        [20_000, band(81)],
        [30_000, clear(79)],
      ],
      ['firing:P2', 'firing:P2', 'firing:P2', 'resolved'],
    ],
    [
      'priority follows the value while firing: P2 → P1 → P2',
      at({}),
      [
        [0, breach(0.3, 'P2')],
        [10_000, breach(0.6, 'P1')],
        [20_000, breach(0.3, 'P2')],
      ],
      ['firing:P2', 'firing:P1', 'firing:P2'],
    ],
    [
      'resolved → pending again on a new breach',
      at({ for: 30_000 }),
      [
        [0, breach(1)],
        [30_000, breach(1)],
        [40_000, clear(0)],
        [50_000, breach(1)],
      ],
      ['pending:P2', 'firing:P2', 'resolved', 'pending:P2'],
    ],
  ])('%s', (_name, timing, seen, expected) => {
    expect(walk(timing, seen)).toEqual(expected);
  });

  it('keeps the last value when a series disappears (clear without a value)', () => {
    const firing = step(inactive(T0), breach(0.9), T0, at({}));
    const gone = step(firing, clear(undefined), T0 + 1, at({}));
    expect(gone.state).toBe('resolved');
    expect(gone.value).toBe(0.9);
  });

  it('returns the same object for no-data, so nothing is written', () => {
    const firing = step(inactive(T0), breach(0.9), T0, at({}));
    expect(step(firing, noData, T0 + 1, at({}))).toBe(firing);
  });
});

function told(inst: Instance, held = false) {
  const r = tell(inst, held);
  return {
    inst: { ...inst, told: r.told },
    tells: r.tells.map((t) => (t.type === 'priority-changed' ? `${t.type}:${t.from}` : t.type)),
  };
}

describe('step: runs that come a little early or late', () => {
  // A disk probe every 5m with for: 5m and clear_for: 10m, its runs a few milliseconds off the schedule each time.
  const disk = at({ for: 300_000, clearFor: 600_000, spacing: 300_000 });

  it('fires at the run that completes `for` even when it comes milliseconds short of it', () => {
    expect(
      walk(disk, [
        [40, breach(0.6)],
        [300_010, breach(0.6)],
      ]),
    ).toEqual(['pending:P2', 'firing:P2']);
    // Without the spacing the same runs wait one more interval, as they did.
    expect(
      walk(at({ for: 300_000 }), [
        [40, breach(0.6)],
        [300_010, breach(0.6)],
        [600_000, breach(0.6)],
      ]),
    ).toEqual(['pending:P2', 'pending:P2', 'firing:P2']);
  });

  it('resolves at the run that completes `clear_for` when it comes milliseconds short of it', () => {
    expect(
      walk(disk, [
        [0, breach(0.6)],
        [300_000, breach(0.6)],
        [600_040, clear(0.1)],
        [900_000, clear(0.1)],
        [1_200_010, clear(0.1)],
      ]),
    ).toEqual(['pending:P2', 'firing:P2', 'firing:P2', 'firing:P2', 'resolved']);
  });

  it('lets no earlier run complete a wait: at most half the spacing, and at most half the wait', () => {
    // A run asked for out of turn, more than half an interval before `for`, does not fire it.
    expect(
      walk(disk, [
        [0, breach(0.6)],
        [149_000, breach(0.6)],
      ]),
    ).toEqual(['pending:P2', 'pending:P2']);
    // for: 10s under runs a minute apart still needs the second run, not the first.
    expect(
      walk(at({ for: 10_000, spacing: 60_000 }), [
        [0, breach(0.6)],
        [60_000, breach(0.6)],
      ]),
    ).toEqual(['pending:P2', 'firing:P2']);
  });
});

describe('tell: what escalation hears', () => {
  const firingP2 = step(inactive(T0), breach(0.3, 'P2'), T0, at({}));

  it('firing once, nothing more while unchanged', () => {
    const a = told(firingP2);
    expect(a.tells).toEqual(['firing']);
    expect(told(a.inst).tells).toEqual([]);
  });

  it('priority changes both ways, each its own event', () => {
    const a = told(firingP2).inst;
    const b = told(step(a, breach(0.6, 'P1'), T0 + 1, at({})));
    expect(b.tells).toEqual(['priority-changed:P2']);
    const c = told(step(b.inst, breach(0.3, 'P2'), T0 + 2, at({})));
    expect(c.tells).toEqual(['priority-changed:P1']);
  });

  it('resolved after firing; nothing for a pending that never fired', () => {
    const a = told(firingP2).inst;
    expect(told(step(a, clear(0), T0 + 1, at({}))).tells).toEqual(['resolved']);
    const pending = step(inactive(T0), breach(1), T0, at({ for: 60_000 }));
    expect(told(pending).tells).toEqual([]);
    expect(told(step(pending, clear(0), T0 + 1, at({ for: 60_000 }))).tells).toEqual([]);
  });

  it('a hold set on a firing alert, then lifted, re-tells firing each time', () => {
    const a = told(firingP2).inst;
    const held = told(a, true);
    expect(held.tells).toEqual(['firing']);
    expect(told(held.inst, true).tells).toEqual([]);
    expect(told(held.inst, false).tells).toEqual(['firing']);
  });

  it('a held alert is still told when it fires and when it resolves', () => {
    const a = told(firingP2, true);
    expect(a.tells).toEqual(['firing']);
    expect(a.inst.told.held).toBe(true);
    expect(told(step(a.inst, clear(0), T0 + 1, at({})), true).tells).toEqual(['resolved']);
  });

  it('flapping: one event, silence while it flaps (but a rise), then its real state', () => {
    const a = told(firingP2).inst;
    const flapping = told({ ...a, flapping: true });
    expect(flapping.tells).toEqual(['flapping']);
    const resolvedWhileFlapping = step(flapping.inst, clear(0), T0 + 1, at({}));
    expect(told(resolvedWhileFlapping).tells).toEqual([]);
    const rose = told(step(resolvedWhileFlapping, breach(2, 'P0'), T0 + 2, at({})));
    expect(rose.tells).toEqual(['priority-changed:P2']);
    expect(told({ ...rose.inst, flapping: false }).tells).toEqual(['flapping-ended', 'firing']);
    const settledResolved = step(rose.inst, clear(0), T0 + 3, at({}));
    expect(told({ ...settledResolved, flapping: false }).tells).toEqual(['flapping-ended', 'resolved']);
  });
});

describe('flapping thresholds', () => {
  const cfg = { changes: 4, window: 60_000 };

  it('starts above `changes` changes in the window and ends at half or fewer', () => {
    let f = { changes: [] as number[], flapping: false };
    const seen: boolean[] = [];
    for (const t of [0, 1_000, 2_000, 3_000, 4_000]) {
      f = trackFlapping(f, true, t, cfg);
      seen.push(f.flapping);
    }
    expect(seen).toEqual([false, false, false, false, true]);
    // No more changes: the count ages out of the window; 3 left is still flapping, 2 is not.
    expect(trackFlapping(f, false, 61_500, cfg).flapping).toBe(true);
    expect(trackFlapping(f, false, 62_500, cfg).flapping).toBe(false);
  });

  it('keeps at most changes + 1 times, so a long flap stays bounded', () => {
    let f = { changes: [] as number[], flapping: false };
    for (let t = 0; t < 50; t++) f = trackFlapping(f, true, t, cfg);
    expect(f.changes).toHaveLength(5);
    expect(f.flapping).toBe(true);
  });

  it('returns the same object when nothing changed', () => {
    const f = { changes: [10], flapping: false };
    expect(trackFlapping(f, false, 20, cfg)).toBe(f);
  });
});
