import { afterEach, describe, expect, it } from 'vitest';
import { probe, RulesHarness, summarize } from '../support/rules.js';

const harnesses: RulesHarness[] = [];
function harness(config: Record<string, unknown>): RulesHarness {
  const h = new RulesHarness(config);
  harnesses.push(h);
  return h;
}
afterEach(() => {
  for (const h of harnesses.splice(0)) h.close();
});

const latency = {
  name: 'ApiLatencyHigh',
  sample: 'api.latency_p95_seconds',
  op: '>',
  thresholds: { P1: 0.5, P2: 0.2 },
  summary: 'p95 {{ value | seconds }} on {{ labels.route }} (over {{ threshold | seconds }})',
};

const apiDown = { name: 'ApiDown', sample: 'api_health.up', op: '==', thresholds: { P0: 0 } };

describe('evaluation over runs', () => {
  it('pending that clears before `for` never fires, then a breach that holds fires once', async () => {
    const h = harness({ probes: [probe('api')], rules: [{ ...latency, for: '1m' }] });
    expect(h.run('api', { latency_p95_seconds: 0.3 })).toEqual([]);
    expect(h.state('ApiLatencyHigh')).toBe('pending');
    await h.advance(30_000);
    expect(h.run('api', { latency_p95_seconds: 0.1 })).toEqual([]);
    expect(h.state('ApiLatencyHigh')).toBe('inactive');
    await h.advance(30_000);
    h.run('api', { latency_p95_seconds: 0.3 });
    await h.advance(30_000);
    expect(h.run('api', { latency_p95_seconds: 0.3 })).toEqual([]);
    await h.advance(30_000);
    expect(summarize(h.run('api', { latency_p95_seconds: 0.3 }))).toEqual(['firing ApiLatencyHigh P2']);
    await h.advance(30_000);
    expect(h.run('api', { latency_p95_seconds: 0.3 })).toEqual([]);
  });

  it('P2 → P1 → P2 while firing are events of their own, then resolved', async () => {
    const h = harness({ probes: [probe('api')], rules: [latency] });
    const seen = [0.3, 0.6, 0.3, 0.1].map((v) => summarize(h.run('api', { latency_p95_seconds: v })));
    expect(seen).toEqual([
      ['firing ApiLatencyHigh P2'],
      ['priority-changed ApiLatencyHigh P2→P1'],
      ['priority-changed ApiLatencyHigh P1→P2'],
      ['resolved ApiLatencyHigh P2'],
    ]);
  });

  it('renders the summary with value, threshold and labels', () => {
    const h = harness({ probes: [probe('api')], rules: [latency] });
    const [event] = h.runSamples('api', [
      { name: 'api.latency_p95_seconds', labels: { route: '/api/v1/tasks' }, value: 0.634 },
    ]);
    expect(event?.alert.summary).toBe('p95 0.63 s on /api/v1/tasks (over 0.5 s)');
    expect(event?.alert.labels).toEqual({ route: '/api/v1/tasks', alertname: 'ApiLatencyHigh' });
    expect(event?.alert).toMatchObject({ priority: 'P1', value: 0.634, threshold: 0.5, op: '>' });
  });

  it('one instance per label set, each with a stable id', () => {
    const h = harness({ probes: [probe('api')], rules: [latency] });
    const events = h.runSamples('api', [
      { name: 'api.latency_p95_seconds', labels: { route: '/a' }, value: 0.3 },
      { name: 'api.latency_p95_seconds', labels: { route: '/b' }, value: 0.6 },
      { name: 'api.latency_p95_seconds', labels: { route: '/c' }, value: 0.1 },
    ]);
    expect(events.map((e) => [e.alert.labels.route, e.alert.priority])).toEqual([
      ['/a', 'P2'],
      ['/b', 'P1'],
    ]);
    expect(new Set(events.map((e) => e.alert.id)).size).toBe(2);
    expect(events[0]?.alert.id).toMatch(/^[0-9a-f]{20}$/);
  });

  it('label matchers select the samples a rule watches', () => {
    const h = harness({
      probes: [probe('docker')],
      rules: [
        {
          name: 'ApiMemoryHigh',
          sample: 'docker.memory_percent',
          match: { container: '=~grupo_gad_(api|bot)' },
          op: '>',
          thresholds: { P2: 90 },
        },
      ],
    });
    const events = h.runSamples('docker', [
      { name: 'docker.memory_percent', labels: { container: 'grupo_gad_api' }, value: 95 },
      { name: 'docker.memory_percent', labels: { container: 'grupo_gad_db' }, value: 99 },
    ]);
    expect(events.map((e) => e.alert.labels.container)).toEqual(['grupo_gad_api']);
  });

  it.each([
    ['', ['none']],
    ['!=', ['grupo_gad_api']],
  ])('a matcher with an empty value (container: "%s") takes an absent label as empty', (value, expected) => {
    const h = harness({
      probes: [probe('docker')],
      rules: [
        {
          name: 'MemoryHigh',
          sample: 'docker.memory_percent',
          match: { container: value },
          op: '>',
          thresholds: { P2: 90 },
        },
      ],
    });
    const events = h.runSamples('docker', [
      { name: 'docker.memory_percent', labels: {}, value: 95 },
      { name: 'docker.memory_percent', labels: { container: 'grupo_gad_api' }, value: 99 },
    ]);
    expect(events.map((e) => e.alert.labels.container ?? 'none')).toEqual(expected);
  });

  it('hysteresis: fires above 90, stays firing between 80 and 90, clears below 80', () => {
    const h = harness({
      probes: [probe('docker')],
      rules: [{ name: 'CpuHigh', sample: 'docker.cpu_percent', op: '>', thresholds: { P2: 90 }, clear_threshold: 80 }],
    });
    const seen = [95, 85, 89.9, 85, 79].map((v) => summarize(h.run('docker', { cpu_percent: v })));
    expect(seen).toEqual([['firing CpuHigh P2'], [], [], [], ['resolved CpuHigh P2']]);
    expect(summarize(h.run('docker', { cpu_percent: 85 }))).toEqual([]);
    expect(h.state('CpuHigh')).toBe('resolved');
  });

  it('clear_for: resolves only after the value has stayed good that long', async () => {
    const h = harness({ probes: [probe('api')], rules: [{ ...latency, clear_for: '2m' }] });
    h.run('api', { latency_p95_seconds: 0.3 });
    for (let i = 0; i < 4; i++) {
      await h.advance(30_000);
      expect(h.run('api', { latency_p95_seconds: 0.1 })).toEqual([]);
    }
    // First clear at 30 s; at 150 s it has been clear for 2 min.
    await h.advance(30_000);
    expect(summarize(h.run('api', { latency_p95_seconds: 0.1 }))).toEqual(['resolved ApiLatencyHigh P2']);
  });

  it('after_failures with retry_every asks the scheduler to re-run the probe until confirmed', async () => {
    const h = harness({
      probes: [probe('api_health')],
      rules: [{ ...apiDown, after_failures: 3, retry_every: '10s' }],
    });
    expect(h.down('api_health')).toEqual([]);
    expect(h.last?.retry).toEqual([{ probe: 'api_health', every: 10_000 }]);
    await h.advance(10_000);
    expect(h.down('api_health')).toEqual([]);
    expect(h.last?.retry).toEqual([{ probe: 'api_health', every: 10_000 }]);
    await h.advance(10_000);
    expect(summarize(h.down('api_health'))).toEqual(['firing ApiDown P0']);
    expect(h.last?.retry).toEqual([]);
    expect(h.evaluator.api.listAlerts()[0]?.alert.diagnosis).toEqual([]);
  });

  it('after_successes with retry_every re-runs the probe while firing, and N clear runs in a row resolve', async () => {
    const h = harness({
      probes: [probe('api_health')],
      rules: [{ ...apiDown, retry_every: '1s', after_successes: 3 }],
    });
    const retry = [{ probe: 'api_health', every: 1_000 }];
    expect(summarize(h.down('api_health'))).toEqual(['firing ApiDown P0']);
    expect(h.last?.retry).toEqual(retry);
    for (const up of [true, true, false, true, true]) {
      await h.advance(1_000);
      expect(up ? h.run('api_health', {}) : h.down('api_health')).toEqual([]);
      expect(h.last?.retry).toEqual(retry);
    }
    await h.advance(1_000);
    expect(summarize(h.run('api_health', {}))).toEqual(['resolved ApiDown P0']);
    expect(h.last?.retry).toEqual([]);
  });

  it("after_successes without retry_every counts clear runs at the probe's own pace", async () => {
    const h = harness({
      probes: [probe('api_health')],
      rules: [{ ...apiDown, after_successes: 2 }],
    });
    h.down('api_health');
    await h.advance(30_000);
    expect(h.run('api_health', {})).toEqual([]);
    expect(h.last?.retry).toEqual([]);
    await h.advance(30_000);
    expect(summarize(h.run('api_health', {}))).toEqual(['resolved ApiDown P0']);
  });

  it('no data during firing: a failed run neither resolves nor re-fires; the up rule speaks for the outage', async () => {
    const h = harness({
      probes: [probe('api')],
      rules: [latency, { name: 'ApiMetricsDown', sample: 'api.up', op: '==', thresholds: { P1: 0 } }],
    });
    expect(summarize(h.run('api', { latency_p95_seconds: 0.6 }))).toEqual(['firing ApiLatencyHigh P1']);
    expect(summarize(h.down('api'))).toEqual(['firing ApiMetricsDown P1']);
    expect(h.state('ApiLatencyHigh')).toBe('firing');
    expect(summarize(h.down('api'))).toEqual([]);
    expect(summarize(h.run('api', { latency_p95_seconds: 0.6 }))).toEqual(['resolved ApiMetricsDown P1']);
    expect(summarize(h.run('api', { latency_p95_seconds: 0.1 }))).toEqual(['resolved ApiLatencyHigh P1']);
  });

  it('no data during pending: the pending instance waits; it neither fires nor clears', async () => {
    const h = harness({ probes: [probe('api')], rules: [{ ...latency, after_failures: 2 }] });
    h.run('api', { latency_p95_seconds: 0.6 });
    expect(h.down('api')).toEqual([]);
    expect(h.state('ApiLatencyHigh')).toBe('pending');
    expect(summarize(h.run('api', { latency_p95_seconds: 0.6 }))).toEqual(['firing ApiLatencyHigh P1']);
  });

  it('a run that cannot measure raises CannotMeasure at the configured priority and keeps rule state', () => {
    const h = harness({ probes: [probe('api')], rules: [latency], evaluation: { cannot_measure: 'P3' } });
    h.run('api', { latency_p95_seconds: 0.6 });
    const events = h.runSamples('api', [], { cannotMeasure: 'histogram http_request_duration_seconds is missing' });
    expect(summarize(events)).toEqual(['firing CannotMeasure P3']);
    expect(events[0]?.alert.labels).toEqual({ alertname: 'CannotMeasure', probe: 'api' });
    expect(events[0]?.alert.summary).toBe('probe api cannot measure');
    expect(events[0]?.alert.diagnosis).toEqual([
      { probe: 'api', detail: 'histogram http_request_duration_seconds is missing' },
    ]);
    expect(h.state('ApiLatencyHigh')).toBe('firing');
    expect(summarize(h.down('api'))).toEqual([]);
    expect(summarize(h.run('api', { latency_p95_seconds: 0.6 }))).toEqual(['resolved CannotMeasure P3']);
  });

  it('what a run that cannot measure everything did bring is evaluated; what it did not is no data', () => {
    const h = harness({
      probes: [probe('disk')],
      rules: [{ name: 'DiskFull', sample: 'disk.used_percent', op: '>', thresholds: { P1: 90 } }],
    });
    const partial = { cannotMeasure: '/opt/grupogad/logs: does not exist' };
    h.runSamples('disk', [{ name: 'disk.used_percent', labels: { path: '/data' }, value: 95 }]);
    const events = h.runSamples('disk', [{ name: 'disk.used_percent', labels: { path: '/' }, value: 97 }], partial);
    expect(events.map((e) => `${e.type} ${e.alert.alertname} ${e.alert.labels.path ?? e.alert.labels.probe}`)).toEqual([
      'firing DiskFull /',
      'firing CannotMeasure disk',
    ]);
    expect(h.state('DiskFull', { path: '/data' })).toBe('firing');
    // Measured in full again: /data is gone for real, and the probe measures again.
    const after = h.runSamples('disk', [{ name: 'disk.used_percent', labels: { path: '/' }, value: 97 }]);
    expect(after.map((e) => `${e.type} ${e.alert.alertname} ${e.alert.labels.path ?? e.alert.labels.probe}`)).toEqual([
      'resolved DiskFull /data',
      'resolved CannotMeasure disk',
    ]);
  });

  it('a series gone from a run that is up resolves, like a stale series', () => {
    const h = harness({ probes: [probe('api')], rules: [latency] });
    h.runSamples('api', [
      { name: 'api.latency_p95_seconds', labels: { route: '/a' }, value: 0.6 },
      { name: 'api.latency_p95_seconds', labels: { route: '/b' }, value: 0.6 },
    ]);
    const events = h.runSamples('api', [{ name: 'api.latency_p95_seconds', labels: { route: '/a' }, value: 0.6 }]);
    expect(events.map((e) => `${e.type} ${e.alert.labels.route}`)).toEqual(['resolved /b']);
  });

  it('flapping: one event when it starts, the problem stays visible, its real state when it settles', async () => {
    const h = harness({
      probes: [probe('api')],
      rules: [latency],
      evaluation: { flapping: { changes: 4, window: '10m' } },
    });
    const told: string[][] = [];
    for (const v of [0.3, 0.1, 0.3, 0.1, 0.3, 0.1, 0.3, 0.1]) {
      told.push(summarize(h.run('api', { latency_p95_seconds: v })));
      await h.advance(30_000);
    }
    expect(told).toEqual([
      ['firing ApiLatencyHigh P2'],
      ['resolved ApiLatencyHigh P2'],
      ['firing ApiLatencyHigh P2'],
      ['resolved ApiLatencyHigh P2'],
      ['flapping ApiLatencyHigh P2'],
      [],
      [],
      [],
    ]);
    const visible = h.evaluator.api.listAlerts({ state: ['firing', 'resolved'] });
    expect(visible.map((r) => r.alert.flapping)).toEqual([true]);
    // The problem is still there when it settles: it stays firing and is told so.
    const settled: string[][] = [];
    for (let i = 0; i < 12; i++) {
      await h.advance(60_000);
      settled.push(summarize(h.run('api', { latency_p95_seconds: 0.3 })));
    }
    expect(settled.flat()).toEqual(['flapping-ended ApiLatencyHigh P2', 'firing ApiLatencyHigh P2']);
    expect(h.alert('ApiLatencyHigh')).toMatchObject({ state: 'firing', alert: { flapping: false } });
  });

  it('a firing alert of a rule removed from the config resolves on the next evaluation', () => {
    const h = harness({ probes: [probe('api')], rules: [latency] });
    h.run('api', { latency_p95_seconds: 0.6 });
    const path = h.path;
    h.close();
    harnesses.pop();
    const after = new RulesHarness({ probes: [probe('api')], rules: [] }, { path });
    harnesses.push(after);
    const events = after.tick();
    expect(summarize(events)).toEqual(['resolved ApiLatencyHigh P1']);
    expect(events[0]?.alert.summary).toBe('ApiLatencyHigh: its rule is no longer in the configuration');
    expect(after.tick()).toEqual([]);
  });

  it('words its own alerts and diagnoses in the reading of centinela.yaml: Spanish, times in Guayaquil', async () => {
    const reading = { locale: 'es', timezone: 'America/Guayaquil' } as const;
    const h = new RulesHarness(
      { probes: [probe('api'), probe('db')], rules: [{ ...latency, diagnose: ['db'] }] },
      { reading },
    );
    harnesses.push(h);
    const [measure] = h.runSamples('api', [], { cannotMeasure: 'histogram http_request_duration_seconds is missing' });
    expect(measure?.alert.summary).toBe('la sonda api no puede medir');
    expect(measure?.alert.runbook).toEqual([
      'El objetivo respondió, pero el valor no se pudo calcular: el motivo está en el diagnóstico.',
      'Comprobar las credenciales que usa la sonda y que el objetivo sigue exportando lo que la sonda lee.',
    ]);
    h.runSamples('db', []);
    await h.advance(15_000);
    const [page] = h.run('api', { latency_p95_seconds: 0.6 });
    expect(page?.alert.diagnosis).toEqual([
      { probe: 'db', detail: 'nada que informar; su última ejecución, el 2026-01-05 05:00:00 (UTC−05:00), pasó' },
    ]);
    const path = h.path;
    h.close();
    harnesses.pop();
    const after = new RulesHarness({ probes: [probe('api')], rules: [] }, { path, reading });
    harnesses.push(after);
    expect(after.tick().map((e) => e.alert.summary)).toEqual([
      'ApiLatencyHigh: su regla ya no está en la configuración',
    ]);
  });

  it('diagnose attaches the latest detail of the named probes', () => {
    const h = harness({
      probes: [probe('api'), probe('db')],
      rules: [{ ...latency, diagnose: ['db'] }],
    });
    h.runSamples('db', [], { detail: 'slow: SELECT * FROM tasks (4.2 s)' });
    const [event] = h.run('api', { latency_p95_seconds: 0.6 });
    expect(event?.alert.diagnosis).toEqual([{ probe: 'db', detail: 'slow: SELECT * FROM tasks (4.2 s)' }]);
  });

  it('diagnosis lists every probe the rule names, saying so when one had nothing to show, never an old detail', async () => {
    const h = harness({
      probes: [probe('api'), probe('db'), probe('containers')],
      rules: [{ ...latency, diagnose: ['db', 'containers'] }],
    });
    h.runSamples('db', [], { detail: 'slow: SELECT * FROM tasks (4.2 s)' });
    await h.advance(15_000);
    h.runSamples('db', []);
    const [event] = h.run('api', { latency_p95_seconds: 0.6 });
    expect(event?.alert.diagnosis).toEqual([
      { probe: 'db', detail: 'nothing to report; its last run, 2026-01-05 10:00:15 (UTC+00:00), passed' },
      { probe: 'containers', detail: 'no run since centinela started' },
    ]);
  });
});
