// Silences: who muted which alerts, from when to when, and why. A silenced alert still changes state and is still
// told to escalation (with suppressedBy), so its resolution reaches whoever was already paged. Ended silences stay
// in the store for the record.
import { randomBytes } from 'node:crypto';
import { formatDuration } from '../config/duration.js';
import { type Matcher, matchesAll } from '../config/primitives.js';
import type { AlertStore, SilenceRecord } from '../state/alerts.js';
import type { Labels, Priority } from '../types.js';
import { AlertingError } from './errors.js';
import { formatMatchers, storedMatchers } from './matchers.js';

export type SilenceState = 'pending' | 'active' | 'expired';

/** A silence as the API shows it. */
export interface Silence extends Omit<SilenceRecord, 'matchers'> {
  matchers: Matcher[];
  state: SilenceState;
}

/** What creating a silence takes; `startsAt` defaults to now. */
export interface SilenceInput {
  matchers: Matcher[];
  startsAt?: number;
  endsAt: number;
  owner: string;
  reason: string;
}

/**
 * An alert that can exist, known before any instance does: its name, the labels whose values are known, the
 * labels that may take any value (`any` for a rule: its samples bring labels), and the priorities it can have.
 */
export interface AlertKind {
  alertname: string;
  labels: Labels;
  open: readonly string[] | 'any';
  priorities: readonly Priority[];
}

/** Longest silence per priority (ms); P0 is held to one hour unless the config says otherwise. */
export type SilenceLimits = Partial<Record<Priority, number>>;

/** The limits in force: evaluation.silence_max over the default P0 ≤ 1h. */
export function silenceLimits(configured: SilenceLimits): SilenceLimits {
  return { P0: 3_600_000, ...Object.fromEntries(Object.entries(configured).filter(([, v]) => v !== undefined)) };
}

/** Silences over the store, checked against the alerts they could match. */
export class Silences {
  readonly #store: AlertStore;
  readonly #kinds: readonly AlertKind[];
  readonly #limits: SilenceLimits;
  readonly #parsed = new Map<string, Matcher[]>();

  constructor(store: AlertStore, kinds: readonly AlertKind[], limits: SilenceLimits) {
    this.#store = store;
    this.#kinds = kinds;
    this.#limits = limits;
  }

  /** Creates a silence, or throws AlertingError (SILENCE_INVALID, SILENCE_TOO_LONG) saying what to change. */
  create(input: SilenceInput, now: number): Silence {
    const startsAt = input.startsAt ?? now;
    const owner = input.owner.trim();
    const reason = input.reason.trim();
    const problems: string[] = [];
    if (input.matchers.length === 0) problems.push('needs at least one matcher, e.g. { alertname: ApiDown }');
    if (owner === '') problems.push('needs an owner: who is silencing');
    if (reason === '') problems.push('needs a reason: why it is silenced');
    if (!Number.isFinite(startsAt) || !Number.isFinite(input.endsAt)) problems.push('needs valid start and end times');
    else if (input.endsAt <= Math.max(startsAt, now)) problems.push('must end in the future and after it starts');
    if (problems.length > 0) throw new AlertingError('SILENCE_INVALID', `silence: ${problems.join('; ')}`);
    this.#checkLength(input.matchers, input.endsAt - startsAt);
    const record = {
      id: `sil_${randomBytes(6).toString('hex')}`,
      matchers: formatMatchers(input.matchers),
      startsAt,
      endsAt: input.endsAt,
      owner,
      reason,
      createdAt: now,
    };
    this.#store.addSilence(record);
    return this.#view({ ...record, expiredAt: undefined, expiredBy: undefined }, now);
  }

  /** Every silence (optionally only those in `state`), newest first. */
  list(filter: { state?: SilenceState }, now: number): Silence[] {
    return this.#store
      .listSilences()
      .map((s) => this.#view(s, now))
      .filter((s) => !filter.state || s.state === filter.state);
  }

  /** One silence, or SILENCE_NOT_FOUND. */
  get(id: string, now: number): Silence {
    const record = this.#store.getSilence(id);
    if (!record) throw new AlertingError('SILENCE_NOT_FOUND', `no silence "${id}"`);
    return this.#view(record, now);
  }

  /** Ends a silence now (it stays listed as expired); SILENCE_ENDED when it is already over. */
  expire(id: string, by: string, now: number): Silence {
    const current = this.get(id, now);
    if (current.state === 'expired') {
      throw new AlertingError(
        'SILENCE_ENDED',
        `silence "${id}" already ended at ${new Date(current.endsAt).toISOString()}`,
      );
    }
    this.#store.expireSilence(id, now, by);
    return this.get(id, now);
  }

  /** Silences in force at `now`, for the evaluator. */
  active(now: number): { id: string; matchers: Matcher[] }[] {
    return this.#store
      .liveSilences(now)
      .filter((s) => s.startsAt <= now)
      .map((s) => ({ id: s.id, matchers: this.#matchers(s) }));
  }

  #view(record: SilenceRecord, now: number): Silence {
    const state: SilenceState =
      record.expiredAt !== undefined || record.endsAt <= now ? 'expired' : record.startsAt > now ? 'pending' : 'active';
    return { ...record, matchers: this.#matchers(record), state };
  }

  #matchers(record: SilenceRecord): Matcher[] {
    let parsed = this.#parsed.get(record.id);
    if (!parsed) {
      parsed = storedMatchers(record.matchers);
      this.#parsed.set(record.id, parsed);
    }
    return parsed;
  }

  #checkLength(matchers: readonly Matcher[], length: number): void {
    let tightest: { kind: AlertKind; priority: Priority; max: number } | undefined;
    for (const kind of this.#kinds) {
      for (const priority of kind.priorities) {
        const max = this.#limits[priority];
        if (max === undefined || (tightest && tightest.max <= max)) continue;
        if (matchers.every((m) => couldMatch(m, kind, priority))) tightest = { kind, priority, max };
      }
    }
    if (tightest && length > tightest.max) {
      const { kind, priority, max } = tightest;
      throw new AlertingError(
        'SILENCE_TOO_LONG',
        `a silence of ${formatDuration(length)} is too long: it could match ${kind.alertname} at ${priority}, and ` +
          `${priority} silences may last at most ${formatDuration(max)} (evaluation.silence_max). ` +
          `Make it ${formatDuration(max)} or shorter, or narrow the matchers so they exclude ${kind.alertname}`,
      );
    }
  }
}

/** Whether one matcher can hold for some alert of `kind` at `priority` (`priority` is matchable like a label). */
function couldMatch(m: Matcher, kind: AlertKind, priority: Priority): boolean {
  if (m.label === 'priority') return matchesAll([m], { priority });
  if (Object.hasOwn(kind.labels, m.label)) return matchesAll([m], kind.labels);
  if (kind.open === 'any' || kind.open.includes(m.label)) return true;
  return matchesAll([m], {});
}
