// `centinela run [--config DIR]`: the daemon. Refuses to start on config problems (printing all of them), opens the
// state store, starts probing, alerting and delivering, and serves HTTP on server.listen. SIGHUP reloads (a bad
// config is reported and the running one kept); SIGTERM and SIGINT stop gracefully and exit 0.
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { Command } from 'commander';
import type { Logger } from 'pino';
import { type App, createApp } from '../app.js';
import { type Clock, systemClock } from '../clock.js';
import { ConfigError } from '../config/errors.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { StateStoreAlarm } from '../engine/state-store-alarm.js';
import { readingOf } from '../locale/locale.js';
import { createLogger } from '../log.js';
import { ApiError } from '../server/errors.js';
import { Metrics } from '../server/metrics.js';
import { StateError } from '../store/errors.js';
import { type Outage, openPostgresStore } from '../store/postgres.js';
import { acquireLeadership, type Leadership } from '../store/postgres-leadership.js';
import { openStore } from '../store/sqlite.js';
import type { Store } from '../store/store.js';
import { type ConfigCommandDeps, configOption, logLevel } from './config-command.js';

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
  deps: Pick<RunDeps, 'env' | 'clock'> & { log: Logger },
): Promise<{ app: App; url: string; close: () => Promise<void>; lost?: Promise<Error> }> {
  const clock = deps.clock ?? systemClock;
  const config = await loadConfig({ dir, env: deps.env, state: true });
  let app: App | undefined;
  const alarm = new StateStoreAlarm({
    config: () => (app?.config ?? config).escalation,
    reading: () => readingOf((app?.config ?? config).centinela),
    clock,
    log: deps.log,
  });
  const { store, leadership, fenced } = await openState(dir, config.centinela.state, deps.log, clock, (o, hold) =>
    alarm.tell(o, hold),
  );
  const close = async () => {
    await store.close();
    await leadership?.release();
  };
  app = await createApp({
    config,
    loadConfig: () => loadConfig({ dir, env: deps.env, state: true }),
    clock,
    log: deps.log,
    store,
    metrics: new Metrics({ revision: deps.env.CENTINELA_REVISION?.trim() }),
  });
  try {
    app.start();
    await app.server.listen(config.centinela.server.listen);
  } catch (err) {
    await app.stop();
    await close();
    throw err;
  }
  const a = app.server.server.address() as AddressInfo;
  const url = `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
  return {
    app,
    url,
    close: async () => {
      await app.stop();
      await close();
    },
    ...(leadership && fenced ? { lost: Promise.race([leadership.lost, fenced]) } : {}),
  };
}

/**
 * The state store `state` says. SQLite: the file at its path, its folders created; the loader already refused a path
 * that cannot be a file, and what is left (a full disk, a file that is no SQLite database) is told by the setting,
 * never by the path, which may have come from the environment. PostgreSQL: once this centinela holds the lead
 * (a standby waits here), connected, migrated, its working set loaded; its errors name no part of the URL.
 */
async function openState(
  dir: string,
  state: Config['centinela']['state'],
  log: Logger,
  clock: Clock,
  onOutage: (outage: Outage, holdMs: number) => void,
): Promise<{ store: Store; leadership?: Leadership; fenced?: Promise<Error> }> {
  const file = join(dir, 'centinela.yaml');
  if (state.kind === 'postgres') {
    let leadership: Leadership | undefined;
    try {
      leadership = await acquireLeadership({
        url: state.url.reveal(),
        lease: state.lease,
        connectTimeout: state.pool.connect_timeout,
        clock,
        onStandby: () => log.info('standby: another centinela is active; this one takes over when it stops'),
        onUnsure: (err) => log.warn({ code: err.code }, `${err.message}; this one keeps leading and takes it again`),
        onRetaken: () => log.info('leader: the lead is held again'),
      });
      const store = await openPostgresStore({
        url: state.url.reveal(),
        maxConnections: state.pool.max_connections,
        connectTimeout: state.pool.connect_timeout,
        idleTimeout: state.pool.idle_timeout,
        onError: (err) => log.error({ code: (err as StateError).code }, err.message),
        clock,
        hold: state.unreachable_hold,
        onOutage: (outage) => onOutage(outage, state.unreachable_hold),
      });
      log.info({ term: store.term }, 'leader: this centinela is the active one');
      return { store, leadership, fenced: store.fenced };
    } catch (err) {
      await leadership?.release();
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
      let daemon: Awaited<ReturnType<typeof startDaemon>>;
      try {
        daemon = await startDaemon(dir, { env: deps.env, clock, log });
      } catch (err) {
        if (err instanceof ConfigError) {
          console.error(err.message);
        } else {
          console.error(`centinela run: ${(err as Error).message}`);
        }
        process.exitCode = 1;
        return;
      }
      log.info({ url: daemon.url, config: dir, probes: daemon.app.config.alerts.probes.length }, 'centinela running');

      let stopping: Promise<void> | undefined;
      const stop = (signal: string, exitCode = 0) => {
        if (stopping) return;
        log.info({ signal }, 'stopping: finishing probe runs and deliveries in flight');
        stopping = daemon.close().then(
          () => {
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
      // The lead lost (PostgreSQL): stop acting at once and exit 1, so the supervisor starts it again as a standby.
      void daemon.lost?.then((err) => {
        log.error({ code: (err as StateError).code }, err.message);
        stop('lead lost', 1);
      });
      deps.onSignal('SIGTERM', () => stop('SIGTERM'));
      deps.onSignal('SIGINT', () => stop('SIGINT'));
      deps.onSignal('SIGHUP', () => {
        daemon.app.reload().catch((err: unknown) => {
          // The reload logged every problem; the running config stays.
          if (!(err instanceof ApiError)) log.error({ err }, 'reload failed');
        });
      });
    });
}
