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

/**
 * A subquery of the oid and owner of the table the unqualified name `name` (SQL: a parameter, a column) finds on the
 * search_path, no row when none. Read from pg_class under the statement's snapshot: to_regclass reads the catalog
 * cache, which keeps "no such table" for one another replica made while this one waited for the migration lock.
 */
export const tableOnPath = (name: string): string =>
  `(SELECT c.oid, c.relowner FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
    WHERE c.relname = ${name} AND n.nspname = ANY (current_schemas(false))
    ORDER BY array_position(current_schemas(false), n.nspname) LIMIT 1)`;

/** The schema version of the state store in the database `client` is connected to, 0 where there is none yet; reads only. */
export async function storedSchemaVersion(client: pg.ClientBase): Promise<number> {
  const { rows } = await client.query(`SELECT EXISTS ${tableOnPath('$1')} AS made`, [META_TABLE]);
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
    // Made only when it is not there: CREATE TABLE IF NOT EXISTS asks for CREATE on the schema even then, which a
    // role given the tables and not the schema (PostgreSQL 15's default on public) does not have.
    const { rows } = await client.query(`SELECT EXISTS ${tableOnPath('$1')} AS made`, [META_TABLE]);
    if (!rows[0].made) {
      await client.query(`CREATE TABLE ${META_TABLE} (key TEXT PRIMARY KEY, value BIGINT NOT NULL)`);
    }
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
    const changes = schemaChanges(before, after);
    for (const t of changes.create) {
      const cols = t.columns.map((c) => `${ident(c.name)} ${c.type}`);
      await client.query(
        `CREATE TABLE ${ident(t.name)} (${cols.join(', ')}, PRIMARY KEY (${t.key.map(ident).join(', ')}))`,
      );
    }
    for (const { table, column } of changes.add) {
      await client.query(`ALTER TABLE ${ident(table)} ADD COLUMN ${ident(column.name)} ${column.type}`);
    }
    for (const { table, column } of changes.remove) {
      await client.query(`ALTER TABLE ${ident(table)} DROP COLUMN ${ident(column.name)}`);
    }
    for (const name of changes.drop) await client.query(`DROP TABLE ${ident(name)}`);
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

/** What a migration changes in PostgreSQL's tables: tables made, columns added and removed, tables dropped. */
interface SchemaChanges {
  create: TableShape[];
  add: { table: string; column: TableShape['columns'][number] }[];
  remove: { table: string; column: TableShape['columns'][number] }[];
  drop: string[];
}

/** The changes that take the tables `before` to the tables `after`. */
function schemaChanges(before: readonly TableShape[], after: readonly TableShape[]): SchemaChanges {
  const changes: SchemaChanges = { create: [], add: [], remove: [], drop: [] };
  for (const t of after) {
    const old = before.find((b) => b.name === t.name);
    if (!old) {
      changes.create.push(t);
      continue;
    }
    for (const column of t.columns.filter((c) => !old.columns.some((o) => o.name === c.name))) {
      changes.add.push({ table: t.name, column });
    }
    for (const column of old.columns.filter((o) => !t.columns.some((c) => c.name === o.name))) {
      changes.remove.push({ table: t.name, column });
    }
  }
  changes.drop = before.filter((b) => !after.some((t) => t.name === b.name)).map((b) => b.name);
  return changes;
}

/** The tables of `migrations` up to version `version` (none at 0). */
function tablesAt(migrations: readonly Migration[], version: number): TableShape[] {
  if (version === 0) return [];
  const db = openDb(
    ':memory:',
    migrations.filter((m) => m.version <= version),
  );
  try {
    return tablesOf(db);
  } finally {
    db.close();
  }
}

/**
 * What opening the store at schema version `from` does to the tables of PostgreSQL, by name: every table of the store
 * it reads and writes (`used`, the one of version info included), those it makes (which takes CREATE on the schema),
 * and those it alters or drops (which takes their owner).
 */
export function tablesTouched(
  migrations: readonly Migration[],
  from: number,
): { used: string[]; made: string[]; altered: string[] } {
  const known = migrations.reduce((v, m) => Math.max(v, m.version), 0);
  const before = tablesAt(migrations, from);
  const after = from < known ? tablesAt(migrations, known) : before;
  const changes = schemaChanges(before, after);
  const altered = new Set([...changes.add, ...changes.remove].map((c) => c.table));
  return {
    used: [...new Set([META_TABLE, ...before.map((t) => t.name), ...after.map((t) => t.name)])],
    made: changes.create.map((t) => t.name),
    altered: [...altered, ...changes.drop],
  };
}
