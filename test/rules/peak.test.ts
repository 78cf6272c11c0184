// The worst breach of an episode: kept while pending and firing, across a restart, started afresh by the next
// episode; the resolution carries it, with the summary as it read then, for the all-clear.
import { afterEach, expect, it } from 'vitest';
import { probe, RulesHarness } from '../support/rules.js';

const harnesses: RulesHarness[] = [];
afterEach(() => {
  for (const h of harnesses.splice(0)) h.close();
});

const config = {
  probes: [probe('api'), probe('disk')],
  rules: [
    {
      name: 'ApiErrorRateHigh',
      sample: 'api.error_percent',
      op: '>',
      thresholds: { P1: 5, P2: 1 },
      clear_for: '1m',
      summary: '{{ value }} % of API requests fail with 5xx (over {{ threshold }} %)',
    },
    {
      name: 'DiskFreeLow',
      sample: 'disk.free_percent',
      op: '<',
      thresholds: { P1: 5, P2: 10 },
      summary: '{{ value }} % free',
    },
  ],
};

function harness(): RulesHarness {
  const h = new RulesHarness(config);
  harnesses.push(h);
  return h;
}

it('the all-clear carries the worst breach: the most urgent priority, then the furthest value', async () => {
  const h = harness();
  for (const v of [2, 7.2, 6, 3]) {
    h.run('api', { error_percent: v });
    await h.advance(15_000);
  }
  h.restart();
  h.run('api', { error_percent: 0 });
  await h.advance(60_000);
  const [resolved] = h.run('api', { error_percent: 0 });
  expect(resolved?.type).toBe('resolved');
  expect(resolved?.alert).toMatchObject({
    value: 0,
    summary: '0 % of API requests fail with 5xx (over 1 %)',
    peak: { value: 7.2, priority: 'P1', threshold: 5, summary: '7.2 % of API requests fail with 5xx (over 5 %)' },
  });
});

it('for a rule that fires below its thresholds, the worst is the lowest value', async () => {
  const h = harness();
  for (const v of [8, 3, 4]) {
    h.run('disk', { free_percent: v });
    await h.advance(15_000);
  }
  expect(h.alert('DiskFreeLow')?.alert.peak).toMatchObject({ value: 3, priority: 'P1', threshold: 5 });
});

it('a new episode starts its worst afresh', async () => {
  const h = harness();
  h.run('api', { error_percent: 9 });
  await h.advance(15_000);
  h.run('api', { error_percent: 0 });
  await h.advance(60_000);
  expect(h.run('api', { error_percent: 0 }).map((e) => e.type)).toEqual(['resolved']);
  await h.advance(15_000);
  const [firing] = h.run('api', { error_percent: 2 });
  expect(firing?.alert.peak).toMatchObject({ value: 2, priority: 'P2', threshold: 1 });
});
