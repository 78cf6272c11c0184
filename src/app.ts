// The daemon, wired: scheduler → evaluator → escalation (rule state and outbox rows in one transaction) → outbox
// worker, with the HTTP server over them. createApp never listens and reads no environment: src/cli/run.ts does.
//
// Each probe run is evaluated at once; a tick (every TICK_MS, or sooner when escalation has a due-time) evaluates
// with no runs, so silences, windows and held alerts change on time, and runs escalation's reminders and climbs.
// Everything between an evaluation and its commit is synchronous, so evaluations commit in the order they were made.
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Clock } from './clock.js';
import { ConfigError, formatConfigIssue } from './config/errors.js';
import type { Config } from './config/schema.js';
import { createOperations } from './daemon/operations.js';
import { ResponseMetrics } from './daemon/response-metrics.js';
import { Escalation } from './escalation/escalation.js';
import { OutboxWorker } from './notifiers/outbox.js';
import type { ProbeResult } from './probes/probe.js';
import { compileAlerting } from './rules/alerting.js';
import { Evaluator, type ProbeRun } from './rules/evaluate.js';
import { type OnResult, type ProbeStats, Scheduler } from './scheduler.js';
import { buildServer } from './server/app.js';
import { ApiError } from './server/errors.js';
import { type AlertCount, Metrics } from './server/metrics.js';
import type { Db } from './state/db.js';
import { EscalationStore } from './state/escalation.js';
import type { Sample } from './types.js';

/** Evaluate with no runs at least this often: silences end, windows close, held alerts are released on time. */
const TICK_MS = 5_000;

export interface AppDeps {
  /** From loadConfig, whose second pass compiles the rules: a loaded config's rules have no problems left. */
  config: Config;
  /** Reads the config folder again for a reload (SIGHUP, POST /-/reload); rejects with ConfigError. */
  loadConfig: () => Promise<Config>;
  clock: Clock;
  log: Logger;
  /** The opened state store; the caller closes it after stop(). */
  db: Db;
  metrics?: Metrics;
  /** How long stop() waits for probe runs and deliveries in flight before aborting them (default 5 s). */
  stopBoundMs?: number;
}

/** A running daemon. */
export interface App {
  /** The HTTP server, built but not listening. */
  server: FastifyInstance;
  metrics: Metrics;
  /** Starts the outbox worker, the scheduler and the tick. */
  start(): void;
  /** Stops scheduling, lets runs and deliveries in flight finish up to the bound, closes the server. */
  stop(): Promise<void>;
  /** Applies the config folder as it is now; throws ApiError CONFIG_INVALID (running config kept) on problems. */
  reload(): Promise<{ summary: string }>;
  /** The configuration in force. */
  readonly config: Config;
  /** Each probe's counters and whether a run is in flight, by name. */
  probeStats(): Map<string, ProbeStats>;
}

/** Wires the daemon from its parts; see the top of this file. */
export async function createApp(deps: AppDeps): Promise<App> {
  const { clock, db } = deps;
  const log = deps.log;
  const metrics = deps.metrics ?? new Metrics();
  const bound = deps.stopBoundMs ?? 5_000;
  let config = deps.config;
  let evaluator = new Evaluator({ db, clock, alerting: compileAlerting(config.alerts).alerting });
  const store = new EscalationStore(db);
  const escalation = new Escalation(store, config.escalation, {
    escalated: (from, to) => metrics.escalation(from, to),
  });
  const response = new ResponseMetrics(store, config.escalation.levels, metrics, clock.now());
  const worker = new OutboxWorker({
    store,
    config: config.escalation,
    ...(config.centinela.server.public_url ? { publicUrl: config.centinela.server.public_url } : {}),
    clock,
    log: log.child({ component: 'outbox' }),
    onAttempt: (channel, result, latency) => metrics.notification(channel, result, latency),
  });
  let started = false;
  let stopping = false;
  let cancelTick: (() => void) | undefined;
  let tickAt: number | undefined;
  let reloading: Promise<unknown> = Promise.resolve();

  /** Evaluates runs (or none, on a tick) and hands the events to escalation, in one transaction. */
  const evaluate = (runs: ProbeRun[], tick: boolean): void => {
    // A stopwatch for the metric only (sub-millisecond work); it never decides anything, so it is not the Clock.
    const t0 = performance.now();
    try {
      const ev = evaluator.evaluate(runs);
      db.transaction(() => {
        ev.commit();
        escalation.handle(ev.events, ev.now);
        if (tick) escalation.tick(ev.now);
      })();
      metrics.ruleEvaluation((performance.now() - t0) / 1000);
      response.afterEvents(ev.events);
      for (const e of ev.events)
        log.info(
          { event: e.type, alert: e.alert.alertname, priority: e.alert.priority, id: e.alert.id },
          `alert ${e.type}`,
        );
      if (!stopping) for (const { probe, every } of ev.retry) scheduler.runSoon(probe, every);
      worker.wake();
    } catch (err) {
      // A store failure or a bug must not stop the scheduler; the next run or tick tries again from the store.
      log.error({ err }, 'evaluation failed; rule state unchanged');
    }
    if (tick) response.sweep(clock.now());
    armTick();
  };

  const onResult: OnResult = (probe, result, samples, at, timing) => {
    log.debug(
      { probe, up: result.up, scheduledAt: timing.scheduledAt, startedAt: at, ms: timing.durationMs },
      'probe run',
    );
    metrics.probeRun({
      probe,
      up: result.up,
      durationSeconds: timing.durationMs / 1000,
      at: at + timing.durationMs,
      samples,
    });
    evaluate([toRun(probe, result, samples, at)], false);
  };

  const scheduler = new Scheduler(config.alerts.probes, {
    clock,
    log: log.child({ component: 'scheduler' }),
    onResult,
  });

  /**
   * Arms the tick for the earlier of TICK_MS from now and escalation's next due-time. An armed tick is only ever
   * brought forward, never pushed back: probe runs re-arm after every evaluation, and pushing it back would starve it.
   */
  const armTick = (): void => {
    if (!started || stopping) return;
    const now = clock.now();
    const at = Math.min(now + TICK_MS, escalation.nextDueAt() ?? Number.POSITIVE_INFINITY);
    if (tickAt !== undefined && tickAt <= at) return;
    cancelTick?.();
    tickAt = at;
    cancelTick = clock.setTimeout(
      () => {
        tickAt = undefined;
        evaluate([], true);
      },
      Math.max(0, at - now),
    );
  };

  const reload = async (): Promise<{ summary: string }> => {
    let next: Config;
    try {
      next = await deps.loadConfig();
    } catch (err) {
      metrics.configReload('invalid');
      if (!(err instanceof ConfigError)) throw err;
      // Each problem as `centinela check` prints it.
      const problems = err.issues.map(formatConfigIssue);
      log.error(
        { problems },
        `reload refused: ${problems.length} problem(s) in the new config; the running config is kept`,
      );
      throw new ApiError(
        'CONFIG_INVALID',
        `the new config has ${problems.length} problem(s); the running config is kept. ${problems.join('; ')}`,
        { problems },
      );
    }
    const before = new Map(config.alerts.probes.map((p) => [p.name, p]));
    const names = new Set(next.alerts.probes.map((p) => p.name));
    const removed = [...before.keys()].filter((n) => !names.has(n));
    const added = [...names].filter((n) => !before.has(n));
    const old = evaluator;
    // Instance state lives in the store, so a new evaluator carries it over; unchanged probes keep their schedule.
    evaluator = new Evaluator({ db, clock, alerting: compileAlerting(next.alerts).alerting });
    old.close();
    scheduler.reload(next.alerts.probes);
    escalation.setConfig(next.escalation);
    worker.setConfig(next.escalation, next.centinela.server.public_url);
    response.setLevels(next.escalation.levels);
    for (const p of removed) metrics.forgetProbe(p);
    if (
      next.centinela.server.listen !== config.centinela.server.listen ||
      next.centinela.state.path !== config.centinela.state.path
    ) {
      log.warn('server.listen and state.path take effect at the next start; the running server and store are kept');
    }
    config = next;
    metrics.configReload('ok');
    const summary = `reloaded ${next.dir}: ${names.size} probes (${added.length} added, ${removed.length} removed), ${next.alerts.rules.length} rules`;
    log.info(summary);
    evaluate([], false);
    return { summary };
  };

  const ops = createOperations({
    clock,
    config: () => config,
    evaluator: () => evaluator,
    scheduler,
    escalation,
    store,
    readiness: () => ({ config: true, store: db.open, scheduler: started && !stopping }),
    // Reloads run one at a time; a second waits for the first.
    reload: () => {
      const run = reloading.then(reload, reload);
      reloading = run.catch(() => {});
      return run;
    },
    changed: () => evaluate([], false),
    acknowledged: (accepted) => {
      response.acknowledged(accepted.incident, accepted.ack.at);
      worker.wake();
      armTick();
    },
  });

  metrics.setSources({
    alerts: () => {
      const counts = new Map<string, AlertCount>();
      for (const a of evaluator.api.listAlerts({ state: ['pending', 'firing'] })) {
        const key = `${a.alert.alertname}\0${a.alert.priority}\0${a.state}`;
        const c = counts.get(key) ?? {
          alertname: a.alert.alertname,
          priority: a.alert.priority,
          state: a.state,
          count: 0,
        };
        c.count++;
        counts.set(key, c);
      }
      return [...counts.values()];
    },
    outboxDepth: () => {
      const c = store.outboxCounts();
      return c.pending + c.sending;
    },
    probeSkips: () => [...scheduler.stats()].map(([probe, s]) => ({ probe, skips: s.skips })),
  });

  const server = await buildServer({
    log,
    clock,
    metrics,
    ops,
    tokens: () => ({ write: config.centinela.server.write_token, read: config.centinela.server.read_token }),
  });

  return {
    server,
    metrics,
    get config() {
      return config;
    },
    start() {
      if (started) return;
      started = true;
      worker.start();
      scheduler.start();
      // Catch up at once: escalation due-times that passed while centinela was down, silences that ended.
      evaluate([], true);
    },
    async stop() {
      stopping = true;
      cancelTick?.();
      await scheduler.stop(bound);
      await worker.stop(bound);
      evaluator.close();
      await server.close();
    },
    reload: () => ops.reload(),
    probeStats: () => scheduler.stats(),
  };
}

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
