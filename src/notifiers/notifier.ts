// The notifier contract (STYLE.md §4): what a notification holds, and a kind that renders it (pure) and sends it.
import type { Logger } from 'pino';
import type { ChannelConfig, ContactConfig } from '../config/schema.js';
import type { FromEnv } from '../env-names.js';
import type { Reading } from '../locale/locale.js';
import type { AckInfo, Alert, Labels, Priority } from '../types.js';

/**
 * Why a contact hears about an alert; `flapping` (it keeps firing and resolving) and `flapping-ended` (it settled,
 * still firing) are news for those paged; `test` is `centinela notify-test`, `delivery-failing` is centinela's own.
 */
export type ItemKind =
  | 'firing'
  | 'reminder'
  | 'escalated'
  | 'step'
  | 'priority-rose'
  | 'reopened'
  | 'flapping'
  | 'flapping-ended'
  | 'acknowledged'
  | 'resolved'
  | 'delivery-failing'
  | 'test';

/** The kinds that page someone (and ask for an acknowledgement), as opposed to news for those paged. */
export const PAGE_KINDS: readonly ItemKind[] = ['firing', 'reminder', 'escalated', 'step', 'priority-rose', 'reopened'];

/** An alert held back by the one a page is about (an inhibition): named as people know it, not by its id. */
export interface HeldAlert {
  id: string;
  /** Unset for an alert escalation has no record of (then the page shows its id). */
  alertname?: string;
  labels?: Labels;
  summary?: string;
}

/** One alert's news for one contact: a snapshot taken when the outbox row was written, so a restart sends the same. */
export interface NotificationItem {
  /** The outbox idempotency key. */
  key: string;
  kind: ItemKind;
  alert: Alert;
  /** The incident (one episode of the alert instance); 0 for items that belong to none (tests, delivery-failing). */
  incidentId: number;
  /** The escalation level whose contacts this page is for. */
  level: Priority;
  /** The response time (ack_within) of the alert's priority, ms. */
  responseTimeMs: number;
  /** When the incident was first paged. */
  openedAt: number;
  /** Everyone paged for this incident so far (contact names). */
  paged: string[];
  /** Phone numbers of those paged who have one, so whoever is paged can call the others. */
  phones?: Record<string, string>;
  /** The alerts this one holds back right now (its inhibition targets), when the row was written. */
  holding?: HeldAlert[];
  /** For `priority-rose`: the priority before. */
  previousPriority?: Priority;
  /** For `step`: how long the level's page went unacknowledged before this contact was added (the step's `after`), ms. */
  stepAfterMs?: number;
  ack?: AckInfo;
  resolvedAt?: number;
  /** Signed acknowledgement link for this contact, added by the outbox worker when links are configured. */
  ackUrl?: string;
  /**
   * The incident's timeline page (`<public_url>/alerts/<id>?incident=<n>`), added by the outbox worker when a public
   * URL is set.
   */
  timelineUrl?: string;
  /** The same link in its short form (`<public_url>/a/<token>`), for a text that must fit one SMS. */
  shortAckUrl?: string;
  /** Sent on every channel of the contact at once (the level's `channels: all`): this row never falls back. */
  everyChannel?: boolean;
}

/** One message for one contact: one or more items grouped by group key (a storm is one message, not 300). */
export interface Notification {
  /** Stable over retries and restarts: derived from the items' keys (Message-ID, Idempotency-Key). */
  id: string;
  /**
   * The state store's installation number (AlertStore.installation), set by the outbox worker; keys a receiver drops
   * repeats or folds incidents by are scoped to it (installationKey). Absent for pages sent without the store.
   */
  installation?: number;
  /**
   * Who it is for; `phone` as written in escalation.yaml (SMS sends to it); which of its values came from the
   * environment, so that a failure naming them names their key instead (deliver).
   */
  contact: { id: string; name: string; email?: string; phone?: string } & FromEnv;
  items: NotificationItem[];
  /** When this attempt was built (epoch ms). */
  at: number;
  /** The language and time zone the text is written in (centinela.yaml `locale`, `timezone`). */
  reading: Reading;
  /** What each priority means to the team (escalation.yaml levels' `description`), shown beside it. */
  levelDescriptions?: Partial<Record<Priority, string>>;
}

/** The outcome of one attempt; `reason` never holds a secret. `retryAfterMs` comes from a server's Retry-After. */
export type Delivery = { ok: true } | { ok: false; retryable: boolean; reason: string; retryAfterMs?: number };

/** What `send` gets: the attempt's timeout as a signal, a logger tagged with the channel, the clock's time. */
export interface SendContext {
  signal: AbortSignal;
  log: Logger;
  now: () => number;
}

/**
 * One channel kind (`email`, `webhook`): render is pure (tested on its own), send does the I/O and never throws.
 * The channel's schema is in src/config/schema.ts with the rest of escalation.yaml.
 */
export interface NotifierKind<C extends ChannelConfig, M> {
  kind: C['kind'];
  render(n: Notification, cfg: C): M;
  send(m: M, ctx: SendContext): Promise<Delivery>;
}

/** Declares a notifier kind with its types checked. */
export const defineNotifier = <C extends ChannelConfig, M>(n: NotifierKind<C, M>) => n;

/**
 * A key a receiver drops repeats or folds incidents by, scoped to the installation that sent `n`: a new state file
 * (whose incident numbers start at 1 again) or another installation paging the same receiver never reuses it.
 */
export function installationKey(n: Notification, key: string): string {
  return n.installation === undefined ? key : `${n.installation}:${key}`;
}

/** Who a notification is for: the contact `id` of escalation.yaml, as `Notification.contact` holds it. */
export function recipient(id: string, contact: ContactConfig | undefined): Notification['contact'] {
  const { name = id, email, phone, fromEnv } = contact ?? {};
  return { id, name, email, phone, fromEnv };
}
