// Label matchers: an empty value equals an absent label, as in Prometheus and Alertmanager, in the map form and in
// the text form amtool writes (`b=""`), and every part of centinela that matches labels matches through matchesAll.
import { describe, expect, it } from 'vitest';
import { matcherEntry, matchesAll, parseMatchers } from '../src/matchers.js';

const parsed = (map: Record<string, string>) => {
  const p = parseMatchers(map);
  if (!('matchers' in p)) throw new Error(p.problems.join('; '));
  return p.matchers;
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

describe('matcherEntry', () => {
  it.each([
    // amtool's quoted form: b="" is the empty value, which an absent label matches.
    ['b=""', ['b', '']],
    ['b!=""', ['b', '!=']],
    ['alertname="ApiDown"', ['alertname', 'ApiDown']],
    ['alertname=ApiDown', ['alertname', 'ApiDown']],
    ['b=', ['b', '']],
    // \" \\ and \n are escapes; any other backslash stays, so a regex needs no doubling.
    ['route=~"/api/\\d+"', ['route', '=~/api/\\d+']],
    ['note="say \\"hi\\" \\\\ bye"', ['note', 'say "hi" \\ bye']],
    ['note="a\\nb"', ['note', 'a\nb']],
    // Not a quoted value: kept as written.
    ['note="open', ['note', '"open']],
    ['note="ends escaped\\"', ['note', '"ends escaped\\"']],
    ['note="', ['note', '"']],
    ['note=a "quoted" word', ['note', 'a "quoted" word']],
  ])('reads %s', (text, entry) => {
    expect(matcherEntry(text)).toEqual(entry);
  });

  it('gives matchers that match as the map form does', () => {
    const [label, value] = matcherEntry('b!=""') ?? [];
    const m = parsed({ [label ?? '']: value ?? '' });
    expect([matchesAll(m, {}), matchesAll(m, { b: 'x' })]).toEqual([false, true]);
  });
});
