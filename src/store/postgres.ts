// The PostgreSQL store (two replicas on one database): the design of docs/architecture.md, "The store seam".
//
// Reads are synchronous over a working set in memory, and the working set is a SQLite database in memory holding
// the whole state, loaded from PostgreSQL when the store opens: the SQLite store's own code answers every read and
// takes every write, so both stores have the same semantics by construction. Temporary triggers note the key of
// every row a write touches; a flush reads those rows and writes them (or deletes them) in PostgreSQL in one
// transaction that first checks the leader term this store took when it opened. A store opened later takes a new
// term, so an older one's flush fails (STATE_FENCED) instead of overwriting: the term row is read FOR SHARE in each
// flush and taken FOR UPDATE by an opening store, so no flush of an old term commits after a new term began.
//
// A flush follows by itself every top-level unit of work and every write outside one (after the current synchronous
// code, so a unit is never split); `flush()` resolves once everything written before it is committed.
//
// PostgreSQL unreachable: the working set keeps taking writes (probing and evaluating go on), a failed flush keeps
// its rows for the next, and the store tries again every second. Outbox claims wait for their commit
// (`deliverable()`), so pages are held, for `hold` at most: once PostgreSQL has been unreachable that long,
// `deliverable()` resolves without the commit (fail open: a page sent twice with one idempotency key beats a page
// never sent) and onOutage says so, then says when PostgreSQL answers again. Held pages are the outbox rows of the
// working set, no copy; what an outage adds in memory is the list of rows to write, kept to one note per row and,
// past `maxHeldRows` rows, dropped for a rewrite of every table whole at the next commit (the working set is the
// whole state), so an outage of any length costs at most that many notes.
import type { Statement } from 'better-sqlite3';
import pg from 'pg';
import { type Clock, systemClock } from '../clock.js';
import { formatDuration } from '../duration.js';
import { startupSettingRefusal } from '../postgres-env.js';
import { type PostgresConnection, PostgresTlsError, postgresConnection, tlsRefusal } from '../postgres-tls.js';
import { StateError } from './errors.js';
import { MIGRATIONS, type Migration, newerSchema } from './migrations.js';
import {
  deleteRows,
  ident,
  insertRows,
  META_TABLE,
  migratePostgres,
  selectAll,
  storedSchemaVersion,
  type TableShape,
  tableOnPath,
  tablesOf,
  tablesTouched,
  upsertRows,
} from './postgres-schema.js';
import { openStore, type SqliteStore } from './sqlite.js';
import type { Db } from './sqlite-db.js';
import type { AlertStore, HeartbeatStore, HistoryStore, IncidentStore, Store } from './store.js';

/** What opening the PostgreSQL store takes: the database and the pool (config `state:` with kind postgres). */
export interface PostgresStoreOptions {
  /** postgres://user:password@host:port/database, its TLS parameters as libpq reads them (postgres-tls.ts). */
  url: string;
  /** Connections at most. */
  maxConnections: number;
  /** How long to wait for a connection, in ms. */
  connectTimeout: number;
  /** How long an idle connection stays open, in ms. */
  idleTimeout: number;
  /** Told of a flush that failed on its own (not one awaited through flush()), and of idle connection errors. */
  onError?: (err: Error) => void;
  /** The schema history (tests open older versions). */
  migrations?: readonly Migration[];
  /** Times the hold and the retries; the system clock when omitted. */
  clock?: Clock;
  /** How long pages wait for PostgreSQL to come back before they are sent unsaved, in ms (state.unreachable_hold). */
  hold?: number;
  /** Rows noted for writing during an outage past which the next commit rewrites every table instead. */
  maxHeldRows?: number;
  /** Told when PostgreSQL stops answering, when the hold is up (fail open), and when it answers again. */
  onOutage?: (outage: Outage) => void;
  /**
   * How long the server lets a transaction of this store sit idle, in ms (the lease): a leader frozen in the middle of
   * a flush would otherwise hold the term row, and the standby taking over would wait for it for ever.
   */
  lease?: number;
  /**
   * The lead this store writes under (postgres-leadership.ts): pages wait while it is unsure (its lock's connection
   * failed and the lock is not taken again yet), and each send first hears the lock's connection answer.
   */
  lead?: Lead;
}

/** What the store asks of the lead it writes under (postgres-leadership.ts). */
export interface Lead {
  /** Since when the lead is unsure (its lock's connection failed and the lock is not taken again yet), epoch ms. */
  readonly unsureSince: number | undefined;
  /**
   * While the lead is sure, a signal that aborts once its lock's connection fails (or the lead ends): a send begun
   * under a sure lead stops then, since a standby may be taking over. Undefined while unsure.
   */
  readonly sure: AbortSignal | undefined;
  /**
   * Resolves once the lock's connection answers a query: its session, and so the lock, was still this centinela's when
   * the server read it. Rejects with STATE_UNREACHABLE when the lead is unsure already, or when the connection fails or
   * does not answer within a third of the lease (the lead is unsure from then on); with STATE_FENCED once it is lost.
   */
  confirm(): Promise<void>;
}

/** A change in the store's reach of PostgreSQL; times are epoch ms, `error` names no part of the URL. */
export type Outage =
  | { state: 'unreachable'; since: number; error: StateError }
  | { state: 'failing-open'; since: number; error: StateError }
  | { state: 'back'; since: number; until: number; failedOpen: boolean };

/** The PostgreSQL store and its leader term. */
export interface PostgresStore extends Store {
  /** The term this store took when it opened; its flushes commit only while the database's term is still it. */
  readonly term: number;
  /** Settles when a flush finds another centinela took a newer term: this one must stop acting. */
  readonly fenced: Promise<StateError>;
}

/** How often a store that cannot reach PostgreSQL tries its flush again, in ms. */
export const RETRY_MS = 1_000;
const DEFAULT_HOLD_MS = 60_000;
const DEFAULT_MAX_HELD_ROWS = 50_000;

/** The pg type of BIGINT: centinela's integers (times in ms, ids) fit in a double, so they come back as numbers. */
const INT8_OID = 20;

/** Connects, migrates once under the lock, takes a new term and loads the working set. */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<PostgresStore> {
  const pool = new pg.Pool({
    ...connectionOf(options.url),
    max: options.maxConnections,
    connectionTimeoutMillis: options.connectTimeout,
    idleTimeoutMillis: options.idleTimeout,
    // A query unanswered for the lease (a network that drops packets) fails as an unreachable store: the outage
    // starts, pages are held for state.unreachable_hold at most, and the connection is dropped.
    ...(options.lease ? { idle_in_transaction_session_timeout: options.lease, query_timeout: options.lease } : {}),
    keepAlive: true,
    types: {
      getTypeParser: ((oid: number, format: 'text' | 'binary') =>
        oid === INT8_OID ? Number : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  const onError = options.onError ?? (() => {});
  pool.on('error', (err) => onError(unreachable('an idle connection failed', err)));
  const migrations = options.migrations ?? MIGRATIONS;
  let mirror: SqliteStore | undefined;
  try {
    const client = await connect(pool);
    try {
      // Found before anything is written, in the words check uses.
      const problem = await sessionProblem(client, migrations);
      if (problem) {
        throw new StateError('STATE_UNREACHABLE', `state store (postgres): cannot open it (${problem})`, {
          reason: problem,
        });
      }
      await migratePostgres(client, migrations);
      const { rows } = await client.query(
        `UPDATE ${META_TABLE} SET value = value + 1 WHERE key = 'term' RETURNING value`,
      );
      const term = Number(rows[0].value);
      mirror = openStore(':memory:', migrations);
      const tables = tablesOf(mirror.db);
      await loadWorkingSet(client, mirror.db, tables);
      return new PgStore(pool, mirror, tables, term, {
        onError,
        clock: options.clock ?? systemClock,
        hold: options.hold ?? DEFAULT_HOLD_MS,
        maxHeldRows: options.maxHeldRows ?? DEFAULT_MAX_HELD_ROWS,
        onOutage: options.onOutage ?? (() => {}),
        lead: options.lead,
        lease: options.lease,
      });
    } finally {
      client.release();
    }
  } catch (err) {
    mirror?.close();
    await pool.end();
    if (err instanceof StateError) throw err;
    throw unreachable('cannot open it', err);
  }
}

/**
 * Replaces the working set `db` with the rows of `tables` in PostgreSQL, read in one snapshot; resolves with the
 * number of flushes committed as of that snapshot (the `written` counter, which a standby compares to see a change).
 */
export async function loadWorkingSet(client: pg.ClientBase, db: Db, tables: readonly TableShape[]): Promise<number> {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  let written: number;
  const loaded: [TableShape, Record<string, unknown>[]][] = [];
  try {
    const { rows } = await client.query(`SELECT value FROM ${META_TABLE} WHERE key = 'written'`);
    written = Number(rows[0]?.value ?? 0);
    for (const t of tables) loaded.push([t, await selectAll(client, t)]);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
  db.transaction(() => {
    db.pragma('defer_foreign_keys = ON');
    for (const [t, rows] of loaded) {
      db.prepare(`DELETE FROM ${ident(t.name)}`).run();
      insertRows(db, t, rows);
    }
  })();
  return written;
}

/**
 * node-postgres's options for `url`, its TLS parameters as libpq reads them (postgres-tls.ts); STATE_UNREACHABLE,
 * worded as a refusal, when they cannot be honoured or a file they name cannot be read.
 */
export function connectionOf(url: string): PostgresConnection {
  try {
    return postgresConnection(url);
  } catch (err) {
    throw unreachable('cannot connect', err);
  }
}

async function connect(pool: pg.Pool): Promise<pg.PoolClient> {
  try {
    return await pool.connect();
  } catch (err) {
    throw unreachable('cannot connect', err, presentsCertificate(pool.options.ssl));
  }
}

/** Whether node-postgres's TLS options `ssl` present a client certificate (the URL's sslcert). */
export function presentsCertificate(ssl: PostgresConnection['ssl'] | boolean | undefined): boolean {
  return typeof ssl === 'object' && ssl.cert !== undefined;
}

/**
 * A PostgreSQL failure, told without anything of the URL (host, port, user, database or password, all of which may
 * come from the environment): a refused connection in the words check uses (refusal), another server error by its
 * SQLSTATE and message, a system error by its code, pg's own errors (timeouts, a closed connection) by their message.
 */
/**
 * STATE_UNREACHABLE for a failed PostgreSQL call: `what` failed, with the server's code or the socket's, never the URL;
 * `certificate` when the connection presented a client certificate.
 */
export function unreachable(what: string, err: unknown, certificate = false): StateError {
  const { code, message } = err as { code?: string; message?: string };
  // A server's message is not quoted: it may echo what came from the environment (PGOPTIONS' settings, the user).
  const reason =
    refusal(err, certificate) ??
    (isSqlState(code) ? (SESSION_FAULTS.get(code) ?? code) : (code ?? message ?? 'unknown error'));
  return new StateError('STATE_UNREACHABLE', `state store (postgres): ${what} (${reason})`, { cause: err, reason });
}

/** Where a setting of the session comes from. */
const SESSION_SETTING =
  "the options parameter of state.url, PGOPTIONS in centinela's environment, or ALTER ROLE or DATABASE … SET";

/**
 * SQLSTATEs of a session that connects and cannot keep the store, worded with what to check: a setting of the session,
 * a privilege the role lacks. sessionProblem finds each before the store writes, and words the privileges one by one.
 */
const SESSION_FAULTS: ReadonlyMap<string, string> = new Map([
  [
    '25006',
    'the session is read-only (25006): state.url leads to a read-only server (a hot standby), or ' +
      `default_transaction_read_only is on for the session (${SESSION_SETTING}). Point state.url at the primary, or ` +
      'turn it off',
  ],
  [
    '3F000',
    `the server has no schema for the store's tables (3F000): search_path names none that exists and the role may use (${SESSION_SETTING}). ` +
      'Name an existing schema in it, or leave it out',
  ],
  [
    '42501',
    'the role of state.url lacks a privilege the store needs (42501): CREATE on the schema its tables go in while ' +
      'they are not made yet or a migration adds one, their ownership when a migration alters them, and SELECT, ' +
      'INSERT, UPDATE and DELETE on them. Grant those to the role, or make it the owner of the database and its tables',
  ],
]);

/** The privileges sessionProblem finds missing, each worded with the GRANT (or the change) that gives it. */
const PRIVILEGE_FAULTS = {
  create:
    "the role of state.url may not make the store's tables (42501): it has no CREATE on the schema they go in, the " +
    "first of search_path (PostgreSQL 15 gives CREATE on public to the database's owner alone). Run GRANT CREATE ON " +
    'SCHEMA public TO the role (or on the schema search_path names first), or make the role the owner of the database',
  catalog:
    "search_path puts the store's tables in pg_catalog, where no table may be made, not even by a superuser (42501). " +
    `Name another schema first in it (${SESSION_SETTING}), or leave it out`,
  tables:
    'the role of state.url lacks SELECT, INSERT, UPDATE or DELETE on a table of the store (42501). Run GRANT SELECT, ' +
    'INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO the role (or the schema the tables are in), or make the ' +
    'role their owner',
  owner:
    'a migration of the store is due, which alters its tables, and the role of state.url does not own them (42501). ' +
    'Make the role their owner (ALTER TABLE … OWNER TO it), or run this centinela once with state.url naming their owner',
};

/**
 * What keeps the session `client` from opening the store (migrating it to the last of `migrations`, taking a term,
 * writing its flushes), found with reads alone and worded as run's refusal of it: a read-only session, no schema, a
 * privilege the role lacks for what opening it does. Undefined when none; a store of a newer schema is left to the
 * caller (the migration refuses it).
 */
export async function sessionProblem(
  client: pg.ClientBase,
  migrations: readonly Migration[],
): Promise<string | undefined> {
  const { rows } = await client.query(
    `SELECT current_setting('transaction_read_only') = 'on' AS read_only, current_schema() AS schema,
            coalesce(has_schema_privilege(current_schema(), 'CREATE'), false) AS can_create`,
  );
  const session = rows[0] as { read_only: boolean; schema: string | null; can_create: boolean };
  if (session.read_only) return SESSION_FAULTS.get('25006');
  if (session.schema === null) return SESSION_FAULTS.get('3F000');
  const tables = async (names: readonly string[]) =>
    (
      await client.query(
        `SELECT name, c.oid IS NOT NULL AS made,
                coalesce(has_table_privilege(c.oid, 'SELECT') AND has_table_privilege(c.oid, 'INSERT')
                  AND has_table_privilege(c.oid, 'UPDATE') AND (name = $2 OR has_table_privilege(c.oid, 'DELETE')),
                  false) AS usable,
                coalesce(pg_has_role(c.relowner, 'USAGE'), false) AS owned
         FROM unnest($1::text[]) AS name LEFT JOIN LATERAL ${tableOnPath('name')} AS c ON true`,
        [names, META_TABLE],
      )
    ).rows as { name: string; made: boolean; usable: boolean; owned: boolean }[];
  const [meta] = await tables([META_TABLE]);
  if (meta?.made && !meta.usable) return PRIVILEGE_FAULTS.tables;
  const version = await storedSchemaVersion(client);
  if (newerSchema(version, migrations)) return undefined;
  const touched = tablesTouched(migrations, version);
  const found = await tables(touched.used);
  if (found.some((t) => t.made && !t.usable)) return PRIVILEGE_FAULTS.tables;
  if (!meta?.made || touched.made.length > 0) {
    if (session.schema === 'pg_catalog') return PRIVILEGE_FAULTS.catalog;
    if (!session.can_create) return PRIVILEGE_FAULTS.create;
  }
  if (found.some((t) => t.made && !t.owned && touched.altered.includes(t.name))) return PRIVILEGE_FAULTS.owner;
  return undefined;
}

/**
 * What stops a connection to PostgreSQL at `url` as the store would make it (`connectTimeout` ms at most; closed at
 * once, nothing migrated), or the state store there being of a newer centinela (its schema version, read only), as
 * the rest of a sentence that holds nothing of the URL; undefined when it connects to a store run can open. For
 * `check`, which answers for what `run` will meet.
 */
export async function reachPostgres(url: string, connectTimeout: number): Promise<string | undefined> {
  let client: pg.Client | undefined;
  let certificate = false;
  try {
    const connection = postgresConnection(url);
    certificate = presentsCertificate(connection.ssl);
    client = new pg.Client({ ...connection, connectionTimeoutMillis: connectTimeout });
    client.on('error', () => {});
    await client.connect();
  } catch (err) {
    await client?.end().catch(() => {});
    return `cannot connect to PostgreSQL: ${connectFailure(err, connectTimeout, certificate)}`;
  }
  try {
    const problem = await sessionProblem(client, MIGRATIONS);
    if (problem) return `the state store cannot be opened there: ${problem}`;
    const newer = newerSchema(await storedSchemaVersion(client));
    return newer && `the database holds a state store ${newer}`;
  } catch {
    return undefined; // a read refused here is refused to run's migration too, which tells it
  } finally {
    await client.end().catch(() => {});
  }
}

const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME']);

/** What to look at when a failure names no cause of its own. */
const CHECK_URL =
  "Check its host, port, user, password and database, and that PostgreSQL takes centinela's connections from here";

/** pg's words when the server answers "no" to its SSL request (sslmode asks for SSL; the server has ssl = off). */
const NO_SSL_SERVER = 'The server does not support SSL connections';
/** pg's words when the socket closes before the server has answered. */
const TERMINATED = 'Connection terminated unexpectedly';

/** Why a connection failed, in words with what to do; a server error by its SQLSTATE alone (its text may name the user or database). */
function connectFailure(err: unknown, connectTimeout: number, certificate: boolean): string {
  const { code, message = '' } = err as { code?: string; message?: string };
  const refused = refusal(err, certificate);
  if (refused) return refused;
  let why: string;
  if (code === 'ECONNREFUSED') why = 'the connection was refused (ECONNREFUSED): nothing listens at its host and port';
  else if (code && DNS_CODES.has(code)) why = `its host name does not resolve (${code})`;
  else if (message === TERMINATED) {
    return (
      'the server closed the connection during start-up without answering (Connection terminated unexpectedly): ' +
      'what listens at its host and port may not be PostgreSQL (a proxy, another service), or it is shutting down. ' +
      'Check its host and port'
    );
  } else if (isSqlState(code)) why = `the server refused it (${code})`;
  else if (/timeout/i.test(message)) why = `no answer within pool.connect_timeout (${formatDuration(connectTimeout)})`;
  else why = `the connection failed (${code ?? 'no code'})`;
  return `${why}. ${CHECK_URL}`;
}

/**
 * Why PostgreSQL, or pg before it sent anything, refused a connection, in words with what to do, by SQLSTATE or pg's
 * own words and never quoting the server's text (it names the host, user and database); or why TLS did (a server
 * certificate the URL's sslmode does not accept, a client certificate the server refuses or wants: tlsRefusal; TLS
 * parameters or a client key that cannot be used); undefined for any other failure. check (reachPostgres) and the
 * store (unreachable) word these alike. `certificate`: the connection presented a client certificate, whose CN
 * clientcert=verify-full may find is not the user, which PostgreSQL tells as a failed password.
 */
function refusal(err: unknown, certificate = false): string | undefined {
  const { code, message = '' } = err as { code?: string; message?: string };
  // Its start, and its end, which a name it quotes (the user's, the database's) cannot be taken for.
  if (code === '28000' && message.startsWith('no pg_hba.conf entry for ')) {
    // PostgreSQL 14 and later end that message with "no encryption", earlier ones with "SSL off".
    return /, (no encryption|SSL off)$/.test(message)
      ? 'the server takes no connection without SSL from here (28000: no pg_hba.conf line lets this host, user and ' +
          'database in unencrypted). If it requires SSL, write sslmode=require in state.url (sslmode=verify-full ' +
          "checks the server's certificate too); else add a line for centinela's connections to pg_hba.conf"
      : "no pg_hba.conf line lets this host, user and database in (28000). Add one for centinela's connections";
  }
  // Before the 28 class: a client certificate pg_hba.conf wants and does not get is refused as 28000.
  const tls = tlsRefusal(err, 'state.url');
  if (tls) return tls;
  if (code === '28000') {
    // PostgreSQL's words for a client certificate were not found (another lc_messages, or another cause): both told.
    return (
      'the server refused the login (28000): the role does not exist or may not log in, no line of pg_hba.conf lets ' +
      'it in, or pg_hba.conf asks for a client certificate state.url does not give (or one whose CN is not the user). ' +
      "Check the user and the sslcert of state.url, and the server's pg_hba.conf"
    );
  }
  if (code?.startsWith('28')) {
    return certificate
      ? `authentication failed (${code}): the server refused the user or password, or the client certificate's CN ` +
          'is not the user (clientcert=verify-full in pg_hba.conf, which PostgreSQL tells as a failed password). ' +
          'Check those of state.url, and the CN of the certificate its sslcert names'
      : `authentication failed (${code}): the server refused the user or password. Check those of state.url`;
  }
  if (code === '3D000') return 'the database does not exist (3D000). Create it, or name the right one in state.url';
  const setting = startupSettingRefusal(code, 'state.url');
  if (setting) return setting;
  if (message === NO_SSL_SERVER) {
    return (
      'the server takes no SSL connections (its ssl is off) and state.url asks for SSL (sslmode). Turn ssl on in ' +
      'PostgreSQL, or write sslmode=disable in state.url where the network is trusted'
    );
  }
  return err instanceof PostgresTlsError ? err.message : undefined;
}

/**
 * Whether a failed connection is one that waiting does not mend, a fault of the configuration (the URL's, or the
 * server's): a login or database refused, TLS asked of a server without it or not used with one that requires it,
 * a server certificate that the URL's sslmode does not accept, a client certificate the server refuses or asks for,
 * TLS parameters that cannot be honoured. `run` refuses to start on one, in the words `check` uses, instead of
 * waiting as the standby.
 */
export function lasting(err: StateError): boolean {
  return refusal(err.cause) !== undefined;
}

/** Whether `code` is a SQLSTATE: an error PostgreSQL answered, not one of the connection. */
function isSqlState(code: unknown): code is string {
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
}

interface PgStoreDeps {
  onError: (err: Error) => void;
  clock: Clock;
  hold: number;
  maxHeldRows: number;
  onOutage: (outage: Outage) => void;
  lead: Lead | undefined;
  lease: number | undefined;
}

/** A table with the statements that read one row by its key, and every row. */
interface TableStatements {
  table: TableShape;
  byKey: Statement<unknown[], unknown[]>;
  every: Statement<[], unknown[]>;
}

/** What one flush writes: per table the rows to upsert and the keys to delete, or, after a long outage, every row. */
type Changes = { table: TableShape; upserts: unknown[][]; deletes: unknown[][]; whole: boolean }[];

class PgStore implements PostgresStore {
  readonly alerts: AlertStore;
  readonly incidents: IncidentStore;
  readonly heartbeats: HeartbeatStore;
  readonly history: HistoryStore;
  readonly term: number;
  readonly fenced: Promise<StateError>;
  readonly #pool: pg.Pool;
  readonly #mirror: SqliteStore;
  readonly #tables: Map<string, TableStatements>;
  readonly #deps: PgStoreDeps;
  readonly #dirty;
  #chain: Promise<void> = Promise.resolve();
  /** The flush queued behind the running one: every flush() until it starts shares it (it takes all notes then). */
  #queued: Promise<void> | undefined;
  #kicked = false;
  #fenced: StateError | undefined;
  #tellFenced: (err: StateError) => void = () => {};
  #closing: Promise<void> | undefined;
  /** Since when PostgreSQL has not answered (the first failed flush of this outage), and whether the hold is up. */
  #outage: { since: number; failedOpen: boolean; cancelHold: () => void } | undefined;
  #cancelRetry: (() => void) | undefined;
  /** The notes grew past maxHeldRows during an outage: the next flush rewrites every table. */
  #rewrite = false;
  /** When the last committed flush began: its term check held until its commit. */
  #confirmedAt: number;

  constructor(pool: pg.Pool, mirror: SqliteStore, tables: TableShape[], term: number, deps: PgStoreDeps) {
    this.#pool = pool;
    this.#mirror = mirror;
    this.term = term;
    this.#deps = deps;
    this.#confirmedAt = deps.clock.now();
    this.fenced = new Promise((resolve) => {
      this.#tellFenced = resolve;
    });
    const db = mirror.db;
    this.#tables = new Map(
      tables.map((table) => {
        const cols = table.columns.map((c) => ident(c.name)).join(', ');
        const byKey = db
          .prepare<unknown[], unknown[]>(
            `SELECT ${cols} FROM ${ident(table.name)} WHERE ${table.key.map((k) => `${ident(k)} = ?`).join(' AND ')}`,
          )
          .raw();
        const every = db.prepare<[], unknown[]>(`SELECT ${cols} FROM ${ident(table.name)}`).raw();
        return [table.name, { table, byKey, every }];
      }),
    );
    // No key on it: a trigger's INSERT OR IGNORE would take the outer statement's conflict handling (an upsert's)
    // instead of its own, so the same key may be noted twice and is read once (and compacted during an outage).
    db.exec('CREATE TEMP TABLE dirty (tbl TEXT NOT NULL, key TEXT NOT NULL)');
    for (const t of tables) installTriggers(db, t);
    this.#dirty = {
      any: db.prepare<[], number>('SELECT EXISTS (SELECT 1 FROM temp.dirty)').pluck(),
      all: db.prepare<[], { tbl: string; key: string }>('SELECT DISTINCT tbl, key FROM temp.dirty ORDER BY tbl, key'),
      clear: db.prepare('DELETE FROM temp.dirty'),
      add: db.prepare('INSERT INTO temp.dirty (tbl, key) VALUES (?, ?)'),
      compact: db.prepare(
        'DELETE FROM temp.dirty WHERE rowid NOT IN (SELECT min(rowid) FROM temp.dirty GROUP BY tbl, key)',
      ),
      count: db.prepare<[], number>('SELECT count(*) FROM temp.dirty').pluck(),
    };
    this.alerts = this.#flushing(mirror.alerts);
    this.incidents = this.#flushing(mirror.incidents);
    this.heartbeats = this.#flushing(mirror.heartbeats);
    this.history = this.#flushing(mirror.history);
  }

  unitOfWork<T>(fn: () => T): T {
    const result = this.#mirror.unitOfWork(fn);
    this.#kick();
    return result;
  }

  get open(): boolean {
    return this.#closing === undefined;
  }

  /** Resolves once every write made before the call is committed in PostgreSQL; rejects with what stopped it. */
  flush(): Promise<void> {
    if (this.#queued) return this.#queued;
    const next = this.#chain
      .catch(() => {})
      .then(() => {
        this.#queued = undefined;
        return this.#flushOnce();
      });
    this.#queued = next;
    this.#chain = next;
    return next;
  }

  /**
   * Resolves once an outbox claim may be sent: committed while the lead is sure, or, for the hold at most, not
   * (fail open). Rejects with STATE_FENCED once another centinela took over, and with STATE_UNREACHABLE while the hold
   * lasts.
   */
  async deliverable(): Promise<AbortSignal | undefined> {
    const { clock, hold, lease } = this.#deps;
    const asked = clock.now();
    this.#sureOfTheLead();
    // Failing open already: a flush would wait on a network that drops packets (the query timeout, the connect
    // timeout) before failing again, for every page; the store keeps retrying by itself meanwhile.
    const outage = this.#outage;
    if (!this.#fenced && outage && asked - outage.since >= hold) return undefined;
    try {
      await this.flush();
      // No commit for a third of the lease or more (nothing written, or this process frozen since): the term is read
      // again under a flush's lock before a send, so a centinela woken after another took over learns it first.
      if (lease !== undefined && clock.now() - this.#confirmedAt >= lease / 3) await this.#confirmTerm();
    } catch (err) {
      const outage = this.#outage;
      if ((err as StateError).code !== 'STATE_UNREACHABLE' || !outage) throw err;
      if (clock.now() - outage.since < hold) throw err;
      return undefined;
    }
    // A commit that took two thirds of the lease or more (this process frozen before it heard the answer, a stalled
    // network): the lock's session, idle since its last keep-alive (a third of the lease before at most), may have
    // been ended and another centinela may lead by now, so the page waits until this one knows (its lock's
    // connection tells it).
    if (lease !== undefined && clock.now() - asked >= (lease * 2) / 3) {
      throw new StateError(
        'STATE_UNREACHABLE',
        'state store (postgres): the commit took two thirds of the lease or more; pages wait until the lead is sure',
      );
    }
    this.#sureOfTheLead();
    // The claim was committed under this store's term, but the send comes after: the lock's session answering right
    // now says this one still leads, so no send begins once a standby could have the lock (a connection cut since
    // the commit fails the query, and the page waits). The send is given the lead's signal: it stops if the lock's
    // connection fails while it runs.
    const lead = this.#deps.lead;
    const sure = lead?.sure;
    if (!lead || !sure) return undefined;
    await lead.confirm();
    if (sure.aborted) throw new StateError('STATE_UNREACHABLE', `state store (postgres): ${sure.reason.message}`);
    return sure;
  }

  /**
   * Unsure of the lead, it sends nothing until it holds the lock again or learns another does (then it stops): a
   * standby may be taking over. Past the hold it fails open, like an unreachable store.
   */
  #sureOfTheLead(): void {
    const unsure = this.#deps.lead?.unsureSince;
    if (unsure !== undefined && this.#deps.clock.now() - unsure < this.#deps.hold) {
      throw new StateError(
        'STATE_UNREACHABLE',
        "state store (postgres): the lead's connection failed and is not taken again yet; pages wait",
      );
    }
  }

  /** Flushes what is left (a failure is told to onError), then closes the pool and the working set. */
  close(): Promise<void> {
    this.#cancelRetry?.();
    this.#outage?.cancelHold();
    // A fenced store was told so already, by the flush that found it out.
    this.#closing ??= (this.#fenced ? Promise.resolve() : this.flush())
      .catch((err: Error) => this.#deps.onError(err))
      .then(() => this.#pool.end())
      .finally(() => this.#mirror.close());
    return this.#closing;
  }

  /** The sub-store with a flush after each call that wrote outside a unit of work. */
  #flushing<S extends object>(store: S): S {
    return new Proxy(store, {
      get: (target, prop, receiver) => {
        const value = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          const result = value.apply(target, args);
          this.#kick();
          return result;
        };
      },
    });
  }

  /** A flush even with nothing to write: its term check, after the flushes before it. */
  #confirmTerm(): Promise<void> {
    const next = this.#chain.catch(() => {}).then(() => this.#flushOnce(true));
    this.#chain = next;
    return next;
  }

  /** Schedules a flush after the current synchronous code, once, unless inside a unit or nothing was written. */
  #kick(): void {
    if (this.#kicked || this.#mirror.db.inTransaction || this.#closing) return;
    this.#kicked = true;
    queueMicrotask(() => {
      this.#kicked = false;
      if (this.#dirty.any.get() !== 1) return;
      this.flush().catch((err: StateError) => {
        // An outage is told once, through onOutage, and being fenced once, through `fenced`, not at every write.
        if (err.code !== 'STATE_UNREACHABLE' && err.code !== 'STATE_FENCED') this.#deps.onError(err);
      });
    });
  }

  /**
   * Writes the rows noted dirty so far in one transaction under this store's term. During an outage it runs even
   * with nothing noted: its commit (of the term check alone) is what tells PostgreSQL is back; so does `confirm`.
   */
  async #flushOnce(confirm = false): Promise<void> {
    if (this.#fenced) throw this.#fenced;
    const began = this.#deps.clock.now();
    const whole = this.#rewrite;
    const noted = whole ? [] : this.#dirty.all.all();
    if (!whole && noted.length === 0 && !this.#outage && !confirm) return;
    const changes = whole ? this.#readAll() : this.#read(noted);
    this.#dirty.clear.run();
    this.#rewrite = false;
    let client: pg.PoolClient | undefined;
    let broken: Error | undefined;
    try {
      client = await connect(this.#pool);
      // A connection that fails between two queries of the flush says so here, not as an uncaught error; the query
      // in flight, or the next one, fails with it.
      client.on('error', ignore);
      await client.query('BEGIN');
      const { rows } = await client.query(`SELECT value FROM ${META_TABLE} WHERE key = 'term' FOR SHARE`);
      const term = Number(rows[0]?.value);
      if (term !== this.term) {
        this.#fenced = new StateError(
          'STATE_FENCED',
          `state store (postgres): another centinela took it over (term ${term}, this one holds ${this.term}); this one writes nothing more`,
        );
        throw this.#fenced;
      }
      for (const { table, upserts, deletes, whole } of changes) {
        if (whole) await client.query(`DELETE FROM ${ident(table.name)}`);
        if (deletes.length > 0) await deleteRows(client, table, deletes);
        if (upserts.length > 0) await upsertRows(client, table, upserts);
      }
      // What a standby polls to know its copy is behind (postgres-standby.ts).
      if (whole || noted.length > 0) {
        await client.query(
          `INSERT INTO ${META_TABLE} (key, value) VALUES ('written', 1)
           ON CONFLICT (key) DO UPDATE SET value = ${META_TABLE}.value + 1`,
        );
      }
      await client.query('COMMIT');
    } catch (err) {
      // A connection that failed or went unanswered (no SQLSTATE) is dropped, which ends its transaction on the
      // server, instead of waiting on it again for a ROLLBACK.
      if (err instanceof StateError || isSqlState((err as { code?: unknown }).code)) {
        await client?.query('ROLLBACK').catch((e: Error) => {
          broken = e;
        });
      } else {
        broken = err as Error;
      }
      if (this.#fenced) {
        this.#stopRetrying();
        this.#tellFenced(this.#fenced);
        throw this.#fenced;
      }
      this.#keep(noted, whole);
      const failure = err instanceof StateError ? err : unreachable('a write failed', err);
      this.#unreachable(failure);
      throw failure;
    } finally {
      client?.off('error', ignore);
      // A connection that could not even roll back is dropped, not handed to the next flush.
      client?.release(broken);
    }
    this.#confirmedAt = began;
    this.#back();
  }

  /** Notes again the rows a failed flush took, one note per row, or the rewrite once there are too many. */
  #keep(noted: { tbl: string; key: string }[], whole: boolean): void {
    const db = this.#mirror.db;
    if (whole || this.#rewrite) {
      this.#rewrite = true;
      this.#dirty.clear.run();
      return;
    }
    db.transaction(() => {
      for (const n of noted) this.#dirty.add.run(n.tbl, n.key);
      this.#dirty.compact.run();
    })();
    if ((this.#dirty.count.get() ?? 0) > this.#deps.maxHeldRows) {
      this.#rewrite = true;
      this.#dirty.clear.run();
    }
  }

  /** A flush failed to reach PostgreSQL: the outage starts (told, the hold timed) or goes on; a retry is scheduled. */
  #unreachable(error: StateError): void {
    const { clock, hold, onOutage } = this.#deps;
    // Closing: the failure goes to onError, and nothing is retried.
    if (this.#closing) return;
    if (!this.#outage) {
      const since = clock.now();
      const outage = {
        since,
        failedOpen: false,
        cancelHold: clock.setTimeout(() => {
          outage.failedOpen = true;
          onOutage({ state: 'failing-open', since, error });
        }, hold),
      };
      this.#outage = outage;
      onOutage({ state: 'unreachable', since, error });
    }
    if (this.#cancelRetry) return;
    this.#cancelRetry = clock.setTimeout(() => {
      this.#cancelRetry = undefined;
      // A failure schedules the next try itself.
      this.flush().catch(() => {});
    }, RETRY_MS);
  }

  /** A flush committed: an outage is over. */
  #back(): void {
    const outage = this.#outage;
    if (!outage) return;
    this.#outage = undefined;
    outage.cancelHold();
    this.#stopRetrying();
    this.#deps.onOutage({
      state: 'back',
      since: outage.since,
      until: this.#deps.clock.now(),
      failedOpen: outage.failedOpen,
    });
  }

  #stopRetrying(): void {
    this.#cancelRetry?.();
    this.#cancelRetry = undefined;
    this.#outage?.cancelHold();
  }

  /** The current rows behind the noted keys: a row still there is upserted, a row gone is deleted. */
  #read(noted: { tbl: string; key: string }[]): Changes {
    const byTable = new Map<string, Changes[number]>();
    for (const { tbl, key } of noted) {
      const { table, byKey } = this.#table(tbl);
      let entry = byTable.get(tbl);
      if (!entry) {
        entry = { table, upserts: [], deletes: [], whole: false };
        byTable.set(tbl, entry);
      }
      const values = JSON.parse(key) as unknown[];
      const row = byKey.get(values);
      if (row) entry.upserts.push(row);
      else entry.deletes.push(values);
    }
    return [...byTable.values()];
  }

  /** Every row of every table, each table to be emptied first. */
  #readAll(): Changes {
    return [...this.#tables.values()].map(({ table, every }) => ({
      table,
      upserts: every.all(),
      deletes: [],
      whole: true,
    }));
  }

  #table(name: string): TableStatements {
    return this.#tables.get(name) as TableStatements;
  }
}

const ignore = () => {};

/** Temporary triggers that note in temp.dirty the key of every row written to `t`. */
function installTriggers(db: Db, t: TableShape): void {
  const key = (ref: 'NEW' | 'OLD') => `json_array(${t.key.map((k) => `${ref}.${ident(k)}`).join(', ')})`;
  const note = (ref: 'NEW' | 'OLD') => `INSERT INTO temp.dirty (tbl, key) VALUES ('${t.name}', ${key(ref)});`;
  const name = (op: string) => ident(`dirty_${t.name}_${op}`);
  db.exec(`
    CREATE TEMP TRIGGER ${name('insert')} AFTER INSERT ON main.${ident(t.name)} BEGIN ${note('NEW')} END;
    CREATE TEMP TRIGGER ${name('update')} AFTER UPDATE ON main.${ident(t.name)} BEGIN ${note('OLD')} ${note('NEW')} END;
    CREATE TEMP TRIGGER ${name('delete')} AFTER DELETE ON main.${ident(t.name)} BEGIN ${note('OLD')} END;
  `);
}
