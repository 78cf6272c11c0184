// The heartbeat probe over a real SQLite store on a fake clock: silence counts from the last successful ping, or from
// when centinela first saw the probe (durable across a restart), a /fail holds `failed` until a success, and without
// the daemon's pings (a one-off `centinela probe`) it refuses to start instead of measuring nothing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { type HeartbeatProbeConfig, probeConfig } from '../../src/config/probes.js';
import heartbeat from '../../src/probes/heartbeat.js';
import { createProbe } from '../../src/probes/index.js';
import { openStore, type SqliteStore } from '../../src/store/sqlite.js';
import { sampleValue } from '../support/probe-runs.js';

const log = pino({ level: 'silent' });
const dir = mkdtempSync(join(tmpdir(), 'centinela-heartbeat-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const config = (keys: Record<string, unknown> = {}) =>
  probeConfig.parse({
    name: 'backup',
    kind: 'heartbeat',
    every: '1m',
    expect_every: '7d',
    grace: '3h',
    ...keys,
  }) as HeartbeatProbeConfig;

function probeOver(store: SqliteStore, clock: FakeClock, keys: Record<string, unknown> = {}) {
  const probe = heartbeat.create(config(keys), { log, clock, heartbeats: (n, at) => store.heartbeats.seen(n, at) });
  return async () => {
    const result = await probe.run({ signal: new AbortController().signal, clock, log });
    if (!result.up) throw new Error(`expected up: ${result.reason}`);
    return {
      since: sampleValue(result.samples, 'seconds_since_ping'),
      failed: sampleValue(result.samples, 'failed'),
      overdue: sampleValue(result.samples, 'overdue'),
      detail: result.detail,
    };
  };
}

describe('heartbeat probe', () => {
  it('counts from when centinela first saw it, across a restart, until the first ping', async () => {
    const clock = new FakeClock(Date.parse('2026-05-03T00:00:00Z'));
    const path = join(dir, 'restart.db');
    let store = openStore(path);
    let run = probeOver(store, clock);
    expect(await run()).toMatchObject({ since: 0, failed: 0, overdue: 0 });
    await clock.advance(3_600_000);
    store.close();
    // A restart does not reset the silence: the first sighting is in the state file.
    store = openStore(path);
    run = probeOver(store, clock);
    const r = await run();
    expect(r).toMatchObject({ since: 3600, failed: 0, overdue: 0 });
    expect(r.detail).toBe(
      'no ping yet in the 1h since centinela first saw this heartbeat (expected every 7d + 3h grace)',
    );
    await clock.advance(7 * 86_400_000 + 3 * 3_600_000 - 3_600_000);
    expect(await run()).toMatchObject({ since: 7 * 86_400 + 3 * 3_600, overdue: 0 });
    await clock.advance(1_000);
    expect(await run()).toMatchObject({ overdue: 1 });
    store.close();
  });

  it('measures from the last successful ping; a failure holds failed = 1 with its body until a success', async () => {
    const clock = new FakeClock(Date.parse('2026-05-03T02:00:00Z'));
    const store = openStore(':memory:');
    const run = probeOver(store, clock);
    await run();
    store.heartbeats.ping('backup', clock.now(), { ok: true });
    await clock.advance(90_000);
    expect(await run()).toMatchObject({
      since: 90,
      failed: 0,
      detail: 'last ping 1m30s ago (expected every 7d + 3h grace)',
    });
    store.heartbeats.ping('backup', clock.now(), { ok: false, detail: 'pg_dump: connection refused' });
    await clock.advance(10_000);
    const failed = await run();
    // A failure is not a success: the silence still counts from the last good ping.
    expect(failed).toMatchObject({ since: 100, failed: 1 });
    expect(failed.detail).toContain('the last ping was a failure: pg_dump: connection refused');
    store.heartbeats.ping('backup', clock.now(), { ok: true });
    expect(await run()).toMatchObject({ since: 0, failed: 0 });
    store.close();
  });

  it('does not start without the daemon’s pings, and says why', async () => {
    const probe = createProbe(config(), { log, clock: new FakeClock() });
    const result = await probe.run({ signal: new AbortController().signal, clock: new FakeClock(), log });
    expect(result).toEqual({
      up: false,
      reason:
        'probe "backup" (heartbeat) could not start: its pings are kept by the running daemon; see them in `centinela run`',
    });
  });

  it('takes a ping secret of 16 characters or more, and none when empty', () => {
    expect(config({ secret: 'a'.repeat(16) }).secret?.reveal()).toBe('a'.repeat(16));
    expect(config({ secret: '' }).secret).toBeUndefined();
    expect(() => config({ secret: 'short' })).toThrow(/shorter than 16 characters/);
  });
});
