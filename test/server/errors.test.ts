// The bound on the problems a refusal names: how many, how long each, how long together, as written in JSON.
import { describe, expect, it } from 'vitest';
import { badRequest, PROBLEMS_SHOWN, shownProblems } from '../../src/server/errors.js';

describe('shownProblems', () => {
  it('keeps the first problems whole while they fit, then says how many more there are of the total', () => {
    expect(shownProblems(['a', 'b'])).toEqual(['a', 'b']);
    const many = Array.from({ length: 50 }, (_, i) => `p${i}`);
    expect(shownProblems(many)).toEqual([...many.slice(0, PROBLEMS_SHOWN), 'and 30 more problems']);
    // A caller that wrote only the first ones passes their count.
    expect(shownProblems(many.slice(0, PROBLEMS_SHOWN), 16_000).at(-1)).toBe('and 15980 more problems');
    expect(shownProblems(['a', 'b'], 3).at(-1)).toBe('and 1 more problem');
  });

  it('cuts a problem to 1,000 characters of JSON, escapes counted, keeping all that fits (review r13s, D3)', () => {
    const quoting = `unknown key "${'k'.repeat(3_000)}"`;
    const [cut] = shownProblems([quoting]);
    expect(JSON.stringify(cut).length).toBeLessThanOrEqual(1_000);
    expect(JSON.stringify(cut).length).toBeGreaterThan(990);
    expect(cut?.startsWith(`unknown key "${'k'.repeat(900)}`)).toBe(true);
    const quotes = shownProblems(['"'.repeat(3_000)])[0] as string;
    expect(JSON.stringify(quotes).length).toBeLessThanOrEqual(1_000);
    expect(quotes.startsWith('"'.repeat(480))).toBe(true);
    const controls = '\u0001'.repeat(3_000);
    expect(JSON.stringify(shownProblems([controls])[0]).length).toBeLessThanOrEqual(1_000);
  });

  it('keeps the problems together under 6,000 characters of JSON: a 400 holds them twice', () => {
    const wide = Array.from({ length: 20 }, (_, i) => `${i}: ${'\u0001'.repeat(2_000)}`);
    const shown = shownProblems(wide);
    expect(shown.at(-1)).toMatch(/^and \d+ more problems$/);
    expect(JSON.stringify(shown).length).toBeLessThan(6_100);
    const { message, details } = badRequest(wide);
    expect(JSON.stringify({ message, details }).length).toBeLessThan(16_384);
  });
});
