// Per-second rates of a target's ever-growing counters (deadlocks, evicted keys) from one run to the next.

/**
 * Remembers each counter's previous value and time, and turns the next observation into a rate. A counter that
 * went down was reset (server restart, pg_stat_reset): like Prometheus' rate(), the increase then counts from zero.
 */
export class CounterRates {
  readonly #previous = new Map<string, { value: number; at: number }>();

  /** Per-second increase of `key` since its previous observation; undefined the first time (no baseline yet). */
  observe(key: string, value: number, at: number): number | undefined {
    const previous = this.#previous.get(key);
    this.#previous.set(key, { value, at });
    if (!previous || at <= previous.at) return undefined;
    const increase = value >= previous.value ? value - previous.value : value;
    return increase / ((at - previous.at) / 1000);
  }
}
