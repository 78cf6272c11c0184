// PostgreSQL unreachable for the active centinela (issue 18, item 4), at the store and the lock: a TCP proxy between
// them and the machine's PostgreSQL is cut (every connection through it closed, new ones refused) and restored. The
// hold is timed by a FakeClock; the network keeps real time.
import type pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import type { StateError } from '../../src/store/errors.js';
import { type Outage, RETRY_MS } from '../../src/store/postgres.js';
import { acquireLeadership, type Leadership } from '../../src/store/postgres-leadership.js';
import { LOCK_SPACE } from '../../src/store/postgres-schema.js';
import { silenceOf, usePostgres } from '../support/stores.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { waitUntil } from '../support/wait-until.js';

const suite = usePostgres();
const HOLD = 60_000;

const silences = async () => (await suite.sql.query('SELECT id FROM silences ORDER BY id')).rows.map((r) => r.id);

let proxy: TcpProxy | undefined;
const leaderships: Leadership[] = [];
const clients: pg.Client[] = [];
afterEach(async () => {
  for (const l of leaderships.splice(0)) await l.release();
  for (const c of clients.splice(0)) await c.end();
  await proxy?.close();
  proxy = undefined;
});

/** A store through a new proxy, on a FakeClock, its outage events collected. */
async function cutOffStore(more: { maxHeldRows?: number; lease?: number } = {}) {
  proxy = await startTcpProxy('127.0.0.1', Number(new URL(suite.db.url).port || 5432));
  const clock = new FakeClock();
  const outages: Outage[] = [];
  const store = await suite.open({
    url: proxy.through(suite.db.url),
    clock,
    hold: HOLD,
    onOutage: (o) => outages.push(o),
    ...more,
  });
  const p = proxy;
  /** Lets PostgreSQL answer again and waits for the store's next try; then for `told` outage events in all. */
  const restore = async (told?: number) => {
    await p.restore();
    await clock.advance(RETRY_MS);
    if (told !== undefined)
      await waitUntil(
        () => outages.length === told,
        10_000,
        () => `outages: ${states(outages)}`,
      );
  };
  return { store, clock, outages, proxy, restore };
}

const states = (outages: Outage[]) => outages.map((o) => o.state);

/** Moves the fake clock a second at a time, letting real I/O answer between steps, until `done` (10 s real time). */
async function advanceUntil(clock: FakeClock, done: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('not done after 10 s');
    await clock.advance(1_000);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('PostgreSQL store: unreachable', () => {
  it('holds what it writes while PostgreSQL is cut off, and commits it when PostgreSQL answers within the hold', async () => {
    const { store, clock, outages, proxy, restore } = await cutOffStore();
    store.alerts.addSilence(silenceOf('before'));
    await store.flush();
    await proxy.cut();
    store.alerts.addSilence(silenceOf('during'));
    await expect(store.flush()).rejects.toMatchObject({ code: 'STATE_UNREACHABLE' });
    expect(states(outages)).toEqual(['unreachable']);
    // Within the hold a claim is not sendable: the outbox puts it back and tries again.
    await clock.advance(HOLD / 2);
    await expect(store.deliverable()).rejects.toMatchObject({ code: 'STATE_UNREACHABLE' });
    // Reads and writes go on over the working set.
    store.alerts.addSilence(silenceOf('during-2'));
    expect(store.alerts.getSilence('during')).toBeDefined();
    expect(await silences()).toEqual(['before']);

    // The store tries again by itself, every RETRY_MS.
    await restore(2);
    expect(outages[1]).toMatchObject({ state: 'back', failedOpen: false });
    expect(await silences()).toEqual(['before', 'during', 'during-2']);
    await expect(store.deliverable()).resolves.toBeUndefined();
    // The hold's timer was cancelled: the outage is over, nothing fails open later.
    await clock.advance(HOLD);
    expect(states(outages)).toEqual(['unreachable', 'back']);
  });

  it('a network that drops packets: a write unanswered for the lease fails, the outage starts, pages fail open after the hold', async () => {
    const { store, clock, outages, proxy } = await cutOffStore({ lease: 1_000 });
    store.alerts.addSilence(silenceOf('before'));
    await store.flush();
    proxy.stall();
    store.alerts.addSilence(silenceOf('during'));
    await expect(store.flush()).rejects.toMatchObject({
      code: 'STATE_UNREACHABLE',
      message: 'state store (postgres): a write failed (Query read timeout)',
    });
    expect(states(outages)).toEqual(['unreachable']);
    await expect(store.deliverable()).rejects.toMatchObject({ code: 'STATE_UNREACHABLE' });
    await clock.advance(HOLD);
    expect(states(outages)).toEqual(['unreachable', 'failing-open']);
    // Failing open, a claim is sendable at once, not after another flush has waited on the silent network.
    let flushed = false;
    const flushing = store.flush().finally(() => {
      flushed = true;
    });
    await expect(store.deliverable()).resolves.toBeUndefined();
    expect(flushed).toBe(false);
    await expect(flushing).rejects.toMatchObject({ code: 'STATE_UNREACHABLE' });
    expect(await silences()).toEqual(['before']);
  });

  it('fails open once the hold is up: a claim is sendable unsaved, and the outage is told; then saved when back', async () => {
    const { store, clock, outages, proxy, restore } = await cutOffStore();
    await proxy.cut();
    store.alerts.addSilence(silenceOf('during'));
    await expect(store.flush()).rejects.toMatchObject({ code: 'STATE_UNREACHABLE' });
    const [first] = outages as [Outage & { error: StateError }];
    // The pool's idle connection was cut (the write fails on it), or a new one is refused.
    expect(first.error.message).toMatch(
      /^state store \(postgres\): (a write failed \(Connection terminated unexpectedly\)|cannot connect \(ECONNREFUSED\))$/,
    );
    expect(first.error.message).not.toContain(String(proxy.port));
    await clock.advance(HOLD);
    expect(outages[1]).toEqual({ state: 'failing-open', since: first.since, error: first.error });
    await expect(store.deliverable()).resolves.toBeUndefined();
    expect(await silences()).toEqual([]);

    await restore(3);
    expect(outages[2]).toEqual({ state: 'back', since: first.since, until: clock.now(), failedOpen: true });
    expect(await silences()).toEqual(['during']);
  });

  it('another centinela took over during the outage: back, it sends nothing, commits nothing and is fenced', async () => {
    const { store, clock, outages, proxy, restore } = await cutOffStore();
    await proxy.cut();
    store.alerts.addSilence(silenceOf('old'));
    await expect(store.flush()).rejects.toMatchObject({ code: 'STATE_UNREACHABLE' });
    const next = await suite.open();
    expect(next.term).toBe(store.term + 1);
    await restore();
    const fenced = await store.fenced;
    expect(fenced).toMatchObject({ code: 'STATE_FENCED' });
    await expect(store.deliverable()).rejects.toMatchObject({ code: 'STATE_FENCED' });
    // Even past the hold: fenced is never fail-open.
    await clock.advance(HOLD);
    await expect(store.deliverable()).rejects.toMatchObject({ code: 'STATE_FENCED' });
    expect(await silences()).toEqual([]);
    expect(states(outages)).toEqual(['unreachable']);
  });

  it('sends nothing while the lead is unsure, for the hold at most', async () => {
    const clock = new FakeClock();
    let confirms = 0;
    const sure = new AbortController();
    const lead = {
      unsureSince: clock.now() as number | undefined,
      get sure() {
        return this.unsureSince === undefined ? sure.signal : undefined;
      },
      confirm: async () => {
        confirms++;
      },
    };
    const store = await suite.open({ clock, hold: HOLD, lead });
    store.alerts.addSilence(silenceOf('during'));
    await expect(store.deliverable()).rejects.toMatchObject({
      code: 'STATE_UNREACHABLE',
      message: "state store (postgres): the lead's connection failed and is not taken again yet; pages wait",
    });
    // The lock held again: committed, the lock's connection heard, sendable.
    // The send is given the lead's signal, which aborts it if the lock's connection fails meanwhile.
    lead.unsureSince = undefined;
    await expect(store.deliverable()).resolves.toBe(sure.signal);
    expect(await silences()).toEqual(['during']);
    expect(confirms).toBe(1);
    // Unsure for the whole hold: it fails open (here the commit itself works), without asking the failed connection,
    // and with no signal to stop at.
    lead.unsureSince = clock.now();
    await clock.advance(HOLD);
    await expect(store.deliverable()).resolves.toBeUndefined();
    expect(confirms).toBe(1);
  });

  it('sends nothing when the lead falls in doubt while the lock connection is asked', async () => {
    const clock = new FakeClock();
    const sure = new AbortController();
    const lead = {
      unsureSince: undefined,
      sure: sure.signal,
      confirm: async () => {
        sure.abort(new Error("the lead's connection failed; another centinela may be taking over"));
      },
    };
    const store = await suite.open({ clock, hold: HOLD, lead });
    await expect(store.deliverable()).rejects.toMatchObject({
      code: 'STATE_UNREACHABLE',
      message: "state store (postgres): the lead's connection failed; another centinela may be taking over",
    });
  });

  it('sends nothing when the lock connection does not answer after the commit', async () => {
    const clock = new FakeClock();
    const failure = new Error('the lock connection failed');
    const lead = { unsureSince: undefined, sure: new AbortController().signal, confirm: () => Promise.reject(failure) };
    const store = await suite.open({ clock, hold: HOLD, lead });
    store.alerts.addSilence(silenceOf('claim'));
    await expect(store.deliverable()).rejects.toBe(failure);
    // The commit itself went through: only the send waits.
    expect(await silences()).toEqual(['claim']);
  });

  it('sends nothing after a commit that took two thirds of the lease: the lead may have passed meanwhile', async () => {
    const clock = new FakeClock();
    const store = await suite.open({ clock, hold: HOLD, lease: 5_000 });
    store.alerts.addSilence(silenceOf('before'));
    await store.flush();
    // Another session holds the term row, so the commit waits for it while the clock passes the lease.
    const blocker = await suite.db.connect();
    clients.push(blocker);
    await blocker.query('BEGIN');
    await blocker.query(`SELECT value FROM centinela_meta WHERE key = 'term' FOR UPDATE`);
    store.alerts.addSilence(silenceOf('claim'));
    const asked = store.deliverable();
    await clock.advance(3_334);
    await blocker.query('COMMIT');
    await expect(asked).rejects.toMatchObject({
      code: 'STATE_UNREACHABLE',
      message:
        'state store (postgres): the commit took two thirds of the lease or more; pages wait until the lead is sure',
    });
    // The write itself committed; the next ask, quick, may send.
    expect(await silences()).toEqual(['before', 'claim']);
    await expect(store.deliverable()).resolves.toBeUndefined();
  });

  it('reads the term again before a send after a third of the lease without a commit: woken late, it sends nothing', async () => {
    // As a leader frozen (SIGSTOP) after its claim committed and woken after a standby took over: its flush has
    // nothing left to write, so only reading the term again tells it before it sends.
    const clock = new FakeClock();
    const store = await suite.open({ clock, hold: HOLD, lease: 3_000 });
    store.alerts.addSilence(silenceOf('claim'));
    await expect(store.deliverable()).resolves.toBeUndefined();
    const next = await suite.open();
    // Within a third of the lease the last commit stands for the lead (the lock's keep-alive runs as often).
    await clock.advance(999);
    await expect(store.deliverable()).resolves.toBeUndefined();
    await clock.advance(1);
    await expect(store.deliverable()).rejects.toMatchObject({ code: 'STATE_FENCED' });
    expect(await store.fenced).toMatchObject({ code: 'STATE_FENCED' });
    expect(next.term).toBe(store.term + 1);
  });

  it('past maxHeldRows it keeps no notes and rewrites every table whole when PostgreSQL answers', async () => {
    const { store, proxy, restore } = await cutOffStore({ maxHeldRows: 5 });
    for (const id of ['a', 'b', 'c']) store.alerts.addSilence(silenceOf(id));
    await store.flush();
    await proxy.cut();
    for (let i = 0; i < 10; i++) store.alerts.addSilence(silenceOf(`new-${i}`));
    store.alerts.expireSilence('b', 50, 'ana');
    await expect(store.flush()).rejects.toMatchObject({ code: 'STATE_UNREACHABLE' });
    // A row PostgreSQL has and the working set has not is gone after a rewrite of the whole table.
    await suite.sql.query(
      `INSERT INTO silences SELECT 'stray', matchers, starts_at, ends_at, owner, reason, created_at, NULL, NULL FROM silences WHERE id = 'a'`,
    );
    await restore(2);
    const mirror = store.alerts
      .listSilences()
      .map((s) => s.id)
      .sort();
    expect(mirror).toHaveLength(13);
    expect(await silences()).toEqual(mirror);
    const b = await suite.sql.query(`SELECT expired_at FROM silences WHERE id = 'b'`);
    expect(b.rows).toEqual([{ expired_at: '50' }]);
  });
});

describe('PostgreSQL leadership: the lock connection cut', () => {
  async function lead(clock: FakeClock, events: string[]) {
    proxy = await startTcpProxy('127.0.0.1', Number(new URL(suite.db.url).port || 5432));
    const l = await acquireLeadership({
      url: proxy.through(suite.db.url),
      lease: 3_000,
      connectTimeout: 2_000,
      clock,
      onUnsure: (err) => events.push(`unsure ${err.code}`),
      onRetaken: () => events.push('retaken'),
    });
    leaderships.push(l);
    return l;
  }
  async function other(): Promise<pg.Client> {
    const c = await suite.db.connect();
    clients.push(c);
    return c;
  }
  const tryLock = async (c: pg.Client) =>
    (await c.query('SELECT pg_try_advisory_lock($1, 2) AS held', [LOCK_SPACE])).rows[0].held as boolean;

  it('is unsure while PostgreSQL does not answer, keeps the lead, and takes the lock again when it does', async () => {
    const clock = new FakeClock();
    const events: string[] = [];
    const l = await lead(clock, events);
    let lost: Error | undefined;
    void l.lost.then((e) => {
      lost = e;
    });
    // Sends begun while sure stop when the connection fails; unsure, there is no signal (a send then fails open).
    const sure = l.sure;
    expect(sure?.aborted).toBe(false);
    await proxy?.cut();
    await waitUntil(
      () => events.length > 0,
      10_000,
      () => 'no unsure',
    );
    expect(events).toEqual(['unsure STATE_UNREACHABLE']);
    expect(sure?.aborted).toBe(true);
    expect(l.sure).toBeUndefined();
    // Tries again every third of the lease; refused while cut.
    await clock.advance(1_000);
    await clock.advance(1_000);
    await proxy?.restore();
    await advanceUntil(clock, () => events.includes('retaken'));
    expect(lost).toBeUndefined();
    expect(await tryLock(await other())).toBe(false);
    // Sure again: a new signal.
    expect(l.sure?.aborted).toBe(false);
  });

  it('confirms the lead through the lock connection, and refuses once it is cut: a send right after a cut waits', async () => {
    const clock = new FakeClock();
    const events: string[] = [];
    const l = await lead(clock, events);
    await expect(l.confirm()).resolves.toBeUndefined();
    const standby = await other();
    const waiting = standby.query('SELECT pg_advisory_lock($1, 2)', [LOCK_SPACE]);
    await proxy?.cut();
    // Whether or not the connection's failure was heard yet, the round trip fails: no send after the cut.
    await expect(l.confirm()).rejects.toMatchObject({ code: 'STATE_UNREACHABLE' });
    expect(l.unsureSince).toBeDefined();
    expect(events).toEqual(['unsure STATE_UNREACHABLE']);
    await waiting;
    await expect(l.confirm()).rejects.toMatchObject({
      code: 'STATE_UNREACHABLE',
      message: "state store (postgres): the lead's connection failed and is not taken again yet",
    });
  });

  it('refuses when the session ended as it answered: a late read of both must not confirm the lead', async () => {
    const clock = new FakeClock();
    const events: string[] = [];
    const l = await lead(clock, events);
    const admin = await other();
    const holder = async () =>
      (
        await admin.query(
          `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = $1::bigint::oid AND objid = 2
             AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
          [LOCK_SPACE],
        )
      ).rows[0]?.pid as number | undefined;
    const pid = await holder();
    expect(pid).toBeDefined();
    // The check is asked just before the lock's keep-alive is due (every third of the 3 s lease).
    await clock.advance(999);
    proxy?.holdAnswers();
    const asked = l.confirm().then(
      () => 'confirmed',
      (err: StateError) => `${err.code} ${err.message}`,
    );
    // The keep-alive, due now, queues behind the check: the session's end then fails it, not the check.
    await clock.advance(1);
    // The server answered (the session is idle again), then it is ended and another takes the lock.
    await waitUntil(
      async () => {
        const { rows } = await admin.query(`SELECT state, query FROM pg_stat_activity WHERE pid = $1`, [pid]);
        // Ended while still active, the check fails on its own answer: a different test.
        return rows[0]?.state === 'idle' && rows[0]?.query === 'SELECT 1';
      },
      10_000,
      () => 'the server did not answer',
    );
    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    await waitUntil(
      async () => (await holder()) === undefined,
      10_000,
      () => 'the session did not end',
    );
    expect(await tryLock(await other())).toBe(true);
    proxy?.release();
    expect(await asked).toBe(
      "STATE_UNREACHABLE state store (postgres): the lead's connection failed (it ended as it answered)",
    );
  });

  it('is unsure when the lock connection does not answer within a third of the lease', async () => {
    const clock = new FakeClock();
    const events: string[] = [];
    const l = await lead(clock, events);
    proxy?.stall();
    const asked = l.confirm();
    const outcome = asked.then(
      () => 'answered',
      (err: StateError) => `${err.code} ${err.message}`,
    );
    await clock.advance(1_000);
    expect(await outcome).toBe(
      "STATE_UNREACHABLE state store (postgres): the lead's connection failed (no answer within a third of the lease)",
    );
    expect(events).toEqual(['unsure STATE_UNREACHABLE']);
  });

  it('a standby whose waiting session ended unheard waits again, and takes the lead once it is free', async () => {
    const clock = new FakeClock();
    const leader = await other();
    expect(await tryLock(leader)).toBe(true);
    const admin = await other();
    const waiter = async () =>
      (
        await admin.query(
          `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND classid = $1::bigint::oid
             AND objid = 2 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
          [LOCK_SPACE],
        )
      ).rows[0]?.pid as number | undefined;
    proxy = await startTcpProxy('127.0.0.1', Number(new URL(suite.db.url).port || 5432));
    const events: string[] = [];
    let lead: Leadership | undefined;
    void acquireLeadership({
      url: proxy.through(suite.db.url),
      lease: 3_000,
      connectTimeout: 2_000,
      clock,
      onStandby: (held) => events.push(`standby ${held}`),
      onWaiting: (err) => events.push(err ? `waiting ${err.code}` : 'waiting over'),
    }).then((l) => {
      lead = l;
      leaderships.push(l);
    });
    await waitUntil(
      async () => (await waiter()) !== undefined,
      10_000,
      () => 'the standby never waited',
    );
    const pid = (await waiter()) as number;
    // The server ends the waiting session and the lock comes free, and the standby hears neither.
    proxy.holdAnswers();
    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    await leader.query('SELECT pg_advisory_unlock($1, 2)', [LOCK_SPACE]);
    // A third of the lease on, it looks from a connection of its own: the session is gone, so it waits again.
    await advanceUntil(clock, () => lead !== undefined);
    expect(events).toEqual(['standby true', 'waiting STATE_UNREACHABLE']);
    expect(await tryLock(await other())).toBe(false);
  });

  it('loses the lead when another took the lock meanwhile', async () => {
    const clock = new FakeClock();
    const events: string[] = [];
    const l = await lead(clock, events);
    const standby = await other();
    const waiting = standby.query('SELECT pg_advisory_lock($1, 2)', [LOCK_SPACE]);
    await proxy?.cut();
    // The server ended the cut session: the standby's wait is over.
    await waiting;
    await proxy?.restore();
    let err: Error | undefined;
    void l.lost.then((e) => {
      err = e;
    });
    await advanceUntil(clock, () => err !== undefined);
    expect(err).toMatchObject({ code: 'STATE_FENCED', message: expect.stringMatching(/the lead was lost/) });
    expect(events).toEqual(['unsure STATE_UNREACHABLE']);
  });
});
