// Response-SLA accounting: time to acknowledge and to resolve per incident, against its level's response time.
//
// The clock starts at the first page and the target is the `ack_within` of the priority it was first paged at
// (the runbook's response time: P0 15m, P1 1h, P2 4h, P3 1d). The metrics server exports `slaReport(...)`.
import type { Priority } from '../types.js';
import type { IncidentRecord } from './incident-records.js';
import { type Levels, levelFor } from './policy.js';

/** One incident's response figures. `…Met` is undefined while it can still go either way. */
export interface SlaRecord {
  incidentId: number;
  alertId: string;
  alertname: string;
  priority: Priority;
  pagedAt: number;
  /** The level's response time, ms. */
  targetMs: number;
  timeToAckMs?: number;
  ackedBy?: string;
  timeToResolveMs?: number;
  ackMet?: boolean;
  resolveMet?: boolean;
}

function met(elapsed: number | undefined, sinceStart: number, target: number): boolean | undefined {
  if (elapsed !== undefined) return elapsed <= target;
  return sinceStart > target ? false : undefined;
}

/** The response figures of one incident at `now`, or undefined when it was never paged (held all along). */
export function slaOf(rec: IncidentRecord, levels: Levels, now: number): SlaRecord | undefined {
  if (rec.firstPagedAt === undefined || rec.slaPriority === undefined) return undefined;
  const level = levelFor(levels, rec.slaPriority);
  const targetMs = level ? (levels[level]?.ack_within ?? 0) : 0;
  const timeToAckMs = rec.firstAck ? rec.firstAck.at - rec.firstPagedAt : undefined;
  const timeToResolveMs = rec.resolvedAt !== undefined ? rec.resolvedAt - rec.firstPagedAt : undefined;
  // Resolved without an ack: nobody responded, so the ack target counts as missed once it has passed.
  const end = rec.resolvedAt ?? now;
  return {
    incidentId: rec.id,
    alertId: rec.alertId,
    alertname: rec.alert.alertname,
    priority: rec.slaPriority,
    pagedAt: rec.firstPagedAt,
    targetMs,
    timeToAckMs,
    ackedBy: rec.firstAck?.who,
    timeToResolveMs,
    ackMet: met(timeToAckMs, end - rec.firstPagedAt, targetMs),
    resolveMet: met(timeToResolveMs, now - rec.firstPagedAt, targetMs),
  };
}

/** Response figures of the incidents that were paged, for the metrics to export. */
export function slaReport(incidents: readonly IncidentRecord[], levels: Levels, now: number): SlaRecord[] {
  return incidents.flatMap((rec) => slaOf(rec, levels, now) ?? []);
}
