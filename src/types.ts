// The shapes modules exchange (see DESIGN.md): samples from probes, priorities, label sets.
import type { Unit } from './units.js';

/** Label names to values, e.g. `{ route: "/api/v1/tasks" }`. */
export type Labels = Readonly<Record<string, string>>;

/** A label's value, '' when absent (as in PromQL); only own keys count, so `constructor` is never a label. */
export function labelValue(labels: Labels, name: string): string {
  return Object.hasOwn(labels, name) ? (labels[name] ?? '') : '';
}

/** One measurement: `api_metrics.latency_p95_seconds{route="/api/v1/tasks"} 0.31`. */
export interface Sample {
  name: string;
  labels: Labels;
  value: number;
}

/** One probe run as the rules take it (from the scheduler, `centinela test`, `verify`); sample names are already `<probe>.<sample>`. */
export interface ProbeRun {
  probe: string;
  up: boolean;
  samples: Sample[];
  detail?: string;
  cannotMeasure?: string;
  reason?: string;
  at: number;
}

/** Runbook severity levels, most urgent first. */
export const PRIORITIES = ['P0', 'P1', 'P2', 'P3'] as const;
export type Priority = (typeof PRIORITIES)[number];

/** True when `a` is more urgent than `b` (P0 outranks P1). */
export function outranks(a: Priority, b: Priority): boolean {
  return PRIORITIES.indexOf(a) < PRIORITIES.indexOf(b);
}

/** Why an alert is not paged right now. */
export type Suppression = 'silenced' | 'inhibited' | 'maintenance';

/**
 * One alert instance as escalation and notifiers see it: a rule × a label set. `id` is stable across restarts
 * (derived from the rule name and the sorted labels), so acks, pages and outbox keys survive.
 */
export interface Alert {
  id: string;
  alertname: string;
  /** Sample labels + rule labels + `alertname`. */
  labels: Labels;
  priority: Priority;
  value: number;
  /** The threshold of `priority` that was breached, and the comparison. */
  threshold: number;
  op: string;
  /** How `value`, `threshold` and the peak read (src/units.ts); absent in pages written before it existed. */
  unit?: Unit;
  summary: string;
  description?: string;
  /** Runbook steps for this alert. */
  runbook: string[];
  /** Detail of the probes named in the rule's `diagnose`, as it was when the alert changed. */
  diagnosis: { probe: string; detail: string }[];
  /** Label values of the rule's group_by, joined; notifications for one contact group on it. */
  groupKey: string;
  /** When it started firing (epoch ms). */
  activeSince: number;
  flapping: boolean;
  /** Set while a silence, an inhibition or a maintenance window holds it back (it is still tracked). */
  suppressedBy: { kind: Suppression; id: string }[];
  /** Contacts its rule pages besides the level's (`also_page`); absent when none. */
  alsoPage?: string[];
  /** Ids of alerts this one inhibits, listed in its page. */
  inhibits: string[];
  /**
   * The worst breach of this episode, and the summary as it read then: the all-clear says what was paged and how
   * bad it got, while `value` and `summary` say how it is now. Absent for alerts centinela did not measure.
   */
  peak?: { value: number; priority: Priority; threshold: number; summary: string };
}

/**
 * What the rules emit for escalation. `firing` is also emitted when a held-back alert is released (silence ended,
 * inhibiting source resolved) and is still firing; escalation treats a repeated `firing` for an instance it already
 * pages as nothing new.
 */
export type AlertEvent =
  | { type: 'firing'; at: number; alert: Alert }
  | { type: 'priority-changed'; at: number; alert: Alert; from: Priority }
  | { type: 'flapping'; at: number; alert: Alert }
  | { type: 'flapping-ended'; at: number; alert: Alert }
  | { type: 'resolved'; at: number; alert: Alert };

/** An acknowledgement of an incident: who, when, what they said, how it arrived. */
export interface AckInfo {
  who: string;
  at: number;
  comment?: string;
  /** How it arrived: api, link, cli. */
  via?: string;
}

/**
 * What centinela knows of one push heartbeat (a `heartbeat` probe): when it first saw the probe, the last ping that
 * was recorded, the last successful one, and whether the last ping was a `/fail` (with the body it sent).
 */
export interface HeartbeatRecord {
  name: string;
  firstSeenAt: number;
  lastPingAt?: number;
  lastOkAt?: number;
  failed: boolean;
  /** The body of the last `/fail` ping, bounded; absent after a success. */
  detail?: string;
}

/** The heartbeat `name` as stored; the first read of a name records `at` as when centinela first saw it. */
export type HeartbeatReader = (name: string, at: number) => HeartbeatRecord;
