// The pattern thread the http probe's body_regex and the docker probe's logs.pattern are matched in: which texts
// match, one request at a time in the order asked, a request stopped by its run's signal while waiting or matching,
// and a pattern the thread cannot compile.
import { describe, expect, it } from 'vitest';
import { IN_LOOP_COST, matchedInLoop, matchingIndices, PatternUnfinished } from '../../src/probes/pattern-match.js';
import { WORST_PATTERN, worstRegexText } from '../support/worst-regex-text.js';

const running = new AbortController().signal;
const timedOut = () => new DOMException('timed out after 10s', 'TimeoutError');

describe('matchingIndices', () => {
  it('gives the indices of the texts the pattern is found in, with the case ignored when asked', async () => {
    expect(await matchingIndices({ source: 'b' }, ['a', 'B', 'cb', ''], running)).toEqual([2]);
    expect(await matchingIndices({ source: 'b', ignoreCase: true }, ['a', 'B', 'cb', ''], running)).toEqual([1, 2]);
    expect(await matchingIndices({ source: '^$' }, [], running)).toEqual([]);
  });

  it('stops a request waiting behind another and the one being matched, then starts a new thread', async () => {
    const first = new AbortController();
    const second = new AbortController();
    const worst = matchingIndices({ source: WORST_PATTERN }, [worstRegexText(1_048_576)], first.signal);
    // Dear enough to be matched in the thread too, where it waits behind the first.
    const behind = matchingIndices({ source: 'x' }, ['y'.repeat(IN_LOOP_COST)], second.signal);
    second.abort(timedOut());
    await expect(behind).rejects.toThrow(new PatternUnfinished('timed out after 10s', false));
    first.abort(timedOut());
    await expect(worst).rejects.toThrow(new PatternUnfinished('timed out after 10s', true));
    expect(await matchingIndices({ source: 'x' }, ['x'], running)).toEqual([0]);
  });

  it('refuses a signal that has fired already', async () => {
    const stopped = new AbortController();
    stopped.abort(timedOut());
    await expect(matchingIndices({ source: 'x' }, ['x'], stopped.signal)).rejects.toThrow(
      new PatternUnfinished('timed out after 10s', false),
    );
  });

  it('says so, quoting none of it, of a pattern that cannot be compiled, and goes on', async () => {
    await expect(matchingIndices({ source: '(secret' }, ['x'], running)).rejects.toThrow(
      'the pattern is not a regular expression (missing closing ))',
    );
    expect(await matchingIndices({ source: 'x' }, ['x'], running)).toEqual([0]);
  });

  it('matches in the loop what costs little, by instructions times characters, and the rest in the thread', () => {
    expect(matchedInLoop(10, ['a'.repeat(IN_LOOP_COST / 10)])).toBe(true);
    expect(matchedInLoop(10, ['a', 'a'.repeat(IN_LOOP_COST / 10 + 1)])).toBe(false);
    expect(matchedInLoop(2000, ['a'.repeat(15)])).toBe(true);
    expect(matchedInLoop(2000, ['a'.repeat(16)])).toBe(false);
  });

  it('matches a cheap text in the loop at once: it is matched before a stop that comes after the call', async () => {
    const stopped = new AbortController();
    const cheap = matchingIndices({ source: 'error', ignoreCase: true }, ['an ERROR here'], stopped.signal);
    const dear = matchingIndices({ source: 'error' }, ['e'.repeat(IN_LOOP_COST)], stopped.signal);
    stopped.abort(timedOut());
    expect(await cheap).toEqual([0]);
    await expect(dear).rejects.toThrow(new PatternUnfinished('timed out after 10s', true));
  });

  it('lets the loop turn between texts matched in it, and stops at a turn when the run is stopped', async () => {
    // 'error' (case ignored) is the docker probe's default; each line is cheap, the batch is not.
    const lines = Array.from({ length: 200 }, (_, i) => `${'x'.repeat(4_000)} ${i % 50 === 0 ? 'ERROR' : 'ok'}`);
    let turned = false;
    setImmediate(() => {
      turned = true;
    });
    expect(await matchingIndices({ source: 'error', ignoreCase: true }, lines, running)).toEqual([0, 50, 100, 150]);
    expect(turned).toBe(true);
    const stopped = new AbortController();
    setImmediate(() => stopped.abort(timedOut()));
    await expect(matchingIndices({ source: 'error', ignoreCase: true }, lines, stopped.signal)).rejects.toThrow(
      new PatternUnfinished('timed out after 10s', true),
    );
  });
});
