// The pattern thread the http probe's body_regex and the docker probe's logs.pattern are matched in: which texts
// match, one request at a time in the order asked, a request stopped by its run's signal while waiting or matching,
// and a pattern the thread cannot compile.
import { describe, expect, it } from 'vitest';
import { matchingIndices, PatternUnfinished } from '../../src/probes/pattern-match.js';
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
    const behind = matchingIndices({ source: 'x' }, ['x'], second.signal);
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

  it('says so, quoting none of it, of a pattern the thread cannot compile, and goes on', async () => {
    await expect(matchingIndices({ source: '(secret' }, ['x'], running)).rejects.toThrow(
      'the pattern is not a regular expression here (missing closing ))',
    );
    expect(await matchingIndices({ source: 'x' }, ['x'], running)).toEqual([0]);
  });
});
