// Label matchers: an empty value equals an absent label, as in Prometheus and Alertmanager, in the map form and in
// the text form amtool writes (`b=""`), and every part of centinela that matches labels matches through matchesAll.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatMatchers,
  MATCHER_VALUE_MAX,
  type MatcherFields,
  type MatchOp,
  matcherFields,
  matcherText,
  matchesAll,
  parseMatchers,
  readMatcher,
  storedMatchers,
} from '../src/matchers.js';
import { REGEX_PROGRAM_MAX } from '../src/regex.js';

const parsed = (map: Record<string, string>) => {
  const p = parseMatchers(map);
  if (!('matchers' in p)) throw new Error(p.problems.join('; '));
  return p.matchers;
};
const list = (fields: MatcherFields[]) => parsed(fields as never);
const problems = (written: unknown) => {
  const p = parseMatchers(written);
  return 'problems' in p ? p.problems : [];
};

describe('matchesAll', () => {
  // An alert without b, one with b empty (the same thing), one with b set.
  it.each([
    ['b=""', { b: '' }, [true, true, false]],
    ['b!=""', { b: '!=' }, [false, false, true]],
    ['b=~""', { b: '=~' }, [true, true, false]],
    ['b!~""', { b: '!~' }, [false, false, true]],
    ['b=~".*"', { b: '=~.*' }, [true, true, true]],
    ['b=~".+"', { b: '=~.+' }, [false, false, true]],
    ['b!="x"', { b: '!=x' }, [true, true, false]],
    ['b="x"', { b: 'x' }, [false, false, true]],
  ])('%s over no b, b="" and b="x"', (_, map, expected) => {
    const m = parsed(map);
    expect([matchesAll(m, { a: '1' }), matchesAll(m, { a: '1', b: '' }), matchesAll(m, { a: '1', b: 'x' })]).toEqual(
      expected,
    );
  });
});

describe('readMatcher', () => {
  it.each([
    // amtool's quoted form: b="" is the empty value, which an absent label matches.
    ['b=""', ['b', '=', '']],
    ['b!=""', ['b', '!=', '']],
    ['alertname="ApiDown"', ['alertname', '=', 'ApiDown']],
    ['alertname=ApiDown', ['alertname', '=', 'ApiDown']],
    ['b=', ['b', '=', '']],
    ['note=a=b', ['note', '=', 'a=b']],
    // \" \\ and \n are escapes; any other backslash stays, so a regex needs no doubling.
    ['route=~"/api/\\d+"', ['route', '=~', '/api/\\d+']],
    ['route=~/api/\\d+', ['route', '=~', '/api/\\d+']],
    ['note="say \\"hi\\" \\\\ bye"', ['note', '=', 'say "hi" \\ bye']],
    ['note="a\\nb"', ['note', '=', 'a\nb']],
    // A value is the value, whatever it starts with: not an operator read again (it widened silences).
    ['shard="=~.*"', ['shard', '=', '=~.*']],
    ['shard="!=nothing"', ['shard', '=', '!=nothing']],
    ['shard!="!~x"', ['shard', '!=', '!~x']],
    ['shard=!=x', ['shard', '=', '!=x']],
  ])('reads %s', (text, [label, op, value]) => {
    expect(readMatcher(text)).toEqual({ matcher: { label, op, value } });
  });

  // A quote mark that does not pair was taken as part of the value (shard="1 silenced a shard named "1).
  it.each([
    'note="open',
    'shard="1',
    'note="ends escaped\\"',
    'note="',
    'note=a "quoted" word',
    'note="a"b"',
    'note=""x',
  ])('refuses %s, whose quote marks do not pair', (text) => {
    expect(readMatcher(text)).toEqual({
      problem: expect.stringMatching(/^is not quoted right: a quote mark does not pair\. /),
    });
  });

  it('refuses what is no matcher', () => {
    expect(readMatcher('ApiDown')).toEqual({ problem: expect.stringMatching(/^is not a matcher: write label=value/) });
  });

  it('gives a matcher that takes a value starting with an operator as that value', () => {
    const read = readMatcher('shard="=~.*"');
    if (!('matcher' in read)) throw new Error(read.problem);
    const m = list([read.matcher]);
    expect([matchesAll(m, { shard: '=~.*' }), matchesAll(m, { shard: '1' }), matchesAll(m, {})]).toEqual([
      true,
      false,
      false,
    ]);
  });
});

describe('matcherText', () => {
  it.each([
    [{ label: 'shard', op: '=', value: 'a"b' }, 'shard="a\\"b"'],
    [{ label: 'route', op: '=~', value: '/api/\\d+' }, 'route=~"/api/\\d+"'],
    [{ label: 'note', op: '!=', value: 'ends\\' }, 'note!="ends\\\\"'],
    [{ label: 'note', op: '=', value: 'a\nb' }, 'note="a\\nb"'],
    [{ label: 'shard', op: '=', value: '=~.*' }, 'shard="=~.*"'],
  ])('writes %o as %s', (m, text) => {
    expect(matcherText(m)).toBe(text);
  });

  it.each([
    [{ label: 'note', op: '=', value: 'ring\u0007' }, 'note="ring\\x07"'],
    [{ label: 'note', op: '=', value: 'a\rb\tc' }, 'note="a\\x0db\\x09c"'],
    [{ label: 'note', op: '!=', value: '\u001b[2Jx' }, 'note!="\\x1b[2Jx"'],
    [{ label: 'note', op: '=', value: 'abc\u202edcba\u0085' }, 'note="abc\\u202edcba\\u0085"'],
    // A backslash that would read with an escaped character after it is doubled; a regex's \x2e stays as written.
    [{ label: 'note', op: '=~', value: '\\\u0007a\\x2e' }, 'note=~"\\\\\\x07a\\x2e"'],
    [{ label: 'note', op: '=', value: '\\x07' }, 'note="\\\\x07"'],
  ])('writes %o as %s, nothing unseen printed raw, and reads it back (issue 13 review r13e, D5a)', (m, text) => {
    expect(matcherText(m)).toBe(text);
    expect(readMatcher(text)).toEqual({ matcher: m });
  });

  it('reads back as the same matcher, whatever the value, and prints nothing unseen', () => {
    const op = fc.constantFrom<MatchOp>('=', '!=', '=~', '!~');
    const tricky = fc.constantFrom('a', '"', '\\', 'n', 'x', 'u', '0', '7', 'e', '2', '\n', '\u0007', '\r', '\u001b');
    const value = fc.oneof(
      fc.string({ unit: fc.oneof(tricky, fc.constantFrom('\u200f', '\u2028', '\ud800', '\udc00', '\u{e0001}')) }),
      fc.string({ unit: 'binary' }),
      fc.string({
        unit: fc.oneof(
          tricky,
          fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
        ),
      }),
    );
    fc.assert(
      fc.property(op, value, (o, v) => {
        const m = { label: 'l', op: o, value: v };
        const text = matcherText(m);
        expect(readMatcher(text)).toEqual({ matcher: m });
        expect(text).not.toMatch(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('the list form', () => {
  it('takes a value starting with an operator as that value', () => {
    const m = list([{ label: 'shard', op: '=', value: '!=nothing' }]);
    expect(m).toEqual([{ label: 'shard', op: '=', value: '!=nothing' }]);
    expect([matchesAll(m, { shard: '!=nothing' }), matchesAll(m, { shard: 'x' })]).toEqual([true, false]);
  });

  it('refuses a regex whose ) closes nothing: anchored by a group around it, it matched every value', () => {
    for (const value of ['x)|(.*', 'Nope)|(?:.*', 'a)']) {
      expect(parseMatchers([{ label: 'alertname', op: '=~', value }])).toEqual({
        problems: ['0: is not a regular expression (unexpected ))'],
      });
    }
    const kept = parseMatchers([{ label: 'alertname', op: '=~', value: 'x|(.*)' }]);
    expect('problems' in kept).toBe(false);
  });

  it('refuses a label repeated, a bad regex and __proto__, each at its place', () => {
    expect(
      parseMatchers([
        { label: 'a', op: '=', value: '1' },
        { label: 'a', op: '=', value: '2' },
        { label: 'c', op: '=~', value: '(' },
        { label: '__proto__', op: '=', value: '' },
      ]),
    ).toEqual({
      problems: [
        '1.label: repeats the label "a": give one matcher per label',
        '2: is not a regular expression (missing closing ))',
        '3: "__proto__" is not a label name centinela takes: JavaScript objects give that name a meaning of ' +
          'their own. Rename it',
      ],
    });
    expect(parseMatchers([{ label: 'b', op: '==', value: '1' }])).toEqual({
      problems: ['0.op: must be =, !=, =~ or !~'],
    });
  });
});

describe('storedMatchers', () => {
  it('reads a row of the map form as it was read (=~ is a regex), the list form as written', () => {
    const old = storedMatchers({ shard: '=~.*', alertname: 'QueueDeep' });
    expect(old.unreadable).toBeUndefined();
    expect(matcherFields(old.matchers)).toEqual([
      { label: 'shard', op: '=~', value: '.*' },
      { label: 'alertname', op: '=', value: 'QueueDeep' },
    ]);
    expect(matchesAll(old.matchers, { alertname: 'QueueDeep', shard: '7' })).toBe(true);
    const now = storedMatchers([{ label: 'shard', op: '=', value: '=~.*' }]).matchers;
    expect([matchesAll(now, { shard: '7' }), matchesAll(now, { shard: '=~.*' })]).toEqual([false, true]);
  });

  it('reads a row edited into nonsense, or no longer taken, as matching nothing, saying why and what it holds', () => {
    for (const bad of [
      [{ label: 'a', op: '~', value: '' }],
      { a: 1 },
      [{ label: 'a' }],
      [{ label: 'a', op: '=~', value: '(?!x)' }],
      { a: `=~${'x'.repeat(2000)}` },
    ]) {
      const read = storedMatchers(bad as never);
      expect([matchesAll(read.matchers, {}), matchesAll(read.matchers, { a: '' })]).toEqual([false, false]);
      expect(read.unreadable?.problem).toMatch(/^(0|0\.op|0\.value|a): /);
    }
    expect(storedMatchers({ a: 1 } as never).unreadable?.stored).toEqual([{ label: 'a', op: '=', value: '1' }]);
    expect(storedMatchers([{ label: 'a' }] as never).unreadable?.stored).toEqual([{ label: 'a', op: '=', value: '' }]);
    expect(storedMatchers({ a: `=~${'x'.repeat(2000)}` }).unreadable).toEqual({
      problem:
        "a: is too long: its value has 2000 characters, and a matcher's (after its =~, != or !~) has at most 1024. " +
        'Shorten it, or split it into several silences, windows or rules',
      stored: [{ label: 'a', op: '=~', value: `${'x'.repeat(200)}… (2000 characters)` }],
    });
  });
});

describe('formatMatchers', () => {
  it('writes the map form again, a value to equal that starts with an operator as a regex matching it alone', () => {
    const m = list([
      { label: 'shard', op: '=', value: '=~.*' },
      { label: 'route', op: '=~', value: '/api/.*' },
      { label: 'status', op: '!=', value: '200' },
    ]);
    const map = formatMatchers(m);
    expect(map).toEqual({ shard: '=~=~\\.\\*', route: '=~/api/.*', status: '!=200' });
    const again = parsed(map);
    for (const shard of ['=~.*', '=~x', '1']) {
      expect(matchesAll(again, { shard, route: '/api/x' })).toBe(matchesAll(m, { shard, route: '/api/x' }));
    }
  });
});

describe('the bounds of a matcher', () => {
  it(`holds a value of any operator to ${MATCHER_VALUE_MAX} characters, in both forms`, () => {
    for (const op of ['', '!=', '=~', '!~']) {
      expect(problems({ a: `${op}${'x'.repeat(MATCHER_VALUE_MAX)}` })).toEqual([]);
      expect(problems({ a: `${op}${'x'.repeat(MATCHER_VALUE_MAX + 1)}` })).toEqual([
        `a: is too long: its value has ${MATCHER_VALUE_MAX + 1} characters, and a matcher's (after its =~, != or !~) ` +
          `has at most ${MATCHER_VALUE_MAX}. Shorten it, or split it into several silences, windows or rules`,
      ]);
    }
    expect(problems([{ label: 'a', op: '=', value: 'x'.repeat(MATCHER_VALUE_MAX + 1) }])).toEqual([
      expect.stringMatching(/^0: is too long: its value has 1025 characters, /),
    ]);
    // Issue 13 review r13c's reproducers: 2,500 groups of one alternative (a 500 after 5.4 s), 2,000 of two (8.2 s).
    expect(problems({ alertname: `=~Api${'(D)'.repeat(2500)}` })).toEqual([
      expect.stringMatching(/^alertname: is too long: its value has 7503 /),
    ]);
    expect(problems({ alertname: `=~${'(A|B)'.repeat(2000)}` })).toEqual([
      expect.stringMatching(/^alertname: is too long: its value has 10000 /),
    ]);
  });

  it(`holds a regex to ${REGEX_PROGRAM_MAX} instructions, and takes it nested as deep as its length allows`, () => {
    expect(problems({ alertname: '=~(?:P0){999}' })).toEqual([]);
    expect(problems({ alertname: '=~(?:P0){1000}' })).toEqual([
      `alertname: is too large a regular expression: it compiles to 2002 instructions, and one takes at most ` +
        `${REGEX_PROGRAM_MAX} (a counted repetition {n} repeats what it follows n times). Write it smaller`,
    ]);
    // 512 groups inside groups, the most a value of 1024 characters holds: RE2's parser takes them (V8's compiled
    // recursively and overflowed its stack, so they were bounded at 32).
    const nested = `${'('.repeat(MATCHER_VALUE_MAX / 2)}${')'.repeat(MATCHER_VALUE_MAX / 2)}`;
    const m = parsed({ a: `=~${nested}` });
    expect([matchesAll(m, { a: '' }), matchesAll(m, { a: 'x' })]).toEqual([true, false]);
  });
});

describe('a regex matcher, RE2 as in Prometheus and Alertmanager', () => {
  it("matches in linear time: (a+)+b over 40 a's (issue 13 review r13e; V8 doubled its time with each a)", () => {
    const m = parsed({ instance: '=~(a+)+b' });
    expect([matchesAll(m, { instance: 'a'.repeat(40) }), matchesAll(m, { instance: `${'a'.repeat(40)}b` })]).toEqual([
      false,
      true,
    ]);
  });

  it('matches the whole value, (?i) as in Alertmanager', () => {
    const m = parsed({ severity: '=~(?i)critical', team: '!~ops|db' });
    expect(matchesAll(m, { severity: 'CRITICAL', team: 'web' })).toBe(true);
    expect(matchesAll(m, { severity: 'critical!', team: 'web' })).toBe(false);
    expect(matchesAll(m, { severity: 'critical', team: 'db' })).toBe(false);
    expect(matchesAll(m, { severity: 'critical', team: 'dba' })).toBe(true);
  });

  it('refuses a lookahead, a lookbehind and a backreference, saying RE2 has none', () => {
    const hint =
      'regexes are RE2 syntax, as in Prometheus and Alertmanager, which has no lookahead, lookbehind nor backreference';
    expect(problems({ a: '=~(?=x)x', b: '!~(?<!y)x', c: '=~(x)\\1' })).toEqual([
      `a: is not a regular expression (invalid or unsupported Perl syntax; ${hint})`,
      `b: is not a regular expression (invalid named capture; ${hint})`,
      `c: is not a regular expression (invalid escape sequence; ${hint})`,
    ]);
  });
});
