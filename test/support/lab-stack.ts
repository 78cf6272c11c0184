// The lab of issue 11 without Docker: the GRUPO_GAD stack as the shipped config/ sees it, each piece real where it can
// be, with a switch for each of the ten faults. The API is the demo target (health, /metrics at 10 requests/s, /ws/stats,
// a WebSocket) on the fake clock (or the system clock, for a bench of daemons in real time); PostgreSQL is a throwaway
// cluster (max_connections 20 unless told, so 17 sessions are 85 %);
// Redis a redis-server of its own that can be killed and started again on its port; Docker a unix socket answering
// from recorded Engine documents made healthy; the disk a 64 MiB tmpfs; the host a proc folder of fixed figures.
// Caddy a TLS server of its own; the off-site backup storage an S3 stand-in (test/support/s3-server.ts). Pages go to a real SMTP server, a webhook sink and an ntfy sink (the shipped push
// channels). The config is config/ as shipped (with the lab's timings, made quick); only the documented environment
// variables point it at the lab (docs/configuration.md, "Environment of the shipped config").
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { statfs, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { startDemoTarget } from '../../demo/target.js';
import { type Clock, FakeClock } from '../../src/clock.js';
import { capRuleWaits, editYamlFile, probesEvery } from './config-timings.js';
import { seeded, type World } from './daemon.js';
import { startHttpTarget } from './http-target.js';
import { startThrowawayCluster, type ThrowawayCluster } from './pg.js';
import { grupoGadRecording, type RecordedEngine, startRecordedEngine } from './recorded-docker-engine.js';
import { startRedisServer, type TestRedisServer } from './redis.js';
import { S3_KEYS, S3_REGION, startS3Server } from './s3-server.js';
import { startSmtpSink } from './smtp-sink.js';
import { makeSelfSignedCert } from './tls-cert.js';
import { startWebhookSink, type WebhookSink } from './webhook-sink.js';

const run = promisify(execFile);

/** The five containers of the production compose file. */
export const CONTAINERS = ['grupo_gad_api', 'grupo_gad_db', 'grupo_gad_redis', 'grupo_gad_caddy', 'grupo_gad_bot'];

/** The lab: what the daemon watches and pages (a World for startDaemon: `target` is the API), and its switches. */
export interface LabStack extends World {
  /** The ntfy server of the shipped push channels: a topic per person, `lab-<contact>`. */
  ntfy: WebhookSink;
  docker: RecordedEngine;
  db: ThrowawayCluster;
  /** redis://127.0.0.1:PORT of the lab's Redis (the same port after a restart). */
  redisUrl: string;
  /** A container stops (exited) or runs again. */
  setRunning(container: string, running: boolean): void;
  /** A container's memory against its limit, in percent (as docker stats computes it). */
  setMemoryPercent(container: string, percent: number): void;
  /** Opens `n` idle sessions to grupogad_prod; closeSessions ends them. */
  openSessions(n: number): Promise<void>;
  /**
   * Opens `n` sessions each running a query that never ends, and resolves once PostgreSQL has counted them active for
   * over the shipped probe's 1 s (on its own clock: real time, which the fake clock outruns).
   */
  slowQueries(n: number): Promise<void>;
  closeSessions(): Promise<void>;
  /** Kills redis-server, or starts it again on its port. */
  killRedis(): Promise<void>;
  startRedis(): Promise<void>;
  /** Fills the disk to `percent` used, or frees what was written. */
  fillDisk(percent: number): Promise<void>;
  freeDisk(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The config's timings: `shipped` as in config/, or `lab` as the lab ran it (every probe every 5 s with a 4 s timeout,
 * each rule's `for` and `clear_for` capped at 10 s by ./config-timings.ts, rules with a fast path left as shipped),
 * which makes causes and symptoms race.
 */
export type LabTimings = 'shipped' | 'lab';

/** Where the lab's time comes from, and how many sessions its PostgreSQL takes. */
export interface LabOptions {
  /** The clock of the API's simulated traffic and of the backup's age (default: a FakeClock on 2026-01-05 10:00Z). */
  clock?: Clock;
  /** max_connections of the lab's PostgreSQL (default 20). */
  maxConnections?: number;
}

/** Starts every piece and writes the config copy; healthy until a switch is thrown. */
export async function startLabStack(timings: LabTimings = 'shipped', options: LabOptions = {}): Promise<LabStack> {
  if (process.getuid?.() !== 0) throw new Error('the lab mounts a 64 MiB tmpfs for its disk and needs root to do so');
  const clock = options.clock ?? new FakeClock(Date.UTC(2026, 0, 5, 10, 0, 0));
  const dir = mkdtempSync(join(tmpdir(), 'centinela-lab-'));
  const disk = join(dir, 'disk');
  mkdirSync(disk);
  await run('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', disk]);
  const target = await startDemoTarget({ clock, errorRate: 0.2, random: seeded(7) });
  const smtp = await startSmtpSink();
  const hook = await startWebhookSink();
  const ntfy = await startWebhookSink();
  const docker = await startRecordedEngine(healthyRecording());
  // Caddy's stand-in: the public address over HTTPS with a certificate of its own. It answers healthy by itself, so
  // no fault of the lab reaches it (none of them is Caddy's).
  const publicCert = makeSelfSignedCert({ days: 90 });
  const caddy = await startHttpTarget({
    tls: publicCert,
    routes: { 'GET /api/v1/health': { json: { status: 'healthy', environment: 'production' } } },
  });
  const db = await startThrowawayCluster({ max_connections: String(options.maxConnections ?? 20) });
  await db.admin((c) => c.query('CREATE DATABASE grupogad_prod'));
  let redis: TestRedisServer | undefined = await startRedisServer();
  const redisPort = redis.port;

  // The deploy's logs and backups folders, with a week-old-at-most backup (its age is read on the fake clock).
  const grupogad = join(dir, 'grupogad');
  mkdirSync(join(grupogad, 'logs'), { recursive: true });
  mkdirSync(join(grupogad, 'backups'));
  mkdirSync(join(dir, 'docker-containers'));
  writeFileSync(join(grupogad, 'logs', 'api.log'), 'INFO started\n');
  const backup = join(grupogad, 'backups', 'grupogad_prod_20260104.sql.gz');
  writeFileSync(backup, Buffer.alloc(64 * 1024, 1));
  const backupAt = new Date(clock.now() - 30 * 3_600_000);
  utimesSync(backup, backupAt, backupAt);
  // Its off-site copy, uploaded an hour after the dump, beside a deploy's dump that the shipped probe excludes.
  const offsite = await startS3Server();
  offsite.buckets.set('grupogad-backups', [
    { key: 'prod/grupogad_prod_20260104.sql.gz', size: 64 * 1024, modified: backupAt.getTime() + 3_600_000 },
    { key: 'prod/pre_deploy_20260105_090000.sql.gz', size: 64 * 1024, modified: clock.now() - 3_600_000 },
  ]);
  const proc = join(dir, 'proc');
  mkdirSync(proc);
  writeFileSync(join(proc, 'stat'), 'cpu  1000 0 0 9000 0 0 0 0 0 0\n');
  writeFileSync(join(proc, 'meminfo'), 'MemTotal:       8000000 kB\nMemAvailable:   6000000 kB\n');
  writeFileSync(join(proc, 'loadavg'), '0.49 0.32 0.16 1/193 4242\n');

  // The shipped config as it is; with the lab's timings, every probe and rule made quick.
  const configDir = join(dir, 'config');
  cpSync('config', configDir, { recursive: true, filter: (src) => !src.includes('/tests') });
  if (timings === 'lab') {
    editYamlFile(join(configDir, 'alerts.yaml'), (doc) => {
      probesEvery(doc, '5s');
      capRuleWaits(doc, { for: '10s', clear_for: '10s' });
    });
  }

  const env = {
    API_URL: target.url,
    METRICS_URL: `${target.url}/metrics`,
    // The demo API's health reports environment "demo".
    API_ENVIRONMENT: 'demo',
    WS_URL: `${target.url.replace('http', 'ws')}/ws`,
    DOCKER_HOST: docker.endpoint,
    POSTGRES_HOST: '127.0.0.1',
    POSTGRES_PORT: String(db.port),
    POSTGRES_USER: 'postgres',
    POSTGRES_PASSWORD: db.password,
    REDIS_HOST: '127.0.0.1',
    REDIS_PORT: String(redisPort),
    DISK_PATH: disk,
    LOGS_DIR: join(grupogad, 'logs'),
    DOCKER_CONTAINERS_DIR: join(dir, 'docker-containers'),
    BACKUPS_DIR: join(grupogad, 'backups'),
    OFFSITE_S3_BUCKET: 'grupogad-backups',
    OFFSITE_S3_PREFIX: 'prod/',
    OFFSITE_S3_ENDPOINT: offsite.endpoint,
    OFFSITE_S3_REGION: S3_REGION,
    OFFSITE_S3_PATH_STYLE: 'true',
    OFFSITE_S3_ACCESS_KEY_ID: S3_KEYS.accessKeyId,
    OFFSITE_S3_SECRET_ACCESS_KEY: S3_KEYS.secretAccessKey,
    HOST_PROC: proc,
    PUBLIC_URL: caddy.url,
    PUBLIC_HOST: `127.0.0.1:${caddy.port}`,
    PUBLIC_CA: publicCert.certFile,
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(smtp.port),
    // The sink's certificate is its own, trusted by no CA a shipped setting names: mail goes in plain text.
    SMTP_SECURITY: 'none',
    OPS_WEBHOOK_URL: hook.url,
    NTFY_SERVER: new URL(ntfy.path('/')).origin,
    CTO_NTFY_TOPIC: 'lab-cto',
    TECH_LEAD_NTFY_TOPIC: 'lab-tech_lead',
    DEVOPS_NTFY_TOPIC: 'lab-devops',
    CENTINELA_WRITE_TOKEN: 'lab-write-token',
    CENTINELA_ACK_SECRET: 'lab-ack-secret-lab-ack-secret-0123456789',
    CENTINELA_PUBLIC_URL: 'http://centinela.lab',
    // test/support/daemon.ts opens the store here.
    STATE_PATH: join(dir, 'state.db'),
    CENTINELA_STATE: join(dir, 'state.db'),
  };

  const sessions: pg.Client[] = [];
  const connect = async (n: number) => {
    const opened: pg.Client[] = [];
    for (let i = 0; i < n; i++) {
      const client = new pg.Client(db.url('postgres', db.password, 'grupogad_prod'));
      // A session ended by closeSessions() mid-query must not fail the run.
      client.on('error', () => {});
      await client.connect();
      opened.push(client);
    }
    sessions.push(...opened);
    return opened;
  };
  const written: string[] = [];
  const containerState = (name: string) => (docker.data.inspect[name] as { State: Record<string, unknown> }).State;
  const recordedStats = grupoGadRecording().stats.grupo_gad_api as { memory_stats: Record<string, unknown> };
  return {
    clock,
    target,
    smtp,
    hook,
    ntfy,
    docker,
    db,
    redisUrl: `redis://127.0.0.1:${redisPort}`,
    dir,
    configDir,
    env,
    setRunning(name, running) {
      Object.assign(containerState(name), running ? RUNNING : EXITED);
      docker.data.stats[name] = running ? structuredClone(recordedStats) : { memory_stats: {} };
    },
    setMemoryPercent(name, percent) {
      const stats = docker.data.stats[name] as typeof recordedStats;
      const memory = stats.memory_stats as { usage: number; limit: number; stats: { total_inactive_file: number } };
      memory.usage = Math.round((percent / 100) * memory.limit) + memory.stats.total_inactive_file;
    },
    async openSessions(n) {
      await connect(n);
    },
    async slowQueries(n) {
      for (const client of await connect(n)) client.query(SLOW_QUERY).catch(() => {});
      const deadline = Date.now() + 10_000;
      while ((await countSlow(db)) < n) {
        if (Date.now() > deadline) throw new Error(`PostgreSQL does not count ${n} queries as slow after 10 s`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async closeSessions() {
      await db.admin((c) =>
        c.query(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'grupogad_prod' AND pid <> pg_backend_pid() AND application_name = ''",
        ),
      );
      await Promise.allSettled(sessions.splice(0).map((c) => c.end()));
    },
    async killRedis() {
      await redis?.stop();
      redis = undefined;
    },
    async startRedis() {
      redis = await startRedisServer({ port: redisPort });
    },
    async fillDisk(percent) {
      const fs = await statfs(disk);
      const total = fs.blocks * fs.bsize;
      const used = total - fs.bfree * fs.bsize;
      const file = join(disk, `fill-${written.length}`);
      await writeFile(file, Buffer.alloc(Math.max(0, Math.round((percent / 100) * total) - used)));
      written.push(file);
    },
    async freeDisk() {
      for (const file of written.splice(0)) await unlink(file);
    },
    async close() {
      await Promise.allSettled(sessions.map((c) => c.end()));
      await Promise.allSettled([
        target.close(),
        caddy.close(),
        smtp.close(),
        hook.close(),
        ntfy.close(),
        docker.close(),
        offsite.close(),
        redis?.stop(),
        db.stop(),
      ]);
      await run('umount', [disk]);
      rmSync(dir, { recursive: true, force: true });
      publicCert.remove();
    },
  };
}

const SLOW_QUERY = 'SELECT pg_sleep(3600)';

/** How many of the lab's never-ending queries PostgreSQL has seen active for over 1 s (the shipped slow_query). */
async function countSlow(db: ThrowawayCluster): Promise<number> {
  const { rows } = await db.admin((c) =>
    c.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity
       WHERE state = 'active' AND query = $1 AND now() - query_start > interval '1 s'`,
      [SLOW_QUERY],
    ),
  );
  return rows[0].n;
}

const RUNNING = { Status: 'running', Running: true, Pid: 4242, ExitCode: 0, OOMKilled: false };
const EXITED = { Status: 'exited', Running: false, Pid: 0, ExitCode: 137 };

/**
 * The recorded stack made healthy: every production container running (health checks passing where the recording
 * has one), nothing restarted or killed for memory, the API container's figures (1.3 % CPU, under 1 % memory) for
 * each, and no log lines.
 */
function healthyRecording() {
  const data = grupoGadRecording();
  const api = data.inspect.grupo_gad_api as { State: Record<string, unknown> };
  for (const name of CONTAINERS) {
    const inspect = data.inspect[name] as { State: Record<string, unknown>; RestartCount: number };
    inspect.State = { ...structuredClone(api.State), ...RUNNING };
    inspect.RestartCount = 0;
    data.stats[name] = structuredClone(data.stats.grupo_gad_api);
    data.logs[name] = [];
  }
  return data;
}
