// Bench: the daemon as it runs in production. Prints
//  1. time from a target going down to the first page at the sink, with every: 5s, after_failures: 3,
//     retry_every: 1s (demo/config against demo/target.ts; the fault lands at a random point of the 5 s cycle);
//  2. RSS and CPU of `centinela run` (built with tsc to a scratch dist/, run by Node 24, no tsx) with the shipped
//     config/ against loopback targets: the demo API (health, /metrics, /ws/stats, WebSocket), a TLS server whose
//     certificate the daemon trusts (NODE_EXTRA_CA_CERTS), the machine's PostgreSQL and Redis, a temp folder of logs
//     and backups, an SMTP server (SMTP_PORT) and a webhook sink (also the ntfy server); /metrics is scraped every 15 s as Prometheus would. There is no Docker
//     engine at the shipped endpoint (unix:///var/run/docker.sock), so the docker probe is down and its alerts page
//     (delivered, then reminded) — as in production, a little paging goes on.
//
//   npx tsx bench/daemon.ts [--minutes 5] [--trials 5]
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { pino } from 'pino';
import { SMTPServer } from 'smtp-server';
import { startDemoSink } from '../demo/sink.js';
import { startDemoTarget } from '../demo/target.js';
import { startDaemon } from '../src/cli/run.js';
import { systemClock } from '../src/clock.js';
import { SHIPPED_ENV } from '../test/support/shipped-env.js';
import { makeSelfSignedCert } from '../test/support/tls-cert.js';
import { startWebhookSink } from '../test/support/webhook-sink.js';
import { buildScratch } from './support/scratch-build.js';

const { values } = parseArgs({
  options: { minutes: { type: 'string', default: '5' }, trials: { type: 'string', default: '5' } },
});
const minutes = Number(values.minutes);
const trials = Number(values.trials);
const sleep = (ms: number) => systemClock.sleep(ms);
const until = async (done: () => boolean, ms: number, what: string) => {
  const deadline = systemClock.now() + ms;
  while (!done()) {
    if (systemClock.now() > deadline) throw new Error(`waited ${ms} ms for ${what}`);
    await sleep(20);
  }
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

async function pageLatency(): Promise<void> {
  const target = await startDemoTarget();
  const sink = await startDemoSink(() => systemClock.now());
  const dir = mkdtempSync(join(tmpdir(), 'centinela-bench-'));
  const firing = () => sink.pages.filter((p) => p.hook === 'console' && p.events.some((e) => e.event === 'firing'));
  const latencies: number[] = [];
  // A fresh daemon and state file per trial: repeated faults on one alert would (rightly) be held as flapping.
  for (let i = 0; i < trials; i++) {
    target.setFault('none');
    const daemon = await startDaemon('demo/config', {
      env: {
        DEMO_TARGET_URL: target.url,
        DEMO_SINK_URL: sink.url,
        DEMO_LISTEN: '127.0.0.1:0',
        DEMO_STATE: join(dir, `state-${i}.db`),
      },
      log: pino({ level: 'silent' }),
    });
    await sleep(6_000 + Math.random() * 5_000);
    const before = firing().length;
    const at = systemClock.now();
    target.setFault('down');
    await until(() => firing().length > before, 30_000, 'the page');
    latencies.push((firing().at(-1)?.at ?? Number.NaN) - at);
    await daemon.close();
  }
  await Promise.all([target.close(), sink.close()]);
  rmSync(dir, { recursive: true, force: true });
  const s = latencies.map((ms) => (ms / 1000).toFixed(2));
  console.log(`target down → first page at the sink (every 5s, after_failures 3, retry_every 1s), ${trials} trials:`);
  console.log(`  ${s.join(' s, ')} s`);
  console.log(
    `  min ${(Math.min(...latencies) / 1000).toFixed(2)} s, median ${(median(latencies) / 1000).toFixed(2)} s, max ${(Math.max(...latencies) / 1000).toFixed(2)} s (goal: under 6 s)`,
  );
  console.log('  bound: the next scheduled check (0-5 s after the fault) + 2 re-checks 1 s apart + delivery');
}

/** utime + stime (seconds) and RSS (bytes) of a process, from /proc. */
function usage(pid: number): { cpu: number; rss: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());
  const cpu = (Number(fields[11]) + Number(fields[12])) / ticks;
  const rss = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
  return { cpu, rss };
}

async function footprint(): Promise<void> {
  const root = buildScratch();
  const target = await startDemoTarget();
  const hook = await startWebhookSink();
  const cert = makeSelfSignedCert();
  const tls = createServer({ key: cert.key, cert: cert.cert }, (_req, res) => res.end('ok'));
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
  const dir = mkdtempSync(join(tmpdir(), 'centinela-bench-'));
  mkdirSync(join(dir, 'logs'));
  mkdirSync(join(dir, 'backups'));
  writeFileSync(join(dir, 'logs', 'api.log'), 'started\n');
  writeFileSync(join(dir, 'backups', 'full_20260101.sql.gz'), Buffer.alloc(1024));
  const admin = new pg.Client({ host: '127.0.0.1', user: 'postgres', database: 'postgres' });
  await admin.connect();
  const exists = (await admin.query(`SELECT 1 FROM pg_database WHERE datname = 'grupogad_prod'`)).rowCount === 1;
  if (!exists) await admin.query('CREATE DATABASE grupogad_prod');

  const child = spawn(
    resolve('node_modules/.bin/node'),
    [join(root, 'bin/centinela.js'), 'run', '--config', 'config'],
    {
      env: {
        ...SHIPPED_ENV,
        PATH: process.env.PATH,
        LOG_LEVEL: 'warn',
        API_URL: target.url,
        WS_URL: `${target.url.replace('http', 'ws')}/ws`,
        PUBLIC_HOST: `127.0.0.1:${(tls.address() as AddressInfo).port}`,
        POSTGRES_HOST: '127.0.0.1',
        POSTGRES_USER: 'postgres',
        REDIS_HOST: '127.0.0.1',
        GRUPOGAD_DIR: dir,
        SMTP_HOST: '127.0.0.1',
        SMTP_PORT: String((smtp.server.address() as AddressInfo).port),
        NODE_EXTRA_CA_CERTS: cert.certFile,
        OPS_WEBHOOK_URL: hook.url,
        NTFY_SERVER: new URL(hook.path('/')).origin,
        CENTINELA_LISTEN: '127.0.0.1:0',
        CENTINELA_STATE: join(dir, 'state.db'),
      },
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
  while (systemClock.now() - startedAt < minutes * 60_000) {
    for (let i = 0; i < 15; i++) {
      rss.push(usage(pid).rss);
      await sleep(1_000);
    }
    if (port) {
      await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
      scrapes++;
    }
  }
  const end = usage(pid);
  const seconds = (systemClock.now() - startedAt) / 1000;
  // RSS counts the Node binary's code pages, shared with every other Node process; PSS and private memory say
  // what this process adds.
  const smaps = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(smaps)?.[1] ?? 0) * 1024;
  const [pss, shared, priv] = [kb('Pss'), kb('Shared_Clean'), kb('Private_Dirty') + kb('Private_Clean')];
  child.kill('SIGTERM');
  await new Promise((r) => child.on('exit', r));
  if (!exists) await admin.query('DROP DATABASE grupogad_prod WITH (FORCE)');
  await admin.end();
  await Promise.all([
    target.close(),
    hook.close(),
    new Promise((r) => tls.close(r)),
    new Promise<void>((r) => smtp.close(() => r())),
  ]);
  cert.remove();
  rmSync(dir, { recursive: true, force: true });
  const mb = (b: number) => (b / 1024 / 1024).toFixed(1);
  console.log(
    `centinela run, shipped config (10 probes), loopback targets, ${(seconds / 60).toFixed(1)} min after a ${warmup / 1000} s warm-up, ${scrapes} /metrics scrapes:`,
  );
  console.log(`  pages: ${mails} emails, ${hook.requests.length} webhooks`);
  console.log(`  CPU ${(((end.cpu - start.cpu) / seconds) * 100).toFixed(2)} % of one core (goal: under 1 %)`);
  console.log(
    `  RSS median ${mb(median(rss))} MB, max ${mb(Math.max(...rss))} MB, at the end ${mb(end.rss)} MB (goal: ≤ 80 MB)`,
  );
  console.log(
    `  at the end: PSS ${mb(pss)} MB, private ${mb(priv)} MB, shared clean (Node binary, libraries) ${mb(shared)} MB`,
  );
}

await pageLatency();
await footprint();
