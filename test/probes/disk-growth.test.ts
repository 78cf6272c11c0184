// Hours until full from synthetic usage readings: the line fit, flat and shrinking disks, too few readings, and the
// trend of one filesystem run after run: growth that stops, or is freed, stops predicting (issue 11, item 3).
import { describe, expect, it } from 'vitest';
import { FillTrend, growthPerMs, hoursUntilFull, NOT_FILLING_HOURS } from '../../src/probes/disk-growth.js';

const HOUR = 3_600_000;
const GB = 1_000_000_000;
const WINDOW = 6 * HOUR;

describe('growthPerMs', () => {
  it('is the slope of a straight line through exact points', () => {
    const points = [0, 1, 2, 3].map((h) => ({ at: 1_767_225_600_000 + h * HOUR, usedBytes: 50 * GB + h * 2 * GB }));
    expect(growthPerMs(points)).toBeCloseTo((2 * GB) / HOUR, 12);
  });

  it('is the least-squares slope through noisy points', () => {
    // Hand-computed: t = 0,1,2,3 h; u = 10,12,11,15 GB → slope = Σ(t−1.5)(u−12) / Σ(t−1.5)² = (3 + 0 − 0.5 + 4.5) / 5 = 1.4 GB/h.
    const points = [10, 12, 11, 15].map((u, h) => ({ at: h * HOUR, usedBytes: u * GB }));
    expect(growthPerMs(points)).toBeCloseTo((1.4 * GB) / HOUR, 12);
  });

  it('has no slope with fewer than two readings or all at one instant', () => {
    expect(growthPerMs([])).toBeUndefined();
    expect(growthPerMs([{ at: 0, usedBytes: 1 }])).toBeUndefined();
    expect(
      growthPerMs([
        { at: 5, usedBytes: 1 },
        { at: 5, usedBytes: 9 },
      ]),
    ).toBeUndefined();
  });
});

describe('hoursUntilFull', () => {
  it('divides what is left by the growth rate', () => {
    // 2 GB per hour, 30 GB left → 15 hours.
    const points = [0, 1, 2].map((h) => ({ at: h * HOUR, usedBytes: 100 * GB + h * 2 * GB }));
    expect(hoursUntilFull(points, 30 * GB, WINDOW)).toBeCloseTo(15, 9);
    expect(hoursUntilFull(points, 0, WINDOW)).toBe(0);
  });

  it('reports NOT_FILLING_HOURS for a flat or shrinking disk and caps very slow growth there', () => {
    const flat = [0, 1].map((h) => ({ at: h * HOUR, usedBytes: 7 * GB }));
    const shrinking = [0, 1].map((h) => ({ at: h * HOUR, usedBytes: (7 - h) * GB }));
    const crawling = [0, 1].map((h) => ({ at: h * HOUR, usedBytes: 7 * GB + h }));
    expect(hoursUntilFull(flat, 10 * GB, WINDOW)).toBe(NOT_FILLING_HOURS);
    expect(hoursUntilFull(shrinking, 10 * GB, WINDOW)).toBe(NOT_FILLING_HOURS);
    expect(hoursUntilFull(crawling, 10 * GB, WINDOW)).toBe(NOT_FILLING_HOURS);
  });

  it('is no steeper than the last quarter of the window: growth that stopped stops predicting', () => {
    // 2 GB/h for 2 hours, then flat for 1.5 h: the fit through all readings still says about 1 GB/h; the last
    // quarter of the 6 h window (1.5 h) says 0.
    const ramp = [0, 0.5, 1, 1.5, 2].map((h) => ({ at: h * HOUR, usedBytes: 100 * GB + h * 2 * GB }));
    const flat = [2.5, 3, 3.5].map((h) => ({ at: h * HOUR, usedBytes: 104 * GB }));
    expect(growthPerMs([...ramp, ...flat])).toBeGreaterThan(GB / HOUR);
    expect(hoursUntilFull([...ramp, ...flat], 30 * GB, WINDOW)).toBe(NOT_FILLING_HOURS);
    // Half an hour after it stopped, the last quarter (1.5 h, 2 h, 2.5 h: 103, 104, 104 GB) says 1 GB/h: 30 hours.
    const early = [...ramp, { at: 2.5 * HOUR, usedBytes: 104 * GB }];
    expect(hoursUntilFull(early, 30 * GB, WINDOW)).toBeCloseTo(30, 9);
  });

  it('has no value before there are two readings', () => {
    expect(hoursUntilFull([{ at: 0, usedBytes: GB }], GB, WINDOW)).toBeUndefined();
  });
});

describe('FillTrend', () => {
  const MB = 1_000_000;
  const SIZE = 64 * MB;
  /** Feeds readings 5 minutes apart; returns what each one reported. */
  const feed = (trend: FillTrend, used: number[], from = 0) =>
    used.map((u, i) => trend.observe(from + i * 5 * 60_000, u, SIZE - u));

  it('has no value on the first reading, then the hours at the pace of the readings', () => {
    const trend = new FillTrend(WINDOW);
    // 4 MB every 5 minutes, 48 MB free at the second reading: 48 / 48 MB per hour = 1 hour.
    expect(feed(trend, [12 * MB, 16 * MB])).toEqual([undefined, expect.closeTo(1, 9)]);
  });

  it('is not filling as soon as a filled disk is emptied, whatever the fill left in the window', () => {
    // The lab episode: filled to 97 % in a few readings, then emptied to almost nothing.
    const trend = new FillTrend(WINDOW);
    const filling = feed(trend, [0.02 * MB, 20 * MB, 40 * MB, 62 * MB]);
    expect(filling.at(-1)).toBeLessThan(1);
    expect(feed(trend, [0.017 * MB, 0.017 * MB, 0.5 * MB], 20 * 60_000)).toEqual([
      NOT_FILLING_HOURS,
      NOT_FILLING_HOURS,
      // Growing again from the emptied level, which is below even the first reading: only what came after counts.
      hoursUntilFull(
        [
          { at: 20 * 60_000, usedBytes: 0.017 * MB },
          { at: 25 * 60_000, usedBytes: 0.017 * MB },
          { at: 30 * 60_000, usedBytes: 0.5 * MB },
        ],
        SIZE - 0.5 * MB,
        WINDOW,
      ),
    ]);
  });

  it('keeps the growth that still stands when a cleanup frees only part of it', () => {
    // +10 MB per reading, then a cleanup frees 15 MB: the readings above the new level are forgotten, the slope of
    // those below stays (positive, slower than the raw 10 MB per reading).
    const trend = new FillTrend(WINDOW);
    feed(trend, [10 * MB, 20 * MB, 30 * MB, 40 * MB]);
    const after = trend.observe(20 * 60_000, 25 * MB, SIZE - 25 * MB) ?? 0;
    expect(after).toBeGreaterThan(0);
    expect(after).toBeLessThan(NOT_FILLING_HOURS);
  });

  it('forgets readings older than the window: after a gap longer than it there is nothing to measure from', () => {
    const trend = new FillTrend(HOUR);
    feed(trend, [10 * MB, 20 * MB]);
    expect(trend.observe(3 * HOUR, 30 * MB, SIZE - 30 * MB)).toBeUndefined();
  });
});
