// Whatever JSON (or not) a target answers, the probes that read JSON return a result with a reason, never a throw.
import { describe } from 'vitest';
import { fuzzProperty } from '../support/fuzz-suite.js';
import { httpJsonTarget, wsStatsTarget } from '../support/fuzz-targets.js';

describe('the ws_stats probe, on generated /ws/stats answers', () => {
  fuzzProperty('returns counts and ages that are numbers ≥ 0, or says what it cannot measure', wsStatsTarget, 150);
});

describe("the http probe's expect.json, on generated bodies", () => {
  fuzzProperty('returns up or down with a reason, never a throw', httpJsonTarget, 150);
});
