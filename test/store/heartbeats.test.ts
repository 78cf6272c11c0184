// The push heartbeats' records, on both stores: when centinela first saw each one, its last ping, its last good ping
// and the failure a ping reported; a reopened store (PostgreSQL: what was committed) goes on from them.
import { describe, expect, it } from 'vitest';
import { STORE_KINDS, useStores } from '../support/stores.js';

const T0 = Date.UTC(2026, 0, 5, 10, 0, 0);

describe.each(STORE_KINDS)('HeartbeatStore ($name)', (kind) => {
  useStores(kind);

  it('keeps when a heartbeat was first seen, whatever is seen or pinged later', async () => {
    const s = (await kind.open()).store;
    expect(s.heartbeats.seen('backup', T0)).toEqual({ name: 'backup', firstSeenAt: T0, failed: false });
    expect(s.heartbeats.seen('backup', T0 + 60_000)).toEqual({ name: 'backup', firstSeenAt: T0, failed: false });
    expect(s.heartbeats.ping('backup', T0 + 120_000, { ok: true }).firstSeenAt).toBe(T0);
    // A first ping is also a first sighting.
    expect(s.heartbeats.ping('bot', T0 + 5, { ok: true })).toEqual({
      name: 'bot',
      firstSeenAt: T0 + 5,
      lastPingAt: T0 + 5,
      lastOkAt: T0 + 5,
      failed: false,
    });
  });

  it('a failed ping keeps the last good one and its detail; the next good ping clears both', async () => {
    const s = (await kind.open()).store;
    s.heartbeats.ping('backup', T0, { ok: true });
    expect(s.heartbeats.ping('backup', T0 + 3_600_000, { ok: false, detail: 'pg_dump: connection refused' })).toEqual({
      name: 'backup',
      firstSeenAt: T0,
      lastPingAt: T0 + 3_600_000,
      lastOkAt: T0,
      failed: true,
      detail: 'pg_dump: connection refused',
    });
    expect(s.heartbeats.ping('backup', T0 + 7_200_000, { ok: false })).toMatchObject({ failed: true, lastOkAt: T0 });
    expect(s.heartbeats.ping('backup', T0 + 7_200_000, { ok: false })).not.toHaveProperty('detail');
    expect(s.heartbeats.ping('backup', T0 + 10_800_000, { ok: true })).toEqual({
      name: 'backup',
      firstSeenAt: T0,
      lastPingAt: T0 + 10_800_000,
      lastOkAt: T0 + 10_800_000,
      failed: false,
    });
  });

  it('a reopened store goes on from the records', async () => {
    const opened = await kind.open();
    opened.store.heartbeats.seen('bot', T0);
    opened.store.heartbeats.ping('backup', T0 + 60_000, { ok: false, detail: 'disk full' });
    await opened.reopen();
    expect(opened.store.heartbeats.seen('bot', T0 + 120_000)).toEqual({ name: 'bot', firstSeenAt: T0, failed: false });
    expect(opened.store.heartbeats.ping('backup', T0 + 180_000, { ok: true })).toEqual({
      name: 'backup',
      firstSeenAt: T0 + 60_000,
      lastPingAt: T0 + 180_000,
      lastOkAt: T0 + 180_000,
      failed: false,
    });
  });
});
