// The exposition parser and the metrics probe on what real client libraries write: prom-client (Node) in both
// formats, and Debian's python3-prometheus-client, printed in both formats and served by its own WSGI app (which
// answers OpenMetrics to the probe's Accept header although that header prefers the text format).
import { type ChildProcessByStdio, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Counter, Histogram, Registry, type RegistryContentType } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ExpositionSample, parseExposition } from '../../src/probes/exposition.js';
import { near, samplesOf, useMetricsTarget } from '../support/metrics-target.js';
import { waitUntil } from '../support/wait-until.js';

/** Debian's interpreter: python3-prometheus-client installs into its dist-packages, not into a pyenv or venv. */
const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('../fixtures/metrics/prometheus_client_target.py', import.meta.url));
/** The content type this client version answers OpenMetrics with (0.16 still names the draft's version 0.0.1). */
const PYTHON_OPENMETRICS = 'application/openmetrics-text; version=0.0.1; charset=utf-8';

/** The registry of the Python script, written by the client in `format`. */
const printed = (format: 'text' | 'openmetrics') => execFileSync(PYTHON, [SCRIPT, 'print', format]);

/** What both of the client's formats hold, _created series aside (their values are the time they were made). */
const PYTHON_SAMPLES: [string, Record<string, string>, number][] = [
  ...['0.05', '0.1', '0.25', '0.5', '1.0', '+Inf'].map((le, i): [string, Record<string, string>, number] => [
    'http_request_duration_seconds_bucket',
    { handler: '/api/v1/tasks', le },
    i < 2 ? 0 : 7,
  ]),
  ['http_request_duration_seconds_count', { handler: '/api/v1/tasks' }, 7],
  ['http_request_duration_seconds_sum', { handler: '/api/v1/tasks' }, 1.4],
  ['http_requests_total', { method: 'GET', status: '200' }, 1000],
  ['http_requests_total', { method: 'POST', status: '500' }, 3],
  ['http_requests_total', { method: 'GET', status: '503' }, 1],
  ['rpc_duration_seconds_count', {}, 3],
  ['rpc_duration_seconds_sum', {}, 0.1],
  ['queue_depth', {}, 3],
  [
    'file_access_time_seconds',
    { city: 'Pátzcuaro 東京', error: 'Cannot find "file"\nsecond line', path: 'C:\\DIR\\FILE.TXT' },
    1.458255915e9,
  ],
  ['special_values', { kind: 'nan' }, Number.NaN],
  ['special_values', { kind: 'inf' }, Number.POSITIVE_INFINITY],
  ['special_values', { kind: 'negative' }, -1.5],
  ['build_info', { commit: 'abc123', version: '1.2.3' }, 1],
  ['worker_state', { worker_state: 'idle' }, 0],
  ['worker_state', { worker_state: 'busy' }, 1],
];

describe.each([
  ['text 0.0.4', 'text', false, ['histogram', 'gauge', 'counter', 'gauge', 'summary', 'gauge', 'gauge', 'gauge']],
  ['OpenMetrics', 'openmetrics', true, ['histogram', 'counter', 'summary', 'gauge', 'gauge', 'gauge', 'info']],
] as const)('parseExposition on prometheus_client (Python) output, %s', (_name, format, openMetrics, types) => {
  it('reads every counter, gauge, histogram, summary, info and stateset, escapes and special values included', async () => {
    const body = printed(format);
    const samples: ExpositionSample[] = [];
    const declared: string[] = [];
    await parseExposition(
      Readable.from([body]),
      { sample: (s) => samples.push(s), type: (_f, t) => declared.push(t) },
      { openMetrics },
    );
    const created = samples.filter((s) => s.name.endsWith('_created'));
    expect(created.map((s) => s.name).sort()).toEqual([
      'http_request_duration_seconds_created',
      'http_requests_created',
      'http_requests_created',
      'http_requests_created',
      'rpc_duration_seconds_created',
    ]);
    expect(created.every((s) => s.value > 1.7e9)).toBe(true);
    expect(samples.filter((s) => !s.name.endsWith('_created')).map((s) => [s.name, s.labels, s.value])).toEqual(
      PYTHON_SAMPLES,
    );
    expect(declared.slice(0, types.length)).toEqual(types);
  });
});

const target = useMetricsTarget();

/** A probe of the API's golden signals, as the shipped config has it. */
const GOLDEN = {
  histograms: [{ metric: 'http_request_duration_seconds' }],
  rates: [{ metric: 'http_requests_total', as: 'rps' }],
  error_rates: [{ metric: 'http_requests_total' }],
};

/**
 * After a first scrape of 7 observations and 1004 requests, the second sees one round more: 100 observations
 * (20 ≤ 0.05, 20 ≤ 0.1, 40 ≤ 0.25, 16 ≤ 0.5, 2 ≤ 1, 2 above) and 100 requests, 10 of them errors, 60 s later.
 */
const AFTER_ONE_ROUND = [
  { name: 'latency_p50_seconds', labels: {}, value: near(0.1375) },
  { name: 'latency_p95_seconds', labels: {}, value: near(0.484375) },
  { name: 'latency_p99_seconds', labels: {}, value: 1 },
  { name: 'rps', labels: {}, value: near(100 / 60) },
  { name: 'error_percent', labels: {}, value: near(10) },
];

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
    const { scrape } = target.probe(GOLDEN, (_req, res) => {
      void registry.metrics().then((body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body));
    });
    expect(samplesOf(await scrape())).toEqual([]);
    for (const [value, times] of [
      [0.03, 20],
      [0.07, 20],
      [0.2, 40],
      [0.3, 16],
      [0.7, 2],
      [3, 2],
    ] as const) {
      observe(value, times);
    }
    requests.inc({ method: 'GET', status: '200' }, 90);
    requests.inc({ method: 'POST', status: '500' }, 6);
    requests.inc({ method: 'GET', status: '503' }, 4);
    expect(samplesOf(await scrape())).toEqual(AFTER_ONE_ROUND);
  });
});

describe('metrics probe on prometheus_client (Python) serving itself', () => {
  let server: ChildProcessByStdio<null, Readable, Readable>;
  let url: string;
  const answered: string[] = [];
  beforeAll(async () => {
    server = spawn(PYTHON, [SCRIPT, 'serve'], { stdio: ['ignore', 'pipe', 'pipe'] });
    createInterface({ input: server.stderr }).on('line', (line) => answered.push(line));
    const [port] = (await once(server.stdout, 'data')) as [Buffer];
    url = `http://127.0.0.1:${port.toString().trim()}/metrics`;
  });
  afterAll(() => {
    server.kill();
  });

  it('gets OpenMetrics for an Accept header that prefers the text format, and reads it', async () => {
    const { scrape } = target.probe({ ...GOLDEN, url }, { status: 500 });
    expect(samplesOf(await scrape())).toEqual([]);
    expect(samplesOf(await scrape())).toEqual(AFTER_ONE_ROUND);
    // The client picks OpenMetrics whenever the header names it, whatever its q (prometheus_client's choose_encoder).
    // Its log line comes on another pipe than the answer: wait for both.
    await waitUntil(
      () => answered.length >= 2,
      5_000,
      () => `the client logged ${JSON.stringify(answered)}`,
    );
    expect(answered).toHaveLength(2);
    for (const line of answered) {
      expect(line).toMatch(/^text\/plain;version=0\.0\.4;q=0\.9,application\/openmetrics-text;version=1\.0\.0;q=0\.5/);
      expect(line.endsWith(` -> ${PYTHON_OPENMETRICS}`)).toBe(true);
    }
  });
});

describe('metrics probe on a target that answers OpenMetrics whatever the Accept header says', () => {
  it('reads the body by its content type', async () => {
    const body = printed('openmetrics');
    const { scrape } = target.probe(
      { rates: [{ metric: 'http_requests_total', as: 'rps' }], gauges: [{ metric: 'queue_depth', as: 'queue' }] },
      { headers: { 'content-type': 'application/openmetrics-text; version=1.0.0; charset=utf-8' }, body },
    );
    expect(samplesOf(await scrape())).toEqual([{ name: 'queue', labels: {}, value: 3 }]);
    expect(samplesOf(await scrape())).toEqual([
      { name: 'rps', labels: {}, value: 0 },
      { name: 'queue', labels: {}, value: 3 },
    ]);
    expect(target.http.requests.at(-1)?.headers.accept).toMatch(/^text\/plain;version=0\.0\.4;q=0\.9,/);
  });
});
