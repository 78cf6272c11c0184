// The alert state machine, pure: (previous instance, what was seen, now) → next instance, and what to tell.
//
// States of one alert instance (a rule × a label set):
//
//   inactive ──breach──▶ pending ──breach, `for` elapsed and `after_failures` reached──▶ firing
//      ▲                    │                                                             │  ▲
//      └──band or clear─────┘                    clear for `clear_for` and for            │  │ breach or band
//                                                `after_successes` runs in a row          ▼  │ (clearing restarts)
//   resolved ──breach──▶ pending ……                                                    resolved
//
//   breach   the value is on the firing side of a priority's threshold; the most urgent breached priority wins.
//   band     not breached, but still on the firing side of `clear_threshold` (hysteresis: fire above 90, clear
//            below 80). Only a firing instance cares: it stays firing at its least urgent priority. For an instance
//            that is not firing, band is clear.
//   clear    on the good side, or the series is gone from a run that is up (the container was removed): it resolves
//            like Prometheus resolves a stale series. A firing instance resolves once clear has held for `clear_for`
//            (clear_for 0: at the first clear) and `after_successes` runs in a row were clear (default 1); a breach or
//            band in between restarts both.
//   no-data  the probe's run failed, or it could not measure this series: nothing changes. No false resolve, no false fire. The
//            `for` clock keeps running through the gap, but only an observed breach can confirm, and only observed
//            runs count towards `after_failures`; the same holds for `clear_for` and `after_successes`. The probe's
//            own `up` rule speaks for the outage.
//   for / after_failures  both must hold: breaching continuously for `for` since the first breach AND at least
//            `after_failures` breaching runs in a row. With for 0 and after_failures 1, inactive → firing at once.
//
// Priority moves with the value while firing (P2 → P1 → P2); each move is told as `priority-changed`.
//
// What is told (`tell`) is derived from the difference between the instance and what escalation was last told
// (`told`, stored with the instance, in the same transaction as the notifications it causes, so a restart neither
// repeats nor loses a message):
//   not told firing, now firing             → firing
//   told firing, now not firing             → resolved (also while held: whoever was paged hears it is over)
//   told firing at another priority         → priority-changed
//   hold (silence, inhibition, window) set or lifted on a firing alert → firing again with the current suppressedBy;
//                                            lifted while the alert is clearing → nothing (it stays held until it
//                                            breaches again, then firing, or resolves)
//   flapping starts                          → flapping (once; the alert counts as open while it flaps)
//   while flapping                           → nothing, except a rise in priority and a change of hold
//   flapping ends                            → flapping-ended, then the real state: firing / priority-changed / resolved
import { outranks, type Priority } from '../types.js';

export type AlertState = 'inactive' | 'pending' | 'firing' | 'resolved';

/** What one run says about one instance (see the header). */
export type Observation =
  | { kind: 'breach'; value: number; priority: Priority; threshold: number }
  | { kind: 'band'; value: number; priority: Priority; threshold: number }
  | { kind: 'clear'; value: number | undefined }
  | { kind: 'no-data' };

/** The rule's comparison and timings, in milliseconds and runs. */
export interface Timing {
  /** Which way is worse: a value further past the threshold in this direction is a worse peak. */
  op: '>' | '>=' | '<' | '<=' | '==' | '!=';
  for: number;
  afterFailures: number;
  clearFor: number;
  /** Clear runs in a row before a firing instance resolves; unset is 1. */
  afterSuccesses: number | undefined;
  /** How close together the runs that feed it can come (rule.ts runSpacing); unset for a cron probe. */
  spacing?: number | undefined;
}

/**
 * What a `for` or `clear_for` of `wait` lets pass short. A run comes as late as its timer and takes its own time, so
 * the run that should complete a wait a whole number of runs long can fall short by milliseconds and leave it to the
 * next run, a whole interval later (a disk probe every 5m with for: 5m paged after 10 to 15 minutes instead of 5 to
 * 10). Half the shortest spacing the runs can have absorbs that, and at most half the wait, so no earlier run of the
 * schedule completes it.
 */
function slack(wait: number, timing: Timing): number {
  return Math.min(wait, timing.spacing ?? 0) / 2;
}

/** What escalation was last told about an instance. */
export interface Told {
  /** An incident is open for it: told firing (or flapping), not yet told resolved. */
  firing: boolean;
  priority: Priority | undefined;
  /** Told while held back (tracked only while firing or flapping). */
  held: boolean;
  flapping: boolean;
}

/** One alert instance's runtime state; everything here is persisted. */
export interface Instance {
  state: AlertState;
  /** When it entered `state`. */
  since: number;
  /** The priority breached last (kept after resolving, for the record). */
  priority: Priority | undefined;
  threshold: number | undefined;
  value: number | undefined;
  /** Breaching runs in a row while pending. */
  failures: number;
  pendingSince: number | undefined;
  /**
   * Pending although confirmed on its own: kept back for a cause to confirm first (see causes.ts). Stored, so that
   * after a restart it is still released at the end of its cause's window, on a tick, not only at its next run.
   */
  awaitingCause: boolean;
  /** When it started firing. */
  activeSince: number | undefined;
  /** Firing, but clear has been seen since then (clear_for running). */
  clearingSince: number | undefined;
  /** The rule's fast path, while it counts breaching runs or fires (see fast-path.ts). */
  fast: FastState | undefined;
  /** Clear runs in a row while firing (towards `after_successes`). */
  successes: number;
  /** The worst breach of this episode while it fired: the most urgent priority, then the furthest value. */
  peak: Peak | undefined;
  /** Times of recent firing ↔ not firing changes (see flapping.ts). */
  changes: number[];
  flapping: boolean;
  told: Told;
}

/** A rule's fast path (fast-path.ts): its breaching runs in a row, and whether it holds the alert firing. */
export interface FastState {
  failures: number;
  /** Confirmed: the alert fires while this holds. */
  firing: boolean;
  /** It fired an alert that was not firing: its all-clear resolves the alert. */
  owns: boolean;
  /** Firing, but clear since then (its clear_for running). */
  clearingSince: number | undefined;
}

/** A breach as it was at its worst: what the all-clear says was paged and how bad it got. */
export interface Peak {
  value: number;
  priority: Priority;
  threshold: number;
}

/** What `tell` asks to send; the evaluator (src/engine/evaluator.ts) turns each into an AlertEvent. */
export type Tell =
  | { type: 'firing' }
  | { type: 'priority-changed'; from: Priority }
  | { type: 'flapping' }
  | { type: 'flapping-ended' }
  | { type: 'resolved' };

/** A new instance that has never been seen breaching. */
export function inactive(now: number): Instance {
  return {
    state: 'inactive',
    since: now,
    priority: undefined,
    threshold: undefined,
    value: undefined,
    failures: 0,
    pendingSince: undefined,
    awaitingCause: false,
    activeSince: undefined,
    clearingSince: undefined,
    fast: undefined,
    successes: 0,
    peak: undefined,
    changes: [],
    flapping: false,
    told: { firing: false, priority: undefined, held: false, flapping: false },
  };
}

/** The next real state of `prev` after observing `obs` at `now` (flapping and telling are separate steps). */
export function step(prev: Instance, obs: Observation, now: number, timing: Timing): Instance {
  if (obs.kind === 'no-data') return prev;
  const value = obs.value ?? prev.value;
  switch (prev.state) {
    case 'inactive':
    case 'resolved':
      // Values are followed while pending or firing; at rest an instance keeps the value it left with, so the
      // thousands of quiet series cost no allocation and no write.
      if (obs.kind !== 'breach') return prev;
      return confirm(
        {
          ...prev,
          state: 'pending',
          since: now,
          pendingSince: now,
          failures: 1,
          priority: obs.priority,
          threshold: obs.threshold,
          value,
          // The worst is what was paged and after: it starts when the alert fires (see fire()).
          peak: undefined,
        },
        now,
        timing,
      );
    case 'pending':
      if (obs.kind !== 'breach') {
        return {
          ...prev,
          state: 'inactive',
          since: now,
          pendingSince: undefined,
          awaitingCause: false,
          failures: 0,
          value,
        };
      }
      return confirm(
        {
          ...prev,
          failures: prev.failures + 1,
          priority: obs.priority,
          threshold: obs.threshold,
          value,
        },
        now,
        timing,
      );
    case 'firing': {
      if (obs.kind !== 'clear') {
        return {
          ...prev,
          priority: obs.priority,
          threshold: obs.threshold,
          value,
          clearingSince: undefined,
          successes: 0,
          peak: worse(prev.peak, obs, timing.op),
        };
      }
      const clearingSince = prev.clearingSince ?? now;
      const successes = prev.successes + 1;
      const clearedFor = now - clearingSince + slack(timing.clearFor, timing);
      if (clearedFor < timing.clearFor || successes < (timing.afterSuccesses ?? 1)) {
        return { ...prev, value, clearingSince, successes };
      }
      return {
        ...prev,
        state: 'resolved',
        since: now,
        value,
        failures: 0,
        pendingSince: undefined,
        clearingSince: undefined,
        successes: 0,
      };
    }
  }
}

/** The worse of the peak so far and a breach (or band): a more urgent priority, else a value further past. */
function worse(
  peak: Peak | undefined,
  obs: { value: number; priority: Priority; threshold: number },
  op: Timing['op'],
): Peak {
  const next = { value: obs.value, priority: obs.priority, threshold: obs.threshold };
  if (!peak || outranks(obs.priority, peak.priority)) return next;
  if (obs.priority !== peak.priority) return peak;
  const further = op === '<' || op === '<=' ? obs.value < peak.value : obs.value > peak.value;
  return further && op !== '==' && op !== '!=' ? next : peak;
}

function confirm(pending: Instance, now: number, timing: Timing): Instance {
  return ready(pending, now, timing) ? fire(pending, now) : pending;
}

/**
 * A pending instance that has breached for `for` and `after_failures` runs, or whose fast path fires: it fires unless
 * something waits.
 */
export function ready(pending: Instance, now: number, timing: Timing): boolean {
  const heldFor = now - (pending.pendingSince ?? now) + slack(timing.for, timing);
  const confirmed = heldFor >= timing.for && pending.failures >= timing.afterFailures;
  return pending.state === 'pending' && (confirmed || pending.fast?.firing === true);
}

/** The pending instance firing at `now`; its worst so far is what it fires with (what is paged). */
export function fire(pending: Instance, now: number): Instance {
  const { value, priority, threshold } = pending;
  const peak = value !== undefined && priority && threshold !== undefined ? { value, priority, threshold } : undefined;
  return {
    ...pending,
    state: 'firing',
    since: now,
    activeSince: now,
    clearingSince: undefined,
    successes: 0,
    awaitingCause: false,
    peak,
  };
}

/**
 * `confirmed` (just gone firing from `before`) kept pending instead, with what the run brought (value, priority,
 * failures): it waits for a cause (see causes.ts) and fires later with `fire`.
 */
export function keepPending(confirmed: Instance, before: Instance): Instance {
  return {
    ...confirmed,
    state: 'pending',
    since: confirmed.pendingSince ?? confirmed.since,
    activeSince: before.activeSince,
    awaitingCause: true,
  };
}

/**
 * What to tell escalation about `inst`, given whether it is held back right now, and the `told` to store with it.
 * See the table in the header.
 */
export function tell(inst: Instance, held: boolean): { told: Told; tells: Tell[] } {
  const t = inst.told;
  const firing = inst.state === 'firing';
  const priority = inst.priority;
  // A hold that ends while the alert is already clearing does not release it: it pages only if it breaches again,
  // and otherwise resolves still held (nobody was paged for it, nobody hears of it).
  const releasedWhileClearing = firing && t.held && !held && inst.clearingSince !== undefined;
  const heldNow = firing || inst.flapping ? held || releasedWhileClearing : false;
  if (inst.flapping && !t.flapping) {
    return { told: { firing: true, priority, held: heldNow, flapping: true }, tells: [{ type: 'flapping' }] };
  }
  if (!inst.flapping && t.flapping) {
    const real: Tell = !firing
      ? { type: 'resolved' }
      : t.priority && priority && t.priority !== priority
        ? { type: 'priority-changed', from: t.priority }
        : { type: 'firing' };
    return {
      told: { firing, priority: firing ? priority : undefined, held: heldNow, flapping: false },
      tells: [{ type: 'flapping-ended' }, real],
    };
  }
  if (inst.flapping) {
    // Still flapping: only a rise is told at once (it pages a more urgent level); the rest waits for it to settle.
    if (firing && priority && t.priority && outranks(priority, t.priority)) {
      return {
        told: { ...t, priority, held: heldNow },
        tells: [{ type: 'priority-changed', from: t.priority }],
      };
    }
    return { told: { ...t, held: heldNow }, tells: heldNow !== t.held ? [{ type: 'flapping' }] : [] };
  }
  if (firing && !t.firing) {
    return { told: { firing: true, priority, held: heldNow, flapping: false }, tells: [{ type: 'firing' }] };
  }
  if (!firing && t.firing) {
    return {
      told: { firing: false, priority: undefined, held: false, flapping: false },
      tells: [{ type: 'resolved' }],
    };
  }
  if (!firing) return { told: t, tells: [] };
  const tells: Tell[] =
    t.priority && priority && t.priority !== priority
      ? [{ type: 'priority-changed', from: t.priority }]
      : heldNow !== t.held
        ? [{ type: 'firing' }]
        : [];
  return { told: { firing: true, priority, held: heldNow, flapping: false }, tells };
}

/** Firing, flapping, or with an open incident: its holds matter and it may have something to tell. */
export function isActive(inst: Instance): boolean {
  return inst.state === 'firing' || inst.flapping || inst.told.firing || inst.told.flapping;
}

/** The same thing told. */
export function sameTold(a: Told, b: Told): boolean {
  return a.firing === b.firing && a.priority === b.priority && a.held === b.held && a.flapping === b.flapping;
}

/** Equal in everything stored except the value, which alone never causes a write. */
export function samePersisted(a: Instance, b: Instance): boolean {
  return (
    a.state === b.state &&
    a.since === b.since &&
    a.priority === b.priority &&
    a.threshold === b.threshold &&
    a.failures === b.failures &&
    a.pendingSince === b.pendingSince &&
    a.awaitingCause === b.awaitingCause &&
    a.activeSince === b.activeSince &&
    a.clearingSince === b.clearingSince &&
    sameFast(a.fast, b.fast) &&
    a.successes === b.successes &&
    a.peak?.value === b.peak?.value &&
    a.peak?.priority === b.peak?.priority &&
    a.flapping === b.flapping &&
    a.changes.length === b.changes.length &&
    a.changes.every((t, i) => t === b.changes[i]) &&
    sameTold(a.told, b.told)
  );
}

function sameFast(a: FastState | undefined, b: FastState | undefined): boolean {
  return (
    a === b ||
    (a !== undefined &&
      b !== undefined &&
      a.failures === b.failures &&
      a.firing === b.firing &&
      a.owns === b.owns &&
      a.clearingSince === b.clearingSince)
  );
}

/** An instance with nothing worth storing: never breached (nor counting fast breaches), no history. */
export function blank(inst: Instance): boolean {
  return (
    inst.state === 'inactive' &&
    inst.fast === undefined &&
    inst.changes.length === 0 &&
    !inst.told.firing &&
    !inst.told.flapping
  );
}
