// The history's rings, on both stores: a probe's runs wrap at state.history.runs, a series keeps one point per step
// with its lowest, highest and last value, uptime counts by hour, prune forgets what is past, and a reopened store
// goes on; on SQLite, the rings' tables never hold more rows than their rings.
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type SqliteStore } from '../../src/store/sqlite.js';
import type { HistorySize } from '../../src/store/store.js';
import { tempStatePath } from '../support/rules.js';
import { STORE_KINDS, useStores } from '../support/stores.js';

const T0 = Date.UTC(2026, 0, 5, 10, 0, 0);
const SIZE: HistorySize = { runs: 10, step: 60_000, keep: 3_600_000 };

const run = (at: number, up = true, durationMs = 120) => ({ probe: 'api', at, up, durationMs });

describe.each(STORE_KINDS)('HistoryStore ($name)', (kind) => {
  useStores(kind);

  it('keeps the last runs of a probe in a ring of state.history.runs', async () => {
    const s = (await kind.open()).store;
    for (let i = 0; i < 25; i++) s.history.record([run(T0 + i * 15_000, i % 5 !== 0, 100 + i)], [], SIZE);
    const recent = s.history.recentRuns('api', 100);
    expect(recent).toHaveLength(10);
    expect(recent.map((r) => (r.at - T0) / 15_000)).toEqual([15, 16, 17, 18, 19, 20, 21, 22, 23, 24]);
    expect(recent.map((r) => r.up)).toEqual([false, true, true, true, true, false, true, true, true, true]);
    expect(recent[9]?.durationMs).toBe(124);
    expect(s.history.recentRuns('api', 3).map((r) => (r.at - T0) / 15_000)).toEqual([22, 23, 24]);
  });

  it('counts runs and up runs per hour for uptime', async () => {
    const s = (await kind.open()).store;
    for (let i = 0; i < 8; i++) s.history.record([run(T0 + i * 900_000, i !== 3)], [], SIZE);
    // Hours 10:00 and 11:00 have 4 runs each, one of them down at 10:45.
    expect(s.history.uptime('api', T0)).toEqual({ runs: 8, up: 7 });
    expect(s.history.uptime('api', T0 + 3_600_000 + 5)).toEqual({ runs: 4, up: 4 });
    expect(s.history.uptime('other', T0)).toEqual({ runs: 0, up: 0 });
  });

  it('keeps one point per step per series in a ring of keep / step, a step written again taking the newer values', async () => {
    const s = (await kind.open()).store;
    const step = (i: number, lo: number, hi = lo, series = 'api.p95[]') => ({
      series,
      bucket: T0 + i * 60_000,
      lo,
      hi,
      last: hi,
    });
    s.history.record([], [step(0, 0.3, 0.9), step(1, 0.2)], SIZE);
    s.history.record([], [step(1, 0.1, 0.4)], SIZE);
    expect(s.history.points('api.p95[]', T0)).toEqual([
      { bucket: T0, lo: 0.3, hi: 0.9, last: 0.9 },
      { bucket: T0 + 60_000, lo: 0.1, hi: 0.4, last: 0.4 },
    ]);
    // Two hours of steps: the ring holds the last 60, no more rows.
    for (let i = 0; i < 120; i++) s.history.record([], [step(i, i)], SIZE);
    const points = s.history.points('api.p95[]', 0);
    expect(points).toHaveLength(60);
    expect(points[0]).toEqual({ bucket: T0 + 60 * 60_000, lo: 60, hi: 60, last: 60 });
    // A step older than its slot's (the ring went round since) leaves the newer point alone.
    s.history.record([], [step(0, 7)], SIZE);
    expect(s.history.points('api.p95[]', 0)[0]).toEqual({ bucket: T0 + 60 * 60_000, lo: 60, hi: 60, last: 60 });
    expect(s.history.seriesKeys(T0 + 119 * 60_000)).toEqual(['api.p95[]']);
    expect(s.history.seriesKeys(T0 + 120 * 60_000)).toEqual([]);
    expect(s.history.points('no.such[]', 0)).toEqual([]);
  });

  it('prunes tallies and points before a time, and series left empty', async () => {
    const s = (await kind.open()).store;
    const point = (series: string, bucket: number, v: number) => ({ series, bucket, lo: v, hi: v, last: v });
    s.history.record([run(T0)], [point('old[]', T0, 1)], SIZE);
    s.history.record([run(T0 + 7_200_000)], [point('new[]', T0 + 7_200_000, 2)], SIZE);
    s.history.prune(T0 + 3_600_000);
    expect(s.history.uptime('api', 0)).toEqual({ runs: 1, up: 1 });
    expect(s.history.seriesKeys(0)).toEqual(['new[]']);
    // A series written again after being pruned gets a row of its own again.
    s.history.record([], [point('old[]', T0 + 7_260_000, 3)], SIZE);
    expect(s.history.points('old[]', 0)).toEqual([{ bucket: T0 + 7_260_000, lo: 3, hi: 3, last: 3 }]);
  });

  it('goes on numbering runs after a reopen, and a resized ring keeps the last runs', async () => {
    const o = await kind.open();
    for (let i = 0; i < 13; i++) o.store.history.record([run(T0 + i * 1000)], [], SIZE);
    await o.reopen();
    const seconds = () => o.store.history.recentRuns('api', 100).map((r) => (r.at - T0) / 1000);
    expect(seconds()).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    o.store.history.record([run(T0 + 13_000)], [], { ...SIZE, runs: 5 });
    expect(seconds()).toEqual([9, 10, 11, 12, 13]);
    for (let i = 14; i < 17; i++) o.store.history.record([run(T0 + i * 1000)], [], { ...SIZE, runs: 5 });
    expect(seconds()).toEqual([12, 13, 14, 15, 16]);
    o.store.history.record([run(T0 + 17_000)], [], { ...SIZE, runs: 12 });
    expect(seconds()).toEqual([12, 13, 14, 15, 16, 17]);
    await o.reopen();
    expect(seconds()).toEqual([12, 13, 14, 15, 16, 17]);
  });
});

describe('HistoryStore rows (SQLite)', () => {
  const open: SqliteStore[] = [];
  afterEach(() => {
    for (const s of open.splice(0)) s.close();
  });
  const count = (s: SqliteStore, table: string) => s.db.prepare(`SELECT count(*) FROM ${table}`).pluck().get();

  it('never holds more rows than the rings, and prune leaves no series without points', () => {
    const s = openStore(tempStatePath());
    open.push(s);
    for (let i = 0; i < 120; i++) {
      const step = { series: 'api.p95[]', bucket: T0 + i * 60_000, lo: i, hi: i, last: i };
      s.history.record([run(T0 + i * 60_000)], [step], SIZE);
    }
    expect(count(s, 'probe_runs')).toBe(SIZE.runs);
    expect(count(s, 'history_points')).toBe(SIZE.keep / SIZE.step);
    s.history.prune(T0 + 200 * 60_000);
    expect([count(s, 'history_points'), count(s, 'history_series'), count(s, 'probe_hours')]).toEqual([0, 0, 0]);
  });
});
