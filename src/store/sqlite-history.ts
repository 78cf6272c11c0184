// The history's tables on SQLite (migration 10): each probe's last runs in a ring, its hourly tallies, and a ring of
// points per watched series. Every write is an upsert into a fixed slot, so the tables never grow past their rings.
import type { Db } from './sqlite-db.js';
import type { HistorySize, HistoryStore, RunRecord, SeriesPoint, SeriesStep } from './store.js';

const HOUR = 3_600_000;

interface RunRow {
  at: number;
  up: number;
  duration_ms: number;
}

/** HistoryStore over the shared handle. */
export class SqliteHistoryStore implements HistoryStore {
  readonly #s;
  /** The next run number of each probe and the ring size it was numbered for (read once from the table). */
  readonly #cursors = new Map<string, { seq: number; runs: number }>();
  /** Series ids by key, filled as series are written or read; cleared by prune, which may delete series. */
  readonly #ids = new Map<string, number>();

  constructor(db: Db) {
    this.#s = {
      lastSeq: db.prepare<[string], { seq: number | null }>('SELECT max(seq) AS seq FROM probe_runs WHERE probe = ?'),
      // Resizing keeps the last `runs` runs, each moved to the slot its number takes in the new ring (through negative
      // slots, so no two rows ever share one on the way).
      dropOlder: db.prepare('DELETE FROM probe_runs WHERE probe = @probe AND seq < @next - @runs'),
      slotsAside: db.prepare('UPDATE probe_runs SET slot = -1 - (seq % @runs) WHERE probe = @probe'),
      slotsBack: db.prepare('UPDATE probe_runs SET slot = -1 - slot WHERE probe = @probe'),
      putRun: db.prepare(
        `INSERT INTO probe_runs (probe, slot, seq, at, up, duration_ms) VALUES (@probe, @slot, @seq, @at, @up, @ms)
         ON CONFLICT (probe, slot) DO UPDATE SET seq = excluded.seq, at = excluded.at, up = excluded.up,
           duration_ms = excluded.duration_ms`,
      ),
      tally: db.prepare(
        `INSERT INTO probe_hours (probe, hour, runs, up) VALUES (@probe, @hour, 1, @up)
         ON CONFLICT (probe, hour) DO UPDATE SET runs = runs + 1, up = up + excluded.up`,
      ),
      recent: db.prepare<[string, number], RunRow>(
        'SELECT at, up, duration_ms FROM probe_runs WHERE probe = ? ORDER BY seq DESC LIMIT ?',
      ),
      uptime: db.prepare<[string, number], { runs: number | null; up: number | null }>(
        'SELECT sum(runs) AS runs, sum(up) AS up FROM probe_hours WHERE probe = ? AND hour >= ?',
      ),
      addSeries: db.prepare('INSERT INTO history_series (key) VALUES (?) ON CONFLICT (key) DO NOTHING'),
      seriesId: db.prepare<[string], { id: number }>('SELECT id FROM history_series WHERE key = ?'),
      // A step older than the one in its slot (the ring went round since) is dropped rather than overwrite newer ones.
      putPoint: db.prepare(
        `INSERT INTO history_points (series, slot, bucket, lo, hi, last) VALUES (@series, @slot, @bucket, @lo, @hi, @last)
         ON CONFLICT (series, slot) DO UPDATE SET lo = excluded.lo, hi = excluded.hi, last = excluded.last,
           bucket = excluded.bucket
         WHERE excluded.bucket >= bucket`,
      ),
      keys: db.prepare<[number], { key: string }>(
        `SELECT key FROM history_series s WHERE EXISTS
           (SELECT 1 FROM history_points p WHERE p.series = s.id AND p.bucket >= ?) ORDER BY key`,
      ),
      points: db.prepare<[number, number], SeriesPoint>(
        'SELECT bucket, lo, hi, last FROM history_points WHERE series = ? AND bucket >= ? ORDER BY bucket',
      ),
      pruneHours: db.prepare('DELETE FROM probe_hours WHERE hour < ?'),
      prunePoints: db.prepare('DELETE FROM history_points WHERE bucket < ?'),
      pruneSeries: db.prepare(
        'DELETE FROM history_series WHERE NOT EXISTS (SELECT 1 FROM history_points p WHERE p.series = history_series.id)',
      ),
    };
  }

  record(runs: readonly RunRecord[], steps: readonly SeriesStep[], size: HistorySize): void {
    for (const r of runs) {
      const seq = this.#nextSeq(r.probe, size.runs);
      this.#s.putRun.run({
        probe: r.probe,
        slot: seq % size.runs,
        seq,
        at: r.at,
        up: r.up ? 1 : 0,
        ms: Math.round(r.durationMs),
      });
      this.#s.tally.run({ probe: r.probe, hour: Math.floor(r.at / HOUR) * HOUR, up: r.up ? 1 : 0 });
    }
    const slots = Math.max(1, Math.floor(size.keep / size.step));
    for (const { series, bucket, lo, hi, last } of steps) {
      const slot = Math.floor(bucket / size.step) % slots;
      this.#s.putPoint.run({ series: this.#idOf(series), slot, bucket, lo, hi, last });
    }
  }

  recentRuns(probe: string, limit: number): RunRecord[] {
    return this.#s.recent
      .all(probe, limit)
      .reverse()
      .map((row) => ({ probe, at: row.at, up: row.up === 1, durationMs: row.duration_ms }));
  }

  uptime(probe: string, since: number): { runs: number; up: number } {
    const row = this.#s.uptime.get(probe, Math.floor(since / HOUR) * HOUR);
    return { runs: row?.runs ?? 0, up: row?.up ?? 0 };
  }

  seriesKeys(since: number): string[] {
    return this.#s.keys.all(since).map((r) => r.key);
  }

  points(series: string, since: number): SeriesPoint[] {
    const id = this.#ids.get(series) ?? this.#s.seriesId.get(series)?.id;
    return id === undefined ? [] : this.#s.points.all(id, since);
  }

  prune(before: number): void {
    this.#s.pruneHours.run(Math.floor(before / HOUR) * HOUR);
    this.#s.prunePoints.run(before);
    this.#s.pruneSeries.run();
    this.#ids.clear();
  }

  /** The number of `probe`'s next run; the first write of a process, or of a new ring size, fits the ring to it. */
  #nextSeq(probe: string, runs: number): number {
    let cursor = this.#cursors.get(probe);
    if (!cursor || cursor.runs !== runs) {
      cursor ??= { seq: (this.#s.lastSeq.get(probe)?.seq ?? -1) + 1, runs };
      cursor.runs = runs;
      this.#s.dropOlder.run({ probe, next: cursor.seq, runs });
      this.#s.slotsAside.run({ probe, runs });
      this.#s.slotsBack.run({ probe });
      this.#cursors.set(probe, cursor);
    }
    return cursor.seq++;
  }

  #idOf(key: string): number {
    let id = this.#ids.get(key);
    if (id === undefined) {
      this.#s.addSeries.run(key);
      id = (this.#s.seriesId.get(key) as { id: number }).id;
      this.#ids.set(key, id);
    }
    return id;
  }
}
