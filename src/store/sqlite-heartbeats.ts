// The heartbeats' table on SQLite (migration 5): when centinela first saw each push heartbeat and its last pings.
import type { HeartbeatRecord } from '../types.js';
import type { Db } from './sqlite-db.js';
import type { HeartbeatStore } from './store.js';

interface HeartbeatRow {
  name: string;
  first_seen_at: number;
  last_ping_at: number | null;
  last_ok_at: number | null;
  failed: number;
  detail: string | null;
}

/** HeartbeatStore over the shared handle. */
export class SqliteHeartbeatStore implements HeartbeatStore {
  readonly #insert;
  readonly #get;
  readonly #ping;

  constructor(db: Db) {
    this.#insert = db.prepare(
      'INSERT INTO heartbeats (name, first_seen_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING',
    );
    this.#get = db.prepare<[string], HeartbeatRow>('SELECT * FROM heartbeats WHERE name = ?');
    this.#ping = db.prepare(
      `UPDATE heartbeats SET last_ping_at = @at, failed = @failed, detail = @detail,
         last_ok_at = CASE WHEN @failed = 0 THEN @at ELSE last_ok_at END
       WHERE name = @name`,
    );
  }

  seen(name: string, at: number): HeartbeatRecord {
    this.#insert.run(name, at);
    return toRecord(this.#get.get(name) as HeartbeatRow);
  }

  ping(name: string, at: number, outcome: { ok: true } | { ok: false; detail?: string }): HeartbeatRecord {
    this.#insert.run(name, at);
    this.#ping.run({ name, at, failed: outcome.ok ? 0 : 1, detail: outcome.ok ? null : (outcome.detail ?? null) });
    return toRecord(this.#get.get(name) as HeartbeatRow);
  }
}

function toRecord(row: HeartbeatRow): HeartbeatRecord {
  return {
    name: row.name,
    firstSeenAt: row.first_seen_at,
    ...(row.last_ping_at !== null ? { lastPingAt: row.last_ping_at } : {}),
    ...(row.last_ok_at !== null ? { lastOkAt: row.last_ok_at } : {}),
    failed: row.failed === 1,
    ...(row.detail !== null ? { detail: row.detail } : {}),
  };
}
