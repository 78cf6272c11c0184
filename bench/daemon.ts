// Bench: the daemon as it runs in production. Prints
//  1. time from a target going down to the first page at the sink, with every: 5s, after_failures: 3,
//     retry_every: 1s (demo/config against demo/target.ts; the fault lands at a random point of the 5 s cycle);
//  2. RSS and CPU of `centinela run` (built as the image builds it into a scratch dist/, run by Node 24, no tsx, with
//     exactly the --node-flags and --env given: pass the shipped ones from bin/centinela.js to measure them) with the shipped
//     config/ against loopback targets: the demo API (health, /metrics, /ws/stats, WebSocket), a TLS server whose
//     certificate the daemon trusts (NODE_EXTRA_CA_CERTS), the machine's PostgreSQL and Redis, a temp folder of logs
//     and backups, an SMTP server (SMTP_PORT) and a webhook sink (also the ntfy server); /metrics is scraped every 15 s as Prometheus would.
//     There is no Docker engine at the shipped endpoint (unix:///var/run/docker.sock), so the docker probe is down
//     and its alerts page (delivered, then reminded) — as in production, a little paging goes on. Each trial is a
//     fresh daemon and state file; CPU is CPU-seconds (utime + stime) over the sampled minutes, so other processes on
//     the machine do not count, and the load average is printed beside it. Issue 14's goals: RSS ≤ 90 MiB on average
//     and ≤ 110 MiB at its peak, CPU ≤ 0.65 % of one core, with every probe at `every: 5s` for 10 minutes; each trial
//     lists the probes that were down at a scrape (only the docker ones should be);
//  3. (--part floor) RSS of an empty node and of node with the built dist/ loaded doing nothing, with the same flags
//     and environment: what the daemon's own work cannot go below.
//
//   npx tsx bench/daemon.ts [--part latency,footprint,floor] [--minutes 5] [--trials 3] [--every 5s]
//                           [--node-flags="--max-semi-space-size=1 ..."] [--env="MALLOC_ARENA_MAX=2 ..."] [--cpu-prof DIR]
//                           [--build bundle-min|bundle|tsc] [--shipped]
//   --every        sets every probe's `every` in a copy of config/ (default: the shipped intervals)
//   --node-flags   node's flags for the daemon (default: none, as `centinela` runs without NODE_OPTIONS)
//   --env          more environment for the daemon, KEY=VALUE separated by blanks (glibc's MALLOC_* tunables)
//   --build        how dist/ is made: bundle-min (esbuild, minified: what the image ships and the default), bundle (not
//                  minified), tsc (a file per module: --cpu-prof then tells the time of each package apart)
//   --shipped      runs `centinela run` as production does: bin/centinela.js restarts it with its own node flags, glibc
//                  tunables and ICU data folder (--node-flags and --env come on top); without it, exactly those given
//   --cpu-prof     writes a V8 CPU profile of each trial's daemon into DIR (node --cpu-prof) and prints its top
//                  functions by self time after the warm-up (the profiler's own sampling costs CPU: compare CPU
//                  figures of runs without it)
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { SMTPServer } from 'smtp-server';
import { startDemoTarget } from '../demo/target.js';
import { systemClock } from '../src/clock.js';
import { editYamlFile, probesEvery } from '../test/support/config-timings.js';
import { SHIPPED_ENV } from '../test/support/shipped-env.js';
import { makeSelfSignedCert } from '../test/support/tls-cert.js';
import { startWebhookSink } from '../test/support/webhook-sink.js';
import { summarizeProfile } from './support/cpu-profile.js';
import { startDemoBench } from './support/demo-daemon.js';
import { envOf, load, mean, median, mib, smaps, usage } from './support/process-usage.js';
import { buildOf, buildScratch, NODE_AS_GIVEN } from './support/scratch-build.js';

const { values } = parseArgs({
  options: {
    part: { type: 'string', default: 'latency,footprint' },
    minutes: { type: 'string', default: '5' },
    trials: { type: 'string', default: '3' },
    every: { type: 'string' },
    'node-flags': { type: 'string', default: '' },
    env: { type: 'string', default: '' },
    'cpu-prof': { type: 'string' },
    build: { type: 'string', default: 'bundle-min' },
    shipped: { type: 'boolean', default: false },
  },
});
const build = buildOf(values.build);
const minutes = Number(values.minutes);
const trials = Number(values.trials);
const nodeFlags = values['node-flags'].split(' ').filter(Boolean);
const extraEnv = envOf(values.env);
const sleep = (ms: number) => systemClock.sleep(ms);
const until = async (done: () => boolean, ms: number, what: string) => {
  const deadline = systemClock.now() + ms;
  while (!done()) {
    if (systemClock.now() > deadline) throw new Error(`waited ${ms} ms for ${what}`);
    await sleep(20);
  }
};

async function pageLatency(): Promise<void> {
  const demo = await startDemoBench();
  const { target } = demo;
  const firing = () => demo.pages('firing');
  const latencies: number[] = [];
  for (let i = 0; i < trials; i++) {
    target.setFault('none');
    const daemon = await demo.daemon();
    await sleep(6_000 + Math.random() * 5_000);
    const before = firing().length;
    const at = systemClock.now();
    target.setFault('down');
    await until(() => firing().length > before, 30_000, 'the page');
    latencies.push((firing().at(-1)?.at ?? Number.NaN) - at);
    await daemon.close();
  }
  await demo.close();
  const s = latencies.map((ms) => (ms / 1000).toFixed(2));
  console.log(`target down → first page at the sink (every 5s, after_failures 3, retry_every 1s), ${trials} trials:`);
  console.log(`  ${s.join(' s, ')} s`);
  console.log(
    `  min ${(Math.min(...latencies) / 1000).toFixed(2)} s, median ${(median(latencies) / 1000).toFixed(2)} s, max ${(Math.max(...latencies) / 1000).toFixed(2)} s (goal: under 6 s)`,
  );
  console.log('  bound: the next scheduled check (0-5 s after the fault) + 2 re-checks 1 s apart + delivery');
}

/** The loopback production stack the shipped config points at, and the environment that points it there. */
async function startStack(dir: string) {
  const target = await startDemoTarget();
  const hook = await startWebhookSink();
  const cert = makeSelfSignedCert();
  // Caddy's stand-in: the public health answer over HTTPS, and the certificate the tls probe reads.
  const tls = createServer({ key: cert.key, cert: cert.cert }, (_req, res) =>
    res.setHeader('content-type', 'application/json').end('{"status":"healthy","environment":"production"}'),
  );
  await new Promise<void>((r) => tls.listen(0, '127.0.0.1', r));
  let mails = 0;
  const smtp = new SMTPServer({
    key: cert.key,
    cert: cert.cert,
    authOptional: true,
    logger: false,
    disableReverseLookup: true,
    onData(stream, _session, callback) {
      stream.resume().on('end', () => {
        mails++;
        callback();
      });
    },
  });
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
  mkdirSync(join(dir, 'logs'));
  mkdirSync(join(dir, 'backups'));
  writeFileSync(join(dir, 'logs', 'api.log'), 'started\n');
  writeFileSync(join(dir, 'backups', 'full_20260101.sql.gz'), Buffer.alloc(1024));
  // A database of this bench's own (the db probe's POSTGRES_DB), so that benches running side by side do not drop
  // each other's while their daemons still probe it.
  const database = `bench_daemon_${process.pid}`;
  const admin = new pg.Client({ host: '127.0.0.1', user: 'postgres', database: 'postgres' });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  const env: Record<string, string | undefined> = {
    ...SHIPPED_ENV,
    PATH: process.env.PATH,
    LOG_LEVEL: 'warn',
    API_URL: target.url,
    METRICS_URL: `${target.url}/metrics`,
    // The demo API's health reports environment "demo".
    API_ENVIRONMENT: 'demo',
    WS_URL: `${target.url.replace('http', 'ws')}/ws`,
    PUBLIC_URL: `https://127.0.0.1:${(tls.address() as AddressInfo).port}`,
    PUBLIC_HOST: `127.0.0.1:${(tls.address() as AddressInfo).port}`,
    POSTGRES_HOST: '127.0.0.1',
    POSTGRES_USER: 'postgres',
    POSTGRES_DB: database,
    REDIS_HOST: '127.0.0.1',
    LOGS_DIR: join(dir, 'logs'),
    BACKUPS_DIR: join(dir, 'backups'),
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String((smtp.server.address() as AddressInfo).port),
    NODE_EXTRA_CA_CERTS: cert.certFile,
    OPS_WEBHOOK_URL: hook.url,
    NTFY_SERVER: new URL(hook.path('/')).origin,
    CENTINELA_LISTEN: '127.0.0.1:0',
  };
  return {
    env,
    pages: () => ({ mails, hooks: hook.requests.length }),
    close: async () => {
      await admin.query(`DROP DATABASE ${database} WITH (FORCE)`);
      await admin.end();
      await Promise.all([
        target.close(),
        hook.close(),
        new Promise((r) => tls.close(r)),
        new Promise<void>((r) => smtp.close(() => r())),
      ]);
      cert.remove();
    },
  };
}

/**
 * The shipped config/ copied into `dir`, with every probe's `every` set to `every` when one is given (and a timeout
 * that is not shorter lowered to `every` less a second, as the config requires).
 */
function shippedConfig(dir: string, every: string | undefined): string {
  cpSync('config', dir, { recursive: true });
  if (every) editYamlFile(join(dir, 'alerts.yaml'), (doc) => probesEvery(doc, every));
  return dir;
}

interface Trial {
  cpuPercent: number;
  startupCpu: number;
  rssMean: number;
  rssMax: number;
  peak: number;
  end: ReturnType<typeof smaps>;
  pages: { mails: number; hooks: number };
  scrapes: number;
  /** Probes that were down at a scrape, with how many scrapes saw them down. */
  down: Map<string, number>;
  load: [string, string];
}

/** The probes `centinela_probe_up` says are down in a /metrics exposition. */
const downProbes = (exposition: string): string[] =>
  [...exposition.matchAll(/^centinela_probe_up\{[^}]*probe="([^"]+)"[^}]*\} 0$/gm)].map((m) => m[1] as string);

/** One `centinela run` of the built daemon: a warm-up, then `minutes` of sampling RSS each second and CPU overall. */
async function trial(
  root: string,
  stack: Awaited<ReturnType<typeof startStack>>,
  configDir: string,
  state: string,
): Promise<Trial> {
  const before = stack.pages();
  const loadBefore = load();
  const profileName = `trial-${process.pid}-${systemClock.now()}.cpuprofile`;
  const profile = values['cpu-prof']
    ? ['--cpu-prof', `--cpu-prof-dir=${resolve(values['cpu-prof'])}`, `--cpu-prof-name=${profileName}`]
    : [];
  const child = spawn(
    resolve('node_modules/.bin/node'),
    [...nodeFlags, ...profile, join(root, 'bin/centinela.js'), 'run', '--config', configDir],
    {
      env: { ...stack.env, ...(values.shipped ? {} : NODE_AS_GIVEN), ...extraEnv, CENTINELA_STATE: state },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const pid = child.pid ?? 0;
  const warmup = 30_000;
  await sleep(warmup);
  if (child.exitCode !== null) throw new Error(`centinela exited: ${stderr}`);
  const port = Number(
    /:(\d+)\s/.exec(
      execFileSync('ss', ['-ltnpH'])
        .toString()
        .split('\n')
        .find((l) => l.includes(`pid=${pid},`)) ?? '',
    )?.[1],
  );
  const start = usage(pid);
  const startedAt = systemClock.now();
  const rss: number[] = [];
  let scrapes = 0;
  const down = new Map<string, number>();
  // /metrics is scraped every 15 s, as Prometheus would.
  while (systemClock.now() - startedAt < minutes * 60_000) {
    for (let i = 0; i < 15; i++) {
      rss.push(usage(pid).rss);
      await sleep(1_000);
    }
    if (port) {
      const exposition = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
      for (const probe of downProbes(exposition)) down.set(probe, (down.get(probe) ?? 0) + 1);
      scrapes++;
    }
  }
  const end = usage(pid);
  const seconds = (systemClock.now() - startedAt) / 1000;
  const memory = smaps(pid);
  child.kill('SIGTERM');
  await new Promise((r) => child.on('exit', r));
  if (values['cpu-prof']) {
    const file = join(resolve(values['cpu-prof']), profileName);
    for (const line of summarizeProfile(file, { skipSeconds: warmup / 1000, tailSeconds: 1 })) console.log(`  ${line}`);
  }
  const after = stack.pages();
  return {
    cpuPercent: ((end.cpu - start.cpu) / seconds) * 100,
    startupCpu: start.cpu,
    rssMean: mean(rss),
    rssMax: Math.max(...rss),
    peak: end.peak,
    end: memory,
    pages: { mails: after.mails - before.mails, hooks: after.hooks - before.hooks },
    scrapes,
    down,
    load: [loadBefore, load()],
  };
}

async function footprint(): Promise<void> {
  const root = buildScratch(`daemon-${process.pid}`, build);
  const dir = mkdtempSync(join(tmpdir(), 'centinela-bench-'));
  const stack = await startStack(dir);
  const configDir = shippedConfig(join(dir, 'config'), values.every);
  const runs: Trial[] = [];
  try {
    for (let i = 0; i < trials; i++) {
      const t = await trial(root, stack, configDir, join(dir, `state-${i}.db`));
      runs.push(t);
      console.log(
        `  trial ${i + 1}: CPU ${t.cpuPercent.toFixed(3)} %, RSS mean ${mib(t.rssMean)} MiB, max ${mib(t.rssMax)} MiB,` +
          ` peak (VmHWM) ${mib(t.peak)} MiB; startup ${t.startupCpu.toFixed(2)} CPU-s; ${t.pages.mails} emails,` +
          ` ${t.pages.hooks} webhooks; load average ${t.load[0]} → ${t.load[1]}`,
      );
      // Only the docker probe is expected down (no engine at the shipped endpoint); any other means the daemon did
      // less work than in production (a node flag that breaks a client, say), and its figures do not count.
      const down = [...t.down].map(([probe, n]) => `${probe} (${n} of ${t.scrapes} scrapes)`);
      console.log(`    probes down: ${down.join(', ') || 'none'}`);
    }
  } finally {
    await stack.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(root, { recursive: true, force: true });
  }
  const of = (f: (t: Trial) => number) => median(runs.map(f));
  console.log(
    `centinela run, shipped config (${values.every ? `every probe at every: ${values.every}` : 'shipped intervals'}),` +
      ` loopback targets, dist/ by ${build}, node ${values.shipped ? "bin/centinela.js's flags and folder, then " : ''}${nodeFlags.join(' ') || '(no flags)'}, env ${values.env || '(none added)'}; medians of ${trials} trials of ${minutes} min` +
      ` after a 30 s warm-up, /metrics scraped every 15 s (${of((t) => t.scrapes)} scrapes):`,
  );
  console.log(`  CPU ${of((t) => t.cpuPercent).toFixed(3)} % of one core (goal: ≤ 0.65 %)`);
  console.log(`  startup (the 30 s warm-up included) ${of((t) => t.startupCpu).toFixed(2)} CPU-s`);
  console.log(
    `  RSS mean ${mib(of((t) => t.rssMean))} MiB (goal: ≤ 90), max sampled ${mib(of((t) => t.rssMax))} MiB,` +
      ` peak VmHWM ${mib(of((t) => t.peak))} MiB (goal: ≤ 110)`,
  );
  console.log(
    `  at the end: PSS ${mib(of((t) => t.end.pss))} MiB, private ${mib(of((t) => t.end.priv))} MiB,` +
      ` shared clean (Node binary, libraries) ${mib(of((t) => t.end.shared))} MiB`,
  );
}

/**
 * What node costs before centinela does anything, with the same flags and environment: an empty node, node with the
 * bundle's eager part loaded (everything `centinela run` imports before its config says which clients it needs),
 * and that plus every lazily loaded client chunk; RSS sampled for 20 s after 10 s.
 */
async function floor(): Promise<void> {
  const root = buildScratch(`floor-${process.pid}`, build);
  // main.js parses argv on import: `--version` prints and calls process.exit, which is taken off to stay loaded.
  const loadDist = (chunks: 'main' | 'all') => `
    import { readdirSync } from 'node:fs';
    process.exit = () => {};
    process.argv = [process.argv[0], 'centinela', '--version'];
    const dist = ${JSON.stringify(join(root, 'dist'))};
    const files = ${chunks === 'all' ? "readdirSync(dist).filter((f) => f.endsWith('.js'))" : "['main.js']"};
    for (const file of files) await import(dist + '/' + file);`;
  const cases: [string, string][] = [
    ['empty node', ''],
    ['node + the eager part of dist/ loaded', loadDist('main')],
    ['node + all of dist/ loaded (every client)', loadDist('all')],
  ];
  console.log(
    `floor: node ${nodeFlags.join(' ') || '(no flags)'}, env ${values.env || '(none added)'}, dist/ by ${build}:`,
  );
  try {
    for (const [name, script] of cases) {
      const child = spawn(
        resolve('node_modules/.bin/node'),
        [...nodeFlags, '--input-type=module', '-e', `${script}\nsetInterval(() => {}, 1000);`],
        { env: { PATH: process.env.PATH, ...extraEnv }, stdio: 'ignore' },
      );
      const pid = child.pid ?? 0;
      await sleep(10_000);
      const rss: number[] = [];
      for (let i = 0; i < 20; i++) {
        rss.push(usage(pid).rss);
        await sleep(1_000);
      }
      const memory = smaps(pid);
      child.kill('SIGTERM');
      await new Promise((r) => child.on('exit', r));
      console.log(
        `  ${name}: RSS mean ${mib(mean(rss))} MiB (private ${mib(memory.priv)} MiB, shared clean ${mib(memory.shared)} MiB)`,
      );
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const parts = values.part.split(',');
if (parts.includes('latency')) await pageLatency();
if (parts.includes('footprint')) await footprint();
if (parts.includes('floor')) await floor();
