// A loopback /metrics target for metrics probe tests: each probe gets its own path on one HTTP target, its own fake
// clock, and a reply per scrape (fixture files in turn, or a handler).
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, onTestFinished } from 'vitest';
import { type Clock, FakeClock } from '../../src/clock.js';
import { type MetricsProbeConfig, probeConfig } from '../../src/config/probes.js';
import metrics from '../../src/probes/metrics.js';
import type { ProbeResult } from '../../src/probes/probe.js';
import type { Sample } from '../../src/types.js';
import { type HttpTarget, type Reply, startHttpTarget } from './http-target.js';

/** The content type of the classic text format, as prom-client sends it. */
export const TEXT_FORMAT = 'text/plain; version=0.0.4; charset=utf-8';

/** test/fixtures/metrics/<name>. */
export function metricsFixture(name: string): string {
  return readFileSync(new URL(`../fixtures/metrics/${name}`, import.meta.url), 'utf8');
}

/** Answers each scrape with the next fixture, the last one again after that. */
export function fixtures(...files: string[]): Reply {
  let next = 0;
  return (_req, res) => {
    const file = files[Math.min(next++, files.length - 1)] as string;
    res.writeHead(200, { 'content-type': TEXT_FORMAT }).end(metricsFixture(file));
  };
}

/** A known answer, to 12 decimals: rates and quantiles divide by interval lengths, so the last bits may differ. */
export const near = (value: number) => expect.closeTo(value, 12);

/** The samples of a result that must be up. */
export function samplesOf(result: ProbeResult): Sample[] {
  if (!result.up) throw new Error(`probe down: ${result.reason}`);
  return result.samples;
}

/** One probe under test. */
export interface MetricsProbeHandle {
  /** One run, on the handle's clock or on `clock` (a clock that went back, say). */
  run(signal?: AbortSignal, clock?: Clock): Promise<ProbeResult>;
  /** Runs, then moves the clock on by `ms` (60 s by default) for the next run. */
  scrape(ms?: number): Promise<ProbeResult>;
  clock: FakeClock;
  /** The path its scrapes ask for. */
  path: string;
}

export interface MetricsTarget {
  http: HttpTarget;
  /** A probe named api_metrics (every 15s) with `keys`, scraping a fresh path answered by `reply`; closed after the test. */
  probe(keys: Record<string, unknown>, reply: Reply): MetricsProbeHandle;
}

export async function startMetricsTarget(): Promise<MetricsTarget> {
  const http = await startHttpTarget();
  const log = pino({ level: 'silent' });
  let paths = 0;
  return {
    http,
    probe(keys, reply) {
      const path = `/metrics-${++paths}`;
      http.route(`GET ${path}`, reply);
      const input = { name: 'api_metrics', kind: 'metrics', every: '15s', url: `${http.url}${path}`, ...keys };
      const clock = new FakeClock();
      const probe = metrics.create(probeConfig.parse(input) as MetricsProbeConfig, { log, clock });
      onTestFinished(() => probe.close?.());
      const run = (signal = new AbortController().signal, at: Clock = clock) => probe.run({ signal, clock: at, log });
      const scrape = async (ms = 60_000) => {
        const result = await run();
        await clock.advance(ms);
        return result;
      };
      return { run, scrape, clock, path };
    },
  };
}

/** A target started before the calling file's tests and closed after them; use it inside tests. */
export function useMetricsTarget(): MetricsTarget {
  let target: MetricsTarget | undefined;
  beforeAll(async () => {
    target = await startMetricsTarget();
  });
  afterAll(() => target?.http.close());
  const started = () => {
    if (!target) throw new Error('the metrics target is used before beforeAll started it');
    return target;
  };
  return {
    get http() {
      return started().http;
    },
    probe: (keys, reply) => started().probe(keys, reply),
  };
}
