// Releasing a held alert, pure: when a silence, a window or an inhibiting cause stops holding a firing alert, it stays
// held until its probe says it still breaches; only then does it page, as what it is now.
//
//   silence or window ended   one run decides (one of the release's evaluation or the next, asked for at once);
//                             without a run within two of the probe's timeouts, the last value decides.
//   inhibiting cause resolved the alert confirms again on its own, as if it had just started: every run from the
//                             release on breaches, for its `for` (at least the probe's lookback, a metrics window)
//                             and its `after_failures` runs. What the cause left in a windowed series (the 503s of a
//                             failed health check in a 5-minute error rate) drains meanwhile instead of paging a second
//                             time for the same incident.
import type { ProbeTiming } from './causes.js';
import type { Rule } from './rule.js';

/** A held alert on its way out of the hold. */
export interface Release {
  /** When the hold ended. */
  since: number;
  /** Its cause resolved: it confirms again on its own. */
  fromCause: boolean;
  /** Since when every run of its probe has breached, and how many runs that is (for a release from a cause). */
  streakSince: number | undefined;
  runs: number;
}

/** What one evaluation saw of a released alert's probe. */
export interface ReleaseLook {
  now: number;
  /** Its probe ran in this evaluation. */
  ran: boolean;
  /** Its latest value is past the threshold of its priority (not merely in the band above clear). */
  breaching: boolean;
  /** When its probe last brought a run, if since this process started. */
  lastLooked: number | undefined;
}

/** Keep it held (with the release to remember, and its probe asked to run after `ask` ms), or page it now. */
export type ReleaseVerdict = { held: true; release: Release; ask: number | undefined } | { held: false };

/** The verdict for a released alert at one evaluation; `prev` is its release so far (undefined: the hold just ended). */
export function release(
  prev: Release | undefined,
  fromCause: boolean,
  rule: Pick<Rule, 'for' | 'afterFailures' | 'retryEvery'>,
  timing: ProbeTiming | undefined,
  look: ReleaseLook,
): ReleaseVerdict {
  const { now, ran } = look;
  let r = prev ?? { since: now, fromCause, streakSince: undefined, runs: 0 };
  if (ran) {
    r = look.breaching
      ? { ...r, streakSince: r.streakSince ?? now, runs: r.runs + 1 }
      : { ...r, streakSince: undefined, runs: 0 };
  }
  if (r.fromCause) {
    const confirmFor = Math.max(rule.for, timing?.lookback ?? 0);
    if (r.streakSince !== undefined && now - r.streakSince >= confirmFor && r.runs >= rule.afterFailures) {
      return { held: false };
    }
    // Confirming again: its probe runs now, then as a pending alert's would.
    return { held: true, release: r, ask: prev === undefined ? 0 : rule.retryEvery };
  }
  const looked = ran || (look.lastLooked ?? Number.NEGATIVE_INFINITY) > r.since;
  if (!looked && now < r.since + 2 * (timing?.timeout ?? 0)) {
    return { held: true, release: r, ask: prev === undefined ? 0 : undefined };
  }
  return looked && !look.breaching ? { held: true, release: r, ask: undefined } : { held: false };
}
