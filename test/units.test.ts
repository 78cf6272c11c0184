import { describe, expect, it } from 'vitest';
import { formatBytes, formatNumber, formatSeconds, formatValue, unitOfName } from '../src/units.js';

describe('units', () => {
  it.each([
    [0.634, '0.63'],
    [1.25, '1.3'],
    [92.4, '92'],
    [1234, '1234'],
  ])('formatNumber(%s) = %s', (n, text) => expect(formatNumber(n)).toBe(text));

  it.each([
    [0.63, '0.63 s'],
    [45, '45 s'],
    [420, '7 min'],
    [7_500, '2 h 5 min'],
    [3 * 86_400 + 4 * 3_600, '3 d 4 h'],
  ])('formatSeconds(%s) = %s', (n, text) => expect(formatSeconds(n)).toBe(text));

  it.each([
    [900, '900 B'],
    [12 * 1024, '12 KiB'],
    [1_610_612_736, '1.5 GiB'],
  ])('formatBytes(%s) = %s', (n, text) => expect(formatBytes(n)).toBe(text));

  it.each([
    [0.634, 'seconds', '0.63 s'],
    [420, 'duration', '7 min'],
    [7.24, 'percent', '7.2 %'],
    [1_610_612_736, 'bytes', '1.5 GiB'],
    [5.5, 'hours', '5 h 30 min'],
    [0.0013, 'hours', '4.7 s'],
    [999_999, 'hours', '41666 d 15 h'],
    [1_000_000, 'hours', 'never'],
    [20.5, 'days', '20 d 12 h'],
    [50_000, 'days', 'never'],
    [160.4, 'per_second', '160/s'],
    [12, 'number', '12'],
    [0, 'state', '0'],
    [2.634, undefined, '2.6'],
  ] as const)('formatValue(%s, %s) = %s', (n, unit, text) => expect(formatValue(n, unit, 'en')).toBe(text));

  it('says never in the reader’s language, and the rest with the same digits and symbols', () => {
    expect(formatValue(1_000_000, 'hours', 'es')).toBe('nunca');
    expect(formatValue(50_000, 'days', 'es')).toBe('nunca');
    expect(formatValue(5.5, 'hours', 'es')).toBe('5 h 30 min');
  });
});

describe('the unit a sample name says', () => {
  it.each([
    ['disk.free_bytes', 'bytes'],
    ['host.cpu_percent', 'percent'],
    ['api_metrics.requests_per_second', 'per_second'],
    ['caddy_access.requests_by_ip_per_minute', 'per_minute'],
    ['api_metrics.latency_p95_seconds', 'seconds'],
    ['disk.hours_until_full', 'hours'],
    ['db.connections', 'number'],
    ['db.slow_queries', 'number'],
  ] as const)('%s → %s', (name, unit) => {
    expect(unitOfName(name)).toBe(unit);
  });
});
