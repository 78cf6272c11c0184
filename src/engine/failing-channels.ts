// What the outbox worker logs about deliveries that keep failing: once per change of state, not once per attempt.
// A contact's channel that starts failing is one warn line, a new reason another, its recovery one info line (how
// long, how many attempts), and every SUMMARY_EVERY while something still fails one warn line listing what: a
// channel that is down for an hour is a handful of lines, not one per retry.
import type { Logger } from 'pino';
import { formatDuration } from '../duration.js';

/** How often the still-failing summary is logged while something fails (the first one this long after it starts). */
export const SUMMARY_EVERY = 15 * 60_000;

/** One failed attempt of a message: its rows, and whether they stay on the channel to be retried there. */
export interface FailedAttempt {
  contact: string;
  channel: string | null;
  rowIds: readonly number[];
  reason: string;
  /** When the rows are tried again on this channel; undefined when they left it (next channel, or given up). */
  retryAt: number | undefined;
}

interface Failing {
  contact: string;
  channel: string | null;
  since: number;
  reason: string;
  /** Failed attempts since it started failing. */
  attempts: number;
  /** Rows whose last attempt here failed and that are still to be retried here, with when. */
  rows: Map<number, number>;
}

/**
 * Two reasons are the same failure when they differ only in numbers and ids (a queue id, a request id, a time in a
 * receiver's answer): otherwise a 500 whose body names its request would be a "new reason" at every attempt.
 */
function failureShape(reason: string): string {
  return reason.replace(/\b[0-9a-f]*\d[0-9a-f]*\b/gi, '#');
}

const keyOf = (contact: string, channel: string | null) => `${contact}\0${channel ?? ''}`;

/** The contact × channel pairs whose deliveries are failing, and the log lines about them. */
export class FailingChannels {
  readonly #log: Logger;
  readonly #failing = new Map<string, Failing>();
  #summaryAt = Number.POSITIVE_INFINITY;

  constructor(log: Logger) {
    this.#log = log;
  }

  /** Records a failed attempt: a warn when the pair starts failing or fails for another reason, else nothing. */
  failed(attempt: FailedAttempt, now: number): void {
    const { contact, channel, reason } = attempt;
    const key = keyOf(contact, channel);
    let entry = this.#failing.get(key);
    if (!entry) {
      if (this.#failing.size === 0) this.#summaryAt = now + SUMMARY_EVERY;
      entry = { contact, channel, since: now, reason, attempts: 0, rows: new Map() };
      this.#failing.set(key, entry);
      this.#log.warn({ contact, channel, rows: attempt.rowIds.length, reason }, 'outbox: delivery failing');
    } else if (failureShape(entry.reason) !== failureShape(reason)) {
      this.#log.warn(
        {
          contact,
          channel,
          rows: attempt.rowIds.length,
          reason,
          previousReason: entry.reason,
          ...this.#age(entry, now),
        },
        'outbox: delivery failing for another reason',
      );
    }
    entry.reason = reason;
    entry.attempts++;
    for (const id of attempt.rowIds) {
      if (attempt.retryAt === undefined) entry.rows.delete(id);
      else entry.rows.set(id, attempt.retryAt);
    }
  }

  /** Records a delivery: an info line when the pair was failing (for how long, after how many failed attempts). */
  delivered(contact: string, channel: string | null, now: number): void {
    const key = keyOf(contact, channel);
    const entry = this.#failing.get(key);
    if (!entry) return;
    this.#failing.delete(key);
    this.#log.info({ contact, channel, ...this.#age(entry, now) }, 'outbox: delivering again');
  }

  /**
   * Logs what still fails when the summary is due. A pair none of whose rows is waiting for a retry on it any more
   * (they moved on, gave up, or were superseded by an acknowledgement and are no longer tried) is forgotten first:
   * it is not being tried, so it is not known to be failing.
   */
  report(now: number): void {
    if (now < this.#summaryAt) return;
    for (const [key, entry] of this.#failing) {
      for (const [id, due] of entry.rows) if (due < now - SUMMARY_EVERY) entry.rows.delete(id);
      if (entry.rows.size === 0) this.#failing.delete(key);
    }
    if (this.#failing.size === 0) {
      this.#summaryAt = Number.POSITIVE_INFINITY;
      return;
    }
    this.#summaryAt = now + SUMMARY_EVERY;
    const failing = [...this.#failing.values()].map((e) => ({
      contact: e.contact,
      channel: e.channel,
      rows: e.rows.size,
      since: new Date(e.since).toISOString(),
      lastReason: e.reason,
      attempts: e.attempts,
    }));
    this.#log.warn({ failing }, 'outbox: deliveries still failing');
  }

  #age(entry: Failing, now: number) {
    return {
      since: new Date(entry.since).toISOString(),
      failingFor: formatDuration(now - entry.since),
      attempts: entry.attempts,
    };
  }
}
