// Whatever a target sends, the exposition parser and the metrics probe answer with samples or a clear error.
import { describe } from 'vitest';
import { fuzzProperty } from '../support/fuzz-suite.js';
import { expositionTarget, metricsTarget } from '../support/fuzz-targets.js';

describe('the exposition parser, on generated bodies of both formats', () => {
  fuzzProperty(
    'gives well-formed samples or an ExpositionError on a line of the body, the same for any chunking and any select()',
    expositionTarget,
    400,
  );
});

describe('the metrics probe, on two scrapes of generated bodies', () => {
  fuzzProperty('returns a result of the documented shape, never a throw', metricsTarget, 80);
});
