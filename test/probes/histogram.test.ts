import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Bucket, bucketQuantile, increase, type Point, rate } from '../../src/probes/histogram.js';

const s = 1000;
/** Points of a counter at times `t` (s) with values `v`. */
const points = (...pairs: [number, number][]): Point[] => pairs.map(([t, v]) => ({ t: t * s, v }));
const buckets = (...pairs: [number, number][]): Bucket[] => pairs.map(([upperBound, count]) => ({ upperBound, count }));

describe('rate and increase (Prometheus extrapolatedRate)', () => {
  it('is the plain slope when the points span the whole range', () => {
    const p = points([0, 0], [60, 120]);
    expect(increase(p, { start: 0, end: 60 * s })).toBe(120);
    expect(rate(p, { start: 0, end: 60 * s })).toBe(2);
  });

  it('extrapolates to both edges when the gaps are under 110 % of the interval', () => {
    // rate(x[5m]) at t=300 s, scraped every 15 s from t=10 to t=295 at 3/s (v = 100 + 3t): the 285 s sampled
    // (855) stretch over 300 s: 855 × 300/285 = 900, i.e. 3/s. Zero point: 285 × 130/855 = 43 s > 10 s, unused.
    const p = Array.from({ length: 20 }, (_, i) => ({ t: (10 + 15 * i) * s, v: 100 + 3 * (10 + 15 * i) }));
    expect(increase(p, { start: 0, end: 300 * s })).toBeCloseTo(900, 9);
    expect(rate(p, { start: 0, end: 300 * s })).toBeCloseTo(3, 12);
  });

  it('extrapolates by half an interval only, when the series starts inside the range', () => {
    // Points every 15 s from t=200 to t=290 at 2/s (180 over 90 s). Start gap 200 s ≥ 16.5 s → 7.5 s;
    // end gap 10 s < 16.5 s → 10 s. Increase = 180 × (90 + 7.5 + 10)/90 = 215; rate = 215/300.
    const p = Array.from({ length: 7 }, (_, i) => ({ t: (200 + 15 * i) * s, v: 1000 + 30 * i }));
    expect(increase(p, { start: 0, end: 300 * s })).toBeCloseTo(215, 9);
    expect(rate(p, { start: 0, end: 300 * s })).toBeCloseTo(215 / 300, 12);
  });

  it('does not extrapolate past the point where the counter was zero', () => {
    // 5 → 35 → 65 at t=100, 115, 130: 60 over 30 s. The start gap (100 s) would allow 7.5 s, but the counter was 0
    // at 30 × 5/60 = 2.5 s before the first point: increase = 60 × 32.5/30 = 65 (all it ever counted).
    const p = points([100, 5], [115, 35], [130, 65]);
    expect(increase(p, { start: 0, end: 130 * s })).toBeCloseTo(65, 12);
    expect(rate(p, { start: 0, end: 130 * s })).toBeCloseTo(0.5, 12);
  });

  it('treats a drop as a counter reset: the counter restarted from 0', () => {
    // 1000 → 1060 (+60), then the target restarted and counted to 30 (+30): 90 over 120 s.
    const p = points([0, 1000], [60, 1060], [120, 30]);
    expect(increase(p, { start: 0, end: 120 * s })).toBe(90);
    expect(rate(p, { start: 0, end: 120 * s })).toBe(0.75);
  });

  it('is undefined with fewer than two points', () => {
    expect(rate(points([10, 5]), { start: 0, end: 60 * s })).toBeUndefined();
    expect(increase([], { start: 0, end: 60 * s })).toBeUndefined();
  });
});

describe('bucketQuantile (Prometheus histogram_quantile on classic buckets)', () => {
  // 100 observations: 20 ≤ 0.05 s, 20 in (0.05, 0.1], 40 in (0.1, 0.25], 16 in (0.25, 0.5], 2 in (0.5, 1], 2 above.
  const latency = buckets([0.05, 20], [0.1, 40], [0.25, 80], [0.5, 96], [1, 98], [Infinity, 100]);

  it('interpolates linearly inside the bucket holding the rank', () => {
    // p50: rank 50 falls in (0.1, 0.25] (40 below it, 40 in it): 0.1 + 0.15 × (50 − 40)/40 = 0.1375.
    expect(bucketQuantile(0.5, latency)).toBeCloseTo(0.1375, 15);
    // p95: rank 95 falls in (0.25, 0.5] (80 below, 16 in it): 0.25 + 0.25 × 15/16 = 0.484375.
    expect(bucketQuantile(0.95, latency)).toBeCloseTo(0.484375, 15);
  });

  it('answers the second-highest bound when the rank falls in the +Inf bucket', () => {
    // p99: rank 99 > 98 (count at le=1), so it is in (1, +Inf]: Prometheus answers 1.
    expect(bucketQuantile(0.99, latency)).toBe(1);
  });

  it('interpolates the lowest bucket from 0, or answers its bound when that is not above 0', () => {
    // p5: rank 5 in [0, 0.05] holding 20: 0.05 × 5/20 = 0.0125.
    expect(bucketQuantile(0.05, latency)).toBeCloseTo(0.0125, 15);
    expect(bucketQuantile(0.1, buckets([-1, 10], [0, 20], [Infinity, 30]))).toBe(-1);
  });

  it('is NaN without a +Inf bucket, with a single bound, or with no observations', () => {
    expect(bucketQuantile(0.5, buckets([0.1, 5], [1, 10]))).toBeNaN();
    expect(bucketQuantile(0.5, buckets([Infinity, 10]))).toBeNaN();
    expect(bucketQuantile(0.5, buckets([0.1, 0], [1, 0], [Infinity, 0]))).toBeNaN();
    expect(bucketQuantile(0.5, [])).toBeNaN();
  });

  it('sorts the buckets and merges equal bounds, without touching the input', () => {
    const input = buckets([Infinity, 20], [0.1, 5], [1, 15], [0.1, 5]);
    const copy = structuredClone(input);
    // Merged: 0.1 → 10, 1 → 15, +Inf → 20. p60: rank 12 in (0.1, 1]: 0.1 + 0.9 × 2/5 = 0.46.
    expect(bucketQuantile(0.6, input)).toBeCloseTo(0.46, 15);
    expect(input).toEqual(copy);
  });

  it('flattens a decrease between buckets (ensureMonotonic) before searching', () => {
    // le=0.25 went down to 8; treated as 10. p90: rank 10.8 in (0.25, 0.5]: 0.25 + 0.25 × 0.8/2 = 0.35
    // (0.425 if the 8 were used).
    expect(bucketQuantile(0.9, buckets([0.1, 10], [0.25, 8], [0.5, 12], [Infinity, 12]))).toBeCloseTo(0.35, 15);
  });

  it('answers ±Inf for q outside [0, 1] and NaN for q = NaN', () => {
    expect(bucketQuantile(-0.1, latency)).toBe(-Infinity);
    expect(bucketQuantile(1.1, latency)).toBe(Infinity);
    expect(bucketQuantile(Number.NaN, latency)).toBeNaN();
  });

  // q > 0: at q = 0 with an empty lowest bucket the interpolation is 0/0 = NaN, in Prometheus as here.
  it('never decreases as q grows, and stays within [0, the highest finite bound]', () => {
    const cumulative = fc
      .array(fc.tuple(fc.double({ min: 0.001, max: 100, noNaN: true }), fc.nat(1000)), { minLength: 1, maxLength: 12 })
      .map((pairs) => {
        let count = 0;
        const sorted = [...pairs].sort(([a], [b]) => a - b);
        const list = sorted.map(([upperBound, n]) => {
          count += n;
          return { upperBound, count };
        });
        return [...list, { upperBound: Infinity, count: count + 1 }];
      });
    fc.assert(
      fc.property(
        cumulative,
        fc.double({ min: 1e-9, max: 1, noNaN: true }),
        fc.double({ min: 1e-9, max: 1, noNaN: true }),
        (b, q1, q2) => {
          const [lo, hi] = q1 <= q2 ? [q1, q2] : [q2, q1];
          const top = Math.max(...b.filter((x) => x.upperBound !== Infinity).map((x) => x.upperBound));
          const a = bucketQuantile(lo, b);
          const c = bucketQuantile(hi, b);
          expect(a).toBeLessThanOrEqual(c);
          expect(a).toBeGreaterThanOrEqual(0);
          expect(c).toBeLessThanOrEqual(top);
        },
      ),
    );
  });
});
