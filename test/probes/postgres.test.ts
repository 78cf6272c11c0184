// The postgres probe against the machine's real PostgreSQL (its own t_<random> database): real slow queries,
// idle-in-transaction sessions, a pg_monitor-only role, rollbacks, deadlocks, statement_timeout and aborts; and
// against targets that refuse, hang, answer junk or want a password (a throwaway cluster with scram auth).
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { postgresProbe } from '../../src/config/probes.js';
import postgres from '../../src/probes/postgres.js';
import type { Probe } from '../../src/probes/probe.js';
import { probeConformance } from '../support/conformance.js';
import {
  createTestDatabase,
  deadlock,
  pgHost,
  pgPort,
  startThrowawayCluster,
  type TestDatabase,
} from '../support/pg.js';
import { fakeTimeout, handled, makeTestProbe, sampleValue, type TestProbe } from '../support/probe-runs.js';
import { freePort, startTcpTarget } from '../support/tcp-target.js';
import { waitUntil } from '../support/wait-until.js';

probeConformance(postgres, ({ host, port, secret }) => ({
  url: `postgres://centinela:${encodeURIComponent(secret)}@${host}:${port}/app`,
}));
let db: TestDatabase;
const probes: Probe[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
});
afterEach(async () => {
  await Promise.all(probes.splice(0).map((p) => p.close?.()));
});
afterAll(async () => {
  await db.drop();
});

function makeProbe(url: string, keys: Record<string, unknown> = {}): TestProbe {
  const made = makeTestProbe(postgres, { url, ...keys }, new FakeClock());
  probes.push(made.probe);
  return made;
}

/** Polls pg_stat_activity (each poll is a round trip, no sleep) until `pid` is in `state`. */
async function untilState(admin: pg.Client, pid: number, state: string): Promise<void> {
  for (let i = 0; i < 10_000; i++) {
    const { rows } = await admin.query('SELECT state FROM pg_stat_activity WHERE pid = $1', [pid]);
    if (rows[0]?.state === state) return;
  }
  throw new Error(`session ${pid} never reached state "${state}"`);
}

/** Polls pg_locks until the probe's session (application_name centinela in this database) waits for a lock. */
async function untilProbeWaitsForLock(admin: pg.Client): Promise<void> {
  await waitUntil(
    async () => {
      // `admin` holds the lock in its transaction, where PostgreSQL keeps the first pg_stat_activity it read: a
      // session the probe opened since would never show without this.
      await admin.query('SELECT pg_stat_clear_snapshot()');
      return (
        (
          await admin.query(
            `SELECT 1 FROM pg_locks l JOIN pg_stat_activity a USING (pid)
           WHERE NOT l.granted AND a.application_name = 'centinela' AND a.datname = $1`,
            [db.name],
          )
        ).rows.length > 0
      );
    },
    30_000,
    () => 'the probe never waited for the lock',
  );
}

/** Starts `sql` in a session of its own, not awaited, and returns once the server shows it running. */
async function startQuery(sql: string): Promise<{ pid: number; cancel(): Promise<void> }> {
  const admin = await db.connect();
  const session = await db.connect();
  const pid = await pidOf(session);
  // Rejects once cancelled, maybe before cancel() awaits it.
  const running = handled(session.query(sql));
  await untilState(admin, pid, 'active');
  return {
    pid,
    async cancel() {
      await admin.query('SELECT pg_cancel_backend($1)', [pid]);
      await running.catch(() => {});
    },
  };
}

async function pidOf(client: pg.Client): Promise<number> {
  const { rows } = await client.query('SELECT pg_backend_pid() AS pid');
  return rows[0].pid as number;
}

describe('postgres probe on a live server', () => {
  it('sees a real slow query and a real idle-in-transaction session, with masked text and ages', async () => {
    const admin = await db.connect();
    const sleeper = await startQuery("SELECT pg_sleep(5), 'sleeper-secret@example.com' AS who, 42 AS n");
    const idle = await db.connect();
    const idlePid = await pidOf(idle);
    await idle.query('BEGIN');
    await idle.query("SELECT 'card 4111-1111-1111-1111' AS card, 3.5 AS amount");

    const probe = makeProbe(db.url, { slow_query: '1ms', idle_in_transaction: '1ms' });
    const result = await probe.runUp();
    const { rows } = await admin.query(
      'SELECT extract(epoch FROM now() - state_change)::float8 AS age FROM pg_stat_activity WHERE pid = $1',
      [idlePid],
    );

    const s = result.samples;
    expect(sampleValue(s, 'slow_queries')).toBeGreaterThanOrEqual(1);
    expect(sampleValue(s, 'active_connections')).toBeGreaterThanOrEqual(1);
    expect(sampleValue(s, 'connections', { state: 'active' })).toBe(sampleValue(s, 'active_connections'));
    expect(sampleValue(s, 'connections', { state: 'idle in transaction' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(s, 'idle_in_transaction')).toBeGreaterThanOrEqual(1);
    expect(sampleValue(s, 'longest_query_seconds')).toBeGreaterThan(0);
    const oldestIdle = sampleValue(s, 'oldest_idle_in_transaction_seconds') ?? 0;
    expect(oldestIdle).toBeGreaterThan(0);

    const lines = result.detail?.split('\n') ?? [];
    expect(lines[0]).toMatch(/^slow or idle-in-transaction sessions \(\d+, oldest first\):$/);
    const sleeperLine = lines.find((l) => l.startsWith(`pid ${sleeper.pid} `));
    expect(sleeperLine).toMatch(
      new RegExp(
        `^pid ${sleeper.pid} postgres@${db.name} active for \\d+\\.\\ds: SELECT pg_sleep\\(\\?\\), \\? AS who, \\? AS n$`,
      ),
    );
    const idleLine = lines.find((l) => l.startsWith(`pid ${idlePid} `));
    expect(idleLine).toMatch(
      new RegExp(
        `^pid ${idlePid} postgres@${db.name} idle in transaction for \\d+\\.\\ds: SELECT \\? AS card, \\? AS amount$`,
      ),
    );
    // The idle age is the server's own measure: at most what the admin session saw a moment later.
    const idleAge = Number(/for (\d+\.\d)s/.exec(idleLine ?? '')?.[1]);
    expect(idleAge).toBeLessThanOrEqual(rows[0].age + 0.05);
    expect(oldestIdle).toBeGreaterThanOrEqual(idleAge - 0.05);
    expect(result.detail).not.toContain('sleeper-secret');
    expect(result.detail).not.toContain('4111');
    // Its own statistics query is never one of the sessions it reports.
    expect(result.detail).not.toContain('pg_stat_activity');

    await sleeper.cancel();
    await idle.query('ROLLBACK');
  });

  it('counts only sessions past the thresholds, and lists at most `top` of them', async () => {
    const admin = await db.connect();
    const idlers = await Promise.all([db.connect(), db.connect(), db.connect()]);
    for (const c of idlers) {
      await c.query('BEGIN');
      await c.query('SELECT 1');
    }
    const pids = await Promise.all(idlers.map(pidOf));

    const patient = await makeProbe(db.url, { slow_query: '1h', idle_in_transaction: '1h' }).runUp();
    expect(sampleValue(patient.samples, 'idle_in_transaction')).toBe(0);
    expect(sampleValue(patient.samples, 'slow_queries')).toBe(0);
    expect(sampleValue(patient.samples, 'connections', { state: 'idle in transaction' })).toBeGreaterThanOrEqual(3);
    expect(sampleValue(patient.samples, 'oldest_idle_in_transaction_seconds')).toBeGreaterThan(0);
    expect(patient.detail).toBeUndefined();

    const strict = await makeProbe(db.url, { idle_in_transaction: '1ms', top: 2 }).runUp();
    const flagged = sampleValue(strict.samples, 'idle_in_transaction') ?? 0;
    expect(flagged).toBeGreaterThanOrEqual(3);
    const lines = strict.detail?.split('\n') ?? [];
    // The total also counts slow queries other test files may be running on the shared server.
    expect(lines[0]).toMatch(/^slow or idle-in-transaction sessions \(top 2 of \d+, oldest first\):$/);
    expect(lines).toHaveLength(3);
    expect(pids.some((pid) => lines.some((l) => l.startsWith(`pid ${pid} `)))).toBe(true);
    const quiet = await makeProbe(db.url, { idle_in_transaction: '1ms', top: 0 }).runUp();
    expect(sampleValue(quiet.samples, 'idle_in_transaction')).toBeGreaterThanOrEqual(3);
    expect(quiet.detail).toBeUndefined();
    for (const c of idlers) await c.query('ROLLBACK');
    await admin.end();
  });

  it('works with a role that has only pg_monitor: it sees other users’ sessions and their queries', async () => {
    const monitor = await db.createRole('monitor', 'LOGIN IN ROLE pg_monitor');
    const sleeper = await startQuery("SELECT pg_sleep(5), 'monitored'");

    const result = await makeProbe(db.urlFor(monitor), { slow_query: '1ms' }).runUp();
    expect(result.cannotMeasure).toBeUndefined();
    expect(sampleValue(result.samples, 'slow_queries')).toBeGreaterThanOrEqual(1);
    expect(sampleValue(result.samples, 'database_size_bytes')).toBeGreaterThan(1_000_000);
    expect(result.detail).toMatch(
      new RegExp(`pid ${sleeper.pid} postgres@${db.name} active for .*: SELECT pg_sleep\\(\\?\\), \\?`),
    );
    await sleeper.cancel();
  });

  it('says so when the role cannot see other sessions, instead of reporting a quiet server', async () => {
    const plain = await db.createRole('plain', 'LOGIN');
    const sleeper = await startQuery('SELECT pg_sleep(5)');

    const result = await makeProbe(db.urlFor(plain), { slow_query: '1ms' }).runUp();
    expect(result.cannotMeasure).toMatch(
      /^(1 session is|\d+ sessions are) hidden from the user of url: .* Grant the role pg_monitor$/,
    );
    expect(result.detail ?? '').not.toContain(`pid ${sleeper.pid} `);
    await sleeper.cancel();
  });

  it('opens a session of its own (named centinela) for each run and keeps none open between runs', async () => {
    const admin = await db.connect();
    const probe = makeProbe(db.url);
    const sessions = async () =>
      (
        await admin.query(`SELECT pid FROM pg_stat_activity WHERE application_name = 'centinela' AND datname = $1`, [
          db.name,
        ])
      ).rows.map((r) => r.pid as number);
    for (let run = 1; run <= 2; run++) {
      await probe.runUp();
      // The server process leaves pg_stat_activity a moment after the socket closed.
      for (let i = 0; i < 10_000 && (await sessions()).length > 0; i++);
      expect(await sessions(), `after run ${run}`).toEqual([]);
    }
  });

  it('is down on the next run once the database refuses new connections (ALLOW_CONNECTIONS false)', async () => {
    const own = await createTestDatabase();
    const admin = await db.connect();
    try {
      const probe = makeProbe(own.url);
      await probe.runUp();
      await admin.query(`ALTER DATABASE ${own.name} ALLOW_CONNECTIONS false`);
      expect(await probe.run()).toEqual({
        up: false,
        reason:
          'the database url names is not accepting connections (55000: ALLOW_CONNECTIONS false, or being dropped)',
      });
      await admin.query(`ALTER DATABASE ${own.name} ALLOW_CONNECTIONS true`);
      await probe.runUp();
    } finally {
      await admin.query(`ALTER DATABASE ${own.name} ALLOW_CONNECTIONS true`);
      await own.drop();
    }
  });

  it('turns rollbacks and deadlocks into per-second rates between runs, and survives a statistics reset', async () => {
    // A database of its own: sessions of the other tests here flush their rollbacks to the statistics late.
    const own = await createTestDatabase();
    try {
      await rates(own);
    } finally {
      await own.drop();
    }
  });

  async function rates(db: TestDatabase): Promise<void> {
    const admin = await db.connect();
    await admin.query('CREATE TABLE accounts (id int PRIMARY KEY, balance int)');
    await admin.query('INSERT INTO accounts VALUES (1, 0), (2, 0)');
    const probe = makeProbe(db.url);
    const first = await probe.runUp();
    expect(sampleValue(first.samples, 'rollbacks_per_second')).toBeUndefined();
    expect(sampleValue(first.samples, 'deadlocks_per_second')).toBeUndefined();

    // Four rollbacks, and one real deadlock.
    const a = await db.connect();
    const b = await db.connect();
    for (let i = 0; i < 4; i++) {
      await a.query('BEGIN');
      await a.query('ROLLBACK');
    }
    await deadlock(a, b, 'accounts');

    await probe.clock.advance(10_000);
    const second = await probe.runUp();
    // 4 plain rollbacks + the deadlock victim's + the survivor's = 6 rollbacks in 10 s.
    expect(sampleValue(second.samples, 'rollbacks_per_second')).toBeCloseTo(0.6, 9);
    expect(sampleValue(second.samples, 'deadlocks_per_second')).toBeCloseTo(0.1, 9);

    await admin.query('SELECT pg_stat_reset()');
    // A new session: PostgreSQL 15 drops what a session opened before the reset flushes for the reset database.
    const c = await db.connect();
    await c.query('BEGIN');
    await c.query('ROLLBACK');
    await c.query('SELECT pg_stat_force_next_flush()');
    await probe.clock.advance(10_000);
    const third = await probe.runUp();
    // The counter went back to 1 (below the 6+ seen before): counted from zero, not a negative rate.
    expect(sampleValue(third.samples, 'rollbacks_per_second')).toBeCloseTo(0.1, 9);
    expect(sampleValue(third.samples, 'deadlocks_per_second')).toBe(0);
  }

  it('turns the database size into its growth per day, the slope over growth_window', async () => {
    const own = await createTestDatabase();
    try {
      const probe = makeProbe(own.url, { growth_window: '1h' });
      const first = await probe.runUp();
      expect(sampleValue(first.samples, 'database_growth_bytes_per_day')).toBeUndefined();
      const admin = await own.connect();
      await admin.query("CREATE TABLE filler AS SELECT repeat('x', 1000) AS t FROM generate_series(1, 4000)");
      await probe.clock.advance(30 * 60_000);
      const second = await probe.runUp();
      const grown =
        (sampleValue(second.samples, 'database_size_bytes') ?? 0) -
        (sampleValue(first.samples, 'database_size_bytes') ?? 0);
      expect(grown).toBeGreaterThan(4_000_000);
      // Two readings half an hour apart: the day's growth at that pace.
      expect(sampleValue(second.samples, 'database_growth_bytes_per_day')).toBeCloseTo(grown * 48, 3);
      // The first reading leaves the window: the growth is that of the readings since the table was made.
      await probe.clock.advance(45 * 60_000);
      const third = await probe.runUp();
      const since =
        (sampleValue(third.samples, 'database_size_bytes') ?? 0) -
        (sampleValue(second.samples, 'database_size_bytes') ?? 0);
      expect(sampleValue(third.samples, 'database_growth_bytes_per_day')).toBeCloseTo(since * 32, 3);
    } finally {
      await own.drop();
    }
  });

  it('reports the share of max_connections in use and a cache hit ratio', async () => {
    const admin = await db.connect();
    const { rows } = await admin.query(
      `SELECT (SELECT setting::int FROM pg_settings WHERE name = 'max_connections') AS max,
              (SELECT count(*)::int FROM pg_stat_activity WHERE backend_type = 'client backend') AS used`,
    );
    const result = await makeProbe(db.url).runUp();
    const percent = sampleValue(result.samples, 'connections_used_percent') ?? -1;
    // Other test files share the server: the count may move by a few sessions between the two readings.
    expect(percent).toBeGreaterThan(0);
    expect(Math.abs(percent - ((rows[0].used + 1) / rows[0].max) * 100)).toBeLessThanOrEqual((5 / rows[0].max) * 100);
    const hit = sampleValue(result.samples, 'cache_hit_percent') ?? -1;
    expect(hit).toBeGreaterThanOrEqual(0);
    expect(hit).toBeLessThanOrEqual(100);
    expect(sampleValue(result.samples, 'waiting_locks')).toBeGreaterThanOrEqual(0);
    for (const state of ['active', 'idle', 'idle in transaction', 'idle in transaction (aborted)']) {
      expect(sampleValue(result.samples, 'connections', { state })).toBeGreaterThanOrEqual(0);
    }
  });

  it('sets statement_timeout on its own session: a blocked statistics query is cancelled by the server', async () => {
    const admin = await db.connect();
    const probe = makeProbe(db.url, { statement_timeout: '300ms', timeout: '1m' });
    await probe.runUp();
    // The statistics query reads the view pg_settings; holding it locked blocks that query. Not pg_database:
    // every new session reads it while connecting, and the probe connects afresh each run.
    await admin.query('BEGIN');
    await admin.query("SET LOCAL lock_timeout = '5s'");
    await admin.query('LOCK TABLE pg_catalog.pg_settings IN ACCESS EXCLUSIVE MODE');
    const result = await probe.run().finally(() => admin.query('ROLLBACK'));
    expect(result).toMatchObject({
      up: false,
      reason: 'the statistics query was cancelled (57014): it ran past statement_timeout, or someone cancelled it',
    });
    expect(sampleValue(result.samples ?? [], 'connect_seconds')).toBe(0);
    await probe.runUp();
  });

  it('gives up a query that hangs when its run is aborted, and opens a new session next run', async () => {
    const admin = await db.connect();
    const probe = makeProbe(db.url, { timeout: '1m' });
    await probe.runUp();
    await admin.query('BEGIN');
    await admin.query('LOCK TABLE pg_catalog.pg_settings IN ACCESS EXCLUSIVE MODE');
    const pending = handled(probe.run(fakeTimeout(probe.clock, 2_000)));
    try {
      await untilProbeWaitsForLock(admin);
      await probe.clock.advance(2_000);
      expect(await pending).toEqual({
        up: false,
        reason: `timed out after 2s while waiting for the statistics from ${pgHost}:${pgPort}`,
        samples: [{ name: 'connect_seconds', labels: {}, value: 0 }],
      });
    } finally {
      await admin.query('ROLLBACK');
    }
    const again = await probe.runUp();
    expect(sampleValue(again.samples, 'slow_queries')).toBeGreaterThanOrEqual(0);
  });
});

describe('postgres probe when the target fails', () => {
  it('a closed port: connection refused', async () => {
    const port = await freePort();
    const result = await makeProbe(`postgres://postgres@127.0.0.1:${port}/postgres`).run();
    expect(result).toEqual({ up: false, reason: `connection refused (127.0.0.1:${port})` });
  });

  it('a database that does not exist, a role that does not exist: named by where they are, never quoted', async () => {
    // The url may come from the environment (${DB_URL}): its names are not shown, as its host is not.
    const noDb = await makeProbe(`postgres://postgres@${pgHost}:${pgPort}/db_S3cret`).run();
    expect(noDb).toEqual({ up: false, reason: 'the database url names does not exist' });
    const noRole = await makeProbe(`postgres://hunter2S3cret@${pgHost}:${pgPort}/${db.name}`).run();
    expect(noRole).toEqual({
      up: false,
      reason:
        'not allowed to connect (28000): the role does not exist or may not log in, no line of pg_hba.conf lets ' +
        'this host, user and database in, or pg_hba.conf asks for a client certificate url does not give (or one ' +
        "whose CN is not the user). Check the user of url and the server's pg_hba.conf",
    });
  });

  // pg reads PGOPTIONS, PGUSER and PGDATABASE where the URL says nothing, and the server's messages quote them.
  it.each([
    [
      'a setting PGOPTIONS asks for that the server does not know',
      { PGOPTIONS: '-c bogus_S3cret=1' },
      'the server refused a setting the connection asks for (42704). Check the options parameter of url and ' +
        "PGOPTIONS in centinela's environment",
    ],
    [
      'options PGOPTIONS passes that the server cannot read',
      { PGOPTIONS: '-x_S3cret' },
      'the server could not read the options the connection passes (42601), which are -c name=value, separated by ' +
        "spaces. Check the options parameter of url and PGOPTIONS in centinela's environment",
    ],
    [
      'a role PGUSER names that does not exist',
      { PGUSER: 'S3cret_user' },
      'not allowed to connect (28000): the role does not exist or may not log in, no line of pg_hba.conf lets ' +
        'this host, user and database in, or pg_hba.conf asks for a client certificate url does not give (or one ' +
        "whose CN is not the user). Check the user (url names none: PGUSER, else the system user) and the server's pg_hba.conf",
    ],
    [
      'a database PGDATABASE names that does not exist',
      { PGDATABASE: 'S3cret_db' },
      "the database (url names none: PGDATABASE, else the user's name) does not exist",
    ],
  ])('%s: told by its code, quoting nothing of the environment', async (_, env, reason) => {
    const withoutUser = !('PGUSER' in env);
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
    try {
      const result = await makeProbe(`postgres://${withoutUser ? 'postgres@' : ''}${pgHost}:${pgPort}`).run();
      expect(result).toEqual({ up: false, reason });
      expect(JSON.stringify(result)).not.toContain('S3cret');
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('a server that accepts and never answers: the run ends when aborted, with the phase it was in', async () => {
    const target = await startTcpTarget('hang');
    try {
      const probe = makeProbe(`postgres://app:hunter2-secret@127.0.0.1:${target.port}/app`, { timeout: '1m' });
      const pending = handled(probe.run(fakeTimeout(probe.clock, 5_000)));
      await probe.clock.advance(5_000);
      expect(await pending).toEqual({
        up: false,
        reason: `timed out after 5s while connecting to 127.0.0.1:${target.port}`,
      });
      expect(target.accepted).toBe(1);
      // The abort destroyed the socket: nothing stays open towards the hung server.
      await target.untilNoConnections();
    } finally {
      await target.close();
    }
  });

  it('a server that accepts and closes at once: closed while connecting to it', async () => {
    const target = await startTcpTarget('junk-close', '');
    try {
      expect(await makeProbe(`postgres://app@127.0.0.1:${target.port}/app`).run()).toEqual({
        up: false,
        reason: `connection closed by the server while connecting to 127.0.0.1:${target.port}`,
      });
    } finally {
      await target.close();
    }
  });

  it('a server that answers something else: named at once, not after the timeout', async () => {
    const target = await startTcpTarget('junk');
    try {
      const result = await makeProbe(`postgres://app:hunter2-secret@127.0.0.1:${target.port}/app`).run();
      expect(result).toEqual({
        up: false,
        reason: `127.0.0.1:${target.port} answered something that is not PostgreSQL: "HTTP/1.1 400 Bad Request"`,
      });
    } finally {
      await target.close();
    }
  });

  it('a URL of another scheme is refused when the configuration is read', () => {
    const parsed = postgresProbe.safeParse({ name: 'db', kind: 'postgres', every: '30s', url: 'mysql://db:3306/app' });
    expect(parsed.error?.issues.map((i) => i.message)).toEqual([
      'must start with postgres:// or postgresql://. Write e.g. postgres://user:${PASSWORD}@db:5432/app',
    ]);
  });

  it('an unreadable tls.ca_file is the reason, not a crash', async () => {
    const result = await makeProbe(db.url, { tls: { ca_file: '/nonexistent/ca.pem' } }).run();
    expect(result.up).toBe(false);
    expect(!result.up && result.reason).toMatch(
      /^cannot read tls\.ca_file \(ENOENT\)\. Restore the file, or point the key at a PEM file centinela can read/,
    );
  });
});

describe('postgres probe against a server that wants a password', () => {
  let cluster: Awaited<ReturnType<typeof startThrowawayCluster>>;
  beforeAll(async () => {
    cluster = await startThrowawayCluster();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('a wrong password: authentication failed, and the password is in no message', async () => {
    const wrong = 'Wr0ng-but-s3cret';
    const result = await makeProbe(cluster.url('postgres', wrong, 'postgres')).run();
    expect(result).toEqual({ up: false, reason: 'authentication failed for the user of url' });
    expect(JSON.stringify(result)).not.toContain(wrong);
  });

  it('no password at all: says the server asks for one', async () => {
    const result = await makeProbe(cluster.url('postgres', undefined, 'postgres')).run();
    expect(result).toEqual({
      up: false,
      reason: 'authentication failed for the user of url: the server asks for a password and none is configured',
    });
  });

  it('counts only client sessions as hidden from a role without pg_monitor, not background processes', async () => {
    // A server of its own: the only other sessions are the ones this test opens.
    await cluster.admin((c) => c.query(`CREATE ROLE plain LOGIN PASSWORD 'plain-pw'`));
    const url = cluster.url('plain', 'plain-pw', 'postgres');
    const adminPid = await cluster.admin(pidOf);
    const watcher = new pg.Client(url);
    await watcher.connect();
    const other = new pg.Client(cluster.url('postgres', cluster.password, 'postgres'));
    try {
      // The admin session just closed; its server process leaves pg_stat_activity a moment later.
      const present = async (pid: number) =>
        (await watcher.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid])).rows.length > 0;
      for (let i = 0; i < 10_000 && (await present(adminPid)); i++);
      // Checkpointer, background writer, walwriter and the launchers run, yet no client of another user does.
      const quiet = await makeProbe(url).runUp();
      expect(quiet.cannotMeasure).toBeUndefined();

      await other.connect();
      const busy = await makeProbe(url).runUp();
      expect(busy.cannotMeasure).toBe(
        '1 session is hidden from the user of url: slow and idle-in-transaction counts miss them. Grant the role pg_monitor',
      );
    } finally {
      await other.end();
      await watcher.end();
    }
  });

  it('the right password (URL-encoded characters too): up', async () => {
    await cluster.admin((c) => c.query(`CREATE ROLE watcher LOGIN PASSWORD 'p@ss:w/rd%' IN ROLE pg_monitor`));
    const result = await makeProbe(cluster.url('watcher', 'p@ss:w/rd%', 'postgres')).runUp();
    expect(sampleValue(result.samples, 'database_size_bytes')).toBeGreaterThan(0);
  });
});
