// OneCallPerKey with calls that never return (a statfs on a hung mount) and calls that settle.
import { describe, expect, it } from 'vitest';
import { OneCallPerKey, StillWaiting } from '../../src/probes/one-call-per-key.js';

const never = () => new Promise<never>(() => {});

describe('OneCallPerKey', () => {
  it('starts no second call for a key whose call never returns, and says how long it has waited', async () => {
    const calls = new OneCallPerKey();
    let started = 0;
    const hung = () => {
      started++;
      return never();
    };
    void calls.start('statfs of /mnt/nfs', 1_000, hung);
    for (let run = 1; run <= 5; run++) {
      const again = calls.start('statfs of /mnt/nfs', 1_000 + run * 30_000, hung);
      await expect(again).rejects.toThrow(StillWaiting);
      await expect(again).rejects.toThrow(
        `still waiting for the previous statfs of /mnt/nfs (started ${run * 30} s ago)`,
      );
    }
    expect(started).toBe(1);
    // Another key is not held up by it.
    expect(await calls.start('statfs of /', 200_000, async () => 'measured')).toBe('measured');
  });

  it('starts a new call once the previous one has settled, resolved or rejected', async () => {
    const calls = new OneCallPerKey();
    let finish = (_: number) => {};
    const first = calls.start('walk of logs', 0, () => new Promise<number>((resolve) => (finish = resolve)));
    await expect(calls.start('walk of logs', 1, async () => 0)).rejects.toThrow(StillWaiting);
    finish(42);
    expect(await first).toBe(42);
    expect(await calls.start('walk of logs', 2, async () => 7)).toBe(7);
    const failed = calls.start('walk of logs', 3, async () => {
      throw new Error('EACCES');
    });
    await expect(failed).rejects.toThrow('EACCES');
    expect(await calls.start('walk of logs', 4, async () => 8)).toBe(8);
  });
});
