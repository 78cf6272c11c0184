// Silences kept in the store: created, listed, ended through the API, and read by the evaluator at every evaluation;
// and the warning, once each, for a stored silence or window whose matchers no longer read. What a silence is and how
// a new one is checked is pure, in src/rules/silences.ts.
import type { Logger } from 'pino';
import type { Matcher, Unreadable } from '../matchers.js';
import { storedMatchers } from '../matchers.js';
import type { SilenceRecord, WindowRecord } from '../rules/alert-records.js';
import type { Alerting } from '../rules/alerting.js';
import { AlertingError } from '../rules/errors.js';
import type { AlertKind } from '../rules/known-names.js';
import { windowMatchers } from '../rules/maintenance.js';
import {
  type LengthLimits,
  lengthLimits,
  newSilence,
  type Silence,
  type SilenceInput,
  type SilenceState,
  silenceState,
} from '../rules/silences.js';
import type { AlertStore } from '../store/store.js';

/** Tells of a stored silence or window whose matchers no longer read, given its id and why. */
export type UnreadableWarning = (kind: 'silence' | 'window', id: string, unreadable: Unreadable) => void;

/**
 * An UnreadableWarning that logs each silence or window once, where it is first read (at the first evaluation for
 * one in force, when listed for another), not at every evaluation. It names the id and the problem, whose words
 * quote no matcher value: a stored one may be long.
 */
export function warnUnreadable(log: Logger): UnreadableWarning {
  const told = new Set<string>();
  return (kind, id, { problem }) => {
    if (told.has(`${kind} ${id}`)) return;
    told.add(`${kind} ${id}`);
    const fix =
      kind === 'silence'
        ? 'it silences nothing. Expire it and create it again'
        : 'it holds back nothing. End it and open it again';
    log.warn({ [kind]: id }, `${kind} ${id}: its matchers cannot be read (${problem}): ${fix}`);
  };
}

/** A one-shot window's matchers (see windowMatchers); ones that no longer read are told to `unreadable`. */
export function storedWindowMatchers(
  w: WindowRecord,
  unreadable: UnreadableWarning,
): ReturnType<typeof windowMatchers> {
  const read = windowMatchers(w);
  if (read.unreadable) unreadable('window', w.id, read.unreadable);
  return read;
}

/** Silences over the store, checked against the alerts they could match. */
export class Silences {
  readonly #store: AlertStore;
  readonly #alerting: Pick<Alerting, 'kinds' | 'fromSources' | 'probes' | 'probeNames'>;
  readonly #limits: LengthLimits;
  readonly #received: () => readonly AlertKind[];
  /** evaluation.max_silences: how many may be live (in force or waiting to start) at once. */
  readonly #maxLive: number;
  readonly #unreadable: UnreadableWarning;
  /** The live silences' matchers, parsed once: rebuilt at each `active`, so it holds no ended silence. */
  #parsed = new Map<string, ReturnType<typeof storedMatchers>>();

  /**
   * `received`: the alerts sources have sent that are open, which a silence may name besides the config's;
   * `unreadable`: told of a stored silence whose matchers no longer read.
   */
  constructor(
    store: AlertStore,
    alerting: Pick<Alerting, 'kinds' | 'fromSources' | 'probes' | 'probeNames' | 'evaluation'>,
    received: () => readonly AlertKind[],
    unreadable: UnreadableWarning,
  ) {
    this.#store = store;
    this.#unreadable = unreadable;
    this.#alerting = alerting;
    this.#limits = lengthLimits(alerting.evaluation.silence_max);
    this.#maxLive = alerting.evaluation.max_silences;
    this.#received = received;
  }

  /**
   * Creates a silence, or throws AlertingError (SILENCE_INVALID, UNKNOWN_NAME, SILENCE_TOO_LONG, SILENCES_FULL)
   * saying what to change. Every evaluation matches each alert against every live silence, so their number is held
   * to evaluation.max_silences: a script creating silences in a loop cannot slow the daemon down without bound.
   */
  create(input: SilenceInput, now: number): Silence {
    const known = {
      kinds: [...this.#alerting.kinds, ...this.#received()],
      fromSources: this.#alerting.fromSources,
      probes: this.#alerting.probes,
      probeNames: this.#alerting.probeNames,
    };
    // Checked first: what is wrong with the silence itself is worth saying even when there is no room for it.
    const record = newSilence(input, now, known, this.#limits);
    const live = this.#store.liveSilences(now).length;
    if (live >= this.#maxLive) {
      throw new AlertingError(
        'SILENCES_FULL',
        `${live} silences are in force or waiting to start, and evaluation.max_silences allows ${this.#maxLive}: ` +
          'expire those no longer needed (centinela silence list, centinela silence expire ID), or raise ' +
          'evaluation.max_silences in alerts.yaml',
      );
    }
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
    const live = this.#store.liveSilences(now);
    this.#parsed = new Map(live.map((s) => [s.id, this.#read(s)]));
    return live.filter((s) => s.startsAt <= now).map((s) => ({ id: s.id, matchers: this.#read(s).matchers }));
  }

  #view(record: SilenceRecord, now: number): Silence {
    const { matchers, unreadable } = this.#read(record);
    return { ...record, matchers, ...(unreadable ? { unreadable } : {}), state: silenceState(record, now) };
  }

  /** The silence's matchers; one whose matchers no longer read matches nothing, and is told once. */
  #read(record: SilenceRecord): ReturnType<typeof storedMatchers> {
    const read = this.#parsed.get(record.id) ?? storedMatchers(record.matchers);
    if (read.unreadable) this.#unreadable('silence', record.id, read.unreadable);
    return read;
  }
}
