// Flapping detection: an instance that goes firing ↔ not firing more than `changes` times within `window` flaps.
//
// It starts flapping on the change that makes the count exceed `changes`, and stops once the count within the
// window has fallen to half of `changes` or less (the gap between the two keeps it from flapping about flapping,
// as Nagios uses a high and a low threshold). Only observed runs move it: the count ages as runs come in.
import type { EvaluationConfig } from '../config/schema.js';

export type FlappingConfig = EvaluationConfig['flapping'];

/** The change history and flag of one instance. */
export interface FlapState {
  changes: number[];
  flapping: boolean;
}

/**
 * Records a change at `now` (when `changed`), forgets changes older than the window and decides the flag.
 * Only the latest `changes + 1` times are kept: enough to decide both thresholds exactly, and bounded.
 */
export function trackFlapping(prev: FlapState, changed: boolean, now: number, cfg: FlappingConfig): FlapState {
  const cutoff = now - cfg.window;
  // Nothing to add and nothing aged out: the count, and so the flag, cannot have moved.
  if (!changed && (prev.changes[0] ?? Number.POSITIVE_INFINITY) > cutoff) return prev;
  const recent = prev.changes.filter((t) => t > cutoff);
  if (changed) recent.push(now);
  const changes = recent.slice(-(cfg.changes + 1));
  const flapping = prev.flapping ? changes.length > Math.floor(cfg.changes / 2) : changes.length > cfg.changes;
  if (flapping === prev.flapping && sameTimes(changes, prev.changes)) return prev;
  return { changes, flapping };
}

function sameTimes(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((t, i) => t === b[i]);
}
