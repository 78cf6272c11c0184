import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import metrics, { quantileName } from '../../src/probes/metrics.js';
import { probeConformance } from '../support/conformance.js';
import { fixtures, near, samplesOf, TEXT_FORMAT, useMetricsTarget } from '../support/metrics-target.js';

// Known answers from hand-written expositions (test/fixtures/metrics), each worked out in a comment. Scraping real
// targets (prom-client, a 100,000-series body, HTTP failures, TLS) is in metrics-scrape.test.ts.

probeConformance(metrics, ({ url }) => ({ url, histograms: [{ metric: 'http_request_duration_seconds' }] }));

const target = useMetricsTarget();
const setup = target.probe;

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
      { name: 'latency_p50_seconds', labels: { handler: '/api/v1/tasks' }, value: near(0.1375) },
      { name: 'latency_p95_seconds', labels: { handler: '/api/v1/tasks' }, value: near(0.484375) },
      { name: 'latency_p99_seconds', labels: { handler: '/api/v1/tasks' }, value: 1 },
      { name: 'latency_p50_seconds', labels: { handler: '/health' }, value: near(0.025) },
      { name: 'latency_p95_seconds', labels: { handler: '/health' }, value: near(0.0475) },
      { name: 'latency_p99_seconds', labels: { handler: '/health' }, value: near(0.0495) },
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
      { name: 'api_latency_p50_seconds', labels: {}, value: near(0.03125) },
      { name: 'api_latency_p95_seconds', labels: {}, value: near(0.25) },
      { name: 'api_latency_p99_seconds', labels: {}, value: near(0.5) },
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
      { name: 'rps', labels: {}, value: near(400 / 60) },
      { name: 'handler_rps', labels: { handler: '/api/v1/tasks' }, value: near(100 / 60) },
      { name: 'handler_rps', labels: { handler: '/health' }, value: near(5) },
      { name: 'error_percent', labels: {}, value: near(2.5) },
      { name: 'handler_error_percent', labels: { handler: '/api/v1/tasks' }, value: near(10) },
      { name: 'handler_error_percent', labels: { handler: '/health' }, value: 0 },
    ]);
  });

  it('reads a status label holding classes (5xx), where 4xx is not an error', async () => {
    const { scrape } = setup(
      { error_rates: [{ metric: 'http_requests_total' }] },
      fixtures('status-class-1.txt', 'status-class-2.txt'),
    );
    await scrape();
    expect(samplesOf(await scrape())).toEqual([{ name: 'error_percent', labels: {}, value: near(2) }]);
  });

  it('matches error_status against the whole label value, in time linear in it (V8 would not finish)', async () => {
    // (5+)+x over a status of forty 5s is 2^40 steps for a backtracking engine; (?i) is RE2's, as in Prometheus.
    const statuses = { '200': 80, '503': 6, '5XX': 4, [`${'5'.repeat(40)}`]: 10, x503: 10 };
    let scrapes = 0;
    const { scrape } = setup(
      { error_rates: [{ metric: 'http_requests_total', error_status: '(5+)+x|5\\d\\d|(?i)5xx' }] },
      (_req, res) => {
        const n = scrapes++;
        const lines = Object.entries(statuses).map(([s, v]) => `http_requests_total{status="${s}"} ${n * v}`);
        res.writeHead(200, { 'content-type': TEXT_FORMAT }).end(`${lines.join('\n')}\n`);
      },
    );
    await scrape();
    // Errors: 503 and 5XX, 10 of 110 requests; the forty 5s and x503 are not errors (not a whole match).
    expect(samplesOf(await scrape())).toEqual([{ name: 'error_percent', labels: {}, value: near(1000 / 110) }]);
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

  it('groups by and judges a status label named like a property of every object as a label like any other', async () => {
    // Fuzz (issue 13): by: [constructor] read Object.prototype.constructor for a series without that label, and the
    // probe threw 'text.codePointAt is not a function'.
    const { scrape } = setup(
      {
        gauges: [{ metric: 'up', by: ['constructor'], as: 'g' }],
        error_rates: [{ metric: 'http_requests_total', status_label: 'toString', as: 'errors' }],
      },
      (_req, res) =>
        res
          .writeHead(200, { 'content-type': TEXT_FORMAT })
          .end('up 1\nup{constructor="x"} 2\nhttp_requests_total{toString="500"} 1\nhttp_requests_total 1\n'),
    );
    const grouped: Record<string, string>[] = [{}, { constructor: 'x' }];
    expect(samplesOf(await scrape())).toEqual([
      { name: 'g', labels: grouped[0], value: 1 },
      { name: 'g', labels: grouped[1], value: 2 },
    ]);
    expect((await scrape()).up).toBe(true);
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

  it('shows ten notes at most in its detail, and how many more there were', async () => {
    const body = Array.from({ length: 500 }, (_, i) => `http_requests_total{path="/p${i}",status="200"} 5`).join('\n');
    const { scrape } = setup({ error_rates: [{ metric: 'http_requests_total', by: ['path'] }] }, (_req, res) =>
      res.writeHead(200, { 'content-type': TEXT_FORMAT }).end(`${body}\n`),
    );
    await scrape();
    const second = await scrape();
    const detail = second.up ? (second.detail ?? '') : '';
    expect(detail.match(/no requests in the last 5m/g)).toHaveLength(10);
    expect(detail).toMatch(/; and 490 more notes like these$/);
    expect(detail.length).toBeLessThan(2_000);
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
        res.writeHead(200, { 'content-type': TEXT_FORMAT }).end(`http_requests_total ${values[next++]}\n`);
      },
    );
    const rps = async () => samplesOf(await scrape(50_000)).map((x) => x.value);
    expect(await rps()).toEqual([]);
    // t = 50 s: watched 50 s of the 2m: +400 / 50 s = 8. (Prometheus divides by the whole 120 s after extrapolating
    // only 25 s back: 400 × 75/50 / 120 = 5, a rate nobody had.)
    expect(await rps()).toEqual([near(8)]);
    expect(await rps()).toEqual([near(10)]); // t = 100 s: +1000 / 100 s
    // t = 150 s: the window (30 s, 150 s] holds 50, 100, 150 s: +900 over 100 s, 20 s from the window's start
    // (under 1.1 × 50 s), so extrapolated to the whole window: 900 × 120/100 = 1080 over 120 s = 9/s.
    expect(await rps()).toEqual([near(9)]);
    // t = 200 s: 100, 150, 200 s: +400 × 120/100 = 480 over 120 s = 4/s.
    expect(await rps()).toEqual([near(4)]);
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
        res.writeHead(200, { 'content-type': TEXT_FORMAT }).end(bodies[next++]);
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

  it('computes window: scrape items between the last two scrapes, beside the windowed ones', async () => {
    // Two counters (200 and 500) and a histogram, scraped every 50 s (t = 0, 50, 100, 150 s).
    const steps = [
      { ok: 0, errors: 0, fast: 0, slow: 0 },
      { ok: 90, errors: 10, fast: 100, slow: 0 }, // +100 requests, 10 % errors, all fast
      { ok: 170, errors: 30, fast: 100, slow: 100 }, // +100, 20 % errors, all slow
      { ok: 270, errors: 30, fast: 200, slow: 100 }, // +100, no errors, all fast
    ];
    let next = 0;
    const { scrape } = setup(
      {
        every: '50s',
        window: '5m',
        histograms: [
          { metric: 'http_request_duration_seconds', quantiles: [0.5] },
          { metric: 'http_request_duration_seconds', quantiles: [0.5], as: 'latency_interval', window: 'scrape' },
        ],
        rates: [{ metric: 'http_requests_total', as: 'rps_interval', window: 'scrape' }],
        error_rates: [
          { metric: 'http_requests_total' },
          { metric: 'http_requests_total', as: 'error_percent_interval', window: 'scrape' },
        ],
      },
      (_req, res) => {
        const s = steps[next++] as (typeof steps)[number];
        const all = s.fast + s.slow;
        res
          .writeHead(200, { 'content-type': TEXT_FORMAT })
          .end(
            `http_requests_total{status="200"} ${s.ok}\nhttp_requests_total{status="500"} ${s.errors}\n` +
              `http_request_duration_seconds_bucket{le="0.1"} ${s.fast}\n` +
              `http_request_duration_seconds_bucket{le="1"} ${all}\n` +
              `http_request_duration_seconds_bucket{le="+Inf"} ${all}\n`,
          );
      },
    );
    const byName = async () =>
      Object.fromEntries(samplesOf(await scrape(50_000)).map((x) => [x.name, x.value] as [string, number]));
    expect(await byName()).toEqual({}); // warming up, for both kinds of item
    // t = 50 s: one interval, so both agree: 10 % errors, 2 req/s, P50 of 100 fast requests at 0.05 s.
    expect(await byName()).toEqual({
      latency_p50_seconds: near(0.05),
      latency_interval_p50_seconds: near(0.05),
      rps_interval: near(2),
      error_percent: near(10),
      error_percent_interval: near(10),
    });
    // t = 100 s: the window holds 30 errors of 200 (15 %), the last interval 20 of 100 (20 %); P50 over the window:
    // rank 100 of 200 reaches 100 at le=0.1 → 0.1; over the last interval all 100 are in (0.1, 1]: 0.1 + 0.9 × 50/100.
    expect(await byName()).toEqual({
      latency_p50_seconds: near(0.1),
      latency_interval_p50_seconds: near(0.55),
      rps_interval: near(2),
      error_percent: near(15),
      error_percent_interval: near(20),
    });
    // t = 150 s: the errors stop; the window still shows 30 of 300, the last interval none.
    const third = await byName();
    expect([third.error_percent, third.error_percent_interval]).toEqual([near(10), 0]);
  });

  it('says no error rate since the previous scrape when a window: scrape item saw no request', async () => {
    const { scrape } = setup(
      { error_rates: [{ metric: 'http_requests_total', as: 'error_percent_interval', window: 'scrape' }] },
      fixtures('reset-1.txt', 'reset-2.txt', 'reset-2.txt'),
    );
    await scrape();
    expect(samplesOf(await scrape())).toEqual([{ name: 'error_percent_interval', labels: {}, value: 0 }]);
    const third = await scrape();
    expect(samplesOf(third)).toEqual([]);
    expect(third.up && third.detail).toContain(
      'error_percent_interval: no requests since the previous scrape, so no error rate',
    );
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

  it('warms up again when the clock went back, rather than reading a negative rate', async () => {
    // Review r13p: a wall clock stepped back left the old points after the new ones, and the rates were negative
    // until the old points left the window.
    let requests = 0;
    const { run, clock } = setup({ rates: [{ metric: 'http_requests_total', as: 'rps' }] }, (_req, res) => {
      requests++;
      res.writeHead(200, { 'content-type': TEXT_FORMAT }).end(`http_requests_total ${requests * 150}\n`);
    });
    await run();
    await clock.advance(15_000);
    expect(samplesOf(await run())).toEqual([{ name: 'rps', labels: {}, value: 10 }]);
    const stepped = new FakeClock(clock.now() - 1_000_000);
    const back = await run(undefined, stepped);
    expect(samplesOf(back)).toEqual([]);
    expect(back.detail).toContain('warming up: the clock went back since the last scrape');
    await stepped.advance(15_000);
    expect(samplesOf(await run(undefined, stepped))).toEqual([{ name: 'rps', labels: {}, value: 10 }]);
  });

  it('leaves out a NaN gauge with a note, and survives two scrapes in the same millisecond', async () => {
    const { run } = setup(
      { gauges: [{ metric: 'queue_depth', as: 'queue' }], rates: [{ metric: 'http_requests_total', as: 'rps' }] },
      (_req, res) =>
        res.writeHead(200, { 'content-type': TEXT_FORMAT }).end('queue_depth NaN\nhttp_requests_total 5\n'),
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
    expect(samplesOf(await scrape())).toEqual([{ name: 'task_errors', labels: {}, value: near(10 / 60) }]);
  });

  it('quotes at most 200 characters of what a target sent in a reason or a note', async () => {
    const long = 'x'.repeat(500_000);
    const page = setup({ gauges: [{ metric: 'queue_depth', as: 'queue' }] }, (_req, res) =>
      res.writeHead(200, { 'content-type': TEXT_FORMAT }).end(`queue_depth <html>${long}</html>\n`),
    );
    const refused = await page.run();
    expect(refused.up && refused.cannotMeasure).toMatch(
      /: line 1: the value of queue_depth is not a number: "<html>x+… \(500013 characters\)"$/,
    );
    expect(refused.up && refused.cannotMeasure?.length).toBeLessThan(400);
    const nan = setup({ gauges: [{ metric: 'queue_depth', by: ['pool'], as: 'queue' }] }, (_req, res) =>
      res.writeHead(200, { 'content-type': TEXT_FORMAT }).end(`queue_depth{pool="${long}"} NaN\n`),
    );
    const noted = await nan.run();
    // Cut inside its quotes, which still close.
    // 200 characters for the labels as shown: pool, =, the quotes and 193 x's.
    expect(noted.detail).toContain(`queue{pool="${'x'.repeat(193)}… (500000 characters)"} is NaN`);
    expect(noted.detail?.length).toBeLessThan(1_000);
    const labels = Array.from({ length: 40 }, (_, i) => `l${String(i).padStart(2, '0')}="${'v'.repeat(20)}"`);
    const by = labels.map((l) => l.slice(0, 3));
    const many = setup({ gauges: [{ metric: 'queue_depth', by, as: 'queue' }] }, (_req, res) =>
      res.writeHead(200, { 'content-type': TEXT_FORMAT }).end(`queue_depth{${labels.join(',')}} NaN\n`),
    );
    const counted = await many.run();
    // Labels past the excerpt are counted, not shown: seven whole (189 characters with their commas), the eighth cut
    // inside its quotes at the 200th, and 32 more.
    expect(counted.detail).toContain(
      `queue{${labels.slice(0, 7).join(',')},l07="vvvvv… (20 characters)",… and 32 more labels} is NaN`,
    );
  });

  it('counts the characters of a label value as shown: 😀 is one, an escaped quote two', async () => {
    const emoji = `${'S'.repeat(199)}${'😀'.repeat(5_000)}`;
    const wide = setup({ gauges: [{ metric: 'queue_depth', by: ['pool'], as: 'queue' }] }, (_req, res) =>
      res.writeHead(200, { 'content-type': TEXT_FORMAT }).end(`queue_depth{pool="${emoji}"} NaN\n`),
    );
    expect((await wide.run()).detail).toContain(`queue{pool="${'S'.repeat(193)}… (5199 characters)"} is NaN`);
    const quotes = setup({ gauges: [{ metric: 'queue_depth', by: ['pool'], as: 'queue' }] }, (_req, res) =>
      res.writeHead(200, { 'content-type': TEXT_FORMAT }).end(`queue_depth{pool="${'\\"'.repeat(5_000)}"} NaN\n`),
    );
    // 193 characters for the value: 96 escaped quotes, as a 97th would pass them.
    expect((await quotes.run()).detail).toContain(`queue{pool="${'\\"'.repeat(96)}… (5000 characters)"} is NaN`);
  });

  it('takes a series without a label, or with it empty, as matching an empty value, and neither as matching !=""', async () => {
    const { run } = setup(
      {
        gauges: [
          { metric: 'queue_depth', match: { pool: '' }, as: 'unpooled' },
          { metric: 'queue_depth', match: { pool: '!=' }, by: ['pool'], as: 'pooled' },
        ],
      },
      (_req, res) =>
        res
          .writeHead(200, { 'content-type': TEXT_FORMAT })
          .end('queue_depth{worker="a"} 3\nqueue_depth{worker="b",pool=""} 4\nqueue_depth{worker="c",pool="p1"} 5\n'),
    );
    expect(samplesOf(await run())).toEqual([
      { name: 'unpooled', labels: {}, value: 7 },
      { name: 'pooled', labels: { pool: 'p1' }, value: 5 },
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
