// Running a probe in a test: made from YAML-shaped keys, run with a FakeClock, "must be up", a sample's value, and
// a timeout that fires at a fake instant the way the scheduler's does.
import { type Logger, pino } from 'pino';
import type { FakeClock } from '../../src/clock.js';
import { type ProbeConfig, probeConfig } from '../../src/config/probes.js';
import { formatDuration } from '../../src/duration.js';
import type { Probe, ProbeKind, ProbeResult } from '../../src/probes/probe.js';
import type { Sample } from '../../src/types.js';

const silent = pino({ level: 'silent' });

/** A probe and the fake clock it runs on; close() it after the test. */
export interface TestProbe {
  probe: Probe;
  clock: FakeClock;
  run(signal?: AbortSignal): Promise<ProbeResult>;
  /** Runs once and fails with the probe's reason unless it is up. */
  runUp(): Promise<Extract<ProbeResult, { up: true }>>;
}

/** Creates `kind` from YAML-shaped keys (name and every filled in), parsed by the real schema; silent by default. */
export function makeTestProbe<K extends ProbeConfig['kind']>(
  kind: ProbeKind<K>,
  keys: Record<string, unknown>,
  clock: FakeClock,
  log: Logger = silent,
): TestProbe {
  const config = probeConfig.parse({ name: 'probe', every: '30s', ...keys, kind: kind.kind });
  const probe = kind.create(config as Extract<ProbeConfig, { kind: K }>, { log, clock });
  const run = (signal = new AbortController().signal) => probe.run({ signal, clock, log });
  return {
    probe,
    clock,
    run,
    async runUp() {
      const result = await run();
      if (!result.up) throw new Error(`expected the probe up, it is down: ${result.reason}`);
      return result;
    },
  };
}

/** The value of sample `name` with exactly `labels`, if present. */
export function sampleValue(samples: readonly Sample[], name: string, labels: Record<string, string> = {}) {
  return samples.find((s) => s.name === name && JSON.stringify(s.labels) === JSON.stringify(labels))?.value;
}

/** A signal that aborts like the scheduler's timeout ("timed out after 5s") when `clock` has moved `ms` on. */
export function fakeTimeout(clock: FakeClock, ms: number): AbortSignal {
  const controller = new AbortController();
  clock.setTimeout(
    () => controller.abort(new DOMException(`timed out after ${formatDuration(ms)}`, 'TimeoutError')),
    ms,
  );
  return controller.signal;
}

/**
 * `promise` itself, with a rejection handler attached now. For a promise started before other awaits and awaited
 * later: a rejection in between would otherwise be unhandled, which fails the whole vitest run at random. The later
 * `await` still throws the rejection.
 */
export function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {});
  return promise;
}
