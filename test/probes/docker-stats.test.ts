// CPU % and memory % as `docker stats` computes them, on the Engine API's documented samples (cgroup v1 and v2) and
// on the docker CLI's own test cases.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  containerFigures,
  cpuPercent,
  memoryPercent,
  memoryUsageNoCache,
  type StatsDocument,
  statsDocument,
} from '../../src/probes/docker-stats.js';

function fixture(name: string): StatsDocument {
  return statsDocument.parse(JSON.parse(readFileSync(`test/fixtures/docker/${name}`, 'utf8')));
}

describe('the documented Engine API samples', () => {
  it('cgroup v1 (API v1.41 sample): the figures worked out by hand', () => {
    // CPU: total_usage 100215355 − 100093996 = 121359 ns; system_cpu_usage 739306590000000 − 9492140000000
    //      = 729814450000000 ns; online_cpus 4 → 121359 / 729814450000000 × 4 × 100 = 6.6514989e-8 %.
    // Memory: total_inactive_file 0 < usage 6537216, so 6537216 − 0 = 6537216 bytes;
    //      6537216 / limit 67108864 × 100 = 9.7412109375 % (exact in binary: the limit is 2^26).
    const figures = containerFigures(fixture('stats-v1-documented.json'));
    expect(figures.cpuPercent).toBeCloseTo((121359 / 729814450000000) * 4 * 100, 20);
    expect(figures.cpuPercent).toBeCloseTo(6.6514989e-8, 14);
    expect(figures.memory).toEqual({ usageBytes: 6537216, limitBytes: 67108864, percent: 9.7412109375 });
  });

  it('cgroup v2 (API v1.49 sample, verbatim): 0 % CPU and 0 % memory, as the CLI would print it', () => {
    // CPU: cpu_stats and precpu_stats are identical (total 29912000, system 5) → delta 0 → 0 %.
    // Memory: there is no total_inactive_file (cgroup v2); inactive_file 2510848 is not below usage 0, so the usage
    //      stays 0 → 0 / 8217579520 = 0 %.
    const figures = containerFigures(fixture('stats-v2-documented.json'));
    expect(figures).toEqual({ cpuPercent: 0, memory: { usageBytes: 0, limitBytes: 8217579520, percent: 0 } });
  });

  it('cgroup v2 (the documented sample as a working second sample): the figures worked out by hand', () => {
    // CPU: total 2529912000 − 29912000 = 2.5e9 ns over system 5000000005 − 5 = 5e9 ns; no percpu_usage (cgroup v2),
    //      online_cpus 5 → 2.5e9 / 5e9 × 5 × 100 = 250 % (two and a half cores busy).
    // Memory: usage 10396928 (= anon 1572864 + file 7626752 + kernel_stack 16384 + slab 1180928 + sock 0);
    //      inactive_file 2510848 < usage → 10396928 − 2510848 = 7886080 bytes;
    //      7886080 / 8217579520 × 100 = 0.0959659712547570 %.
    const figures = containerFigures(fixture('stats-v2-busy.json'));
    expect(figures.cpuPercent).toBe(250);
    expect(figures.memory?.usageBytes).toBe(7886080);
    expect(figures.memory?.limitBytes).toBe(8217579520);
    expect(figures.memory?.percent).toBeCloseTo(0.095965971254757, 14);
  });

  it('cgroup v2 without online_cpus: 0 %, since the CLI falls back to percpu_usage, which cgroup v2 leaves out', () => {
    const doc = fixture('stats-v2-busy.json');
    delete doc.cpu_stats?.online_cpus;
    expect(containerFigures(doc).cpuPercent).toBe(0);
  });
});

describe('cpuPercent', () => {
  it('falls back to the length of percpu_usage when online_cpus is absent (older engines)', () => {
    // 4e8 / 1e9 × 2 CPUs × 100 = 80 %.
    const pre = { cpu_usage: { total_usage: 1e8 }, system_cpu_usage: 1e9 };
    const cur = { cpu_usage: { total_usage: 5e8, percpu_usage: [1, 2] }, system_cpu_usage: 2e9 };
    expect(cpuPercent(pre, cur)).toBeCloseTo(80, 10);
  });

  it('is 0 when either delta is not positive: a first sample (empty precpu) with a reset, or an idle container', () => {
    expect(cpuPercent(undefined, { cpu_usage: { total_usage: 5 }, system_cpu_usage: 0, online_cpus: 2 })).toBe(0);
    const same = { cpu_usage: { total_usage: 7 }, system_cpu_usage: 9, online_cpus: 2 };
    expect(cpuPercent(same, same)).toBe(0);
    expect(cpuPercent({ ...same, cpu_usage: { total_usage: 9 } }, { ...same, system_cpu_usage: 20 })).toBe(0);
  });
});

describe('memoryUsageNoCache (calculateMemUsageUnixNoCache)', () => {
  it.each([
    ["cgroup v1 (the docker CLI's stats_helpers_test.go case)", 500, { total_inactive_file: 400 }, 100],
    ['cgroup v1', 100, { total_inactive_file: 1 }, 99],
    ['cgroup v2', 100, { inactive_file: 2 }, 98],
    ['no cgroup data', 100, undefined, 100],
    // A v1 key that is not below usage falls through to the v2 key (absent = 0): usage unchanged.
    ['v1 key not below usage', 100, { total_inactive_file: 100 }, 100],
    ['v1 key not below usage, v2 key below', 100, { total_inactive_file: 150, inactive_file: 30 }, 70],
    ['v2 key not below usage', 100, { inactive_file: 100 }, 100],
  ])('%s', (_case, usage, stats, expected) => {
    expect(memoryUsageNoCache(usage, stats)).toBe(expected);
  });
});

describe('memoryPercent (calculateMemPercentUnixNoCache)', () => {
  it('is used over limit × 100, and 0 without a limit', () => {
    expect(memoryPercent(70, 100)).toBe(70);
    expect(memoryPercent(70, 0)).toBe(0);
  });
});

describe('containerFigures', () => {
  it('has no memory figures when the Engine sent none (a container that is not running)', () => {
    // What the Engine answers for a stopped container: empty memory_stats, zero CPU counters.
    const stopped = statsDocument.parse({
      read: '0001-01-01T00:00:00Z',
      cpu_stats: { cpu_usage: { total_usage: 0 } },
      precpu_stats: { cpu_usage: { total_usage: 0 } },
      memory_stats: {},
    });
    expect(containerFigures(stopped)).toEqual({ cpuPercent: 0 });
  });

  it('rejects a document whose counters are not numbers, naming the field', () => {
    const bad = statsDocument.safeParse({ cpu_stats: { cpu_usage: { total_usage: 'lots' } } });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['cpu_stats', 'cpu_usage', 'total_usage']);
  });
});
