// Whatever text and environment it is given, the loader returns a configuration or throws a ConfigError with
// positioned issues, never anything else; it emits no Node warning and quotes no value from the environment.
// The inputs and the checks are the fuzz suite's (test/support/fuzz-generators.ts, fuzz-targets.ts).
import { describe } from 'vitest';
import { configInputs } from '../support/fuzz-generators.js';
import { fuzzProperty } from '../support/fuzz-suite.js';
import { configTarget } from '../support/fuzz-targets.js';

describe('the loader never throws anything but ConfigError', () => {
  // YAML-like text, YAML of every shape (tags, directives, documents, block scalars) and anchors, aliases and merge
  // keys put together at random, each in place of one file beside the smallest valid files.
  fuzzProperty('for random YAML in any file', configTarget, 200, configInputs.text);
  fuzzProperty(
    'for random edits of the text: a character deleted, inserted or a line dropped',
    configTarget,
    100,
    configInputs.edits,
  );
  fuzzProperty('for random values put anywhere in a configuration', configTarget, 100, configInputs.value);
  fuzzProperty(
    'for ${LEAK} put anywhere in a configuration, never quoting its value',
    configTarget,
    60,
    configInputs.leak,
  );
  fuzzProperty('for random environments', configTarget, 30, configInputs.env);
  // Many groups, groups inside groups and long alternations where the config holds matchers on alert names.
  fuzzProperty('for heavy regexes in inhibitions, windows and rules', configTarget, 60, configInputs.matcher);
});
