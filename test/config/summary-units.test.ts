// A rule's summary shows its value in the unit of the sample it watches: an error rate reads "6.2 %", a latency
// "0.31 s", in the shipped and in the demo configuration alike (a bare number is the reader's guess).
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { compileRules } from '../../src/rules/rule.js';
import { SHIPPED_ENV } from '../support/shipped-env.js';

const DEMO_ENV = { DEMO_TARGET_URL: 'http://127.0.0.1:1', DEMO_SINK_URL: 'http://127.0.0.1:1' };

/** The units a sample's name allows, by its suffix: seconds read as `0.31 s` or, when long, as `7 min`. */
const UNITS_OF_SUFFIX: [RegExp, string[]][] = [
  [/_percent(_interval)?$/, ['percent']],
  [/_seconds$/, ['seconds', 'duration']],
];

describe.each([
  ['config', SHIPPED_ENV],
  ['demo/config', DEMO_ENV],
])('the rules of %s', (dir, env) => {
  it('show a percent or seconds sample in its unit', async () => {
    const { rules } = compileRules((await loadConfig({ dir, env })).alerts);
    expect(rules.length).toBeGreaterThan(3);
    const wrong = rules.flatMap((r) => {
      const allowed = UNITS_OF_SUFFIX.find(([suffix]) => suffix.test(r.sample))?.[1];
      return allowed && !allowed.includes(r.unit) ? [`${r.name}: ${r.unit}, not ${allowed.join(' or ')}`] : [];
    });
    expect(wrong).toEqual([]);
  });
});
