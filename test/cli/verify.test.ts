// `centinela verify` against loopback targets: a health endpoint and a /metrics exposition whose latency histogram
// the test moves between runs; in-process on a fake clock, and through the real binary.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { verify } from '../../src/cli/verify.js';
import { FakeClock } from '../../src/clock.js';
import { centinela, configFolder } from '../support/cli.js';
import { silentLog } from '../support/escalation-fixtures.js';
import { type HttpTarget, startHttpTarget } from '../support/http-target.js';
import { freePort } from '../support/tcp-target.js';

/** Observations per bucket added between two scrapes; the probe takes p95 from the increase. */
let addPerScrape: Record<string, number> = {};
const buckets = ['0.1', '0.25', '0.5', '1', '+Inf'];
let counts = new Map<string, number>();
let scrapes = 0;
let healthy = true;

function exposition(): string {
  scrapes++;
  let cumulative = 0;
  const lines = ['# TYPE http_request_duration_seconds histogram'];
  for (const le of buckets) {
    const next = (counts.get(le) ?? 0) + (addPerScrape[le] ?? 0);
    counts.set(le, next);
    cumulative += next;
    lines.push(`http_request_duration_seconds_bucket{le="${le}"} ${cumulative}`);
  }
  lines.push(`http_request_duration_seconds_count ${cumulative}`, `http_request_duration_seconds_sum 1`);
  return `${lines.join('\n')}\n`;
}

describe('centinela verify', () => {
  let target: HttpTarget;
  let dir: string;
  let closedPort: number;

  beforeAll(async () => {
    target = await startHttpTarget({
      routes: {
        '/api/v1/health': (_req, res) => {
          const body = JSON.stringify({ status: healthy ? 'healthy' : 'degraded' });
          res.writeHead(healthy ? 200 : 503, { 'content-type': 'application/json' }).end(body);
        },
        '/metrics': (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(exposition()),
      },
    });
    closedPort = await freePort();
    dir = configFolder(
      [
        'probes:',
        `  - { name: api_health, kind: http, url: "${target.url}/api/v1/health", every: 15s,`,
        '      expect: { json: { status: healthy } } }',
        `  - { name: api_metrics, kind: metrics, url: "${target.url}/metrics", every: 15s,`,
        '      histograms: [{ metric: http_request_duration_seconds, quantiles: [0.95], as: latency }] }',
        'rules:',
        '  - { name: ApiDown, sample: api_health.up, op: "==", thresholds: { P0: 0 }, after_failures: 3 }',
        '  - name: ApiLatencyHigh',
        '    sample: api_metrics.latency_p95_seconds',
        '    op: ">"',
        '    thresholds: { P2: 0.2, P1: 0.5 }',
        '    for: 5m',
        '    summary: "API P95 latency {{ value | seconds }} (over {{ threshold | seconds }})"',
      ].join('\n'),
    );
  });
  afterAll(async () => {
    await target.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    counts = new Map();
    scrapes = 0;
    healthy = true;
  });

  /** Runs verify in-process; the metrics probe's second scrape comes when the fake clock passes --interval. */
  async function run(extra: { failOn?: string; json?: boolean; dir?: string } = {}) {
    const clock = new FakeClock();
    const out: string[] = [];
    const err: string[] = [];
    const code = verify({
      dir: extra.dir ?? dir,
      env: {},
      failOn: extra.failOn ?? 'P1',
      json: extra.json ?? false,
      interval: '5s',
      clock,
      log: silentLog,
      out: (t) => out.push(t),
      err: (t) => err.push(t),
    });
    if (extra.dir === undefined) {
      while (scrapes < 1) await new Promise((resolve) => setImmediate(resolve));
      await clock.advance(5_000);
    }
    return { code: await code, out: out.join('\n'), err: err.join('\n') };
  }

  it('passes with a table of ✅ when everything is healthy, ignoring `for` and after_failures', async () => {
    addPerScrape = { '0.1': 100 };
    const r = await run();
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out.split('\n')).toEqual([
      '   CHECK              RESULT',
      '✅ probe api_health   up',
      '✅ probe api_metrics  up',
      '✅ ApiDown            1 (P0 when == 0)',
      '✅ ApiLatencyHigh     0.095 (P2 when > 0.2)',
      '',
      'PASSED: every probe is up and nothing breaches at P1 or above (--fail-on P1).  ✅ 4  ⚠️ 0  🚨 0',
    ]);
  });

  it('shows a P2 breach as ⚠️ and passes at --fail-on P1; fails at --fail-on P2', async () => {
    addPerScrape = { '0.5': 100 };
    const atP1 = await run();
    expect(atP1.code).toBe(0);
    expect(atP1.out).toContain('⚠️ ApiLatencyHigh     P2: API P95 latency 0.49 s (over 0.2 s)');
    counts = new Map();
    scrapes = 0;
    const atP2 = await run({ failOn: 'P2' });
    expect(atP2.code).toBe(1);
    expect(atP2.out).toContain('🚨 ApiLatencyHigh     P2: API P95 latency 0.49 s (over 0.2 s)');
    expect(atP2.out).toContain('FAILED: 0 probes down, 1 check at P2 or above (--fail-on P2)');
  });

  it('fails on a P1 breach by default', async () => {
    addPerScrape = { '1': 100 };
    const r = await run();
    expect(r.code).toBe(1);
    expect(r.out).toContain('🚨 ApiLatencyHigh     P1: API P95 latency 0.97 s (over 0.5 s)');
  });

  it('fails when a probe is down, and says which rule it breaches without waiting for after_failures', async () => {
    addPerScrape = { '0.1': 100 };
    healthy = false;
    const r = await run({ failOn: 'P0' });
    expect(r.code).toBe(1);
    expect(r.out).toContain('🚨 probe api_health   DOWN: status 503');
    expect(r.out).toContain('🚨 ApiDown            P0: ApiDown: api_health.up is 0 (== 0)');
    expect(r.out).toContain('FAILED: 1 probe down, 1 check at P0 or above (--fail-on P0)');
  });

  it('prints JSON for scripts', async () => {
    addPerScrape = { '0.5': 100 };
    const r = await run({ json: true });
    expect(r.code).toBe(0);
    const printed = JSON.parse(r.out);
    expect(printed).toMatchObject({ ok: true, failOn: 'P1' });
    expect(printed.probes).toEqual([
      { probe: 'api_health', status: 'up', mark: '✅' },
      { probe: 'api_metrics', status: 'up', mark: '✅' },
    ]);
    expect(printed.checks[1]).toMatchObject({
      rule: 'ApiLatencyHigh',
      status: 'breach',
      priority: 'P2',
      mark: '⚠️',
      labels: {},
    });
  });

  it('refuses a bad --fail-on, and a configuration that does not load', async () => {
    const bad = await run({ failOn: 'P5', dir: join(dir, 'nowhere') });
    expect(bad).toMatchObject({ code: 1, err: '--fail-on: "P5" is not a priority. Use P0, P1, P2 or P3' });
    const missing = await run({ dir: join(dir, 'nowhere') });
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('alerts.yaml');
  });

  it('runs as the real binary: a down target makes it exit 1', async () => {
    const downDir = configFolder(
      [
        'probes:',
        `  - { name: api_health, kind: http, url: "http://127.0.0.1:${closedPort}/api/v1/health", every: 15s }`,
        'rules:',
        '  - { name: ApiDown, sample: api_health.up, op: "==", thresholds: { P0: 0 }, after_failures: 3 }',
      ].join('\n'),
    );
    const failed = await centinela(['verify', '--config', downDir]);
    rmSync(downDir, { recursive: true, force: true });
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain('🚨 probe api_health  DOWN: connection refused');
    expect(failed.stdout).toContain('🚨 ApiDown           P0');
  });

  it('refuses a LOG_LEVEL that is not a level, before running anything', async () => {
    const bad = await centinela(['verify', '--config', dir], { LOG_LEVEL: 'loud' });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toBe(
      'LOG_LEVEL is not a level. Set it to fatal, error, warn, info, debug, trace or silent, or leave it unset\n',
    );
    expect(scrapes).toBe(0);
  });
});
