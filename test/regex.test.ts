import { describe, expect, it } from 'vitest';
import { compileRegex, REGEX_PROGRAM_MAX, type Regex } from '../src/regex.js';

function compiled(source: string, options?: { ignoreCase?: boolean }): Regex {
  const r = compileRegex(source, options);
  if ('problem' in r) throw new Error(`refused: ${r.problem}`);
  return r;
}

describe('compileRegex', () => {
  it('finds anywhere with test and matches the whole input with testExact', () => {
    const r = compiled('a|ab');
    expect(r.test('xaby')).toBe(true);
    expect(r.testExact('ab')).toBe(true);
    expect(r.testExact('xab')).toBe(false);
  });

  it('takes RE2 syntax as Prometheus does: (?i), \\d, classes', () => {
    expect(compiled('(?i)critical').testExact('CRITICAL')).toBe(true);
    expect(compiled('error', { ignoreCase: true }).test('an ERROR here')).toBe(true);
    expect(compiled('\\d{3}').testExact('503')).toBe(true);
  });

  it('matches a backtracking bomb in time linear in the input (V8 would not finish)', () => {
    // (a+)+b over 40 a's is 2^40 steps for a backtracking engine: this test would time out on V8's RegExp.
    expect(compiled('(a+)+b').test('a'.repeat(40))).toBe(false);
    expect(compiled('^(?:(a+)+b)$').testExact(`${'a'.repeat(100_000)}c`)).toBe(false);
  });

  it.each([
    ['(?=x)a', 'invalid or unsupported Perl syntax; regexes are RE2 syntax'],
    ['(?<=a)b', 'invalid named capture; regexes are RE2 syntax'],
    ['(a)\\1', 'invalid escape sequence; regexes are RE2 syntax'],
    ['x)|(.*', 'unexpected )'],
    ['[z-a]', 'invalid character class range'],
    ['a{1001}', 'invalid repeat count'],
  ])('refuses %s in words that quote none of it', (source, words) => {
    const r = compileRegex(source);
    expect(r).toEqual({ problem: expect.stringContaining(`is not a regular expression (${words}`) });
    const problem = (r as { problem: string }).problem;
    expect(problem).not.toContain(source);
  });

  it('refuses a regex that compiles to more instructions than the bound, saying how many', () => {
    expect('problem' in compileRegex('.{1000}')).toBe(false);
    const r = compileRegex('.{1000}x.{1000}');
    expect(r).toEqual({ problem: expect.stringMatching(/compiles to 200\d instructions, and one takes at most 2000/) });
    expect(REGEX_PROGRAM_MAX).toBe(2000);
  });
});
