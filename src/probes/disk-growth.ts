// Hours until a filesystem is full, from straight lines fitted through its recent used-bytes readings.
import { NEVER_HOURS } from '../units.js';

/** One reading: when, and how many bytes were in use. */
export interface UsagePoint {
  at: number;
  usedBytes: number;
}

/**
 * The value reported when the filesystem is not filling up (flat or shrinking), and the cap for very slow growth.
 * A number rather than no sample: a rule such as `hours_until_full < 24` must see the disk stop growing to resolve,
 * and a run that cannot measure everything makes a missing sample "no data", which never resolves an alert.
 * 10⁶ hours is over a century: the `hours` unit reads it as `never`.
 */
export const NOT_FILLING_HOURS = NEVER_HOURS;

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
 * Hours until `availableBytes` are used up at the growth the readings of a `windowMs` window show: the slope through
 * all of them, but no steeper than the slope through those of the window's last quarter, so growth that has stopped
 * stops predicting a quarter of a window later instead of until it leaves the window. NOT_FILLING_HOURS when flat or
 * shrinking (or slower than that); undefined without two readings at different times.
 */
export function hoursUntilFull(
  points: readonly UsagePoint[],
  availableBytes: number,
  windowMs: number,
): number | undefined {
  const newest = points.at(-1)?.at ?? 0;
  const slopes = [growthPerMs(points), growthPerMs(points.filter((p) => p.at > newest - windowMs / 4))];
  const known = slopes.filter((s) => s !== undefined);
  if (known.length === 0) return undefined;
  const slope = known.reduce((a, b) => Math.min(a, b), Number.POSITIVE_INFINITY);
  if (slope <= 0) return NOT_FILLING_HOURS;
  return Math.min(NOT_FILLING_HOURS, availableBytes / slope / 3_600_000);
}

/** The readings of one filesystem inside its growth window, and when it fills at their pace. */
export class FillTrend {
  readonly #windowMs: number;
  #points: UsagePoint[] = [];

  constructor(windowMs: number) {
    this.#windowMs = windowMs;
  }

  /**
   * Takes a reading and returns the hours until full (see hoursUntilFull); undefined while no earlier reading is in
   * the window to measure growth from. Earlier readings above this one are forgotten: that space has been freed
   * since (a cleanup, a deleted file), so the growth that filled it no longer says when the disk fills — a disk
   * filled to 97 % and emptied kept "full in about an hour" for as long as the fill stayed in the window (issue 11).
   * Usage below every reading of the window is NOT_FILLING_HOURS: space was freed, nothing is filling.
   */
  observe(at: number, usedBytes: number, availableBytes: number): number | undefined {
    const recent = this.#points.filter((p) => p.at > at - this.#windowMs);
    const kept = recent.filter((p) => p.usedBytes <= usedBytes);
    this.#points = [...kept, { at, usedBytes }];
    if (recent.length === 0) return undefined;
    if (kept.length === 0) return NOT_FILLING_HOURS;
    return hoursUntilFull(this.#points, availableBytes, this.#windowMs);
  }
}
