// Escalation: turns alert events, due-times and acks into outbox rows, synchronously, inside the caller's transaction
// (each method is also atomic on its own: nested in the caller's transaction it is a savepoint).
//
// API for the daemon (src/app.ts):
//   const escalation = new Escalation(new EscalationStore(db), config.escalation);
//   db.transaction(() => { rulesCommit(); escalation.handle(events, now); })();   // then worker.wake()
//   at escalation.nextDueAt() (or on any wake-up): db.transaction(() => escalation.tick(clock.now()))(); worker.wake()
//   escalation.ack(alertId, { who, comment, via: 'api' }, now)   // from the ack handler (ack.ts)
//   escalation.setConfig(newConfig)                                // on reload
//   new Escalation(store, cfg, { escalated: (f, t) => metrics.escalation(f, t), acknowledged: …, resolved: … })
// No network I/O happens here; the OutboxWorker (notifiers/outbox.ts) delivers what this writes.
import type { EscalationFile } from '../config/schema.js';
import type { AckInfo, ItemKind, NotificationItem } from '../notifiers/notifier.js';
import type { EscalationStore, IncidentRecord } from '../state/escalation.js';
import type { AlertEvent, Priority } from '../types.js';
import { applyEvent, type Decision, due, levelFor, nextDueAt, type Page } from './policy.js';

/** The part of escalation.yaml this needs. */
export type EscalationConfig = Pick<EscalationFile, 'levels' | 'contacts' | 'delivery' | 'ack'>;

/** How an acknowledgement arrived: the API (bearer token), a signed link, the CLI. */
export type AckVia = 'api' | 'link' | 'cli';

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

// An ack makes these not-yet-sent rows moot; the first page and resolutions still go out.
const MOOT_AFTER_ACK: ItemKind[] = ['reminder', 'escalated', 'reopened'];

/**
 * Told what happened, for metrics; called inside the transaction (a rolled-back one has still been counted).
 * Seconds are counted from when the alert started firing.
 */
export interface EscalationObserver {
  escalated?(from: Priority, to: Priority): void;
  acknowledged?(priority: Priority, secondsSinceFiring: number): void;
  resolved?(priority: Priority, secondsSinceFiring: number): void;
}

/** Escalation over a store; one per daemon. Every method is synchronous SQLite work. */
export class Escalation {
  readonly #store: EscalationStore;
  readonly #observer: EscalationObserver;
  #cfg: EscalationConfig;

  constructor(store: EscalationStore, cfg: EscalationConfig, observer: EscalationObserver = {}) {
    this.#store = store;
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
    this.#store.transaction(() => this.#handle(events, now));
  }

  #handle(events: readonly AlertEvent[], now: number): void {
    for (const event of events) {
      const open = this.#store.openIncident(event.alert.id);
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
      const rec = this.#save(decision, now, open === undefined);
      if (event.type === 'resolved') {
        this.#notifyAll(rec, 'resolved', now);
        if (rec.firstPagedAt !== undefined) this.#observer.resolved?.(rec.priority, seconds(now, rec));
      }
    }
  }

  /** Applies every due reminder, climb and ack timeout; call at `nextDueAt()`. */
  tick(now: number): void {
    this.#store.transaction(() => {
      for (const rec of this.#store.dueIncidents(now)) {
        this.#save(due(rec, this.#cfg.levels, this.#cfg.ack.timeout, now), now, false);
      }
    });
  }

  /** The earliest due-time of any incident, for the daemon's timer. */
  nextDueAt(): number | undefined {
    return this.#store.nextDueAt();
  }

  /** Acknowledges the open incident of `alertId`: reminders and climbing stop; the others paged are told. */
  ack(alertId: string, by: { who: string; comment?: string; via: AckVia }, now: number): AckOutcome {
    const rec = this.#store.openIncident(alertId);
    if (!rec) {
      const last = this.#store.lastIncident(alertId);
      return last ? { status: 'resolved', incident: last } : { status: 'unknown' };
    }
    return this.#store.transaction(() => this.#ackIncident(rec, by, now));
  }

  /** Acknowledges one incident by id (signed links name the incident, so a later episode is not acked by an old link). */
  ackIncidentById(incidentId: number, by: { who: string; comment?: string; via: AckVia }, now: number): AckOutcome {
    const rec = this.#store.incident(incidentId);
    if (!rec) return { status: 'unknown' };
    if (rec.status === 'resolved') return { status: 'resolved', incident: rec };
    return this.#store.transaction(() => this.#ackIncident(rec, by, now));
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
    this.#store.addAck(rec.id, ack);
    this.#store.updateIncident(next);
    this.#store.supersede(rec.id, MOOT_AFTER_ACK);
    this.#notifyAll(next, 'acknowledged', now, by.who);
    this.#observer.acknowledged?.(next.priority, seconds(now, next));
    return { status: 'acknowledged', incident: next };
  }

  /** Stores the decided record with its due-time (inserting a new incident) and enqueues its pages. */
  #save(d: Decision, now: number, isNew: boolean): IncidentRecord {
    let rec: IncidentRecord = { ...d.record, dueAt: d.nextDueAt };
    if (isNew) rec = this.#store.insertIncident(rec);
    else this.#store.updateIncident(rec);
    for (const page of d.pages) {
      this.#enqueuePage(rec, page, now);
      // A climb reaches the newest level; the one before it is where it climbed from.
      const from = rec.levels.at(-2)?.level;
      if (page.kind === 'escalated' && from) this.#observer.escalated?.(from, page.level);
    }
    return rec;
  }

  #enqueuePage(rec: IncidentRecord, page: Page, now: number): void {
    for (const contact of page.contacts) this.#store.addPaged(rec.id, contact, now);
    const paged = this.#store.paged(rec.id);
    for (const contact of page.contacts) {
      this.#enqueue(rec, contact, `${rec.id}:${page.level}:${page.seq}:${contact}`, page.kind, now, paged, {
        level: page.level,
        previousPriority: page.previousPriority,
      });
    }
  }

  /** Tells everyone paged for the incident (except `skip`, the one who acked) about an ack or the resolution. */
  #notifyAll(rec: IncidentRecord, kind: 'acknowledged' | 'resolved', now: number, skip?: string): void {
    const paged = this.#store.paged(rec.id);
    const suffix = kind === 'acknowledged' ? `ack:${rec.ack?.at}` : 'resolved';
    for (const contact of paged) {
      if (contact === skip) continue;
      this.#enqueue(rec, contact, `${rec.id}:${suffix}:${contact}`, kind, now, paged, {});
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
    this.#store.enqueue({
      key,
      incidentId: rec.id,
      kind,
      contact,
      groupKey: rec.alert.groupKey,
      item,
      createdAt: now,
      groupWait: this.#cfg.delivery.group_wait,
    });
  }
}
