// A fuzz target as a vitest property: started before the file's tests, each input checked, `numRuns` inputs (kept
// small so that a file takes a few seconds; bench/fuzz.ts runs a million of the same).
import fc from 'fast-check';
import { afterAll, beforeAll, it } from 'vitest';
import type { FuzzRun, FuzzTarget } from './fuzz-targets.js';

/** Registers one test running `target`'s property over `numRuns` inputs from `arbitrary` (the target's own by default). */
export function fuzzProperty<T>(
  title: string,
  target: FuzzTarget<T>,
  numRuns: number,
  arbitrary: fc.Arbitrary<T> = target.arbitrary,
): void {
  let run: FuzzRun<T> | undefined;
  beforeAll(async () => {
    run = await target.start();
  });
  afterAll(() => run?.close());
  it(title, async () => {
    const started = run as FuzzRun<T>;
    await fc.assert(
      fc.asyncProperty(arbitrary, async (input) => {
        await started.check(input);
      }),
      { numRuns },
    );
  });
}
