// A rule's fast path, pure: a second reading of the same alert that pages a severe breach soon, beside the rule's own
// reading that keeps the noise out of marginal ones (the short window + high threshold of a burn-rate pair).
//
//   rule (slow)  its sample (a 5-minute error rate), its thresholds, `for` and `clear_for`: the state machine of
//                state-machine.ts, unchanged.
//   fast         `fast.sample` from the same probe run and with the same labels (the error rate of the last interval),
//                its own thresholds, `after_failures` breaching runs in a row and `clear_for`.
//
//   fast idle ──breach × after_failures──▶ fast firing ──clear for clear_for──▶ fast idle
//
//   While the fast path fires, the alert fires: at once if it was not firing (the fast path then owns the episode), at
//   the more urgent of the two readings' priorities. When the fast path stops firing:
//   - an episode it owns resolves at once, although the slow reading may still breach: a 5-minute window still holds
//     the fault for up to 5 minutes after it ended, and waiting for it would make the all-clear minutes late. The
//     slow path then starts over from this all-clear (its `for` from now), so that echo cannot page again when `for`
//     is at least the probe's window; a marginal breach that is still there pages after `for`, as it would have.
//   - an episode the slow path had already fired (a marginal breach, then a spike on top) goes on as the slow path
//     says: back to its priority, resolved by its own clear_for.
//   No data on the fast sample changes nothing (a failed run neither fires nor resolves); a fast sample missing from
//   a run that measured (no requests in the interval) is clear.
import { outranks } from '../types.js';
import { type FastState, fire, type Instance, type Observation, step, type Timing } from './state-machine.js';

type Breach = Extract<Observation, { kind: 'breach' }>;

/** The fast path's timings: breaching runs in a row to fire, how long clear to stop. */
export interface FastTiming {
  afterFailures: number;
  clearFor: number;
}

const IDLE: FastState = { failures: 0, firing: false, owns: false, clearingSince: undefined };

/**
 * The next state of `prev` after the rule's own observation `obs` and the fast path's `fast`, at `now`. Without a
 * fast path in `timing` it is `step`.
 */
export function stepWithFast(
  prev: Instance,
  obs: Observation,
  fast: Observation,
  now: number,
  timing: Timing & { fast: FastTiming | undefined },
): Instance {
  if (!timing.fast) return step(prev, obs, now, timing);
  const before = prev.fast ?? IDLE;
  const path = fastStep(before, fast, now, timing.fast);
  if (path.firing) {
    const worst = urgent(fast, obs);
    if (prev.state === 'firing') {
      // Firing on: the slow path's step with a breach keeps it firing and follows the priority and the peak; with
      // neither reading breaching (the fast path's clear_for running) it stays at its priority.
      const held: Observation =
        worst ??
        (prev.priority && prev.threshold !== undefined
          ? { kind: 'band', value: prev.value ?? prev.threshold, priority: prev.priority, threshold: prev.threshold }
          : { kind: 'no-data' });
      return { ...step(prev, held, now, timing), fast: path };
    }
    const continuing = prev.state === 'pending';
    const pending: Instance = {
      ...prev,
      state: 'pending',
      since: continuing ? prev.since : now,
      pendingSince: continuing ? prev.pendingSince : now,
      priority: worst?.priority ?? prev.priority,
      threshold: worst?.threshold ?? prev.threshold,
      value: worst?.value ?? prev.value,
      peak: undefined,
    };
    return { ...fire(pending, now), fast: { ...path, owns: true } };
  }
  if (before.firing && before.owns) {
    // The episode the fast path fired is over: resolved now, the slow path starts over.
    const over = prev.state === 'firing' ? 'resolved' : 'inactive';
    return {
      ...prev,
      state: prev.state === 'firing' || prev.state === 'pending' ? over : prev.state,
      since: now,
      value: obs.kind === 'no-data' ? prev.value : (obs.value ?? prev.value),
      failures: 0,
      pendingSince: undefined,
      awaitingCause: false,
      clearingSince: undefined,
      successes: 0,
      fast: undefined,
    };
  }
  const next = step(prev, obs, now, timing);
  const kept = path.failures === 0 && !path.firing ? undefined : path;
  return next.fast === kept ? next : { ...next, fast: kept };
}

function fastStep(prev: FastState, obs: Observation, now: number, t: FastTiming): FastState {
  if (obs.kind === 'no-data') return prev;
  if (obs.kind === 'breach') {
    const failures = prev.failures + 1;
    return { ...prev, failures, firing: prev.firing || failures >= t.afterFailures, clearingSince: undefined };
  }
  if (!prev.firing) return IDLE;
  const clearingSince = prev.clearingSince ?? now;
  return now - clearingSince >= t.clearFor ? IDLE : { ...prev, failures: 0, clearingSince };
}

/** The more urgent breach of the two observations, if either breaches (the fast one on a tie). */
function urgent(fast: Observation, slow: Observation): Breach | undefined {
  if (fast.kind !== 'breach') return slow.kind === 'breach' ? slow : undefined;
  return slow.kind === 'breach' && outranks(slow.priority, fast.priority) ? slow : fast;
}
