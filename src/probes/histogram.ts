// Prometheus' arithmetic over scraped series, rule for rule: rate()/increase() of counters (resets, extrapolation;
// promql/functions.go extrapolatedRate) and histogram_quantile() over classic buckets (promql/quantile.go).

/** One scraped value of a series at `t` (epoch ms). */
export interface Point {
  t: number;
  v: number;
}

/** An evaluation range in epoch ms. Like a Prometheus 3 range selector it is left-open: start < t <= end. */
export interface Range {
  start: number;
  end: number;
}

/** One classic histogram bucket: observations (or their rate) at or below `upperBound`. */
export interface Bucket {
  upperBound: number;
  count: number;
}

/**
 * increase(x[range]) as Prometheus computes it from `points`, the samples the range selects (oldest first, all
 * inside the range); undefined with fewer than two.
 *
 * - A drop between consecutive points is a counter reset: the counter restarted from 0, so the value before the
 *   drop is added back (Prometheus does not use `_created` samples to find resets, and neither does this).
 * - The increase between the first and last point is extrapolated towards the range's edges: all the way when the
 *   gap to an edge is under 110 % of the average interval between points, else by half an average interval
 *   (the series probably started or ended inside the range). Towards the start it never goes past the point where
 *   the counter would have been 0.
 */
export function increase(points: readonly Point[], range: Range): number | undefined {
  return extrapolated(points, range, false);
}

/** rate(x[range]): the extrapolated increase per second of the range; undefined with fewer than two points. */
export function rate(points: readonly Point[], range: Range): number | undefined {
  return extrapolated(points, range, true);
}

function extrapolated(points: readonly Point[], range: Range, perSecond: boolean): number | undefined {
  const intervals = points.length - 1;
  if (intervals < 1) return undefined;
  const first = points[0] as Point;
  const last = points[intervals] as Point;

  let result = last.v - first.v;
  for (let i = 1; i <= intervals; i++) {
    const previous = (points[i - 1] as Point).v;
    if ((points[i] as Point).v < previous) result += previous;
  }

  let durationToStart = (first.t - range.start) / 1000;
  let durationToEnd = (range.end - last.t) / 1000;
  const sampledInterval = (last.t - first.t) / 1000;
  const averageInterval = sampledInterval / intervals;
  const threshold = averageInterval * 1.1;
  if (durationToStart >= threshold) durationToStart = averageInterval / 2;
  if (result > 0 && first.v >= 0) {
    // Counters are never negative: do not extrapolate to before the counter's zero point.
    const durationToZero = sampledInterval * (first.v / result);
    if (durationToZero < durationToStart) durationToStart = durationToZero;
  }
  if (durationToEnd >= threshold) durationToEnd = averageInterval / 2;

  // Same operation order as Prometheus, so results agree to the last bit.
  let factor = (sampledInterval + durationToStart + durationToEnd) / sampledInterval;
  if (perSecond) factor /= (range.end - range.start) / 1000;
  return result * factor;
}

/** Relative tolerance under which two bucket counts are the same count (Prometheus' smallDeltaTolerance). */
const SMALL_DELTA_TOLERANCE = 1e-12;
const MIN_NORMAL = 2.2250738585072014e-308;

/**
 * histogram_quantile(q, buckets) for classic buckets, as Prometheus' BucketQuantile: NaN when there is no `+Inf`
 * bucket, fewer than two distinct bounds, or no observations.
 *
 * Buckets are sorted by bound; equal bounds are merged; counts that differ by float noise are made equal and any
 * remaining decrease from one bucket to the next is flattened (ensureMonotonic), since rates of cumulative buckets
 * taken from different points can break monotonicity. The quantile is interpolated linearly inside its bucket; the
 * lowest bucket interpolates from 0 when its bound is above 0 (else its bound is the answer); a quantile that falls
 * in the `+Inf` bucket is the bound of the second-highest bucket. The input is not modified.
 */
export function bucketQuantile(q: number, input: readonly Bucket[]): number {
  if (Number.isNaN(q)) return Number.NaN;
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;
  if (input.length === 0) return Number.NaN;
  const sorted = input.map((b) => ({ ...b })).sort((a, b) => a.upperBound - b.upperBound);
  if ((sorted.at(-1) as Bucket).upperBound !== Number.POSITIVE_INFINITY) return Number.NaN;

  const buckets = coalesce(sorted);
  ensureMonotonic(buckets);
  if (buckets.length < 2) return Number.NaN;
  const observations = (buckets.at(-1) as Bucket).count;
  if (observations === 0) return Number.NaN;

  let rank = q * observations;
  // sort.Search over all but the +Inf bucket: the first bucket whose count reaches the rank.
  let b = 0;
  while (b < buckets.length - 1 && (buckets[b] as Bucket).count < rank) b++;
  if (b === buckets.length - 1) return (buckets[b - 1] as Bucket).upperBound;
  const bucket = buckets[b] as Bucket;
  if (b === 0 && bucket.upperBound <= 0) return bucket.upperBound;
  let bucketStart = 0;
  let count = bucket.count;
  if (b > 0) {
    const below = buckets[b - 1] as Bucket;
    bucketStart = below.upperBound;
    count -= below.count;
    rank -= below.count;
  }
  return bucketStart + (bucket.upperBound - bucketStart) * (rank / count);
}

/** Merges buckets with the same bound (input sorted). */
function coalesce(sorted: Bucket[]): Bucket[] {
  const out: Bucket[] = [];
  for (const b of sorted) {
    const last = out.at(-1);
    if (last && last.upperBound === b.upperBound) last.count += b.count;
    else out.push(b);
  }
  return out;
}

/** Prometheus' ensureMonotonicAndIgnoreSmallDeltas; `prev` stays at the last accepted count on purpose. */
function ensureMonotonic(buckets: Bucket[]): void {
  let prev = (buckets[0] as Bucket).count;
  for (let i = 1; i < buckets.length; i++) {
    const bucket = buckets[i] as Bucket;
    const curr = bucket.count;
    if (curr === prev) continue;
    if (almostEqual(prev, curr, SMALL_DELTA_TOLERANCE) || curr < prev) {
      bucket.count = prev;
      continue;
    }
    prev = curr;
  }
}

/** Prometheus' almost.Equal: a and b differ by less than their sum times epsilon. */
function almostEqual(a: number, b: number, epsilon: number): boolean {
  if (Number.isNaN(a) && Number.isNaN(b)) return true;
  if (a === b) return true;
  const absSum = Math.abs(a) + Math.abs(b);
  const diff = Math.abs(a - b);
  if (a === 0 || b === 0 || absSum < MIN_NORMAL) return diff < epsilon * MIN_NORMAL;
  return diff / Math.min(absSum, Number.MAX_VALUE) < epsilon;
}
