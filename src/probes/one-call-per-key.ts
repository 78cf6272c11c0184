// At most one call per key in flight across runs, for calls that may never return: a filesystem call on a hung
// mount (stale NFS) holds one of libuv's threadpool threads (4 by default) until the kernel answers.

/** The previous call for a key has not returned; the message is the reason a person reads. */
export class StillWaiting extends Error {
  override readonly name = 'StillWaiting';
}

/**
 * Starts a call per key only when the previous one for that key has settled. A run that times out stops waiting,
 * but nothing can cancel a blocked statfs or opendir: starting another on every run would take one more threadpool
 * thread each time, and once all are taken every fs call and dns.lookup of the process waits behind them — the
 * whole daemon, not just this probe. So a later run is told it is still waiting instead.
 */
export class OneCallPerKey {
  /** When the pending call of each key started (clock ms). */
  readonly #started = new Map<string, number>();

  /**
   * `call()` started now, or a rejection with StillWaiting when `key`'s previous call has not settled. `key` reads
   * as what is called ("statfs of /mnt/backups"); `now` is the run's clock reading.
   */
  start<T>(key: string, now: number, call: () => Promise<T>): Promise<T> {
    const since = this.#started.get(key);
    if (since !== undefined) {
      const seconds = Math.round((now - since) / 1000);
      return Promise.reject(new StillWaiting(`still waiting for the previous ${key} (started ${seconds} s ago)`));
    }
    const done = call();
    this.#started.set(key, now);
    const settled = () => this.#started.delete(key);
    done.then(settled, settled);
    return done;
  }
}
