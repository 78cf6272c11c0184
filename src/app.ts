// The daemon, wired: the scheduler feeds the engine's loop (src/engine/loop.ts: evaluate → commit + escalate in one
// unit of work → deliver), the HTTP server reads and changes it through Operations, a reload swaps the config in.
// createApp only wires parts together; it never listens and reads no environment: src/cli/run.ts does.
import { basename } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Clock } from './clock.js';
import { ConfigError, formatConfigIssue } from './config/errors.js';
import type { Config } from './config/schema.js';
import type { AlertRecord } from './engine/alerts-api.js';
import { Engine, type Paging } from './engine/loop.js';
import { createOperations } from './engine/operations.js';
import { OutgoingHeartbeat, unhealthyReason } from './engine/outgoing-heartbeat.js';
import { readingOf } from './locale/locale.js';
import { compileAlerting } from './rules/alerting.js';
import { type ProbeStats, Scheduler } from './scheduler.js';
import type { Replica } from './server/api-shapes.js';
import { ApiError, shownProblems } from './server/errors.js';
import { buildServer } from './server/http-server.js';
import { type AlertCount, Metrics } from './server/metrics.js';
import type { Store } from './store/store.js';

export interface AppDeps {
  /** From loadConfig, whose second pass compiles the rules: a loaded config's rules have no problems left. */
  config: Config;
  /** Reads the config folder again for a reload (SIGHUP, POST /-/reload); rejects with ConfigError. */
  loadConfig: () => Promise<Config>;
  clock: Clock;
  log: Logger;
  /** The opened state store; the caller closes it after stop(). */
  store: Store;
  metrics?: Metrics;
  /** How long stop() waits for probe runs and deliveries in flight before aborting them (default 5 s). */
  stopBoundMs?: number;
  /**
   * Which replica this is, with two on PostgreSQL: shown on /readyz, the status page and centinela_leader. A standby
   * is an app over its copy of the state that is never started (src/cli/run.ts).
   */
  replica?: () => Replica;
  /** Whether the state store reaches PostgreSQL now (/readyz's store check); always, without it. */
  storeReachable?: () => boolean;
}

/** A running daemon. */
export interface App {
  /** The HTTP server, built but not listening. */
  server: FastifyInstance;
  metrics: Metrics;
  /** Starts the outbox worker, the scheduler and the tick. */
  start(): void;
  /**
   * Stops scheduling, lets runs and deliveries in flight finish up to the bound (`boundMs`, else stopBoundMs), closes
   * the server.
   */
  stop(boundMs?: number): Promise<void>;
  /** Applies the config folder as it is now; throws ApiError CONFIG_INVALID (running config kept) on problems. */
  reload(): Promise<{ summary: string }>;
  /** The configuration in force. */
  readonly config: Config;
  /** Each probe's counters and whether a run is in flight, by name. */
  probeStats(): Map<string, ProbeStats>;
}

/** Wires the daemon from its parts; see the top of this file. */
export async function createApp(deps: AppDeps): Promise<App> {
  const { clock, store, log } = deps;
  const metrics = deps.metrics ?? new Metrics();
  const bound = deps.stopBoundMs ?? 5_000;
  let config = deps.config;
  let started = false;
  let stopping = false;
  const scheduler = new Scheduler(config.alerts.probes, {
    clock,
    log: log.child({ component: 'scheduler' }),
    onResult: (probe, result, samples, at, timing) => engine.ingest(probe, result, samples, at, timing),
    heartbeats: (name, at) => store.heartbeats.seen(name, at),
  });
  const engine = new Engine({
    store,
    clock,
    log,
    alerting: compileAlerting(config.alerts, readingOf(config.centinela)).alerting,
    paging: pagingOf(config),
    metrics,
    runSoon: (probe, every) => scheduler.runSoon(probe, every),
    history: () => config.centinela.state.history,
  });
  // Reloads run one at a time; a second waits for the first.
  let reloading: Promise<unknown> = Promise.resolve();
  const reload = async () => {
    const next = await loadOrRefuse(deps.loadConfig, metrics, log);
    const summary = swapConfig(config, next, deps.config, { scheduler, engine, metrics, log });
    config = next;
    engine.changed();
    return { summary };
  };

  const ops = createOperations({
    clock,
    config: () => config,
    alerts: () => engine.alerts,
    scheduler,
    escalator: engine.escalator,
    store: store.incidents,
    heartbeats: store.heartbeats,
    history: engine.history,
    readiness: () => ({
      config: true,
      store: store.open && (deps.storeReachable?.() ?? true),
      scheduler: started && !stopping,
    }),
    receive: (source, alerts) => engine.receive(source, alerts),
    reload: () => {
      const run = reloading.then(reload, reload);
      reloading = run.catch(() => {});
      return run;
    },
    changed: () => engine.changed(),
    acknowledged: (accepted) => engine.acknowledged(accepted),
    committed: () => store.flush(),
  });
  metrics.setSources({
    alerts: () => countAlerts(engine.alerts.listAlerts({ state: ['pending', 'firing'] })),
    outboxDepth: () => {
      const c = store.incidents.outboxCounts();
      return c.pending + c.sending;
    },
    undelivered: () => store.incidents.undeliveredIncidents(),
    probeSkips: () => [...scheduler.stats()].map(([probe, s]) => ({ probe, skips: s.skips })),
    leader: () => deps.replica?.().role !== 'standby',
  });
  const tokens = () => ({ write: config.centinela.server.write_token, read: config.centinela.server.read_token });
  const reading = () => readingOf(config.centinela);
  const server = await buildServer({
    log,
    clock,
    metrics,
    ops,
    tokens,
    reading,
    ...(deps.replica ? { replica: deps.replica } : {}),
  });
  // centinela.yaml `heartbeat`: pinged only while the loop runs, so its silence means this daemon is down.
  const beat = config.centinela.heartbeat;
  const heartbeat =
    beat &&
    new OutgoingHeartbeat({
      url: beat.url,
      everyMs: beat.every,
      clock,
      log: log.child({ component: 'heartbeat' }),
      unhealthy: () => unhealthyReason(scheduler.stats(), store.incidents.nextAttemptAt(), clock.now(), beat.every),
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
      scheduler.start();
      engine.start();
      heartbeat?.start();
    },
    async stop(boundMs = bound) {
      stopping = true;
      heartbeat?.stop();
      // The tick stops at once; runs in flight still commit, then delivery gets its bound.
      await engine.stop(boundMs, scheduler.stop(boundMs));
      engine.close();
      await server.close();
    },
    reload: () => ops.reload(),
    probeStats: () => scheduler.stats(),
  };
}

/**
 * Puts `next` in force in the running parts: unchanged probes keep their schedule, instance state carries over
 * through the store, running incidents keep their levels. Returns the summary it logs, which names what only a
 * restart applies where `next` differs there from `started`, the config the process started with and still runs by
 * (not `before`, the last one reloaded: a change kept back is still pending at the next reload, and putting the
 * running value back ends it).
 */
function swapConfig(
  before: Config,
  next: Config,
  started: Config,
  parts: { scheduler: Scheduler; engine: Engine; metrics: Metrics; log: Logger },
): string {
  const { scheduler, engine, metrics, log } = parts;
  const removed = before.alerts.probes.filter((p) => !next.alerts.probes.some((n) => n.name === p.name));
  const added = next.alerts.probes.filter((p) => !before.alerts.probes.some((o) => o.name === p.name));
  engine.reload(compileAlerting(next.alerts, readingOf(next.centinela)).alerting, pagingOf(next));
  scheduler.reload(next.alerts.probes);
  for (const p of removed) metrics.forgetProbe(p.name);
  const [was, now] = [started.centinela, next.centinela];
  const moved = now.server.listen.host !== was.server.listen.host || now.server.listen.port !== was.server.listen.port;
  const beat = (c: Config) => JSON.stringify([c.centinela.heartbeat?.url.reveal(), c.centinela.heartbeat?.every]);
  const state = ({ centinela: { state: s } }: Config) =>
    JSON.stringify(s.kind === 'postgres' ? [s.url.reveal(), s.pool, s.lease] : [s.path]);
  // What changed that only a restart applies: the reload says so rather than keep the running one without a word.
  const waiting = [
    ...(moved ? ['server.listen'] : []),
    ...(state(next) !== state(started) ? ['state'] : []),
    ...(beat(next) !== beat(started) ? ['heartbeat'] : []),
  ];
  const wait = waiting.length
    ? `; ${waiting.join(', ')} changed and take${waiting.length === 1 ? 's' : ''} effect at the next start (the running ${waiting.length === 1 ? 'one is' : 'ones are'} kept)`
    : '';
  metrics.configReload('ok');
  // The folder is not named: it may come from CENTINELA_CONFIG, and the summary is the API's answer too.
  const summary = `reloaded the config folder: ${next.alerts.probes.length} probes (${added.length} added, ${removed.length} removed), ${next.alerts.rules.length} rules${wait}`;
  if (waiting.length) log.warn({ waiting, folder: next.dir }, summary);
  else log.info({ folder: next.dir }, summary);
  return summary;
}

/** Pages go by escalation.yaml; ack links point at server.public_url; they read in centinela.yaml's locale and zone. */
function pagingOf(config: Config): Paging {
  const url = config.centinela.server.public_url;
  return { escalation: config.escalation, ...(url ? { publicUrl: url } : {}), reading: readingOf(config.centinela) };
}

/** The config folder as it is now, or ApiError CONFIG_INVALID listing each problem as `centinela check` prints it. */
async function loadOrRefuse(load: () => Promise<Config>, metrics: Metrics, log: Logger): Promise<Config> {
  try {
    return await load();
  } catch (err) {
    metrics.configReload('invalid');
    if (!(err instanceof ConfigError)) throw err;
    const problems = err.issues.map(formatConfigIssue);
    // The answer names each file without its folder, which may come from CENTINELA_CONFIG.
    const answered = err.issues.map((issue) => formatConfigIssue({ ...issue, file: basename(issue.file) }));
    log.error(
      { problems },
      `reload refused: ${problems.length} problem(s) in the new config; the running config is kept`,
    );
    // The log has every problem; the answer as many as a 400 names (two broken files made 27 KB of them).
    const shown = shownProblems(answered);
    throw new ApiError(
      'CONFIG_INVALID',
      `the new config has ${problems.length} problem(s); the running config is kept. ${shown.join('; ')}`,
      { problems: shown },
    );
  }
}

/** Pending and firing alerts counted per name, priority and state, for /metrics. */
function countAlerts(records: readonly AlertRecord[]): AlertCount[] {
  const counts = new Map<string, AlertCount>();
  for (const a of records) {
    const key = `${a.alert.alertname}\0${a.alert.priority}\0${a.state}`;
    const c = counts.get(key) ?? { alertname: a.alert.alertname, priority: a.alert.priority, state: a.state, count: 0 };
    c.count++;
    counts.set(key, c);
  }
  return [...counts.values()];
}
