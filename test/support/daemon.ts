// The whole daemon in-process for end-to-end tests: createApp over test/fixtures/daemon with a FakeClock and a temp
// SQLite file, probing a loopback demo target, paging a real SMTP server and a webhook sink.
//
// Time is fake but the network is real, so `advance` moves the clock in small steps and, after each, waits (in real
// time) until the probe runs and deliveries that step started have finished — otherwise a fake timeout could fire
// while a real request is still on the wire.
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach } from 'vitest';
import { type DemoTarget, startDemoTarget } from '../../demo/target.js';
import { type App, createApp } from '../../src/app.js';
import { type Clock, FakeClock } from '../../src/clock.js';
import type { Env } from '../../src/config/env.js';
import { loadConfig } from '../../src/config/load.js';
import { openStore } from '../../src/store/sqlite.js';
import type { Db } from '../../src/store/sqlite-db.js';
import type { IncidentStore } from '../../src/store/store.js';
import { type SmtpSink, startSmtpSink } from './smtp-sink.js';
import { waitUntil } from './wait-until.js';
import { startWebhookSink, type WebhookSink } from './webhook-sink.js';

export const FIXTURE_DIR = 'test/fixtures/daemon';
export const WRITE_TOKEN = 'fixture-write-token';

/** The external world of a daemon test: the target it watches and the sinks it pages. */
export interface World {
  clock: Clock;
  target: DemoTarget;
  smtp: SmtpSink;
  hook: WebhookSink;
  /** A temp folder for the state file; removed by close(). */
  dir: string;
  /** The config folder: a copy of the fixture, which a test may edit before a reload. */
  configDir: string;
  /** The environment the fixture config reads. */
  env: Env;
  close(): Promise<void>;
}

/**
 * Starts the target and the sinks; `extra` adds or overrides environment for the fixture config. The target's
 * simulated traffic follows `clock` (a FakeClock for in-process daemons; the system clock for a child process);
 * `errorRate` is the share of its requests that fail in the `errors` fault (the target's default otherwise).
 */
export async function startWorld(
  extra: Env = {},
  clock: Clock = new FakeClock(),
  { errorRate }: { errorRate?: number } = {},
): Promise<World> {
  // A seeded generator: with a fake clock the target's traffic is the same on every run; no test depends on luck.
  const target = await startDemoTarget({ clock, errorRate, random: seeded(42) });
  const smtp = await startSmtpSink();
  const hook = await startWebhookSink();
  const dir = mkdtempSync(join(tmpdir(), 'centinela-e2e-'));
  // A copy of the fixture, so a test can edit it and reload.
  const configDir = join(dir, 'config');
  cpSync(FIXTURE_DIR, configDir, { recursive: true });
  const env: Env = {
    TARGET_URL: target.url,
    SMTP_PORT: String(smtp.port),
    SMTP_CA_FILE: smtp.cert.certFile,
    HOOK_URL: hook.url,
    WRITE_TOKEN,
    STATE_PATH: join(dir, 'state.db'),
    ...extra,
  };
  return {
    clock,
    target,
    smtp,
    hook,
    dir,
    configDir,
    env,
    async close() {
      await Promise.all([target.close(), smtp.close(), hook.close()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Adds an alert source to the world's alerts.yaml (issue 17): `prometheus`, its token from ${PROM_TOKEN}. */
export function addPrometheusSource(world: World, keys = ''): void {
  const file = join(world.configDir, 'alerts.yaml');
  const source = `\nsources:\n  - name: prometheus\n    token: \${PROM_TOKEN}\n${keys}`;
  writeFileSync(file, `${readFileSync(file, 'utf8')}${source}`);
}

/** A daemon that takes alerts from sources (issue 17's tests with real clients): listening on loopback. */
export interface SourceDaemon {
  world: World;
  d: Daemon;
  /** `http://127.0.0.1:PORT`. */
  url: string;
}

/**
 * Starts a world (`env`, a fake clock started at real time, so real clients' times make sense) whose alerts.yaml has
 * the `prometheus` source with `keys`, and its daemon listening on loopback; `prepare` may edit the config first.
 */
export async function startSourceDaemon(
  env: Env,
  keys: string,
  prepare: (world: World) => void = () => {},
): Promise<SourceDaemon> {
  const world = await startWorld(env, new FakeClock(Date.now()));
  addPrometheusSource(world, keys);
  prepare(world);
  const d = await startDaemon(world);
  await d.app.server.listen({ host: '127.0.0.1', port: 0 });
  return { world, d, url: `http://127.0.0.1:${(d.app.server.server.address() as AddressInfo).port}` };
}

/**
 * Points the world's config at a PostgreSQL state store at `url` instead of the SQLite file; returns the environment
 * to spawn its processes with (spawnDaemon's `extra`).
 */
export function usePostgresState(world: World, url: string): Env {
  const file = join(world.configDir, 'centinela.yaml');
  const text = readFileSync(file, 'utf8');
  const postgres = text.replace(
    'state:\n  path: ${STATE_PATH}',
    'state:\n  kind: postgres\n  url: ${STATE_URL}\n  lease: ${LEASE:-10s}\n  unreachable_hold: ${UNREACHABLE_HOLD:-1m}',
  );
  if (postgres === text) throw new Error(`${file}: no state.path to replace`);
  writeFileSync(file, postgres);
  return { STATE_URL: url };
}

/** A test's world and the daemon it starts on it (see daemonPerTest). */
export interface DaemonTest {
  /** This test's world (a new one per test). */
  world: World;
  /** Starts the daemon on this test's world; it is closed after the test, even when the test fails. */
  start(): Promise<Daemon>;
}

/** Registers a new world per test (`startWorld(env)`) and closes the daemon the test started and the world after it. */
export function daemonPerTest(env: Env = {}): DaemonTest {
  let daemon: Daemon | undefined;
  const t: DaemonTest = {
    world: undefined as unknown as World,
    async start() {
      daemon = await startDaemon(t.world);
      return daemon;
    },
  };
  beforeEach(async () => {
    t.world = await startWorld(env);
  });
  afterEach(async () => {
    await daemon?.close();
    daemon = undefined;
    await t.world.close();
  });
  return t;
}

/** mulberry32: a small deterministic generator of numbers in [0, 1). */
export function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A running in-process daemon on a fake clock. */
export interface Daemon {
  app: App;
  clock: FakeClock;
  db: Db;
  store: IncidentStore;
  /** Moves fake time forward by `ms` in steps, settling real I/O after each. */
  advance(ms: number): Promise<void>;
  /** Advances step by step until `done()`; fails after `maxMs` of fake time. Returns the fake ms it took. */
  advanceUntil(done: () => boolean, maxMs: number, what: () => string): Promise<number>;
  /** Stops the app and closes the store (a clean shutdown). */
  close(): Promise<void>;
}

const STEP_MS = 250;

/**
 * Starts createApp over the fixture on the world's FakeClock (a restart continues the same timeline). `stepMs` is how
 * far `advance` moves the clock between settles: keep it below the shortest probe timeout of the config.
 */
export async function startDaemon(world: World, { stepMs = STEP_MS }: { stepMs?: number } = {}): Promise<Daemon> {
  if (!(world.clock instanceof FakeClock))
    throw new Error('startDaemon runs on a FakeClock: startWorld(env) without a clock');
  const clock = world.clock;
  const config = await loadConfig({ dir: world.configDir, env: world.env });
  const all = openStore(String(world.env.STATE_PATH));
  const { db, incidents: store } = all;
  const log = pino({ level: process.env.E2E_LOG ?? 'silent' });
  const app = await createApp({
    config,
    loadConfig: () => loadConfig({ dir: world.configDir, env: world.env }),
    clock,
    log,
    store: all,
  });
  app.start();

  /** No probe run and no delivery is on the wire. */
  const quiet = () => ![...app.probeStats().values()].some((s) => s.running) && store.outboxCounts().sending === 0;
  /** An outbox row is due now or overdue. */
  const dueNow = () => {
    const due = store.nextAttemptAt();
    return due !== undefined && due <= clock.now();
  };
  const inFlight = () => {
    const running = [...app.probeStats()].filter(([, s]) => s.running).map(([p]) => p);
    const c = store.outboxCounts();
    const due = store.nextAttemptAt();
    return `probe runs and deliveries still in flight (running: ${running.join(', ') || 'none'}; sending ${c.sending}; next attempt ${due === undefined ? 'none' : due - clock.now()} ms from now)`;
  };
  /**
   * Waits (real time) until the probe runs and deliveries started so far have finished and no outbox row is due.
   * A row can fall due while a step's deliveries are on the wire (a retry due between the worker's timer for an earlier
   * one and the step's end, a page moved to its next channel): the worker then re-arms with a timer due now, which on a
   * FakeClock fires only when the clock moves. Real time would fire it at once, so settle does: advance(0).
   */
  const settle = async () => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      await waitUntil(quiet, Math.max(0, deadline - Date.now()), inFlight);
      if (!dueNow()) return;
      if (Date.now() > deadline) throw new Error(`${inFlight()}: a due row is never picked up`);
      await clock.advance(0);
    }
  };

  const daemon: Daemon = {
    app,
    clock,
    db,
    store,
    async advance(ms) {
      for (let left = ms; left > 0; left -= stepMs) {
        await clock.advance(Math.min(stepMs, left));
        await settle();
      }
    },
    async advanceUntil(done, maxMs, what) {
      let spent = 0;
      while (!done()) {
        if (spent >= maxMs) throw new Error(`${what()} after ${maxMs} ms of fake time`);
        await daemon.advance(stepMs);
        spent += stepMs;
      }
      return spent;
    },
    async close() {
      const stopping = app.stop();
      // stop() waits on the fake clock for the bound; move it so the wait can end.
      await clock.advance(10_000);
      await stopping;
      all.close();
    },
  };
  await settle();
  return daemon;
}

/** The generic-webhook events the sink received, as `event alertname` strings, in order. */
export function hookEvents(hook: WebhookSink): string[] {
  return hook.requests.flatMap((r) => {
    const body = JSON.parse(r.body) as { notifications: { event: string; alert: { name: string } }[] };
    return body.notifications.map((n) => `${n.event} ${n.alert.name}`);
  });
}

/** `centinela run` as a child process (through bin/centinela.js), its JSON log lines collected. */
export interface DaemonProcess {
  /** `http://127.0.0.1:PORT` once it runs; empty for one spawned until another line (a standby). */
  url: string;
  pid: number;
  logs: { msg: string; [key: string]: unknown }[];
  /** Resolves with the first log line whose msg matches; rejects after `within` ms (real time). */
  waitForLog(msg: RegExp, within?: number): Promise<{ msg: string; [key: string]: unknown }>;
  kill(signal: NodeJS.Signals): void;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

/** Spawns `centinela run --config <world's config>` with the world's environment on the system clock. */
export function spawnDaemon(world: World, extra: Env = {}): Promise<DaemonProcess> {
  return spawnCentinela(world.configDir, { ...world.env, ...extra });
}

/**
 * Where a daemon's `centinela running` or standby line says it listens: its url, or, where server.listen came from
 * the environment (the fixture's ${LISTEN:-127.0.0.1:0}: named, not shown), loopback at the port the system chose.
 */
export function urlOf(line: Readonly<Record<string, unknown>>): string {
  return line.url !== undefined ? String(line.url) : `http://127.0.0.1:${String(line.port)}`;
}

/**
 * Spawns `centinela run --config <configDir>` with `env` (and PATH, LOG_LEVEL=info) through `bin`, the sources by
 * default (bin/centinela.js runs them through tsx), or the entry of a build (bench/support/scratch-build.ts); waits
 * `within` ms for it to run (or to log `until`: a standby's line), else kills it and rejects.
 */
export async function spawnCentinela(
  configDir: string,
  env: Env,
  {
    bin = 'bin/centinela.js',
    within = 20_000,
    until = /^centinela running$/,
  }: { bin?: string; within?: number; until?: RegExp } = {},
): Promise<DaemonProcess> {
  const child = spawn(resolve('node_modules/.bin/node'), [bin, 'run', '--config', configDir], {
    env: { PATH: process.env.PATH, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: DaemonProcess['logs'] = [];
  let err = '';
  let partial = '';
  child.stdout.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      try {
        logs.push(JSON.parse(line));
      } catch {
        logs.push({ msg: line });
      }
    }
  });
  child.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const waitForLog = async (msg: RegExp, within = 20_000) => {
    let found: DaemonProcess['logs'][number] | undefined;
    await waitUntil(
      () => {
        found = logs.find((l) => msg.test(String(l.msg)));
        return found !== undefined || child.exitCode !== null;
      },
      within,
      () => `no log line ${msg} (stderr: ${err.slice(0, 500)})`,
    );
    if (!found) throw new Error(`centinela exited (${child.exitCode}) before logging ${msg}: ${err.slice(0, 1000)}`);
    return found;
  };
  const running = await waitForLog(until, within).catch((e: unknown) => {
    child.kill('SIGKILL');
    throw e;
  });
  return {
    url: urlOf(running),
    pid: child.pid ?? 0,
    logs,
    waitForLog,
    kill: (signal) => child.kill(signal),
    exited,
    stderr: () => err,
  };
}

const RUNS = /^centinela_probe_runs_total\{probe="api_health"\} (\d+)$/m;

/** The value `line` (one capture group) reads off the /metrics of the daemon at `url`; 0 when it is missing. */
async function metric(url: string, line: RegExp): Promise<number> {
  return Number(line.exec(await (await fetch(`${url}/metrics`)).text())?.[1] ?? 0);
}

/** Polls the metric of a daemon process every 100 ms until `ok` holds for it; fails after 20 s naming `what`. */
export async function waitForMetric(
  url: string,
  line: RegExp,
  ok: (value: number) => boolean,
  what: string,
): Promise<void> {
  const deadline = Date.now() + 20_000;
  let value = await metric(url, line);
  while (!ok(value)) {
    if (Date.now() > deadline) throw new Error(`no ${what} in 20 s: ${line.source} is ${value}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = await metric(url, line);
  }
}

/** Waits until the api_health probe of the daemon process at `url` has run `n` more times (its runs on /metrics). */
export async function waitForRuns(url: string, n: number): Promise<void> {
  const start = await metric(url, RUNS);
  await waitForMetric(url, RUNS, (runs) => runs >= start + n, `${n} more runs of api_health`);
}
