// One rule from config/alerts.yaml, compiled and frozen: matchers, thresholds per priority, templates, timings.
import { createHash } from 'node:crypto';
import type { AlertsFile, RuleConfig } from '../config/schema.js';
import { type Locale, t } from '../locale/locale.js';
import { type Matcher, matchesAll } from '../matchers.js';
import { type Labels, PRIORITIES, type Priority } from '../types.js';
import type { Unit } from '../units.js';
import type { Observation } from './state-machine.js';
import { compileTemplate, type Template, TemplateError } from './template.js';

export type Op = RuleConfig['op'];

/** The probe that writes a sample: the part of its name before the first dot. */
export function probeOf(sample: string): string {
  return sample.slice(0, sample.indexOf('.'));
}

/** A compiled rule. Runtime state never lives here (it is in the store), so a rule can be shared freely. */
export interface Rule {
  name: string;
  /** The source (alerts.yaml `sources`) whose alerts this rule stands for (rules/external.ts); absent for the rest. */
  source?: string;
  /** The probe whose runs feed this rule: the part of `sample` before the first dot. */
  probe: string;
  sample: string;
  matchers: readonly Matcher[];
  op: Op;
  /** Most urgent first; the first one breached wins. */
  levels: readonly { priority: Priority; threshold: number }[];
  clearThreshold: number | undefined;
  for: number;
  afterFailures: number;
  retryEvery: number | undefined;
  clearFor: number;
  /** How close together its probe's runs can come (runSpacing; state-machine.ts slack); none for a cron probe. */
  spacing: number | undefined;
  /** The fast path (fast-path.ts): its sample, most urgent level first, and its timings. */
  fast: FastPath | undefined;
  /**
   * Clear runs in a row before a firing alert resolves (unset: the first clear run, with `clearFor`). With
   * `retryEvery`, the probe runs at that pace while the alert fires, so the first of them follows recovery closely.
   */
  afterSuccesses: number | undefined;
  labels: Labels;
  summary: Template;
  description: Template | undefined;
  /** How its value reads: as the summary (else the description) shows the value or threshold; `state` if neither does. */
  unit: Unit;
  runbook: string[];
  diagnose: string[];
  groupBy: string[];
  /** Contacts paged besides the level's, from the first page on (`also_page`). */
  alsoPage: string[];
  /** True for `<probe>.up` and `<probe>.duration_seconds`: the scheduler sends them even when a run fails. */
  speaksForOutage: boolean;
}

/** A rule's second, fast reading of the same alert. */
export interface FastPath {
  sample: string;
  levels: readonly { priority: Priority; threshold: number }[];
  afterFailures: number;
  clearFor: number;
}

/** A problem found while compiling, at a path inside alerts.yaml (e.g. `rules[3].summary`) for the loader to place. */
export interface RuleIssue {
  path: (string | number)[];
  message: string;
  /** The message without quoting the value, to follow what names it when it must not be shown (from ${VAR}). */
  unquoted: string;
}

const RESERVED_NAME = 'is the name of an alert centinela raises itself; pick another';

/** Names of the alerts centinela raises itself; a rule may not take them. */
export const CANNOT_MEASURE = 'CannotMeasure';
export const HEALTH_NOT_BACK = 'HealthNotBack';
export const ALERTS_REFUSED = 'SourceAlertsRefused';
const RESERVED = new Set([CANNOT_MEASURE, HEALTH_NOT_BACK, ALERTS_REFUSED]);

const COMPARE: Record<Op, (a: number, b: number) => boolean> = {
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '==': (a, b) => a === b,
  '!=': (a, b) => a !== b,
};

/** `value op threshold`, e.g. 0.6 > 0.5. */
export function compare(op: Op, value: number, threshold: number): boolean {
  return COMPARE[op](value, threshold);
}

/**
 * Compiles one rule, or throws RuleIssue[] for it (paths relative to the rule). The checks here are the ones only
 * the rules know: templates and reserved names (references, clear_threshold and duplicates are config/references.ts').
 */
export function compileRule(cfg: RuleConfig, spacing?: number): Rule {
  const issues: RuleIssue[] = [];
  if (RESERVED.has(cfg.name)) {
    issues.push({ path: ['name'], message: `"${cfg.name}" ${RESERVED_NAME}`, unquoted: RESERVED_NAME });
  }
  const levels = levelsOf(cfg.thresholds);
  const template = (key: 'summary' | 'description', text: string): Template | undefined => {
    try {
      return compileTemplate(text);
    } catch (err) {
      if (!(err instanceof TemplateError)) throw err;
      const unquoted = `is not a template centinela can read: the problem starts at character ${err.offset + 1}`;
      issues.push({ path: [key], message: err.message, unquoted });
      return undefined;
    }
  };
  const summary = template('summary', cfg.summary ?? defaultSummary(cfg));
  const description = cfg.description === undefined ? undefined : template('description', cfg.description);
  if (issues.length > 0 || !summary) throw issues;
  const probe = probeOf(cfg.sample);
  return Object.freeze({
    name: cfg.name,
    probe,
    sample: cfg.sample,
    matchers: cfg.match ?? [],
    op: cfg.op,
    levels,
    clearThreshold: cfg.clear_threshold,
    for: cfg.for,
    afterFailures: cfg.after_failures,
    retryEvery: cfg.retry_every,
    clearFor: cfg.clear_for,
    spacing,
    fast: cfg.fast && {
      sample: cfg.fast.sample,
      levels: levelsOf(cfg.fast.thresholds),
      afterFailures: cfg.fast.after_failures,
      clearFor: cfg.fast.clear_for,
    },
    afterSuccesses: cfg.after_successes,
    labels: { ...cfg.labels, alertname: cfg.name },
    summary,
    description,
    unit: unitOf(summary, description),
    runbook: runbookSteps(cfg.runbook),
    diagnose: cfg.diagnose,
    groupBy: cfg.group_by,
    alsoPage: cfg.also_page,
    speaksForOutage: watchesUp({ probe, sample: cfg.sample }) || cfg.sample === `${probe}.duration_seconds`,
  });
}

/** Thresholds as levels, most urgent first. */
function levelsOf(thresholds: RuleConfig['thresholds']): { priority: Priority; threshold: number }[] {
  return PRIORITIES.flatMap((priority) => {
    const threshold = thresholds[priority];
    return threshold === undefined ? [] : [{ priority, threshold }];
  });
}

/**
 * Compiles every rule of alerts.yaml, collecting all problems with their paths (`['rules', 3, 'summary']`).
 * The config loader's second pass (config/references.ts) reports them at file:line:col like zod's issues. With the
 * probes, each rule knows how far apart its runs are; without (a check of the rules alone), none does.
 */
export function compileRules(alerts: Pick<AlertsFile, 'rules'> & Partial<Pick<AlertsFile, 'probes'>>): {
  rules: Rule[];
  issues: RuleIssue[];
} {
  const rules: Rule[] = [];
  const issues: RuleIssue[] = [];
  const spacing = runSpacing(alerts);
  alerts.rules.forEach((cfg, i) => {
    try {
      rules.push(compileRule(cfg, spacing.get(probeOf(cfg.sample))));
    } catch (err) {
      if (!Array.isArray(err)) throw err;
      for (const issue of err as RuleIssue[]) issues.push({ ...issue, path: ['rules', i, ...issue.path] });
    }
  });
  return { rules, issues };
}

/**
 * How close together each probe's runs can come: its `every`, or the shortest `retry_every` of the rules over it, as
 * a rule's retries run the probe for every rule over it. None for a cron probe, whose runs follow no one interval.
 */
function runSpacing(alerts: Partial<Pick<AlertsFile, 'rules' | 'probes'>>): Map<string, number> {
  const spacing = new Map<string, number>();
  for (const p of alerts.probes ?? []) if (p.every !== undefined) spacing.set(p.name, p.every);
  for (const r of alerts.rules ?? []) {
    const every = spacing.get(probeOf(r.sample));
    if (every !== undefined && r.retry_every !== undefined)
      spacing.set(probeOf(r.sample), Math.min(every, r.retry_every));
  }
  return spacing;
}

/**
 * Whether a rule watches its probe's `up`: a state (up or down), which the probe's runs show. Every other sample is a
 * number whose series is kept and drawn, whatever the rule's templates print (its `unit` is only how they print it).
 */
export function watchesUp(w: { probe: string; sample: string }): boolean {
  return w.sample === `${w.probe}.up`;
}

/** The unit the templates show the value in (the threshold's when only it is shown); `state` when neither shows. */
function unitOf(summary: Template, description: Template | undefined): Unit {
  for (const t of [summary, description]) {
    const unit = t?.unitOf('value') ?? t?.unitOf('threshold');
    if (unit) return unit;
  }
  return 'state';
}

function defaultSummary(cfg: RuleConfig): string {
  return `${cfg.name}: ${cfg.sample} is {{ value }} (${cfg.op} {{ threshold }})`;
}

function runbookSteps(runbook: RuleConfig['runbook']): string[] {
  if (runbook === undefined) return [];
  const lines = typeof runbook === 'string' ? runbook.split('\n') : runbook;
  return lines.map((l) => l.trim()).filter((l) => l !== '');
}

/** The observation a value makes under `rule`: breached at the most urgent priority, inside the hysteresis band, or clear. */
export function observe(rule: Pick<Rule, 'op' | 'levels' | 'clearThreshold'>, value: number | undefined): Observation {
  if (value === undefined || Number.isNaN(value)) return { kind: 'clear', value };
  for (const level of rule.levels) {
    if (compare(rule.op, value, level.threshold)) return { kind: 'breach', value, ...level };
  }
  const least = rule.levels.at(-1);
  if (least && rule.clearThreshold !== undefined && compare(rule.op, value, rule.clearThreshold)) {
    return { kind: 'band', value, ...least };
  }
  return { kind: 'clear', value };
}

/** True when a sample with this name and these labels feeds `rule`. */
export function selects(rule: Rule, name: string, labels: Labels): boolean {
  return name === rule.sample && matchesAll(rule.matchers, labels);
}

/** The alert's labels: the sample's, then the rule's (which win), then `alertname`. */
export function alertLabels(rule: Pick<Rule, 'labels'>, sampleLabels: Labels): Labels {
  return { ...sampleLabels, ...rule.labels };
}

/** The stable id of an alert instance: a hash of the rule name and the sorted labels, so restarts keep it. */
export function alertId(ruleName: string, labels: Labels): string {
  return createHash('sha256').update(ruleName).update('\0').update(canonicalLabels(labels)).digest('hex').slice(0, 20);
}

/** Labels as one string with sorted keys; equal label sets give equal strings. */
export function canonicalLabels(labels: Labels): string {
  return JSON.stringify(
    Object.keys(labels)
      .sort()
      .map((k) => [k, labels[k]]),
  );
}

/**
 * A rule that fires at the first observation, at the priority it carries, and resolves at the first clear one: the
 * alerts centinela raises itself, and (with `over`) those a source sends (rules/external.ts).
 */
export function builtin(name: string, summary: string, runbook: string[], over: Partial<Rule> = {}): Rule {
  return Object.freeze({
    name,
    probe: '',
    sample: '',
    matchers: [],
    op: '==' as const,
    levels: PRIORITIES.map((priority) => ({ priority, threshold: 1 })),
    clearThreshold: undefined,
    for: 0,
    afterFailures: 1,
    retryEvery: undefined,
    clearFor: 0,
    spacing: undefined,
    fast: undefined,
    afterSuccesses: undefined,
    labels: { alertname: name },
    summary: compileTemplate(summary),
    description: undefined,
    unit: 'state',
    runbook,
    diagnose: [],
    groupBy: ['alertname'],
    alsoPage: [],
    speaksForOutage: false,
    ...over,
  });
}

/** The alerts centinela raises itself, worded in one language. */
export interface BuiltinRules {
  /** CannotMeasure{probe}: a probe ran but could not compute its values (auth error, missing histogram). */
  cannotMeasure: Rule;
  /** HealthNotBack{window, probes}: a one-shot maintenance window ended with its probes still not healthy. */
  healthNotBack: Rule;
  /** SourceAlertsRefused{source}: a source's new alerts were refused, past its max_alerts (rules/external.ts). */
  alertsRefused: Rule;
}

/** CannotMeasure, HealthNotBack and SourceAlertsRefused with their summary and steps in `locale`. */
export function builtinRules(locale: Locale): BuiltinRules {
  return {
    cannotMeasure: builtin(CANNOT_MEASURE, t(locale, 'builtin.cannotMeasure', { probe: '{{ labels.probe }}' }), [
      t(locale, 'builtin.cannotMeasureDiagnosis'),
      t(locale, 'builtin.cannotMeasureCheck'),
    ]),
    healthNotBack: builtin(
      HEALTH_NOT_BACK,
      t(locale, 'builtin.healthNotBack', { window: '{{ labels.window }}', probes: '{{ labels.probes }}' }),
      [
        'docker compose -f docker-compose.prod.yml ps',
        'docker compose -f docker-compose.prod.yml logs --tail=100 api',
        t(locale, 'builtin.healthNotBackRollback'),
      ],
    ),
    alertsRefused: builtin(
      ALERTS_REFUSED,
      t(locale, 'builtin.alertsRefused', { source: '{{ labels.source }}', refused: '{{ value }}' }),
      [t(locale, 'builtin.alertsRefusedWhy'), t(locale, 'builtin.alertsRefusedFix')],
    ),
  };
}

/** Stands in for a rule that was removed from the config while one of its alerts was open, so it can resolve. */
export function removedRule(name: string, locale: Locale): Rule {
  return builtin(name, t(locale, 'builtin.removedRule', { name }), []);
}
