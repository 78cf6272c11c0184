// Rule unit tests, like `promtool test rules`: series of sample values over time go through the engine's loop on
// a fake clock and a throwaway store, and the alerts at given times are compared with what the test expects.
// The file format is documented in docs/rules.md ("centinela test").

import { pino } from 'pino';
import { isScalar, LineCounter, parseDocument, visit } from 'yaml';
import { z } from 'zod';
import { FakeClock } from '../clock.js';
import { formatConfigIssue, formatPath } from '../config/errors.js';
import { duration, labels as labelsSchema, name, priority, withOwnValue } from '../config/primitives.js';
import type { AlertsFile } from '../config/schema.js';
import { valueAt } from '../config/schema-walk.js';
import { yamlProblems } from '../config/yaml-issues.js';
import { formatDuration } from '../duration.js';
import type { Reading } from '../locale/locale.js';
import { compileAlerting } from '../rules/alerting.js';
import { CANNOT_MEASURE, probeOf } from '../rules/rule.js';
import { openStore } from '../store/sqlite.js';
import type { Labels, ProbeRun, Sample } from '../types.js';
import type { AlertsApi } from './alerts-api.js';
import { Engine } from './loop.js';

const probeFailure = z
  .strictObject({
    probe: name,
    /** Step numbers (0 is the first run): `3`, `"3 4 7-9"`, or a list. */
    steps: z.union([z.number().int().min(0), z.string(), z.array(z.number().int().min(0))]),
    down: z.string().optional(),
    cannot_measure: z.string().optional(),
  })
  .refine((f) => (f.down === undefined) !== (f.cannot_measure === undefined), {
    message: 'give exactly one of down: "<reason>" (the run failed) or cannot_measure: "<reason>"',
  });

const expectedAlert = z.strictObject({
  /** The sample's labels; alertname and the rule's own labels are implied. */
  labels: labelsSchema.default({}),
  priority,
  /** `resolved` only shows for an alert that flaps: it stays listed until it settles. */
  state: z.enum(['pending', 'firing', 'resolved']).default('firing'),
  flapping: z.boolean().optional(),
  summary: z.string().optional(),
  /** What holds it back: [], [silenced], [inhibited], [maintenance]. */
  suppressed: z.array(z.enum(['silenced', 'inhibited', 'maintenance'])).optional(),
});

const alertTest = z.strictObject({
  eval_time: duration,
  alertname: z.string(),
  exp_alerts: z.array(expectedAlert).default([]),
});

const testGroup = z.strictObject({
  name: z.string().optional(),
  interval: duration.default(60_000),
  start: z
    .string()
    .refine((s) => !Number.isNaN(Date.parse(s)), { message: 'is not a time. Write e.g. 2026-01-04T07:00:00Z' })
    .optional(),
  input_series: z.array(z.strictObject({ series: z.string(), values: z.string() })).default([]),
  probe_failures: z.array(probeFailure).default([]),
  alert_tests: z.array(alertTest).min(1, { message: 'needs at least one alert test' }),
});

const testFile = z.strictObject({ tests: z.array(testGroup).min(1, { message: 'needs at least one test group' }) });

export type RuleTestFile = z.output<typeof testFile>;
type Group = z.output<typeof testGroup>;

/** One compared expectation: which, and whether it held (with a diff when it did not). */
export interface CheckResult {
  where: string;
  ok: boolean;
  /** `-` lines were expected and not seen, `+` lines were seen and not expected. */
  diff: string[];
}

/**
 * Parses the text of test file `file`; problems name the path in the file and what to write, YAML ones (a syntax
 * error, a list as a key) at `file:line:col` as the configuration's are.
 */
export function parseRuleTests(
  text: string,
  alerts: AlertsFile,
  file: string,
): { file: RuleTestFile } | { problems: string[] } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const yaml = yamlProblems(file, text, doc, lines).issues;
  if (yaml.length > 0) return { problems: yaml.map(formatConfigIssue) };
  // YAML reads `values: 0x5` as the hexadecimal number 5; the series notation means the text as written.
  visit(doc, {
    Pair(_key, pair) {
      if (isScalar(pair.key) && pair.key.value === 'values' && isScalar(pair.value) && pair.value.source) {
        pair.value.value = pair.value.source;
      }
    },
  });
  const data: unknown = doc.toJS();
  const parsed = testFile.safeParse(data);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => {
      const path = i.path as (string | number)[];
      return `${formatPath(path)}: ${withOwnValue(i, valueAt(data, path))}`;
    });
    return { problems };
  }
  const problems: string[] = [];
  const probes = new Set(alerts.probes.map((p) => p.name));
  const alertnames = new Set([...alerts.rules.map((r) => r.name), CANNOT_MEASURE]);
  parsed.data.tests.forEach((g, gi) => {
    g.input_series.forEach((s, si) => {
      const at = `tests[${gi}].input_series[${si}]`;
      try {
        const { name: sample } = parseSeries(s.series);
        const probe = probeOf(sample);
        if (!probes.has(probe)) problems.push(`${at}.series: no probe "${probe}" in alerts.yaml`);
        expandValues(s.values);
      } catch (err) {
        problems.push(`${at}: ${(err as Error).message}`);
      }
    });
    g.probe_failures.forEach((f, fi) => {
      if (!probes.has(f.probe)) problems.push(`tests[${gi}].probe_failures[${fi}].probe: no probe "${f.probe}"`);
      try {
        parseSteps(f.steps);
      } catch (err) {
        problems.push(`tests[${gi}].probe_failures[${fi}].steps: ${(err as Error).message}`);
      }
    });
    g.alert_tests.forEach((t, ti) => {
      // A misspelt alertname would pass any test expecting no alerts: refuse it.
      if (!alertnames.has(t.alertname)) {
        problems.push(`tests[${gi}].alert_tests[${ti}].alertname: no rule "${t.alertname}" in alerts.yaml`);
      }
    });
  });
  return problems.length > 0 ? { problems } : { file: parsed.data };
}

/** `api_metrics.latency_p95_seconds{route="/api/v1/tasks"}` → name and labels. */
export function parseSeries(text: string): { name: string; labels: Labels } {
  const m = /^\s*([a-zA-Z][a-zA-Z0-9_-]*\.[a-zA-Z0-9_.]+)\s*(?:\{(.*)\})?\s*$/s.exec(text);
  if (!m?.[1]) throw new Error(`"${text}" is not a series. Write <probe>.<sample>{label="value", ...}`);
  const pairs: [string, string][] = [];
  const pair = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(?:,|$)/y;
  const body = m[2] ?? '';
  while (pair.lastIndex < body.length && body.slice(pair.lastIndex).trim() !== '') {
    const p = pair.exec(body);
    if (!p?.[1]) throw new Error(`"${text}": labels are written {name="value", other="value"}`);
    pairs.push([p[1], (p[2] ?? '').replace(/\\(.)/g, '$1')]);
  }
  // fromEntries defines own properties: `labels.__proto__ = …` would call Object.prototype's setter instead.
  return { name: m[1], labels: Object.fromEntries(pairs) };
}

const EXPANDING = /^(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)(?:([+-])(\d+(?:\.\d+)?(?:e[+-]?\d+)?))?x(\d+)$/i;

/**
 * promtool's expanding notation: `1 2 3`, `_` (no data: the probe's run failed), `a+bxn` (n+1 values a, a+b, …,
 * a+n·b), `a-bxn`, `axn` (a, n+1 times), `_xn` (n runs without data). Undefined stands for `_`.
 */
export function expandValues(text: string): (number | undefined)[] {
  const out: (number | undefined)[] = [];
  for (const token of text.trim().split(/\s+/).filter(Boolean)) {
    if (token === '_') out.push(undefined);
    else if (/^_x\d+$/.test(token)) for (let i = Number(token.slice(2)); i > 0; i--) out.push(undefined);
    else if (EXPANDING.test(token)) {
      const [, a, sign, b, n] = EXPANDING.exec(token) as RegExpExecArray;
      const step = b === undefined ? 0 : (sign === '-' ? -1 : 1) * Number(b);
      for (let i = 0; i <= Number(n); i++) out.push(Number((Number(a) + i * step).toPrecision(12)));
    } else if (token !== '' && Number.isFinite(Number(token))) out.push(Number(token));
    else throw new Error(`"${token}" is not a value. Write a number, _ (no data), a+bxn, a-bxn, axn or _xn`);
  }
  return out;
}

function parseSteps(steps: number | string | number[]): Set<number> {
  if (typeof steps === 'number') return new Set([steps]);
  if (Array.isArray(steps)) return new Set(steps);
  const out = new Set<number>();
  for (const part of steps
    .trim()
    .split(/[\s,]+/)
    .filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new Error(`"${part}" is not a step. Write step numbers like "3 4 7-9" (0 is the first run)`);
    for (let i = Number(m[1]); i <= Number(m[2] ?? m[1]); i++) out.add(i);
  }
  return out;
}

/** Runs every group of a test file against alerts.yaml and returns one result per alert test. */
export async function runRuleTests(file: RuleTestFile, alerts: AlertsFile, reading: Reading): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const [gi, group] of file.tests.entries()) {
    for (const r of await runGroup(group, `tests[${gi}]${group.name ? ` "${group.name}"` : ''}`, alerts, reading))
      results.push(r);
  }
  return results;
}

const silent = pino({ level: 'silent' });

async function runGroup(group: Group, where: string, alerts: AlertsFile, reading: Reading): Promise<CheckResult[]> {
  const clock = new FakeClock(group.start ? Date.parse(group.start) : undefined);
  const start = clock.now();
  const store = openStore(':memory:');
  const { alerting } = compileAlerting(alerts, reading);
  const engine = new Engine({ store, clock, log: silent, alerting });
  const ruleLabels = new Map(alerting.rules.map((r) => [r.name, r.labels]));
  try {
    const series = group.input_series.map((s) => ({ ...parseSeries(s.series), values: expandValues(s.values) }));
    const failures = group.probe_failures.map((f) => ({ ...f, steps: parseSteps(f.steps) }));
    const steps = series.reduce((n, s) => Math.max(n, s.values.length), 0);
    // Probes the group gives nothing run too, up with nothing to report, as a healthy rest of the stack would: a
    // cause the test does not break has looked, so it holds no symptom back (see rules/causes.ts).
    const named = new Set([...series.map((s) => probeOf(s.name)), ...failures.map((f) => f.probe)]);
    const quiet = alerts.probes.map((p) => p.name).filter((p) => !named.has(p));
    const times = new Set<number>();
    for (let i = 0; i < steps; i++) times.add(i * group.interval);
    for (const t of group.alert_tests) times.add(t.eval_time);
    const results: CheckResult[] = [];
    for (const offset of [...times].sort((a, b) => a - b)) {
      await clock.advanceTo(start + offset);
      const step = offset % group.interval === 0 && offset / group.interval < steps ? offset / group.interval : -1;
      engine.evaluate(step >= 0 ? runsAt(step, series, failures, clock.now(), quiet) : []);
      group.alert_tests.forEach((t, ti) => {
        if (t.eval_time !== offset) return;
        const at = `${where} alert_tests[${ti}] at ${formatDuration(offset)}, ${t.alertname}`;
        results.push(compareAlerts(engine.alerts, ruleLabels.get(t.alertname) ?? {}, t, at));
      });
    }
    return results;
  } finally {
    engine.close();
    store.close();
  }
}

/** The runs of step `i`: one per probe with a value (or a `_`, or a failure) at that step, and the quiet probes. */
function runsAt(
  i: number,
  series: { name: string; labels: Labels; values: (number | undefined)[] }[],
  failures: { probe: string; steps: Set<number>; down?: string; cannot_measure?: string }[],
  at: number,
  quiet: readonly string[],
): ProbeRun[] {
  const byProbe = new Map<string, { samples: Sample[]; noData: boolean }>();
  const of = (probe: string) => {
    const run = byProbe.get(probe) ?? { samples: [], noData: false };
    byProbe.set(probe, run);
    return run;
  };
  for (const s of series) {
    if (i >= s.values.length) continue;
    const run = of(probeOf(s.name));
    const value = s.values[i];
    if (value === undefined) run.noData = true;
    else run.samples.push({ name: s.name, labels: s.labels, value });
  }
  const failing = failures.filter((f) => f.steps.has(i));
  for (const f of failing) of(f.probe);
  for (const p of quiet) of(p);
  return [...byProbe].map(([probe, run]) => {
    const failure = failing.find((f) => f.probe === probe);
    const upSample = run.samples.find((s) => s.name === `${probe}.up`);
    // `_` is a failed run, unless the step says cannot_measure: then the run answered without the values.
    const measuredOrExplained = !run.noData || failure?.cannot_measure !== undefined;
    const up = measuredOrExplained && failure?.down === undefined && (upSample === undefined || upSample.value === 1);
    const samples = upSample ? run.samples : [...run.samples, { name: `${probe}.up`, labels: {}, value: up ? 1 : 0 }];
    return {
      probe,
      up,
      samples,
      at,
      ...(up ? {} : { reason: failure?.down ?? 'no data in the test series' }),
      ...(up && failure?.cannot_measure ? { cannotMeasure: failure.cannot_measure } : {}),
    };
  });
}

function compareAlerts(
  alerts: AlertsApi,
  ruleLabels: Labels,
  t: z.output<typeof alertTest>,
  where: string,
): CheckResult {
  // Summary and holds are compared when the test states them (for one alert of the check: then for all).
  const withSummary = t.exp_alerts.some((a) => a.summary !== undefined);
  const withHolds = t.exp_alerts.some((a) => a.suppressed !== undefined);
  const expected = t.exp_alerts
    .map((a) =>
      line(t.alertname, a.labels, a.priority, a.state, {
        flapping: a.flapping ?? false,
        summary: withSummary ? a.summary : undefined,
        held: withHolds ? (a.suppressed ?? []) : undefined,
      }),
    )
    .sort();
  const actual = alerts
    .listAlerts({ alertname: t.alertname })
    .map((r) => {
      // The rule's own labels and alertname are the same on every instance: the test states the sample's.
      const sampleLabels = Object.fromEntries(
        Object.entries(r.alert.labels).filter(([k]) => k !== 'alertname' && !Object.hasOwn(ruleLabels, k)),
      );
      return line(t.alertname, sampleLabels, r.alert.priority, r.state, {
        flapping: r.alert.flapping,
        summary: withSummary ? r.alert.summary : undefined,
        held: withHolds ? r.alert.suppressedBy.map((h) => h.kind) : undefined,
      });
    })
    .sort();
  const diff = [
    ...expected.filter((l) => !actual.includes(l)).map((l) => `- ${l}`),
    ...actual.filter((l) => !expected.includes(l)).map((l) => `+ ${l}`),
  ];
  const same = expected.filter((l) => actual.includes(l)).map((l) => `  ${l}`);
  return { where, ok: diff.length === 0, diff: diff.length === 0 ? [] : [...same, ...diff] };
}

/** One alert as a diff line: `ApiLatencyHigh{route="/x"} P2 firing held:inhibited summary="…"`. */
function line(
  alertname: string,
  labels: Labels,
  p: string,
  state: string,
  extra: { flapping: boolean; summary: string | undefined; held: string[] | undefined },
): string {
  const pairs = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`);
  const held = extra.held === undefined ? '' : ` held:${[...new Set(extra.held)].sort().join(',') || 'none'}`;
  const summary = extra.summary === undefined ? '' : ` summary=${JSON.stringify(extra.summary)}`;
  return `${alertname}{${pairs.join(', ')}} ${p} ${state}${extra.flapping ? ' flapping' : ''}${held}${summary}`;
}
