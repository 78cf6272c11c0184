// How fast people respond, as metrics: time to acknowledge, time to resolve and response-SLA breaches, read from
// escalation's store as slaReport() reads them (from the first page, at the priority first paged). Escalations are
// counted by the escalator's own EscalationObserver (see src/engine/loop.ts).

import type { IncidentRecord } from '../escalation/incident-records.js';
import type { Levels } from '../escalation/policy.js';
import { slaReport } from '../escalation/sla.js';
import type { Metrics } from '../server/metrics.js';
import type { IncidentStore } from '../store/store.js';
import type { AlertEvent } from '../types.js';

const SWEEP_MS = 30_000;

/** Turns escalation's records into time-to-ack/resolve and SLA-breach metrics. */
export class ResponseMetrics {
  readonly #store: IncidentStore;
  readonly #metrics: Metrics;
  #levels: Levels;
  /** Breaches already counted, by incident; so each is counted once. */
  #counted = new Map<number, { ack: boolean; resolve: boolean }>();
  #sweptAt = Number.NEGATIVE_INFINITY;

  /**
   * Breaches decided before `now` were counted by the process that saw them (or happened while nobody ran), so
   * they are remembered without counting: a restart must not make `increase()` jump.
   */
  constructor(store: IncidentStore, levels: Levels, metrics: Metrics, now: number) {
    this.#store = store;
    this.#levels = levels;
    this.#metrics = metrics;
    metrics.declareLevels(levels);
    this.#sweep(now, false);
  }

  setLevels(levels: Levels): void {
    this.#levels = levels;
    this.#metrics.declareLevels(levels);
  }

  /** An incident was acknowledged: how long after its first page. */
  acknowledged(incident: IncidentRecord, at: number): void {
    if (incident.firstPagedAt === undefined || incident.firstAck?.at !== at) return;
    this.#metrics.acknowledged(incident.slaPriority ?? incident.priority, (at - incident.firstPagedAt) / 1000);
  }

  /** After events were handed to escalation: resolutions of paged incidents, how long after their first page. */
  afterEvents(events: readonly AlertEvent[]): void {
    for (const e of events) {
      if (e.type !== 'resolved') continue;
      const rec = this.#store.lastIncident(e.alert.id);
      if (rec?.resolvedAt === undefined || rec.firstPagedAt === undefined) continue;
      this.#metrics.resolved(rec.slaPriority ?? rec.priority, (rec.resolvedAt - rec.firstPagedAt) / 1000);
    }
  }

  /**
   * Counts breaches that became known since the last sweep. Call on every tick; it reads the store at most every
   * SWEEP_MS, since response targets are minutes long and a breach counted a few seconds late changes nothing.
   */
  sweep(now: number): void {
    if (now - this.#sweptAt < SWEEP_MS) return;
    this.#sweep(now, true);
  }

  #sweep(now: number, count: boolean): void {
    this.#sweptAt = now;
    // Every breach is decided within its level's response time of the first page, so older incidents are settled.
    const longest = Math.max(0, ...Object.values(this.#levels).map((l) => l?.ack_within ?? 0));
    const since = now - 2 * longest - 3_600_000;
    const next = new Map<number, { ack: boolean; resolve: boolean }>();
    for (const r of slaReport(this.#store.incidentsSince(since), this.#levels, now)) {
      const seen = this.#counted.get(r.incidentId) ?? { ack: false, resolve: false };
      const ack = r.ackMet === false;
      const resolve = r.resolveMet === false;
      if (count && ack && !seen.ack) this.#metrics.slaBreach(r.priority, 'ack');
      if (count && resolve && !seen.resolve) this.#metrics.slaBreach(r.priority, 'resolve');
      next.set(r.incidentId, { ack: ack || seen.ack, resolve: resolve || seen.resolve });
    }
    this.#counted = next;
  }
}
