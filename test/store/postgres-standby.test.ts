// The standby's copy of the shared state (postgres-standby.ts) and the writes it hands to the active
// (postgres-requests.ts), over the machine's PostgreSQL, on a fake clock: when the copy looks and reloads, when it
// counts as stale, and that a handed-over write is applied once or, when no active takes it in time, never.
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import {
  type Forwarded,
  type ForwardedRequest,
  RequestDesk,
  RequestForwarder,
} from '../../src/store/postgres-requests.js';
import { openStandbyState } from '../../src/store/postgres-standby.js';
import { silenceOf, usePostgres } from '../support/stores.js';
import { freePort } from '../support/tcp-target.js';
import { waitUntil } from '../support/wait-until.js';

const suite = usePostgres();

/** Moves the fake clock a step at a time, each once the real I/O before it armed a timer, until `done` settles. */
async function driveUntil<T>(clock: FakeClock, done: Promise<T>, step = 100): Promise<T> {
  let settled = false;
  void done.finally(() => {
    settled = true;
  });
  while (!settled) {
    await waitUntil(
      () => settled || clock.pending > 0,
      5_000,
      () => 'no timer armed and nothing settled',
    );
    if (!settled) await clock.advance(step);
  }
  return done;
}

describe('the standby copy', () => {
  it('loads the state without taking a term and reloads it at the first look after the active wrote', async () => {
    const active = await suite.open();
    active.alerts.addSilence(silenceOf('before'));
    await active.flush();
    const clock = new FakeClock();
    const copy = openStandbyState({ url: suite.db.url, connectTimeout: 5_000, clock, every: 1_000 });
    try {
      await copy.settled();
      expect(copy.term).toBe(active.term);
      expect(copy.store.open).toBe(true);
      expect(copy.store.alerts.getSilence('before')?.owner).toBe('ana');

      active.alerts.addSilence(silenceOf('after'));
      await active.flush();
      await clock.advance(999);
      await copy.settled();
      expect(copy.store.alerts.getSilence('after')).toBeUndefined();
      await clock.advance(1);
      await copy.settled();
      expect(copy.store.alerts.getSilence('after')?.id).toBe('after');

      // It took no term: the active still commits.
      active.alerts.addSilence(silenceOf('still'));
      await expect(active.flush()).resolves.toBeUndefined();
    } finally {
      await copy.close();
    }
  });

  it('reads a new term as a takeover and loads the state again', async () => {
    const first = await suite.open();
    const clock = new FakeClock();
    const copy = openStandbyState({ url: suite.db.url, connectTimeout: 5_000, clock, every: 1_000 });
    try {
      await copy.settled();
      expect(copy.term).toBe(first.term);
      const second = await suite.open();
      await clock.advance(1_000);
      await copy.settled();
      expect(copy.term).toBe(second.term);
    } finally {
      await copy.close();
    }
  });

  it('counts as stale once no look confirmed it for staleAfter, telling the outage once', async () => {
    const clock = new FakeClock();
    const errors: Error[] = [];
    const url = `postgres://centinela:hunter2@127.0.0.1:${await freePort()}/nowhere`;
    const copy = openStandbyState({
      url,
      connectTimeout: 1_000,
      clock,
      every: 1_000,
      onError: (err) => errors.push(err),
    });
    try {
      for (let i = 0; i < 3; i++) {
        await copy.settled();
        await clock.advance(1_000);
      }
      await copy.settled();
      expect(copy.store.open).toBe(false);
      expect(copy.term).toBeUndefined();
      expect(errors.map((e) => e.message)).toEqual([
        'state store (postgres): the standby cannot refresh its copy (ECONNREFUSED)',
      ]);
    } finally {
      await copy.close();
    }
  });
});

describe('writes handed from the standby to the active', () => {
  const ack: ForwardedRequest = {
    method: 'POST',
    url: '/api/v1/alerts/a1/ack',
    headers: { 'content-type': 'application/json' },
    body: '{"by":"ana"}',
  };

  const ANSWER = { status: 200, headers: { 'content-type': 'application/json' }, body: '{"ack":{"by":"ana"}}' };

  /** The standby's side on the suite's database (or `url`): waits `within` (5 s), looking every 100 ms. */
  const forwarderOn = (
    clock: FakeClock,
    {
      url = suite.db.url,
      within = 5_000,
      onError = () => {},
    }: Partial<{ url: string; within: number; onError: (err: Error) => void }> = {},
  ) => new RequestForwarder({ url, connectTimeout: 1_000, clock, within, every: 100, onError });

  /** The active's side, answering every request with ANSWER and recording what it applied. */
  const recordingDesk = (clock: FakeClock) => {
    const applied: ForwardedRequest[] = [];
    const desk = new RequestDesk({
      url: suite.db.url,
      connectTimeout: 5_000,
      clock,
      every: 250,
      fresh: 5_000,
      answer: async (r) => {
        applied.push(r);
        return ANSWER;
      },
      onError: (err) => {
        throw err;
      },
    });
    return { desk, applied };
  };

  it('the active answers each once, and the caller gets its answer', async () => {
    const clock = new FakeClock();
    const { desk, applied } = recordingDesk(clock);
    const forwarder = forwarderOn(clock);
    try {
      desk.start();
      await desk.settled();
      const result = await driveUntil(clock, forwarder.forward(ack));
      expect(result).toEqual({ kind: 'answered', answer: ANSWER } satisfies Forwarded);
      expect(applied).toEqual([ack]);
      // The row is gone: nothing is left for a later look to apply again.
      expect((await suite.sql.query('SELECT count(*)::int AS n FROM centinela_requests')).rows[0].n).toBe(0);
    } finally {
      await desk.stop();
      await forwarder.close();
    }
  });

  it('with no active, the caller is told after `within` and the write is never applied later', async () => {
    const clock = new FakeClock();
    const forwarder = forwarderOn(clock);
    const started = clock.now();
    const result = await driveUntil(clock, forwarder.forward(ack));
    expect(result).toEqual({ kind: 'not-applied' });
    expect(clock.now() - started).toBe(5_000);
    await forwarder.close();

    const { desk, applied } = recordingDesk(clock);
    desk.start();
    await desk.settled();
    await desk.stop();
    expect(applied).toEqual([]);
  });

  it('a request a standby left waiting when it ended is never taken by a later active, and is pruned', async () => {
    const clock = new FakeClock();
    // A forward that created the table, withdrawn: then a row as a standby killed mid-wait leaves it, 6 s old.
    const forwarder = forwarderOn(clock, { within: 100 });
    await driveUntil(clock, forwarder.forward(ack));
    await forwarder.close();
    await suite.sql.query(
      `INSERT INTO centinela_requests (state, request, created_at)
       VALUES ('waiting', $1, (extract(epoch FROM clock_timestamp()) * 1000)::bigint - 6000),
              ('waiting', $1, (extract(epoch FROM clock_timestamp()) * 1000)::bigint - 11 * 60000)`,
      [JSON.stringify(ack)],
    );
    const { desk, applied } = recordingDesk(clock);
    desk.start();
    await desk.settled();
    await desk.stop();
    expect(applied).toEqual([]);
    const left = await suite.sql.query(`SELECT state FROM centinela_requests`);
    expect(left.rows).toEqual([{ state: 'waiting' }]);
  });

  it('giveUp (the standby took the lead) withdraws a waiting write at once, without waiting out `within`', async () => {
    const clock = new FakeClock();
    const forwarder = forwarderOn(clock);
    const forwarded = forwarder.forward(ack);
    await waitUntil(
      () => clock.pending > 0,
      5_000,
      () => 'the forward never waited',
    );
    const started = clock.now();
    forwarder.giveUp();
    expect(await forwarded).toEqual({ kind: 'not-applied' });
    expect(clock.now()).toBe(started);
    expect((await suite.sql.query('SELECT count(*)::int AS n FROM centinela_requests')).rows[0].n).toBe(0);
    await forwarder.close();
  });

  it('with PostgreSQL unreachable, the caller is told at once and the error names no part of the URL', async () => {
    const clock = new FakeClock();
    const errors: Error[] = [];
    const url = `postgres://centinela:hunter2@127.0.0.1:${await freePort()}/nowhere`;
    const forwarder = forwarderOn(clock, { url, onError: (err) => errors.push(err) });
    expect(await forwarder.forward(ack)).toEqual({ kind: 'not-applied' });
    expect(errors.map((e) => e.message)).toEqual([
      'state store (postgres): cannot hand a write to the active (ECONNREFUSED)',
    ]);
    await forwarder.close();
  });
});
