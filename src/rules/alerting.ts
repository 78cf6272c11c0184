// The rules' part of the configuration compiled as one whole: rules, inhibitions, recurring windows, evaluation
// settings, and the alerts that can exist (for checking silences before any instance does).
import type { ProbeConfig } from '../config/probes.js';
import type { AlertsFile, EvaluationConfig, InhibitConfig, SourceConfig } from '../config/schema.js';
import { entryNames, envNamed, type NamesInMessages } from '../env-names.js';
import type { Reading } from '../locale/locale.js';
import { PRIORITIES } from '../types.js';
import { type CauseLink, causeLinks, type ProbeTiming, symptomProbes } from './causes.js';
import { sourceAnyKind } from './external.js';
import type { AlertKind, SourceAnyKind } from './known-names.js';
import { RecurringWindow } from './maintenance.js';
import { type BuiltinRules, builtinRules, compileRules, type Rule, type RuleIssue } from './rule.js';

/** Everything the evaluator needs from alerts.yaml, compiled. */
export interface Alerting {
  rules: readonly Rule[];
  /** The alerts centinela raises itself, in the language of `reading`. */
  builtins: BuiltinRules;
  /** The language and time zone of what the rules' alerts say (centinela.yaml). */
  reading: Reading;
  inhibit: readonly InhibitConfig[];
  windows: readonly RecurringWindow[];
  evaluation: EvaluationConfig;
  /** Names of the configured probes. */
  probes: ReadonlySet<string>;
  /** How refusals list the probes (one named from the environment by its variable) and which they offer as hints. */
  probeNames: NamesInMessages;
  /** Interval and timeout of each probe, for the confirmation window of the rules over it. */
  probeTiming: ReadonlyMap<string, ProbeTiming>;
  /** For each rule whose alerts an inhibition can hold back, the rules that can be its cause. */
  causes: ReadonlyMap<string, CauseLink[]>;
  /** For each rule that can be a cause, the probes of the symptoms it can explain. */
  symptomProbes: ReadonlyMap<string, readonly string[]>;
  kinds: readonly AlertKind[];
  /** What each source may send under a name none of `kinds` has (rules/external.ts sourceAnyKind). */
  fromSources: readonly SourceAnyKind[];
  /** The sources that send alerts through the Alertmanager API (rules/external.ts), by name. */
  sources: ReadonlyMap<string, SourceConfig>;
}

/**
 * How long what one run of `probe` reports keeps describing the past: the metrics probe's rates and quantiles cover
 * its `window`; the other kinds read the present, or the time since their previous run. A symptom released by its
 * cause confirms again for at least this long, so that what the cause left in the window has drained.
 */
function lookback(probe: ProbeConfig): number {
  return probe.kind === 'metrics' ? probe.window : 0;
}

/**
 * Compiles alerts.yaml's rules, inhibitions and windows, and centinela's own alerts worded as `reading` says.
 * `issues` holds template and naming problems with their paths; the config loader reports them at file:line:col, so
 * a loaded config has none.
 */
export function compileAlerting(alerts: AlertsFile, reading: Reading): { alerting: Alerting; issues: RuleIssue[] } {
  const { rules, issues } = compileRules(alerts);
  const builtins = builtinRules(reading.locale);
  const causes = causeLinks(rules, alerts.inhibit);
  const kinds = alertKinds(alerts, rules, builtins, envNamed(alerts.rules));
  return {
    alerting: {
      rules,
      builtins,
      reading,
      inhibit: alerts.inhibit,
      windows: alerts.maintenance.map((m) => new RecurringWindow(m)),
      evaluation: alerts.evaluation,
      probes: new Set(alerts.probes.map((p) => p.name)),
      probeNames: entryNames(alerts.probes),
      probeTiming: new Map(
        alerts.probes.map((p) => [p.name, { every: p.every, timeout: p.timeout, lookback: lookback(p) }]),
      ),
      causes,
      symptomProbes: symptomProbes(rules, causes),
      kinds,
      fromSources: alerts.sources.map((s) => sourceAnyKind(s)),
      sources: new Map(alerts.sources.map((s) => [s.name, s])),
    },
    issues,
  };
}

/**
 * The alerts that can exist under `alerts`, known before any instance does: its rules' and centinela's own, with
 * the priorities each can have. What a silence or a window could hold back is told from these and the sources'.
 * A rule whose name is `withheld` (it came from the environment) is shown in messages as the map says.
 */
export function alertKinds(
  alerts: Pick<AlertsFile, 'evaluation' | 'sources'>,
  rules: readonly Rule[],
  builtins: BuiltinRules,
  withheld: ReadonlyMap<string, string>,
): AlertKind[] {
  return [
    ...rules.map((r) => ({
      alertname: r.name,
      ...(withheld.has(r.name) ? { shownAs: withheld.get(r.name) } : {}),
      labels: r.labels,
      open: 'any' as const,
      priorities: r.levels.map((l) => l.priority),
    })),
    {
      alertname: builtins.cannotMeasure.name,
      labels: builtins.cannotMeasure.labels,
      open: ['probe'],
      priorities: [alerts.evaluation.cannot_measure],
    },
    {
      alertname: builtins.healthNotBack.name,
      labels: builtins.healthNotBack.labels,
      open: ['window', 'probes'],
      priorities: PRIORITIES,
    },
    // Only where alerts come from sources.
    ...(alerts.sources.length > 0
      ? [
          {
            alertname: builtins.alertsRefused.name,
            labels: builtins.alertsRefused.labels,
            open: ['source'],
            priorities: PRIORITIES,
          },
        ]
      : []),
  ];
}
