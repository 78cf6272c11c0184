// Bench: a 1,000,000-series /metrics target beside a probe that runs every second, through the real daemon
// (`centinela run` built with tsc, as in the image) on the real clock. Prints, per scenario, the medians over trials
// of: the 1 s probe's lateness against its schedule (p99, max) and its missed runs, the daemon's peak RSS, how long
// /healthz took to answer (p99, max; asked every 250 ms), the metrics probe's scrapes, and the pages the webhook sink
// received — a page other than the scenario's expected CannotMeasure is a false page. Issue 13's goals: p99 lateness
// under 100 ms, RSS under 300 MB, no false page.
//
//   npx tsx bench/large-target.ts [--series 1000000] [--seconds 60] [--trials 3] [--scenarios parsed,defaults,series]
//   npm run bench -- large-target [same options]
//
// The target (its own process, so its CPU and memory are not the daemon's) serves the API-like exposition of
// bench/support/api-exposition.ts, about 100 bytes a series (1M series ≈ 100 MB, Content-Length set), and
// /health. The daemon has two probes: `control` (http, every 1s, timeout 900ms) with a rule that pages when it is
// down, and `big` (metrics, every 15s, timeout 14s, window 1m) with a rule on its rate that cannot fire. Scenarios:
//   parsed    max_body_bytes raised so the whole body is read and parsed at every scrape; the probe keeps 11,000
//             series (a 10,000-series counter by status, a 1,000-series gauge by state). No page expected.
//   defaults  the same probe with the default limits: the body is over max_body_bytes (16 MiB), so every scrape is
//             refused unread. One CannotMeasure page expected.
//   series    max_body_bytes raised and a histogram selected too: 130,000 series (120,000 buckets and the counter),
//             over max_series (20,000): reading stops at the first one past it. One CannotMeasure page expected.
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { systemClock } from '../src/clock.js';
import { startWebhookSink } from '../test/support/webhook-sink.js';
import { writeApiExposition } from './support/api-exposition.js';
import { writeDaemonBasics } from './support/daemon-config.js';
import { buildScratch } from './support/scratch-build.js';

const { values } = parseArgs({
  options: {
    series: { type: 'string', default: '1000000' },
    seconds: { type: 'string', default: '60' },
    trials: { type: 'string', default: '3' },
    scenarios: { type: 'string', default: 'parsed,defaults,series' },
    target: { type: 'boolean', default: false },
  },
});
const perFamily = Math.round(Number(values.series) / 100);

/** What the metrics probe of each scenario asks for, and which page is expected. */
const SCENARIOS: Record<string, { keys: string; expected?: string }> = {
  parsed: {
    keys: `    max_body_bytes: 536870912
    rates: [{ metric: http_requests_0_total, by: [status], as: rps }]
    gauges: [{ metric: process_pool_connections_0, by: [state], as: pool }]`,
  },
  defaults: {
    keys: `    rates: [{ metric: http_requests_0_total, by: [status], as: rps }]
    gauges: [{ metric: process_pool_connections_0, by: [state], as: pool }]`,
    expected: 'CannotMeasure',
  },
  series: {
    keys: `    max_body_bytes: 536870912
    rates: [{ metric: http_requests_0_total, by: [status], as: rps }]
    histograms: [{ metric: http_request_duration_seconds_0, by: [method] }]`,
    expected: 'CannotMeasure',
  },
};

/** The target process: the exposition and /health on loopback; sends its port to the parent. */
async function serveTarget(): Promise<void> {
  const parts: Buffer[] = [];
  const series = writeApiExposition((text) => parts.push(Buffer.from(text)), perFamily);
  const body = Buffer.concat(parts);
  parts.length = 0;
  const server = createServer((req, res) => {
    if (req.url === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4', 'content-length': body.length }).end(body);
    } else {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"healthy"}');
    }
  });
  server.listen(0, '127.0.0.1', () => {
    process.send?.({ port: (server.address() as AddressInfo).port, series, bytes: body.length });
  });
}

function config(dir: string, targetUrl: string, sinkUrl: string, scenario: string): void {
  writeFileSync(
    join(dir, 'alerts.yaml'),
    `probes:
  - name: control
    kind: http
    url: ${targetUrl}/health
    every: 1s
    timeout: 900ms
  - name: big
    kind: metrics
    url: ${targetUrl}/metrics
    every: 15s
    timeout: 14s
    window: 1m
${SCENARIOS[scenario]?.keys}
rules:
  - name: ControlDown
    sample: control.up
    op: "=="
    thresholds: { P1: 0 }
    summary: the 1 s probe failed
  - name: BigTraffic
    sample: big.rps
    op: ">"
    thresholds: { P2: 1000000000 }
    summary: cannot fire, the target's counters do not move
`,
  );
  writeDaemonBasics(dir, sinkUrl);
}

interface Trial {
  latenessMs: number[];
  missedRuns: number;
  peakRssMiB: number;
  healthzMs: number[];
  /** Duration of each run of the metrics probe. */
  bigRunsMs: number[];
  pages: string[];
  /** What the first page said (its description or diagnosis), to show the CannotMeasure reason. */
  firstPageSays?: string;
}

const pct = (xs: readonly number[], q: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
};
const median = (xs: readonly number[]) => pct(xs, 0.5);

/** Every alert of a generic-format webhook body: `name event`, and what it says. */
function pagesIn(body: string): { page: string; says: string }[] {
  const found: { page: string; says: string }[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) for (const x of v) walk(x);
    else if (v && typeof v === 'object') {
      const o = v as { alert?: { name?: string; description?: unknown; diagnosis?: unknown }; event?: string };
      if (o.alert?.name) {
        const says = JSON.stringify(o.alert.description ?? o.alert.diagnosis ?? '');
        found.push({ page: `${o.alert.name} ${o.event ?? ''}`.trim(), says });
      }
      for (const x of Object.values(v)) walk(x);
    }
  };
  walk(JSON.parse(body));
  return found;
}

async function trial(root: string, targetUrl: string, scenario: string, seconds: number): Promise<Trial> {
  const sink = await startWebhookSink();
  const dir = mkdtempSync(join(tmpdir(), 'centinela-bench-'));
  config(dir, targetUrl, sink.url, scenario);
  const daemon = spawn(resolve('node_modules/.bin/node'), [join(root, 'bin/centinela.js'), 'run', '--config', dir], {
    env: { PATH: process.env.PATH, LOG_LEVEL: 'debug' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const result: Trial = { latenessMs: [], missedRuns: 0, peakRssMiB: 0, healthzMs: [], bigRunsMs: [], pages: [] };
  let url: string | undefined;
  const controlRuns: { scheduledAt: number; startedAt: number }[] = [];
  createInterface({ input: daemon.stdout }).on('line', (line) => {
    if (!line.startsWith('{')) return;
    const entry = JSON.parse(line) as Record<string, unknown>;
    if (entry.msg === 'centinela running') url = entry.url as string;
    if (entry.msg !== 'probe run') return;
    if (entry.probe === 'control') {
      controlRuns.push({ scheduledAt: entry.scheduledAt as number, startedAt: entry.startedAt as number });
    } else if (entry.probe === 'big') {
      result.bigRunsMs.push(entry.ms as number);
    }
  });
  const started = systemClock.now();
  while (url === undefined && daemon.exitCode === null) await systemClock.sleep(20);
  if (url === undefined) throw new Error(`centinela run exited with ${daemon.exitCode}`);
  // /healthz from this process, one request at a time: how long a person or a load balancer waits.
  while (systemClock.now() - started < seconds * 1000) {
    const asked = performance.now();
    await fetch(`${url}/healthz`).then((r) => r.text());
    result.healthzMs.push(performance.now() - asked);
    await systemClock.sleep(250);
  }
  const status = readFileSync(`/proc/${daemon.pid}/status`, 'utf8');
  result.peakRssMiB = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]) / 1024;
  daemon.kill('SIGTERM');
  await once(daemon, 'exit');
  // A slot skipped because the previous run was still in flight (or the loop stalled past it) is a missed run.
  const first = controlRuns[0]?.scheduledAt ?? 0;
  const last = controlRuns.at(-1)?.scheduledAt ?? 0;
  result.missedRuns = Math.max(0, Math.round((last - first) / 1000) + 1 - controlRuns.length);
  result.latenessMs = controlRuns.map((r) => r.startedAt - r.scheduledAt);
  for (const request of sink.requests) {
    for (const { page, says } of pagesIn(request.body)) {
      result.pages.push(page);
      result.firstPageSays ??= says;
    }
  }
  await sink.close();
  rmSync(dir, { recursive: true, force: true });
  return result;
}

if (values.target) {
  await serveTarget();
} else {
  const seconds = Number(values.seconds);
  const trials = Number(values.trials);
  const scenarios = (values.scenarios ?? '').split(',').filter(Boolean);
  const root = buildScratch();
  const target: ChildProcess = fork(fileURLToPath(import.meta.url), ['--target', '--series', String(values.series)], {
    execArgv: [...process.execArgv, '--max-old-space-size=4096'],
  });
  const [ready] = (await once(target, 'message')) as [{ port: number; series: number; bytes: number }];
  const targetUrl = `http://127.0.0.1:${ready.port}`;
  console.log(
    `target: ${ready.series} series, ${(ready.bytes / 1e6).toFixed(0)} MB; ${trials} trials of ${seconds} s per scenario;` +
      ` node ${process.version}, load average before: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
  );
  try {
    for (const scenario of scenarios) {
      const runs: Trial[] = [];
      for (let i = 0; i < trials; i++) runs.push(await trial(root, targetUrl, scenario, seconds));
      const expected = SCENARIOS[scenario]?.expected;
      const falsePages = runs.map((r) => r.pages.filter((p) => !expected || !p.startsWith(expected)));
      const of = (f: (r: Trial) => number) => median(runs.map(f));
      console.log(`\n${scenario}: ${expected ? `one ${expected} page expected` : 'no page expected'}`);
      console.log(
        `  1 s probe lateness: p99 ${of((r) => pct(r.latenessMs, 0.99)).toFixed(1)} ms, max ${of((r) =>
          pct(r.latenessMs, 1),
        ).toFixed(
          1,
        )} ms, median ${of((r) => median(r.latenessMs)).toFixed(1)} ms; missed runs ${of((r) => r.missedRuns)}` +
          ` (per trial: p99 ${runs.map((r) => pct(r.latenessMs, 0.99).toFixed(0)).join(', ')} ms)`,
      );
      console.log(
        `  peak RSS ${of((r) => r.peakRssMiB).toFixed(0)} MiB (per trial: ${runs.map((r) => r.peakRssMiB.toFixed(0)).join(', ')})`,
      );
      console.log(
        `  /healthz: p99 ${of((r) => pct(r.healthzMs, 0.99)).toFixed(1)} ms, max ${of((r) => pct(r.healthzMs, 1)).toFixed(1)} ms`,
      );
      console.log(
        `  metrics probe: ${of((r) => r.bigRunsMs.length)} runs, median ${of((r) => median(r.bigRunsMs)).toFixed(0)} ms` +
          ` a run (per trial: ${runs.map((r) => median(r.bigRunsMs).toFixed(0)).join(', ')} ms)`,
      );
      const says = runs.find((r) => r.firstPageSays)?.firstPageSays;
      if (says) console.log(`  the first page says: ${says.slice(0, 300)}`);
      console.log(
        `  pages per trial: ${runs.map((r) => `[${r.pages.join(', ')}]`).join(' ')}; false pages: ${falsePages.flat().length}`,
      );
    }
    console.log(
      `\nload average after: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
  } finally {
    target.kill();
  }
}
