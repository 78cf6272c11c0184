// StateStoreUnreachable: centinela's own page when PostgreSQL, the state store of a pair, has not answered for
// state.unreachable_hold, and its all-clear when it answers again. It cannot go through the outbox (the outbox lives in
// the store that cannot be reached), so it is sent over the channels directly: to the contacts of the P1 level, the
// runbook's "critical functionality affected, to the Tech Lead" (centinela's paging is degraded, not down), each over
// their channels in order until one delivers. Said once per outage; the outage's start names its keys, so the two
// messages of one outage carry related, stable idempotency keys. An active that finds, when PostgreSQL answers again,
// that another centinela took the lead meanwhile sends the all-clear itself before it exits (handOver): the new
// active never heard of the page, and nobody else would end it.
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { ChannelConfig, EscalationFile } from '../config/schema.js';
import { levelFor } from '../escalation/policy.js';
import { type Reading, t } from '../locale/locale.js';
import { humanDuration } from '../notifiers/describe.js';
import { deliver } from '../notifiers/index.js';
import { type Notification, type NotificationItem, recipient } from '../notifiers/notifier.js';
import type { Outage } from '../store/postgres.js';
import type { Alert } from '../types.js';

/** The part of escalation.yaml the alarm reads. */
export type AlarmConfig = Pick<EscalationFile, 'levels' | 'contacts' | 'channels'>;

export interface StateStoreAlarmDeps {
  /** The current escalation config (a reload applies to the next message). */
  config: () => AlarmConfig;
  reading: () => Reading;
  clock: Clock;
  log: Logger;
}

/**
 * What the alarm is about: since when PostgreSQL has not answered, how long the hold is, and why the write failed in
 * PostgreSQL's or the driver's words (no URL).
 */
export interface StoreOutage {
  since: number;
  holdMs: number;
  error: string;
}

// Email channels have no timeout setting (as in delivery.ts); an SMTP exchange longer than this is stuck.
const EMAIL_TIMEOUT_MS = 30_000;

/** Pages the P1 level that the state store is unreachable, and that it is back. */
export class StateStoreAlarm {
  readonly #deps: StateStoreAlarmDeps;
  /** The outage paged and not yet cleared: its all-clear says again what it failed with. */
  #open: StoreOutage | undefined;
  #reaching = true;

  constructor(deps: StateStoreAlarmDeps) {
    this.#deps = deps;
  }

  /** False from a failed write until PostgreSQL answers again (/readyz says so). */
  get reaching(): boolean {
    return this.#reaching;
  }

  /**
   * Logs a change of the store's reach of PostgreSQL (onOutage of the PostgreSQL store) and pages on the two that
   * people must hear of: the hold is up (pages now go out unsaved), and PostgreSQL answers again after that.
   */
  tell(outage: Outage, holdMs: number): void {
    const { log } = this.#deps;
    this.#reaching = outage.state === 'back';
    const about = (error: string) => ({ since: outage.since, holdMs, error });
    switch (outage.state) {
      case 'unreachable':
        log.warn(
          { code: outage.error.code },
          `${outage.error.message}; probing and evaluating go on, pages are held up to ${humanDuration(holdMs)} for PostgreSQL to answer`,
        );
        return;
      case 'failing-open':
        log.error(
          { code: outage.error.code },
          `state store (postgres): unreachable for ${humanDuration(holdMs)}; pages now go out unsaved (fail open)`,
        );
        this.#open = about(outage.error.reason ?? outage.error.message);
        void this.unreachable(this.#open);
        return;
      case 'back':
        log.info(
          { downMs: outage.until - outage.since },
          'state store (postgres): PostgreSQL answers again; what was held is saved',
        );
        if (outage.failedOpen) void this.back(this.#open ?? about(''), outage.until);
        this.#open = undefined;
    }
  }

  /**
   * This centinela lost the lead to another during the outage: sends the all-clear of the page it sent (if it sent
   * one), saying that another centinela leads now; resolves with the contacts reached.
   */
  async handOver(): Promise<string[]> {
    const open = this.#open;
    if (!open) return [];
    this.#open = undefined;
    this.#deps.log.info(
      'state store (postgres): another centinela leads; sending the all-clear of the page this one sent',
    );
    return this.#send(open, this.#deps.clock.now(), true);
  }

  /** Pages that PostgreSQL has not answered since `outage.since`; resolves with the contacts reached. */
  unreachable(outage: StoreOutage): Promise<string[]> {
    return this.#send(outage, undefined);
  }

  /** Pages the all-clear of `outage`, over at `until`; resolves with the contacts reached. */
  back(outage: StoreOutage, until: number): Promise<string[]> {
    return this.#send(outage, until);
  }

  async #send(outage: StoreOutage, until: number | undefined, handedOver = false): Promise<string[]> {
    const { levels, contacts, channels } = this.#deps.config();
    const reading = this.#deps.reading();
    const now = this.#deps.clock.now();
    const level = levelFor(levels, 'P1');
    const names = level ? (levels[level]?.contacts ?? []) : [];
    const alert = storeAlert(outage, now, reading, handedOver);
    const reached: string[] = [];
    for (const name of names) {
      const contact = contacts[name];
      if (!contact) continue;
      const key = `centinela:state-store:${outage.since}:${name}`;
      const item: NotificationItem = {
        key: until === undefined ? key : `${key}:resolved`,
        kind: until === undefined ? 'firing' : 'resolved',
        alert,
        incidentId: 0,
        level: 'P1',
        responseTimeMs: level ? (levels[level]?.ack_within ?? 0) : 0,
        openedAt: outage.since + outage.holdMs,
        paged: [...names],
        ...(until === undefined ? {} : { resolvedAt: until }),
      };
      const n: Notification = {
        id: `state-store-${outage.since}-${name}${until === undefined ? '' : '-resolved'}`,
        contact: recipient(name, contact),
        items: [item],
        at: now,
        reading,
        levelDescriptions: Object.fromEntries(Object.entries(levels).map(([p, l]) => [p, l?.description])),
      };
      const failures: string[] = [];
      for (const channelName of contact.channels) {
        const channel = channels[channelName];
        if (!channel) continue;
        const result = await this.#deliver(n, channelName, channel);
        if (result === undefined) {
          reached.push(name);
          break;
        }
        failures.push(`${channelName}: ${result}`);
      }
      if (!reached.includes(name)) {
        this.#deps.log.error(
          { contact: name, failures },
          'state store unreachable: the page about it reached this contact on no channel',
        );
      }
    }
    return reached;
  }

  /** Sends over one channel; undefined when delivered, else why not. */
  async #deliver(n: Notification, name: string, channel: ChannelConfig): Promise<string | undefined> {
    const ac = new AbortController();
    const timeout = channel.kind === 'webhook' ? channel.timeout : EMAIL_TIMEOUT_MS;
    const cancel = this.#deps.clock.setTimeout(() => ac.abort(new Error('timed out')), timeout);
    try {
      const d = await deliver(n, channel, {
        signal: ac.signal,
        log: this.#deps.log.child({ channel: name }),
        now: () => this.#deps.clock.now(),
      });
      return d.ok ? undefined : d.reason;
    } finally {
      cancel();
    }
  }
}

/** The alert the pages are about, worded in the team's language. */
function storeAlert(outage: StoreOutage, now: number, { locale }: Reading, handedOver: boolean): Alert {
  const failure = t(locale, 'stateStore.writeFailed', { reason: outage.error });
  const duration = humanDuration(now - outage.since);
  return {
    id: 'centinela:state-store',
    alertname: 'StateStoreUnreachable',
    labels: { alertname: 'StateStoreUnreachable' },
    priority: 'P1',
    value: Math.round((now - outage.since) / 1000),
    op: '>=',
    threshold: Math.round(outage.holdMs / 1000),
    unit: 'duration',
    summary: t(locale, 'stateStore.unreachable'),
    description: handedOver
      ? t(locale, 'stateStore.handedOver', { duration, error: failure })
      : t(locale, 'stateStore.description', { duration, error: failure }),
    runbook: [t(locale, 'stateStore.check'), t(locale, 'stateStore.saved'), t(locale, 'stateStore.restart')],
    diagnosis: [{ probe: 'state', detail: failure }],
    groupKey: 'StateStoreUnreachable',
    activeSince: outage.since,
    flapping: false,
    suppressedBy: [],
    inhibits: [],
  };
}
