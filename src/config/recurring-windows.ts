// Checks of the recurring maintenance windows (alerts.yaml `maintenance:`) as a whole: one that never closes, one
// open longer than evaluation.window_max allows for an alert it could hold back (the one-shot windows' cap), several
// that run on from one another into a span longer than that, and the same window twice under two names.
import { CronSchedule, scheduleKey } from '../cron.js';
import { formatDuration } from '../duration.js';
import { formatMatchers, type Matcher, matchesAll } from '../matchers.js';
import { alertKinds } from '../rules/alerting.js';
import { AlertingError } from '../rules/errors.js';
import { sourceAnyKind } from '../rules/external.js';
import type { AlertKind, SourceAnyKind } from '../rules/known-names.js';
import { checkRecurringLength } from '../rules/maintenance.js';
import { builtinRules, compileRules } from '../rules/rule.js';
import { couldMatch, type LengthLimits, lengthLimits } from '../rules/silences.js';
import type { Priority } from '../types.js';
import type { Finding, PathKey } from './errors.js';
import type { Quoting } from './quoting.js';
import type { AlertsFile, MaintenanceConfig, RuleConfig, Salvaged, SourceConfig } from './schema.js';

/**
 * How many openings of a recurring window are laid out at most: a year of a daily cron, six weeks of an hourly one.
 * Each costs a few Intl reads (src/cron.ts), and `check` and every reload lay out every window's once.
 */
const OPENINGS_SEEN = 1_000;
/**
 * The year they are laid out over, in each window's own time zone as it opens at run time: a fixed year, so the check
 * is pure, with both clock changes of the zones that have them (a day that comes an hour short brings two openings
 * closer).
 */
const SEEN_FROM = Date.UTC(2026, 0, 1);
const SEEN_UNTIL = Date.UTC(2027, 0, 1);

/**
 * When a window opens over the year looked at: every opening before `until` (SEEN_UNTIL, or sooner when OPENINGS_SEEN
 * cut the list), and one after it when that is needed for a gap (a yearly cron has one), with the shortest time
 * between two of them.
 */
interface Openings {
  starts: number[];
  until: number;
  shortest: number;
}

/**
 * What is wrong with the recurring windows taken together with the rules and sources: each that never closes (its
 * duration at or above the shortest time between two of its openings), each too long for an alert it could hold back
 * (told at its duration; not one that never closes, told so), those that run on from one another into a span too long
 * (told at the latest of them), and each that repeats an earlier one (told at the later one). Each window's openings
 * are laid out once, for all of these.
 */
export function recurringWindowFindings(alerts: Salvaged<AlertsFile>, q: Quoting): Finding[] {
  const windows = alerts.maintenance ?? [];
  const openings = windows.map((w) => (w ? openingsOf(w) : undefined));
  const endless = windows.flatMap((w, i) => {
    const o = openings[i];
    return w && o && w.duration >= o.shortest ? [neverCloses(w, o.shortest, ['maintenance', i], q)] : [];
  });
  const caps = weighing(alerts, q);
  if (!caps) return [...endless, ...repeated(windows, q)];
  const told = new Set(endless.map((f) => f.path[1]));
  const long = tooLong(
    windows.map((w, i) => (told.has(i) ? undefined : w)),
    caps,
    q,
  );
  for (const f of long) told.add(f.path[1]);
  const alone = windows.map((w, i) => (told.has(i) || !openings[i] ? undefined : w));
  return [...endless, ...long, ...runningOn(alone, openings, caps, q), ...repeated(windows, q)];
}

/**
 * A recurring window at least as long as the shortest time between two openings of its cron is still open when it
 * opens again: the openings run together, and at the cron's period it never closes (7d on a weekly cron holds back
 * every alert it matches for good).
 */
function neverCloses(window: MaintenanceConfig, shortest: number, at: PathKey[], q: Quoting): Finding {
  const path = [...at, 'duration'];
  const gap = formatDuration(shortest);
  return {
    path,
    message:
      `${q.show(path, formatDuration(window.duration))} is not shorter than the ${gap} between two openings of its ` +
      `cron (${q.show([...at, 'cron'], `"${window.cron}"`)}), so the window is still open when it opens again: the ` +
      `openings run together, and at the cron's period it never closes. Lower duration below ${gap}, or open it less ` +
      'often',
  };
}

/** What windows are weighed against: the alerts they could hold back and how long each priority may be held. */
interface Caps {
  kinds: (AlertKind | SourceAnyKind)[];
  limits: LengthLimits;
}

/**
 * The config's alerts and what its sources may send, with evaluation.window_max; undefined until every rule and
 * source is whole: a refused one could be the alert that decides a cap.
 */
function weighing(alerts: Salvaged<AlertsFile>, q: Quoting): Caps | undefined {
  const { evaluation } = alerts;
  const rules = alerts.rules ?? [];
  const sources = alerts.sources ?? [];
  if (!evaluation || !rules.every((r) => r !== undefined) || !sources.every((s) => s !== undefined)) return undefined;
  const compiled = compileRules({ rules: rules as RuleConfig[] });
  if (compiled.issues.length > 0) return undefined;
  const whole = { evaluation, sources: sources as SourceConfig[] };
  // A rule named from the environment is told by its variable, as the rest of the check tells it.
  const withheld = new Map(
    (rules as RuleConfig[]).flatMap((r, i) => {
      const path = ['rules', i, 'name'];
      return q.quotable(path) ? [] : [[r.name, q.withheld(path)] as const];
    }),
  );
  // Only names, labels and priorities count here, which no language changes.
  const kinds = [
    ...alertKinds(whole, compiled.rules, builtinRules('en'), withheld),
    ...whole.sources.map(sourceAnyKind),
  ];
  return { kinds, limits: lengthLimits(evaluation.window_max) };
}

/**
 * The windows open longer than evaluation.window_max allows for an alert they could hold back, as a one-shot window's
 * max is held (rules/maintenance.ts).
 */
function tooLong(windows: readonly (MaintenanceConfig | undefined)[], { kinds, limits }: Caps, q: Quoting): Finding[] {
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
 * The windows that run on from one another (one opens before or as another closes) into a span longer than
 * evaluation.window_max allows for an alert they all could hold back: each within the cap, together not, as two
 * 40-minute windows back to back hold ApiDown for 1h20m where one window is held to 1h. Their openings are laid out
 * over a year in their own time zones; windows that pin a label to values the other excludes (`instance: db1`,
 * `instance: db2`) hold no alert in common. Told once per set of windows, at the latest in the file, for the alert of
 * the tightest cap.
 */
function runningOn(
  windows: readonly (MaintenanceConfig | undefined)[],
  openings: readonly (Openings | undefined)[],
  { kinds, limits }: Caps,
  q: Quoting,
): Finding[] {
  const caps = kinds
    .flatMap((kind) => kind.priorities.map((priority) => ({ kind, priority, max: limits[priority] })))
    .filter((c): c is Cap => c.max !== undefined)
    .sort((a, b) => a.max - b.max);
  const spans = new Map<string, Span[]>();
  const told = new Map<string, { window: number; finding: Finding }>();
  for (const cap of caps) {
    const holders = windows.flatMap((w, i) =>
      w && (w.match ?? []).every((m) => couldMatch(m, cap.kind, cap.priority)) ? [i] : [],
    );
    if (holders.length < 2) continue;
    for (const group of inCommon(holders, windows as MaintenanceConfig[])) {
      const key = `${group.join(',')}:${cap.max}`;
      const found =
        spans.get(key) ?? longerThan(cap.max, group, windows as MaintenanceConfig[], openings as Openings[]);
      spans.set(key, found);
      // A group's span may join windows that only each fit a third: their own groups tell what they hold together.
      for (const span of found.filter((f) => allTogether(f.windows, windows as MaintenanceConfig[]))) {
        const which = span.windows.join(',');
        if (!told.has(which)) told.set(which, runsOn(span, cap, windows as MaintenanceConfig[], q));
      }
    }
  }
  return [...told.values()].sort((a, b) => a.window - b.window).map((t) => t.finding);
}

/** An alert that could be held back, at a priority with a cap. */
interface Cap {
  kind: AlertKind | SourceAnyKind;
  priority: Priority;
  max: number;
}

/** A stretch during which windows are open without a gap, and the windows (indices, in file order) that make it. */
interface Span {
  start: number;
  end: number;
  windows: number[];
}

/** The finding for `span`, at the cron of its latest window in the file, with the fix. */
function runsOn(span: Span, { kind, priority, max }: Cap, windows: readonly MaintenanceConfig[], q: Quoting) {
  const at = span.windows.at(-1) as number;
  const name = (i: number) => q.show(['maintenance', i, 'name'], `"${windows[i]?.name}"`);
  const before = span.windows.slice(0, -1).map((i) => `${name(i)} (maintenance[${i}])`);
  const others = before.length > 1 ? `${before.slice(0, -1).join(', ')} and ${before.at(-1)}` : before[0];
  const alert = 'alertname' in kind ? (kind.shownAs ?? kind.alertname) : `an alert from source "${kind.source}"`;
  const limit = formatDuration(max);
  const from = new Date(span.start).toISOString().replace('.000Z', 'Z');
  const finding: Finding = {
    path: ['maintenance', at, 'cron'],
    message:
      `${name(at)} runs on from ${others} with no gap: together they hold back ${alert} for ` +
      `${formatDuration(span.end - span.start)} in a row (from ${from}), and ${priority} maintenance windows may last ` +
      `at most ${limit} (evaluation.window_max). Leave a gap between them, make them ${limit} or shorter together, ` +
      `or narrow match so they do not all hold back ${alert}`,
  };
  return { window: at, finding };
}

/** The spans of `group`'s windows, two or more of them, longer than `max`: the first of each set of windows. */
function longerThan(
  max: number,
  group: readonly number[],
  windows: readonly MaintenanceConfig[],
  openings: readonly Openings[],
): Span[] {
  // Up to where every window's openings are known.
  const until = group.reduce((u, i) => Math.min(u, (openings[i] as Openings).until), SEEN_UNTIL);
  const open = group
    .flatMap((i) =>
      (openings[i] as Openings).starts
        .filter((t) => t < until)
        .map((t) => ({ start: t, end: t + (windows[i] as MaintenanceConfig).duration, i })),
    )
    .sort((a, b) => a.start - b.start);
  const found = new Map<string, Span>();
  const keep = (s: { start: number; end: number; windows: Set<number> } | undefined) => {
    if (!s || s.end - s.start <= max || s.windows.size < 2) return;
    const windows = [...s.windows].sort((a, b) => a - b);
    const key = windows.join(',');
    if (!found.has(key)) found.set(key, { start: s.start, end: s.end, windows });
  };
  let span: { start: number; end: number; windows: Set<number> } | undefined;
  for (const o of open) {
    if (span && o.start <= span.end) {
      span.end = Math.max(span.end, o.end);
      span.windows.add(o.i);
      continue;
    }
    keep(span);
    span = { start: o.start, end: o.end, windows: new Set([o.i]) };
  }
  keep(span);
  return [...found.values()];
}

/**
 * A window's openings over the year looked at, in its time zone (see Openings); undefined for a cron or zone refused
 * elsewhere.
 */
function openingsOf(window: MaintenanceConfig): Openings | undefined {
  let schedule: CronSchedule;
  try {
    schedule = new CronSchedule(window.cron, window.timezone);
  } catch {
    return undefined;
  }
  try {
    const starts: number[] = [];
    let shortest = Number.POSITIVE_INFINITY;
    let until = SEEN_UNTIL;
    for (let t = schedule.next(SEEN_FROM); t !== undefined; t = schedule.next(t)) {
      const last = starts.at(-1);
      if (last !== undefined) shortest = Math.min(shortest, t - last);
      starts.push(t);
      if (starts.length === OPENINGS_SEEN) until = t;
      if (starts.length >= 2 && (t >= until || starts.length === OPENINGS_SEEN)) break;
    }
    return { starts, until, shortest };
  } finally {
    schedule.close();
  }
}

/**
 * `holders` as the groups of windows that can hold one alert together: all of them, unless some pin a label to a value
 * another excludes (`instance: db1` and `instance: db2`); then, for each window, those it can hold one alert with.
 */
function inCommon(holders: readonly number[], windows: readonly MaintenanceConfig[]): number[][] {
  if (allTogether(holders, windows)) return [[...holders]];
  const groups = new Map<string, number[]>();
  for (const i of holders) {
    const group = holders.filter((j) => allTogether([i, j], windows));
    if (group.length > 1) groups.set(group.join(','), group);
  }
  return [...groups.values()];
}

/** Whether the windows `at` can all hold one alert: none pins a label to a value another excludes. */
function allTogether(at: readonly number[], windows: readonly MaintenanceConfig[]): boolean {
  const match = (i: number) => windows[i]?.match ?? [];
  return at.every((i) => at.every((j) => pinsFit(match(i), match(j))));
}

/** Whether every label `a` pins (`=`) keeps, for its value, every matcher of `b` on that label. */
function pinsFit(a: readonly Matcher[], b: readonly Matcher[]): boolean {
  return a.every((m) => m.op !== '=' || b.every((n) => n.label !== m.label || matchesAll([n], { [m.label]: m.value })));
}

/**
 * The windows that repeat an earlier one under another name: the same schedule (the cron however written: SUN, 0 or
 * 7, names of months, a seconds field) in the same time zone (however named: UTC, Etc/UTC) holding back the same
 * alerts (the same `match`, in any order). Two names for one window hide which one is meant, and changing one leaves
 * the other holding alerts back.
 */
function repeated(windows: readonly (MaintenanceConfig | undefined)[], q: Quoting): Finding[] {
  const seen = new Map<string, number>();
  const out: Finding[] = [];
  windows.forEach((window, i) => {
    if (!window) return;
    const match = Object.entries(formatMatchers(window.match ?? [])).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const key = JSON.stringify([scheduleKey(window.cron), canonicalZone(window.timezone), match]);
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

/** The IANA name a time zone resolves to (Etc/UTC and UTC are one zone), or the name as written when it is none. */
function canonicalZone(zone: string): string {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return zone;
  }
}
