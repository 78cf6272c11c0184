// Maintenance windows. Recurring ones come from the config (cron + duration + timezone) and are evaluated against
// the clock's `now`; one-shot ones are opened through the API around a deploy and close by themselves as soon as
// the named probes are healthy again. A one-shot window that reaches its end without health back pages
// (HealthNotBack, raised by the evaluator); alerts it held that still fire are released and paged too.
import { randomBytes } from 'node:crypto';
import type { MaintenanceConfig } from '../config/schema.js';
import { CronSchedule } from '../cron.js';
import { formatDuration } from '../duration.js';
import type { Matcher } from '../matchers.js';
import { formatMatchers, storedMatchers } from '../matchers.js';
import type { Priority } from '../types.js';
import type { WindowRecord } from './alert-records.js';
import { AlertingError } from './errors.js';

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
}

const DEFAULT_SETTLE = 120_000;
const LONGEST_WINDOW = 86_400_000;

/** A validated new window record, or AlertingError WINDOW_INVALID naming what to fix. */
export function newWindow(input: WindowInput, now: number, knownProbes: ReadonlySet<string>): WindowRecord {
  const problems: string[] = [];
  if (input.probes.length === 0) problems.push('name at least one probe whose health ends it, e.g. ["api_health"]');
  const unknown = input.probes.filter((p) => !knownProbes.has(p));
  if (unknown.length > 0) {
    problems.push(`unknown probe ${unknown.map((p) => `"${p}"`).join(', ')}; defined: ${[...knownProbes].join(', ')}`);
  }
  if (!(input.max > 0)) problems.push('max must be longer than 0s');
  else if (input.max > LONGEST_WINDOW) {
    problems.push(`max ${formatDuration(input.max)} is longer than 1d; for longer quiet use a silence`);
  }
  if (input.reason.trim() === '') problems.push('needs a reason, e.g. "deploy v1.4.2"');
  const settle = input.settle ?? DEFAULT_SETTLE;
  if (!(settle >= 0)) problems.push('settle must be 0s or longer');
  if (problems.length > 0) throw new AlertingError('WINDOW_INVALID', `maintenance window: ${problems.join('; ')}`);
  return {
    id: `win_${randomBytes(6).toString('hex')}`,
    probes: [...new Set(input.probes)],
    matchers: input.match && input.match.length > 0 ? formatMatchers(input.match) : undefined,
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
  };
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
 * after opening passed, and the probe either failed during the window or the window is older than `settle`, so a
 * deploy that has not yet taken the service down does not close it at once), or closes it at its end as `ended`
 * (healthy) or `unhealthy` (the evaluator pages). Returns the same object when nothing changed.
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
    return h?.passing === true && h.at >= w.openedAt && (failed.includes(p) || now - w.openedAt >= w.settle);
  });
  if (back) return { ...w, failed, closedAt: now, outcome: 'healthy' };
  if (now >= w.endsAt)
    return { ...w, failed, closedAt: now, outcome: healthy(w.probes, health) ? 'ended' : 'unhealthy' };
  return failed === w.failed ? w : { ...w, failed };
}

/** The alerts a one-shot window holds back: its matchers, or none (every alert) when it has none. */
export function windowMatchers(w: WindowRecord): Matcher[] {
  return w.matchers === undefined ? [] : storedMatchers(w.matchers);
}
