import { readdirSync, readlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { WindowRecord } from '../../src/rules/alert-records.js';
import { inactive } from '../../src/rules/state-machine.js';
import { openDb } from '../../src/store/sqlite-db.js';
import { probe, RulesHarness, summarize, tempStatePath } from '../support/rules.js';
import { STORE_KINDS, silenceOf, useStores } from '../support/stores.js';

const open: { close(): void }[] = [];
afterEach(() => {
  for (const o of open.splice(0)) o.close();
});

describe.each(STORE_KINDS)('AlertStore ($name)', (kind) => {
  useStores(kind);

  it('draws its installation number once and keeps it across a reopen', async () => {
    const o = await kind.open();
    const drawn = o.store.alerts.installation();
    expect(Number.isSafeInteger(drawn)).toBe(true);
    expect(o.store.alerts.installation()).toBe(drawn);
    await o.store.flush();
    await o.reopen();
    expect(o.store.alerts.installation()).toBe(drawn);
  });

  it('round-trips an instance and moves the generation, across a reopen', async () => {
    const o = await kind.open();
    const s = () => o.store.alerts;
    expect(s().generation()).toBe(0);
    const inst = {
      ...inactive(1_000),
      state: 'firing' as const,
      priority: 'P1' as const,
      threshold: 0.5,
      value: 0.7,
      failures: 2,
      pendingSince: 900,
      activeSince: 1_000,
      changes: [1_000],
      told: { firing: true, priority: 'P1' as const, held: true, flapping: false },
    };
    s().save(
      [{ id: 'a1', rule: 'ApiLatencyHigh', labels: { route: '/x', alertname: 'ApiLatencyHigh' }, inst }],
      [],
      1,
      1_000,
    );
    expect(s().generation()).toBe(1);
    expect(s().loadInstances()).toEqual([
      { id: 'a1', rule: 'ApiLatencyHigh', labels: { route: '/x', alertname: 'ApiLatencyHigh' }, inst },
    ]);
    s().save([{ id: 'a1', rule: 'ApiLatencyHigh', labels: {}, inst: { ...inst, state: 'resolved' } }], [], 2, 2_000);
    expect(s().getInstance('a1')?.inst.state).toBe('resolved');
    expect(s().loadInstances()).toHaveLength(1);
    await o.reopen();
    expect(s().generation()).toBe(2);
    expect(s().loadInstances()).toEqual([
      {
        id: 'a1',
        rule: 'ApiLatencyHigh',
        labels: { route: '/x', alertname: 'ApiLatencyHigh' },
        inst: { ...inst, state: 'resolved' },
      },
    ]);
  });

  it('round-trips a pending alert kept back for a cause (migration 6)', async () => {
    const o = await kind.open();
    const s = () => o.store.alerts;
    const waiting = {
      ...inactive(1_000),
      state: 'pending' as const,
      failures: 3,
      pendingSince: 900,
      awaitingCause: true,
    };
    s().save([{ id: 'w', rule: 'WebSocketDown', labels: {}, inst: waiting }], [], 1, 1_000);
    expect(s().getInstance('w')?.inst).toEqual(waiting);
    s().save(
      [{ id: 'w', rule: 'WebSocketDown', labels: {}, inst: { ...waiting, awaitingCause: false } }],
      [],
      2,
      2_000,
    );
    expect(s().getInstance('w')?.inst.awaitingCause).toBe(false);
    await o.reopen();
    expect(s().getInstance('w')?.inst).toEqual({ ...waiting, awaitingCause: false });
  });

  it('round-trips the clear runs of a firing alert towards after_successes (migration 8)', async () => {
    const o = await kind.open();
    const s = () => o.store.alerts;
    const clearing = {
      ...inactive(1_000),
      state: 'firing' as const,
      priority: 'P0' as const,
      activeSince: 1_000,
      clearingSince: 5_000,
      successes: 2,
      told: { firing: true, priority: 'P0' as const, held: false, flapping: false },
    };
    s().save([{ id: 'c', rule: 'ApiDown', labels: {}, inst: clearing }], [], 1, 6_000);
    expect(s().getInstance('c')?.inst).toEqual(clearing);
    await o.reopen();
    expect(s().getInstance('c')?.inst).toEqual(clearing);
  });

  it('keeps history newest first, per alert', async () => {
    const o = await kind.open();
    const s = () => o.store.alerts;
    const entry = (alertId: string, at: number, what: string) => ({
      alertId,
      at,
      kind: 'state' as const,
      what,
      priority: 'P2' as const,
      value: 1,
      suppressedBy: [{ kind: 'silenced' as const, id: 'sil_1' }],
    });
    s().save([], [entry('a', 1, 'pending'), entry('a', 2, 'firing'), entry('b', 3, 'firing')], 1, 3);
    expect(
      s()
        .history('a')
        .map((h) => h.what),
    ).toEqual(['firing', 'pending']);
    expect(s().history('a', 1)[0]?.suppressedBy).toEqual([{ kind: 'silenced', id: 'sil_1' }]);
    await o.reopen();
    expect(
      s()
        .history('a')
        .map((h) => h.what),
    ).toEqual(['firing', 'pending']);
    expect(s().history('b')).toEqual([entry('b', 3, 'firing')]);
  });

  it('prunes old history and instances at rest with nothing open, and the prune holds across a reopen', async () => {
    const o = await kind.open();
    const s = () => o.store.alerts;
    const entry = (alertId: string, at: number) => ({
      alertId,
      at,
      kind: 'state' as const,
      what: 'firing',
      priority: 'P1' as const,
      value: 1,
      suppressedBy: [],
    });
    const resting = { ...inactive(1_000), state: 'resolved' as const };
    const firing = {
      ...inactive(1_000),
      state: 'firing' as const,
      priority: 'P1' as const,
      activeSince: 1_000,
      told: { firing: true, priority: 'P1' as const, held: false, flapping: false },
    };
    s().save(
      [
        { id: 'gone', rule: 'R', labels: {}, inst: resting },
        { id: 'kept', rule: 'R', labels: {}, inst: firing },
      ],
      [entry('gone', 500), entry('kept', 5_000)],
      1,
      5_000,
    );
    s().prune(2_000);
    await o.reopen();
    expect(
      s()
        .loadInstances()
        .map((i) => i.id),
    ).toEqual(['kept']);
    expect(s().history('gone')).toEqual([]);
    expect(s().history('kept')).toEqual([entry('kept', 5_000)]);
  });

  it('keeps expired silences and closed windows; a late update never reopens a closed window', async () => {
    const o = await kind.open();
    const s = () => o.store.alerts;
    s().addSilence(silenceOf('sil_1'));
    s().expireSilence('sil_1', 50, 'luis');
    expect(s().getSilence('sil_1')).toMatchObject({ endsAt: 50, expiredAt: 50, expiredBy: 'luis' });
    expect(s().liveSilences(60)).toEqual([]);
    expect(s().listSilences()).toHaveLength(1);
    const w = windowRecord('win_1');
    s().addWindow(w);
    s().updateWindow({ ...w, closedAt: 10, closedBy: 'ana', outcome: 'closed' });
    s().updateWindow({ ...w, failed: ['api_health'] });
    expect(s().getWindow('win_1')).toMatchObject({ closedAt: 10, outcome: 'closed', failed: [] });
    expect(s().openWindows()).toEqual([]);
    await o.reopen();
    expect(s().listSilences()).toEqual([expect.objectContaining({ id: 'sil_1', endsAt: 50, expiredBy: 'luis' })]);
    expect(s().listWindows()).toEqual([expect.objectContaining({ id: 'win_1', closedAt: 10, outcome: 'closed' })]);
  });

  it('prune forgets silences and one-shot windows that ended before its horizon, and keeps the rest', async () => {
    const o = await kind.open();
    const s = () => o.store.alerts;
    s().addSilence({ ...silenceOf('ended'), endsAt: 1_000 });
    s().addSilence({ ...silenceOf('expired'), endsAt: 9_000 });
    s().expireSilence('expired', 1_500, 'luis');
    s().addSilence({ ...silenceOf('at-horizon'), endsAt: 2_000 });
    s().addSilence({ ...silenceOf('live'), endsAt: 9_000 });
    s().addWindow(windowRecord('closed'));
    s().updateWindow({ ...windowRecord('closed'), closedAt: 1_000, outcome: 'healthy' });
    s().addWindow(windowRecord('closed-later'));
    s().updateWindow({ ...windowRecord('closed-later'), closedAt: 3_000, outcome: 'closed' });
    s().addWindow(windowRecord('open'));
    s().prune(2_000);
    await o.reopen();
    expect(
      s()
        .listSilences()
        .map((x) => x.id)
        .sort(),
    ).toEqual(['at-horizon', 'live']);
    expect(
      s()
        .listWindows()
        .map((x) => x.id)
        .sort(),
    ).toEqual(['closed-later', 'open']);
  });

  it("keeps a deploy's output on its window, closed or not, and the command's end only once", async () => {
    const o = await kind.open();
    const s = () => o.store.alerts;
    const w = windowRecord('win_2');
    s().addWindow(w);
    s().recordWindowOutput('win_2', 'step 1', undefined);
    expect(s().getWindow('win_2')).toMatchObject({ rollback: true, budget: 60, output: 'step 1' });
    s().recordWindowOutput('win_2', 'step 1\nstep 2', 50);
    s().updateWindow({ ...w, closedAt: 70, outcome: 'healthy' });
    s().recordWindowOutput('win_2', 'step 1\nstep 2\ndone', 90);
    expect(s().getWindow('win_2')).toMatchObject({ commandEndedAt: 50, output: 'step 1\nstep 2\ndone', closedAt: 70 });
    await o.reopen();
    expect(s().getWindow('win_2')).toEqual({
      ...w,
      closedAt: 70,
      outcome: 'healthy',
      commandEndedAt: 50,
      output: 'step 1\nstep 2\ndone',
    });
  });
});

const rules = {
  probes: [probe('api'), probe('api_health')],
  rules: [
    { name: 'ApiLatencyHigh', sample: 'api.latency_p95_seconds', op: '>', thresholds: { P1: 0.5, P2: 0.2 } },
    { name: 'ApiDown', sample: 'api_health.up', op: '==', thresholds: { P0: 0 }, after_failures: 3 },
  ],
  evaluation: { flapping: { changes: 4, window: '1h' } },
};

describe('restart: evaluate, close the store, reopen in a new evaluator, continue', () => {
  it('a firing alert is not told again, and its resolution is not lost', async () => {
    const h = new RulesHarness(rules);
    open.push(h);
    expect(summarize(h.run('api', { latency_p95_seconds: 0.6 }))).toEqual(['firing ApiLatencyHigh P1']);
    h.restart();
    await h.advance(30_000);
    expect(h.run('api', { latency_p95_seconds: 0.6 })).toEqual([]);
    h.restart();
    await h.advance(30_000);
    expect(summarize(h.run('api', { latency_p95_seconds: 0.3 }))).toEqual(['priority-changed ApiLatencyHigh P1→P2']);
    h.restart();
    expect(summarize(h.run('api', { latency_p95_seconds: 0.1 }))).toEqual(['resolved ApiLatencyHigh P2']);
    h.restart();
    expect(h.run('api', { latency_p95_seconds: 0.1 })).toEqual([]);
  });

  it('consecutive failures count across a restart', () => {
    const h = new RulesHarness(rules);
    open.push(h);
    h.down('api_health');
    h.down('api_health');
    h.restart();
    expect(summarize(h.down('api_health'))).toEqual(['firing ApiDown P0']);
  });

  it('an evaluation that was never committed (crash) is evaluated again: nothing lost, nothing doubled', () => {
    const h = new RulesHarness(rules);
    open.push(h);
    h.run('api', { latency_p95_seconds: 0.6 });
    const ev = h.evaluator.evaluate([
      {
        probe: 'api',
        up: true,
        samples: [{ name: 'api.latency_p95_seconds', labels: {}, value: 0.1 }],
        at: h.clock.now(),
      },
    ]);
    expect(summarize(ev.events)).toEqual(['resolved ApiLatencyHigh P1']);
    h.restart(); // the process died before commit
    expect(summarize(h.run('api', { latency_p95_seconds: 0.1 }))).toEqual(['resolved ApiLatencyHigh P1']);
    h.restart();
    expect(h.run('api', { latency_p95_seconds: 0.1 })).toEqual([]);
  });

  it('a commit rolled back with the notifications it went with is redone by the next evaluation', () => {
    const h = new RulesHarness(rules);
    open.push(h);
    const ev = h.evaluator.evaluate([
      {
        probe: 'api',
        up: true,
        samples: [{ name: 'api.latency_p95_seconds', labels: {}, value: 0.6 }],
        at: h.clock.now(),
      },
    ]);
    expect(() =>
      h.db.transaction(() => {
        ev.commit();
        throw new Error('outbox insert failed');
      })(),
    ).toThrow('outbox insert failed');
    expect(h.db.prepare('SELECT count(*) FROM alert_instances').pluck().get()).toBe(0);
    expect(summarize(h.run('api', { latency_p95_seconds: 0.6 }))).toEqual(['firing ApiLatencyHigh P1']);
    expect(h.run('api', { latency_p95_seconds: 0.6 })).toEqual([]);
  });

  it('refuses to commit an evaluation twice or out of order', () => {
    const h = new RulesHarness(rules);
    open.push(h);
    const first = h.evaluator.evaluate([
      { probe: 'api', up: true, samples: [{ name: 'api.latency_p95_seconds', labels: {}, value: 0.6 }], at: 0 },
    ]);
    const second = h.evaluator.evaluate([
      { probe: 'api', up: true, samples: [{ name: 'api.latency_p95_seconds', labels: {}, value: 0.6 }], at: 0 },
    ]);
    first.commit();
    expect(() => first.commit()).toThrow('stale');
    expect(() => second.commit()).toThrow('stale');
  });

  it('a silence and the hold it put on a firing alert survive; its end releases the alert once', async () => {
    const h = new RulesHarness(rules);
    open.push(h);
    h.run('api', { latency_p95_seconds: 0.3 });
    h.evaluator.api.createSilence({
      matchers: [{ label: 'alertname', op: '=', value: 'ApiLatencyHigh' }],
      endsAt: h.clock.now() + 600_000,
      owner: 'ana',
      reason: 'known slow deploy',
    });
    expect(summarize(h.tick())).toEqual(['firing ApiLatencyHigh P2 held:silenced']);
    h.restart();
    expect(h.tick()).toEqual([]);
    await h.advance(600_000);
    h.restart();
    // Released: it pages at its probe's next run that still breaches, once.
    expect(h.tick()).toEqual([]);
    await h.advance(1000);
    expect(summarize(h.run('api', { latency_p95_seconds: 0.3 }))).toEqual(['firing ApiLatencyHigh P2']);
    expect(h.tick()).toEqual([]);
  });

  it('flapping history survives a restart', async () => {
    const h = new RulesHarness(rules);
    open.push(h);
    for (const v of [0.3, 0.1, 0.3, 0.1]) {
      h.run('api', { latency_p95_seconds: v });
      await h.advance(10_000);
      h.restart();
    }
    expect(summarize(h.run('api', { latency_p95_seconds: 0.3 }))).toEqual(['flapping ApiLatencyHigh P2']);
  });

  it('writes only the instances that changed', () => {
    const h = new RulesHarness(rules);
    open.push(h);
    const changes = () => h.db.prepare('SELECT total_changes()').pluck().get() as number;
    const samples = (v: number) =>
      Array.from({ length: 50 }, (_, i) => ({
        name: 'api.latency_p95_seconds',
        labels: { route: `/r${i}` },
        value: v,
      }));
    h.runSamples('api', samples(0.1));
    const quiet = changes();
    h.runSamples('api', samples(0.15));
    // Only the history's two rows of every run (its place in the ring of runs, its hour's tally); the points of the
    // series wait for their minute to end.
    expect(changes() - quiet).toBe(2);
    h.runSamples('api', [
      ...samples(0.1).slice(1),
      { name: 'api.latency_p95_seconds', labels: { route: '/r0' }, value: 0.3 },
    ]);
    // One instance row, one history line (inactive → firing), one told line, the generation; the run's two rows.
    expect(changes() - quiet).toBe(2 + 4 + 2);
  });
});

describe('retention', () => {
  it('forgets, after 30 days, history and instances at rest with nothing open; keeps what still fires', async () => {
    const h = new RulesHarness(rules);
    open.push(h);
    const count = (table: string) => h.db.prepare(`SELECT count(*) FROM ${table}`).pluck().get();
    h.runSamples('api', [
      { name: 'api.latency_p95_seconds', labels: { route: '/gone' }, value: 0.6 },
      { name: 'api.latency_p95_seconds', labels: { route: '/slow' }, value: 0.6 },
    ]);
    h.runSamples('api', [{ name: 'api.latency_p95_seconds', labels: { route: '/slow' }, value: 0.6 }]);
    expect(h.alert('ApiLatencyHigh', { route: '/gone' })?.state).toBe('resolved');
    expect(count('alert_instances')).toBe(2);
    await h.advance(31 * 86_400_000);
    h.runSamples('api', [{ name: 'api.latency_p95_seconds', labels: { route: '/slow' }, value: 0.6 }]);
    expect(count('alert_instances')).toBe(1);
    expect(count('alert_history')).toBe(0);
    expect(h.alert('ApiLatencyHigh', { route: '/gone' })).toBeUndefined();
    expect(h.alert('ApiLatencyHigh', { route: '/slow' })?.state).toBe('firing');
    // Still firing, still told: nothing is paged again, and the next resolution is told.
    expect(h.runSamples('api', [{ name: 'api.latency_p95_seconds', labels: { route: '/slow' }, value: 0.6 }])).toEqual(
      [],
    );
    expect(summarize(h.runSamples('api', []))).toEqual(['resolved ApiLatencyHigh P1']);
  });
});

describe('state file', () => {
  it('is a real file the next process opens at the same schema', () => {
    const path = tempStatePath();
    const a = openDb(path);
    const version = a.pragma('user_version', { simple: true });
    a.close();
    const b = openDb(path);
    open.push(b);
    expect(b.pragma('user_version', { simple: true })).toBe(version);
    expect(b.pragma('journal_mode', { simple: true })).toBe('wal');
  });

  it("closes a state file it refuses as a newer centinela's: no descriptor and no -wal or -shm is left behind", () => {
    const path = tempStatePath();
    openDb(path).close();
    const raw = new Database(path);
    raw.pragma('user_version = 99');
    raw.close();
    expect(() => openDb(path)).toThrow(/^state store is at schema version 99, /);
    // Left open, the connection kept the file, its -wal and its -shm until garbage collection.
    expect(readdirSync(dirname(path))).toEqual(['state.db']);
    const held = readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`).startsWith(path);
      } catch {
        return false; // the descriptor readdir itself used, closed since
      }
    });
    expect(held).toEqual([]);
  });

  it("keeps SQLite's own 2 MiB page cache, not better-sqlite3's 16 MiB, and maps no memory", () => {
    const db = openDb(tempStatePath());
    open.push(db);
    expect(db.pragma('cache_size', { simple: true })).toBe(-2000);
    expect(db.pragma('mmap_size', { simple: true })).toBe(0);
  });
});

/** A one-shot window record as opened by `centinela deploy --rollback --budget 60ms`. */
function windowRecord(id: string): WindowRecord {
  return {
    id,
    probes: ['api_health'],
    matchers: undefined,
    reason: 'deploy',
    owner: 'ci',
    priority: 'P1',
    openedAt: 0,
    endsAt: 600,
    settle: 120,
    failed: [],
    closedAt: undefined,
    closedBy: undefined,
    outcome: undefined,
    rollback: true,
    budget: 60,
    commandEndedAt: undefined,
    output: undefined,
  };
}
