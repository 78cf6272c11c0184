// Checks of the recurring maintenance windows (alerts.yaml `maintenance:`) as a whole: one that never closes, one
// open longer than evaluation.window_max allows for an alert it could hold back (the one-shot windows' cap), and the
// same window twice under two names.
import { CronSchedule } from '../cron.js';
import { formatDuration } from '../duration.js';
import { formatMatchers } from '../matchers.js';
import { alertKinds } from '../rules/alerting.js';
import { AlertingError } from '../rules/errors.js';
import { sourceAnyKind } from '../rules/external.js';
import { checkRecurringLength } from '../rules/maintenance.js';
import { builtinRules, compileRules } from '../rules/rule.js';
import { lengthLimits } from '../rules/silences.js';
import type { Finding, PathKey } from './errors.js';
import type { Quoting } from './quoting.js';
import type { AlertsFile, MaintenanceConfig, RuleConfig, Salvaged, SourceConfig } from './schema.js';

/** How many openings of a recurring window are looked at for the shortest time between two. */
const OPENINGS_SEEN = 1_000;
/**
 * From when they are looked at: a fixed instant, so the check is pure; in UTC, so that the hour a clock change
 * repeats (two openings an hour apart) is not taken for the cron's period. A yearly cron still gets one gap.
 */
const SEEN_FROM = Date.UTC(2026, 0, 1);
const SEEN_UNTIL = Date.UTC(2027, 0, 1);

/**
 * A recurring window at least as long as the shortest time between two openings of its cron is still open when it
 * opens again: the openings run together, and at the cron's period it never closes (7d on a weekly cron holds back
 * every alert it matches for good).
 */
export function neverCloses(expression: string, duration: number, at: PathKey[], q: Quoting): Finding | undefined {
  const schedule = new CronSchedule(expression, 'UTC');
  let shortest = Number.POSITIVE_INFINITY;
  try {
    let t = schedule.next(SEEN_FROM);
    for (let seen = 0; t !== undefined && (seen === 0 || t < SEEN_UNTIL) && seen < OPENINGS_SEEN; seen++) {
      const next = schedule.next(t);
      if (next !== undefined) shortest = Math.min(shortest, next - t);
      t = next;
    }
  } finally {
    schedule.close();
  }
  if (duration < shortest) return undefined;
  const path = [...at, 'duration'];
  const gap = formatDuration(shortest);
  return {
    path,
    message:
      `${q.show(path, formatDuration(duration))} is not shorter than the ${gap} between two openings of its cron ` +
      `(${q.show([...at, 'cron'], `"${expression}"`)}), so the window is still open when it opens again: the openings ` +
      `run together, and at the cron's period it never closes. Lower duration below ${gap}, or open it less often`,
  };
}

/**
 * What is wrong with the recurring windows taken together with the rules and sources: each too long for an alert it
 * could hold back (told at its duration; not those of `endless`, the indices of windows that never close, told so),
 * and each that repeats an earlier one (told at the later one).
 */
export function recurringWindowFindings(
  alerts: Salvaged<AlertsFile>,
  endless: ReadonlySet<number>,
  q: Quoting,
): Finding[] {
  const windows = alerts.maintenance ?? [];
  const weighed = windows.map((w, i) => (endless.has(i) ? undefined : w));
  return [...tooLong(alerts, weighed, q), ...repeated(windows, q)];
}

/**
 * The windows open longer than evaluation.window_max allows for an alert they could hold back, as a one-shot window's
 * max is held (rules/maintenance.ts). Weighed only once every rule and source is whole: a refused one could be the
 * alert that decides the cap.
 */
function tooLong(
  alerts: Salvaged<AlertsFile>,
  windows: readonly (MaintenanceConfig | undefined)[],
  q: Quoting,
): Finding[] {
  const { evaluation } = alerts;
  const rules = alerts.rules ?? [];
  const sources = alerts.sources ?? [];
  if (!evaluation || !rules.every((r) => r !== undefined) || !sources.every((s) => s !== undefined)) return [];
  const compiled = compileRules({ rules: rules as RuleConfig[] });
  if (compiled.issues.length > 0) return [];
  const whole = { evaluation, sources: sources as SourceConfig[] };
  // Only names, labels and priorities count here, which no language changes.
  const kinds = [...alertKinds(whole, compiled.rules, builtinRules('en')), ...whole.sources.map(sourceAnyKind)];
  const limits = lengthLimits(evaluation.window_max);
  const out: Finding[] = [];
  windows.forEach((window, i) => {
    if (!window) return;
    const path = ['maintenance', i, 'duration'];
    try {
      checkRecurringLength(window, kinds, limits, q.show(path, formatDuration(window.duration)));
    } catch (err) {
      if (!(err instanceof AlertingError)) throw err;
      out.push({ path, message: err.message });
    }
  });
  return out;
}

/**
 * The windows that repeat an earlier one under another name: the same cron in the same time zone holding back the
 * same alerts (the same `match`, in any order). Two names for one window hide which one is meant, and changing one
 * leaves the other holding alerts back.
 */
function repeated(windows: readonly (MaintenanceConfig | undefined)[], q: Quoting): Finding[] {
  const seen = new Map<string, number>();
  const out: Finding[] = [];
  windows.forEach((window, i) => {
    if (!window) return;
    const match = Object.entries(formatMatchers(window.match ?? [])).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const key = JSON.stringify([window.cron.trim().split(/\s+/), window.timezone, match]);
    const first = seen.get(key);
    if (first === undefined) {
      seen.set(key, i);
      return;
    }
    const earlier = windows[first] as MaintenanceConfig;
    const at: PathKey[] = ['maintenance', i];
    out.push({
      path: at,
      message:
        `${q.show([...at, 'name'], `"${window.name}"`)} is the same window as maintenance[${first}] ` +
        `(${q.show(['maintenance', first, 'name'], `"${earlier.name}"`)}): the same cron in the same time zone ` +
        `holding back the same alerts${window.duration === earlier.duration ? '' : ', for another duration'}. ` +
        'Keep one of them',
    });
  });
  return out;
}
