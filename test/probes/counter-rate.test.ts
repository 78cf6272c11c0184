// CounterRates: per-second increases between observations, reset-safe.
import { describe, expect, it } from 'vitest';
import { CounterRates } from '../../src/probes/counter-rate.js';

describe('CounterRates', () => {
  it('has no rate on the first observation, then the increase per second', () => {
    const rates = new CounterRates();
    expect(rates.observe('deadlocks', 10, 0)).toBeUndefined();
    expect(rates.observe('deadlocks', 40, 15_000)).toBe(2);
    expect(rates.observe('deadlocks', 40, 30_000)).toBe(0);
  });

  it('keeps counters apart by key', () => {
    const rates = new CounterRates();
    rates.observe('a', 0, 0);
    rates.observe('b', 100, 0);
    expect(rates.observe('a', 5, 1_000)).toBe(5);
    expect(rates.observe('b', 100, 1_000)).toBe(0);
  });

  it('counts from zero after a reset instead of reporting a negative rate', () => {
    const rates = new CounterRates();
    rates.observe('evicted', 1_000, 0);
    expect(rates.observe('evicted', 30, 10_000)).toBe(3);
    expect(rates.observe('evicted', 50, 20_000)).toBe(2);
  });

  it('gives no rate when time did not move forward, and starts again from that observation', () => {
    const rates = new CounterRates();
    rates.observe('x', 1, 5_000);
    expect(rates.observe('x', 2, 5_000)).toBeUndefined();
    expect(rates.observe('x', 3, 4_000)).toBeUndefined();
    expect(rates.observe('x', 5, 6_000)).toBe(1);
  });
});
