import { afterEach, describe, expect, it } from 'vitest';
import { parseMatchers } from '../../src/matchers.js';
import { type Inhibitable, inhibitions } from '../../src/rules/inhibit.js';
import { probe, RulesHarness, summarize } from '../support/rules.js';

const harnesses: RulesHarness[] = [];
afterEach(() => {
  for (const h of harnesses.splice(0)) h.close();
});

const config = {
  probes: [probe('api'), probe('api_health')],
  rules: [
    { name: 'ApiDown', sample: 'api_health.up', op: '==', thresholds: { P0: 0 } },
    { name: 'ApiLatencyHigh', sample: 'api.latency_p95_seconds', op: '>', thresholds: { P2: 0.2 } },
    { name: 'ApiErrorRateHigh', sample: 'api.error_percent', op: '>', thresholds: { P1: 5 } },
  ],
  inhibit: [{ source: { alertname: 'ApiDown' }, target: { alertname: '=~ApiLatencyHigh|ApiErrorRateHigh' } }],
};

const healthRun = (up: boolean, at: number) => ({
  probe: 'api_health',
  up,
  samples: [{ name: 'api_health.up', labels: {}, value: up ? 1 : 0 }],
  at,
});
const apiRun = (latency: number, errors: number, at: number) => ({
  probe: 'api',
  up: true,
  samples: [
    { name: 'api.latency_p95_seconds', labels: {}, value: latency },
    { name: 'api.error_percent', labels: {}, value: errors },
  ],
  at,
});

describe('inhibition', () => {
  it('holds targets while the source fires; the source page lists them; release pages what still fires', async () => {
    const h = new RulesHarness(config);
    harnesses.push(h);
    const now = h.clock.now();
    const events = h.evaluate([healthRun(false, now), apiRun(0.9, 30, now)]);
    expect(summarize(events)).toEqual([
      'firing ApiDown P0',
      'firing ApiLatencyHigh P2 held:inhibited',
      'firing ApiErrorRateHigh P1 held:inhibited',
    ]);
    const [source, latency, errors] = events;
    expect(source?.alert.inhibits).toEqual([latency?.alert.id, errors?.alert.id]);
    expect(latency?.alert.suppressedBy).toEqual([{ kind: 'inhibited', id: source?.alert.id }]);
    // The error rate clears while held: its resolution is told (held), whoever was paged hears it.
    expect(summarize(h.evaluate([apiRun(0.9, 0, now)]))).toEqual(['resolved ApiErrorRateHigh P1 held:inhibited']);
    // The source resolves; the latency alert, released, pages at its probe's next run, which still breaches.
    expect(summarize(h.evaluate([healthRun(true, now)]))).toEqual(['resolved ApiDown P0']);
    await h.advance(1000);
    expect(summarize(h.evaluate([apiRun(0.9, 0, h.clock.now())]))).toEqual(['firing ApiLatencyHigh P2']);
  });

  it('a target firing before its source is held once the source fires', () => {
    const h = new RulesHarness(config);
    harnesses.push(h);
    // The cause's probe has looked and found the API up, so the latency alert does not wait for it.
    h.runSamples('api_health', []);
    expect(summarize(h.run('api', { latency_p95_seconds: 0.9, error_percent: 0 }))).toEqual([
      'firing ApiLatencyHigh P2',
    ]);
    expect(summarize(h.down('api_health'))).toEqual(['firing ApiDown P0', 'firing ApiLatencyHigh P2 held:inhibited']);
    expect(h.alert('ApiDown')?.alert.inhibits).toEqual([h.alert('ApiLatencyHigh')?.alert.id]);
  });

  it('only across equal labels; an alert never inhibits itself', () => {
    const m = (map: Record<string, string>) => {
      const p = parseMatchers(map);
      if (!('matchers' in p)) throw new Error('bad matchers');
      return p.matchers;
    };
    const rules = [
      { source: m({ alertname: 'DbDown' }), target: m({ severity: '=~.+' }), equal: ['instance'] },
      { source: m({ alertname: 'Any' }), target: m({ alertname: 'Any' }), equal: [] },
    ];
    const alerts: Inhibitable[] = [
      { id: 'db-a', labels: { alertname: 'DbDown', instance: 'a', severity: 'x' }, firing: true },
      { id: 'slow-a', labels: { alertname: 'Slow', instance: 'a', severity: 'x' }, firing: true },
      { id: 'slow-b', labels: { alertname: 'Slow', instance: 'b', severity: 'x' }, firing: true },
      { id: 'any', labels: { alertname: 'Any' }, firing: true },
      { id: 'pending-src', labels: { alertname: 'DbDown', instance: 'b' }, firing: false },
    ];
    expect(inhibitions(rules, alerts)).toEqual(new Map([['slow-a', ['db-a']]]));
  });

  it('takes an empty value as an absent label, in source, target and equal', () => {
    const m = (map: Record<string, string>) => {
      const p = parseMatchers(map);
      if (!('matchers' in p)) throw new Error('bad matchers');
      return p.matchers;
    };
    // A source without a shard holds the targets that have one and those with none only where `equal` agrees: an
    // absent shard equals an empty one.
    const rules = [{ source: m({ alertname: 'DbDown', shard: '' }), target: m({ shard: '!=' }), equal: ['zone'] }];
    const alerts: Inhibitable[] = [
      { id: 'db', labels: { alertname: 'DbDown', zone: '' }, firing: true },
      { id: 'db-shard', labels: { alertname: 'DbDown', shard: '1' }, firing: true },
      { id: 'lag-1', labels: { alertname: 'Lag', shard: '1' }, firing: true },
      { id: 'lag-empty', labels: { alertname: 'Lag', shard: '' }, firing: true },
      { id: 'lag-none', labels: { alertname: 'Lag' }, firing: true },
      { id: 'lag-zone', labels: { alertname: 'Lag', shard: '2', zone: 'b' }, firing: true },
    ];
    expect(inhibitions(rules, alerts)).toEqual(
      new Map([
        ['lag-1', ['db']],
        ['db-shard', ['db']],
      ]),
    );
  });
});
