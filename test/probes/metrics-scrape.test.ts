import { gzipSync } from 'node:zlib';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { type MetricsProbeConfig, probeConfig } from '../../src/config/probes.js';
import metrics from '../../src/probes/metrics.js';
import { type HttpTarget, type Reply, startHttpTarget } from '../support/http-target.js';
import { fixtures, near, samplesOf, TEXT_FORMAT, useMetricsTarget } from '../support/metrics-target.js';
import { makeSelfSignedCert, type TestCert } from '../support/tls-cert.js';

// The metrics probe against real targets: a 100,000-series body, targets that refuse, fail, answer garbage or too
// much, and HTTPS with the tls block. Real client libraries' expositions are in metrics-clients.test.ts.

const log = pino({ level: 'silent' });
const target = useMetricsTarget();
const setup = target.probe;

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

  it('names at most ten problems in its cannot-measure text, and counts the rest', async () => {
    // Review r13l D3: 200 selections that match nothing made a 9 KB text, in every page of the alert.
    const gauges = Array.from({ length: 25 }, (_, i) => ({ metric: `m${i}`, as: `g${i}` }));
    const { run } = setup({ gauges }, (_req, res) => {
      res.writeHead(200, { 'content-type': TEXT_FORMAT }).end('up 1\n');
    });
    const result = await run();
    const shown = Array.from({ length: 10 }, (_, i) => `metric m${i} not found in exposition`);
    expect(result).toMatchObject({ up: true, cannotMeasure: `${shown.join('; ')}; and 15 more problems like these` });
  });

  it('only notes a metric declared by # TYPE that has no series yet', async () => {
    const { run } = setup({ histograms: [{ metric: 'http_request_duration_seconds' }] }, (_req, res) => {
      res.writeHead(200, { 'content-type': TEXT_FORMAT }).end('# TYPE http_request_duration_seconds histogram\nup 1\n');
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
      cannotMeasure: `exposition from 127.0.0.1:${target.http.port} does not parse: line 7: expected a label name after ",", found "="`,
    });
  });

  it('reports a value outside the range of a double, as Prometheus refuses the scrape, naming the line', async () => {
    const { run } = setup({ gauges: [{ metric: 'queue_depth', as: 'queue_depth' }] }, (_req, res) => {
      res.writeHead(200, { 'content-type': TEXT_FORMAT }).end('# TYPE queue_depth gauge\nqueue_depth 1e400\n');
    });
    expect(await run()).toEqual({
      up: true,
      samples: [],
      cannotMeasure:
        `exposition from 127.0.0.1:${target.http.port} does not parse: line 2: the value of queue_depth is outside ` +
        'the range of a double (±1.8e308): "1e400"',
    });
  });

  it('names a Content-Encoding it did not ask for, as cannot measure, instead of "invalid UTF-8"', async () => {
    const { run } = setup({ gauges: [{ metric: 'queue_depth', as: 'queue_depth' }] }, (_req, res) => {
      res
        .writeHead(200, { 'content-type': TEXT_FORMAT, 'content-encoding': 'gzip' })
        .end(gzipSync('# TYPE queue_depth gauge\nqueue_depth 3\n'));
    });
    expect(await run()).toEqual({
      up: true,
      samples: [],
      cannotMeasure:
        `exposition from 127.0.0.1:${target.http.port} cannot be read: the body is in Content-Encoding "gzip", ` +
        'which centinela did not ask for (it sends Accept-Encoding: identity) and does not decode: have the ' +
        'target answer uncompressed',
    });
    expect(target.http.requests.at(-1)?.headers['accept-encoding']).toBe('identity');
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
      cannotMeasure: `status 401 from 127.0.0.1:${target.http.port}: token expired see /login`,
    });
    const forbidden = setup({ rates: [{ metric: 'x', as: 'x' }] }, { status: 403, body: '' });
    expect(await forbidden.run()).toMatchObject({
      up: true,
      cannotMeasure: `status 403 from 127.0.0.1:${target.http.port}`,
    });
    const down = setup({ rates: [{ metric: 'x', as: 'x' }] }, { status: 503, body: 'x'.repeat(300) });
    expect(await down.run()).toEqual({
      up: false,
      reason: `status 503 from 127.0.0.1:${target.http.port}: ${'x'.repeat(200)}… (more than 200 bytes)`,
    });
  });

  it('shows no compressed or binary bytes as the body of an unexpected status', async () => {
    // A gzip-answering target, as a proxy in front of the exporter that compresses its error pages answers.
    const page = gzipSync(`<html>${'upstream unavailable '.repeat(50)}</html>`);
    const at = `127.0.0.1:${target.http.port}`;
    const gzipped = setup({ rates: [{ metric: 'x', as: 'x' }] }, (_req, res) => {
      res.writeHead(503, { 'content-type': 'text/html', 'content-encoding': 'gzip' }).end(page);
    });
    expect(await gzipped.run()).toEqual({
      up: false,
      reason: `status 503 from ${at} (its body is in Content-Encoding "gzip", not decoded: not shown)`,
    });
    const denied = setup({ rates: [{ metric: 'x', as: 'x' }] }, (_req, res) => {
      res.writeHead(401, { 'content-encoding': 'gzip' }).end(gzipSync('token expired'));
    });
    expect(await denied.run()).toMatchObject({
      up: true,
      cannotMeasure: `status 401 from ${at} (its body is in Content-Encoding "gzip", not decoded: not shown)`,
    });
    // The same bytes without the header that says what they are: binary, not shown either.
    const unlabelled = setup({ rates: [{ metric: 'x', as: 'x' }] }, (_req, res) => {
      res.writeHead(502, { 'content-type': 'application/octet-stream' }).end(page);
    });
    expect(await unlabelled.run()).toEqual({
      up: false,
      reason: `status 502 from ${at} (its body is binary: not shown)`,
    });
  });

  it('refuses a selected series that appears twice in one scrape, naming both lines', async () => {
    const { run } = setup({ rates: [{ metric: 'http_requests_total', as: 'rps' }] }, (_req, res) => {
      const lines = ['# TYPE http_requests_total counter', 'http_requests_total{method="GET",status="200"} 5'];
      lines.push('http_requests_total{method="GET",status="500"} 1', 'other 1');
      lines.push('http_requests_total{status="200",method="GET"} 7'); // the same label set, in another order
      res.writeHead(200, { 'content-type': TEXT_FORMAT }).end(`${lines.join('\n')}\n`);
    });
    expect(await run()).toEqual({
      up: true,
      samples: [],
      cannotMeasure:
        `exposition from 127.0.0.1:${target.http.port} has the series http_requests_total{method="GET",status="200"}` +
        ' twice, on lines 2 and 5; a scrape must hold each series once (Prometheus refuses it too)',
    });
  });

  it('names a series whose metric or label name is not a plain one in quotes, as the exposition writes it', async () => {
    const twice = (metric: string, line: string) =>
      setup({ gauges: [{ metric, as: 'x' }] }, (_req, res) => {
        res.writeHead(200, { 'content-type': TEXT_FORMAT }).end(`${line}\n${line}\n`);
      }).run();
    const at = `exposition from 127.0.0.1:${target.http.port} has the series`;
    const after = 'twice, on lines 1 and 2; a scrape must hold each series once (Prometheus refuses it too)';
    // One label whose name holds a quote, a comma and =, not the two labels a="b" and c="v".
    expect(await twice('queue', '{"queue","a=\\"b\\",c"="v"} 1')).toMatchObject({
      cannotMeasure: `${at} queue{"a=\\"b\\",c"="v"} ${after}`,
    });
    expect(await twice('go.gc_count', '{"go.gc_count",a="b"} 1')).toMatchObject({
      cannotMeasure: `${at} {"go.gc_count",a="b"} ${after}`,
    });
  });

  it('refuses a body over max_body_bytes: by its Content-Length unread, or where reading passes the limit', async () => {
    const body = `${Array.from({ length: 400 }, (_, i) => `queue_depth{i="${i}"} ${i}`).join('\n')}\n`;
    const limited = { max_body_bytes: 4096, gauges: [{ metric: 'queue_depth', as: 'queue' }] };
    const declared = setup(limited, (_req, res) => {
      res.writeHead(200, { 'content-type': TEXT_FORMAT, 'content-length': Buffer.byteLength(body) }).end(body);
    });
    expect(await declared.run()).toEqual({
      up: true,
      samples: [],
      cannotMeasure: `exposition from 127.0.0.1:${target.http.port} is ${Buffer.byteLength(body)} bytes, more than max_body_bytes (4096); not read`,
    });
    // Chunked: no Content-Length, so the limit is found while reading.
    const streamed = setup(limited, (_req, res) => {
      res.writeHead(200, { 'content-type': TEXT_FORMAT });
      res.write(body.slice(0, 3000));
      res.end(body.slice(3000));
    });
    expect(await streamed.run()).toMatchObject({
      up: true,
      samples: [],
      cannotMeasure: expect.stringMatching(
        /^exposition from 127\.0\.0\.1:\d+ is larger than max_body_bytes \(4096\): reading stopped at \d+ bytes$/,
      ),
    });
    const roomy = setup({ ...limited, max_body_bytes: Buffer.byteLength(body) }, (_req, res) => {
      res.writeHead(200, { 'content-type': TEXT_FORMAT }).end(body);
    });
    expect(samplesOf(await roomy.run())).toEqual([{ name: 'queue', labels: {}, value: (399 * 400) / 2 }]);
  });

  it('refuses more selected series than max_series at the first one past it; series it does not select do not count', async () => {
    const lines = Array.from({ length: 300 }, (_, i) => `queue_depth{pool="p${i % 3}",i="${i}"} 1`);
    const body = `${lines.join('\n')}\n${Array.from({ length: 500 }, (_, i) => `noise{i="${i}"} 1`).join('\n')}\n`;
    const reply: Reply = (_req, res) => {
      res.writeHead(200, { 'content-type': TEXT_FORMAT }).end(body);
    };
    const all = setup({ max_series: 250, gauges: [{ metric: 'queue_depth', by: ['pool'], as: 'queue' }] }, reply);
    expect(await all.run()).toEqual({
      up: true,
      samples: [],
      cannotMeasure:
        `exposition from 127.0.0.1:${target.http.port} has more series of the configured metrics than` +
        ' max_series (250): the next one is on line 251. Narrow them with match or raise max_series',
    });
    const narrowed = setup(
      { max_series: 250, gauges: [{ metric: 'queue_depth', match: { pool: 'p0' }, as: 'queue' }] },
      reply,
    );
    expect(samplesOf(await narrowed.run())).toEqual([{ name: 'queue', labels: {}, value: 100 }]);
  });

  it('refuses a label value too long for the regex of match before matching it; plain matchers go first', async () => {
    // 16 routes of 64 KiB of a and c under a regex of 1005 instructions held the loop for seconds.
    let seed = 13;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const route = () => Array.from({ length: 65_536 }, () => (random() < 0.5 ? 'a' : 'c')).join('');
    const lines = [
      '# TYPE r counter',
      ...Array.from({ length: 16 }, (_, i) => `r{method="POST",route="${route()}"} ${i}`),
    ];
    const reply: Reply = (_req, res) => {
      res.writeHead(200, { 'content-type': TEXT_FORMAT }).end(`${lines.join('\n')}\n`);
    };
    const long = setup({ rates: [{ metric: 'r', as: 'req_rate', match: { route: '=~.*a.{999}b' } }] }, reply);
    expect(await long.run()).toEqual({
      up: true,
      samples: [],
      cannotMeasure:
        `exposition from 127.0.0.1:${target.http.port} is refused at line 2: the label route is 65536 characters, ` +
        "and match.route's regex for r (1005 instructions) would take too long over it (at most 89 characters for " +
        'it). Write the regex smaller',
    });
    // method="GET" leaves every series out before the regex would run: nothing is refused, nothing matches.
    const narrowed = setup(
      { rates: [{ metric: 'r', as: 'req_rate', match: { method: 'GET', route: '=~.*a.{999}b' } }] },
      reply,
    );
    expect(await narrowed.run()).toMatchObject({
      up: true,
      cannotMeasure: 'no series of r match {method="GET",route=~".*a.{999}b"}',
    });
  });

  it('refuses a series whose regexes of several selections cost too much together, each within the bound', async () => {
    // Review r13j D1: ten selections of 107 instructions over a 280-character route held the loop 100 ms a series.
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const route = Array.from({ length: 280 }, () => (random() < 0.5 ? 'a' : 'c')).join('');
    const reply: Reply = (_req, res) => {
      res.writeHead(200, { 'content-type': TEXT_FORMAT }).end(`# TYPE r gauge\nr{route="${route}"} 1\n`);
    };
    const gauges = Array.from({ length: 10 }, (_, i) => ({
      metric: 'r',
      as: `g${i}`,
      match: { route: '=~.*a.{100}.*' },
    }));
    // A plain-only selection is no selection "with regexes" in the count.
    gauges.push({ metric: 'r', as: 'all', match: {} as { route: string } });
    expect(await setup({ gauges }, reply).run()).toEqual({
      up: true,
      samples: [],
      cannotMeasure:
        `exposition from 127.0.0.1:${target.http.port} is refused at line 2: the regexes of the 10 selections of r ` +
        'would take too long over its labels together (299630 instructions times characters, at most 90000). Write ' +
        'fewer or smaller regexes for it',
    });
  });

  it('measures ordinary selections of one metric together: six endpoint regexes over routes of 182 characters', async () => {
    // Review r13i D1: bounded at one regex's cost, this whole scrape was refused, for 17 ms of matching in all.
    const route = `/api/v1/users/${'1234567890'.repeat(16)}x`.slice(0, 182);
    const reply: Reply = (_req, res) => {
      res.writeHead(200, { 'content-type': TEXT_FORMAT }).end(`# TYPE r counter\nr{method="GET",route="${route}"} 1\n`);
    };
    const rates = Array.from({ length: 6 }, (_, i) => ({
      metric: 'r',
      as: `rate_${i}`,
      match: { method: 'GET', route: '=~/api/(v1|v2)/(users|orders|items|search|accounts)(/.*)?' },
    }));
    const result = await setup({ rates }, reply).run();
    expect(result).toMatchObject({ up: true });
    expect(result.up && result.cannotMeasure).toBeUndefined();
  });

  it('measures a long route under an ordinary regex: one request path of 600 characters does not refuse the scrape', async () => {
    // Review r13j D2: bounded at 30,000, a 240-character route under this regex refused every series of the scrape.
    const route = `/api/orders/${'x'.repeat(588)}`;
    const reply: Reply = (_req, res) => {
      res
        .writeHead(200, { 'content-type': TEXT_FORMAT })
        .end(`# TYPE r gauge\nr{method="GET",route="/api/orders"} 2\nr{method="GET",route="${route}"} 3\n`);
    };
    const match = { method: 'GET', route: '=~/api/[a-z0-9_]{1,60}(/.*)?' };
    expect(samplesOf(await setup({ gauges: [{ metric: 'r', as: 'api', match }] }, reply).run())).toEqual([
      { name: 'api', labels: {}, value: 5 },
    ]);
  });

  it('refuses a status too long for error_status the same way, before matching it', async () => {
    const status = 'a'.repeat(65_536);
    const { run } = setup({ error_rates: [{ metric: 'r_total', error_status: '.*a.{999}b' }] }, (_req, res) => {
      res
        .writeHead(200, { 'content-type': TEXT_FORMAT })
        .end(`r_total{status="200"} 1\nr_total{status="${status}"} 1\n`);
    });
    expect(await run()).toEqual({
      up: true,
      samples: [],
      cannotMeasure:
        `exposition from 127.0.0.1:${target.http.port} is refused at line 2: the label status is 65536 characters, ` +
        "and error_status's regex for r_total (1005 instructions) would take too long over it (at most 89 " +
        'characters for it). Write the regex smaller',
    });
  });

  it('lets the loop turn whenever 30,000 instructions times characters have been matched, whatever the lines', async () => {
    // The matching between two turns of the loop, priced as matchingCost prices it, seen by a ticker on setImmediate.
    // Blocks sized by the regexes' instructions (down to 256 bytes) let forty selections over short lines match
    // ~480,000 between turns; one series at a time, a turn follows 30,000, or one series (at most 90,000) alone.
    const measure = async (
      lines: string[],
      items: Record<string, unknown>[],
    ): Promise<{ result: Awaited<ReturnType<ReturnType<typeof metrics.create>['run']>>; most: number }> => {
      target.http.route('GET /turns', (_req, res) => {
        res.writeHead(200, { 'content-type': TEXT_FORMAT }).end(`${lines.join('\n')}\n`);
      });
      const config = probeConfig.parse({
        name: 'm',
        kind: 'metrics',
        every: '15s',
        url: `${target.http.url}/turns`,
        max_series: 50_000,
        gauges: items,
      }) as MetricsProbeConfig;
      let spent = 0;
      let most = 0;
      for (const item of config.gauges) {
        for (const m of item.match ?? []) {
          const regex = m.regex;
          if (!regex) continue;
          const testExact = regex.testExact.bind(regex);
          regex.testExact = (text: string) => {
            // Each call costs ~0.85 µs whatever the text: priced 3 (review r13k).
            spent += regex.programSize() * text.length + 3;
            return testExact(text);
          };
        }
      }
      let next = setImmediate(function turn() {
        most = Math.max(most, spent);
        spent = 0;
        next = setImmediate(turn);
      });
      onTestFinished(() => clearImmediate(next));
      const clock = new FakeClock();
      const probe = metrics.create(config, { log, clock });
      onTestFinished(() => probe.close?.());
      const result = await probe.run({ signal: new AbortController().signal, clock, log });
      clearImmediate(next);
      return { result, most: Math.max(most, spent) };
    };
    // 10,000 routes under a regex of 126 instructions: ~16 million in all.
    const routes = await measure(
      Array.from({ length: 10_000 }, (_, i) => `r{route="/api/item_${i}"} ${i}`),
      [{ metric: 'r', as: 'routes', match: { route: '=~/api/[a-z0-9_]{1,60}' } }],
    );
    expect(samplesOf(routes.result)).toEqual([{ name: 'routes', labels: {}, value: (9_999 * 10_000) / 2 }]);
    expect(routes.most).toBeGreaterThan(0);
    expect(routes.most).toBeLessThanOrEqual(90_000);
    // Forty selections of ~1,000 instructions over one-character values: 40,200 a series.
    const many = await measure(
      Array.from({ length: 2_000 }, (_, i) => `r{v="a",i="${i}"} 1`),
      Array.from({ length: 40 }, (_, i) => ({ metric: 'r', as: `g${i}`, match: { v: `=~a|.{${995 + (i % 2)}}` } })),
    );
    expect(samplesOf(many.result)).toContainEqual({ name: 'g0', labels: {}, value: 2_000 });
    expect(many.most).toBeGreaterThan(0);
    expect(many.most).toBeLessThanOrEqual(90_000);
    // Review r13k D1: two hundred regexes over a label the series lack, each call priced at nothing, matched a whole
    // block's series between two turns (seven seconds on a daemon).
    const missing = await measure(
      Array.from({ length: 5_000 }, (_, i) => `r{i="${i}"} 1`),
      Array.from({ length: 200 }, (_, i) => ({ metric: 'r', as: `g${i}`, match: { route: '!~/a.*' } })),
    );
    expect(samplesOf(missing.result)).toContainEqual({ name: 'g0', labels: {}, value: 5_000 });
    expect(missing.most).toBeGreaterThan(0);
    expect(missing.most).toBeLessThanOrEqual(90_000);
  });

  it('turns the loop while it computes over the kept series, at least once every 500 series an item reads', async () => {
    // Review r13l D2: each item went over every kept series at once after the scrape; 200 gauges over 20,000 series
    // held the loop 3 s.
    const lines = Array.from({ length: 5_000 }, (_, i) => `r{i="${i}"} 1`);
    const gauges = Array.from({ length: 50 }, (_, i) => ({ metric: 'r', as: `g${i}` }));
    const { run } = setup({ gauges, max_series: 5_000 }, (_req, res) => {
      res.writeHead(200, { 'content-type': TEXT_FORMAT }).end(`${lines.join('\n')}\n`);
    });
    let turns = 0;
    let next = setImmediate(function turn() {
      turns++;
      next = setImmediate(turn);
    });
    onTestFinished(() => clearImmediate(next));
    const result = await run();
    clearImmediate(next);
    expect(samplesOf(result)).toContainEqual({ name: 'g49', labels: {}, value: 5_000 });
    // 50 items over 5,000 series: 500 turns for the sums alone (the parse and the matching take some 60 more).
    expect(turns).toBeGreaterThanOrEqual((50 * 5_000) / 500);
  });

  it('stops a run given up on at its next step once a newer run started: its older points would read as a reset', async () => {
    // Review r13m D1: the computation after the scrape takes turns of the loop; a run the scheduler gave up on went
    // on changing the history under the next run, out of order.
    let requests = 0;
    let firstSent: () => void = () => {};
    const sent = new Promise<void>((resolve) => {
      firstSent = resolve;
    });
    const body = (ids: number[], value: number) =>
      `# TYPE c counter\n${ids.map((i) => `c_total{i="${i}"} ${value}`).join('\n')}\n`;
    const all = Array.from({ length: 20_000 }, (_, i) => i);
    const { run, clock } = setup(
      {
        max_series: 20_000,
        rates: [
          { metric: 'c_total', as: 'r' },
          { metric: 'c_total', as: 'rlast', match: { i: '19999' } },
        ],
      },
      (_req, res) => {
        requests++;
        res.writeHead(200, { 'content-type': TEXT_FORMAT });
        if (requests === 1) res.on('finish', () => firstSent());
        res.end(requests === 1 ? body(all, 100) : requests === 2 ? body([19_999], 200) : body(all, 300));
      },
    );
    const given = run().catch((err: Error) => err);
    await sent;
    await clock.advance(15_000);
    // The newer run reads one series while the first is still at its body.
    expect(await run()).toMatchObject({ up: true });
    expect(await given).toEqual(new Error('a newer run of this probe started'));
    await clock.advance(15_000);
    // Only i="19999" was in two scrapes: 200 → 300 in 15 s.
    expect(samplesOf(await run())).toEqual([
      { name: 'r', labels: {}, value: 100 / 15 },
      { name: 'rlast', labels: {}, value: 100 / 15 },
    ]);
  });

  it('stops a run at whatever turn its signal fires, and counts no scrape it did not record whole', async () => {
    // Review r13n: a run stopped inside record had already counted its scrape, and the next run summed the rates of
    // the series it had reached alone; and nothing showed that a run stops at the turns of its computation.
    const ids = Array.from({ length: 5_000 }, (_, i) => i);
    const body = (value: number) => `# TYPE c counter\n${ids.map((i) => `c_total{i="${i}"} ${value}`).join('\n')}\n`;
    let stoppedInside = 0;
    for (let k = 1; k <= 60; k += 3) {
      let requests = 0;
      let firstSent: () => void = () => {};
      const sent = new Promise<void>((resolve) => {
        firstSent = resolve;
      });
      const { run, clock } = setup({ max_series: 5_000, rates: [{ metric: 'c_total', as: 'r' }] }, (_req, res) => {
        requests++;
        res.writeHead(200, { 'content-type': TEXT_FORMAT });
        if (requests === 1) res.on('finish', () => firstSent());
        // Not on one line: a point of the first scrape left in a series would change the third run's rate.
        res.end(body([100, 200, 1_000][requests - 1] ?? 0));
      });
      const stop = new AbortController();
      let settled = false;
      const first = run(stop.signal)
        .catch((err: Error) => err)
        .finally(() => {
          settled = true;
        });
      await sent;
      for (let turn = 0; turn < k && !settled; turn++) await new Promise((resolve) => setImmediate(resolve));
      if (settled) continue; // done before the stop: an ordinary run
      stop.abort(new Error('stopped'));
      const stopped = await first;
      if (!(stopped instanceof Error)) {
        // Stopped while it read the body: the stop is its outcome.
        expect(stopped).toMatchObject({ up: false });
        continue;
      }
      stoppedInside++;
      expect(stopped.message).toBe('stopped');
      await clock.advance(15_000);
      // Stopped inside record, the first scrape does not count and the second warms up; stopped after it, the rates
      // of every series: never those of the series record had reached.
      const second = await run();
      if (second.detail?.includes('warming up: first scrape')) expect(samplesOf(second)).toEqual([]);
      else expect(samplesOf(second)[0]?.value).toBeCloseTo((5_000 * 100) / 15, 6);
      await clock.advance(15_000);
      const [third] = samplesOf(await run());
      expect(third?.name).toBe('r');
      // Warmed up at the second run: 200 → 1,000 in 15 s; the first scrape counted: 100 → 1,000 in 30 s.
      expect(third?.value).toBeCloseTo(
        second.detail?.includes('warming up') ? (5_000 * 800) / 15 : (5_000 * 900) / 30,
        6,
      );
    }
    expect(stoppedInside).toBeGreaterThan(0);
  });

  it('refuses a series at once when the target stalls after it, rather than timing out', async () => {
    // Review r13k D2: the series were matched only at the next turn of the loop (64 KiB later) or at the end of the
    // body, so a duplicate followed by a stall ran into the run's timeout and read as the target down.
    const { run } = setup({ gauges: [{ metric: 'r', as: 'g', match: { route: '=~/.*' } }] }, (_req, res) => {
      res.writeHead(200, { 'content-type': TEXT_FORMAT });
      res.write('r{route="/a"} 1\nr{route="/a"} 2\n');
    });
    expect(await run(AbortSignal.timeout(10_000))).toEqual({
      up: true,
      samples: [],
      cannotMeasure:
        `exposition from 127.0.0.1:${target.http.port} has the series r{route="/a"} twice, on lines 1 and 2; a ` +
        'scrape must hold each series once (Prometheus refuses it too)',
    });
  });

  it('matches a series once in a scrape: a run computes over the series the scrape selected, not matching again', async () => {
    // Matched again after the scrape, the regexes ran over every kept series at once, outside the parser's blocks:
    // 20,000 series within IN_LOOP_COST each could hold the loop for seconds.
    const lines = Array.from({ length: 100 }, (_, i) => `r_total{route="/api/${i}"} ${i}`);
    target.http.route('GET /matched-once', (_req, res) => {
      res.writeHead(200, { 'content-type': TEXT_FORMAT }).end(`${lines.join('\n')}\n`);
    });
    const match = { route: '=~/api/.*' };
    const config = probeConfig.parse({
      name: 'm',
      kind: 'metrics',
      every: '15s',
      url: `${target.http.url}/matched-once`,
      rates: [{ metric: 'r_total', as: 'rate', match }],
      error_rates: [{ metric: 'r_total', as: 'errors', match }],
      gauges: [{ metric: 'r_total', as: 'routes', match }],
    }) as MetricsProbeConfig;
    let matched = 0;
    for (const item of [...config.rates, ...config.error_rates, ...config.gauges]) {
      const regex = item.match?.[0]?.regex;
      if (!regex) throw new Error('the match has no regex');
      const testExact = regex.testExact.bind(regex);
      regex.testExact = (text: string) => {
        matched++;
        return testExact(text);
      };
    }
    const clock = new FakeClock();
    const probe = metrics.create(config, { log, clock });
    onTestFinished(() => probe.close?.());
    for (let scrape = 1; scrape <= 2; scrape++) {
      expect(await probe.run({ signal: new AbortController().signal, clock, log })).toMatchObject({ up: true });
      // Each series once by each of the three items, in the scrape.
      expect(matched).toBe(scrape * 300);
      await clock.advance(15_000);
    }
  });

  it('sends the configured headers and asks for the text format first', async () => {
    const { run, path } = setup(
      { headers: { Authorization: 'Bearer t0ken' }, rates: [{ metric: 'http_requests_total', as: 'rps' }] },
      fixtures('reset-1.txt'),
    );
    await run();
    const request = target.http.requests.findLast((r) => r.path === path);
    expect(request?.headers.authorization).toBe('Bearer t0ken');
    expect(request?.headers.accept).toMatch(/^text\/plain;version=0\.0\.4;q=0\.9,application\/openmetrics-text/);
  });
});

describe('metrics probe over HTTPS', () => {
  let cert: TestCert;
  let https: HttpTarget;
  beforeAll(async () => {
    cert = makeSelfSignedCert();
    https = await startHttpTarget({
      tls: cert,
      routes: { '/metrics': { headers: { 'content-type': TEXT_FORMAT }, body: 'queue_depth 3\n' } },
    });
  });
  afterAll(async () => {
    await https.close();
    cert.remove();
  });

  it('uses the tls block: an unknown certificate is down, the same with its ca_file is read', async () => {
    const probeWith = (tls?: Record<string, unknown>) => {
      const config = probeConfig.parse({
        name: 'm',
        kind: 'metrics',
        every: '15s',
        url: `${https.url}/metrics`,
        tls,
        gauges: [{ metric: 'queue_depth', as: 'queue' }],
      });
      const clock = new FakeClock();
      const probe = metrics.create(config as MetricsProbeConfig, { log, clock });
      onTestFinished(() => probe.close?.());
      return probe.run({ signal: new AbortController().signal, clock, log });
    };
    expect(await probeWith()).toMatchObject({
      up: false,
      reason: expect.stringMatching(/^TLS certificate of 127\.0\.0\.1:\d+ not accepted/),
    });
    expect(samplesOf(await probeWith({ ca_file: cert.certFile }))).toEqual([{ name: 'queue', labels: {}, value: 3 }]);
  });
});

describe.each([
  ['text 0.0.4', TEXT_FORMAT, ''],
  ['OpenMetrics', 'application/openmetrics-text; version=1.0.0; charset=utf-8', '# EOF\n'],
] as const)('metrics probe on Prometheus 3 UTF-8 names (%s)', (_format, contentType, eof) => {
  const body = (requests: number) =>
    [
      '# TYPE "http.server.requests" counter',
      `{"http.server.requests_total","http.route"="/api/v1/tasks",status="200"} ${requests}`,
      `{"http.server.requests_total","http.route"="/health",status="204"} ${requests * 2}`,
      '{"go.gc_duration_seconds",quantile="0"} 4.9e-05',
      'queue_depth{"pool.name"="main"} 3',
      eof,
    ].join('\n');

  it('skips the quoted names it does not want, and reads the ones it does by their unquoted name', async () => {
    let scrapes = 0;
    const { scrape } = setup(
      {
        rates: [{ metric: 'http.server.requests_total', by: ['http.route'], match: { status: '200' }, as: 'rps' }],
        gauges: [{ metric: 'queue_depth', by: ['pool.name'], as: 'queue' }],
      },
      (_req, res) => {
        res.writeHead(200, { 'content-type': contentType }).end(body(++scrapes * 600));
      },
    );
    expect(samplesOf(await scrape())).toEqual([{ name: 'queue', labels: { 'pool.name': 'main' }, value: 3 }]);
    expect(samplesOf(await scrape())).toEqual([
      { name: 'rps', labels: { 'http.route': '/api/v1/tasks' }, value: near(10) },
      { name: 'queue', labels: { 'pool.name': 'main' }, value: 3 },
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
        res.writeHead(200, { 'content-type': TEXT_FORMAT }).end(body(++round));
      },
    );
    const first = await scrape();
    expect(first.detail).toMatch(/^scraped 100104 lines \(\d+ bytes\), kept 3 series; warming up: first scrape$/);
    // +50 ≤ 0.1, +90 ≤ 0.5, +100 in all. P50 = 0.1 × 50/50; P99.9: rank 99.9 > 90 → +Inf bucket → 0.5.
    expect(samplesOf(await scrape())).toEqual([
      { name: 'latency_p50_seconds', labels: {}, value: near(0.1) },
      { name: 'latency_p99_9_seconds', labels: {}, value: 0.5 },
    ]);
  });
});
