// The engine's history: each run and the values the rules watch are written in the loop's unit of work and read back
// as a probe's last runs and uptime, and as each watched series' last hour with its rules' thresholds.
import { afterEach, describe, expect, it } from 'vitest';
import { probe, RulesHarness } from '../support/rules.js';

const CONFIG = {
  probes: [probe('api'), probe('db')],
  rules: [
    {
      name: 'Latency',
      sample: 'api.p95_seconds',
      match: { route: '/tasks' },
      op: '>',
      thresholds: { P1: 2, P2: 1 },
      summary: 'p95 {{ value | seconds }}',
    },
    { name: 'TrafficStopped', sample: 'api.rps', op: '<', thresholds: { P2: 0.5 }, summary: '{{ value }} req/s' },
    { name: 'ApiDown', sample: 'api.up', op: '<', thresholds: { P0: 1 }, summary: 'API down' },
  ],
};

let h: RulesHarness | undefined;
afterEach(() => h?.close());

describe('engine history', () => {
  it('records runs and the watched values of each evaluation, and reads them back', async () => {
    h = new RulesHarness(CONFIG);
    const harness = h;
    const t0 = harness.clock.now();
    for (let i = 0; i < 8; i++) {
      const down = i === 5;
      harness.runSamples(
        'api',
        down
          ? []
          : [
              { name: 'api.p95_seconds', labels: { route: '/tasks' }, value: i },
              { name: 'api.p95_seconds', labels: { route: '/other' }, value: 9 },
              { name: 'api.rps', labels: {}, value: 10 - i },
              { name: 'api.duration_seconds', labels: {}, value: 0.05 },
            ],
        down ? { up: false, reason: 'refused' } : {},
      );
      await harness.advance(30_000);
    }
    const now = harness.clock.now();
    const api = harness.engine.history.probe('api', now);
    expect(api.runs.map((r) => r.up)).toEqual([true, true, true, true, true, false, true, true]);
    expect(api.runs[0]).toEqual({ at: new Date(t0).toISOString(), up: true, durationSeconds: 0.05 });
    expect(api.uptime).toEqual({ day: 87.5, week: 87.5 });
    expect(harness.engine.history.probe('db', now)).toEqual({ runs: [], uptime: {} });

    const signals = harness.engine.history.signals(now);
    // Only what a rule watches: not the unmatched route, not the duration; `api.up` as a state, for its alert's card.
    expect(signals.map((s) => [s.sample, s.labels])).toEqual([
      ['api.p95_seconds', { route: '/tasks' }],
      ['api.rps', {}],
      ['api.up', {}],
    ]);
    const [latency, rps, up] = signals;
    // A step with a run down is down (the lowest), whatever the rule's op.
    expect(up?.points.map((p) => p.value)).toEqual([1, 1, 0, 1]);
    expect(up?.unit).toBe('state');
    expect(up?.stepSeconds).toBe(60);
    // Two runs per one-minute step (one in the third, as the other failed): the highest of each for a `>` rule, the
    // lowest for a `<` one.
    expect(latency?.points.map((p) => p.value)).toEqual([1, 3, 4, 7]);
    expect(rps?.points.map((p) => p.value)).toEqual([9, 7, 6, 3]);
    expect(latency?.thresholds).toEqual([
      { alertname: 'Latency', priority: 'P1', op: '>', value: 2 },
      { alertname: 'Latency', priority: 'P2', op: '>', value: 1 },
    ]);
    expect(latency?.unit).toBe('seconds');
    expect(rps?.thresholds).toEqual([{ alertname: 'TrafficStopped', priority: 'P2', op: '<', value: 0.5 }]);
    // One row per series and step, written when the step is over: the fourth minute is still in memory.
    expect(harness.db.prepare('SELECT count(*) AS n FROM history_points').get()).toEqual({ n: 9 });
  });

  it('keeps the series of a number rule whose summary does not print the value', async () => {
    h = new RulesHarness({
      probes: [probe('disk')],
      rules: [
        { name: 'BackupMissing', sample: 'disk.backup_files', op: '==', thresholds: { P1: 0 }, summary: 'No backup' },
        { name: 'DiskDown', sample: 'disk.up', op: '==', thresholds: { P1: 0 }, summary: 'Disk probe down' },
      ],
    });
    for (const files of [2, 0]) {
      h.run('disk', { backup_files: files });
      await h.advance(60_000);
    }
    const [backups, ...rest] = h.engine.history.signals(h.clock.now());
    expect(backups?.sample).toBe('disk.backup_files');
    expect(backups?.points.map((p) => p.value)).toEqual([2, 0]);
    expect(backups?.unit).toBe('number');
    expect(backups?.thresholds).toEqual([{ alertname: 'BackupMissing', priority: 'P1', op: '==', value: 0 }]);
    // The probe's up stays a state.
    expect(rest.map((s) => [s.sample, s.unit])).toEqual([['disk.up', 'state']]);
  });

  it('keeps the history over a restart', async () => {
    h = new RulesHarness(CONFIG);
    h.run('api', { rps: 4 });
    await h.advance(60_000);
    h.restart();
    h.run('api', { rps: 5 });
    const now = h.clock.now();
    expect(h.engine.history.probe('api', now).runs).toHaveLength(2);
    expect(h.engine.history.signals(now)[0]?.points.map((p) => p.value)).toEqual([4, 5]);
  });
});
