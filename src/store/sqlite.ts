// The SQLite store (the default, one replica): the rules', escalation's, the heartbeats' and the history's tables behind the Store seam, with
// better-sqlite3 transactions as its units of work.

import type { Migration } from './migrations.js';
import { SqliteAlertStore } from './sqlite-alerts.js';
import { type Db, openDb } from './sqlite-db.js';
import { SqliteHeartbeatStore } from './sqlite-heartbeats.js';
import { SqliteHistoryStore } from './sqlite-history.js';
import { SqliteIncidentStore } from './sqlite-incidents.js';
import type { Store } from './store.js';

/** The SQLite store, with its database handle (for schema checks and maintenance). */
export interface SqliteStore extends Store {
  readonly db: Db;
}

/** Opens (creating if needed) the state file at `path`, or one in memory for ':memory:', as a Store. */
export function openStore(path: string, migrations?: readonly Migration[]): SqliteStore {
  const db = openDb(path, migrations);
  return {
    db,
    alerts: new SqliteAlertStore(db),
    incidents: new SqliteIncidentStore(db),
    heartbeats: new SqliteHeartbeatStore(db),
    history: new SqliteHistoryStore(db),
    unitOfWork: (fn) => db.transaction(fn)(),
    get open() {
      return db.open;
    },
    // Each transaction is durable when it returns.
    flush: () => Promise.resolve(),
    deliverable: () => Promise.resolve(undefined),
    close: () => {
      db.close();
    },
  };
}
