// The standby's copy of the shared state (issue 18): while another centinela leads, this one serves the status page,
// the API's reads and /metrics from a working set loaded from PostgreSQL like the active's (postgres.ts), but without
// taking a term, so it never fences the active and never writes.
//
// It stays current by polling two numbers in centinela_meta every `every` ms: the term (a new active) and `written`
// (bumped by each of the active's flushes). When either moved, the whole working set is loaded again in one
// snapshot (the shipped state is about 100 KiB, and a flush happens at most once per probe run or tick), so what the
// standby shows is at most `every` plus one load behind. A copy not confirmed current for `staleAfter` ms says so:
// the store reads as not open, and /readyz answers 503.
import pg from 'pg';
import type { Clock } from '../clock.js';
import { MIGRATIONS, type Migration } from './migrations.js';
import { connectionOf, loadWorkingSet, unreachable } from './postgres.js';
import { META_TABLE, type TableShape, tablesOf } from './postgres-schema.js';
import { openStore, type SqliteStore } from './sqlite.js';
import type { Store } from './store.js';

export interface StandbyOptions {
  url: string;
  connectTimeout: number;
  clock: Clock;
  /** How often the active's term and write counter are looked at, in ms. */
  every: number;
  /** How long a copy not confirmed current still counts as current, in ms (default 3 × every + connectTimeout). */
  staleAfter?: number;
  /** Told when the copy cannot be refreshed (once per outage, not on every poll). */
  onError?: (err: Error) => void;
  /** The schema history (tests open older versions). */
  migrations?: readonly Migration[];
}

/** The standby's read-only copy and what it knows of the active. */
export interface StandbyState {
  /** The copy, as a Store for reading; writes to it would be lost at the next load (the standby makes none). */
  readonly store: Store;
  /** The active's term as of the last look; undefined until the first load. */
  readonly term: number | undefined;
  /** Resolves once the poll in flight (if any) has finished: tests move a fake clock, then wait for this. */
  settled(): Promise<void>;
  /** Stops polling and closes the connection and the copy. */
  close(): Promise<void>;
}

/** Starts the copy: the first load begins at once, then a look every `every` ms. */
export function openStandbyState(options: StandbyOptions): StandbyState {
  return new Standby(options);
}

class Standby implements StandbyState {
  readonly store: Store;
  readonly #mirror: SqliteStore;
  readonly #tables: TableShape[];
  readonly #pool: pg.Pool;
  readonly #options: StandbyOptions;
  readonly #staleAfter: number;
  #term: number | undefined;
  #written: number | undefined;
  #confirmedAt: number | undefined;
  #failing = false;
  #cancel: () => void = () => {};
  #inFlight: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(options: StandbyOptions) {
    this.#options = options;
    this.#staleAfter = options.staleAfter ?? 3 * options.every + options.connectTimeout;
    this.#mirror = openStore(':memory:', options.migrations ?? MIGRATIONS);
    this.#tables = tablesOf(this.#mirror.db);
    // One connection is enough: a look, and now and then a load, one after the other.
    this.#pool = new pg.Pool({
      ...connectionOf(options.url),
      max: 1,
      connectionTimeoutMillis: options.connectTimeout,
    });
    this.#pool.on('error', () => {});
    const mirror = this.#mirror;
    const current = () =>
      mirror.open && this.#confirmedAt !== undefined && options.clock.now() - this.#confirmedAt <= this.#staleAfter;
    this.store = {
      alerts: mirror.alerts,
      incidents: mirror.incidents,
      heartbeats: mirror.heartbeats,
      history: mirror.history,
      unitOfWork: (fn) => mirror.unitOfWork(fn),
      flush: () => Promise.resolve(),
      deliverable: () => Promise.resolve(undefined),
      get open() {
        return current();
      },
      close: () => this.close(),
    };
    this.#poll();
  }

  get term(): number | undefined {
    return this.#term;
  }

  settled(): Promise<void> {
    return this.#inFlight;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#cancel();
    await this.#inFlight;
    await this.#pool.end();
    this.#mirror.close();
  }

  /** Looks now, then arms the next look. */
  #poll(): void {
    this.#inFlight = this.#look().finally(() => {
      if (!this.#closed) this.#cancel = this.#options.clock.setTimeout(() => this.#poll(), this.#options.every);
    });
  }

  /** Reads the term and the write counter; loads the working set again when either moved since the last load. */
  async #look(): Promise<void> {
    let client: pg.PoolClient | undefined;
    try {
      client = await this.#pool.connect();
      // A connection cut while checked out must fail the query, not the process (pg emits 'error' on the client too).
      client.on('error', ignore);
      const { rows } = await client.query<{ key: string; value: string | number }>(
        `SELECT key, value FROM ${META_TABLE} WHERE key IN ('term', 'written')`,
      );
      const marks = new Map(rows.map((r) => [r.key, Number(r.value)]));
      const term = marks.get('term');
      const written = marks.get('written') ?? 0;
      if (term === undefined) throw new Error('no active centinela has opened the database yet');
      if (term !== this.#term || written !== this.#written) {
        if (this.#closed) return;
        this.#written = await loadWorkingSet(client, this.#mirror.db, this.#tables);
        this.#term = term;
      }
      this.#confirmedAt = this.#options.clock.now();
      this.#failing = false;
    } catch (err) {
      if (!this.#failing) this.#options.onError?.(unreachable('the standby cannot refresh its copy', err));
      this.#failing = true;
    } finally {
      client?.off('error', ignore);
      client?.release();
    }
  }
}

const ignore = () => {};
