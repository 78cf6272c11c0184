// The spreading of a regex matcher into the names it lists, at the bounds of a matcher: groups of one alternative,
// many groups, groups inside groups and long lists cost one pass, spread at most MOST_SPREAD (64), and are quoted in
// excerpts. The ordinary cases (a group, a nested group, != and !~) are in silences.test.ts and references.test.ts.
import { describe, expect, it } from 'vitest';
import { MATCHER_VALUE_MAX, type Matcher, parseMatchers } from '../../src/matchers.js';
import { unknownName } from '../../src/rules/known-names.js';

const names = { alertname: ['ApiDown', 'ApiLatencyHigh', 'PostgresDown'], probe: ['api'] };

/** The why of an alertname matcher (`=~` unless the value says), or undefined when it names what exists. */
function why(value: string): string | undefined {
  const parsed = parseMatchers({ alertname: value.startsWith('!') ? value : `=~${value}` });
  if (!('matchers' in parsed)) throw new Error(parsed.problems.join('; '));
  return unknownName(parsed.matchers[0] as Matcher, names)?.why;
}

describe('unknownName at the bounds of a matcher', () => {
  it('spreads 64 groups of one alternative and keeps the 65th as written (issue 13 review r13c, D1)', () => {
    // Each group of one alternative used to cost a level of recursion and nothing from the budget: 2,500 of them
    // overflowed the stack (a 500, and check crashed).
    expect(why(`ApiDow(n)${'()'.repeat(63)}`)).toBeUndefined();
    expect(why(`Api${'(D)'.repeat(64)}`)).toBe(`matches no alert: no rule is named "Api${'D'.repeat(64)}"`);
    expect(why(`Api${'(D)'.repeat(65)}`)).toBe("matches no alert: no rule's name matches it");
    const most = Math.floor((MATCHER_VALUE_MAX - 3) / 3);
    expect(why(`Api${'(D)'.repeat(most)}`)).toBe("matches no alert: no rule's name matches it");
  });

  it('spreads groups into at most 64 more alternatives; past that a group stays as written', () => {
    // Six groups of two are 64 names, each told; a seventh would make 128.
    const six = why('(A|B)'.repeat(6));
    expect(six).toBe(
      'matches no alert: no rule is named "AAAAAA" (nor "AAAAAB", "AAAABA", "AAAABB", "AAABAA", "AAABAB" and 58 more)',
    );
    expect(why('(A|B)'.repeat(7))).toMatch(
      /^matches no alert: no rule's name matches "AAAAAA\(A\|B\)" \(nor .* and 58 more\)$/,
    );
    // The review's 10 KB reproducer (8.2 s), cut to the longest a matcher takes: still one pass, and its message short.
    const long = why('(A|B)'.repeat(Math.floor(MATCHER_VALUE_MAX / 5)));
    expect(long).toBe("matches no alert: no rule's name matches it");
  });

  it('spreads a group inside groups as deep as its budget allows', () => {
    // The innermost group costs 1 of MOST_SPREAD (64), and each around its three alternatives 2: 31 are spread.
    const depth = 31;
    const deep = (inner: string) => `${'('.repeat(depth)}${inner}${')'.repeat(depth)}`;
    expect(why(deep('ApiDown|Api(Down|LatencyHigh)'))).toBeUndefined();
    expect(why(deep('ApiDown|Api(Down|LatncyHigh)'))).toBe(
      'lists a name no rule has: no rule is named "ApiLatncyHigh"',
    );
    // One deeper and the outermost group stays as written: a regex that ApiDown matches, checked as one.
    expect(why(`(${deep('ApiDown|Api(Down|LatncyHigh)')})`)).toBeUndefined();
  });

  it('does not spread a regex whose flags hold for what follows: (?i) covers every alternative', () => {
    expect(why('(?i)apidown|postgresdown')).toBeUndefined();
    expect(why('(?i:apidown)|postgresdown')).toBe('lists a name no rule has: no rule is named "postgresdown"');
  });

  it('quotes each alternative in an excerpt and names at most six of them', () => {
    // A list of misspelt names as long as a matcher takes: the review's 20 KB regex gave a 1.3 MB message.
    const list = Array.from({ length: 200 }, (_, i) => `Api${i}`)
      .join('|')
      .slice(0, MATCHER_VALUE_MAX);
    const told = why(list) ?? '';
    const more = list.split('|').length - 6;
    expect(told).toBe(
      `matches no alert: no rule is named "Api0" (nor "Api1", "Api2", "Api3", "Api4", "Api5" and ${more} more)`,
    );
    const one = why(`Api(Down|${'x'.repeat(1000)})`) ?? '';
    expect(one).toBe(`lists a name no rule has: no rule is named "Api${'x'.repeat(197)}… (1003 characters)"`);
  });

  it('checks a spread that would compile more than a matcher holds as the regex unspread', () => {
    // 64 alternatives of 1 KB each would be 64 KB of regexes to compile (two seconds of V8's): instead each
    // alternative of the regex as written is checked, so a misspelt name beside the groups is still told.
    const groups = `${'(A|B)'.repeat(6)}.${'x'.repeat(MATCHER_VALUE_MAX - 60)}`;
    expect(why(`ApiDwn|${groups}`)).toBe(
      `matches no alert: no rule is named "ApiDwn" (nor "${groups.slice(0, 200)}… (${groups.length} characters)")`,
    );
  });
});
