// Hours until full from synthetic usage readings: the line fit, flat and shrinking disks, too few readings.
import { describe, expect, it } from 'vitest';
import { growthPerMs, hoursUntilFull, NOT_FILLING_HOURS } from '../../src/probes/disk-growth.js';

const HOUR = 3_600_000;
const GB = 1_000_000_000;

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
    expect(hoursUntilFull(points, 30 * GB)).toBeCloseTo(15, 9);
    expect(hoursUntilFull(points, 0)).toBe(0);
  });

  it('reports NOT_FILLING_HOURS for a flat or shrinking disk and caps very slow growth there', () => {
    const flat = [0, 1].map((h) => ({ at: h * HOUR, usedBytes: 7 * GB }));
    const shrinking = [0, 1].map((h) => ({ at: h * HOUR, usedBytes: (7 - h) * GB }));
    const crawling = [0, 1].map((h) => ({ at: h * HOUR, usedBytes: 7 * GB + h }));
    expect(hoursUntilFull(flat, 10 * GB)).toBe(NOT_FILLING_HOURS);
    expect(hoursUntilFull(shrinking, 10 * GB)).toBe(NOT_FILLING_HOURS);
    expect(hoursUntilFull(crawling, 10 * GB)).toBe(NOT_FILLING_HOURS);
  });

  it('has no value before there are two readings', () => {
    expect(hoursUntilFull([{ at: 0, usedBytes: GB }], GB)).toBeUndefined();
  });
});
