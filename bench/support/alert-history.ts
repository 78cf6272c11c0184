// What a bench reads of an in-process daemon's alerts: a rule's state changes, from the store's history.
import type { Daemon } from '../../test/support/daemon.js';

/** A state change of one of a rule's alerts: when (fake epoch ms) and at which priority. */
export interface StateChange {
  at: number;
  priority: string | null;
}

/** The changes of `rule`'s alerts to `what` (firing, resolved), in time order. */
export function stateChanges(d: Daemon, rule: string, what: 'firing' | 'resolved'): StateChange[] {
  return d.db
    .prepare<[string, string], StateChange>(
      `SELECT h.at, h.priority FROM alert_history h JOIN alert_instances i ON i.id = h.alert_id
       WHERE i.rule = ? AND h.kind = 'state' AND h.what = ? ORDER BY h.at`,
    )
    .all(rule, what);
}
