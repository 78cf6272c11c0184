// Bench: how centinela's memory and CPU grow with what it watches. Runs `centinela run` (built with tsc, as the image
// runs it) per scenario against a loopback target in this process, and prints a table of RSS (mean of one sample a
// second, and the peak VmHWM), CPU % of one core (CPU-seconds over the sampled time) and pages received:
//   http-10, http-100, http-1000  that many http probes (every 5s, each with its rule: one rule per probe), all up
//   alerts-1000                   1,000 http probes whose target answers 503: 1,000 firing alerts, paged by webhook
//   series-10k, series-100k       one metrics probe (every 5s, window 1m) selecting that many counter series, whose
//                                 per-second rates a rule reads (one alert instance per series, none firing)
//
//   npx tsx bench/footprint.ts [--scenarios http-10,http-100,...] [--seconds 120] [--trials 1]
//                              [--node-flags="--max-semi-space-size=1 ..."] [--env="MALLOC_ARENA_MAX=2 ..."]
//                              [--build bundle-min|bundle|tsc]   (how dist/ is made; the image ships bundle-min)
//   npm run bench -- footprint [same options]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { systemClock } from '../src/clock.js';
import { startWebhookSink } from '../test/support/webhook-sink.js';
import { writeDaemonBasics } from './support/daemon-config.js';
import { envOf, load, mean, median, mib, usage } from './support/process-usage.js';
import { buildOf, buildScratch, NODE_AS_GIVEN } from './support/scratch-build.js';

const SCENARIOS: Record<string, { probes?: number; failing?: boolean; series?: number }> = {
  'http-10': { probes: 10 },
  'http-100': { probes: 100 },
  'http-1000': { probes: 1000 },
  'alerts-1000': { probes: 1000, failing: true },
  'series-10k': { series: 10_000 },
  'series-100k': { series: 100_000 },
};

const { values } = parseArgs({
  options: {
    scenarios: { type: 'string', default: Object.keys(SCENARIOS).join(',') },
    seconds: { type: 'string', default: '120' },
    trials: { type: 'string', default: '1' },
    'node-flags': { type: 'string', default: '' },
    env: { type: 'string', default: '' },
    build: { type: 'string', default: 'bundle-min' },
  },
});
const build = buildOf(values.build);
const seconds = Number(values.seconds);
const trials = Number(values.trials);
const nodeFlags = values['node-flags'].split(' ').filter(Boolean);
const extraEnv = envOf(values.env);
const WARMUP_MS = 30_000;

/** /health answers 200, /down 503, /metrics `series` counter series that grow at every scrape. */
async function startTarget(series: () => number): Promise<{ url: string; close: () => Promise<void> }> {
  let scrapes = 0;
  const server = createServer((req, res) => {
    if (req.url === '/metrics') {
      scrapes++;
      const lines = ['# TYPE bench_requests_total counter'];
      for (let i = 0; i < series(); i++)
        lines.push(`bench_requests_total{handler="/api/v1/item_${i}"} ${scrapes * (i % 7)}`);
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(`${lines.join('\n')}\n`);
    } else if (req.url === '/down') {
      res.writeHead(503, { 'content-type': 'application/json' }).end('{"status":"unhealthy"}');
    } else {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"healthy"}');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

function alertsYaml(targetUrl: string, scenario: (typeof SCENARIOS)[string]): string {
  const probes: string[] = [];
  const rules: string[] = [];
  for (let i = 0; i < (scenario.probes ?? 0); i++) {
    const path = scenario.failing ? '/down' : '/health';
    probes.push(`  - { name: web_${i}, kind: http, url: "${targetUrl}${path}", every: 5s, timeout: 4s }`);
    rules.push(`  - { name: WebDown_${i}, sample: web_${i}.up, op: "==", thresholds: { P3: 0 }, summary: down }`);
  }
  if (scenario.series) {
    probes.push(`  - name: api
    kind: metrics
    url: ${targetUrl}/metrics
    every: 5s
    timeout: 4s
    window: 1m
    max_series: ${scenario.series * 2}
    max_body_bytes: ${64 * 1024 * 1024}
    rates: [{ metric: bench_requests_total, by: [handler], as: rps }]`);
    rules.push(`  - { name: Busy, sample: api.rps, op: ">", thresholds: { P3: 1000000000 }, summary: cannot fire }`);
  }
  return `probes:\n${probes.join('\n')}\nrules:\n${rules.join('\n')}\n`;
}

interface Trial {
  rssMean: number;
  peak: number;
  cpuPercent: number;
  pages: number;
}

async function trial(root: string, name: string, targetUrl: string): Promise<Trial> {
  const scenario = SCENARIOS[name] ?? {};
  const sink = await startWebhookSink();
  const dir = mkdtempSync(join(tmpdir(), 'centinela-footprint-'));
  writeFileSync(join(dir, 'alerts.yaml'), alertsYaml(targetUrl, scenario));
  writeDaemonBasics(dir, sink.url);
  const child = spawn(
    resolve('node_modules/.bin/node'),
    [...nodeFlags, join(root, 'bin/centinela.js'), 'run', '--config', dir],
    {
      env: { PATH: process.env.PATH, LOG_LEVEL: 'warn', ...NODE_AS_GIVEN, ...extraEnv },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const pid = child.pid ?? 0;
  await systemClock.sleep(WARMUP_MS);
  if (child.exitCode !== null) throw new Error(`centinela exited: ${stderr}`);
  const start = usage(pid);
  const startedAt = systemClock.now();
  const rss: number[] = [];
  while (systemClock.now() - startedAt < seconds * 1000) {
    rss.push(usage(pid).rss);
    await systemClock.sleep(1_000);
  }
  const end = usage(pid);
  const cpuPercent = ((end.cpu - start.cpu) / ((systemClock.now() - startedAt) / 1000)) * 100;
  child.kill('SIGTERM');
  await new Promise((r) => child.on('exit', r));
  const pages = sink.requests.length;
  await sink.close();
  rmSync(dir, { recursive: true, force: true });
  return { rssMean: mean(rss), peak: end.peak, cpuPercent, pages };
}

const names = values.scenarios.split(',').filter(Boolean);
const unknown = names.filter((n) => !(n in SCENARIOS));
if (unknown.length > 0)
  throw new Error(`no scenario ${unknown.join(', ')}. Scenarios: ${Object.keys(SCENARIOS).join(', ')}`);
const root = buildScratch(`footprint-${process.pid}`, build);
let series = 0;
const target = await startTarget(() => series);
console.log(
  `centinela run per scenario: ${trials} trial(s) of ${seconds} s after a ${WARMUP_MS / 1000} s warm-up, node ${
    nodeFlags.join(' ') || '(no flags)'
  }, env ${values.env || '(none added)'}; load average before: ${load()}`,
);
console.log('  scenario       RSS mean   peak (VmHWM)   CPU % of a core   webhook requests');
try {
  for (const name of names) {
    series = SCENARIOS[name]?.series ?? 0;
    const runs: Trial[] = [];
    for (let i = 0; i < trials; i++) runs.push(await trial(root, name, target.url));
    const of = (f: (t: Trial) => number) => median(runs.map(f));
    console.log(
      `  ${name.padEnd(13)} ${mib(of((t) => t.rssMean)).padStart(6)} MiB   ${mib(of((t) => t.peak)).padStart(6)} MiB` +
        `   ${of((t) => t.cpuPercent)
          .toFixed(2)
          .padStart(12)} %   ${String(of((t) => t.pages)).padStart(10)}`,
    );
  }
} finally {
  await target.close();
  rmSync(root, { recursive: true, force: true });
}
console.log(`  load average after: ${load()}`);
