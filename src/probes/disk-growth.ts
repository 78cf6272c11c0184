// Hours until a filesystem is full, from a straight line fitted through its recent used-bytes readings.

/** One reading: when, and how many bytes were in use. */
export interface UsagePoint {
  at: number;
  usedBytes: number;
}

/**
 * The value reported when the filesystem is not filling up (flat or shrinking), and the cap for very slow growth.
 * A number rather than no sample: a rule such as `hours_until_full < 24` must see the disk stop growing to resolve,
 * and the rules treat a missing sample as "no data", which never resolves an alert. 10⁶ hours is over a century.
 */
export const NOT_FILLING_HOURS = 1_000_000;

/** Growth in bytes per millisecond: the least-squares slope through the points; undefined with fewer than two. */
export function growthPerMs(points: readonly UsagePoint[]): number | undefined {
  if (points.length < 2) return undefined;
  // Times relative to the first point keep the sums small enough for exact floating-point arithmetic.
  const t0 = points[0]?.at ?? 0;
  const n = points.length;
  let sumT = 0;
  let sumU = 0;
  for (const p of points) {
    sumT += p.at - t0;
    sumU += p.usedBytes;
  }
  const meanT = sumT / n;
  const meanU = sumU / n;
  let covariance = 0;
  let varianceT = 0;
  for (const p of points) {
    const dt = p.at - t0 - meanT;
    covariance += dt * (p.usedBytes - meanU);
    varianceT += dt * dt;
  }
  return varianceT === 0 ? undefined : covariance / varianceT;
}

/**
 * Hours until `availableBytes` are used up at the recent growth rate: undefined with fewer than two readings at
 * different times, NOT_FILLING_HOURS when usage is flat or shrinking (or would take longer than that).
 */
export function hoursUntilFull(points: readonly UsagePoint[], availableBytes: number): number | undefined {
  const slope = growthPerMs(points);
  if (slope === undefined) return undefined;
  if (slope <= 0) return NOT_FILLING_HOURS;
  return Math.min(NOT_FILLING_HOURS, availableBytes / slope / 3_600_000);
}
