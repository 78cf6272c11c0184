// Whatever a caller sends to the API of a real daemon on loopback, it answers without a 5xx, and every refusal is a
// JSON error with a documented code that says what is wrong.
import { describe } from 'vitest';
import { heavyMatcherRequest } from '../support/fuzz-generators.js';
import { fuzzProperty } from '../support/fuzz-suite.js';
import { apiTarget } from '../support/fuzz-targets.js';

describe('the API, on generated requests to every POST endpoint and a few others', () => {
  fuzzProperty('never answers 5xx; every refusal is a documented JSON error naming the problem', apiTarget, 250);
  // Many groups, groups inside groups and long alternations in a silence's or window's matcher on a name.
  fuzzProperty(
    'answers a heavy regex matcher in a silence or window without a 5xx',
    apiTarget,
    40,
    heavyMatcherRequest,
  );
});
