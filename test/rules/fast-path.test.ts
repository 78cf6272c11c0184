// A rule's fast path (src/rules/fast-path.ts) through the engine's loop, on a fake clock and a real SQLite store.
import { afterEach, describe, expect, it } from 'vitest';
import { probe, RulesHarness, summarize } from '../support/rules.js';

const harnesses: RulesHarness[] = [];
function harness(): RulesHarness {
  const h = new RulesHarness({
    probes: [probe('api')],
    rules: [
      {
        name: 'Errors',
        sample: 'api.error_percent',
        op: '>',
        thresholds: { P2: 1, P1: 5 },
        clear_threshold: 0.8,
        for: '5m',
        clear_for: '5m',
        fast: { sample: 'api.error_percent_interval', thresholds: { P1: 5 }, after_failures: 3 },
      },
    ],
  });
  harnesses.push(h);
  return h;
}
afterEach(() => {
  for (const h of harnesses.splice(0)) h.close();
});

const EVERY = 5_000;

/** Runs `api` once per value pair [windowed, interval] (undefined: the run failed), EVERY apart; events per run. */
async function runs(h: RulesHarness, values: ([number, number] | undefined)[]): Promise<string[][]> {
  const out: string[][] = [];
  for (const v of values) {
    out.push(summarize(v ? h.run('api', { error_percent: v[0], error_percent_interval: v[1] }) : h.down('api')));
    await h.advance(EVERY);
  }
  return out;
}

describe('fast path', () => {
  it('pages a severe breach after after_failures intervals, and resolves at the first good one', async () => {
    const h = harness();
    const seen = await runs(h, [
      [0.2, 0],
      [1.5, 20],
      [3, 20],
      [4.5, 20],
      [6, 0],
    ]);
    expect(seen).toEqual([[], [], [], ['firing Errors P1'], ['resolved Errors P1']]);
    // The 5-minute rate still at 6 % only starts the slow path over: pending from the next run, for its 5 minutes.
    h.run('api', { error_percent: 6, error_percent_interval: 0 });
    expect(h.alert('Errors')).toMatchObject({ state: 'pending', alert: { priority: 'P1' } });
  });

  it('does not page a spike shorter than after_failures intervals', async () => {
    const h = harness();
    const seen = await runs(h, [[0.2, 0], [0.4, 50], [0.6, 50], [0.6, 0], ...Array(60).fill([0.6, 0])]);
    expect(seen.flat()).toEqual([]);
  });

  it('does not resolve while the probe fails, and resolves at the first good run after', async () => {
    const h = harness();
    const seen = await runs(h, [[0.2, 20], [2, 20], [4, 20], undefined, undefined, undefined, [0.3, 0]]);
    expect(seen).toEqual([[], [], ['firing Errors P1'], [], [], [], ['resolved Errors P1']]);
  });

  it('keeps counting across a restart: the state is stored with the instance', async () => {
    const h = harness();
    expect(
      await runs(h, [
        [0.2, 20],
        [2, 20],
      ]),
    ).toEqual([[], []]);
    h.restart();
    expect(await runs(h, [[4, 20]])).toEqual([['firing Errors P1']]);
    h.restart();
    expect(await runs(h, [[6, 0]])).toEqual([['resolved Errors P1']]);
  });

  it('raises a marginal alert the slow path fired, and its end hands it back to the slow path', async () => {
    const h = harness();
    const marginal = Array(60).fill([2, 2]) as [number, number][];
    const seen = await runs(h, [...marginal, [2, 30], [2.5, 30], [3, 30], [3, 2]]);
    expect(seen.flat()).toEqual(['firing Errors P2', 'priority-changed Errors P2→P1', 'priority-changed Errors P1→P2']);
    expect(h.state('Errors')).toBe('firing');
  });
});
