// The release of a held alert as a table of timelines: what each evaluation saw of its probe, and whether it pages.
import { describe, expect, it } from 'vitest';
import { type Release, type ReleaseLook, release } from '../../src/rules/release.js';

const SEC = 1_000;
const timing = { every: 15 * SEC, timeout: 5 * SEC, lookback: 0 };
const rule = { for: 0, afterFailures: 1, retryEvery: undefined };

/** Runs the looks in order (`+` a breaching run, `-` a run back under the threshold, `.` no run), 5 s apart. */
function timeline(
  looks: string,
  fromCause: boolean,
  r: Partial<typeof rule> = {},
  t: Partial<typeof timing> = {},
): string {
  let prev: Release | undefined;
  let out = '';
  [...looks].forEach((c, i) => {
    const look: ReleaseLook = { now: i * 5 * SEC, ran: c !== '.', breaching: c !== '-', lastLooked: undefined };
    const verdict = release(prev, fromCause, { ...rule, ...r }, { ...timing, ...t }, look);
    out += verdict.held ? 'h' : 'P';
    prev = verdict.held ? verdict.release : undefined;
  });
  return out;
}

describe('release', () => {
  it.each([
    ['a silence: the first run that still breaches pages', '.+', false, {}, {}, 'hP'],
    ['a silence: a run back under the threshold keeps it held', '.-', false, {}, {}, 'hh'],
    ['a silence: no run within two timeouts, the last value decides', '...', false, {}, {}, 'hhP'],
    ['a cause: for 0, one breaching run pages', '+', true, {}, {}, 'P'],
    [
      'a cause: after_failures 3 needs three breaching runs in a row',
      '++-+++',
      true,
      { afterFailures: 3 },
      {},
      'hhhhhP',
    ],
    ['a cause: its `for` counts from the first breaching run', '+++++', true, { for: 15 * SEC }, {}, 'hhhPh'],
    ['a cause: a run under the threshold starts the `for` over', '++-++++', true, { for: 10 * SEC }, {}, 'hhhhhPh'],
    ['a cause: at least the metrics window', '++++', true, {}, { lookback: 15 * SEC }, 'hhhP'],
    ['a cause: no run, no verdict', '....', true, {}, {}, 'hhhh'],
  ])('%s', (_what, looks, fromCause, r, t, expected) => {
    // After a page the timeline starts over (a new release), which the trailing letters show.
    expect(timeline(looks, fromCause, r, t)).toBe(expected);
  });

  it('asks the probe to run at once, then every retry_every while confirming again', () => {
    const first = release(undefined, true, { ...rule, afterFailures: 3, retryEvery: 10 * SEC }, timing, {
      now: 0,
      ran: false,
      breaching: true,
      lastLooked: undefined,
    });
    expect(first).toMatchObject({ held: true, ask: 0 });
    if (!first.held) return;
    const next = release(first.release, true, { ...rule, afterFailures: 3, retryEvery: 10 * SEC }, timing, {
      now: SEC,
      ran: true,
      breaching: true,
      lastLooked: SEC,
    });
    expect(next).toMatchObject({ held: true, ask: 10 * SEC, release: { runs: 1, streakSince: SEC } });
  });
});
