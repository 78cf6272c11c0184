// The standby of two centinelas on one PostgreSQL database (issue 18): while the other holds the lead, this one
// serves the status page, the API's reads, /metrics and health on server.listen, from a copy of the shared state
// that follows the active's writes (src/store/postgres-standby.ts), and hands every write to the active
// (src/server/standby-writes.ts). It runs no probes, no evaluation, no escalation and no delivery: the app over the
// copy is built but never started. When it wins the lead, run.ts closes it and starts the daemon on the same port.
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { createApp } from '../app.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config/schema.js';
import { listeningUrl, listenQuietly } from '../server/http-server.js';
import { Metrics } from '../server/metrics.js';
import { forwardWrites } from '../server/standby-writes.js';
import type { StateError } from '../store/errors.js';
import { RequestForwarder } from '../store/postgres-requests.js';
import { openStandbyState } from '../store/postgres-standby.js';

/** How often the standby looks whether the active wrote (its copy is at most this much plus one load behind). */
export const STANDBY_REFRESH_MS = 1_000;
/** How long a write made on the standby waits for the active to take it before answering 503 NO_ACTIVE. */
export const FORWARD_WAIT_MS = 5_000;
/** How often a waiting write looks for the active's answer. */
const ANSWER_POLL_MS = 100;

/** A standby serving on its port. */
export interface Standby {
  /** Where it listens: the active started in its place listens there too. */
  address: { host: string; port: number };
  url: string;
  /** Stops serving and closes its connections. */
  close(): Promise<void>;
}

export interface StandbyDeps {
  config: Config;
  loadConfig: () => Promise<Config>;
  clock: Clock;
  log: Logger;
  /** This replica's name (the host's), shown on its status page. */
  name: string;
  revision: string | undefined;
}

/** Starts serving as the standby; resolves once it listens. */
export async function serveStandby(deps: StandbyDeps): Promise<Standby> {
  const { config, clock, log } = deps;
  const state = config.centinela.state;
  if (state.kind !== 'postgres') throw new Error('a standby needs state.kind postgres');
  const onError = (err: Error) => log.warn({ code: (err as StateError).code }, err.message);
  const connection = { url: state.url.reveal(), connectTimeout: state.pool.connect_timeout, clock };
  const copy = openStandbyState({ ...connection, every: STANDBY_REFRESH_MS, onError });
  const forwarder = new RequestForwarder({ ...connection, within: FORWARD_WAIT_MS, every: ANSWER_POLL_MS, onError });
  const close = async () => {
    await copy.close();
    await forwarder.close();
  };
  try {
    const app = await createApp({
      config,
      loadConfig: deps.loadConfig,
      clock,
      log,
      store: copy.store,
      metrics: new Metrics({ revision: deps.revision }),
      replica: () => ({ name: deps.name, role: 'standby', ...(copy.term !== undefined ? { term: copy.term } : {}) }),
    });
    forwardWrites(app.server, (request) => forwarder.forward(request));
    try {
      await listenQuietly(app.server, config.centinela.server.listen);
    } catch (err) {
      await app.stop();
      throw err;
    }
    const a = app.server.server.address() as AddressInfo;
    let closed: Promise<void> | undefined;
    return {
      address: { host: a.address, port: a.port },
      url: listeningUrl(app.server),
      // Once: run.ts closes it when it wins the lead, and again if opening the store then fails; a second end of
      // the pools threw before the lead was released.
      close: () => {
        closed ??= (async () => {
          // The writes in flight are withdrawn (or told unknown) at once, so the server closes without waiting.
          forwarder.giveUp();
          await app.stop();
          await close();
        })();
        return closed;
      },
    };
  } catch (err) {
    await close();
    throw err;
  }
}
