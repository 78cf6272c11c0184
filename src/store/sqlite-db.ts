// Opens the SQLite state file (WAL, foreign keys) and brings its schema up to date.
import Database from 'better-sqlite3';
import { StateError } from './errors.js';
import { MIGRATIONS, type Migration, newerSchema } from './migrations.js';

export type Db = Database.Database;

/** The page cache's bound: negative is KiB in SQLite's pragma (-2000 is SQLite's default, 2 MiB). */
const CACHE_KIB = -2000;

/** A column's NULL read back as undefined, as the records write an absent value. */
export const fromNull = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

/** Opens (creating if needed) the database at `path`, or in memory for ':memory:'; migrated to `migrations`. */
export function openDb(path: string, migrations: readonly Migration[] = MIGRATIONS): Db {
  let db: Db;
  try {
    db = new Database(path);
  } catch (cause) {
    throw new StateError('STATE_OPEN', `state store "${path}": cannot open (${(cause as Error).message})`, { cause });
  }
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    // better-sqlite3 builds SQLite with a 16 MiB page cache per connection; SQLite's own default of 2 MiB holds the
    // working set of a state file (about 100 KiB with the shipped probes) many times over, and caps what a
    // grown file (incident history) can take of centinela's memory. No mmap (SQLite's default): pages stay in the cache.
    db.pragma(`cache_size = ${CACHE_KIB}`);
    migrate(db, migrations);
  } catch (err) {
    // A refused file (a newer centinela's, one SQLite cannot read) is closed: left open until garbage collection, it
    // kept its descriptors and its -wal and -shm files beside it.
    db.close();
    throw err;
  }
  return db;
}

/** Brings `db` from its user_version up to the last of `migrations`, one transaction each. */
export function migrate(db: Db, migrations: readonly Migration[]): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  const newer = newerSchema(current, migrations);
  if (newer) throw new StateError('STATE_TOO_NEW', `state store is ${newer}`);
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
}
