// The scheduler on a FakeClock, with scripted probes (the Probe interface is the seam; real probes are tested
// against real targets in test/probes/).
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../src/clock.js';
import { type ProbeConfig, probeConfig } from '../src/config/probes.js';
import { ABANDON_AFTER_MS } from '../src/probes/guarded-run.js';
import { abortReason } from '../src/probes/net-failure.js';
import type { Probe, ProbeContext, ProbeResult } from '../src/probes/probe.js';
import { type RunTiming, Scheduler } from '../src/scheduler.js';
import type { Sample } from '../src/types.js';
import { worstRegexText } from './support/worst-regex-text.js';

const log = pino({ level: 'silent' });
const START = Date.UTC(2026, 0, 1);

function probe(name: string, over: Record<string, unknown> = {}): ProbeConfig {
  return probeConfig.parse({ name, kind: 'http', url: 'http://127.0.0.1:1/', every: '10s', timeout: '5s', ...over });
}

interface Delivered {
  probe: string;
  result: ProbeResult;
  samples: Sample[];
  at: number;
  timing: RunTiming;
}

/** What a scripted probe does on each run: answer at once (default), or be driven by the test. */
type Script = (ctx: ProbeContext, runIndex: number) => Promise<ProbeResult>;
const upAtOnce: Script = async () => ({ up: true, samples: [{ name: 'value', labels: { q: '1' }, value: 7 }] });
/** Never answers until the signal aborts; then answers down with the abort's reason. */
const hangUntilAborted: Script = ({ signal }) =>
  new Promise((resolve) =>
    signal.addEventListener('abort', () => resolve({ up: false, reason: abortReason(signal) }), { once: true }),
  );

function setup(probes: ProbeConfig[], scripts: Record<string, Script> = {}, timezone?: string) {
  const clock = new FakeClock(START);
  const delivered: Delivered[] = [];
  const created: string[] = [];
  const closed: string[] = [];
  const starts: Record<string, number[]> = {};
  const scheduler = new Scheduler(probes, {
    clock,
    log,
    timezone,
    onResult: (name, result, samples, at, timing) => delivered.push({ probe: name, result, samples, at, timing }),
    createProbe: (config): Probe => {
      created.push(config.name);
      let runs = 0;
      return {
        run: (ctx) => {
          starts[config.name] = [...(starts[config.name] ?? []), clock.now()];
          return (scripts[config.name] ?? upAtOnce)(ctx, runs++);
        },
        close: async () => {
          closed.push(config.name);
        },
      };
    },
  });
  return { clock, scheduler, delivered, created, closed, starts };
}

describe('Scheduler', () => {
  it('runs each probe every `every`, its first run spread within min(every, 30 s) by a phase fixed by its name', async () => {
    const names = Array.from({ length: 200 }, (_, i) => `probe_${i}`);
    const { clock, scheduler, starts } = setup(names.map((n) => probe(n, { every: '1m' })));
    scheduler.start();
    await clock.advance(30_000);
    const firsts = names.map((n) => starts[n]?.[0] ?? Number.NaN);
    expect(firsts.every((t) => t >= START && t < START + 30_000)).toBe(true);
    // Spread: 200 probes over 30 s land on (nearly) as many distinct milliseconds.
    expect(new Set(firsts).size).toBeGreaterThan(195);
    await clock.advance(150_000);
    for (const n of names) {
      const [first = 0] = starts[n] ?? [];
      expect(starts[n]).toEqual([first, first + 60_000, first + 120_000]);
    }
    // Deterministic: another scheduler puts the same probe at the same phase.
    const again = setup([probe('probe_7', { every: '1m' })]);
    again.scheduler.start();
    await again.clock.advance(60_000);
    expect(again.starts.probe_7?.[0]).toBe(firsts[7]);
    await scheduler.stop(0);
    await again.scheduler.stop(0);
  });

  it('keeps a short interval within one period for its first run', async () => {
    const { clock, scheduler, starts } = setup([probe('fast', { every: '2s' })]);
    scheduler.start();
    await clock.advance(2_000);
    expect(starts.fast?.[0]).toBeLessThan(START + 2_000);
    await scheduler.stop(0);
  });

  it('delivers prefixed samples with the static labels, plus up and duration_seconds', async () => {
    const slow: Script = async ({ clock, signal }) => {
      await clock.sleep(1_500, signal);
      return { up: true, samples: [{ name: 'latency_seconds', labels: { route: '/x', env: 'own' }, value: 0.2 }] };
    };
    const { clock, scheduler, delivered } = setup([probe('api', { labels: { env: 'prod', team: 'ops' } })], {
      api: slow,
    });
    scheduler.start();
    await clock.advance(12_000);
    const [first] = delivered;
    expect(first?.probe).toBe('api');
    expect(first?.samples).toEqual([
      { name: 'api.latency_seconds', labels: { env: 'own', team: 'ops', route: '/x' }, value: 0.2 },
      { name: 'api.up', labels: { env: 'prod', team: 'ops' }, value: 1 },
      { name: 'api.duration_seconds', labels: { env: 'prod', team: 'ops' }, value: 1.5 },
    ]);
    expect(first?.timing).toEqual({ scheduledAt: first?.at, startedAt: first?.at, durationMs: 1_500 });
    await scheduler.stop(0);
  });

  it('aborts a run at its timeout, with the timeout in the reason', async () => {
    const { clock, scheduler, delivered, starts } = setup([probe('api', { timeout: '5s', every: '1m' })], {
      api: hangUntilAborted,
    });
    scheduler.start();
    await clock.advance(30_000);
    const started = starts.api?.[0] ?? 0;
    expect(delivered).toHaveLength(1);
    expect(delivered[0]?.result).toEqual({ up: false, reason: 'timed out after 5s' });
    expect(delivered[0]?.samples.find((s) => s.name === 'api.up')?.value).toBe(0);
    expect(delivered[0]?.timing.durationMs).toBe(5_000);
    expect(delivered[0]?.at).toBe(started);
    expect(scheduler.stats().get('api')).toMatchObject({ runs: 1, failures: 1, running: false });
    await scheduler.stop(0);
  });

  it('gives up on a probe that ignores its signal, a moment after the timeout', async () => {
    const { clock, scheduler, delivered } = setup([probe('stuck', { timeout: '5s', every: '1m' })], {
      stuck: () => new Promise(() => {}),
    });
    scheduler.start();
    await clock.advance(30_000 + 5_000 + ABANDON_AFTER_MS);
    expect(delivered.map((d) => d.result)).toEqual([
      { up: false, reason: 'timed out after 5s; the probe did not stop when asked' },
    ]);
    await scheduler.stop(0);
  });

  it('turns a throw into up: 0 with the message, and counts it as a failure', async () => {
    const { clock, scheduler, delivered } = setup([probe('buggy')], {
      buggy: async () => {
        throw new TypeError("Cannot read properties of undefined (reading 'x')");
      },
    });
    scheduler.start();
    await clock.advance(10_000);
    expect(delivered[0]?.result).toEqual({
      up: false,
      reason: "probe failed: Cannot read properties of undefined (reading 'x')",
    });
    expect(scheduler.stats().get('buggy')).toMatchObject({ runs: 1, failures: 1 });
    await scheduler.stop(0);
  });

  it('never overlaps a probe with itself: runs falling due meanwhile are skipped and counted', async () => {
    let release: (r: ProbeResult) => void = () => {};
    const script: Script = (_ctx, i) =>
      i === 0
        ? new Promise((resolve) => {
            release = resolve;
          })
        : upAtOnce(_ctx, i);
    const { clock, scheduler, starts } = setup([probe('slow', { every: '10s', timeout: '2m' })], { slow: script });
    scheduler.start();
    await clock.advance(10_000);
    const first = starts.slow?.[0] ?? 0;
    await clock.advanceTo(first + 35_000);
    expect(starts.slow).toHaveLength(1);
    expect(scheduler.stats().get('slow')).toMatchObject({ runs: 0, skips: 3, running: true });
    release({ up: true, samples: [] });
    await clock.advanceTo(first + 40_000);
    expect(starts.slow).toEqual([first, first + 40_000]);
    expect(scheduler.stats().get('slow')).toMatchObject({ runs: 2, skips: 3, running: false });
    await scheduler.stop(0);
  });

  it('runs a probe sooner when asked, and keeps its schedule', async () => {
    const { clock, scheduler, starts } = setup([probe('api', { every: '1m' })]);
    scheduler.start();
    const first = scheduler.stats().get('api')?.nextRunAt ?? 0;
    await clock.advanceTo(first + 1_000);
    expect(scheduler.runSoon('api', 5_000)).toBe(true);
    expect(scheduler.runSoon('api', 8_000)).toBe(true); // a sooner request is pending: nothing more
    await clock.advanceTo(first + 59_000);
    expect(starts.api).toEqual([first, first + 6_000]);
    expect(scheduler.runSoon('api', 30_000)).toBe(true); // the regular run comes first
    await clock.advanceTo(first + 121_000);
    expect(starts.api).toEqual([first, first + 6_000, first + 60_000, first + 120_000]);
    expect(scheduler.runSoon('nope', 1_000)).toBe(false);
    await scheduler.stop(0);
  });

  it('can be asked for a run from within onResult (rules confirming a breach)', async () => {
    const clock = new FakeClock(START);
    const starts: number[] = [];
    const scheduler: Scheduler = new Scheduler([probe('api', { every: '1m' })], {
      clock,
      log,
      onResult: (name, result) => {
        if (result.up && starts.length === 1) scheduler.runSoon(name, 0);
      },
      createProbe: () => ({
        run: async () => {
          starts.push(clock.now());
          return { up: true, samples: [] };
        },
      }),
    });
    scheduler.start();
    await clock.advance(30_000);
    expect(starts).toHaveLength(2);
    expect(starts[1]).toBe(starts[0]);
    await scheduler.stop(0);
  });

  it('stop waits for runs in flight up to its bound, then aborts the rest and closes every probe', async () => {
    const quick: Script = async ({ clock }) => {
      await clock.sleep(25_000 - (clock.now() - START));
      return { up: true, samples: [] };
    };
    const { clock, scheduler, delivered, closed } = setup(
      [probe('quick', { every: '20s', timeout: '1m' }), probe('hung', { every: '20s', timeout: '1m' })],
      { quick, hung: hangUntilAborted },
    );
    scheduler.start();
    await clock.advanceTo(START + 20_000);
    expect(scheduler.stats().get('quick')?.running).toBe(true);
    expect(scheduler.stats().get('hung')?.running).toBe(true);
    let stopped = false;
    const stopping = scheduler.stop(10_000).then(() => {
      stopped = true;
    });
    await clock.advanceTo(START + 29_999);
    expect(stopped).toBe(false);
    expect(delivered.map((d) => d.probe)).toEqual(['quick']);
    await clock.advanceTo(START + 30_000);
    await stopping;
    expect(delivered.map((d) => d.probe)).toEqual(['quick']); // the aborted run says nothing about its target
    expect(closed.sort()).toEqual(['hung', 'quick']);
    expect(clock.pending).toBe(0);
  });

  it('runs cron probes at their fire times in the timezone, with a phase under min(gap, 5 s)', async () => {
    // 09:00 in Guayaquil (UTC-5) is 14:00 UTC.
    const { clock, scheduler, starts } = setup(
      [probe('daily', { every: undefined, cron: '0 9 * * *' })],
      {},
      'America/Guayaquil',
    );
    scheduler.start();
    await clock.advanceTo(Date.UTC(2026, 0, 2, 15));
    const [d1 = 0, d2 = 0] = starts.daily ?? [];
    expect(starts.daily).toHaveLength(2);
    expect(d1 - Date.UTC(2026, 0, 1, 14)).toBeGreaterThanOrEqual(0);
    expect(d1 - Date.UTC(2026, 0, 1, 14)).toBeLessThan(5_000);
    expect(d2 - d1).toBe(86_400_000);
    expect(scheduler.stats().get('daily')?.nextRunAt).toBe(d2 + 86_400_000);
    await scheduler.stop(0);
  });

  it('reload keeps unchanged probes (same instance, state, schedule), replaces changed ones, closes removed ones', async () => {
    const { clock, scheduler, created, closed, starts } = setup([
      probe('same'),
      probe('changed'),
      probe('removed'),
      probe('secret', { url: 'http://u:one@127.0.0.1:1/' }),
    ]);
    scheduler.start();
    await clock.advance(30_000);
    const before = scheduler.stats();
    scheduler.reload([
      probe('same'),
      probe('changed', { timeout: '7s' }),
      probe('secret', { url: 'http://u:two@127.0.0.1:1/' }),
      probe('added'),
    ]);
    await clock.advance(0);
    expect(created).toEqual(['same', 'changed', 'removed', 'secret', 'changed', 'secret', 'added']);
    expect(closed.sort()).toEqual(['changed', 'removed', 'secret']);
    const after = scheduler.stats();
    expect(after.get('same')).toEqual(before.get('same'));
    expect(after.get('changed')?.runs).toBe(0);
    expect([...after.keys()].sort()).toEqual(['added', 'changed', 'same', 'secret']);
    const sameRuns = starts.same?.length ?? 0;
    await clock.advance(10_000);
    expect(starts.same).toHaveLength(sameRuns + 1);
    await scheduler.stop(0);
  });

  it('reload compares a probe whose match regex has run by its data (review r13g D2)', async () => {
    // Once its DFA gave up, re2js kept a machine pointing back at the regex: JSON.stringify of the config threw.
    const metrics = (route: string) =>
      probe('api', {
        kind: 'metrics',
        url: 'http://127.0.0.1:1/metrics',
        rates: [{ metric: 'r', as: 'rps', match: { route } }],
      });
    const running = metrics('=~.*a.{999}b');
    const regex = (running as { rates: { match: { regex?: { test(s: string): boolean } }[] }[] }).rates[0]?.match[0]
      ?.regex;
    const { clock, scheduler, created } = setup([running]);
    scheduler.start();
    expect(regex?.test(worstRegexText(4_000))).toBe(false);
    scheduler.reload([running]);
    scheduler.reload([metrics('=~.*a.{998}b')]);
    await clock.advance(0);
    expect(created).toEqual(['api', 'api']);
    await scheduler.stop(0);
  });

  it('drops the result of a run in flight when its probe is replaced', async () => {
    const { clock, scheduler, delivered } = setup([probe('api', { timeout: '1m' })], { api: hangUntilAborted });
    scheduler.start();
    await clock.advance(10_000);
    expect(scheduler.stats().get('api')?.running).toBe(true);
    scheduler.reload([probe('api', { timeout: '2m' })]);
    await clock.advance(0);
    expect(delivered).toEqual([]);
    await scheduler.stop(0);
  });

  it('keeps going when onResult throws', async () => {
    const clock = new FakeClock(START);
    let calls = 0;
    const scheduler = new Scheduler([probe('api')], {
      clock,
      log,
      onResult: () => {
        calls++;
        throw new Error('rules blew up');
      },
      createProbe: () => ({ run: async () => ({ up: true, samples: [] }) }),
    });
    scheduler.start();
    await clock.advance(30_000);
    expect(calls).toBeGreaterThanOrEqual(2);
    await scheduler.stop(0);
  });
});
