// Builds the Alert that escalation and the API see from a rule, one of its instances and what holds it back.

import { localTime, type Reading, t } from '../locale/locale.js';
import { type Alert, type Labels, labelValue, type Priority, type Suppression } from '../types.js';
import { type ExternalAlert, externalText } from './external.js';
import type { ProbeHealth } from './maintenance.js';
import type { Rule } from './rule.js';
import type { Instance } from './state-machine.js';

/** One alert instance with the rule and labels it belongs to. */
export interface Entry {
  id: string;
  rule: Rule;
  labels: Labels;
  inst: Instance;
}

/** The labels matchers see: the alert's labels plus `priority`, so a silence or inhibition can say `priority: P3`. */
export function matchableLabels(e: Entry): Labels {
  return e.inst.priority ? { ...e.labels, priority: e.inst.priority } : e.labels;
}

/** Why an alert is held back right now: a silence, a window, or an inhibiting alert, by id. */
export type Hold = { kind: Suppression; id: string };

/** What is known about an instance besides its state when its alert is built. */
export interface AlertContext {
  suppressedBy: Hold[];
  inhibits: string[];
  /** The detail (error text, slow queries, log lines) of each probe's latest run, when it brought one. */
  details: ReadonlyMap<string, string>;
  /** Each probe's latest run: passed or not, and when; for a diagnosed probe with no detail to show. */
  health: ReadonlyMap<string, ProbeHealth>;
  now: number;
  /** The last lines a deploy's command printed, by maintenance window id (HealthNotBack shows them). */
  deployOutput: (window: string) => string | undefined;
  /** The language and time zone of what centinela itself writes in the alert (a quiet probe's last run). */
  reading: Reading;
  /** An open alert received from a source, by alert id: its annotations are its texts. */
  external: (id: string) => ExternalAlert | undefined;
}

/** The alert for instance `id` of `rule`, with summary and description rendered. */
export function buildAlert(rule: Rule, id: string, labels: Labels, inst: Instance, ctx: AlertContext): Alert {
  if (rule.source !== undefined) return buildExternal(rule, rule.source, id, labels, inst, ctx);
  const priority = alertPriority(rule, inst);
  const vars = {
    value: inst.value,
    threshold: inst.threshold,
    clear_threshold: rule.clearThreshold,
    op: rule.op,
    priority,
    alertname: rule.name,
    probe: rule.probe || (labels.probe ?? ''),
    for: rule.for / 1000,
    clear_for: rule.clearFor / 1000,
    active_for: Math.max(0, ctx.now - activeSince(inst)) / 1000,
    labels,
  };
  const alert = alertOf(rule, id, labels, inst, ctx, {
    alertname: rule.name,
    priority,
    summary: rule.summary.render(vars, ctx.reading.locale),
    runbook: rule.runbook,
    // Every probe the rule names, so a reader sees that one was looked at and had nothing to say.
    diagnosis: [
      ...diagnoseProbes(rule, labels).map((probe) => ({
        probe,
        detail: ctx.details.get(probe) ?? quiet(ctx.health.get(probe), ctx.reading),
      })),
      ...deployDiagnosis(rule, labels, ctx),
    ],
  });
  if (rule.description) alert.description = rule.description.render(vars, ctx.reading.locale);
  if (rule.alsoPage.length > 0) alert.alsoPage = rule.alsoPage;
  if (inst.peak) {
    const { value, priority: worst, threshold } = inst.peak;
    const summary = rule.summary.render({ ...vars, value, threshold, priority: worst }, ctx.reading.locale);
    alert.peak = { value, priority: worst, threshold, summary };
  }
  return alert;
}

/** An alert received from a source: its texts are its annotations, as it was last received. */
function buildExternal(
  rule: Rule,
  source: string,
  id: string,
  labels: Labels,
  inst: Instance,
  ctx: AlertContext,
): Alert {
  const alertname = labelValue(labels, 'alertname');
  const text = externalText(alertname, source, ctx.external(id));
  const alert = alertOf(rule, id, labels, inst, ctx, {
    alertname,
    priority: alertPriority(rule, inst),
    summary: text.summary,
    runbook: text.runbook,
    diagnosis: text.diagnosis,
  });
  if (text.description) alert.description = text.description;
  if (inst.peak) alert.peak = { ...inst.peak, summary: text.summary };
  return alert;
}

/** Since when the instance has been active (or pending, or in its state). */
export const activeSince = (inst: Instance): number => inst.activeSince ?? inst.pendingSince ?? inst.since;

/** The priority of an instance's alert: the one breached last; before any, the rule's least urgent (P3 from a source). */
export const alertPriority = (rule: Rule, inst: Instance): Priority =>
  inst.priority ?? (rule.source === undefined ? rule.levels.at(-1)?.priority : undefined) ?? 'P3';

/** The fields every alert takes from its rule, instance and context; `own` are the texts its kind writes. */
function alertOf(
  rule: Rule,
  id: string,
  labels: Labels,
  inst: Instance,
  ctx: AlertContext,
  own: Pick<Alert, 'alertname' | 'priority' | 'summary' | 'runbook' | 'diagnosis'>,
): Alert {
  return {
    id,
    alertname: own.alertname,
    labels,
    priority: own.priority,
    value: inst.value ?? Number.NaN,
    threshold: inst.threshold ?? Number.NaN,
    op: rule.op,
    unit: rule.unit,
    summary: own.summary,
    runbook: own.runbook,
    diagnosis: own.diagnosis,
    groupKey: rule.groupBy.map((l) => labelValue(labels, l)).join(','),
    activeSince: activeSince(inst),
    flapping: inst.flapping,
    suppressedBy: ctx.suppressedBy,
    inhibits: ctx.inhibits,
  };
}

/** The deploy's last output lines, for centinela's own alert about its window (HealthNotBack{window}). */
function deployDiagnosis(rule: Rule, labels: Labels, ctx: AlertContext): { probe: string; detail: string }[] {
  if (rule.probe !== '' || labels.window === undefined) return [];
  const output = ctx.deployOutput(labels.window);
  return output ? [{ probe: 'deploy', detail: output }] : [];
}

/** What a diagnosed probe without detail says: when it last ran (local time) and how that went, or that it has not. */
function quiet(health: ProbeHealth | undefined, { locale, timezone }: Reading): string {
  if (!health) return t(locale, 'diagnosis.noRun');
  const time = localTime(health.at, timezone);
  return t(locale, health.passing ? 'diagnosis.passed' : 'diagnosis.failed', { time });
}

/** The rule's `diagnose`; centinela's own alerts name their probes in their labels (probe=, probes=a,b). */
function diagnoseProbes(rule: Rule, labels: Labels): string[] {
  if (rule.probe !== '') return rule.diagnose;
  if (labels.probe) return [labels.probe];
  return labels.probes ? labels.probes.split(',') : [];
}
