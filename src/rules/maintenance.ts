// Maintenance windows. Recurring ones come from the config (cron + duration + timezone) and are evaluated against
// the clock's `now`; one-shot ones are opened through the API around a deploy and close by themselves as soon as
// the named probes are healthy again. A one-shot window that reaches its end without health back pages
// (HealthNotBack, raised by the evaluator); alerts it held that still fire are released and paged too.
import { randomBytes } from 'node:crypto';
import type { MaintenanceConfig } from '../config/schema.js';
import { CronSchedule } from '../cron.js';
import { didYouMean } from '../did-you-mean.js';
import { formatDuration } from '../duration.js';
import type { NamesInMessages } from '../env-names.js';
import { firstOf, quoted } from '../excerpt.js';
import type { Matcher, Unreadable } from '../matchers.js';
import { matcherFields, storedMatchers } from '../matchers.js';
import type { Priority } from '../types.js';
import type { WindowRecord } from './alert-records.js';
import { AlertingError } from './errors.js';
import { type AlertKind, type KnownNames, refuseUnknownNames, type SourceAnyKind } from './known-names.js';
import { checkLength, type LengthLimits, type Limited } from './silences.js';

/** One occurrence of a recurring window: the current one when open, else the next. */
export interface Occurrence {
  startsAt: number;
  endsAt: number;
  open: boolean;
}

/** A recurring window from the config, bound to its cron schedule in its timezone. */
export class RecurringWindow {
  readonly name: string;
  readonly matchers: readonly Matcher[];
  readonly reason: string | undefined;
  readonly #duration: number;
  readonly #schedule: CronSchedule;
  // The answer holds for every `now` in [from, until): a window only changes at a fire time or at its end.
  #cache: { from: number; until: number; occurrence: Occurrence | undefined } | undefined;

  /** The config was checked by the loader (cron, timezone); a bad one here throws CronSchedule's error. */
  constructor(cfg: MaintenanceConfig) {
    this.name = cfg.name;
    this.matchers = cfg.match ?? [];
    this.reason = cfg.reason;
    this.#duration = cfg.duration;
    this.#schedule = new CronSchedule(cfg.cron, cfg.timezone);
  }

  /** The window at `now`: open (since when, until when), or the next opening; undefined if it never fires. */
  at(now: number): Occurrence | undefined {
    const c = this.#cache;
    if (c && c.from <= now && now < c.until) return c.occurrence;
    let start = this.#schedule.next(now - this.#duration);
    let until: number;
    let occurrence: Occurrence | undefined;
    if (start !== undefined && start <= now) {
      const first = start;
      // Fires closer together than the duration chain into one long window; its end is the latest start's.
      for (let n = this.#schedule.next(start); n !== undefined && n <= now; n = this.#schedule.next(n)) start = n;
      occurrence = { startsAt: first, endsAt: start + this.#duration, open: true };
      until = Math.min(occurrence.endsAt, this.#schedule.next(now) ?? Number.POSITIVE_INFINITY);
    } else {
      occurrence = start === undefined ? undefined : { startsAt: start, endsAt: start + this.#duration, open: false };
      until = start ?? Number.POSITIVE_INFINITY;
    }
    this.#cache = { from: now, until, occurrence };
    return occurrence;
  }

  /** Releases the cron matcher. */
  close(): void {
    this.#schedule.close();
  }
}

/** What opening a one-shot window takes. */
export interface WindowInput {
  /** Probes whose health ends the window early, and which must be healthy by its end. */
  probes: string[];
  /** Longest it stays open (ms). */
  max: number;
  reason: string;
  owner?: string;
  /** Alerts it holds back; every alert when omitted. */
  match?: Matcher[];
  /** A probe that never failed during the window counts as back only after this long (ms; default 2 min). */
  settle?: number;
  /** Priority of the page when health is not back by the end (default P1). */
  priority?: Priority;
  /** Open it even though `match` names an alert or a probe the config does not have. */
  force?: boolean;
  /** The deploy is a rollback. */
  rollback?: boolean;
  /** Downtime budget (ms): an alert held longer than this after it became active pages before the end. */
  budget?: number;
}

/** What a new window is checked against: the names the config has, the length limits, the windows open now. */
export interface WindowScope extends KnownNames {
  /** evaluation.window_max over the default P0 ≤ 1h (see lengthLimits). */
  limits: LengthLimits;
  open: readonly WindowRecord[];
}

const DEFAULT_SETTLE = 120_000;
const LONGEST_WINDOW = 86_400_000;

const WINDOW: Limited = {
  code: 'WINDOW_TOO_LONG',
  noun: 'maintenance window',
  key: 'evaluation.window_max',
  shorten: (max) => `Give it a max of ${max} or less`,
};

/** A recurring window's cap is a one-shot window's, told about its duration. */
const RECURRING: Limited = { ...WINDOW, shorten: (max) => `Make its duration ${max} or shorter` };

/**
 * AlertingError WINDOW_TOO_LONG when a recurring window of the config stays open longer than evaluation.window_max
 * allows for an alert it could hold back (`kinds`: the config's alerts and what its sources may send), as a one-shot
 * window's max is checked. `subject` is its duration as the message may show it.
 */
export function checkRecurringLength(
  window: Pick<MaintenanceConfig, 'match' | 'duration'>,
  kinds: readonly (AlertKind | SourceAnyKind)[],
  limits: LengthLimits,
  subject: string,
): void {
  checkLength(RECURRING, window.match ?? [], window.duration, kinds, limits, subject);
}

/**
 * `unknown probe "api_helth". Did you mean "api_health"?` for each name that is not a configured probe; with no
 * close name, the first of those defined (as `known` shows them).
 */
export function unknownProbes(names: readonly string[], probes: ReadonlySet<string>, known: NamesInMessages): string[] {
  const unknown = names.filter((p) => !probes.has(p));
  if (unknown.length === 0) return [];
  const defined = ` Defined: ${firstOf(known.shown) || 'none'}.`;
  return unknown.map((p) => `unknown probe ${quoted(p)}.${didYouMean(p, known.hints) || defined}`);
}

/**
 * A validated new window record, or AlertingError: WINDOW_INVALID naming what to fix, UNKNOWN_NAME (`match` names an
 * alert or a probe the config does not have; unless forced), WINDOW_TOO_LONG (longer than evaluation.window_max
 * allows for an alert it could hold back), WINDOW_OVERLAPS (a window open now already has one of its probes).
 */
export function newWindow(input: WindowInput, now: number, scope: WindowScope): WindowRecord {
  const problems = [
    ...(input.probes.length === 0 ? ['name at least one probe whose health ends it, e.g. ["api_health"]'] : []),
    // Not even forced: a probe that does not run is never healthy again, so the window could only page at its end.
    ...unknownProbes(input.probes, scope.probes, scope.probeNames),
  ];
  if (!(input.max > 0)) problems.push('max must be longer than 0s');
  else if (input.max > LONGEST_WINDOW) {
    problems.push(`max ${formatDuration(input.max)} is longer than 1d; for longer quiet use a silence`);
  }
  if (input.reason.trim() === '') problems.push('needs a reason, e.g. "deploy v1.4.2"');
  const settle = input.settle ?? DEFAULT_SETTLE;
  if (!(settle >= 0)) problems.push('settle must be 0s or longer');
  if (input.budget !== undefined && !(input.budget > 0 && input.budget <= input.max)) {
    problems.push('budget must be longer than 0s and no longer than max (past max the window pages anyway)');
  }
  if (problems.length > 0) throw new AlertingError('WINDOW_INVALID', `maintenance window: ${problems.join('; ')}`);
  const match = input.match ?? [];
  if (!input.force) refuseUnknownNames('maintenance window', match, scope);
  checkLength(WINDOW, match, input.max, [...scope.kinds, ...scope.fromSources], scope.limits);
  refuseOverlap(input.probes, now, scope.open, scope.probeNames.withheld);
  return {
    id: `win_${randomBytes(6).toString('hex')}`,
    probes: [...new Set(input.probes)],
    matchers: input.match && input.match.length > 0 ? matcherFields(input.match) : undefined,
    reason: input.reason.trim(),
    owner: input.owner,
    priority: input.priority ?? 'P1',
    openedAt: now,
    endsAt: now + input.max,
    settle,
    failed: [],
    closedAt: undefined,
    closedBy: undefined,
    outcome: undefined,
    rollback: input.rollback ?? false,
    budget: input.budget,
    commandEndedAt: undefined,
    output: undefined,
  };
}

/**
 * AlertingError WINDOW_OVERLAPS when a window still open at `now` has one of `probes`: two windows on one probe
 * would each close when it is back and page when it is not, so the second is refused; the first is ended or waited out.
 * A probe named from the environment is told as `withheld` says.
 */
function refuseOverlap(
  probes: readonly string[],
  now: number,
  open: readonly WindowRecord[],
  withheld: ReadonlyMap<string, string>,
): void {
  for (const w of open) {
    const shared = w.probes.filter((p) => probes.includes(p));
    if (w.closedAt !== undefined || w.endsAt <= now || shared.length === 0) continue;
    throw new AlertingError(
      'WINDOW_OVERLAPS',
      `maintenance window: ${firstOf(shared, (p) => withheld.get(p) ?? quoted(p))} ${shared.length === 1 ? 'is' : 'are'} ` +
        `already in window ${w.id} (${quoted(w.reason)}${w.owner ? `, opened by ${w.owner}` : ''}, open until ` +
        `${new Date(w.endsAt).toISOString()} at the latest). Use that window, or end it first ` +
        `(centinela maintenance end ${w.id}; POST /api/v1/maintenance/${w.id}/end)`,
    );
  }
}

/** What the latest run of a probe said: healthy (up, measured, nothing breached) or not, and when. */
export interface ProbeHealth {
  passing: boolean;
  at: number;
}

/** True when the latest run of every probe passed. */
export function healthy(probes: readonly string[], health: ReadonlyMap<string, ProbeHealth>): boolean {
  return probes.every((p) => health.get(p)?.passing === true);
}

/**
 * Moves an open window on at `now`: records probes seen failing, closes it early once every probe is back (a run
 * after opening passed, and the probe either failed during the window, or the window is older than `settle`, or the
 * run came after the deploy's command ended — so a deploy that has not yet taken the service down does not close it
 * at once), or closes it at its end as `ended` (healthy) or `unhealthy` (the evaluator pages). Returns the same object
 * when nothing changed.
 */
export function advanceWindow(w: WindowRecord, health: ReadonlyMap<string, ProbeHealth>, now: number): WindowRecord {
  if (w.closedAt !== undefined) return w;
  const newlyFailed = w.probes.filter((p) => {
    const h = health.get(p);
    return h !== undefined && h.at >= w.openedAt && !h.passing && !w.failed.includes(p);
  });
  const failed = newlyFailed.length > 0 ? [...w.failed, ...newlyFailed] : w.failed;
  const back = w.probes.every((p) => {
    const h = health.get(p);
    if (h?.passing !== true || h.at < w.openedAt) return false;
    const deployDone = w.commandEndedAt !== undefined && h.at >= w.commandEndedAt;
    return failed.includes(p) || now - w.openedAt >= w.settle || deployDone;
  });
  if (back) return { ...w, failed, closedAt: now, outcome: 'healthy' };
  if (now >= w.endsAt)
    return { ...w, failed, closedAt: now, outcome: healthy(w.probes, health) ? 'ended' : 'unhealthy' };
  return failed === w.failed ? w : { ...w, failed };
}

/**
 * The alerts a one-shot window holds back: its matchers, or none (every alert) when it has none; matchers that match
 * nothing, and why, when its stored ones no longer read (see storedMatchers).
 */
export function windowMatchers(w: WindowRecord): { matchers: Matcher[]; unreadable?: Unreadable } {
  return w.matchers === undefined ? { matchers: [] } : storedMatchers(w.matchers);
}
