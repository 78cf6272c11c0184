// What the rules keep between evaluations, as records: alert instances and their history, silences, one-shot
// maintenance windows. The store (src/store/) saves and loads exactly these shapes.
import type { StoredMatchers } from '../matchers.js';
import type { Labels, Priority, Suppression } from '../types.js';
import type { Instance } from './state-machine.js';

/** An instance as stored: which rule, which labels, its state. */
export interface StoredInstance {
  id: string;
  rule: string;
  labels: Labels;
  inst: Instance;
}

/** One line of an alert's history: a state change or something told to escalation. */
export interface HistoryEntry {
  alertId: string;
  at: number;
  kind: 'state' | 'told';
  /** The new state (`pending`, `firing`, …) or what was told (`firing`, `priority-changed`, …). */
  what: string;
  priority: Priority | undefined;
  value: number | undefined;
  suppressedBy: { kind: Suppression; id: string }[];
}

/** A silence; kept after it ends, for the record. */
export interface SilenceRecord {
  id: string;
  /** As the store holds them: `[{ label: "route", op: "=~", value: "/api/.*" }]`, or a row's older map form. */
  matchers: StoredMatchers;
  startsAt: number;
  endsAt: number;
  owner: string;
  reason: string;
  createdAt: number;
  /** Set when someone ended it early, and who. */
  expiredAt: number | undefined;
  expiredBy: string | undefined;
}

/** How a one-shot window ended. */
export type WindowOutcome = 'healthy' | 'closed' | 'ended' | 'unhealthy';

/** A one-shot maintenance window (a deploy); kept after it closes, for the record. */
export interface WindowRecord {
  id: string;
  /** Probes whose health closes it early, and which must be healthy by its end. */
  probes: string[];
  /** Alerts it holds back; every alert when undefined. */
  matchers: StoredMatchers | undefined;
  reason: string;
  owner: string | undefined;
  /** Priority of the page when health is not back by the end. */
  priority: Priority;
  openedAt: number;
  endsAt: number;
  /** A probe that never failed during the window counts as back only after this long. */
  settle: number;
  /** Probes seen failing since it opened. */
  failed: string[];
  closedAt: number | undefined;
  /** Who closed it through the API (outcome `closed`). */
  closedBy: string | undefined;
  outcome: WindowOutcome | undefined;
  /** The deploy is a rollback (`centinela deploy --rollback`), shown as such. */
  rollback: boolean;
  /** Downtime budget (ms): an alert it holds that has been active longer than this pages before the end. */
  budget: number | undefined;
  /** When the deploy's command finished: a probe passing after it counts as back without waiting for `settle`. */
  commandEndedAt: number | undefined;
  /** The last lines the deploy's command printed, for the HealthNotBack page. */
  output: string | undefined;
}
