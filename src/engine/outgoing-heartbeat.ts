// centinela's own dead man's switch (centinela.yaml `heartbeat`): while the loop runs, it POSTs its URL every `every`,
// Healthchecks-style — the URL itself when centinela is healthy, `<url>/fail` with the reason as the body when it is
// not (a probe overdue, the outbox not draining). Whoever receives it (a self-hosted Healthchecks, a second centinela's
// heartbeat probe) pages when the pings stop: that is what a dead host looks like from outside.
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Secret } from '../config/secret.js';
import { formatDuration } from '../duration.js';
import { PackageLoadError } from '../load-package.js';
import type { ProbeStats } from '../scheduler.js';
import { loadUndici } from '../undici.js';

/** What the heartbeat needs: where, how often, and a look at the daemon's health. */
export interface OutgoingHeartbeatDeps {
  url: Secret;
  everyMs: number;
  clock: Clock;
  log: Logger;
  /** Why centinela is unhealthy right now, or undefined when it is healthy. */
  unhealthy: () => string | undefined;
}

/**
 * Why centinela is unhealthy, from what it already counts: a probe whose run is more than `slackMs` late (the
 * scheduler is stuck), or an outbox row whose attempt is more than `slackMs` late (delivery is stuck).
 */
export function unhealthyReason(
  probes: ReadonlyMap<string, ProbeStats>,
  nextAttemptAt: number | undefined,
  now: number,
  slackMs: number,
): string | undefined {
  const reasons: string[] = [];
  for (const [name, s] of probes) {
    if (s.nextRunAt !== undefined && now - s.nextRunAt > slackMs) {
      reasons.push(`probe ${name} is ${formatDuration(now - s.nextRunAt)} overdue`);
    }
  }
  if (nextAttemptAt !== undefined && now - nextAttemptAt > slackMs) {
    reasons.push(`the outbox is not draining: a delivery is ${formatDuration(now - nextAttemptAt)} overdue`);
  }
  return reasons.length > 0 ? reasons.join('; ') : undefined;
}

/** Pings at start and then every `everyMs` until stopped; a ping never outlives its period. */
export class OutgoingHeartbeat {
  readonly #d: OutgoingHeartbeatDeps;
  #cancel: (() => void) | undefined;
  #inFlight: AbortController | undefined;
  #running = false;

  constructor(deps: OutgoingHeartbeatDeps) {
    this.#d = deps;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#beat();
  }

  stop(): void {
    this.#running = false;
    this.#cancel?.();
    this.#inFlight?.abort();
  }

  #beat(): void {
    if (!this.#running) return;
    this.#cancel = this.#d.clock.setTimeout(() => this.#beat(), this.#d.everyMs);
    void this.#ping(this.#d.unhealthy());
  }

  async #ping(reason: string | undefined): Promise<void> {
    this.#inFlight?.abort();
    const abort = new AbortController();
    this.#inFlight = abort;
    const cancelTimeout = this.#d.clock.setTimeout(() => abort.abort(), this.#d.everyMs);
    const url = reason === undefined ? this.#d.url.reveal() : failUrl(this.#d.url.reveal());
    try {
      const { request } = await loadUndici();
      const res = await request(url, {
        method: 'POST',
        body: reason ?? '',
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        signal: abort.signal,
      });
      await res.body.dump();
      if (res.statusCode >= 300) {
        this.#d.log.warn({ status: res.statusCode }, `outgoing heartbeat: the receiver answered ${res.statusCode}`);
      }
    } catch (err) {
      // The URL is a secret (it names the check): only the failure's code or kind is logged.
      if (err instanceof PackageLoadError) {
        this.#d.log.error(`outgoing heartbeat: ${err.message}`);
      } else if (!abort.signal.aborted || this.#running) {
        const code = (err as { code?: string }).code ?? (err as Error).name;
        this.#d.log.warn({ code }, `outgoing heartbeat: could not reach the receiver (${code})`);
      }
    } finally {
      cancelTimeout();
      if (this.#inFlight === abort) this.#inFlight = undefined;
    }
  }
}

/** Healthchecks' failure signal: `/fail` appended to the path, the query kept. */
function failUrl(url: string): string {
  const u = new URL(url);
  u.pathname = `${u.pathname.replace(/\/+$/, '')}/fail`;
  return u.toString();
}
