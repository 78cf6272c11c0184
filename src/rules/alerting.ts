// The rules' part of the configuration compiled as one whole: rules, inhibitions, recurring windows, evaluation
// settings, and the alerts that can exist (for checking silences before any instance does).
import type { AlertsFile, EvaluationConfig, InhibitConfig } from '../config/schema.js';
import { PRIORITIES } from '../types.js';
import { RecurringWindow } from './maintenance.js';
import { BUILTIN_RULES, compileRules, type Rule, type RuleIssue } from './rule.js';
import type { AlertKind } from './silences.js';

/** Everything the evaluator needs from alerts.yaml, compiled. */
export interface Alerting {
  rules: readonly Rule[];
  inhibit: readonly InhibitConfig[];
  windows: readonly RecurringWindow[];
  evaluation: EvaluationConfig;
  /** Names of the configured probes. */
  probes: ReadonlySet<string>;
  kinds: readonly AlertKind[];
}

/**
 * Compiles alerts.yaml's rules, inhibitions and windows. `issues` holds template and naming problems with their
 * paths; the config loader reports them at file:line:col, so a loaded config has none.
 */
export function compileAlerting(alerts: AlertsFile): { alerting: Alerting; issues: RuleIssue[] } {
  const { rules, issues } = compileRules(alerts);
  const kinds: AlertKind[] = [
    ...rules.map((r) => ({
      alertname: r.name,
      labels: r.labels,
      open: 'any' as const,
      priorities: r.levels.map((l) => l.priority),
    })),
    {
      alertname: BUILTIN_RULES.cannotMeasure.name,
      labels: BUILTIN_RULES.cannotMeasure.labels,
      open: ['probe'],
      priorities: [alerts.evaluation.cannot_measure],
    },
    {
      alertname: BUILTIN_RULES.healthNotBack.name,
      labels: BUILTIN_RULES.healthNotBack.labels,
      open: ['window', 'probes'],
      priorities: PRIORITIES,
    },
  ];
  return {
    alerting: {
      rules,
      inhibit: alerts.inhibit,
      windows: alerts.maintenance.map((m) => new RecurringWindow(m)),
      evaluation: alerts.evaluation,
      probes: new Set(alerts.probes.map((p) => p.name)),
      kinds,
    },
    issues,
  };
}
