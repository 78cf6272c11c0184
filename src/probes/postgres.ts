// The postgres probe: connections, slow and idle-in-transaction sessions, locks, deadlocks, rollbacks, cache hits
// and size, read in one statement from the statistics views a role with only pg_monitor may read, over a session
// opened for each run (so a server that refuses new connections is down at once).
import { Socket } from 'node:net';
import type pg from 'pg';
import { untilAborted } from '../abortable.js';
import { configScrubber } from '../config/env-values.js';
import type { PostgresProbeConfig } from '../config/probes.js';
import { loadPackage } from '../load-package.js';
import { startupSettingRefusal } from '../postgres-env.js';
import { PostgresTlsError, postgresConnection, postgresConnectionWith, tlsRefusal } from '../postgres-tls.js';
import { CounterRates } from './counter-rate.js';
import { growthPerMs, type UsagePoint } from './disk-growth.js';
import { abortReason, describeFailure, type Endpoint } from './net-failure.js';
import { defineProbe, type ProbeResult, sample } from './probe.js';
import { maskSql } from './sql-mask.js';
import { tlsConnectOptions } from './tls-options.js';

/** States pg_stat_activity documents; each is always reported, 0 when absent, so an alert on one can resolve. */
const STATES = [
  'active',
  'idle',
  'idle in transaction',
  'idle in transaction (aborted)',
  'fastpath function call',
  'disabled',
];

/**
 * Everything in one statement, so a run costs one round trip and one query on the server. Sessions are client
 * backends other than this one. `hidden` counts rows a role without pg_monitor may not see into (their state,
 * query and even backend_type read NULL or "<insufficient privilege>"); of those, only sessions in a database and
 * of a user are clients: the checkpointer, background writer and walwriter have neither, the logical replication
 * launcher has a user (so usesysid alone would count it) but no database. The age of an idle-in-transaction
 * session counts from state_change, when it went idle (the runbook's query uses query_start, which is the same
 * instant give or take its last statement).
 * $1 slow-query seconds, $2 idle-in-transaction seconds, $3 how many sessions to list.
 */
const STATS_SQL = `
WITH sessions AS (
  SELECT pid, usename, datname, state, query,
         extract(epoch FROM now() - query_start)::float8 AS query_age,
         extract(epoch FROM now() - state_change)::float8 AS state_age
  FROM pg_stat_activity
  WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()
), flagged AS (
  SELECT pid, usename AS user, datname AS database, state, left(query, 2000) AS query,
         CASE WHEN state = 'active' THEN query_age ELSE state_age END AS age
  FROM sessions
  WHERE (state = 'active' AND query_age > $1) OR (state LIKE 'idle in transaction%' AND state_age > $2)
)
SELECT
  (SELECT coalesce(json_object_agg(state, n), '{}') FROM
     (SELECT coalesce(state, 'unknown') AS state, count(*) AS n FROM sessions GROUP BY 1) AS s) AS states,
  (SELECT count(*) FROM sessions)::int + 1 AS connections,
  (SELECT count(*) FROM pg_stat_activity
     WHERE query = '<insufficient privilege>' AND datid IS NOT NULL AND usesysid IS NOT NULL)::int AS hidden,
  (SELECT count(*) FROM flagged WHERE state = 'active')::int AS slow,
  (SELECT coalesce(max(query_age), 0) FROM sessions WHERE state = 'active') AS longest,
  (SELECT count(*) FROM flagged WHERE state <> 'active')::int AS idle_in_transaction,
  (SELECT coalesce(max(state_age), 0) FROM sessions WHERE state LIKE 'idle in transaction%') AS oldest_idle,
  (SELECT coalesce(json_agg(t), '[]') FROM (SELECT * FROM flagged ORDER BY age DESC LIMIT $3) AS t) AS top,
  (SELECT setting::int FROM pg_settings WHERE name = 'max_connections') AS max_connections,
  (SELECT count(*) FROM pg_locks WHERE NOT granted)::int AS waiting_locks,
  pg_database_size(current_database())::float8 AS database_size,
  d.xact_rollback::float8 AS rollbacks, d.deadlocks::float8 AS deadlocks,
  d.blks_hit::float8 AS blks_hit, d.blks_read::float8 AS blks_read
FROM pg_stat_database AS d
WHERE d.datname = current_database()`;

const NUMBERS = [
  'connections',
  'hidden',
  'slow',
  'longest',
  'idle_in_transaction',
  'oldest_idle',
  'max_connections',
  'waiting_locks',
  'database_size',
  'rollbacks',
  'deadlocks',
  'blks_hit',
  'blks_read',
] as const;

type Stats = Record<(typeof NUMBERS)[number], number> & { states: Record<string, number>; top: FlaggedSession[] };

/** A slow or idle-in-transaction session listed in the detail. */
interface FlaggedSession {
  pid: number;
  user: string | null;
  database: string | null;
  state: string;
  age: number;
  query: string | null;
}

/** The one row of STATS_SQL, checked: a proxy or an odd server version must give a clear reason, not NaN samples. */
function readStats(rows: Record<string, unknown>[]): Stats {
  const row = rows[0];
  if (!row) throw new Error('pg_stat_database has no row for the current database');
  for (const key of NUMBERS) {
    if (typeof row[key] !== 'number' || !Number.isFinite(row[key])) {
      throw new Error(`the statistics query returned ${JSON.stringify(row[key])} for ${key}, not a number`);
    }
  }
  if (typeof row.states !== 'object' || row.states === null || !Array.isArray(row.top)) {
    throw new Error('the statistics query returned no session lists');
  }
  return row as Stats;
}

/**
 * The probe's config turned into pg pool options: TLS from the `tls` block when it is set (the URL then has no TLS
 * parameters: the config refuses both), else from the URL's as libpq reads them (postgres-tls.ts, which reads the
 * files they name). `socket` makes each session's socket (pg calls it as it creates a session).
 */
async function poolConfig(cfg: PostgresProbeConfig, socket: () => Socket): Promise<pg.PoolConfig> {
  const url = cfg.url.reveal();
  const connection = cfg.tls ? postgresConnectionWith(url, await tlsConnectOptions(cfg.tls)) : postgresConnection(url);
  return {
    ...connection,
    stream: socket,
    // One session serves a run; the second lets a run start while an aborted one is still being given up.
    max: 2,
    connectionTimeoutMillis: cfg.timeout,
    // Sent in the startup packet, so it costs no query: no statement of ours outlives the run on the server.
    statement_timeout: cfg.statement_timeout ?? cfg.timeout,
    application_name: 'centinela',
  };
}

/** Bytes a PostgreSQL server may open its answer with: R auth, E error, v version, S/N reply to an SSL request. */
const FIRST_BYTES = new Set('RESNv');

/**
 * A socket that fails at once when the server's first byte cannot start a PostgreSQL answer. Without it a server
 * speaking another protocol keeps pg waiting for a "message" as long as the garbage's first bytes say, until the
 * run times out; with it the page says what answered.
 */
function guardedSocket(): Socket {
  const socket = new Socket();
  socket.once('data', (chunk: Buffer) => {
    if (FIRST_BYTES.has(String.fromCharCode(chunk[0] ?? 0))) return;
    const preview = chunk
      .subarray(0, 24)
      .toString('latin1')
      .replace(/[^\x20-\x7e]/g, '.');
    socket.destroy(new Error(`answered something that is not PostgreSQL: "${preview}"`));
  });
  return socket;
}

/** Where the URL points, for messages: host and port only. */
function endpointOf(url: URL): Endpoint {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return { host: host || 'localhost', port: url.port ? Number(url.port) : 5432 };
}

/**
 * The reason for a failed connect or query: PostgreSQL's errors by their code (SQLSTATE), those that deserve them in
 * words with what to check, else the network failure. The server's own message is never quoted: it carries values
 * from centinela's environment (a setting of PGOPTIONS, the role or database PGUSER or PGDATABASE name). `phase` is
 * what the run was doing, worded to be followed by the target ("connecting to", "waiting for the statistics from").
 */
function describePgError(err: unknown, signal: AbortSignal, at: Endpoint, url: URL, phase: string): string {
  const where = `${at.host}:${at.port}`;
  if (signal.aborted) return `${abortReason(signal)} while ${phase} ${where}`;
  const e = err as { code?: unknown; message?: unknown };
  const message = typeof e.message === 'string' ? e.message : String(err);
  // TLS as the URL's parameters set it up (with a tls block, which the URL's TLS parameters never come with, the block
  // did, and the net probes' words tell a certificate refused): a certificate refused, the server's or the client's,
  // or a client certificate pg_hba.conf asks for (28000, so before the switch).
  const tlsByUrl = [...url.searchParams.keys()].some((key) => key.startsWith('ssl'));
  const refused = tlsByUrl ? tlsRefusal(err, 'url') : undefined;
  if (refused) return `${where}: ${refused}`;
  if (typeof e.code === 'string' && SQLSTATE.test(e.code)) return describeSqlState(e.code, url, where, phase);
  if (/password must be a string|password.*not.*provided/i.test(message)) {
    return `authentication failed for ${userOf(url)}: the server asks for a password and none is configured`;
  }
  if (/timeout expired|connection timeout/i.test(message)) return `${phase} ${where} timed out`;
  if (/Connection terminated/i.test(message)) return `connection closed by the server while ${phase} ${where}`;
  if (message.startsWith('answered something')) return `${where} ${message}`;
  if (err instanceof PostgresTlsError) return message;
  return describeFailure(err, signal, at);
}

/** An error PostgreSQL answered carries its SQLSTATE, five digits or capitals; pg's and the socket's do not. */
const SQLSTATE = /^[0-9A-Z]{5}$/;

/**
 * The user the URL names, or where pg took it from when it names none; never its name, which may be the
 * environment's (a url from ${DB_URL}), as the host is not shown with it.
 */
function userOf(url: URL): string {
  return url.username ? 'the user of url' : 'the user (url names none: PGUSER, else the system user)';
}

/** The database the URL names, or where pg took it from when it names none; never its name (userOf). */
function databaseOf(url: URL): string {
  return url.pathname.length > 1
    ? 'the database url names'
    : "the database (url names none: PGDATABASE, else the user's name)";
}

/** What PostgreSQL's `code` means for the probe, with what to check; its message is read by no one here. */
function describeSqlState(code: string, url: URL, where: string, phase: string): string {
  switch (code) {
    case '28P01':
      // clientcert=verify-full finding the certificate's CN is not the user fails the login as a wrong password would.
      return url.searchParams.has('sslcert')
        ? `authentication failed for ${userOf(url)}, or the client certificate's CN is not the user ` +
            '(clientcert=verify-full in pg_hba.conf, which PostgreSQL tells as a failed password)'
        : `authentication failed for ${userOf(url)}`;
    case '28000':
      return (
        'not allowed to connect (28000): the role does not exist or may not log in, no line of pg_hba.conf lets ' +
        'this host, user and database in, or pg_hba.conf asks for a client certificate url does not give (or one ' +
        `whose CN is not the user). Check ${userOf(url)} and the server's pg_hba.conf`
      );
    case '3D000':
      return `${databaseOf(url)} does not exist`;
    case '55000': // the database is closed to connections (ALTER DATABASE … ALLOW_CONNECTIONS false)
      return `${databaseOf(url)} is not accepting connections (55000: ALLOW_CONNECTIONS false, or being dropped)`;
    case '53300':
      return (
        'too many connections (53300): max_connections is reached, or the CONNECTION LIMIT of the role or of the ' +
        'database'
      );
    case '57P03':
      return 'not accepting connections (57P03): the server is starting up, shutting down or recovering';
    case '57014':
      return 'the statistics query was cancelled (57014): it ran past statement_timeout, or someone cancelled it';
    case '42501':
      return (
        'permission denied (42501): the role may not connect to the database or read the statistics. Grant it ' +
        'CONNECT on the database and pg_monitor'
      );
  }
  const setting = startupSettingRefusal(code, 'url');
  if (setting) return setting;
  return `PostgreSQL answered error ${code} while ${phase} ${where}`;
}

/** The detail: one line per listed session, oldest first; none when nothing is flagged or `top` is 0. */
function describeSessions(stats: Stats): string | undefined {
  const total = stats.slow + stats.idle_in_transaction;
  if (total === 0 || stats.top.length === 0) return undefined;
  const shown = stats.top.length < total ? `top ${stats.top.length} of ${total}` : `${total}`;
  const lines = stats.top.map(
    (s) =>
      `pid ${s.pid} ${s.user ?? '?'}@${s.database ?? '?'} ${s.state} for ${s.age.toFixed(1)}s: ` +
      maskSql(s.query ?? ''),
  );
  return [`slow or idle-in-transaction sessions (${shown}, oldest first):`, ...lines].join('\n');
}

export default defineProbe({
  kind: 'postgres',
  needsTwoRuns: true,
  create(cfg, { log }) {
    const url = new URL(cfg.url.reveal());
    const at = endpointOf(url);
    // No message may carry the password, whatever a library or the server put in it.
    const scrub = configScrubber(cfg, { urlPaths: false });
    const rates = new CounterRates();
    // The database's size at each run of the growth window, oldest first, for its growth per day.
    const sizes: UsagePoint[] = [];
    // One small pool, kept for the probe's life, whose session lives for one run only (see release(true) below).
    let pool: pg.Pool | undefined;
    let blocks: { hit: number; read: number } | undefined;
    // The socket of a session being opened. pg-pool makes it synchronously inside pool.connect(), so the run that
    // called connect() knows it is its own, and can destroy it on abort: a hung server then keeps no socket open.
    let opened: Socket | undefined;
    const openSocket = () => {
      opened = guardedSocket();
      return opened;
    };

    async function getPool(Pool: typeof pg.Pool): Promise<pg.Pool> {
      if (!pool) {
        pool = new Pool(await poolConfig(cfg, openSocket));
        // A session idle in the pool that dies emits here, and an 'error' without a listener would crash
        // centinela. None should be idle (each run destroys its own), so this is a guard, not a path.
        pool.on('error', (err) => log.warn({ error: scrub(err.message) }, 'idle PostgreSQL session closed'));
      }
      return pool;
    }

    /** Cache hits over the blocks read since the last run (since the statistics reset on the first run). */
    function cacheHitPercent(hit: number, read: number): number {
      const previous = blocks;
      blocks = { hit, read };
      const reset = !previous || hit < previous.hit || read < previous.read;
      const hits = reset ? hit : hit - previous.hit;
      const reads = reset ? read : read - previous.read;
      // Nothing read at all: nothing missed the cache either. A number (not a gap) lets a low-ratio alert resolve.
      return hits + reads === 0 ? 100 : (hits / (hits + reads)) * 100;
    }

    return {
      async run({ signal, clock }): Promise<ProbeResult> {
        // Outside the try below: a package that cannot load is no connection failure (the run fails with its reason).
        const { Pool } = (await loadPackage('pg', () => import('pg'))).default;
        const started = clock.now();
        let client: pg.PoolClient;
        try {
          const sessions = await getPool(Pool);
          opened = undefined;
          const checkout = sessions.connect();
          const socket = opened as Socket | undefined;
          client = await untilAborted(checkout, signal, () => {
            socket?.destroy();
            checkout.then(
              (c) => c.release(true),
              () => {},
            );
          });
        } catch (err) {
          return { up: false, reason: scrub(describePgError(err, signal, at, url, 'connecting to')) };
        }
        const connectSeconds = (clock.now() - started) / 1000;
        const connected = [sample('connect_seconds', connectSeconds)];
        let rows: Record<string, unknown>[];
        try {
          const params = [cfg.slow_query / 1000, cfg.idle_in_transaction / 1000, cfg.top];
          const result = await untilAborted(client.query(STATS_SQL, params), signal, () => client.release(true));
          rows = result.rows;
        } catch (err) {
          // After an abort untilAborted has destroyed the session; after a failed query it is destroyed here.
          if (!signal.aborted) client.release(true);
          const reason = describePgError(err, signal, at, url, 'waiting for the statistics from');
          return { up: false, reason: scrub(reason), samples: connected };
        }
        // Destroyed, not returned to the pool: "up" must mean the server accepts a NEW session. A kept session
        // would make the next connect_seconds a pool checkout, and a database that refuses connections (too many
        // clients, ALLOW_CONNECTIONS false, a pg_hba.conf change) would stay up as long as that session lived —
        // the runbook's DbDown would never fire. One session per run is cheap next to the interval.
        client.release(true);
        let stats: Stats;
        try {
          stats = readStats(rows);
        } catch (err) {
          const reason = `unexpected answer from ${at.host}:${at.port}: ${(err as Error).message}`;
          return { up: false, reason: scrub(reason), samples: connected };
        }
        const now = clock.now();
        const samples = [
          ...connected,
          ...[...new Set([...STATES, ...Object.keys(stats.states)])].map((state) =>
            sample('connections', stats.states[state] ?? 0, { state }),
          ),
          sample('active_connections', stats.states.active ?? 0),
          sample('connections_used_percent', (stats.connections / stats.max_connections) * 100),
          sample('slow_queries', stats.slow),
          sample('longest_query_seconds', stats.longest),
          sample('idle_in_transaction', stats.idle_in_transaction),
          sample('oldest_idle_in_transaction_seconds', stats.oldest_idle),
          sample('database_size_bytes', stats.database_size),
          sample('waiting_locks', stats.waiting_locks),
          sample('cache_hit_percent', cacheHitPercent(stats.blks_hit, stats.blks_read)),
        ];
        const deadlocks = rates.observe('deadlocks', stats.deadlocks, now);
        if (deadlocks !== undefined) samples.push(sample('deadlocks_per_second', deadlocks));
        const rollbacks = rates.observe('rollbacks', stats.rollbacks, now);
        if (rollbacks !== undefined) samples.push(sample('rollbacks_per_second', rollbacks));
        sizes.push({ at: now, usedBytes: stats.database_size });
        while ((sizes[0]?.at ?? now) < now - cfg.growth_window) sizes.shift();
        const growth = growthPerMs(sizes);
        if (growth !== undefined) samples.push(sample('database_growth_bytes_per_day', growth * 86_400_000));
        const detail = describeSessions(stats);
        const result: ProbeResult = { up: true, samples, ...(detail ? { detail } : {}) };
        if (stats.hidden > 0) {
          const sessions = stats.hidden === 1 ? '1 session is' : `${stats.hidden} sessions are`;
          result.cannotMeasure =
            `${sessions} hidden from ${userOf(url)}: slow and idle-in-transaction counts miss them. ` +
            'Grant the role pg_monitor';
        }
        return result;
      },
      async close() {
        await pool?.end();
        pool = undefined;
      },
    };
  },
});
