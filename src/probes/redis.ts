// The redis probe: PING time, then memory, clients, rejected connections, evictions, uptime and role from INFO,
// over one connection kept between runs.
import type { Redis, RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { untilAborted } from '../abortable.js';
import { configScrubber } from '../config/env-values.js';
import type { RedisProbeConfig } from '../config/probes.js';
import { quoted } from '../excerpt.js';
import { loadPackage } from '../load-package.js';
import { CounterRates } from './counter-rate.js';
import { abortReason, describeFailure, type Endpoint } from './net-failure.js';
import { defineProbe, type ProbeResult, sample } from './probe.js';
import { parseInfo } from './redis-info.js';
import { tlsConnectOptions } from './tls-options.js';

/** The ioredis package, loaded at the first run. */
type Ioredis = Pick<typeof import('ioredis'), 'Redis' | 'ReplyError'>;

/** What the probe's URL says, read once. */
interface Target {
  at: Endpoint;
  secure: boolean;
  username?: string;
  password?: string;
  db: number;
}

function readUrl(cfg: RedisProbeConfig): Target {
  // The schema has checked the scheme (redis: or rediss:) and the path: none, or a database number.
  const url = new URL(cfg.url.reveal());
  const db = url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0;
  const host = url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
  return {
    at: { host, port: url.port ? Number(url.port) : 6379 },
    secure: url.protocol === 'rediss:',
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    // `password:` wins over one in the URL, so the URL can stay free of it.
    ...(cfg.password || url.password ? { password: cfg.password?.reveal() ?? decodeURIComponent(url.password) } : {}),
    db,
  };
}

/**
 * ioredis options. No password, user, db or connection name: handshake() sends AUTH, SELECT and CLIENT SETNAME,
 * because ioredis answers a server that needs no password with a console.warn of its own — a plain-text line
 * among centinela's JSON logs — and offers no option to silence it.
 */
async function clientOptions(cfg: RedisProbeConfig, target: Target): Promise<RedisOptions> {
  return {
    host: target.at.host,
    port: target.at.port,
    ...(target.secure || cfg.tls ? { tls: await tlsConnectOptions(cfg.tls) } : {}),
    // Opened by the first run; after a failure the next run opens it again. No reconnect loop of its own: a
    // dead Redis must cost one refused connection per run, not a retry every few hundred milliseconds.
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    // A command sent while disconnected fails at once instead of waiting in a queue for a reconnection.
    enableOfflineQueue: false,
    // The ready check would hide a server that is loading its dataset; PING says LOADING instead.
    enableReadyCheck: false,
    connectTimeout: cfg.timeout,
    commandTimeout: cfg.timeout,
    // RESP2 and plain AUTH work with every Redis the runbook may meet (HELLO needs Redis 6).
    protocol: 2,
    disableClientInfo: true,
  };
}

/** What Redis answers AUTH with when it has no password to check (Redis 6+, and before 6). */
const NO_PASSWORD_SET = /without any password configured|no password is set/;

/**
 * What ioredis would send first on a new connection, in one round trip (Redis runs them in order, so AUTH comes
 * first): AUTH, SELECT for a database other than 0, and the name that shows in CLIENT LIST. A password the server
 * does not ask for is logged and the probe goes on; a wrong one rejects with the server's WRONGPASS.
 */
function handshake(c: Redis, target: Target, log: Logger, ReplyError: Ioredis['ReplyError']): Promise<unknown> {
  const { username, password } = target;
  const steps: Promise<unknown>[] = [];
  if (password !== undefined) {
    const auth = username === undefined ? c.auth(password) : c.auth(username, password);
    steps.push(
      auth.catch((err: Error) => {
        if (!NO_PASSWORD_SET.test(err.message)) throw err;
        // The probe's name (the logger's) tells which target; its host may have come from the environment.
        log.warn('a password is configured, the server asks for none');
      }),
    );
  }
  if (target.db !== 0) steps.push(c.select(target.db));
  // A server that answers CLIENT with an error (renamed away on some managed Redis) is still measured, as with
  // ioredis' own handshake; a connection that fails is not.
  steps.push(
    c.client('SETNAME', 'centinela').catch((err: unknown) => {
      if (!(err instanceof ReplyError)) throw err;
    }),
  );
  return Promise.all(steps);
}

/**
 * Redis' own error words turned into what a person reads; the rest as net-failure describes it. `phase` is what the
 * run was doing, worded to be followed by the target ("connecting to", "waiting for PING from").
 */
function describeRedisError(err: unknown, signal: AbortSignal, at: Endpoint, phase: string): string {
  const where = `${at.host}:${at.port}`;
  if (signal.aborted) return `${abortReason(signal)} while ${phase} ${where}`;
  const message = err instanceof Error ? err.message : String(err);
  if (message.startsWith('NOAUTH')) {
    return 'authentication required: the server asks for a password and none is configured';
  }
  if (message.startsWith('WRONGPASS') || message.startsWith('ERR invalid password')) {
    return 'authentication failed: wrong password (or user)';
  }
  if (message.startsWith('LOADING')) return `${where} is loading its dataset into memory`;
  if (/^(Protocol error|Unknown RESP type|not Redis:)/.test(message)) {
    const what = message.replace(/^not Redis: /, '').replace(/\. Please report this\.$/, '');
    return `${where} answered something that is not Redis (${what})`;
  }
  if (message === 'Connection is closed.') return `connection closed by the server while ${phase} ${where}`;
  if (message === 'Command timed out') return `timed out while ${phase} ${where}`;
  if (/max number of clients/i.test(message)) return `${where} refuses new clients: ${message}`;
  return describeFailure(err, signal, at);
}

/**
 * Closes the connection now. ioredis' disconnect() only half-closes and waits 2 s for the server to close its side;
 * a hung server never does, so the socket is destroyed too.
 */
function drop(c: Redis): void {
  c.disconnect();
  (c.stream as Redis['stream'] | undefined)?.destroy();
}

export default defineProbe({
  kind: 'redis',
  needsTwoRuns: true,
  create(cfg, { log }) {
    const target = readUrl(cfg);
    const { at } = target;
    // No message may carry the password, whatever ioredis or the server put in it.
    const scrub = configScrubber(cfg, { urlPaths: false });
    const rates = new CounterRates();
    let client: Redis | undefined;

    /**
     * The open connection, or a new one. Only a ready connection is reused: one that failed or closed between runs
     * is dropped whole, so no half-closed state of ioredis leaks into the next run.
     */
    async function connected(ioredis: Ioredis, signal: AbortSignal): Promise<Redis> {
      if (client?.status === 'ready') return client;
      if (client) drop(client);
      const c = new ioredis.Redis(await clientOptions(cfg, target));
      client = c;
      // Without a listener ioredis prints "Unhandled error event" for every failure.
      c.on('error', (err: Error) => log.debug({ error: scrub(err.message) }, 'redis connection error'));
      // The first error fails the connect at once: after a protocol error ioredis only half-closes, and connect()
      // settles when the server closes too, which a server that does not read never does.
      let onError = (_: Error) => {};
      const failed = new Promise<never>((_, reject) => {
        onError = reject;
        c.once('error', onError);
      });
      try {
        await untilAborted(Promise.race([c.connect(), failed]), signal, () => drop(c));
        await untilAborted(Promise.race([handshake(c, target, log, ioredis.ReplyError), failed]), signal, () =>
          drop(c),
        );
      } finally {
        c.off('error', onError);
      }
      return c;
    }

    /** `work`, cut short (and the connection dropped) when the run aborts. */
    const whileRunning = <T>(c: Redis, work: Promise<T>, signal: AbortSignal) =>
      untilAborted(work, signal, () => drop(c));

    return {
      async run({ signal, clock }): Promise<ProbeResult> {
        const ioredis = await loadPackage('ioredis', () => import('ioredis'));
        let phase = 'connecting to';
        let pingSeconds: number;
        let text: string;
        try {
          const c = await connected(ioredis, signal);
          phase = 'waiting for PING from';
          const started = clock.now();
          const pong = await whileRunning(c, c.ping(), signal);
          pingSeconds = (clock.now() - started) / 1000;
          if (pong !== 'PONG') throw new Error(`not Redis: PING was answered with ${quoted(String(pong), 60)}`);
          phase = 'waiting for INFO from';
          text = await whileRunning(c, c.info(), signal);
        } catch (err) {
          // A failed connection is dropped whole; the next run opens a fresh one.
          if (client) drop(client);
          client = undefined;
          return { up: false, reason: scrub(describeRedisError(err, signal, at, phase)) };
        }
        let info: ReturnType<typeof parseInfo>;
        try {
          info = parseInfo(text);
        } catch (err) {
          const reason = `${at.host}:${at.port} answered INFO unexpectedly: ${(err as Error).message}`;
          return { up: false, reason, samples: [sample('ping_seconds', pingSeconds)] };
        }
        const now = clock.now();
        const samples = [
          sample('ping_seconds', pingSeconds),
          sample('used_memory_bytes', info.usedMemoryBytes),
          sample('connected_clients', info.connectedClients),
          sample('blocked_clients', info.blockedClients),
          sample('uptime_seconds', info.uptimeSeconds),
          sample('role_master', info.role === 'master' ? 1 : 0),
        ];
        // maxmemory 0 means no limit: there is no share to report.
        if (info.maxMemoryBytes > 0) {
          samples.push(sample('memory_used_percent', (info.usedMemoryBytes / info.maxMemoryBytes) * 100));
        }
        const rejected = rates.observe('rejected_connections', info.rejectedConnections, now);
        if (rejected !== undefined) samples.push(sample('rejected_connections_per_second', rejected));
        const evicted = rates.observe('evicted_keys', info.evictedKeys, now);
        if (evicted !== undefined) samples.push(sample('evicted_keys_per_second', evicted));
        return { up: true, samples };
      },
      async close() {
        if (client) drop(client);
        client = undefined;
      },
    };
  },
});
