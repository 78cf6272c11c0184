// The holds an evaluation works with (DraftHolds): its changes stay apart from the holds it started from until commit.
import { describe, expect, it } from 'vitest';
import type { Hold } from '../../src/rules/alert.js';
import { DraftHolds, freshHolds, mergeHolds } from '../../src/rules/holds.js';

const silenced: Hold[] = [{ kind: 'silenced', id: 's1' }];
const inhibited: Hold[] = [{ kind: 'inhibited', id: 'root' }];

describe('DraftHolds', () => {
  it('reads through to the holds it started from, and changes nothing of them before commit', () => {
    const committed = new Map<string, Hold[]>([
      ['a', silenced],
      ['b', []],
    ]);
    const draft = new DraftHolds(committed);
    draft.set('c', inhibited);
    draft.delete('a');
    expect([draft.get('a'), draft.get('b'), draft.get('c')]).toEqual([undefined, [], inhibited]);
    expect([draft.has('a'), draft.has('b'), draft.has('d')]).toEqual([false, true, false]);
    // An evaluation that is not committed (its unit of work rolled back) leaves the committed holds as they were.
    expect([...committed]).toEqual([
      ['a', silenced],
      ['b', []],
    ]);
  });

  it('commits into the holds it started from, in place; from others, into a new map that leaves them alone', () => {
    const committed = new Map<string, Hold[]>([['a', silenced]]);
    const draft = new DraftHolds(committed);
    draft.set('b', inhibited);
    draft.delete('a');
    expect(draft.commit(committed)).toBe(committed);
    expect([...committed]).toEqual([['b', inhibited]]);

    const other = new Map<string, Hold[]>([['z', silenced]]);
    const fresh = new DraftHolds();
    fresh.set('a', []);
    const next = fresh.commit(other);
    expect(next).not.toBe(other);
    expect([...next]).toEqual([['a', []]]);
    expect([...other]).toEqual([['z', silenced]]);
  });

  it('merges as the full map did: dropped ids go, computed ones replace, the others keep their holds', () => {
    const previous = {
      holds: new Map<string, Hold[]>([
        ['x', inhibited],
        ['y', silenced],
        ['gone', silenced],
      ]),
      inhibits: new Map([['root', ['x', 'old']]]),
    };
    const computed = { holds: new Map<string, Hold[]>([['x', []]]), inhibits: new Map([['root', ['new']]]) };
    const { holds, inhibits } = mergeHolds(previous, computed, new Set(['x', 'root']), ['gone']);
    expect([...holds.commit(new Map())]).toEqual([
      ['x', []],
      ['y', silenced],
    ]);
    expect([...inhibits]).toEqual([['root', ['new', 'old']]]);
    expect([...freshHolds(computed).holds.commit(previous.holds)]).toEqual([['x', []]]);
  });
});
