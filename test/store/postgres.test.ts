// What only the PostgreSQL store has: migrations once under a lock, the upgrade of an older database, the leader term
// that fences an older store, flushes that keep a unit whole and keep what failed, errors that never quote the URL.
// (The semantics both stores share are the parametrised suites of alerts.test.ts and escalation.test.ts.)
import { describe, expect, it } from 'vitest';
import type { StateError } from '../../src/store/errors.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { lasting, openPostgresStore, reachPostgres } from '../../src/store/postgres.js';
import { migratePostgres } from '../../src/store/postgres-schema.js';
import { makeAlert } from '../support/escalation-fixtures.js';
import { createTestDatabase } from '../support/pg.js';
import { pgOptions, silenceOf, usePostgres } from '../support/stores.js';
import { freePort } from '../support/tcp-target.js';

const suite = usePostgres();
const { open } = suite;

const rows = async (query: string) => (await suite.sql.query(query)).rows;

describe('PostgreSQL store: schema', () => {
  it('migrates a new database once when two replicas open it together, and each takes its own term', async () => {
    const [a, b] = await Promise.all([open(), open()]);
    expect([a.term, b.term].sort()).toEqual([1, 2]);
    expect(await rows(`SELECT key, value FROM centinela_meta ORDER BY key`)).toEqual([
      { key: 'schema_version', value: String(MIGRATIONS.at(-1)?.version) },
      { key: 'term', value: '2' },
    ]);
    const tables = await rows(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
    );
    expect(tables.map((t) => t.table_name)).toEqual([
      'alert_history',
      'alert_instances',
      'alert_meta',
      'centinela_meta',
      'esc_acks',
      'esc_incidents',
      'esc_inhibited',
      'esc_paged',
      'external_alerts',
      'heartbeats',
      'history_points',
      'history_series',
      'maintenance_windows',
      'outbox',
      'probe_hours',
      'probe_runs',
      'silences',
    ]);
    expect(await rows(`SELECT value FROM alert_meta WHERE key = 'generation'`)).toEqual([{ value: '0' }]);
  });

  it('upgrades a database from migration 2 with the data migrations as SQLite runs them', async () => {
    await migratePostgres(suite.sql, MIGRATIONS.slice(0, 2));
    const alert = makeAlert({ priority: 'P1' });
    await suite.sql.query(
      `INSERT INTO esc_incidents (id, alert_id, alert, priority, status, opened_at, first_paged_at, sla_priority, levels)
       VALUES (7, $1, $2, 'P1', 'open', 1000, 1000, 'P2', '[]')`,
      [alert.id, JSON.stringify(alert)],
    );
    const s = await open();
    expect(s.incidents.openIncident(alert.id)).toMatchObject({ id: 7, slaPriority: 'P2', topPriority: 'P2' });
    expect(await rows('SELECT id, top_priority FROM esc_incidents')).toEqual([{ id: '7', top_priority: 'P2' }]);
    expect(await rows(`SELECT value FROM centinela_meta WHERE key = 'schema_version'`)).toEqual([
      { value: String(MIGRATIONS.at(-1)?.version) },
    ]);
  });

  it('refuses a database a newer centinela wrote', async () => {
    await open().then((s) => s.close());
    await suite.sql.query(`UPDATE centinela_meta SET value = 99 WHERE key = 'schema_version'`);
    await expect(open()).rejects.toMatchObject({
      code: 'STATE_TOO_NEW',
      message: expect.stringContaining('schema version 99, this centinela knows up to'),
    });
  });

  it('says it cannot connect without quoting the URL or its password', async () => {
    const port = await freePort();
    const err = await openPostgresStore(
      pgOptions(`postgres://centinela:s3cr3t-pw@127.0.0.1:${port}/state`, { connectTimeout: 2_000 }),
    ).catch((e: Error) => e);
    expect(err).toMatchObject({ code: 'STATE_UNREACHABLE' });
    expect((err as Error).message).toBe('state store (postgres): cannot connect (ECONNREFUSED)');
  });

  it('says the login was refused or the database is missing without naming the user or the database', async () => {
    // The machine's server trusts loopback logins; a role that may not log in is refused all the same (28000).
    const role = await suite.db.createRole('nologin', 'NOLOGIN');
    const refused = await openPostgresStore(pgOptions(suite.db.urlFor(role))).catch((e: Error) => e);
    const missing = await openPostgresStore(
      pgOptions(suite.db.url.replace(suite.db.name, `${suite.db.name}_gone`)),
    ).catch((e: Error) => e);
    // A role that does not exist, named as the start of PostgreSQL's words for a missing pg_hba.conf line, which
    // its refusal quotes: a missing role all the same.
    const named = await openPostgresStore(
      pgOptions(suite.db.urlFor(encodeURIComponent('no pg_hba.conf entry for host, no encryption'))),
    ).catch((e: Error) => e);
    const login =
      'state store (postgres): cannot connect (the server refused the login (28000): the role does not exist or ' +
      'may not log in, no line of pg_hba.conf lets it in, or pg_hba.conf asks for a client certificate state.url ' +
      "does not give (or one whose CN is not the user). Check the user and the sslcert of state.url, and the server's pg_hba.conf)";
    expect([refused, missing, named].map((e) => (e as Error).message)).toEqual([
      login,
      'state store (postgres): cannot connect (the database does not exist (3D000). Create it, or name the right ' +
        'one in state.url)',
      login,
    ]);
  });
});

describe('PostgreSQL store: a setting the server refuses at start-up', () => {
  const SETTING =
    'the server refused a setting the connection asks for (42704). Check the options parameter of ' +
    "state.url and PGOPTIONS in centinela's environment";

  it('is a lasting fault, told without quoting it, from the URL and from PGOPTIONS', async () => {
    const inUrl = `${suite.db.url}?options=${encodeURIComponent('-c bogus_S3cr3t=1')}`;
    const fromUrl = (await openPostgresStore(pgOptions(inUrl)).catch((e: Error) => e)) as StateError;
    process.env.PGOPTIONS = '-c bogus_S3cr3t=1';
    try {
      const fromEnv = (await openPostgresStore(pgOptions(suite.db.url)).catch((e: Error) => e)) as StateError;
      const checked = await reachPostgres(suite.db.url, 2_000);
      for (const err of [fromUrl, fromEnv]) {
        expect(err.message).toBe(`state store (postgres): cannot connect (${SETTING})`);
        expect(lasting(err)).toBe(true);
      }
      expect(checked).toBe(`cannot connect to PostgreSQL: ${SETTING}`);
    } finally {
      delete process.env.PGOPTIONS;
    }
  });

  it.each(['-x_S3cr3t', '-c bogus_S3cr3t'])(
    'options it cannot read (PGOPTIONS %s): told so, pointing at PGOPTIONS',
    async (options) => {
      const unread =
        'the server could not read the options the connection passes (42601), which are -c name=value, separated by ' +
        "spaces. Check the options parameter of state.url and PGOPTIONS in centinela's environment";
      process.env.PGOPTIONS = options;
      try {
        const err = (await openPostgresStore(pgOptions(suite.db.url)).catch((e: Error) => e)) as StateError;
        expect(err.message).toBe(`state store (postgres): cannot connect (${unread})`);
        expect(lasting(err)).toBe(true);
        expect(await reachPostgres(suite.db.url, 2_000)).toBe(`cannot connect to PostgreSQL: ${unread}`);
      } finally {
        delete process.env.PGOPTIONS;
      }
    },
  );
});

/** The message of the error opening a store at `url` (with `migrations`) fails with. */
const openFailure = async (url: string, migrations = MIGRATIONS) =>
  ((await openPostgresStore(pgOptions(url, { migrations })).catch((e: Error) => e)) as StateError).message;

/** check's words (reachPostgres) and run's (the store's opening) for a session that cannot keep the store. */
const refusedBoth = (words: string) => ({
  check: `the state store cannot be opened there: ${words}`,
  run: `state store (postgres): cannot open it (${words})`,
});

describe('PostgreSQL store: a session setting that keeps it from being kept', () => {
  const SETTING =
    "the options parameter of state.url, PGOPTIONS in centinela's environment, or ALTER ROLE or DATABASE … SET";
  it.each([
    [
      'default_transaction_read_only=on',
      'the session is read-only (25006): state.url leads to a read-only server (a hot standby), or ' +
        `default_transaction_read_only is on for the session (${SETTING}). Point state.url at the primary, or turn it off`,
    ],
    [
      'search_path=S3cr3t_schema',
      "the server has no schema for the store's tables (3F000): search_path names none that exists and the role may " +
        `use (${SETTING}). Name an existing schema in it, or leave it out`,
    ],
    [
      // Even a superuser: the system catalog takes no table.
      'search_path=pg_catalog',
      "search_path puts the store's tables in pg_catalog, where no table may be made, not even by a superuser " +
        `(42501). Name another schema first in it (${SETTING}), or leave it out`,
    ],
  ])('PGOPTIONS -c %s: check and run tell it in the same words, by its code', async (setting, words) => {
    // A database of its own: the store's tables are not there yet, so opening it writes them.
    const own = await createTestDatabase();
    process.env.PGOPTIONS = `-c ${setting}`;
    try {
      expect({ check: await reachPostgres(own.url, 2_000), run: await openFailure(own.url) }).toEqual(
        refusedBoth(words),
      );
    } finally {
      delete process.env.PGOPTIONS;
      await own.drop();
    }
  });

  it('?options=-c search_path=pg_catalog in the URL: the same', async () => {
    const own = await createTestDatabase();
    try {
      const url = `${own.url}?options=${encodeURIComponent('-c search_path=pg_catalog')}`;
      const { check, run } = { check: await reachPostgres(url, 2_000), run: await openFailure(url) };
      expect(check).toContain("search_path puts the store's tables in pg_catalog");
      expect(run).toBe(`state store (postgres): cannot open it (${check?.slice(check.indexOf(': ') + 2)})`);
    } finally {
      await own.drop();
    }
  });
});

describe('PostgreSQL store: a role without the privileges it needs', () => {
  const CREATE =
    "the role of state.url may not make the store's tables (42501): it has no CREATE on the schema they go in, the " +
    "first of search_path (PostgreSQL 15 gives CREATE on public to the database's owner alone). Run GRANT CREATE ON " +
    'SCHEMA public TO the role (or on the schema search_path names first), or make the role the owner of the database';
  const TABLES =
    'the role of state.url lacks SELECT, INSERT, UPDATE or DELETE on a table of the store (42501). Run GRANT SELECT, ' +
    'INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO the role (or the schema the tables are in), or make the ' +
    'role their owner';
  const OWNER =
    'a migration of the store is due, which alters its tables, and the role of state.url does not own them (42501). ' +
    'Make the role their owner (ALTER TABLE … OWNER TO it), or run this centinela once with state.url naming their owner';

  it('CREATE ROLE r LOGIN on PostgreSQL 15 (no CREATE on public): check and run refuse it alike; granted, it opens', async () => {
    const own = await createTestDatabase();
    try {
      const role = await own.createRole('plain', 'LOGIN');
      const url = own.urlFor(role);
      expect({ check: await reachPostgres(url, 2_000), run: await openFailure(url) }).toEqual(refusedBoth(CREATE));
      const admin = await own.connect();
      await admin.query(`GRANT CREATE ON SCHEMA public TO ${role}`);
      expect(await reachPostgres(url, 2_000)).toBeUndefined();
      await (await openPostgresStore(pgOptions(url))).close();
    } finally {
      await own.drop();
    }
  });

  it('tables made by another role: SELECT, INSERT, UPDATE and DELETE on them are enough, CREATE is not needed', async () => {
    const own = await createTestDatabase();
    try {
      await (await openPostgresStore(pgOptions(own.url))).close();
      const role = await own.createRole('dml', 'LOGIN');
      const url = own.urlFor(role);
      expect({ check: await reachPostgres(url, 2_000), run: await openFailure(url) }).toEqual(refusedBoth(TABLES));
      const admin = await own.connect();
      await admin.query(`GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA public TO ${role}`);
      expect(await reachPostgres(url, 2_000)).toBe(refusedBoth(TABLES).check);
      await admin.query(`GRANT DELETE ON ALL TABLES IN SCHEMA public TO ${role}`);
      expect(await reachPostgres(url, 2_000)).toBeUndefined();
      const store = await openPostgresStore(pgOptions(url));
      store.alerts.addSilence(silenceOf('sil_1'));
      await store.flush();
      await store.close();
    } finally {
      await own.drop();
    }
  });

  it('a migration that alters tables another role owns: refused, in the same words', async () => {
    const own = await createTestDatabase();
    try {
      const admin = await own.connect();
      // Version 11: migration 12 adds a column to outbox.
      await migratePostgres(admin, MIGRATIONS.slice(0, 11));
      const role = await own.createRole('notowner', 'LOGIN');
      await admin.query(`GRANT CREATE ON SCHEMA public TO ${role}`);
      await admin.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${role}`);
      const url = own.urlFor(role);
      expect({ check: await reachPostgres(url, 2_000), run: await openFailure(url) }).toEqual(refusedBoth(OWNER));
      await admin.query(
        `DO $$ DECLARE t text; BEGIN FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP
           EXECUTE format('ALTER TABLE %I OWNER TO ${role}', t); END LOOP; END $$`,
      );
      expect(await reachPostgres(url, 2_000)).toBeUndefined();
      await (await openPostgresStore(pgOptions(url))).close();
    } finally {
      await own.drop();
    }
  });
});

describe('PostgreSQL store: flushes', () => {
  it('flushes a write made outside a unit of work by itself', async () => {
    const s = await open();
    s.alerts.addSilence(silenceOf('sil_1'));
    // No flush() called: the write's own flush commits it; polled until then (10 s at most).
    let found: unknown[] = [];
    for (const deadline = Date.now() + 10_000; found.length === 0 && Date.now() < deadline; ) {
      found = await rows('SELECT id FROM silences');
    }
    expect(found).toEqual([{ id: 'sil_1' }]);
  });

  it('writes a unit of work whole or not at all', async () => {
    const s = await open();
    expect(() =>
      s.unitOfWork(() => {
        s.alerts.addSilence(silenceOf('sil_1'));
        s.incidents.insertIncident({
          alertId: 'a',
          alert: makeAlert(),
          priority: 'P0',
          status: 'open',
          openedAt: 1,
          levels: [],
        });
        throw new Error('outbox insert failed');
      }),
    ).toThrow('outbox insert failed');
    s.unitOfWork(() => s.alerts.addSilence(silenceOf('sil_2')));
    await s.flush();
    expect(await rows('SELECT id FROM silences')).toEqual([{ id: 'sil_2' }]);
    expect(await rows('SELECT id FROM esc_incidents')).toEqual([]);
  });

  it('keeps the rows of a failed flush and writes them with the next one', async () => {
    const s = await open();
    await suite.sql.query('ALTER TABLE silences RENAME TO silences_away');
    s.alerts.addSilence(silenceOf('sil_1'));
    await expect(s.flush()).rejects.toMatchObject({
      code: 'STATE_UNREACHABLE',
      message: expect.stringContaining('a write failed'),
    });
    await suite.sql.query('ALTER TABLE silences_away RENAME TO silences');
    await s.flush();
    expect(await rows('SELECT id FROM silences')).toEqual([{ id: 'sil_1' }]);
  });

  it('fences an older store: once a newer one opened, the older one commits nothing more', async () => {
    const errors: Error[] = [];
    const old = await open({ onError: (e) => errors.push(e) });
    old.alerts.addSilence(silenceOf('before'));
    await old.flush();
    const next = await open();
    expect(next.term).toBe(old.term + 1);
    expect(next.alerts.getSilence('before')).toBeDefined();
    old.alerts.addSilence(silenceOf('after'));
    await expect(old.flush()).rejects.toMatchObject({
      code: 'STATE_FENCED',
      message: expect.stringContaining(
        `another centinela took it over (term ${next.term}, this one holds ${old.term})`,
      ),
    });
    expect(await rows('SELECT id FROM silences')).toEqual([{ id: 'before' }]);
    // It is told once, through `fenced` (the daemon stops on it), not again as an error of the write's own flush.
    await expect(old.fenced).resolves.toMatchObject({ code: 'STATE_FENCED' });
    expect(errors).toEqual([]);
  });
});
