// The outbox worker on the PostgreSQL store sends a message only once its claim is committed there: a store another
// centinela took over (fenced) sends nothing more, and a claim that cannot be saved is put back and sent once the
// database takes writes again.
import { describe, expect, it } from 'vitest';
import { OutboxWorker } from '../../src/engine/delivery.js';
import type { NotificationItem } from '../../src/notifiers/notifier.js';
import type { PostgresStore } from '../../src/store/postgres.js';
import { deliveryWorld, makeAlert } from '../support/escalation-fixtures.js';
import { captureLog } from '../support/log-capture.js';
import { usePostgres } from '../support/stores.js';

const w = deliveryWorld();
const suite = usePostgres();
const { open } = suite;

/** A page for the CTO over the webhook only, written and committed. */
async function pageWritten(store: PostgresStore): Promise<void> {
  const alert = makeAlert();
  store.incidents.enqueue({
    key: 'page-1',
    incidentId: null,
    kind: 'firing',
    contact: 'cto',
    groupKey: 'ApiDown',
    item: { key: 'page-1', kind: 'firing', alert } as NotificationItem,
    createdAt: w.clock.now(),
    groupWait: 0,
  });
  await store.flush();
}

function worker(store: PostgresStore, log = captureLog(w.clock), random?: () => number): OutboxWorker {
  return new OutboxWorker({
    ...(random ? { random } : {}),
    store: store.incidents,
    committed: () => store.deliverable(),
    config: w.config({ contacts: { cto: { channels: ['hook'] } } }),
    clock: w.clock,
    log: log.log,
  });
}

describe('outbox worker on PostgreSQL', () => {
  it('sends nothing once another centinela took the store over; the new one sends it', async () => {
    const old = await open();
    await pageWritten(old);
    const next = await open();
    const log = captureLog(w.clock);
    expect(await worker(old, log).runOnce()).toBe(1);
    expect(w.hook.requests).toHaveLength(0);
    expect(log.lines().map((l) => l.msg)).toContainEqual(
      expect.stringMatching(/^outbox: nothing more is sent: .*took it over/),
    );
    expect(await worker(next).runOnce()).toBe(1);
    expect(w.hook.requests).toHaveLength(1);
    await next.flush();
    expect((await suite.sql.query('SELECT state FROM outbox')).rows).toEqual([{ state: 'delivered' }]);
  });

  it('puts back a claim it cannot save, and sends it once the database takes writes again', async () => {
    const store = await open();
    await pageWritten(store);
    await suite.sql.query('ALTER TABLE outbox RENAME TO outbox_away');
    const log = captureLog(w.clock);
    const wk = worker(store, log);
    expect(await wk.runOnce()).toBe(1);
    expect(w.hook.requests).toHaveLength(0);
    expect(store.incidents.outboxByKey('page-1')?.state).toBe('pending');
    expect(log.lines().map((l) => l.msg)).toContainEqual(
      expect.stringMatching(/^outbox: not sent yet, the rows wait: /),
    );
    await suite.sql.query('ALTER TABLE outbox_away RENAME TO outbox');
    expect(await wk.runOnce()).toBe(1);
    expect(w.hook.requests).toHaveLength(1);
    await store.flush();
    expect((await suite.sql.query('SELECT state FROM outbox')).rows).toEqual([{ state: 'delivered' }]);
  });

  it('saves a failed send with its retry time, jitter and all, and sends it again then', async () => {
    // The jittered backoff was a fraction of a millisecond, which a BIGINT column refuses: every later write failed.
    const store = await open();
    await pageWritten(store);
    w.hook.otherwise({ status: 500 });
    const wk = worker(store, captureLog(w.clock), () => 0.3333);
    expect(await wk.runOnce()).toBe(1);
    await store.flush();
    const [row] = (await suite.sql.query('SELECT state, next_attempt_at FROM outbox')).rows;
    expect(row.state).toBe('pending');
    expect(Number.isInteger(Number(row.next_attempt_at))).toBe(true);
    w.hook.otherwise({ status: 200 });
    await w.clock.advanceTo(Number(row.next_attempt_at));
    expect(await wk.runOnce()).toBe(1);
    await store.flush();
    expect(w.hook.requests).toHaveLength(2);
    expect((await suite.sql.query('SELECT state FROM outbox')).rows).toEqual([{ state: 'delivered' }]);
  });

  it('asks again when the lane goes on long after it asked: frozen meanwhile and replaced, it sends nothing', async () => {
    // As a leader frozen (SIGSTOP) between its claim found durable and its lane going on, woken after a standby took
    // over: its flush has nothing left to write, so only asking again makes the store read the term before the send.
    const old = await open({ clock: w.clock, lease: 3_000 });
    await pageWritten(old);
    let asks = 0;
    const wk = new OutboxWorker({
      store: old.incidents,
      committed: async () => {
        asks++;
        await old.deliverable();
        if (asks === 1) {
          await open();
          await w.clock.advance(5_000);
        }
      },
      config: w.config({ contacts: { cto: { channels: ['hook'] } } }),
      clock: w.clock,
      log: captureLog(w.clock).log,
    });
    expect(await wk.runOnce()).toBe(1);
    expect(asks).toBe(2);
    expect(w.hook.requests).toHaveLength(0);
    expect(await old.fenced).toMatchObject({ code: 'STATE_FENCED' });
  });
});
