// Which of the centinelas sharing one PostgreSQL database is active: the one holding a session-level advisory lock,
// on a connection of its own. PostgreSQL itself is the arbiter, no consensus is written here.
//
// The lease is PostgreSQL's idle_session_timeout on that connection: the leader runs a query every third of it, so a
// leader that stops (kill -9: its socket closes at once; SIGSTOP, a frozen host or a cut network: the server ends
// the idle session after the lease) loses the lock, and a standby waiting in pg_advisory_lock gets it. The lock only
// chooses who opens the store; the term the store takes when it opens (postgres.ts) is what fences an old leader
// that wakes up still believing it leads: its flushes, and so its deliveries, fail.
import pg from 'pg';
import type { Clock } from '../clock.js';
import { StateError } from './errors.js';
import { unreachable } from './postgres.js';
import { LOCK_SPACE } from './postgres-schema.js';

/** The advisory lock key of leadership, in LOCK_SPACE (1 is migrations). */
const LEADER_LOCK = 2;

export interface LeadershipOptions {
  url: string;
  /** How long a silent leader keeps the lead, in ms (PostgreSQL's idle_session_timeout on the lock's connection). */
  lease: number;
  connectTimeout: number;
  clock: Clock;
  /** Called once, when another centinela holds the lead and this one waits. */
  onStandby?: () => void;
}

/** The lead, held. */
export interface Leadership {
  /** Settles when the lead is lost (the lock's connection failed or was ended by the server). */
  readonly lost: Promise<Error>;
  /** Gives the lead up: the lock's connection is closed. */
  release(): Promise<void>;
}

/** Waits until this centinela holds the lead; resolves with it. Connection failures reject with STATE_UNREACHABLE. */
export async function acquireLeadership(options: LeadershipOptions): Promise<Leadership> {
  const client = new pg.Client({ connectionString: options.url, connectionTimeoutMillis: options.connectTimeout });
  let fail: (err: Error) => void = () => {};
  const lost = new Promise<Error>((resolve) => {
    fail = resolve;
  });
  client.on('error', (err) => fail(leadLost(err)));
  client.on('end', () => fail(leadLost(new Error('the connection was closed'))));
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => {});
    throw unreachable('cannot connect', err);
  }
  try {
    await client.query(`SELECT set_config('idle_session_timeout', $1, false)`, [`${options.lease}ms`]);
    const { rows } = await client.query('SELECT pg_try_advisory_lock($1, $2) AS held', [LOCK_SPACE, LEADER_LOCK]);
    if (!rows[0].held) {
      options.onStandby?.();
      await client.query('SELECT pg_advisory_lock($1, $2)', [LOCK_SPACE, LEADER_LOCK]);
    }
  } catch (err) {
    await client.end().catch(() => {});
    throw unreachable('cannot take the lead', err);
  }
  let released = false;
  let cancel: () => void = () => {};
  const ping = () => {
    cancel = options.clock.setTimeout(
      () => {
        client.query('SELECT 1').then(ping, (err: Error) => fail(leadLost(err)));
      },
      Math.max(1, Math.floor(options.lease / 3)),
    );
  };
  ping();
  void lost.then(() => cancel());
  return {
    lost: lost.then((err) => (released ? new Promise<Error>(() => {}) : err)),
    async release() {
      released = true;
      cancel();
      await client.end().catch(() => {});
    },
  };
}

function leadLost(err: Error): Error {
  const { code } = err as { code?: string };
  return new StateError(
    'STATE_FENCED',
    `state store (postgres): the lead was lost (${code ?? err.message}); another centinela may be active`,
    { cause: err },
  );
}
