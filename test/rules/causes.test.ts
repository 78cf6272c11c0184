// Causes confirm before symptoms page: a symptom that an inhibition source could explain waits, bounded, for that
// source's probe to look and for a pending source to confirm; then it fires held back by the cause, or on its own.
import { afterEach, describe, expect, it } from 'vitest';
import { alertsFile } from '../../src/config/schema.js';
import { DEFAULT_READING } from '../../src/locale/locale.js';
import { compileAlerting } from '../../src/rules/alerting.js';
import { confirmationWindow } from '../../src/rules/causes.js';
import { probe, RulesHarness, summarize } from '../support/rules.js';

const harnesses: RulesHarness[] = [];
afterEach(() => {
  for (const h of harnesses.splice(0)) h.close();
});

const SEC = 1000;

// As shipped: the health check every 15 s (timeout 5 s) confirms ApiDown after three failures 5 s apart.
const config = {
  probes: [
    { ...probe('api_health'), every: '15s', timeout: '5s' },
    { ...probe('ws'), every: '15s', timeout: '5s' },
  ],
  rules: [
    {
      name: 'ApiDown',
      sample: 'api_health.up',
      op: '==',
      thresholds: { P0: 0 },
      after_failures: 3,
      retry_every: '5s',
    },
    { name: 'WebSocketDown', sample: 'ws.up', op: '==', thresholds: { P1: 0 }, clear_for: '10s' },
  ],
  inhibit: [{ source: { alertname: 'ApiDown' }, target: { alertname: 'WebSocketDown' } }],
};

function harness(): RulesHarness {
  const h = new RulesHarness(config);
  harnesses.push(h);
  return h;
}

describe('causes first', () => {
  it('the window of ApiDown as shipped: two 5 s re-checks after the first run, each run up to its 5 s timeout', () => {
    const { alerting } = compileAlerting(alertsFile.parse(config), DEFAULT_READING);
    const apiDown = alerting.rules.find((r) => r.name === 'ApiDown');
    if (!apiDown) throw new Error('no ApiDown');
    expect(confirmationWindow(apiDown, alerting.probeTiming.get('api_health'))).toBe(20 * SEC);
  });

  it('a symptom waits for the cause whose probe has not looked, asks that probe to run, and fires held by it', async () => {
    const h = harness();
    // The API is killed: the WebSocket probe notices first.
    expect(h.down('ws')).toEqual([]);
    expect(h.state('WebSocketDown')).toBe('pending');
    expect(h.last?.retry).toEqual([{ probe: 'api_health', every: 0 }]);
    // The health check runs at once and fails: ApiDown is pending, so the symptom keeps waiting.
    await h.advance(1 * SEC);
    expect(h.down('api_health')).toEqual([]);
    await h.advance(5 * SEC);
    expect(h.down('api_health')).toEqual([]);
    expect(h.down('ws')).toEqual([]);
    expect(h.state('WebSocketDown')).toBe('pending');
    // ApiDown confirms: one page, the cause's, listing the symptom it holds back.
    await h.advance(5 * SEC);
    const events = h.down('api_health');
    expect(summarize(events)).toEqual(['firing ApiDown P0', 'firing WebSocketDown P1 held:inhibited']);
    expect(events[0]?.alert.inhibits).toEqual([events[1]?.alert.id]);
  });

  it('fires on its own as soon as the cause has looked and found nothing', async () => {
    const h = harness();
    expect(h.down('ws')).toEqual([]);
    await h.advance(1 * SEC);
    expect(summarize(h.runSamples('api_health', []))).toEqual(['firing WebSocketDown P1']);
  });

  it('fires on its own when a pending cause clears instead of confirming', async () => {
    const h = harness();
    h.down('ws');
    await h.advance(1 * SEC);
    h.down('api_health');
    expect(h.state('ApiDown')).toBe('pending');
    await h.advance(5 * SEC);
    expect(summarize(h.runSamples('api_health', []))).toEqual(['firing WebSocketDown P1']);
  });

  it('waits no longer than the cause’s window, even when the cause’s probe never runs', async () => {
    const h = harness();
    h.down('ws');
    await h.advance(20 * SEC - 1);
    expect(h.tick()).toEqual([]);
    await h.advance(1);
    expect(summarize(h.tick())).toEqual(['firing WebSocketDown P1']);
  });

  describe('across a restart mid-wait', () => {
    it('still fires at the end of the window on a tick, without another breaching run', async () => {
      const h = harness();
      h.down('ws');
      await h.advance(10 * SEC);
      h.restart();
      expect(h.tick()).toEqual([]);
      await h.advance(10 * SEC - 1);
      expect(h.tick()).toEqual([]);
      await h.advance(1);
      expect(summarize(h.tick())).toEqual(['firing WebSocketDown P1']);
    });

    it('does not fire early at a breaching run within the window: it asks the cause to look again', async () => {
      const h = harness();
      h.down('ws');
      await h.advance(10 * SEC);
      h.restart();
      await h.advance(5 * SEC);
      expect(h.down('ws')).toEqual([]);
      expect(h.state('WebSocketDown')).toBe('pending');
      expect(h.last?.retry).toEqual([{ probe: 'api_health', every: 0 }]);
    });

    it('fires held back by a cause that was pending before the restart and confirms after it', async () => {
      const h = harness();
      h.down('ws');
      await h.advance(1 * SEC);
      h.down('api_health');
      await h.advance(5 * SEC);
      h.down('api_health');
      h.restart();
      await h.advance(5 * SEC);
      expect(summarize(h.down('api_health'))).toEqual(['firing ApiDown P0', 'firing WebSocketDown P1 held:inhibited']);
    });
  });

  it('gives a cause that starts pending late its whole window from its own start', async () => {
    const h = new RulesHarness({ ...config, rules: [config.rules[0], { ...config.rules[1], for: '60s' }] });
    harnesses.push(h);
    h.down('ws');
    await h.advance(1 * SEC);
    h.runSamples('api_health', []);
    await h.advance(59 * SEC);
    // The API fails only now: ApiDown is pending; the symptom, confirmed on its own, waits for it.
    expect(h.down('api_health')).toEqual([]);
    expect(h.down('ws')).toEqual([]);
    await h.advance(5 * SEC);
    h.down('api_health');
    await h.advance(5 * SEC);
    expect(summarize(h.down('api_health'))).toEqual(['firing ApiDown P0', 'firing WebSocketDown P1 held:inhibited']);
  });

  it('a pending alert that no cause holds never fires on time alone, without a breaching run', async () => {
    const h = new RulesHarness({
      ...config,
      rules: [config.rules[0], { ...config.rules[1], for: '60s' }],
    });
    harnesses.push(h);
    h.runSamples('api_health', []);
    await h.advance(1 * SEC);
    expect(h.down('ws')).toEqual([]);
    await h.advance(61 * SEC);
    expect(h.tick()).toEqual([]);
    expect(h.state('WebSocketDown')).toBe('pending');
    expect(summarize(h.down('ws'))).toEqual(['firing WebSocketDown P1']);
  });

  it('a symptom already firing when its cause fires is held from then on, not delayed', async () => {
    const h = harness();
    h.down('ws');
    await h.advance(1 * SEC);
    expect(summarize(h.runSamples('api_health', []))).toEqual(['firing WebSocketDown P1']);
    await h.advance(1 * SEC);
    h.down('api_health');
    await h.advance(5 * SEC);
    h.down('api_health');
    await h.advance(5 * SEC);
    expect(summarize(h.down('api_health'))).toEqual(['firing ApiDown P0', 'firing WebSocketDown P1 held:inhibited']);
  });
});

describe('release', () => {
  async function heldBehindApiDown(h: RulesHarness): Promise<void> {
    h.down('ws');
    await h.advance(1 * SEC);
    h.down('api_health');
    await h.advance(5 * SEC);
    h.down('api_health');
    await h.advance(5 * SEC);
    h.down('api_health');
    expect(h.alert('WebSocketDown')?.alert.suppressedBy).toMatchObject([{ kind: 'inhibited' }]);
  }

  it('a held alert that recovered before its cause resolved is not paged at the release, and resolves quietly', async () => {
    const h = harness();
    await heldBehindApiDown(h);
    // The socket works again (clearing, clear_for 10 s), then the API is back.
    await h.advance(1 * SEC);
    expect(h.runSamples('ws', [])).toEqual([]);
    await h.advance(1 * SEC);
    expect(summarize(h.runSamples('api_health', []))).toEqual(['resolved ApiDown P0']);
    await h.advance(10 * SEC);
    expect(summarize(h.runSamples('ws', []))).toEqual(['resolved WebSocketDown P1']);
  });

  it('a held alert that breaches again after the release pages then, as what it is now', async () => {
    const h = harness();
    await heldBehindApiDown(h);
    await h.advance(1 * SEC);
    h.runSamples('ws', []);
    await h.advance(1 * SEC);
    expect(summarize(h.runSamples('api_health', []))).toEqual(['resolved ApiDown P0']);
    await h.advance(1 * SEC);
    expect(summarize(h.down('ws'))).toEqual(['firing WebSocketDown P1']);
  });

  it('a held alert still breaching when the hold ends pages at its probe’s next run, asked for at once', async () => {
    const h = harness();
    await heldBehindApiDown(h);
    await h.advance(1 * SEC);
    expect(summarize(h.runSamples('api_health', []))).toEqual(['resolved ApiDown P0']);
    expect(h.last?.retry).toEqual([{ probe: 'ws', every: 0 }]);
    await h.advance(1 * SEC);
    expect(summarize(h.down('ws'))).toEqual(['firing WebSocketDown P1']);
  });

  it('pages at the release when the alert’s own probe ran in the same evaluation and still breaches', async () => {
    const h = harness();
    await heldBehindApiDown(h);
    await h.advance(1 * SEC);
    const now = h.clock.now();
    const runs = [
      { probe: 'api_health', up: true, samples: [{ name: 'api_health.up', labels: {}, value: 1 }], at: now },
      { probe: 'ws', up: false, samples: [{ name: 'ws.up', labels: {}, value: 0 }], at: now, reason: 'refused' },
    ];
    expect(summarize(h.evaluate(runs))).toEqual(['resolved ApiDown P0', 'firing WebSocketDown P1']);
  });

  it('keeps a released alert held while its probe does not run: only a run confirms it on its own', async () => {
    const h = harness();
    await heldBehindApiDown(h);
    await h.advance(1 * SEC);
    expect(summarize(h.runSamples('api_health', []))).toEqual(['resolved ApiDown P0']);
    await h.advance(5 * 60 * SEC);
    expect(h.tick()).toEqual([]);
    expect(summarize(h.down('ws'))).toEqual(['firing WebSocketDown P1']);
  });

  it('pages a silence-released alert whose probe does not run within two of its timeouts', async () => {
    const h = harness();
    h.down('ws');
    await h.advance(1 * SEC);
    expect(summarize(h.runSamples('api_health', []))).toEqual(['firing WebSocketDown P1']);
    h.evaluator.api.createSilence({
      matchers: [{ label: 'alertname', op: '=', value: 'WebSocketDown' }],
      endsAt: h.clock.now() + 60 * SEC,
      owner: 'ana',
      reason: 'socket work',
    });
    expect(summarize(h.tick())).toEqual(['firing WebSocketDown P1 held:silenced']);
    await h.advance(60 * SEC);
    expect(h.tick()).toEqual([]);
    await h.advance(10 * SEC - 1);
    expect(h.tick()).toEqual([]);
    await h.advance(1);
    expect(summarize(h.tick())).toEqual(['firing WebSocketDown P1']);
  });
});

describe('release from a cause: the symptom confirms again on its own', () => {
  // As shipped, with a minute for the error rate's `for` and `clear_for`: ApiDown explains the API's error rate.
  const echoConfig = {
    probes: [
      { ...probe('api_health'), every: '15s', timeout: '5s' },
      { ...probe('api_metrics'), every: '15s', timeout: '10s' },
    ],
    rules: [
      config.rules[0],
      {
        name: 'ApiErrorRateHigh',
        sample: 'api_metrics.error_percent',
        op: '>',
        thresholds: { P2: 1, P1: 5 },
        for: '60s',
        clear_for: '60s',
      },
    ],
    inhibit: [{ source: { alertname: 'ApiDown' }, target: { alertname: 'ApiErrorRateHigh' } }],
  };

  /** The health check fails and its 503s lift the error rate: ApiDown pages, the error rate fires held by it. */
  async function heldErrorRate(): Promise<RulesHarness> {
    const h = new RulesHarness(echoConfig);
    harnesses.push(h);
    const events: string[] = [];
    for (let t = 0; t < 8; t++) {
      events.push(...summarize(h.down('api_health')), ...summarize(h.run('api_metrics', { error_percent: 2.5 })));
      await h.advance(15 * SEC);
    }
    expect(events).toEqual(['firing ApiDown P0', 'firing ApiErrorRateHigh P2 held:inhibited']);
    return h;
  }

  it('the rate the cause left in its window drains without a page, and resolves quietly', async () => {
    const h = await heldErrorRate();
    expect(summarize(h.runSamples('api_health', []))).toEqual(['resolved ApiDown P0']);
    const events: string[] = [];
    // Still over 1 % at the release (the 503s are in the 5-minute window), under it 45 s later.
    for (const rate of [2, 1.6, 1.2, 0.6, 0.3, 0.1, 0, 0, 0]) {
      await h.advance(15 * SEC);
      events.push(...summarize(h.run('api_metrics', { error_percent: rate })));
    }
    expect(events).toEqual(['resolved ApiErrorRateHigh P2']);
  });

  it('confirms for at least the metrics window, even with a shorter `for` (the lab ran every `for` at 10 s)', async () => {
    const metrics = {
      name: 'api_metrics',
      kind: 'metrics',
      url: 'http://127.0.0.1:9/metrics',
      every: '15s',
      window: '5m',
    };
    const errorRate = { ...echoConfig.rules[1], for: '10s' };
    const h = new RulesHarness({
      ...echoConfig,
      probes: [echoConfig.probes[0], metrics],
      rules: [config.rules[0], errorRate],
    });
    harnesses.push(h);
    for (let t = 0; t < 4; t++) {
      h.down('api_health');
      h.run('api_metrics', { error_percent: 2.5 });
      await h.advance(15 * SEC);
    }
    expect(h.alert('ApiErrorRateHigh')?.alert.suppressedBy).toMatchObject([{ kind: 'inhibited' }]);
    expect(summarize(h.runSamples('api_health', []))).toEqual(['resolved ApiDown P0']);
    // The 503s stay in the 5-minute window and drain: still over 1 % for 4m45s, never a page.
    const events: string[] = [];
    for (let t = 0; t < 24; t++) {
      await h.advance(15 * SEC);
      events.push(...summarize(h.run('api_metrics', { error_percent: t < 19 ? 2.5 - t * 0.07 : 0.2 })));
    }
    expect(events).toEqual(['resolved ApiErrorRateHigh P2']);
  });

  it('an error rate that stays over its threshold for its own `for` after the release pages then, as it is now', async () => {
    const h = await heldErrorRate();
    expect(summarize(h.runSamples('api_health', []))).toEqual(['resolved ApiDown P0']);
    const events: string[] = [];
    for (let t = 0; t < 4; t++) {
      await h.advance(15 * SEC);
      events.push(...summarize(h.run('api_metrics', { error_percent: 7 })));
    }
    // Held while it confirms again: its rise is told held (escalation pages nobody for it yet).
    expect(events).toEqual(['priority-changed ApiErrorRateHigh P2→P1 held:inhibited']);
    await h.advance(15 * SEC);
    expect(summarize(h.run('api_metrics', { error_percent: 7 }))).toEqual(['firing ApiErrorRateHigh P1']);
  });
});
