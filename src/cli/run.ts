// `centinela run [--config DIR]`: the daemon. Refuses to start on config problems (printing all of them), opens the
// state store, starts probing, alerting and delivering, and serves HTTP on server.listen. SIGHUP reloads (a bad
// config is reported and the running one kept); SIGTERM and SIGINT stop gracefully and exit 0. With two replicas on
// PostgreSQL, one that does not hold the lead serves as the standby (standby.ts) until it wins it, then becomes the
// active in the same process, on the same port.
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { Command } from 'commander';
import type { Logger } from 'pino';
import { type App, createApp } from '../app.js';
import { type Clock, systemClock } from '../clock.js';
import { envNameAt } from '../config/env-values.js';
import { ConfigError } from '../config/errors.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { listenFailure } from '../config/startup.js';
import { StateStoreAlarm } from '../engine/state-store-alarm.js';
import { readingOf } from '../locale/locale.js';
import { createLogger } from '../log.js';
import { humanDuration } from '../notifiers/describe.js';
import type { Replica } from '../server/api-shapes.js';
import { ApiError } from '../server/errors.js';
import { listeningUrl, listenQuietly } from '../server/http-server.js';
import { Metrics } from '../server/metrics.js';
import { answerForwarded } from '../server/standby-writes.js';
import { StateError } from '../store/errors.js';
import { newerSchema } from '../store/migrations.js';
import { type Outage, openPostgresStore, reachPostgres } from '../store/postgres.js';
import { acquireLeadership, type Leadership } from '../store/postgres-leadership.js';
import { RequestDesk } from '../store/postgres-requests.js';
import { openStore } from '../store/sqlite.js';
import type { Store } from '../store/store.js';
import { type ConfigCommandDeps, configOption, logLevel } from './config-command.js';
import { FORWARD_WAIT_MS, type Standby, serveStandby } from './standby.js';

/** What `run` needs from main: what every config-reading command gets, and the process's signals. */
export interface RunDeps extends ConfigCommandDeps {
  /** Subscribes to a process signal (main owns the process). */
  onSignal(signal: 'SIGHUP' | 'SIGTERM' | 'SIGINT', handler: () => void): void;
  /** Subscribes to the process's warnings (a deprecation, a listener leak), which Node no longer prints itself. */
  onWarning(handler: (warning: Error) => void): void;
  clock?: Clock;
}

/** Starts the daemon; resolves with it running and listening. Throws ConfigError on a bad config. */
export async function startDaemon(
  dir: string,
  deps: Pick<RunDeps, 'env' | 'clock'> & {
    log: Logger;
    /** Ends the wait of a standby (a signal to stop): startDaemon rejects with the signal's reason. */
    signal?: AbortSignal;
  },
): Promise<{
  app: App;
  url: string;
  /** Stops it; `lost`: the lead was lost, so sends in flight are aborted at once (the new active sends them again). */
  close: (lost?: boolean) => Promise<void>;
  lost?: Promise<Error>;
  /** After the lead was lost: the all-clear of this centinela's own StateStoreUnreachable page, if it sent one. */
  handOver: () => Promise<unknown>;
}> {
  const clock = deps.clock ?? systemClock;
  const load = () => loadConfig({ dir, env: deps.env, startup: true });
  const config = await load();
  const revision = deps.env.CENTINELA_REVISION?.trim();
  let app: App | undefined;
  // PostgreSQL unreachable past state.unreachable_hold is paged directly over the channels, not through the store.
  const alarm = new StateStoreAlarm({
    config: () => (app?.config ?? config).escalation,
    reading: () => readingOf((app?.config ?? config).centinela),
    clock,
    log: deps.log,
  });
  const onOutage = (outage: Outage, holdMs: number) => alarm.tell(outage, holdMs);
  const opened = await openState(dir, config, {
    log: deps.log,
    clock,
    load,
    revision,
    onOutage,
    ...(deps.signal ? { signal: deps.signal } : {}),
  });
  const { store, leadership } = opened;
  const running = await createApp({
    config,
    // A reload that moves the store to a PostgreSQL database reaches it as check does (a 422 when it cannot), though
    // the move waits for a restart; the database in use is not asked again.
    loadConfig: () =>
      loadConfig({
        dir,
        env: deps.env,
        startup: true,
        reach: async (state) => {
          const now = config.centinela.state;
          if (now.kind === 'postgres' && now.url.reveal() === state.url.reveal()) return undefined;
          return reachPostgres(state.url.reveal(), state.pool.connect_timeout);
        },
        newerSchema,
      }),
    clock,
    log: deps.log,
    store,
    metrics: new Metrics({ revision }),
    ...(opened.replica ? { replica: opened.replica } : {}),
    storeReachable: () => alarm.reaching,
  });
  app = running;
  // Writes a standby received, answered by this server as if they had been sent to it.
  const desk =
    config.centinela.state.kind === 'postgres'
      ? new RequestDesk({
          url: config.centinela.state.url.reveal(),
          connectTimeout: config.centinela.state.pool.connect_timeout,
          clock,
          every: DESK_EVERY_MS,
          fresh: FORWARD_WAIT_MS,
          answer: (request) => answerForwarded(running.server, request),
          onError: (err) => deps.log.error({ code: (err as StateError).code }, err.message),
        })
      : undefined;
  const close = async (lost = false) => {
    // Another centinela leads: what this one has in flight is not its to finish (its claims' term is over), so it is
    // aborted first; the new active sends those rows again, with the same idempotency keys.
    if (lost) await running.stop(0);
    await desk?.stop();
    if (!lost) await running.stop();
    await store.close();
    await leadership?.release();
  };
  try {
    running.start();
    // Taking over from its own standby, it listens where the standby did (the same port, also when the config says 0).
    await listenQuietly(running.server, opened.listen ?? config.centinela.server.listen).catch((err: unknown) => {
      throw listenFailed(err, join(dir, 'centinela.yaml'));
    });
    desk?.start();
  } catch (err) {
    await close();
    throw err;
  }
  return {
    app: running,
    url: listeningUrl(running.server),
    close,
    handOver: () => alarm.handOver(),
    // The lead is lost when another holds the lock, or when a write finds another's newer term.
    ...(leadership && opened.fenced ? { lost: Promise.race([leadership.lost, opened.fenced]) } : {}),
  };
}

/**
 * Where a daemon listens, for its log lines: its URL; or, where server.listen came from the environment, the key and
 * variable instead (`listen: "<server.listen from ${CENTINELA_LISTEN}>"`), with the port only where the system chose
 * it (port 0), which is no part of the value.
 */
function listeningAt(config: Config, url: string): { url: string } | { listen: string; port?: number } {
  const named = envNameAt(config.fromEnv?.centinela, ['server', 'listen']);
  if (!named) return { url };
  return config.centinela.server.listen.port === 0
    ? { listen: named, port: Number(new URL(url).port) }
    : { listen: named };
}

/**
 * The server could not listen: the key and file to fix and why, never the address (it may have come from the
 * environment, CENTINELA_LISTEN). The loader refused a host name that does not resolve; this is what is left.
 */
function listenFailed(err: unknown, file: string): Error {
  const why = listenFailure((err as { code?: string }).code);
  return new Error(`cannot listen on server.listen of ${file}: ${why}`, { cause: err });
}

/** How often the active takes the writes a standby handed over (what a standby's write waits at least). */
const DESK_EVERY_MS = 250;

/** What opening the state gives: the store, and with PostgreSQL the lead, the replica and where a standby listened. */
interface OpenedState {
  store: Store;
  leadership?: Leadership;
  replica?: () => Replica;
  listen?: { host: string; port: number };
  /** Settles when a write of the store finds another centinela's newer term. */
  fenced?: Promise<Error>;
}

/**
 * The state store `state` says. SQLite: the file at its path, its folders created; the loader already refused a path
 * that cannot be a file, and what is left (a full disk, a file that is no SQLite database) is told by the setting,
 * never by the path, which may have come from the environment. PostgreSQL: once this centinela holds the lead,
 * connected, migrated, its working set loaded; its errors name no part of the URL. While another centinela leads,
 * this one serves as the standby (standby.ts) and stops serving just before it opens the store.
 */
async function openState(
  dir: string,
  config: Config,
  deps: {
    log: Logger;
    clock: Clock;
    load: () => Promise<Config>;
    revision: string | undefined;
    onOutage: (outage: Outage, holdMs: number) => void;
    signal?: AbortSignal;
  },
): Promise<OpenedState> {
  const { log, clock } = deps;
  const state = config.centinela.state;
  const file = join(dir, 'centinela.yaml');
  if (state.kind === 'postgres') {
    const name = hostname();
    let leadership: Leadership | undefined;
    let standby: Promise<Standby | undefined> | undefined;
    try {
      leadership = await acquireLeadership({
        url: state.url.reveal(),
        lease: state.lease,
        connectTimeout: state.pool.connect_timeout,
        clock,
        onStandby: (held) => {
          const why = held ? 'another centinela is active' : 'PostgreSQL does not answer yet';
          standby = serveStandby({ config, loadConfig: deps.load, clock, log, name, revision: deps.revision }).then(
            (s) => {
              log.info(
                listeningAt(config, s.url),
                `standby: ${why}; this one serves reads and takes over when it stops`,
              );
              return s;
            },
            (err: Error) => {
              log.warn(
                { code: (err as { code?: string }).code },
                `standby: ${why}; this one cannot serve (${err.message}) and takes over when it stops`,
              );
              return undefined;
            },
          );
        },
        onWaiting: (err) => {
          if (err) {
            log.warn(
              { code: err.code },
              `${err.message}; waiting for PostgreSQL as the standby, trying again every ${humanDuration(state.lease / 3)}. ` +
                `Check state.url (${file}) and that PostgreSQL takes centinela's connections`,
            );
          } else {
            log.info('standby: PostgreSQL answers again; waiting for the lead');
          }
        },
        ...(deps.signal ? { signal: deps.signal } : {}),
        onUnsure: (err) => log.warn({ code: err.code }, `${err.message}; this one keeps leading and takes it again`),
        onRetaken: () => log.info('leader: the lead is held again'),
      });
      const served = await standby;
      await served?.close();
      const store = await openPostgresStore({
        url: state.url.reveal(),
        maxConnections: state.pool.max_connections,
        connectTimeout: state.pool.connect_timeout,
        idleTimeout: state.pool.idle_timeout,
        onError: (err) => log.error({ code: (err as StateError).code }, err.message),
        clock,
        hold: state.unreachable_hold,
        onOutage: (outage) => deps.onOutage(outage, state.unreachable_hold),
        lease: state.lease,
        lead: leadership,
      });
      log.info({ term: store.term }, 'leader: this centinela is the active one');
      return {
        store,
        leadership,
        fenced: store.fenced,
        replica: () => ({ name, role: 'active', term: store.term }),
        ...(served ? { listen: served.address } : {}),
      };
    } catch (err) {
      try {
        await (await standby)?.close();
      } finally {
        // Released whatever the standby's close does: a lock left held keeps every other replica standing by.
        await leadership?.release();
      }
      if (!(err instanceof StateError) || err.code !== 'STATE_UNREACHABLE') throw err;
      throw new Error(`${err.message}. Check state.url (${file}) and that PostgreSQL takes centinela's connections`);
    }
  }
  const { path } = state;
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    return { store: openStore(path) };
  } catch (err) {
    // Its other errors (a schema newer than this centinela) name no path.
    if (err instanceof StateError && err.code !== 'STATE_OPEN') throw err;
    const { code, cause } = err as { code?: string; cause?: { code?: string } };
    const reason = cause?.code ?? code ?? 'unknown error';
    throw new Error(
      `state.path (${file}): the state store cannot be opened (${reason}). ` +
        'Point it at a writable SQLite file, or move the file that is there aside',
    );
  }
}

/** The `run` command. */
export function runCommand(deps: RunDeps): Command {
  return new Command('run')
    .description('run the daemon: probes, rules, escalation and delivery, /metrics, the API and the status page')
    .addOption(configOption())
    .action(async (opts: { config?: string }) => {
      // Not commandLogger: the daemon logs on stdout (its output is its log) and at info by default.
      const level = logLevel(deps.env, 'info');
      if (!level) {
        process.exitCode = 1;
        return;
      }
      const clock = deps.clock ?? systemClock;
      const log = createLogger({ level, pretty: deps.tty.stdout, clock });
      deps.onWarning((warning) => {
        const { code } = warning as Error & { code?: string };
        log.warn({ warning: warning.name, ...(code ? { code } : {}) }, `node: ${warning.message}`);
      });
      const dir = deps.configDir(opts.config);
      // A signal before the daemon runs (a standby waiting for the lead) ends the wait; after, it stops the daemon.
      const waiting = new AbortController();
      let stop: (signal: string, exitCode?: number, after?: () => Promise<unknown>) => void = (signal) =>
        waiting.abort(new Error(signal));
      deps.onSignal('SIGTERM', () => stop('SIGTERM'));
      deps.onSignal('SIGINT', () => stop('SIGINT'));
      let daemon: Awaited<ReturnType<typeof startDaemon>>;
      try {
        daemon = await startDaemon(dir, { env: deps.env, clock, log, signal: waiting.signal });
      } catch (err) {
        if (waiting.signal.aborted) {
          log.info({ signal: (waiting.signal.reason as Error).message }, 'stopped');
          log.flush();
          return;
        }
        if (err instanceof ConfigError) {
          console.error(err.message);
        } else {
          console.error(`centinela run: ${(err as Error).message}`);
        }
        process.exitCode = 1;
        return;
      }
      log.info(
        { ...listeningAt(daemon.app.config, daemon.url), config: dir, probes: daemon.app.config.alerts.probes.length },
        'centinela running',
      );

      let stopping: Promise<void> | undefined;
      stop = (signal, exitCode = 0, after) => {
        if (stopping) return;
        const lost = signal === 'lead lost';
        log.info(
          { signal },
          lost
            ? 'stopping: aborting probe runs and deliveries in flight (the active sends them again, with the same keys)'
            : 'stopping: finishing probe runs and deliveries in flight',
        );
        stopping = daemon.close(lost).then(
          async () => {
            await after?.().catch((err: unknown) => log.error({ err }, 'the all-clear after the lead was lost failed'));
            log.info('stopped');
            log.flush();
            process.exitCode = exitCode;
          },
          (err: unknown) => {
            log.error({ err }, 'stop failed');
            process.exitCode = 1;
          },
        );
      };
      // The lead lost (PostgreSQL): stop acting at once and exit 1, so the supervisor starts it again as a standby;
      // once stopped, end its own page that PostgreSQL was unreachable, which the new active never heard of.
      void daemon.lost?.then((err) => {
        log.error({ code: (err as StateError).code }, err.message);
        stop('lead lost', 1, daemon.handOver);
      });
      deps.onSignal('SIGHUP', () => {
        daemon.app.reload().catch((err: unknown) => {
          // The reload logged every problem; the running config stays.
          if (!(err instanceof ApiError)) log.error({ err }, 'reload failed');
        });
      });
    });
}
