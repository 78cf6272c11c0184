// The escalator: turns alert events, due-times and acks into incidents and outbox rows, synchronously, inside the
// caller's unit of work (each method is also atomic on its own: nested in the caller's it is a savepoint). Who is
// paged and when is decided by the pure policy (src/escalation/policy.ts); this class reads and writes the store.
//
// The engine's loop (src/engine/loop.ts) calls `handle(events, now)` in the unit of work that commits rule state,
// `tick(now)` at `nextDueAt()`, and wakes delivery after either; acks arrive through src/engine/acks.ts. No network
// I/O happens here; the OutboxWorker (src/engine/delivery.ts) delivers what this writes.
import type { EscalationFile } from '../config/schema.js';
import type { IncidentRecord } from '../escalation/incident-records.js';
import { applyEvent, type Decision, due, levelFor, type Notice, nextDueAt, type Page } from '../escalation/policy.js';
import { hearsIncidentUpdates } from '../notifiers/index.js';
import { type HeldAlert, type ItemKind, type NotificationItem, PAGE_KINDS } from '../notifiers/notifier.js';
import type { IncidentStore, Store } from '../store/store.js';
import type { AckInfo, Alert, AlertEvent, Priority } from '../types.js';

/** The part of escalation.yaml this needs. */
export type EscalationConfig = Pick<EscalationFile, 'levels' | 'contacts' | 'channels' | 'delivery' | 'ack'>;

/** How an acknowledgement arrived: the API (bearer token), the status page (its login cookie), a signed link, the CLI. */
export type AckVia = 'api' | 'page' | 'link' | 'cli';

/** The result of `ack`: acknowledged now, already acknowledged, or why not. */
export type AckOutcome =
  | { status: 'acknowledged'; incident: IncidentRecord }
  | { status: 'already-acknowledged'; incident: IncidentRecord }
  | { status: 'resolved'; incident: IncidentRecord }
  | { status: 'unknown' };

const seconds = (now: number, rec: IncidentRecord) => Math.max(0, now - rec.alert.activeSince) / 1000;

// The events that open an incident when none is open. Flapping can start on a re-fire right after a resolution
// closed the last incident; the alert counts as open while it flaps, so that event opens (and pages) one too.
const OPENS = new Set<AlertEvent['type']>(['firing', 'priority-changed', 'flapping']);

// An ack or a resolution makes these not-yet-sent repeats moot; the first page and resolutions still go out.
const REPEATS: ItemKind[] = ['reminder', 'escalated', 'step', 'reopened'];

/** News for everyone paged for an incident (not a page of a level). */
type NoticeKind = 'acknowledged' | 'resolved' | Notice;

/**
 * What one event, due-time or ack asks to send: written once the whole batch is recorded (see #write). A notice
 * skips the contact who acked, and those this event pages (their page says it already).
 */
interface Outgoing {
  rec: IncidentRecord;
  pages: Page[];
  notice?: { kind: NoticeKind; skip?: string };
}

function heldAlert(a: Alert): HeldAlert {
  return { id: a.id, alertname: a.alertname, labels: a.labels, summary: a.summary };
}

/**
 * Told what happened, for metrics; called inside the transaction (a rolled-back one has still been counted).
 * Seconds are counted from when the alert started firing.
 */
export interface EscalationObserver {
  escalated?(from: Priority, to: Priority): void;
  acknowledged?(priority: Priority, secondsSinceFiring: number): void;
  resolved?(priority: Priority, secondsSinceFiring: number): void;
}

/** Escalation over a store; one per daemon. Every method is synchronous store work. */
export class Escalator {
  readonly #incidents: IncidentStore;
  readonly #unitOfWork: Store['unitOfWork'];
  readonly #observer: EscalationObserver;
  #cfg: EscalationConfig;

  constructor(store: Store, cfg: EscalationConfig, observer: EscalationObserver = {}) {
    this.#incidents = store.incidents;
    this.#unitOfWork = (fn) => store.unitOfWork(fn);
    this.#cfg = cfg;
    this.#observer = observer;
  }

  /** Replaces the configuration (reload); running incidents keep their reached levels. */
  setConfig(cfg: EscalationConfig): void {
    this.#cfg = cfg;
  }

  /**
   * Records the rules' events and enqueues the pages they cause. A held-back alert (non-empty `suppressedBy`) is
   * recorded, not paged; `resolved` goes once to everyone paged for the incident, whether or not it was held since.
   */
  handle(events: readonly AlertEvent[], now: number): void {
    this.#unitOfWork(() => this.#handle(events, now));
  }

  #handle(events: readonly AlertEvent[], now: number): void {
    const out: Outgoing[] = [];
    for (const event of events) {
      const open = this.#incidents.openIncident(event.alert.id);
      if (!open && !OPENS.has(event.type)) continue;
      const base = open ?? {
        alertId: event.alert.id,
        alert: event.alert,
        priority: event.alert.priority,
        status: 'held' as const,
        openedAt: now,
        levels: [],
      };
      const decision = applyEvent(base, event, this.#cfg.levels, this.#cfg.ack.timeout, now);
      const rec = this.#save(decision, open === undefined);
      // A reminder still queued (a retry, a group_wait) must not reach anyone after the all-clear.
      if (event.type === 'resolved') this.#incidents.supersede(rec.id, REPEATS);
      const notice = event.type === 'resolved' ? 'resolved' : decision.notice;
      out.push({ rec, pages: decision.pages, notice: notice && { kind: notice } });
      if (event.type === 'resolved' && rec.firstPagedAt !== undefined) {
        this.#observer.resolved?.(rec.priority, seconds(now, rec));
      }
    }
    // Written after every event is recorded, so a source's page lists the alerts it holds back even when their
    // events come after its own in the batch.
    this.#write(out, now);
  }

  /** Applies every due reminder, climb and ack timeout; call at `nextDueAt()`. */
  tick(now: number): void {
    this.#unitOfWork(() => {
      const out = this.#incidents.dueIncidents(now).map((rec): Outgoing => {
        const d = due(rec, this.#cfg.levels, this.#cfg.ack.timeout, now);
        return { rec: this.#save(d, false), pages: d.pages };
      });
      this.#write(out, now);
    });
  }

  /** The earliest due-time of any incident, for the daemon's timer. */
  nextDueAt(): number | undefined {
    return this.#incidents.nextDueAt();
  }

  /** Acknowledges the open incident of `alertId`: reminders and climbing stop; the others paged are told. */
  ack(alertId: string, by: { who: string; comment?: string; via: AckVia }, now: number): AckOutcome {
    const rec = this.#incidents.openIncident(alertId);
    if (!rec) {
      const last = this.#incidents.lastIncident(alertId);
      return last ? { status: 'resolved', incident: last } : { status: 'unknown' };
    }
    return this.#unitOfWork(() => this.#ackIncident(rec, by, now));
  }

  /** Acknowledges one incident by id (signed links name the incident, so a later episode is not acked by an old link). */
  ackIncidentById(incidentId: number, by: { who: string; comment?: string; via: AckVia }, now: number): AckOutcome {
    const rec = this.#incidents.incident(incidentId);
    if (!rec) return { status: 'unknown' };
    if (rec.status === 'resolved') return { status: 'resolved', incident: rec };
    return this.#unitOfWork(() => this.#ackIncident(rec, by, now));
  }

  #ackIncident(rec: IncidentRecord, by: { who: string; comment?: string; via: AckVia }, now: number): AckOutcome {
    if (rec.ack) return { status: 'already-acknowledged', incident: rec };
    const ack: AckInfo = { who: by.who, at: now, via: by.via, ...(by.comment ? { comment: by.comment } : {}) };
    const next: IncidentRecord = {
      ...rec,
      status: rec.status === 'held' ? 'held' : 'acked',
      ack,
      firstAck: rec.firstAck ?? ack,
    };
    next.dueAt = nextDueAt(next, this.#cfg.levels, this.#cfg.ack.timeout);
    this.#incidents.addAck(rec.id, ack);
    this.#incidents.updateIncident(next);
    // Someone is on it: no page of this incident that has not arrived yet goes out, the first one included (a page
    // still being retried would otherwise fail over and arrive after the ack). The all-clear still goes later.
    this.#incidents.supersede(rec.id, [...PAGE_KINDS]);
    this.#write([{ rec: next, pages: [], notice: { kind: 'acknowledged', skip: by.who } }], now);
    this.#observer.acknowledged?.(next.priority, seconds(now, next));
    return { status: 'acknowledged', incident: next };
  }

  /** Stores the decided record with its due-time (inserting a new incident). */
  #save(d: Decision, isNew: boolean): IncidentRecord {
    const rec: IncidentRecord = { ...d.record, dueAt: d.nextDueAt };
    if (isNew) return this.#incidents.insertIncident(rec);
    this.#incidents.updateIncident(rec);
    return rec;
  }

  /** Enqueues the pages and notices, each naming the alerts its incident's alert holds back right now. */
  #write(out: readonly Outgoing[], now: number): void {
    const told = out.filter((o) => o.pages.length > 0 || o.notice);
    const held = this.#incidents.heldBy(told.map((o) => o.rec.alertId));
    for (const { rec, pages, notice } of told) {
      const holding = this.#holding(rec, held.get(rec.alertId) ?? []);
      for (const page of pages) {
        this.#enqueuePage(rec, page, now, holding);
        // A climb reaches the newest level; the one before it is where it climbed from.
        const from = rec.levels.at(-2)?.level;
        if (page.kind === 'escalated' && from) this.#observer.escalated?.(from, page.level);
      }
      if (notice) {
        const skip = new Set([...pages.flatMap((p) => p.contacts), ...(notice.skip ? [notice.skip] : [])]);
        this.#notifyAll(rec, notice.kind, now, holding, skip);
      }
    }
  }

  /**
   * What `rec`'s alert holds back now: the held incidents that name it, and any target the rules listed in its
   * `inhibits` that escalation has not recorded as held by it (named from its incident, else by id).
   */
  #holding(rec: IncidentRecord, held: readonly IncidentRecord[]): HeldAlert[] | undefined {
    const alerts = held.map((r) => r.alert);
    const listed = new Set(alerts.map((a) => a.id));
    const out = alerts.map(heldAlert);
    for (const id of rec.alert.inhibits) {
      if (listed.has(id)) continue;
      const other = this.#incidents.openIncident(id);
      out.push(other ? heldAlert(other.alert) : { id });
    }
    return out.length > 0 ? out : undefined;
  }

  #enqueuePage(rec: IncidentRecord, page: Page, now: number, holding: HeldAlert[] | undefined): void {
    for (const contact of page.contacts) this.#incidents.addPaged(rec.id, contact, now);
    const paged = this.#incidents.paged(rec.id);
    const everyChannel = this.#cfg.levels[page.level]?.channels === 'all';
    for (const contact of page.contacts) {
      const key = `${rec.id}:${page.level}:${page.seq}:${contact}`;
      const extra = {
        level: page.level,
        previousPriority: page.previousPriority,
        stepAfterMs: page.stepAfterMs,
        holding,
      };
      if (!everyChannel) {
        this.#enqueue(rec, contact, key, page.kind, now, paged, extra);
        continue;
      }
      // One row per channel, each delivered on its own: a dead channel neither delays nor replaces another.
      this.#cfg.contacts[contact]?.channels.forEach((channel, index) => {
        this.#enqueue(rec, contact, `${key}:${channel}`, page.kind, now, paged, { ...extra, everyChannel }, index);
      });
    }
  }

  /** Tells everyone paged for the incident, except `skip`, about an ack, the resolution or flapping. */
  #notifyAll(
    rec: IncidentRecord,
    kind: NoticeKind,
    now: number,
    holding: HeldAlert[] | undefined,
    skip: ReadonlySet<string>,
  ): void {
    const paged = this.#incidents.paged(rec.id);
    // Resolution: once per incident. An ack: once per ack. Flapping can start and end more than once.
    const suffix = kind === 'acknowledged' ? `ack:${rec.ack?.at}` : kind === 'resolved' ? 'resolved' : `${kind}:${now}`;
    for (const contact of paged) {
      if (skip.has(contact)) continue;
      this.#enqueue(rec, contact, `${rec.id}:${suffix}:${contact}`, kind, now, paged, { holding });
    }
    if (kind === 'acknowledged' || kind === 'resolved') this.#tellIncidentChannels(rec, kind, suffix, now, paged, skip);
  }

  /**
   * The notices above go to each contact's first channel; two kinds of channel also need them. A channel that keeps
   * an incident of its own (PagerDuty) keeps it open until told: every such channel that delivered something of this
   * incident hears the ack and the resolution — also that of the contact who acked (skipped above), and one that a
   * page reached by fallback. And the all-clear goes wherever the incident was seen: every channel that delivered
   * something of it (a P0 page on `channels: all`, a fallback), so no chat room is left showing a page that is over.
   */
  #tellIncidentChannels(
    rec: IncidentRecord,
    kind: 'acknowledged' | 'resolved',
    suffix: string,
    now: number,
    paged: string[],
    skip: ReadonlySet<string>,
  ): void {
    for (const { contact, channel } of this.#incidents.deliveredChannels(rec.id)) {
      const cfg = this.#cfg.channels[channel];
      if (!cfg || (kind !== 'resolved' && !hearsIncidentUpdates(cfg))) continue;
      const index = this.#cfg.contacts[contact]?.channels.indexOf(channel) ?? -1;
      if (index < 0 || (index === 0 && !skip.has(contact))) continue;
      this.#enqueue(rec, contact, `${rec.id}:${suffix}:${contact}:${channel}`, kind, now, paged, {}, index);
    }
  }

  #enqueue(
    rec: IncidentRecord,
    contact: string,
    key: string,
    kind: ItemKind,
    now: number,
    paged: string[],
    extra: Partial<NotificationItem>,
    channelIndex = 0,
  ): void {
    const levels = this.#cfg.levels;
    const priorityLevel = levelFor(levels, rec.priority);
    const item: NotificationItem = {
      key,
      kind,
      alert: rec.alert,
      incidentId: rec.id,
      level: rec.levels.find((l) => l.contacts.includes(contact))?.level ?? rec.priority,
      responseTimeMs: priorityLevel ? (levels[priorityLevel]?.ack_within ?? 0) : 0,
      openedAt: rec.firstPagedAt ?? rec.openedAt,
      paged,
      phones: Object.fromEntries(
        paged.flatMap((c) => (this.#cfg.contacts[c]?.phone ? [[c, this.#cfg.contacts[c].phone]] : [])),
      ),
      // A resolution names who acknowledged first, even if a later ack timeout cleared it.
      ack: rec.ack ?? (kind === 'resolved' ? rec.firstAck : undefined),
      resolvedAt: rec.resolvedAt,
      ...extra,
    };
    this.#incidents.enqueue({
      key,
      incidentId: rec.id,
      kind,
      contact,
      groupKey: rec.alert.groupKey,
      item,
      createdAt: now,
      groupWait: this.#cfg.delivery.group_wait,
      channelIndex,
    });
  }
}
