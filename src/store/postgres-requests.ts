// Writes made on a standby, carried to the active through PostgreSQL (issue 18): the standby puts the HTTP request
// in a table and waits a bounded time for the active's answer; the active takes waiting requests every `every` ms,
// answers each as if it had been sent to it (acks, silences, windows, pings: its own Operations validate and apply),
// and writes the answer back. The caller gets the active's own answer, errors and all.
//
// Nothing is applied twice or late: a request is taken (waiting → taken) and abandoned (waiting → abandoned) by
// conditional updates, so either the active takes it before the caller gives up, or the caller's give-up wins and the
// active never sees it. A request taken and never answered (the active died while applying it) is told to the caller
// as such: it may have been applied. Rows live seconds: the standby deletes its row once it has the answer or gave
// up, and the active prunes what an ended standby left behind.
import pg from 'pg';
import type { Clock } from '../clock.js';
import { connectionOf, unreachable } from './postgres.js';
import { LOCK_SPACE } from './postgres-schema.js';

const TABLE = 'centinela_requests';
/** The advisory lock key that creates the table once, in LOCK_SPACE (1 is migrations, 2 leadership). */
const CREATE_LOCK = 3;
/** Rows older than this are pruned by the active whatever their state (a standby ended while waiting). */
const KEEP_MS = 10 * 60_000;
/**
 * Now in epoch ms by PostgreSQL's clock: a request's age is told by one clock, whichever host the standby and the
 * active run on.
 */
const DB_NOW = '(extract(epoch FROM clock_timestamp()) * 1000)::bigint';
/** How often the active prunes what ended standbys left behind. */
const PRUNE_EVERY_MS = 60_000;
/** Requests one look of the active takes at most; the rest wait for the next look. */
const BATCH = 20;

/** An HTTP request as the standby received it. */
export interface ForwardedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

/** The active's answer to it. */
export interface ForwardedAnswer {
  status: number;
  headers: Record<string, string | string[]>;
  body: string;
}

/** What became of a forwarded request. */
export type Forwarded =
  | { kind: 'answered'; answer: ForwardedAnswer }
  /** No active took it in time (or PostgreSQL could not be reached): it will never be applied. */
  | { kind: 'not-applied' }
  /** An active took it but did not answer in time, or the answer could not be read: it may have been applied. */
  | { kind: 'unknown' };

interface Connection {
  url: string;
  connectTimeout: number;
  clock: Clock;
}

async function createTable(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  // A connection cut while checked out must fail the query, not the process (pg emits 'error' on the client too).
  client.on('error', ignore);
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_SPACE, CREATE_LOCK]);
    await client.query(`CREATE TABLE IF NOT EXISTS ${TABLE} (
      id BIGSERIAL PRIMARY KEY,
      state TEXT NOT NULL,
      request JSONB NOT NULL,
      answer JSONB,
      created_at BIGINT NOT NULL
    )`);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.off('error', ignore);
    client.release();
  }
}

const ignore = () => {};

/** createTable once per pool; tried again after a failure. */
function tableOnce(pool: pg.Pool): () => Promise<void> {
  let created: Promise<void> | undefined;
  return () => {
    created ??= createTable(pool).catch((err: unknown) => {
      created = undefined;
      throw err;
    });
    return created;
  };
}

function poolOf({ url, connectTimeout }: Connection, max: number): pg.Pool {
  // A query unanswered within the connect timeout (a network that drops packets) fails: neither a poll of the desk
  // nor its stop waits for ever.
  const pool = new pg.Pool({
    ...connectionOf(url),
    max,
    connectionTimeoutMillis: connectTimeout,
    query_timeout: connectTimeout,
    keepAlive: true,
  });
  pool.on('error', () => {});
  return pool;
}

/** The standby's side: forwards a request and waits for the active's answer. */
export class RequestForwarder {
  readonly #pool: pg.Pool;
  readonly #table: () => Promise<void>;
  readonly #clock: Clock;
  readonly #within: number;
  readonly #every: number;
  readonly #onError: (err: Error) => void;
  readonly #givingUp = new AbortController();

  /** `within`: how long a caller waits for an active to take the request, in ms; `every`: how often it looks. */
  constructor(options: Connection & { within: number; every: number; onError: (err: Error) => void }) {
    this.#pool = poolOf(options, 4);
    this.#table = tableOnce(this.#pool);
    this.#clock = options.clock;
    this.#within = options.within;
    this.#every = options.every;
    this.#onError = options.onError;
  }

  /** Puts the request in the table and waits; a PostgreSQL failure is told to onError and answered as the kind it leaves. */
  async forward(request: ForwardedRequest): Promise<Forwarded> {
    let id: string;
    try {
      await this.#table();
      const { rows } = await this.#pool.query(
        `INSERT INTO ${TABLE} (state, request, created_at) VALUES ('waiting', $1, ${DB_NOW}) RETURNING id`,
        [JSON.stringify(request)],
      );
      id = String(rows[0].id);
    } catch (err) {
      this.#onError(unreachable('cannot hand a write to the active', err));
      return { kind: 'not-applied' };
    }
    try {
      const answered = await this.#waitForAnswer(id, this.#within);
      if (answered) return answered;
      const { rowCount } = await this.#pool.query(
        `UPDATE ${TABLE} SET state = 'abandoned' WHERE id = $1 AND state = 'waiting'`,
        [id],
      );
      if (rowCount === 1) return { kind: 'not-applied' };
      // Taken just before the give-up: its answer is coming, or the active died applying it.
      return (await this.#waitForAnswer(id, this.#within)) ?? { kind: 'unknown' };
    } catch (err) {
      this.#onError(unreachable("lost the active's answer to a write", err));
      return { kind: 'unknown' };
    } finally {
      await this.#pool.query(`DELETE FROM ${TABLE} WHERE id = $1`, [id]).catch(() => {});
    }
  }

  /**
   * Ends every wait at once, as if its time were up: a request no active took yet is withdrawn (NO_ACTIVE), one taken
   * is answered as unknown. A standby that won the lead calls it so its server closes at once instead of holding the
   * takeover while its callers wait; new requests are refused by then.
   */
  giveUp(): void {
    this.#givingUp.abort();
  }

  /** The answer, or undefined when `within` passed (or giveUp was called) without one. */
  async #waitForAnswer(id: string, within: number): Promise<Forwarded | undefined> {
    const until = this.#clock.now() + within;
    for (;;) {
      if (this.#givingUp.signal.aborted) return undefined;
      try {
        await this.#clock.sleep(this.#every, this.#givingUp.signal);
      } catch {
        // Given up: one last look, then the caller withdraws the request or answers unknown.
      }
      const { rows } = await this.#pool.query(`SELECT answer FROM ${TABLE} WHERE id = $1 AND state = 'answered'`, [id]);
      if (rows.length === 1) return { kind: 'answered', answer: rows[0].answer as ForwardedAnswer };
      if (this.#clock.now() >= until || this.#givingUp.signal.aborted) return undefined;
    }
  }

  /** Closes the connections; call it once no forward is in flight (after giveUp and the server's close). */
  close(): Promise<void> {
    return this.#pool.end();
  }
}

/** The active's side: takes the waiting requests every `every` ms and answers them with `answer`. */
export class RequestDesk {
  readonly #pool: pg.Pool;
  readonly #table: () => Promise<void>;
  readonly #clock: Clock;
  readonly #every: number;
  readonly #fresh: number;
  readonly #answer: (request: ForwardedRequest) => Promise<ForwardedAnswer>;
  readonly #onError: (err: Error) => void;
  #cancel: () => void = () => {};
  #inFlight: Promise<void> = Promise.resolve();
  #stopped = false;
  #failing = false;
  #prunedAt = Number.NEGATIVE_INFINITY;

  constructor(
    options: Connection & {
      every: number;
      /**
       * How long a waiting request may be taken, in ms (the standby's wait): an older one was left by a standby that
       * ended while its caller waited, and the caller may have sent it again elsewhere; it is never applied.
       */
      fresh: number;
      answer: (request: ForwardedRequest) => Promise<ForwardedAnswer>;
      /** Told when the table cannot be read (once per outage). */
      onError: (err: Error) => void;
    },
  ) {
    this.#pool = poolOf(options, 1);
    this.#table = tableOnce(this.#pool);
    this.#clock = options.clock;
    this.#every = options.every;
    this.#fresh = options.fresh;
    this.#answer = options.answer;
    this.#onError = options.onError;
  }

  /** Starts looking: one look now (the table is created if needed), then one every `every` ms. */
  start(): void {
    this.#inFlight = this.#look().then(() => this.#poll());
  }

  /** Resolves once the look in flight (if any) has finished. */
  settled(): Promise<void> {
    return this.#inFlight;
  }

  /** Stops looking, lets the look in flight finish (its answers are written), closes the connection. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#cancel();
    await this.#inFlight;
    await this.#pool.end();
  }

  #poll(): void {
    if (this.#stopped) return;
    this.#cancel = this.#clock.setTimeout(() => {
      this.#inFlight = this.#look().then(() => this.#poll());
    }, this.#every);
  }

  async #look(): Promise<void> {
    try {
      await this.#table();
      const { rows } = await this.#pool.query<{ id: string; request: ForwardedRequest }>(
        `UPDATE ${TABLE} SET state = 'taken' WHERE id IN (
           SELECT id FROM ${TABLE} WHERE state = 'waiting' AND created_at >= ${DB_NOW} - $1
           ORDER BY id LIMIT ${BATCH} FOR UPDATE SKIP LOCKED
         ) RETURNING id, request`,
        [this.#fresh],
      );
      rows.sort((a, b) => Number(a.id) - Number(b.id));
      for (const { id, request } of rows) {
        const answer = await this.#answer(request);
        await this.#pool.query(`UPDATE ${TABLE} SET state = 'answered', answer = $2 WHERE id = $1`, [
          id,
          JSON.stringify(answer),
        ]);
      }
      if (this.#clock.now() - this.#prunedAt >= PRUNE_EVERY_MS) {
        await this.#pool.query(`DELETE FROM ${TABLE} WHERE created_at < ${DB_NOW} - $1`, [KEEP_MS]);
        this.#prunedAt = this.#clock.now();
      }
      this.#failing = false;
    } catch (err) {
      this.#failed(err);
    }
  }

  #failed(err: unknown): void {
    if (!this.#failing) this.#onError(unreachable('cannot answer the standby', err));
    this.#failing = true;
  }
}
