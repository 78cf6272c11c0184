// Builds the Alert that escalation and the API see from a rule, one of its instances and what holds it back.
import { type Alert, type Labels, labelValue, type Suppression } from '../types.js';
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
  /** The latest detail (error text, slow queries, log lines) of each probe. */
  details: ReadonlyMap<string, string>;
  now: number;
}

/** The alert for instance `id` of `rule`, with summary and description rendered. */
export function buildAlert(rule: Rule, id: string, labels: Labels, inst: Instance, ctx: AlertContext): Alert {
  const priority = inst.priority ?? rule.levels.at(-1)?.priority ?? 'P3';
  const activeSince = inst.activeSince ?? inst.pendingSince ?? inst.since;
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
    active_for: Math.max(0, ctx.now - activeSince) / 1000,
    labels,
  };
  const alert: Alert = {
    id,
    alertname: rule.name,
    labels,
    priority,
    value: inst.value ?? Number.NaN,
    threshold: inst.threshold ?? Number.NaN,
    op: rule.op,
    summary: rule.summary.render(vars),
    runbook: rule.runbook,
    diagnosis: diagnoseProbes(rule, labels).flatMap((probe) => {
      const detail = ctx.details.get(probe);
      return detail === undefined ? [] : [{ probe, detail }];
    }),
    groupKey: rule.groupBy.map((l) => labelValue(labels, l)).join(','),
    activeSince,
    flapping: inst.flapping,
    suppressedBy: ctx.suppressedBy,
    inhibits: ctx.inhibits,
  };
  if (rule.description) alert.description = rule.description.render(vars);
  if (inst.peak) {
    const { value, priority: worst, threshold } = inst.peak;
    const summary = rule.summary.render({ ...vars, value, threshold, priority: worst });
    alert.peak = { value, priority: worst, threshold, summary };
  }
  return alert;
}

/** The rule's `diagnose`; centinela's own alerts name their probes in their labels (probe=, probes=a,b). */
function diagnoseProbes(rule: Rule, labels: Labels): string[] {
  if (rule.probe !== '') return rule.diagnose;
  if (labels.probe) return [labels.probe];
  return labels.probes ? labels.probes.split(',') : [];
}
