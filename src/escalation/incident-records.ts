// What escalation keeps per incident, as records: the policy decides over them, the store saves them.
import type { AckInfo, Alert, Priority } from '../types.js';

/** held: suppressed (silence, inhibition, maintenance), nobody is paged; open: paging; acked; resolved. */
export type IncidentStatus = 'held' | 'open' | 'acked' | 'resolved';

/** A level whose contacts are paged for an incident: reached at `since`, last paged at `lastPagedAt`. */
export interface LevelState {
  level: Priority;
  since: number;
  lastPagedAt: number;
  /** Pages sent to this level so far, minus one: 0 is the first page; part of the idempotency key. */
  seq: number;
  /** Contacts this level pages (those not already paged by a level reached earlier), step contacts included. */
  contacts: string[];
  /** Steps of the level taken so far (absent in records from before steps existed: none taken). */
  steps?: number;
}

/** One episode of an alert instance, from its first `firing` to its `resolved`. */
export interface IncidentRecord {
  id: number;
  alertId: string;
  /** The latest snapshot of the alert. */
  alert: Alert;
  priority: Priority;
  status: IncidentStatus;
  openedAt: number;
  firstPagedAt?: number;
  /** The priority it was first paged at; its ack_within is the response-time target. */
  slaPriority?: Priority;
  /** The most urgent priority it was paged at so far: only a rise above it pages again (and lifts the ack). */
  topPriority?: Priority;
  levels: LevelState[];
  ack?: AckInfo;
  firstAck?: AckInfo;
  resolvedAt?: number;
  dueAt?: number;
}
