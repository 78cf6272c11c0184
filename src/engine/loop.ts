// The engine's loop: what happens when a probe result arrives, read top to bottom.
//
//   1. ingest         a probe run arrives from the scheduler and becomes a ProbeRun (`centinela test`, the rules
//                     harness and the rules benchmark hand ProbeRuns to `evaluate` directly)
//   2. evaluate       the evaluator turns it into an Evaluation: events (firing, priority-changed, resolved, …) and
//                     the instance states that changed, with nothing saved yet
//   3. unit of work   one store transaction: the evaluation commits rule state, the escalator records the events as
//                     incidents and writes the pages they cause into the outbox (and, on a tick, the reminders, climbs
//                     and ack timeouts that came due), and the runs and watched values go into the history's rings —
//                     saved together or not at all
//   4. effects        metrics and logs of the events; probes with an unconfirmed breach re-run soon (retry_every)
//   5. delivery       the outbox worker wakes and sends what was written
//   6. tick           the next evaluation with no runs is armed: every TICK_MS, or sooner when an escalation is due,
//                     so silences end, windows close, held alerts are released and reminders go out on time
//
// Steps 2 and 3 run with no await between them, so evaluations commit in the order they were made; the store seam
// (src/store/store.ts) and docs/architecture.md say how that order holds for a store that answers asynchronously.
// Acks, silences and windows from the API change the same store; they call `acknowledged()` / `changed()` so the
// loop re-evaluates and delivery wakes at once.
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { escalationFile, HISTORY_DEFAULTS } from '../config/schema.js';
import { DEFAULT_READING, type Reading } from '../locale/locale.js';
import type { ProbeResult } from '../probes/probe.js';
import type { Alerting } from '../rules/alerting.js';
import type { PostedAlert } from '../rules/external.js';
import type { RunTiming } from '../scheduler.js';
import type { Metrics } from '../server/metrics.js';
import type { HistorySize, Store } from '../store/store.js';
import type { ProbeRun, Sample } from '../types.js';
import { type AckAccepted, signedAckLinks } from './acks.js';
import type { AlertsApi } from './alerts-api.js';
import { type OutboxConfig, OutboxWorker } from './delivery.js';
import { type EscalationConfig, Escalator } from './escalator.js';
import { type Evaluation, Evaluator, type Reception } from './evaluator.js';
import { History } from './history.js';
import { ResponseMetrics } from './response-metrics.js';

// What an engine without paging hands its (idle) escalator and worker: no levels, no contacts.
const NOBODY: Paging = { escalation: escalationFile.parse({ levels: {}, contacts: {}, channels: {} }) };

/** Evaluate with no runs at least this often: silences end, windows close, held alerts are released on time. */
export const TICK_MS = 5_000;

/**
 * What pages go by: escalation.yaml, where acknowledgement links point (server.public_url), and the language and time
 * zone they are written in (centinela.yaml; English and UTC when omitted).
 */
export interface Paging {
  escalation: EscalationConfig & OutboxConfig;
  publicUrl?: string;
  reading?: Reading;
}

export interface EngineDeps {
  store: Store;
  clock: Clock;
  log: Logger;
  /** The compiled rules (compileAlerting). */
  alerting: Alerting;
  /**
   * Who is paged and how. Without it the loop stops after the rules: events are committed and returned, no incident
   * is recorded and nobody is paged (`centinela test`, harnesses that look at the rules alone).
   */
  paging?: Paging;
  /** Exported figures; without it nothing is counted. */
  metrics?: Metrics;
  /** A probe with an unconfirmed breach asks to run again after `every` (the scheduler's runSoon). */
  runSoon?: (probe: string, every: number) => void;
  /** How much history to keep (centinela.yaml state.history), read at each write; its defaults when absent. */
  history?: () => HistorySize;
}

/** The loop and the parts it drives; one per daemon. */
export class Engine {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #metrics: Metrics | undefined;
  readonly #runSoon: (probe: string, every: number) => void;
  readonly #escalator: Escalator;
  readonly #delivery: OutboxWorker;
  readonly #response: ResponseMetrics | undefined;
  readonly #history: History;
  readonly #pages: boolean;
  #paging: Paging;
  #evaluator: Evaluator;
  #started = false;
  #stopping = false;
  #cancelTick: (() => void) | undefined;
  #tickAt: number | undefined;

  constructor(deps: EngineDeps) {
    this.#store = deps.store;
    this.#clock = deps.clock;
    this.#log = deps.log;
    this.#metrics = deps.metrics;
    this.#runSoon = deps.runSoon ?? (() => {});
    this.#evaluator = new Evaluator({ store: deps.store, clock: deps.clock, alerting: deps.alerting, log: deps.log });
    this.#history = new History(deps.store.history, deps.alerting, deps.history ?? (() => HISTORY_DEFAULTS));
    this.#pages = deps.paging !== undefined;
    this.#paging = deps.paging ?? NOBODY;
    const metrics = deps.metrics;
    this.#escalator = new Escalator(deps.store, this.#paging.escalation, {
      escalated: (from, to) => metrics?.escalation(from, to),
    });
    this.#delivery = new OutboxWorker({
      store: deps.store.incidents,
      committed: () => deps.store.deliverable(),
      installation: () => deps.store.alerts.installation(),
      config: this.#paging.escalation,
      reading: this.#paging.reading ?? DEFAULT_READING,
      ackUrl: signedAckLinks(
        () => ({ ack: this.#paging.escalation.ack, publicUrl: this.#paging.publicUrl }),
        deps.clock,
      ),
      // The incident's own timeline: a page of an earlier incident keeps showing that incident.
      timelineUrl: (alertId, incidentId) => {
        const base = this.#paging.publicUrl;
        return base
          ? `${base.replace(/\/+$/, '')}/alerts/${encodeURIComponent(alertId)}?incident=${incidentId}`
          : undefined;
      },
      clock: deps.clock,
      log: deps.log.child({ component: 'outbox' }),
      ...(metrics ? { onAttempt: (channel, result, latency) => metrics.notification(channel, result, latency) } : {}),
    });
    if (metrics && deps.paging) {
      const { levels } = deps.paging.escalation;
      this.#response = new ResponseMetrics(deps.store.incidents, levels, metrics, deps.clock.now());
    }
  }

  /** The alerts, silences and windows, as the API reads and changes them. */
  get alerts(): AlertsApi {
    return this.#evaluator.api;
  }

  /** The evaluator in force (a reload replaces it). */
  get evaluator(): Evaluator {
    return this.#evaluator;
  }

  /** The escalator: acks go through it. */
  get escalator(): Escalator {
    return this.#escalator;
  }

  /** The outbox worker. */
  get delivery(): OutboxWorker {
    return this.#delivery;
  }

  /** Each probe's runs and the watched series, as the status page draws them. */
  get history(): History {
    return this.#history;
  }

  /** 1. A probe run arrives from the scheduler: counted, evaluated and committed at once. Never throws. */
  ingest(probe: string, result: ProbeResult, samples: Sample[], at: number, timing: RunTiming): void {
    this.#log.debug(
      { probe, up: result.up, scheduledAt: timing.scheduledAt, startedAt: at, ms: timing.durationMs },
      'probe run',
    );
    this.#metrics?.probeRun({
      probe,
      up: result.up,
      durationSeconds: timing.durationMs / 1000,
      at: at + timing.durationMs,
      samples,
    });
    this.#guarded(() => this.evaluate([toRun(probe, result, samples, at)]));
  }

  /** 2–5. Evaluates `runs` (none: only what time changes) and commits it with escalation in one unit of work. */
  evaluate(runs: readonly ProbeRun[]): Evaluation {
    return this.#unit(() => this.#evaluator.evaluate(runs), false, runs);
  }

  /** The tick: evaluates with no runs and applies every reminder, climb and ack timeout that came due. */
  tick(): Evaluation {
    return this.#unit(() => this.#evaluator.evaluate([]), true, []);
  }

  /**
   * 3–5 for an evaluation made by another source of alert events than the rules (the escalation scenario test feeds
   * scripted events here): its commit and the escalation of its events are one unit of work.
   */
  apply(evaluation: Evaluation): Evaluation {
    return this.#unit(() => evaluation, false, []);
  }

  /**
   * 2–5 for alerts received from a source (alerts.yaml `sources`, through the Alertmanager API): evaluated and
   * committed with escalation in one unit of work, like a probe run. Throws what the store throws.
   */
  receive(source: string, alerts: readonly PostedAlert[]): Reception {
    const reception = this.#unit(() => this.#evaluator.receive(source, alerts), false, []);
    this.#metrics?.received(source, reception);
    return reception;
  }

  /** The earliest escalation due-time, if any. */
  nextDueAt(): number | undefined {
    return this.#escalator.nextDueAt();
  }

  /** Silences or windows changed through the API: what they hold back changes now. Never throws. */
  changed(): void {
    this.#guarded(() => this.evaluate([]));
  }

  /** An acknowledgement went through (API, link): count its response time, send the notices, re-arm the tick. */
  acknowledged(accepted: AckAccepted): void {
    this.#response?.acknowledged(accepted.incident, accepted.ack.at);
    this.#delivery.wake();
    this.#armTick();
  }

  /** Starts delivery and the tick, and catches up at once (due-times that passed while stopped, silences that ended). */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#delivery.start();
    this.#guarded(() => this.tick());
  }

  /**
   * Stops the tick at once; waits for `drained` (the scheduler's runs in flight, whose evaluations still commit and
   * wake delivery), then lets deliveries in flight finish up to `boundMs` and aborts the rest. Call close() after.
   */
  async stop(boundMs: number, drained: Promise<void> = Promise.resolve()): Promise<void> {
    this.#stopping = true;
    this.#cancelTick?.();
    await drained;
    await this.#delivery.stop(boundMs);
  }

  /** Releases what the rules hold (the windows' cron matchers); after stop(), or instead of it if never started. */
  close(): void {
    this.#evaluator.close();
    // The steps under way of the watched series are in memory until their step is over; a clean stop keeps them.
    if (!this.#store.open) return;
    try {
      this.#store.unitOfWork(() => this.#history.flush());
    } catch (err) {
      this.#log.error({ err }, 'history: the steps under way were not saved');
    }
  }

  /**
   * Takes a new config: instance state carries over through the store; running incidents keep their levels. What
   * it changes is evaluated at the next `changed()`, run, or tick.
   */
  reload(alerting: Alerting, paging: Paging): void {
    const old = this.#evaluator;
    this.#evaluator = new Evaluator({ store: this.#store, clock: this.#clock, alerting, log: this.#log });
    old.close();
    this.#history.setAlerting(alerting);
    this.#paging = paging;
    this.#escalator.setConfig(paging.escalation);
    this.#delivery.setConfig(paging.escalation, paging.reading ?? DEFAULT_READING);
    this.#response?.setLevels(paging.escalation.levels);
  }

  /**
   * 2–6 for one evaluation, committed right after it is made (no await between). Throws what the store throws; the
   * evaluation is then not committed.
   */
  #unit<E extends Evaluation>(evaluate: () => E, tick: boolean, runs: readonly ProbeRun[]): E {
    // A stopwatch for the metric only (sub-millisecond work); it never decides anything, so it is not the Clock.
    const t0 = performance.now();
    try {
      const ev = evaluate();
      this.#store.unitOfWork(() => {
        ev.commit();
        this.#history.record(runs);
        if (!this.#pages) return;
        this.#escalator.handle(ev.events, ev.now);
        if (tick) this.#escalator.tick(ev.now);
      });
      this.#metrics?.ruleEvaluation((performance.now() - t0) / 1000);
      this.#response?.afterEvents(ev.events);
      for (const e of ev.events) {
        this.#log.info(
          { event: e.type, alert: e.alert.alertname, priority: e.alert.priority, id: e.alert.id },
          `alert ${e.type}`,
        );
      }
      if (!this.#stopping) for (const { probe, every } of ev.retry) this.#runSoon(probe, every);
      // More expired alerts wait: the next part once the event loop has run what is due (probes, requests).
      if (ev.more && this.#started && !this.#stopping)
        this.#clock.setTimeout(() => this.#guarded(() => this.evaluate([])), 0);
      // Only events and the tick's reminders, climbs and ack timeouts write outbox rows; a quiet run wrote none, and
      // waking the worker for it cost a claim and a due-time query per probe run. Retries keep the worker's own timer.
      if (tick || ev.events.length > 0) this.#delivery.wake();
      return ev;
    } finally {
      if (tick) this.#response?.sweep(this.#clock.now());
      this.#armTick();
    }
  }

  /** Runs a unit for the daemon: a store failure or a bug must not stop the scheduler; the next run tries again. */
  #guarded(unit: () => Evaluation): void {
    try {
      unit();
    } catch (err) {
      this.#log.error({ err }, 'evaluation failed; rule state unchanged');
    }
  }

  /**
   * 6. Arms the tick for the earlier of TICK_MS from now and escalation's next due-time. An armed tick is only ever
   * brought forward, never pushed back: probe runs re-arm after every evaluation, and pushing it back would starve it.
   */
  #armTick(): void {
    if (!this.#started || this.#stopping) return;
    const now = this.#clock.now();
    const at = Math.min(now + TICK_MS, this.nextDueAt() ?? Number.POSITIVE_INFINITY);
    if (this.#tickAt !== undefined && this.#tickAt <= at) return;
    this.#cancelTick?.();
    this.#tickAt = at;
    this.#cancelTick = this.#clock.setTimeout(
      () => {
        this.#tickAt = undefined;
        this.#guarded(() => this.tick());
      },
      Math.max(0, at - now),
    );
  }
}

/** The scheduler's result as the evaluator takes it. */
function toRun(probe: string, result: ProbeResult, samples: Sample[], at: number): ProbeRun {
  return result.up
    ? {
        probe,
        up: true,
        samples,
        at,
        ...(result.detail ? { detail: result.detail } : {}),
        ...(result.cannotMeasure ? { cannotMeasure: result.cannotMeasure } : {}),
      }
    : { probe, up: false, samples, at, reason: result.reason, ...(result.detail ? { detail: result.detail } : {}) };
}
