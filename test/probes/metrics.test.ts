import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { Counter, Histogram, Registry, type RegistryContentType } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { type MetricsProbeConfig, probeConfig } from '../../src/config/probes.js';
import metrics, { quantileName } from '../../src/probes/metrics.js';
import type { ProbeResult } from '../../src/probes/probe.js';
import type { Sample } from '../../src/types.js';
import { probeConformance } from '../support/conformance.js';
import { type HttpTarget, type Reply, startHttpTarget } from '../support/http-target.js';

probeConformance(metrics, ({ url }) => ({ url, histograms: [{ metric: 'http_request_duration_seconds' }] }));

const log = pino({ level: 'silent' });
const fixture = (name: string) => readFileSync(new URL(`../fixtures/metrics/${name}`, import.meta.url), 'utf8');
const TEXT = 'text/plain; version=0.0.4; charset=utf-8';
const close = (value: number) => expect.closeTo(value, 12);

let target: HttpTarget;
let paths = 0;
beforeAll(async () => {
  target = await startHttpTarget();
});
afterAll(() => target.close());

/** A metrics probe on its own path of the target, with a fake clock; `reply` answers its scrapes. */
function setup(keys: Record<string, unknown>, reply: Reply) {
  const path = `/metrics-${++paths}`;
  target.route(`GET ${path}`, reply);
  const config = probeConfig.parse({
    name: 'api_metrics',
    kind: 'metrics',
    every: '15s',
    url: `${target.url}${path}`,
    ...keys,
  });
  const clock = new FakeClock();
  const probe = metrics.create(config as MetricsProbeConfig, { log, clock });
  const run = (signal = new AbortController().signal) => probe.run({ signal, clock, log });
  /** Runs, then moves the clock on by `ms` for the next run. */
  const scrape = async (ms = 60_000) => {
    const result = await run();
    await clock.advance(ms);
    return result;
  };
  afterAll(() => probe.close?.());
  return { run, scrape, clock, path };
}

/** Serves the fixtures one per scrape, the last one again after that. */
function fixtures(...files: string[]): Reply {
  let next = 0;
  return (_req, res) => {
    const file = files[Math.min(next++, files.length - 1)] as string;
    res.writeHead(200, { 'content-type': TEXT }).end(fixture(file));
  };
}

function samplesOf(result: ProbeResult): Sample[] {
  if (!result.up) throw new Error(`probe down: ${result.reason}`);
  return result.samples;
}

describe('metrics probe on hand-written fixtures with known answers', () => {
  it('gives P50/P95/P99 per handler, P99 of /api/v1/tasks falling in the +Inf bucket', async () => {
    const { scrape } = setup(
      { histograms: [{ metric: 'http_request_duration_seconds', by: ['handler'] }] },
      fixtures('api-1.txt', 'api-2.txt'),
    );
    await scrape();
    // Increments over the 60 s (rates are these / 60; the quantile does not depend on the scale):
    // tasks cumulative 20, 40, 80, 96, 98, 100 → P50: rank 50 in (0.1, 0.25]: 0.1 + 0.15 × 10/40 = 0.1375;
    //   P95: rank 95 in (0.25, 0.5]: 0.25 + 0.25 × 15/16 = 0.484375; P99: rank 99 > 98 → +Inf bucket → 1.
    // health: 300 all ≤ 0.05 → 0.05 × q: 0.025, 0.0475, 0.0495.
    expect(samplesOf(await scrape())).toEqual([
      { name: 'latency_p50_seconds', labels: { handler: '/api/v1/tasks' }, value: close(0.1375) },
      { name: 'latency_p95_seconds', labels: { handler: '/api/v1/tasks' }, value: close(0.484375) },
      { name: 'latency_p99_seconds', labels: { handler: '/api/v1/tasks' }, value: 1 },
      { name: 'latency_p50_seconds', labels: { handler: '/health' }, value: close(0.025) },
      { name: 'latency_p95_seconds', labels: { handler: '/health' }, value: close(0.0475) },
      { name: 'latency_p99_seconds', labels: { handler: '/health' }, value: close(0.0495) },
    ]);
  });

  it('aggregates like sum by (le) when by is empty', async () => {
    const { scrape } = setup(
      { histograms: [{ metric: 'http_request_duration_seconds', as: 'api_latency' }] },
      fixtures('api-1.txt', 'api-2.txt'),
    );
    await scrape();
    // Summed increments 320, 340, 380, 396, 398, 400. P50: rank 200 in [0, 0.05]: 0.05 × 200/320 = 0.03125;
    // P95: rank 380 reaches 380 at le=0.25: 0.1 + 0.15 × 40/40 = 0.25; P99: rank 396 at le=0.5: 0.25 + 0.25 × 16/16.
    expect(samplesOf(await scrape())).toEqual([
      { name: 'api_latency_p50_seconds', labels: {}, value: close(0.03125) },
      { name: 'api_latency_p95_seconds', labels: {}, value: close(0.25) },
      { name: 'api_latency_p99_seconds', labels: {}, value: close(0.5) },
    ]);
  });

  it('gives request and error rates per handler and in total, with status codes written as 500', async () => {
    const { scrape } = setup(
      {
        rates: [
          { metric: 'http_requests_total', as: 'rps' },
          { metric: 'http_requests_total', by: ['handler'], as: 'handler_rps' },
        ],
        error_rates: [
          { metric: 'http_requests_total' },
          { metric: 'http_requests_total', by: ['handler'], as: 'handler_error_percent' },
        ],
      },
      fixtures('api-1.txt', 'api-2.txt'),
    );
    await scrape();
    // +90 (200) +6 (500) +4 (503) on tasks, +300 on health over 60 s: 400/60 req/s; errors 10 of 400 = 2.5 %.
    expect(samplesOf(await scrape())).toEqual([
      { name: 'rps', labels: {}, value: close(400 / 60) },
      { name: 'handler_rps', labels: { handler: '/api/v1/tasks' }, value: close(100 / 60) },
      { name: 'handler_rps', labels: { handler: '/health' }, value: close(5) },
      { name: 'error_percent', labels: {}, value: close(2.5) },
      { name: 'handler_error_percent', labels: { handler: '/api/v1/tasks' }, value: close(10) },
      { name: 'handler_error_percent', labels: { handler: '/health' }, value: 0 },
    ]);
  });

  it('reads a status label holding classes (5xx), where 4xx is not an error', async () => {
    const { scrape } = setup(
      { error_rates: [{ metric: 'http_requests_total' }] },
      fixtures('status-class-1.txt', 'status-class-2.txt'),
    );
    await scrape();
    expect(samplesOf(await scrape())).toEqual([{ name: 'error_percent', labels: {}, value: close(2) }]);
  });

  it('warms up on the first scrape: gauges only, no cannotMeasure', async () => {
    const { scrape } = setup(
      {
        histograms: [{ metric: 'http_request_duration_seconds' }],
        rates: [{ metric: 'http_requests_total', as: 'rps' }],
        gauges: [
          { metric: 'db_pool_connections', as: 'pool' },
          { metric: 'db_pool_connections', by: ['state'], as: 'pool_by_state' },
        ],
      },
      fixtures('api-1.txt', 'api-2.txt'),
    );
    const first = await scrape();
    expect(first).toEqual({
      up: true,
      samples: [
        { name: 'pool', labels: {}, value: 10 },
        { name: 'pool_by_state', labels: { state: 'idle' }, value: 7 },
        { name: 'pool_by_state', labels: { state: 'busy' }, value: 3 },
      ],
      detail: 'scraped 29 lines (1844 bytes), kept 18 series; warming up: first scrape',
    });
    expect(samplesOf(await scrape()).filter((s) => s.name.startsWith('pool'))).toEqual([
      { name: 'pool', labels: {}, value: 10 },
      { name: 'pool_by_state', labels: { state: 'idle' }, value: 4 },
      { name: 'pool_by_state', labels: { state: 'busy' }, value: 6 },
    ]);
  });

  it('emits no quantile and no error rate when the window saw no request, and says why', async () => {
    const { scrape } = setup(
      {
        histograms: [{ metric: 'http_request_duration_seconds' }],
        rates: [{ metric: 'http_requests_total', as: 'rps' }],
        error_rates: [{ metric: 'http_requests_total' }],
      },
      fixtures('api-1.txt'),
    );
    await scrape();
    const second = await scrape();
    expect(second.up && second.cannotMeasure).toBeUndefined();
    // The rate is a real 0; the quantiles and the error rate are NaN in PromQL, so they are not emitted.
    expect(samplesOf(second)).toEqual([{ name: 'rps', labels: {}, value: 0 }]);
    expect(second.detail).toContain(
      'latency: no observations in the last 5m, so no latency_p50_seconds, latency_p95_seconds, latency_p99_seconds (histogram_quantile is NaN)',
    );
    expect(second.detail).toContain('error_percent: no requests in the last 5m, so no error rate');
  });

  it('handles a counter reset like rate(): the counter restarted from 0', async () => {
    const { scrape } = setup(
      { rates: [{ metric: 'http_requests_total', as: 'rps' }] },
      fixtures('reset-1.txt', 'reset-2.txt', 'reset-3.txt'),
    );
    await scrape();
    expect(samplesOf(await scrape())).toEqual([{ name: 'rps', labels: {}, value: 1 }]); // +60 in 60 s
    // 1000 → 1060 → (restart) 30: +60 +30 = 90 in 120 s.
    expect(samplesOf(await scrape())).toEqual([{ name: 'rps', labels: {}, value: 0.75 }]);
  });

  it('divides by the time watched until a whole window has passed, then is exactly Prometheus rate()', async () => {
    const values = [1000, 1400, 2000, 2300, 2400]; // at t = 0, 50, 100, 150, 200 s
    let next = 0;
    const { scrape } = setup(
      { every: '50s', window: '2m', rates: [{ metric: 'http_requests_total', as: 'rps' }] },
      (_req, res) => {
        res.writeHead(200, { 'content-type': TEXT }).end(`http_requests_total ${values[next++]}\n`);
      },
    );
    const rps = async () => samplesOf(await scrape(50_000)).map((x) => x.value);
    expect(await rps()).toEqual([]);
    // t = 50 s: watched 50 s of the 2m: +400 / 50 s = 8. (Prometheus divides by the whole 120 s after extrapolating
    // only 25 s back: 400 × 75/50 / 120 = 5, a rate nobody had.)
    expect(await rps()).toEqual([close(8)]);
    expect(await rps()).toEqual([close(10)]); // t = 100 s: +1000 / 100 s
    // t = 150 s: the window (30 s, 150 s] holds 50, 100, 150 s: +900 over 100 s, 20 s from the window's start
    // (under 1.1 × 50 s), so extrapolated to the whole window: 900 × 120/100 = 1080 over 120 s = 9/s.
    expect(await rps()).toEqual([close(9)]);
    // t = 200 s: 100, 150, 200 s: +400 × 120/100 = 480 over 120 s = 4/s.
    expect(await rps()).toEqual([close(4)]);
  });

  it('drops a series that vanishes; one that comes back starts over', async () => {
    const health = 'http_requests_total{handler="/health",status="200"}';
    const tasks = 'http_requests_total{handler="/api/v1/tasks",status="200"}';
    const bodies = [
      `${health} 100\n${tasks} 10\n`,
      `${health} 160\n${tasks} 70\n`,
      `${tasks} 130\n`,
      `${health} 400\n${tasks} 190\n`,
      `${health} 460\n${tasks} 250\n`,
    ];
    let next = 0;
    const { scrape } = setup(
      { rates: [{ metric: 'http_requests_total', by: ['handler'], as: 'rps' }] },
      (_req, res) => {
        res.writeHead(200, { 'content-type': TEXT }).end(bodies[next++]);
      },
    );
    await scrape();
    expect(samplesOf(await scrape()).map((s) => s.labels.handler)).toEqual(['/health', '/api/v1/tasks']);
    expect(samplesOf(await scrape())).toEqual([{ name: 'rps', labels: { handler: '/api/v1/tasks' }, value: 1 }]);
    // /health is back at 400: a single point, no rate yet (its old 160 is gone: this is not a counter reset).
    expect(samplesOf(await scrape())).toEqual([{ name: 'rps', labels: { handler: '/api/v1/tasks' }, value: 1 }]);
    // Now /health has 400 → 460 at 180 s and 240 s: a series that began inside the range [0, 240 s], so rate()
    // extrapolates its +60 by half an interval (30 s) only: 60 × 90/60 = 90, over 240 s = 0.375/s.
    expect(samplesOf(await scrape())).toEqual([
      { name: 'rps', labels: { handler: '/api/v1/tasks' }, value: 1 },
      { name: 'rps', labels: { handler: '/health' }, value: 0.375 },
    ]);
  });

  it('warms up again after a gap longer than the window', async () => {
    const { scrape } = setup(
      { rates: [{ metric: 'http_requests_total', as: 'rps' }] },
      fixtures('reset-1.txt', 'reset-2.txt'),
    );
    await scrape(400_000);
    const result = await scrape();
    expect(samplesOf(result)).toEqual([]);
    expect(result.detail).toContain('warming up: no successful scrape in the 5m before this one');
  });

  it('leaves out a NaN gauge with a note, and survives two scrapes in the same millisecond', async () => {
    const { run } = setup(
      { gauges: [{ metric: 'queue_depth', as: 'queue' }], rates: [{ metric: 'http_requests_total', as: 'rps' }] },
      (_req, res) => res.writeHead(200, { 'content-type': TEXT }).end('queue_depth NaN\nhttp_requests_total 5\n'),
    );
    await run();
    const again = await run();
    expect(samplesOf(again)).toEqual([]);
    expect(again.detail).toContain('queue is NaN (a NaN in the exposition), not emitted');
    expect(again.detail).toContain('rps: no http_requests_total series was in two scrapes of the window yet');
  });

  it('keeps only the series its match selects', async () => {
    const { scrape } = setup(
      {
        rates: [
          { metric: 'http_requests_total', match: { handler: '/api/v1/tasks', status: '=~5..' }, as: 'task_errors' },
        ],
      },
      fixtures('api-1.txt', 'api-2.txt'),
    );
    expect((await scrape()).detail).toContain('kept 2 series');
    expect(samplesOf(await scrape())).toEqual([{ name: 'task_errors', labels: {}, value: close(10 / 60) }]);
  });
});

describe('metrics probe when it cannot measure', () => {
  it('says which configured metric is missing from the exposition', async () => {
    const { run } = setup(
      {
        histograms: [{ metric: 'http_request_duration_seconds' }],
        rates: [{ metric: 'http_requests_totl', as: 'rps' }],
        error_rates: [{ metric: 'http_requests_total', match: { handler: '/nope' } }],
      },
      fixtures('api-1.txt'),
    );
    const result = await run();
    expect(result).toMatchObject({
      up: true,
      cannotMeasure:
        'metric http_requests_totl not found in exposition; no series of http_requests_total match {handler="/nope"}',
    });
  });

  it('only notes a metric declared by # TYPE that has no series yet', async () => {
    const { run } = setup({ histograms: [{ metric: 'http_request_duration_seconds' }] }, (_req, res) => {
      res.writeHead(200, { 'content-type': TEXT }).end('# TYPE http_request_duration_seconds histogram\nup 1\n');
    });
    const result = await run();
    expect(result.up && result.cannotMeasure).toBeUndefined();
    expect(result.detail).toContain('http_request_duration_seconds is declared but has no series yet');
  });

  it('reports a malformed exposition with its line number, as cannot measure with up: true', async () => {
    const { run } = setup({ rates: [{ metric: 'http_requests_total', as: 'rps' }] }, fixtures('malformed.txt'));
    expect(await run()).toEqual({
      up: true,
      samples: [],
      cannotMeasure: `exposition from 127.0.0.1:${target.port} does not parse: line 7: expected a label name after ",", found "="`,
    });
  });

  it('reports an OpenMetrics body cut before # EOF', async () => {
    const { run } = setup({ rates: [{ metric: 'http_requests_total', as: 'rps' }] }, (_req, res) => {
      res
        .writeHead(200, { 'content-type': 'application/openmetrics-text; version=1.0.0' })
        .end('http_requests_total 1\n');
    });
    expect(await run()).toMatchObject({
      up: true,
      cannotMeasure: expect.stringContaining('line 1: the OpenMetrics exposition ends without "# EOF"'),
    });
  });

  it('treats 401 and 403 as up but not measurable, other statuses as down, with the first 200 bytes', async () => {
    const denied = setup({ rates: [{ metric: 'x', as: 'x' }] }, { status: 401, body: 'token expired\n\nsee /login' });
    expect(await denied.run()).toEqual({
      up: true,
      samples: [],
      cannotMeasure: `status 401 from 127.0.0.1:${target.port}: "token expired see /login"`,
    });
    const down = setup({ rates: [{ metric: 'x', as: 'x' }] }, { status: 503, body: 'x'.repeat(300) });
    expect(await down.run()).toEqual({
      up: false,
      reason: `status 503 from 127.0.0.1:${target.port}: "${'x'.repeat(200)}"`,
    });
  });

  it('sends the configured headers and asks for the text format first', async () => {
    const { run, path } = setup(
      { headers: { Authorization: 'Bearer t0ken' }, rates: [{ metric: 'http_requests_total', as: 'rps' }] },
      fixtures('reset-1.txt'),
    );
    await run();
    const request = target.requests.findLast((r) => r.path === path);
    expect(request?.headers.authorization).toBe('Bearer t0ken');
    expect(request?.headers.accept).toMatch(/^text\/plain;version=0\.0\.4;q=0\.9,application\/openmetrics-text/);
  });
});

describe.each([
  ['text 0.0.4', Registry.PROMETHEUS_CONTENT_TYPE],
  ['OpenMetrics', Registry.OPENMETRICS_CONTENT_TYPE],
] as const)('metrics probe on prom-client (%s)', (_format, contentType) => {
  it('gives the known quantiles, request rate and error rate between two scrapes', async () => {
    const registry = new Registry<RegistryContentType>();
    registry.setContentType(contentType);
    const latency = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Request latency.',
      labelNames: ['handler'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry],
    });
    const requests = new Counter({
      name: 'http_requests_total',
      help: 'Requests served.',
      labelNames: ['method', 'status'],
      registers: [registry],
    });
    const observe = (value: number, times: number) => {
      for (let i = 0; i < times; i++) latency.observe({ handler: '/api/v1/tasks' }, value);
    };
    observe(0.2, 7);
    requests.inc({ method: 'GET', status: '200' }, 1000);
    requests.inc({ method: 'POST', status: '500' }, 3);
    requests.inc({ method: 'GET', status: '503' }, 1);
    const { scrape } = setup(
      {
        histograms: [{ metric: 'http_request_duration_seconds' }],
        rates: [{ metric: 'http_requests_total', as: 'rps' }],
        error_rates: [{ metric: 'http_requests_total' }],
      },
      (_req, res) => {
        void registry.metrics().then((body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body));
      },
    );
    expect(samplesOf(await scrape())).toEqual([]);
    // The same 100 observations as /api/v1/tasks in the fixtures: 20 ≤ 0.05, 20 ≤ 0.1, 40 ≤ 0.25, 16 ≤ 0.5, 2 ≤ 1, 2 above.
    observe(0.03, 20);
    observe(0.07, 20);
    observe(0.2, 40);
    observe(0.3, 16);
    observe(0.7, 2);
    observe(3, 2);
    requests.inc({ method: 'GET', status: '200' }, 90);
    requests.inc({ method: 'POST', status: '500' }, 6);
    requests.inc({ method: 'GET', status: '503' }, 4);
    expect(samplesOf(await scrape())).toEqual([
      { name: 'latency_p50_seconds', labels: {}, value: close(0.1375) },
      { name: 'latency_p95_seconds', labels: {}, value: close(0.484375) },
      { name: 'latency_p99_seconds', labels: {}, value: 1 },
      { name: 'rps', labels: {}, value: close(100 / 60) },
      { name: 'error_percent', labels: {}, value: close(10) },
    ]);
  });
});

describe('metrics probe on a large exposition', () => {
  it('streams a 100,000-series body and keeps only the configured series', async () => {
    const body = (round: number) => {
      const lines: string[] = ['# TYPE http_request_duration_seconds histogram'];
      for (const [le, count] of [
        ['0.1', 50],
        ['0.5', 90],
        ['+Inf', 100],
      ] as const) {
        lines.push(`http_request_duration_seconds_bucket{le="${le}"} ${count * round}`);
      }
      for (let f = 0; f < 100; f++) {
        lines.push(`# TYPE noise_${f}_total counter`);
        for (let s = 0; s < 1000; s++)
          lines.push(`noise_${f}_total{handler="/api/v1/resources/item_${s}",method="GET"} ${s * round}`);
      }
      return `${lines.join('\n')}\n`;
    };
    let round = 0;
    const { scrape } = setup(
      { histograms: [{ metric: 'http_request_duration_seconds', quantiles: [0.5, 0.999] }] },
      (_req, res) => {
        res.writeHead(200, { 'content-type': TEXT }).end(body(++round));
      },
    );
    const first = await scrape();
    expect(first.detail).toMatch(/^scraped 100104 lines \(\d+ bytes\), kept 3 series; warming up: first scrape$/);
    // +50 ≤ 0.1, +90 ≤ 0.5, +100 in all. P50 = 0.1 × 50/50; P99.9: rank 99.9 > 90 → +Inf bucket → 0.5.
    expect(samplesOf(await scrape())).toEqual([
      { name: 'latency_p50_seconds', labels: {}, value: close(0.1) },
      { name: 'latency_p99_9_seconds', labels: {}, value: 0.5 },
    ]);
  });
});

describe('quantileName', () => {
  it.each([
    [0.5, 'p50'],
    [0.95, 'p95'],
    [0.99, 'p99'],
    [0.999, 'p99_9'],
    [0.07, 'p7'],
    [0.125, 'p12_5'],
  ])('%s → %s', (q, name) => {
    expect(quantileName(q)).toBe(name);
  });
});
