// Both state stores for one parametrised suite: `describe.each(STORE_KINDS)` and, in it, `useStores(kind)` for the
// hooks. SQLite is a file in a temporary folder; PostgreSQL is the machine's, one database per test file (emptied
// before each test), and its reopen goes through PostgreSQL: what a test reads after `reopen()` was committed there.
import type pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import type { SilenceRecord } from '../../src/rules/alert-records.js';
import type { Migration } from '../../src/store/migrations.js';
import { openPostgresStore, type PostgresStore, type PostgresStoreOptions } from '../../src/store/postgres.js';
import { openStore } from '../../src/store/sqlite.js';
import type { Store } from '../../src/store/store.js';
import { createTestDatabase, type TestDatabase } from './pg.js';
import { tempStatePath } from './rules.js';

/** A store under test that can be closed and opened again, as a restart (or a takeover) does. */
export interface OpenedStore {
  readonly store: Store;
  /** Closes the store (flushing what it holds) and opens the same state again. */
  reopen(): Promise<void>;
}

export interface StoreKind {
  name: 'sqlite' | 'postgres';
  /** A store with no state in it; closed after the test. */
  open(migrations?: readonly Migration[]): Promise<OpenedStore>;
}

/** Pool settings for tests: small, and quick to give up on a server that is not there. */
export const TEST_POOL = { maxConnections: 4, connectTimeout: 5_000, idleTimeout: 10_000 } as const;

/** PostgreSQL store options for `url` with the test pool. */
export const pgOptions = (url: string, more: Partial<PostgresStoreOptions> = {}): PostgresStoreOptions => ({
  url,
  ...TEST_POOL,
  ...more,
});

/** Empties a test database: what each test of a suite starts from. */
const EMPTY = 'DROP SCHEMA public CASCADE; CREATE SCHEMA public';

const opened: Store[] = [];
let database: TestDatabase | undefined;

async function track(open: () => Promise<Store>): Promise<OpenedStore> {
  let store = await open();
  opened.push(store);
  return {
    get store() {
      return store;
    },
    async reopen() {
      await store.close();
      store = await open();
      opened.push(store);
    },
  };
}

export const STORE_KINDS: StoreKind[] = [
  {
    name: 'sqlite',
    open(migrations) {
      const path = tempStatePath();
      return track(async () => openStore(path, migrations));
    },
  },
  {
    name: 'postgres',
    async open(migrations) {
      const db = database as TestDatabase;
      const client = await db.connect();
      await client.query(EMPTY);
      await client.end();
      return track(() => openPostgresStore(pgOptions(db.url, { migrations })));
    },
  },
];

/** The hooks of a suite over `kind`: its database for the file, its stores closed after each test. */
export function useStores(kind: StoreKind): void {
  beforeAll(async () => {
    if (kind.name === 'postgres') database ??= await createTestDatabase();
  });
  afterEach(async () => {
    for (const s of opened.splice(0)) if (s.open) await s.close();
  });
  afterAll(async () => {
    await database?.drop();
    database = undefined;
  });
}

/** A PostgreSQL-only suite: its database (`db`, and `sql` a client on it), emptied before each test. */
export interface PostgresSuite {
  readonly db: TestDatabase;
  readonly sql: pg.Client;
  /** A PostgreSQL store on the suite's database, closed after the test. */
  open(more?: Partial<PostgresStoreOptions>): Promise<PostgresStore>;
}

/** The hooks of a PostgreSQL-only suite: its database for the file, emptied before each test, its stores closed after. */
export function usePostgres(): PostgresSuite {
  let db: TestDatabase | undefined;
  let sql: pg.Client | undefined;
  const stores: PostgresStore[] = [];
  beforeAll(async () => {
    db = await createTestDatabase();
    sql = await db.connect();
  });
  afterAll(() => db?.drop());
  beforeEach(async () => {
    await sql?.query(EMPTY);
  });
  afterEach(async () => {
    for (const s of stores.splice(0)) if (s.open) await s.close();
  });
  return {
    get db() {
      return db as TestDatabase;
    },
    get sql() {
      return sql as pg.Client;
    },
    async open(more = {}) {
      const s = await openPostgresStore(pgOptions((db as TestDatabase).url, more));
      stores.push(s);
      return s;
    },
  };
}

/** A silence of ApiDown from 0 to 100 by ana, as the store suites write it. */
export const silenceOf = (id: string): Omit<SilenceRecord, 'expiredAt' | 'expiredBy'> => ({
  id,
  matchers: { alertname: 'ApiDown' },
  startsAt: 0,
  endsAt: 100,
  owner: 'ana',
  reason: 'r',
  createdAt: 0,
});
