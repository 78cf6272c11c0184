import { describe, expect, it } from 'vitest';
import { formatBytes, formatNumber, formatSeconds } from '../src/units.js';

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
});
