// Which of the centinelas sharing one PostgreSQL database is active: the one holding a session-level advisory lock,
// on a connection of its own. PostgreSQL itself is the arbiter, no consensus is written here.
//
// The lease is PostgreSQL's idle_session_timeout on that connection: the leader runs a query every third of it, so a
// leader that stops (kill -9: its socket closes at once; SIGSTOP, a frozen host or a cut network: the server ends
// the idle session after the lease) loses the lock, and a standby waiting in pg_advisory_lock gets it. The lock only
// chooses who opens the store; the term the store takes when it opens (postgres.ts) is what fences an old leader
// that wakes up still believing it leads: its flushes, and so its deliveries, fail.
//
// A leader whose lock connection fails is unsure, not lost: it keeps leading while PostgreSQL does not answer
// (nobody else can take the lead through it either) and takes the lock again when it answers; lost is only a lock
// that another holds by then.
import pg from 'pg';
import type { Clock } from '../clock.js';
import { StateError } from './errors.js';
import { connectionOf, type Lead, lasting, presentsCertificate, unreachable } from './postgres.js';
import { LOCK_SPACE } from './postgres-schema.js';

/** The advisory lock key of leadership, in LOCK_SPACE (1 is migrations). */
const LEADER_LOCK = 2;

export interface LeadershipOptions {
  url: string;
  /** How long a silent leader keeps the lead, in ms (PostgreSQL's idle_session_timeout on the lock's connection). */
  lease: number;
  connectTimeout: number;
  clock: Clock;
  /**
   * Called once, when this one waits: another centinela holds the lead (`held`), or PostgreSQL does not answer yet.
   */
  onStandby?: (held: boolean) => void;
  /**
   * Called when waiting for the lead fails to reach PostgreSQL (once per outage): this one keeps waiting and tries
   * again every third of the lease; called without an error when PostgreSQL answers again.
   */
  onWaiting?: (err?: StateError) => void;
  /** Ends the wait: acquireLeadership rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Called when the lock's connection fails while leading: this one keeps leading and tries to take the lock again. */
  onUnsure?: (err: StateError) => void;
  /** Called when the lock is held again after onUnsure. */
  onRetaken?: () => void;
}

/** The lead, held. */
export interface Leadership extends Lead {
  /** Settles when the lead is lost: the lock, when PostgreSQL answers again after its connection failed, is another's. */
  readonly lost: Promise<Error>;
  /** Gives the lead up: the lock's connection is closed. */
  release(): Promise<void>;
}

/**
 * Waits until this centinela holds the lead; resolves with it. While PostgreSQL does not answer, it keeps waiting
 * (told through onWaiting) and tries again every third of the lease; a failure that waiting does not mend (a refused
 * login, a missing database, a server certificate the URL's sslmode does not accept: postgres.ts lasting) rejects with
 * STATE_UNREACHABLE at once.
 *
 * Once leading, a failure of the lock's connection does not end the lead by itself: PostgreSQL may be unreachable
 * for everyone (then nobody else can take the lead, and this one keeps going, failing open: postgres.ts), or the
 * session may have been ended while another took the lock. So it connects again every third of the lease and tries
 * the lock: held again, it goes on; held by another, the lead is lost. Committing stays safe all along, since the
 * store's writes check its term: a newer leader's term fences this one's writes whatever the lock says.
 */
export async function acquireLeadership(options: LeadershipOptions): Promise<Leadership> {
  let fail: (err: Error) => void = () => {};
  const lost = new Promise<Error>((resolve) => {
    fail = resolve;
  });
  const every = Math.max(1, Math.floor(options.lease / 3));
  // The lock's connection, and its server process: the one to look for in pg_locks after the connection failed.
  let { client, pid } = await waitForLead(options, every);
  let over = false;
  let unsureSince: number | undefined;
  // Aborted when the lead falls in doubt or ends; a new one each time the lock is held again.
  let sure = new AbortController();
  let cancel: () => void = () => {};
  const end = (err: Error) => {
    over = true;
    cancel();
    sure.abort(new Error('the lead is over'));
    fail(err);
  };
  /** Connections given up on: whatever they answer later is ignored. */
  const left = new WeakSet<pg.Client>();
  /** The lock's connection failed: leave it, and try to take the lock again on a new one. */
  const unsure = (c: pg.Client, err: Error) => {
    if (over || left.has(c)) return;
    left.add(c);
    unsureSince ??= options.clock.now();
    sure.abort(new Error("the lead's connection failed; another centinela may be taking over"));
    cancel();
    c.removeAllListeners();
    c.on('error', () => {});
    c.end().catch(() => {});
    options.onUnsure?.(unreachable("the lead's connection failed", err));
    retake();
  };
  const watch = (c: pg.Client) => {
    c.on('error', (err) => unsure(c, err));
    c.on('end', () => unsure(c, new Error('the connection was closed')));
    ping(c);
  };
  // A ping that does not answer within the lease counts as a failed connection (a network that drops packets).
  const ping = (c: pg.Client) => {
    cancel = options.clock.setTimeout(() => {
      const late = options.clock.setTimeout(() => unsure(c, new Error('no answer within the lease')), options.lease);
      c.query('SELECT 1').then(
        () => {
          late();
          if (!over && !left.has(c)) ping(c);
        },
        (err: Error) => {
          late();
          unsure(c, err);
        },
      );
    }, every);
  };
  const retake = () => {
    cancel = options.clock.setTimeout(() => {
      session(options).then(
        async ({ client: c, pid: cPid }) => {
          if (over) {
            await c.end().catch(() => {});
            return;
          }
          try {
            const { rows } = await c.query(TRY_LOCK, [LOCK_SPACE, LEADER_LOCK, pid]);
            const { held, mine } = rows[0] as { held: boolean; mine: boolean };
            if (over) {
              await c.end().catch(() => {});
            } else if (held) {
              client = c;
              pid = cPid;
              unsureSince = undefined;
              sure = new AbortController();
              watch(c);
              options.onRetaken?.();
            } else if (mine) {
              // The server has not yet ended this centinela's own failed session, which still holds the lock: it is
              // ended now, and the lock tried again.
              await c.query('SELECT pg_terminate_backend($1)', [pid]).catch(() => {});
              await c.end().catch(() => {});
              retake();
            } else {
              await c.end().catch(() => {});
              end(leadLost(new Error('another centinela holds the lock')));
            }
          } catch {
            await c.end().catch(() => {});
            if (!over) retake();
          }
        },
        () => {
          if (!over) retake();
        },
      );
    }, every);
  };
  watch(client);
  let released = false;
  return {
    lost: lost.then((err) => (released ? new Promise<Error>(() => {}) : err)),
    get unsureSince() {
      return unsureSince;
    },
    get sure() {
      return over || unsureSince !== undefined ? undefined : sure.signal;
    },
    confirm() {
      if (over) return Promise.reject(leadLost(new Error('the lead is over')));
      if (unsureSince !== undefined) {
        return Promise.reject(
          new StateError(
            'STATE_UNREACHABLE',
            "state store (postgres): the lead's connection failed and is not taken again yet",
          ),
        );
      }
      const c = client;
      return new Promise<void>((resolve, reject) => {
        const failed = (err: Error) => {
          unsure(c, err);
          reject(unreachable("the lead's connection failed", err));
        };
        const late = options.clock.setTimeout(() => failed(new Error('no answer within a third of the lease')), every);
        c.query('SELECT 1').then(
          () => {
            late();
            // The answer and the session's end can come in one read (a busy process reads late): the end means the
            // session may have been gone, and the lock another's, for a while. It is heard after the rest of that
            // read is handled: at once, or, with a keep-alive queued behind this query, through its failure.
            setImmediate(() => {
              if (left.has(c))
                reject(unreachable("the lead's connection failed", new Error('it ended as it answered')));
              else resolve();
            });
          },
          (err: Error) => {
            late();
            failed(err);
          },
        );
      });
    },
    async release() {
      released = true;
      end(new Error('released'));
      client.removeAllListeners();
      await client.end().catch(() => {});
    },
  };
}

/** Connects and waits in the lock until it is this centinela's; a failure to reach PostgreSQL waits and tries again. */
async function waitForLead(options: LeadershipOptions, every: number): Promise<{ client: pg.Client; pid: number }> {
  const { signal } = options;
  let waiting = false;
  let failing = false;
  const wait = (held: boolean) => {
    if (!waiting) options.onStandby?.(held);
    waiting = true;
  };
  for (;;) {
    signal?.throwIfAborted();
    let held: { client: pg.Client; pid: number } | undefined;
    try {
      held = await session(options);
      const { client } = held;
      // Ended from outside, the lock's query in flight fails, and the wait with it.
      const end = () => void client.end().catch(() => {});
      signal?.addEventListener('abort', end, { once: true });
      try {
        signal?.throwIfAborted();
        const { rows } = await client.query('SELECT pg_try_advisory_lock($1, $2) AS held', [LOCK_SPACE, LEADER_LOCK]);
        if (!rows[0].held) {
          wait(true);
          if (failing) options.onWaiting?.();
          failing = false;
          const stopWatching = watchWaiting(options, held.pid, every, end);
          try {
            await client.query('SELECT pg_advisory_lock($1, $2)', [LOCK_SPACE, LEADER_LOCK]);
          } finally {
            stopWatching();
          }
        }
      } catch (err) {
        await client.end().catch(() => {});
        throw err instanceof StateError ? err : unreachable('cannot take the lead', err);
      } finally {
        signal?.removeEventListener('abort', end);
      }
      return held;
    } catch (err) {
      signal?.throwIfAborted();
      if (!(err instanceof StateError) || lasting(err)) throw err;
      wait(false);
      if (!failing) options.onWaiting?.(err);
      failing = true;
      await pause(options.clock, every, signal);
    }
  }
}

/**
 * While this centinela waits in pg_advisory_lock, looks every third of the lease, on a connection of its own, whether
 * the waiting session still exists: after a network that dropped packets, the server may have ended it (or given it
 * the lock, which its idle_session_timeout then ended) without the waiting connection hearing, and the wait would
 * never end. Gone, or PostgreSQL not answering the look, the wait is ended (`end`) and taken again.
 */
function watchWaiting(options: LeadershipOptions, pid: number, every: number, end: () => void): () => void {
  let stopped = false;
  let cancel: () => void = () => {};
  const look = () => {
    cancel = options.clock.setTimeout(() => {
      void sessionExists(options, pid).then((exists) => {
        if (stopped) return;
        if (exists) look();
        else end();
      });
    }, every);
  };
  look();
  return () => {
    stopped = true;
    cancel();
  };
}

/** Whether the server still has the session `pid`; false when it cannot be asked. */
async function sessionExists(options: LeadershipOptions, pid: number): Promise<boolean> {
  let client: pg.Client | undefined;
  try {
    client = new pg.Client({
      ...connectionOf(options.url),
      connectionTimeoutMillis: options.connectTimeout,
      query_timeout: options.connectTimeout,
    });
    client.on('error', () => {});
    await client.connect();
    const { rows } = await client.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid]);
    return rows.length > 0;
  } catch {
    return false;
  } finally {
    await client?.end().catch(() => {});
  }
}

/** Resolves after `ms` on `clock`, or at once when `signal` aborts. */
function pause(clock: Clock, ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      cancel();
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const cancel = clock.setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Tries the lock; when another session holds it, whether that session is `$3` (this centinela's own, failed one,
 * which the server may not have ended yet).
 */
const TRY_LOCK = `SELECT held, NOT held AND EXISTS (
    SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = $1::bigint::oid
      AND objid = $2::bigint::oid AND objsubid = 2 AND pid = $3
  ) AS mine
  FROM (SELECT pg_try_advisory_lock($1, $2) AS held) AS try`;

/** A new connection for the lock, its idle_session_timeout the lease. Rejects with STATE_UNREACHABLE. */
async function session(options: LeadershipOptions): Promise<{ client: pg.Client; pid: number }> {
  const connection = connectionOf(options.url);
  const client = new pg.Client({ ...connection, connectionTimeoutMillis: options.connectTimeout });
  // Until watched, an error only rejects the call in flight.
  client.on('error', () => {});
  try {
    await client.connect();
    const { rows } = await client.query(
      `SELECT set_config('idle_session_timeout', $1, false), pg_backend_pid() AS pid`,
      [`${options.lease}ms`],
    );
    return { client, pid: rows[0].pid };
  } catch (err) {
    await client.end().catch(() => {});
    throw unreachable('cannot connect', err, presentsCertificate(connection.ssl));
  }
}

function leadLost(err: Error): Error {
  const { code } = err as { code?: string };
  return new StateError(
    'STATE_FENCED',
    `state store (postgres): the lead was lost (${code ?? err.message}); another centinela may be active`,
    { cause: err },
  );
}
