// Alerts sent from outside (Prometheus, Grafana) through the Alertmanager API, pure: what one is once received, the
// priority its labels map to, the rule its instances belong to, and what it says at a time. Such an alert is an
// alert instance like a probe's: silences, inhibitions, escalation, acks and delivery treat it the same.
//
// As Prometheus sends them, a firing alert is resent every evaluation with an `endsAt` a few evaluations ahead; one
// that stops being resent resolves when that `endsAt` passes. A resolved alert is sent with an `endsAt` in the past.
// An alert with no `endsAt` stays firing for the source's `resolve_timeout` after it was last received.
import type { SourceConfig } from '../config/schema.js';
import { type Labels, PRIORITIES, type Priority } from '../types.js';
import type { AlertKind, SourceAnyKind } from './known-names.js';
import { builtin, type Rule } from './rule.js';
import type { Observation } from './state-machine.js';

/** One alert as the intake takes it: the Alertmanager API's postable alert, times in epoch ms. */
export interface PostedAlert {
  labels: Labels;
  annotations: Labels;
  startsAt?: number;
  endsAt?: number;
  generatorURL?: string;
}

/** An alert received from a source, as the store keeps it while its instance is open. */
export interface ExternalAlert {
  /** The alert instance's id (the rule's name and the labels). */
  id: string;
  source: string;
  labels: Labels;
  annotations: Labels;
  startsAt: number;
  /** When it resolves unless it is sent again. */
  endsAt: number;
  generatorURL?: string;
  /** When it was last received. */
  receivedAt: number;
}

/** The rule's name of a source's alerts named `alertname`: `prometheus/HighLatency` (no rule's name has a `/`). */
export function sourceRuleName(source: string, alertname: string): string {
  return `${source}/${alertname}`;
}

/** The source and alert name of a rule name made by sourceRuleName, or undefined for any other rule name. */
export function splitSourceRuleName(name: string): { source: string; alertname: string } | undefined {
  const slash = name.indexOf('/');
  return slash < 0 ? undefined : { source: name.slice(0, slash), alertname: name.slice(slash + 1) };
}

const CLEAR: Observation = { kind: 'clear', value: undefined };

/**
 * The rule a source's alerts named `alertname` belong to: it fires at the first observation and resolves at the first
 * clear one (the source has already confirmed), and groups by the source's `group_by`.
 */
export function sourceRule(source: SourceConfig, alertname: string): Rule {
  return builtin(sourceRuleName(source.name, alertname), '{{ labels.alertname }}', [], {
    source: source.name,
    labels: { alertname },
    groupBy: source.group_by,
  });
}

/**
 * The priority `labels` map to: the first of the source's `priority_labels`, in the order written, whose value is
 * mapped, else its `default_priority`; P0 becomes P1 unless the source may page P0.
 */
export function sourcePriority(source: SourceConfig, labels: Labels): Priority {
  let priority = source.default_priority;
  for (const [label, map] of Object.entries(source.priority_labels)) {
    const value = Object.hasOwn(labels, label) ? labels[label] : undefined;
    const mapped = value !== undefined && Object.hasOwn(map, value) ? map[value] : undefined;
    if (mapped) {
      priority = mapped;
      break;
    }
  }
  return priority === 'P0' && !source.page_p0 ? 'P1' : priority;
}

/** The record of `posted` received at `now`; without `endsAt` it lasts the source's resolve_timeout. */
export function receive(source: SourceConfig, id: string, posted: PostedAlert, now: number): ExternalAlert {
  return {
    id,
    source: source.name,
    labels: posted.labels,
    annotations: posted.annotations,
    startsAt: posted.startsAt ?? now,
    endsAt: posted.endsAt ?? now + source.resolve_timeout,
    ...(posted.generatorURL ? { generatorURL: posted.generatorURL } : {}),
    receivedAt: now,
  };
}

/** What the alert says at `now`: a breach at its mapped priority until its endsAt, clear from then on. */
export function sourceObservation(source: SourceConfig, alert: ExternalAlert, now: number): Observation {
  if (alert.endsAt <= now) return CLEAR;
  return { kind: 'breach', value: 1, threshold: 1, priority: sourcePriority(source, alert.labels) };
}

/** The texts a page shows for an external alert, from its annotations (Prometheus' conventional names). */
export function externalText(
  alertname: string,
  source: string,
  alert: ExternalAlert | undefined,
): { summary: string; description?: string; runbook: string[]; diagnosis: { probe: string; detail: string }[] } {
  const a = alert?.annotations ?? {};
  const own = (key: string) => (Object.hasOwn(a, key) && a[key] ? a[key] : undefined);
  const summary = own('summary') ?? own('message') ?? `${alertname} (${source})`;
  const description = own('description');
  const runbook = own('runbook_url');
  return {
    summary,
    ...(description ? { description } : {}),
    runbook: runbook ? [runbook] : [],
    diagnosis: alert?.generatorURL ? [{ probe: source, detail: alert.generatorURL }] : [],
  };
}

/** The priorities a source's alerts can have: its default and every mapped one, P0 as P1 unless it may page P0. */
function sourcePriorities(source: SourceConfig): Priority[] {
  const mapped = Object.values(source.priority_labels).flatMap((map) => Object.values(map));
  const can = new Set([source.default_priority, ...mapped].map((p) => (p === 'P0' && !source.page_p0 ? 'P1' : p)));
  return PRIORITIES.filter((p) => can.has(p));
}

/**
 * The alerts a source has sent that are open, as alerts that can exist (for checking a new silence): any label
 * value, at any priority the source can map to.
 */
export function sourceKinds(source: SourceConfig, alertnames: Iterable<string>): AlertKind[] {
  const priorities = sourcePriorities(source);
  return [...alertnames].map((alertname) => ({ alertname, labels: { alertname }, open: 'any', priorities }));
}

/**
 * What a source may send before it has sent it, for the length limit of a silence or window: an alert of any name,
 * with any labels, at any priority the source can map to. A silence named for an alert Prometheus has not fired yet
 * is so capped as the P0 it may become, and so is one named for a rule of the config: Prometheus may send an alert of
 * that name, which the silence would hold as well.
 */
export function sourceAnyKind(source: SourceConfig): SourceAnyKind {
  return { source: source.name, priorities: sourcePriorities(source) };
}
