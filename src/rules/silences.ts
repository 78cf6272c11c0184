// Silences, pure: what a silence is, how a new one is checked (what it needs, how long it may last for the alerts it
// could match), and where it stands at a time. A silenced alert still changes state and is still told to escalation
// (with suppressedBy), so its resolution reaches whoever was already paged. The engine keeps them in the store
// (src/engine/stored-silences.ts); ended silences stay there for the record.
import { randomBytes } from 'node:crypto';
import { formatDuration, LONGEST_DURATION_MS } from '../duration.js';
import { EXCERPT_CHARS, jsonExcerpt } from '../excerpt.js';
import { type Matcher, matcherFields, matchesAll, type Unreadable } from '../matchers.js';
import type { Priority } from '../types.js';
import type { SilenceRecord } from './alert-records.js';
import { AlertingError, type AlertingErrorCode } from './errors.js';
import { type AlertKind, type KnownNames, refuseUnknownNames, type SourceAnyKind } from './known-names.js';

export type SilenceState = 'pending' | 'active' | 'expired';

/** A silence as the API shows it. */
export interface Silence extends Omit<SilenceRecord, 'matchers'> {
  /** Matching nothing when the stored ones no longer read (`unreadable`). */
  matchers: Matcher[];
  /** Why the stored matchers no longer read, and what they hold, to show. */
  unreadable?: Unreadable;
  state: SilenceState;
}

/** What creating a silence takes; `startsAt` defaults to now. */
export interface SilenceInput {
  matchers: Matcher[];
  startsAt?: number;
  endsAt: number;
  owner: string;
  reason: string;
  /** Create it even though a matcher names an alert or a probe the config does not have. */
  force?: boolean;
  /**
   * A configured source may send an alert of any name (the Alertmanager API's silences): a matcher on `alertname`
   * is not checked against the known names; one on `probe` still is.
   */
  anyAlertname?: boolean;
}

/** Longest silence or maintenance window per priority (ms); P0 is held to one hour unless the config says otherwise. */
export type LengthLimits = Partial<Record<Priority, number>>;

/** The limits in force: evaluation.silence_max (or window_max) over the default P0 ≤ 1h. */
export function lengthLimits(configured: LengthLimits): LengthLimits {
  return { P0: 3_600_000, ...Object.fromEntries(Object.entries(configured).filter(([, v]) => v !== undefined)) };
}

/**
 * A new silence record, checked: AlertingError SILENCE_INVALID (what is missing), UNKNOWN_NAME (a matcher names an
 * alert or probe the config does not have; unless forced) or SILENCE_TOO_LONG (the tightest priority limit among the
 * alerts its matchers could match).
 */
export function newSilence(
  input: SilenceInput,
  now: number,
  known: KnownNames,
  limits: LengthLimits,
): Omit<SilenceRecord, 'expiredAt' | 'expiredBy'> {
  const startsAt = input.startsAt ?? now;
  const owner = input.owner.trim();
  const reason = input.reason.trim();
  const problems: string[] = [];
  if (input.matchers.length === 0) problems.push('needs at least one matcher, e.g. { alertname: ApiDown }');
  if (owner === '') problems.push('needs an owner: who is silencing');
  if (reason === '') problems.push('needs a reason: why it is silenced');
  if (!Number.isFinite(startsAt) || !Number.isFinite(input.endsAt)) problems.push('needs valid start and end times');
  else {
    const times = silenceTimes(startsAt, input.endsAt, now);
    if (times) problems.push(`${times.field} ${times.problem}`);
  }
  if (problems.length > 0) throw new AlertingError('SILENCE_INVALID', `silence: ${problems.join('; ')}`);
  if (!input.force) {
    const checked = input.anyAlertname ? input.matchers.filter((m) => m.label !== 'alertname') : input.matchers;
    refuseUnknownNames('silence', checked, known);
  }
  checkLength(SILENCE, input.matchers, input.endsAt - startsAt, [...known.kinds, ...known.fromSources], limits);
  return {
    id: `sil_${randomBytes(6).toString('hex')}`,
    matchers: matcherFields(input.matchers),
    startsAt,
    endsAt: input.endsAt,
    owner,
    reason,
    createdAt: now,
  };
}

/**
 * What is wrong with a silence's start and end at `now`, with the field it is about, or undefined. The end must be in
 * the future and after the start; a silence lasts at most 36500d (100 years) from its start, or from now once started,
 * the longest `for` takes, so an end written as a time is held as one written as a duration (a silence to year 9999
 * was taken); and it starts within as long from now.
 */
export function silenceTimes(
  startsAt: number,
  endsAt: number,
  now: number,
): { field: 'startsAt' | 'endsAt'; problem: string } | undefined {
  const longest = `${formatDuration(LONGEST_DURATION_MS)} (100 years)`;
  const from = Math.max(startsAt, now);
  if (endsAt <= from) return { field: 'endsAt', problem: 'must be in the future and after startsAt' };
  if (startsAt - now > LONGEST_DURATION_MS) return { field: 'startsAt', problem: `is more than ${longest} from now` };
  if (endsAt - from > LONGEST_DURATION_MS) {
    return { field: 'endsAt', problem: `is more than ${longest} after ${startsAt > now ? 'startsAt' : 'now'}` };
  }
  return undefined;
}

/** Where a silence stands at `now`. */
export function silenceState(record: SilenceRecord, now: number): SilenceState {
  return record.expiredAt !== undefined || record.endsAt <= now
    ? 'expired'
    : record.startsAt > now
      ? 'pending'
      : 'active';
}

/** What a length limit is told about: a silence (evaluation.silence_max) or a window (evaluation.window_max). */
export interface Limited {
  code: AlertingErrorCode;
  noun: string;
  key: string;
  /** How to make it shorter: `Make it 1h or shorter` for a silence. */
  shorten: (max: string) => string;
}

const SILENCE: Limited = {
  code: 'SILENCE_TOO_LONG',
  noun: 'silence',
  key: 'evaluation.silence_max',
  shorten: (max) => `Make it ${max} or shorter`,
};

/**
 * Throws `what.code` when `length` is longer than the tightest priority limit among the alerts `matchers` could
 * match (no matchers: every alert), naming that alert, the limit and the fix. `kinds` are the config's alerts, those
 * sources have sent that are open, and what each source may send besides (SourceAnyKind). The message starts with
 * `subject`, by default `a silence of 2h` (`what.noun` and the length).
 */
export function checkLength(
  what: Limited,
  matchers: readonly Matcher[],
  length: number,
  kinds: readonly (AlertKind | SourceAnyKind)[],
  limits: LengthLimits,
  subject?: string,
): void {
  let tightest: { kind: AlertKind | SourceAnyKind; priority: Priority; max: number } | undefined;
  for (const kind of kinds) {
    for (const priority of kind.priorities) {
      const max = limits[priority];
      if (max === undefined || (tightest && tightest.max <= max)) continue;
      if (matchers.every((m) => couldMatch(m, kind, priority))) tightest = { kind, priority, max };
    }
  }
  if (tightest && length > tightest.max) {
    const { kind, priority, max } = tightest;
    const rounded = formatDuration(Math.round(length / 1000) * 1000);
    const told = subject ?? `a ${what.noun} of ${rounded}`;
    const limit = `${priority} ${what.noun}s may last at most ${formatDuration(max)} (${what.key})`;
    const shorten = what.shorten(formatDuration(max));
    if ('source' in kind) {
      // Every priority of the source's that this length passes: excluding only the tightest would be refused again.
      const over = kind.priorities.filter((p) => (limits[p] ?? Number.POSITIVE_INFINITY) < length);
      const exclude = over.length === 1 ? `priority!="${priority}"` : `priority!~"${over.join('|')}"`;
      throw new AlertingError(
        what.code,
        `${told} is too long: it could match an alert from source "${kind.source}" at ${priority} ` +
          `(a source may send an alert of any name, a rule's of the config too, not only those it has sent), and ` +
          `${limit}. ${shorten}, or narrow the matchers so they exclude it: add ${exclude} (so a ${over.join(' or ')} ` +
          `alert still pages)`,
      );
    }
    // A name a source sent may be 1,024 control characters, six wide each in JSON (review r13u, D5).
    const name = kind.shownAs ?? jsonExcerpt(kind.alertname, EXCERPT_CHARS + 2);
    throw new AlertingError(
      what.code,
      `${told} is too long: it could match ${name} at ${priority}, and ${limit}. ` +
        `${shorten}, or narrow the matchers so they exclude ${name}`,
    );
  }
}

/**
 * Whether one matcher can hold for some alert of `kind` at `priority` (`priority` is matchable like a label). An
 * alert from a source has any labels and any alert name, the config's rules' names too.
 */
export function couldMatch(m: Matcher, kind: AlertKind | SourceAnyKind, priority: Priority): boolean {
  if (m.label === 'priority') return matchesAll([m], { priority });
  if ('source' in kind) return m.label !== 'alertname' || couldName(m);
  if (Object.hasOwn(kind.labels, m.label)) return matchesAll([m], kind.labels);
  if (kind.open === 'any' || kind.open.includes(m.label)) return true;
  return matchesAll([m], {});
}

/** Regex metacharacters besides `|`: a pattern without them is a list of names (`ApiDown|DbDown`). */
const REGEX_SYNTAX = /[\\^$.?*+()[\]{}]/;

/**
 * Whether an alertname matcher can hold for some name (never empty: the intake requires one). `=` and a regex that
 * only lists names are checked; any other regex and every negation are taken to be able to.
 */
function couldName(m: Matcher): boolean {
  const listed =
    m.op === '=' ? [m.value] : m.op === '=~' && !REGEX_SYNTAX.test(m.value) ? m.value.split('|') : undefined;
  return listed ? listed.some((name) => name !== '') : true;
}
