// The escalation policy, pure: from an incident record, the levels config and `now`, who is paged and when next.
//
// An incident's life (one episode of an alert instance):
//   held ──released──▶ open ──ack──▶ acked ──ack timeout──▶ open (re-opened: everyone reached is paged again)
//   A release pages only an incident never paged (its first page); one paged before the hold is open again with
//   its reminders resuming from its last page — it is not paged again as new.
//   open: every reached level is reminded each `repeat_every`; a level's step, `after` its page without an ack, pages
//         its contacts not paged yet (`step`) and adds them to the level; when the most urgent reached level's
//         `ack_within` passes, its `escalate_to` level is reached (its new contacts paged, its clock started) —
//         P3→P2→P1→P0 unless configured otherwise.
//   A rise above the most urgent priority paged so far (`topPriority`, the high-water mark) reaches the new
//   priority's level at once and lifts an ack given at the lower one; a move back up to a priority already paged
//   (P2 → P1 → P2 → P1) pages nobody and keeps the ack. A rise while held is paged when the hold is lifted.
//   any state ──suppressed──▶ held (no reminders, no climbing); ──resolved──▶ resolved.
// Flapping is news, not a page: when an incident already paged starts flapping, everyone paged gets one `flapping`
// notice; when it settles still firing, one `flapping-ended` notice (settling resolved is told by the resolution).
// Both are read off the alert's `flapping` flag against the last snapshot, so a repeated event tells nothing twice.
// Nothing here reads the clock or touches the store: the engine's Escalator (src/engine/escalator.ts) persists what
// this returns.
import type { LevelConfig } from '../config/schema.js';
import { type Alert, type AlertEvent, outranks, PRIORITIES, type Priority } from '../types.js';
import type { IncidentRecord, LevelState } from './incident-records.js';

/** The levels as escalation.yaml gives them (any may be missing). */
export type Levels = Partial<Record<Priority, LevelConfig>>;

/** Why a level is paged: `escalated` reached it by a climb, `step` added contacts to it. */
export type PageKind = 'firing' | 'reminder' | 'escalated' | 'step' | 'priority-rose' | 'reopened';

/** Page these contacts (all of a level's contacts) now; `seq` makes the idempotency key. */
export interface Page {
  kind: PageKind;
  level: Priority;
  seq: number;
  contacts: string[];
  previousPriority?: Priority;
  /** For `step`: the step's `after`, ms (how long the level's page went unacknowledged). */
  stepAfterMs?: number;
}

/** News for everyone paged for the incident, beside any page: it started flapping, or settled still firing. */
export type Notice = 'flapping' | 'flapping-ended';

/** What the policy decided: the record to store, the pages and notice to send, and when to look again. */
export interface Decision {
  record: IncidentRecord;
  pages: Page[];
  notice?: Notice;
  nextDueAt: number | undefined;
}

/** A new incident for an alert seen for the first time (or again after it resolved). */
export type NewIncident = Omit<IncidentRecord, 'id'>;

/**
 * The level that handles `p`: its own when configured, else the nearest more urgent one, so an alert is never
 * dropped for a missing level.
 */
export function levelFor(levels: Levels, p: Priority): Priority | undefined {
  for (let i = PRIORITIES.indexOf(p); i >= 0; i--) {
    const candidate = PRIORITIES[i] as Priority;
    if (levels[candidate]) return candidate;
  }
  return undefined;
}

/** Where `level` climbs when unacknowledged: `escalate_to`, or by default the next more urgent level; none at P0. */
export function climbTarget(levels: Levels, level: Priority): Priority | undefined {
  const to = levels[level]?.escalate_to;
  if (to === 'none') return undefined;
  if (to) return levelFor(levels, to);
  const i = PRIORITIES.indexOf(level);
  return i === 0 ? undefined : levelFor(levels, PRIORITIES[i - 1] as Priority);
}

function suppressed(alert: Alert): boolean {
  return alert.suppressedBy.length > 0;
}

function clone(rec: IncidentRecord): IncidentRecord {
  return { ...rec, levels: rec.levels.map((l) => ({ ...l, contacts: [...l.contacts] })) };
}

/**
 * Reaches `level`: its contacts, and those the alert's rule adds (`also_page`), not already paged by an earlier
 * level get a first page. The added ones join the first level reached, so its reminders reach them too.
 */
function reach(rec: IncidentRecord, levels: Levels, level: Priority, kind: PageKind, now: number): Page {
  const already = new Set(rec.levels.flatMap((l) => l.contacts));
  const wanted = [...(levels[level]?.contacts ?? []), ...(rec.alert.alsoPage ?? [])];
  const contacts = [...new Set(wanted)].filter((c) => !already.has(c));
  rec.levels.push({ level, since: now, lastPagedAt: now, seq: 0, contacts, steps: 0 });
  return { kind, level, seq: 0, contacts };
}

/** Pages every reached level again (re-open after an ack timeout), restarting their clocks. */
function repageAll(rec: IncidentRecord, kind: PageKind, now: number): Page[] {
  return rec.levels.map((l) => {
    l.seq += 1;
    l.lastPagedAt = now;
    l.since = now;
    return { kind, level: l.level, seq: l.seq, contacts: l.contacts };
  });
}

function firstPage(rec: IncidentRecord, levels: Levels, now: number): Page[] {
  const level = levelFor(levels, rec.priority);
  if (!level) return [];
  rec.status = 'open';
  rec.firstPagedAt = now;
  rec.slaPriority = rec.priority;
  rec.topPriority = rec.priority;
  return [reach(rec, levels, level, 'firing', now)];
}

/** The most urgent priority paged so far; records from before migration 3 lacking one fall back to the first. */
function topPaged(rec: IncidentRecord): Priority {
  return rec.topPriority ?? rec.slaPriority ?? rec.priority;
}

/**
 * A rise above every priority paged so far: the new priority's level is paged at once and an ack given at a lower
 * priority lapses. `pages` are those this event already decided (a release re-pages every reached level): a level
 * among them is told of the rise in that page rather than in a second one.
 */
function rise(rec: IncidentRecord, levels: Levels, pages: Page[], now: number): Page[] {
  const from = topPaged(rec);
  const level = levelFor(levels, rec.priority);
  if (!level) return pages;
  rec.topPriority = rec.priority;
  rec.status = 'open';
  rec.ack = undefined;
  const reached = rec.levels.find((l) => l.level === level);
  if (!reached) return [...pages, { ...reach(rec, levels, level, 'priority-rose', now), previousPriority: from }];
  if (pages.some((p) => p.level === level)) {
    return pages.map((p) => (p.level === level ? { ...p, kind: 'priority-rose', previousPriority: from } : p));
  }
  reached.seq += 1;
  reached.lastPagedAt = now;
  return [
    ...pages,
    { kind: 'priority-rose', level, seq: reached.seq, contacts: reached.contacts, previousPriority: from },
  ];
}

/**
 * Applies one alert event to an incident (`undefined` for an alert with no open incident) and returns what to
 * page. A `resolved` event only changes the record; who hears about it is everyone paged (see the Escalator).
 */
export function applyEvent(
  current: IncidentRecord | NewIncident,
  event: AlertEvent,
  levels: Levels,
  ackTimeout: number | undefined,
  now: number,
): Decision {
  const rec = clone({ id: 0, ...current });
  // The real state (firing, priority-changed, resolved) follows at once; it is compared with the snapshot from
  // while it flapped, so it is what tells that the flapping ended.
  if (event.type === 'flapping-ended') return { record: rec, pages: [], nextDueAt: nextDueAt(rec, levels, ackTimeout) };
  const wasFlapping = rec.alert.flapping;
  const wasPaged = rec.levels.length > 0;
  rec.alert = event.alert;
  rec.priority = event.alert.priority;
  let pages: Page[] = [];
  if (event.type === 'resolved') {
    rec.status = 'resolved';
    rec.resolvedAt = now;
  } else if (event.type === 'firing' || event.type === 'priority-changed' || event.type === 'flapping') {
    // `flapping` is told when flapping starts and when a hold changes while it flaps: like `firing`, it opens an
    // incident when none is open, holds or releases it, and is nothing new for one already paged.
    if (suppressed(event.alert)) {
      rec.status = 'held';
    } else if (rec.levels.length === 0) {
      pages = firstPage(rec, levels, now);
    } else {
      if (rec.status === 'held') {
        // Released after it was paged: nothing new to say. It is open (or acked) again, and its reminders resume
        // from its last page, so one that came due during the hold goes out at once.
        rec.status = rec.ack ? 'acked' : 'open';
      }
      // A priority that rose while held (or whose rise ended a silence that matched only the lower priority) is
      // paged now, like a rise while open.
      if (outranks(rec.priority, topPaged(rec))) pages = rise(rec, levels, pages, now);
    }
  }
  let notice: Notice | undefined;
  if (wasPaged && (rec.status === 'open' || rec.status === 'acked') && wasFlapping !== event.alert.flapping) {
    notice = event.alert.flapping ? 'flapping' : 'flapping-ended';
  }
  return { record: rec, pages, notice, nextDueAt: nextDueAt(rec, levels, ackTimeout) };
}

/** How long an acknowledgement holds when no level or ack.timeout says: the runbook's response times, doubled. */
export const DEFAULT_ACK_TIMEOUT: Record<Priority, number> = {
  P0: 30 * 60_000,
  P1: 2 * 3_600_000,
  P2: 8 * 3_600_000,
  P3: 2 * 86_400_000,
};

/**
 * How long an acknowledgement at `level` holds: its ack_timeout (`none`: for good, undefined), else `fallback`
 * (ack.timeout), else DEFAULT_ACK_TIMEOUT.
 */
export function levelAckTimeout(levels: Levels, level: Priority, fallback: number | undefined): number | undefined {
  const own = levels[level]?.ack_timeout;
  if (own === 'none') return undefined;
  return own ?? fallback ?? DEFAULT_ACK_TIMEOUT[level];
}

/** How long an acknowledgement of `rec` holds: that of the level of the most urgent priority it was paged at. */
export function ackTimeoutOf(rec: IncidentRecord, levels: Levels, fallback: number | undefined): number | undefined {
  const level = levelFor(levels, topPaged(rec));
  return level ? levelAckTimeout(levels, level, fallback) : undefined;
}

/** The next step of a reached level, if it has one left. */
function nextStep(l: LevelState, levels: Levels) {
  return levels[l.level]?.steps[l.steps ?? 0];
}

/** When the policy next has something to do for this record: a reminder, a step, a climb or an ack timeout. */
export function nextDueAt(rec: IncidentRecord, levels: Levels, ackTimeout: number | undefined): number | undefined {
  if (rec.status === 'acked') {
    const timeout = ackTimeoutOf(rec, levels, ackTimeout);
    return rec.ack && timeout !== undefined ? rec.ack.at + timeout : undefined;
  }
  if (rec.status !== 'open') return undefined;
  const times: number[] = [];
  for (const l of rec.levels) {
    const every = levels[l.level]?.repeat_every ?? 0;
    if (every > 0) times.push(l.lastPagedAt + every);
    const step = nextStep(l, levels);
    if (step) times.push(l.since + step.after);
  }
  const climb = climbDue(rec, levels);
  if (climb !== undefined) times.push(climb);
  return times.length ? times.reduce((a, b) => Math.min(a, b)) : undefined;
}

/**
 * Takes every step of the reached levels that has come due without an acknowledgement: its contacts not paged yet
 * are paged (`step`, at the level) and join the level, so its reminders reach them too.
 */
function takeSteps(rec: IncidentRecord, levels: Levels, now: number): Page[] {
  const pages: Page[] = [];
  for (const l of rec.levels) {
    for (let step = nextStep(l, levels); step && l.since + step.after <= now; step = nextStep(l, levels)) {
      l.steps = (l.steps ?? 0) + 1;
      const already = new Set(rec.levels.flatMap((x) => x.contacts));
      const contacts = step.contacts.filter((c) => !already.has(c));
      if (contacts.length === 0) continue;
      for (const c of contacts) l.contacts.push(c);
      pages.push({ kind: 'step', level: l.level, seq: l.seq, contacts, stepAfterMs: step.after });
    }
  }
  return pages;
}

function climbDue(rec: IncidentRecord, levels: Levels): number | undefined {
  const top = rec.levels.at(-1);
  if (!top) return undefined;
  const target = climbTarget(levels, top.level);
  const within = levels[top.level]?.ack_within;
  if (!target || within === undefined || rec.levels.some((l) => l.level === target)) return undefined;
  return top.since + within;
}

/**
 * What is due at `now`: an ack timeout re-opens; an open incident climbs one level when its top level's
 * ack_within has passed, and reminds each level whose repeat_every has passed. After a long downtime this pages
 * once and climbs one step, then the clocks restart from `now` (no burst of missed reminders).
 */
export function due(rec0: IncidentRecord, levels: Levels, ackTimeout: number | undefined, now: number): Decision {
  const rec = clone(rec0);
  const pages: Page[] = [];
  const timeout = ackTimeoutOf(rec, levels, ackTimeout);
  if (rec.status === 'acked' && rec.ack && timeout !== undefined && rec.ack.at + timeout <= now) {
    rec.status = 'open';
    rec.ack = undefined;
    for (const page of repageAll(rec, 'reopened', now)) pages.push(page);
  } else if (rec.status === 'open') {
    const stepped = takeSteps(rec, levels, now);
    for (const page of stepped) pages.push(page);
    // Who a step just paged is not reminded in the same breath.
    const justPaged = new Set(stepped.flatMap((p) => p.contacts));
    const climb = climbDue(rec, levels);
    const reached = rec.levels.length;
    if (climb !== undefined && climb <= now) {
      const top = rec.levels.at(-1) as LevelState;
      pages.push(reach(rec, levels, climbTarget(levels, top.level) as Priority, 'escalated', now));
    }
    for (const l of rec.levels.slice(0, reached)) {
      const every = levels[l.level]?.repeat_every ?? 0;
      if (every > 0 && l.lastPagedAt + every <= now) {
        l.seq += 1;
        l.lastPagedAt = now;
        const contacts = l.contacts.filter((c) => !justPaged.has(c));
        pages.push({ kind: 'reminder', level: l.level, seq: l.seq, contacts });
      }
    }
  }
  return { record: rec, pages, nextDueAt: nextDueAt(rec, levels, ackTimeout) };
}
