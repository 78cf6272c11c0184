// The outbox worker: delivers due outbox rows, groups them per contact, retries with backoff, falls back, raises
// DeliveryFailing; it wakes through the Clock, and a restart resumes from the store.
//
// How the engine uses it (src/engine/loop.ts):
//   const worker = new OutboxWorker({ store: store.incidents, config: config.escalation, ackUrl, clock, log });
//   worker.start();                 // resumes rows a previous run had claimed, then wakes at each due time
//   worker.wake();                  // after a unit of work that wrote outbox rows (Escalator.handle / tick / ack)
//   worker.setConfig(cfg, reading); // on reload
//   await worker.stop(10_000);      // stops claiming; lets in-flight deliveries finish within the bound, then aborts
//
// Rows claimed together for one (contact, channel, group key) are one message. A failure is retried after
// initial_backoff·2^attempts with jitter, or after the server's Retry-After, never later than max_backoff nor than
// the moment `fallback_after` is up. Once a row has failed for `fallback_after` (or at once on a final failure such
// as 404 or a refused password) it moves to the contact's next channel, and the P2 level's contacts get a
// DeliveryFailing page over a channel other than the broken one; when every page of its alert has failed so, they
// also get one saying nobody was reached (src/engine/delivery-failing.ts).
// A row whose last channel failed finally is marked failed. Delivery is at-least-once: a crash after the send
// but before the row is marked resends it with the same Message-ID / Idempotency-Key.
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { ChannelConfig, EscalationFile } from '../config/schema.js';
import { DEFAULT_READING, type Reading } from '../locale/locale.js';
import { deliver } from '../notifiers/index.js';
import {
  type Delivery,
  type Notification,
  type NotificationItem,
  PAGE_KINDS,
  recipient,
} from '../notifiers/notifier.js';
import type { IncidentStore, OutboxRow } from '../store/store.js';
import { deliveryFailingPages, unreachedPages } from './delivery-failing.js';
import { FailingChannels } from './failing-channels.js';

/** The part of escalation.yaml the worker reads. */
export type OutboxConfig = Pick<EscalationFile, 'levels' | 'contacts' | 'channels' | 'delivery' | 'ack'>;

/** What the worker needs. */
export interface OutboxDeps {
  store: IncidentStore;
  /**
   * Resolves once the store's writes so far are durable (Store.deliverable): a claimed message is sent only then, so a
   * claim that did not commit (a fenced or cut-off PostgreSQL store) is not delivered, except by a store cut off for
   * longer than state.unreachable_hold, which fails open. Resolved at once without it. It may resolve with a signal
   * the send stops at: the rows then go back to pending, not counted as an attempt (the lead is in doubt, and whoever
   * leads sends them, with the same ids).
   */
  committed?: () => Promise<AbortSignal | undefined>;
  /** The state store's installation number (AlertStore.installation), read at start; 0 when omitted. */
  installation?: () => number;
  config: OutboxConfig;
  /** The language and time zone pages are written in (centinela.yaml); English and UTC when omitted. */
  reading?: Reading;
  /** The signed acknowledgement link of a page for one contact, or undefined when links are off. */
  ackUrl?: AckUrl;
  /** Where an incident's timeline page is (server.public_url), or undefined without a public URL. */
  timelineUrl?: (alertId: string, incidentId: number) => string | undefined;
  clock: Clock;
  log: Logger;
  /** Jitter source, [0, 1). */
  random?: () => number;
  /** Messages in flight at once. */
  concurrency?: number;
  /** Told of every attempt (wire to Metrics.notification); latency (row written → delivered) only when delivered. */
  onAttempt?: (channel: string, result: AttemptResult, latencySeconds?: number) => void;
}

/**
 * Makes the acknowledgement links of an incident's page for one contact: the signed link and its short form (for
 * SMS); undefined when links are off.
 */
export type AckUrl = (page: {
  incidentId: number;
  alertId: string;
  contact: string;
}) => { url: string; short: string } | undefined;

/** How an attempt ended, for metrics. */
export type AttemptResult = 'delivered' | 'retry' | 'failed' | 'fallback';

// Email channels have no timeout setting; an SMTP exchange that takes longer than this is stuck.
const EMAIL_TIMEOUT_MS = 30_000;
// Messages claimed per round, and alerts per message: a storm is worked through in rounds so memory stays bounded,
// and one group of more than MAX_ITEMS alerts goes out as several messages.
const CLAIM_GROUPS = 200;
const MAX_ITEMS = 1000;
// Even without a wake() the worker looks at the store this often (a wake-up lost to a bug costs at most this).
const POLL_MS = 30_000;

function channelTimeout(channel: ChannelConfig): number {
  return channel.kind === 'webhook' ? channel.timeout : EMAIL_TIMEOUT_MS;
}

/**
 * A stable id for a set of rows: the same rows give the same Message-ID and Idempotency-Key after a restart (and on the
 * other replica); the installation number keeps another state store's rows, with the same keys, from giving it.
 */
function notificationId(installation: number, rows: OutboxRow[]): string {
  const h = createHash('sha256').update(`${installation}\n`);
  for (const key of rows.map((r) => r.key).sort()) h.update(key).update('\n');
  return h.digest('hex').slice(0, 32);
}

/** How long a claim found durable stays so for its lane; asked longer ago, it is asked again (see #deliverBatch). */
const STILL_DURABLE_MS = 1_000;
/** Asks at most before a claim is sent all the same: a machine that slow still pages (a repeat beats a miss). */
const MAX_ASKS = 3;
/** Delivers the outbox; one per daemon. */
export class OutboxWorker {
  readonly #store: IncidentStore;
  readonly #committed: () => Promise<AbortSignal | undefined>;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #random: () => number;
  readonly #readInstallation: () => number;
  #installation: number | undefined;
  readonly #concurrency: number;
  readonly #onAttempt: NonNullable<OutboxDeps['onAttempt']>;
  readonly #ackUrl: AckUrl;
  readonly #timelineUrl: (alertId: string, incidentId: number) => string | undefined;
  readonly #failing: FailingChannels;
  #config: OutboxConfig;
  #reading: Reading;
  #cancelTimer: (() => void) | undefined;
  #stopped = true;
  /** Another centinela took the store over: nothing more is sent. */
  #fenced = false;
  /** Until when no row is claimed: a claim failed to commit, and the store is given initial_backoff to come back. */
  #pausedUntil = 0;
  /** Messages being delivered, each in one lane of the pool; each resolves when its attempt is recorded. */
  readonly #lanes = new Set<Promise<void>>();
  readonly #inFlight = new Set<AbortController>();
  /** Incidents whose "nobody was reached, and no channel is left" was logged. */
  readonly #toldUnreached = new Set<number>();

  constructor(deps: OutboxDeps) {
    this.#store = deps.store;
    this.#committed = deps.committed ?? (() => Promise.resolve(undefined));
    this.#readInstallation = deps.installation ?? (() => 0);
    this.#config = deps.config;
    this.#reading = deps.reading ?? DEFAULT_READING;
    this.#ackUrl = deps.ackUrl ?? (() => undefined);
    this.#timelineUrl = deps.timelineUrl ?? (() => undefined);
    this.#clock = deps.clock;
    this.#log = deps.log;
    this.#failing = new FailingChannels(deps.log);
    this.#random = deps.random ?? Math.random;
    this.#concurrency = deps.concurrency ?? 16;
    this.#onAttempt = deps.onAttempt ?? (() => {});
  }

  /** Replaces the configuration (reload); rows keep their channel position. */
  setConfig(config: OutboxConfig, reading: Reading): void {
    this.#config = config;
    this.#reading = reading;
  }

  /** Starts delivering: rows a stopped or crashed worker had claimed are pending again, then the loop runs. */
  start(): void {
    // Drawn (the first time) before any claim: the claim's commit, awaited before each send, saves it with it, so the
    // other replica taking over sends the same rows with the same ids.
    this.#installationNumber();
    const resumed = this.#store.resetSending();
    if (resumed)
      this.#log.warn({ rows: resumed }, 'outbox: resending rows that were being delivered when centinela stopped');
    this.#stopped = false;
    this.wake();
  }

  /**
   * Looks for due rows now (call after writing outbox rows): each free lane takes the next due message at once,
   * whatever the other lanes are waiting for, so one hung channel never delays another page.
   */
  wake(): void {
    if (this.#stopped) return;
    this.#cancelTimer?.();
    if (this.#clock.now() < this.#pausedUntil) {
      this.#cancelTimer = this.#clock.setTimeout(() => this.wake(), this.#pausedUntil - this.#clock.now());
      return;
    }
    const free = this.#concurrency - this.#lanes.size;
    if (free > 0)
      for (const batch of this.#store.claimDue(this.#clock.now(), free, MAX_ITEMS)) void this.#inLane(batch);
    this.#failing.report(this.#clock.now());
    // With every lane busy, the next lane to free up looks again; otherwise nothing more is due before the timer.
    if (this.#lanes.size < this.#concurrency) this.#schedule();
  }

  /** Resolves once no delivery is in flight (rows due later wait for their time). */
  async idle(): Promise<void> {
    while (this.#lanes.size) await Promise.all(this.#lanes);
  }

  /** Delivers a claimed message in a lane of its own; the lane, once free, takes the next due message. */
  #inLane(batch: OutboxRow[]): Promise<void> {
    const lane = this.#deliverBatch(batch).finally(() => {
      this.#lanes.delete(lane);
      this.wake();
    });
    this.#lanes.add(lane);
    return lane;
  }

  #schedule(): void {
    const next = this.#store.nextAttemptAt();
    const delay = Math.min(POLL_MS, next === undefined ? POLL_MS : Math.max(0, next - this.#clock.now()));
    this.#cancelTimer = this.#clock.setTimeout(() => this.wake(), delay);
  }

  /**
   * Stops claiming rows and waits up to `boundMs` for deliveries in flight; any still running then are aborted
   * and recorded as failed attempts (so they are retried on the next start). Resolves when all is recorded.
   */
  async stop(boundMs: number): Promise<void> {
    this.#stopped = true;
    this.#cancelTimer?.();
    if (!this.#lanes.size) return;
    const bound = new AbortController();
    const timedOut = await Promise.race([
      this.idle().then(() => false),
      this.#clock.sleep(boundMs, bound.signal).then(
        () => true,
        () => false,
      ),
    ]);
    bound.abort();
    if (timedOut) for (const ac of this.#inFlight) ac.abort(new Error('centinela is stopping'));
    await this.idle();
  }

  /** Delivers every row due now, as grouped messages; resolves when each attempt is recorded. Returns messages tried. */
  async runOnce(): Promise<number> {
    let messages = 0;
    for (;;) {
      const queue = this.#store.claimDue(this.#clock.now(), CLAIM_GROUPS, MAX_ITEMS);
      const claimed = queue.length;
      messages += claimed;
      const lane = async () => {
        for (let batch = queue.shift(); batch; batch = queue.shift()) await this.#inLane(batch);
      };
      await Promise.all(Array.from({ length: Math.min(this.#concurrency, claimed) }, lane));
      if (claimed < CLAIM_GROUPS || this.#stopped) break;
    }
    this.#failing.report(this.#clock.now());
    return messages;
  }

  async #deliverBatch(rows: OutboxRow[]): Promise<void> {
    // Other lanes' work, or this process frozen (SIGSTOP, a stalled host), may pass between asking whether the claim
    // is durable and this lane going on: asked over STILL_DURABLE_MS ago, it is asked again, so a leader frozen past
    // its lease learns that another took over (its store reads the term again) before it sends.
    let lead: AbortSignal | undefined;
    for (let ask = 1; ; ask++) {
      const asked = this.#clock.now();
      const claim = await this.#claimCommitted(rows);
      if (!claim) return;
      lead = claim.lead;
      if (ask === MAX_ASKS || this.#clock.now() - asked < STILL_DURABLE_MS) break;
    }
    const first = rows[0] as OutboxRow;
    // When each send starts, for telling a send begun before a takeover from one begun after it (bench/failover.ts).
    this.#log.debug({ contact: first.contact, rows: rows.length }, 'outbox: sending');
    const { contacts, channels, levels } = this.#config;
    const contact = contacts[first.contact];
    const channelName = contact?.channels[first.channelIndex];
    const channel = channelName === undefined ? undefined : channels[channelName];
    let result: Delivery;
    if (!contact) {
      result = { ok: false, retryable: false, reason: `contact "${first.contact}" is no longer in escalation.yaml` };
    } else if (!channel) {
      result = {
        ok: false,
        retryable: false,
        reason: channelName
          ? `channel "${channelName}" of contact "${first.contact}" is not in escalation.yaml`
          : `contact "${first.contact}" has no channel #${first.channelIndex + 1}`,
      };
    } else {
      const n: Notification = {
        id: notificationId(this.#installationNumber(), rows),
        installation: this.#installationNumber(),
        contact: recipient(first.contact, contact),
        items: rows.map((r) => this.#withLinks(r)),
        at: this.#clock.now(),
        reading: this.#reading,
        levelDescriptions: Object.fromEntries(Object.entries(levels).map(([p, l]) => [p, l?.description])),
      };
      const ac = new AbortController();
      this.#inFlight.add(ac);
      const cancel = this.#clock.setTimeout(() => ac.abort(new Error('timed out')), channelTimeout(channel));
      const signal = lead ? AbortSignal.any([ac.signal, lead]) : ac.signal;
      try {
        result = await deliver(n, channel, {
          signal,
          log: this.#log.child({ channel: channelName }),
          now: () => this.#clock.now(),
        });
      } finally {
        cancel();
        this.#inFlight.delete(ac);
      }
      if (!result.ok && lead?.aborted) {
        this.#store.release(rows.map((r) => r.id));
        this.#log.warn(
          { contact: first.contact, rows: rows.length },
          `outbox: a send was stopped (${(lead.reason as Error).message}); it goes out again, with the same id, ` +
            'from the centinela that leads',
        );
        return;
      }
    }
    this.#record(rows, channelName ?? null, result);
  }

  /**
   * Whether the claim of `rows` is durable. When it is not, nothing is sent: a fenced store (another centinela took
   * over) stops the worker for good; otherwise the rows go back to pending and no row is claimed for
   * initial_backoff, while the store retries the writes it holds.
   */
  async #claimCommitted(rows: OutboxRow[]): Promise<{ lead: AbortSignal | undefined } | undefined> {
    try {
      return { lead: await this.#committed() };
    } catch (err) {
      const { code, message } = err as { code?: string; message: string };
      if (code === 'STATE_FENCED') {
        // Told once: every lane waiting on a claim hears it.
        if (!this.#fenced) this.#log.error({ code, rows: rows.length }, `outbox: nothing more is sent: ${message}`);
        this.#fenced = true;
        this.#stopped = true;
        this.#cancelTimer?.();
        return undefined;
      }
      this.#store.release(rows.map((r) => r.id));
      this.#pausedUntil = this.#clock.now() + this.#config.delivery.initial_backoff;
      this.#log.error({ code, rows: rows.length }, `outbox: not sent yet, the rows wait: ${message}`);
      return undefined;
    }
  }

  /** The store's installation number, read once (the store keeps it for good once drawn). */
  #installationNumber(): number {
    this.#installation ??= this.#readInstallation();
    return this.#installation;
  }

  /** The item with the link to its incident's timeline, and, on a page, the signed acknowledgement link. */
  #withLinks(row: OutboxRow): NotificationItem {
    const timeline = row.incidentId ? this.#timelineUrl(row.item.alert.id, row.incidentId) : undefined;
    const item = timeline ? { ...row.item, timelineUrl: timeline } : row.item;
    // Pages ask for an acknowledgement, so they carry a link; news for those paged does not.
    if (!row.incidentId || !PAGE_KINDS.includes(row.kind)) return item;
    const links = this.#ackUrl({ incidentId: row.incidentId, alertId: row.item.alert.id, contact: row.contact });
    return links ? { ...item, ackUrl: links.url, shortAckUrl: links.short } : item;
  }

  #record(rows: OutboxRow[], channel: string | null, result: Delivery): void {
    const ids = rows.map((r) => r.id);
    const now = this.#clock.now();
    const first = rows[0] as OutboxRow;
    if (result.ok) {
      this.#store.recordAttempt(ids, { ok: true, channel: channel ?? '', at: now });
      const oldest = rows.reduce((t, r) => Math.min(t, r.createdAt), Infinity);
      this.#onAttempt(channel ?? '', 'delivered', (now - oldest) / 1000);
      this.#failing.delivered(first.contact, channel, now);
      this.#log.debug({ contact: first.contact, channel, rows: ids.length }, 'outbox: delivered');
      return;
    }
    const { delivery } = this.#config;
    const failingSince = rows.reduce((t, r) => Math.min(t, r.failingSince ?? now), Infinity);
    const longFailing = !result.retryable || now - failingSince >= delivery.fallback_after;
    const channelsOfContact = this.#config.contacts[first.contact]?.channels.length ?? 0;
    // A row sent on every channel at once has no next channel to move to: its siblings are already on them.
    const fallBack = longFailing && !first.item.everyChannel && first.channelIndex + 1 < channelsOfContact;
    let nextAttemptAt: number | undefined;
    if (fallBack) nextAttemptAt = now;
    else if (result.retryable) {
      const base = Math.min(delivery.max_backoff, delivery.initial_backoff * 2 ** first.attempts);
      // Equal jitter: half the delay fixed, half random, so retries of a storm spread out.
      const wanted = result.retryAfterMs ?? base / 2 + (this.#random() * base) / 2;
      // No wait past max_backoff (a receiver asking for an hour) nor past the moment fallback_after is up: the
      // attempt then is what moves the page to the next channel and raises DeliveryFailing, on time.
      const fallbackAt = failingSince + delivery.fallback_after;
      const cap = Math.min(delivery.max_backoff, fallbackAt > now ? fallbackAt - now : Number.POSITIVE_INFINITY);
      // Whole milliseconds, as every time in the store (PostgreSQL's BIGINT refuses a fraction).
      nextAttemptAt = now + Math.round(Math.min(wanted, cap));
    }
    this.#store.recordAttempt(ids, {
      ok: false,
      channel,
      at: now,
      error: result.reason,
      nextAttemptAt,
      channelIndex: fallBack ? first.channelIndex + 1 : first.channelIndex,
      failingSince: fallBack ? null : failingSince,
    });
    this.#onAttempt(channel ?? '', nextAttemptAt === undefined ? 'failed' : fallBack ? 'fallback' : 'retry');
    // Logged once per change of state (failing-channels.ts), not per attempt: the metric counts every attempt.
    const retryAt = fallBack ? undefined : nextAttemptAt;
    this.#failing.failed({ contact: first.contact, channel, rowIds: ids, reason: result.reason, retryAt }, now);
    // Leaving a channel is a change of state for the rows: said once, not at every retry.
    const leaving = { contact: first.contact, channel, rows: ids.length, reason: result.reason };
    if (nextAttemptAt === undefined) this.#log.warn(leaving, 'outbox: delivery failed for good');
    else if (fallBack) {
      const next = this.#config.contacts[first.contact]?.channels[first.channelIndex + 1];
      this.#log.warn({ ...leaving, next }, 'outbox: delivery moves to the next channel');
    }
    const unraised = rows.filter((r) => !r.failingRaised && r.kind !== 'delivery-failing');
    if (longFailing && unraised.length) this.#raiseDeliveryFailing(unraised, channel, result.reason, failingSince, now);
    for (const id of new Set(rows.map((r) => r.incidentId))) if (id) this.#raiseUnreached(id, now);
  }

  /** Pages the P2 level's contacts, over a channel other than the broken one, that deliveries are failing. */
  #raiseDeliveryFailing(rows: OutboxRow[], channel: string | null, reason: string, since: number, now: number): void {
    const { pages, unreachable } = deliveryFailingPages(
      rows,
      { channel, reason, since, now },
      this.#config,
      this.#reading.locale,
    );
    for (const name of unreachable) {
      this.#log.error({ contact: name, channel }, 'outbox: DeliveryFailing has no other channel to reach this contact');
    }
    for (const page of pages) this.#store.enqueue(page);
    this.#store.markFailingRaised(rows.map((r) => r.id));
    this.wake();
  }

  /**
   * Pages that the incident's pages have reached nobody, when every one has failed, for fallback_after or for good
   * (once per incident: the rows' keys are unique). Looked at after each failed attempt, so it is on time.
   */
  #raiseUnreached(incidentId: number, now: number): void {
    const incident = this.#store.incident(incidentId);
    const raised =
      incident && unreachedPages(incident, this.#store.outboxRows(incidentId), now, this.#config, this.#reading.locale);
    if (!raised) return;
    // Said once per incident (and start): the rows keep failing and are tried again, each a call of this method.
    if (raised.pages.length === 0 && !this.#toldUnreached.has(incidentId)) {
      this.#toldUnreached.add(incidentId);
      this.#log.error(
        { alert: incident.alertId, contacts: raised.unreachable },
        'outbox: nobody was reached about this alert, and no contact has a channel its pages did not fail on',
      );
    }
    if (raised.pages.filter((page) => this.#store.enqueue(page)).length > 0) this.wake();
  }
}
