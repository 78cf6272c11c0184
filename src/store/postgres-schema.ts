// The PostgreSQL store's tables, derived from the SQLite schema: the same tables and columns (INTEGER → BIGINT,
// REAL → DOUBLE PRECISION, TEXT → TEXT) with the same primary keys. The SQLite database in memory that the store
// reads from (its working set) checks every other constraint on each write and each load, so PostgreSQL keeps only
// the keys. Migrations stay written once, in SQLite (src/store/migrations.ts): a PostgreSQL database at version v is
// loaded into a working set at v, migrated there, and written back with the new tables and columns, in one
// transaction under an advisory lock, so replicas starting together migrate once.
import type pg from 'pg';
import { StateError } from './errors.js';
import { type Migration, newerSchema } from './migrations.js';
import { type Db, migrate, openDb } from './sqlite-db.js';

/** One table as both databases hold it. */
export interface TableShape {
  name: string;
  columns: { name: string; type: string }[];
  /** The primary key's columns, in key order. */
  key: string[];
}

/** The advisory lock keys of centinela (the first half is 'cent' in ASCII): migrations, leadership. */
export const LOCK_SPACE = 0x63656e74;
export const MIGRATION_LOCK = 1;

/** The table of the store's schema version and leader term, the one table that is PostgreSQL's own. */
export const META_TABLE = 'centinela_meta';

const PG_TYPES: Record<string, string> = { INTEGER: 'BIGINT', REAL: 'DOUBLE PRECISION', TEXT: 'TEXT' };

/** A quoted identifier (the names come from the schema, never from input). */
export const ident = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/** The tables of a SQLite database, by name. */
export function tablesOf(db: Db): TableShape[] {
  const names = db
    .prepare<[], string>(
      `SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`,
    )
    .pluck()
    .all();
  return names.map((name) => {
    const info = db.pragma(`table_info(${ident(name)})`) as { name: string; type: string; pk: number }[];
    const columns = info.map((c) => {
      const type = PG_TYPES[c.type.toUpperCase()];
      if (!type)
        throw new Error(`${name}.${c.name}: column type ${c.type} has no PostgreSQL type in postgres-schema.ts`);
      return { name: c.name, type };
    });
    const key = info
      .filter((c) => c.pk > 0)
      .sort((a, b) => a.pk - b.pk)
      .map((c) => c.name);
    return { name, columns, key };
  });
}

/** Every row of `table` in PostgreSQL, columns by the shape's names. */
export async function selectAll(client: pg.ClientBase, table: TableShape): Promise<Record<string, unknown>[]> {
  const cols = table.columns.map((c) => ident(c.name)).join(', ');
  return (await client.query(`SELECT ${cols} FROM ${ident(table.name)}`)).rows;
}

/** Writes `rows` into the SQLite tables (replacing rows with the same key), checking foreign keys at the end. */
export function insertRows(db: Db, table: TableShape, rows: readonly Record<string, unknown>[]): void {
  if (rows.length === 0) return;
  const cols = table.columns.map((c) => c.name);
  const insert = db.prepare(
    `INSERT OR REPLACE INTO ${ident(table.name)} (${cols.map(ident).join(', ')}) VALUES (${cols.map((c) => `@${c}`).join(', ')})`,
  );
  for (const row of rows) insert.run(row);
}

/** Upserts `rows` (full rows of `table`) in PostgreSQL, in statements of at most ~30000 parameters. */
export async function upsertRows(client: pg.ClientBase, table: TableShape, rows: readonly unknown[][]): Promise<void> {
  const cols = table.columns.map((c) => ident(c.name));
  const rest = table.columns.filter((c) => !table.key.includes(c.name));
  const conflict =
    rest.length === 0
      ? 'DO NOTHING'
      : `DO UPDATE SET ${rest.map((c) => `${ident(c.name)} = EXCLUDED.${ident(c.name)}`).join(', ')}`;
  for (const chunk of chunks(rows, Math.max(1, Math.floor(30_000 / cols.length)))) {
    const values = chunk.map((_, r) => `(${cols.map((_c, i) => `$${r * cols.length + i + 1}`).join(', ')})`);
    await client.query(
      `INSERT INTO ${ident(table.name)} (${cols.join(', ')}) VALUES ${values.join(', ')}
       ON CONFLICT (${table.key.map(ident).join(', ')}) ${conflict}`,
      chunk.flat(),
    );
  }
}

/** Deletes the rows of `table` with these keys (each the key columns' values, in key order). */
export async function deleteRows(client: pg.ClientBase, table: TableShape, keys: readonly unknown[][]): Promise<void> {
  const n = table.key.length;
  for (const chunk of chunks(keys, Math.floor(30_000 / n))) {
    const tuples = chunk.map((_, r) => `(${table.key.map((_c, i) => `$${r * n + i + 1}`).join(', ')})`);
    await client.query(
      `DELETE FROM ${ident(table.name)} WHERE (${table.key.map(ident).join(', ')}) IN (${tuples.join(', ')})`,
      chunk.flat(),
    );
  }
}

function* chunks<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

/** The schema version of the state store in the database `client` is connected to, 0 where there is none yet; reads only. */
export async function storedSchemaVersion(client: pg.ClientBase): Promise<number> {
  const { rows } = await client.query('SELECT to_regclass($1) IS NOT NULL AS made', [META_TABLE]);
  if (!rows[0].made) return 0;
  const meta = await client.query(`SELECT value FROM ${META_TABLE} WHERE key = 'schema_version'`);
  return Number(meta.rows[0]?.value ?? 0);
}

/**
 * Brings the PostgreSQL database up to the last of `migrations`, once: in one transaction holding the migration
 * advisory lock, so a second replica starting at the same time waits and then finds nothing to do.
 */
export async function migratePostgres(client: pg.ClientBase, migrations: readonly Migration[]): Promise<void> {
  const known = migrations.reduce((v, m) => Math.max(v, m.version), 0);
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_SPACE, MIGRATION_LOCK]);
    await client.query(`CREATE TABLE IF NOT EXISTS ${META_TABLE} (key TEXT PRIMARY KEY, value BIGINT NOT NULL)`);
    await client.query(
      `INSERT INTO ${META_TABLE} (key, value) VALUES ('schema_version', 0), ('term', 0) ON CONFLICT (key) DO NOTHING`,
    );
    const current = await storedSchemaVersion(client);
    const newer = newerSchema(current, migrations);
    if (newer) throw new StateError('STATE_TOO_NEW', `state store is ${newer}`);
    if (current < known) await upgrade(client, migrations, current);
    await client.query(`UPDATE ${META_TABLE} SET value = $1 WHERE key = 'schema_version'`, [known]);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  }
}

/** Loads the tables of version `from` into SQLite, migrates them there, and writes the result back. */
async function upgrade(client: pg.ClientBase, migrations: readonly Migration[], from: number): Promise<void> {
  const work = openDb(
    ':memory:',
    migrations.filter((m) => m.version <= from),
  );
  try {
    const before = tablesOf(work);
    const loaded: [TableShape, Record<string, unknown>[]][] = [];
    for (const t of before) loaded.push([t, await selectAll(client, t)]);
    work.transaction(() => {
      work.pragma('defer_foreign_keys = ON');
      for (const [t, rows] of loaded) {
        work.prepare(`DELETE FROM ${ident(t.name)}`).run();
        insertRows(work, t, rows);
      }
    })();
    migrate(work, migrations);
    const after = tablesOf(work);
    for (const t of after) {
      const old = before.find((b) => b.name === t.name);
      if (!old) {
        const cols = t.columns.map((c) => `${ident(c.name)} ${c.type}`);
        await client.query(
          `CREATE TABLE ${ident(t.name)} (${cols.join(', ')}, PRIMARY KEY (${t.key.map(ident).join(', ')}))`,
        );
        continue;
      }
      for (const c of t.columns.filter((c) => !old.columns.some((o) => o.name === c.name))) {
        await client.query(`ALTER TABLE ${ident(t.name)} ADD COLUMN ${ident(c.name)} ${c.type}`);
      }
      for (const o of old.columns.filter((o) => !t.columns.some((c) => c.name === o.name))) {
        await client.query(`ALTER TABLE ${ident(t.name)} DROP COLUMN ${ident(o.name)}`);
      }
    }
    for (const old of before.filter((b) => !after.some((t) => t.name === b.name))) {
      await client.query(`DROP TABLE ${ident(old.name)}`);
    }
    for (const t of after) {
      await client.query(`DELETE FROM ${ident(t.name)}`);
      const cols = t.columns.map((c) => c.name);
      const rows = work
        .prepare(`SELECT ${cols.map(ident).join(', ')} FROM ${ident(t.name)}`)
        .raw()
        .all() as unknown[][];
      await upsertRows(client, t, rows);
    }
  } finally {
    work.close();
  }
}
