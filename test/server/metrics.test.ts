// centinela's /metrics exposition: it parses with Prometheus' own parser (promtool) and with a JS parser,
// carries probes, samples, alerts and deliveries, and drops series that vanish.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { Metrics } from '../../src/server/metrics.js';
import { promtool } from '../support/promtool.js';

interface ParsedFamily {
  name: string;
  type: string;
  help: string;
  metrics: { labels?: Record<string, string>; value?: string; buckets?: Record<string, string>; count?: string }[];
}
const parseExposition = createRequire(import.meta.url)('parse-prometheus-text-format') as (
  text: string,
) => ParsedFamily[];

function family(families: ParsedFamily[], name: string): ParsedFamily {
  const f = families.find((x) => x.name === name);
  if (!f) throw new Error(`no family ${name} in ${families.map((x) => x.name).join(', ')}`);
  return f;
}

function busyMetrics(): Metrics {
  const m = new Metrics();
  m.probeRun({
    probe: 'api_metrics',
    up: true,
    durationSeconds: 0.042,
    at: Date.UTC(2026, 0, 1, 12),
    samples: [
      { name: 'api_metrics.up', labels: {}, value: 1 },
      { name: 'api_metrics.duration_seconds', labels: {}, value: 0.042 },
      { name: 'api_metrics.latency_p95_seconds', labels: { route: '/api/v1/tasks' }, value: 0.31 },
      { name: 'api_metrics.latency_p95_seconds', labels: { route: '/api/v1/users' }, value: 0.12 },
      { name: 'api_metrics.error_percent', labels: {}, value: 0.5 },
      { name: 'api_metrics.requests.per_second', labels: { probe: 'clash', 'bad-name': 'x"y\\z\n' }, value: 10 },
    ],
  });
  m.probeRun({
    probe: 'disk',
    up: true,
    durationSeconds: 0.01,
    at: Date.UTC(2026, 0, 1, 12),
    samples: [
      { name: 'disk.hours_until_full', labels: { path: '/' }, value: 5 },
      { name: 'disk.backup_files', labels: { backup: 'db' }, value: 3 },
      { name: 'disk.days_until_expiry', labels: {}, value: 0.5 },
    ],
  });
  m.probeRun({
    probe: 'api_health',
    up: false,
    durationSeconds: 5,
    at: Date.UTC(2026, 0, 1, 12),
    samples: [{ name: 'api_health.up', labels: {}, value: 0 }],
  });
  m.ruleEvaluation(0.002);
  m.notification('email', 'delivered', 1.5);
  m.notification('webhook', 'retry');
  m.escalation('P1', 'P0');
  m.acknowledged('P0', 420);
  m.resolved('P0', 900);
  m.slaBreach('P0', 'ack');
  m.configReload('ok');
  m.setSources({
    alerts: () => [
      { alertname: 'ApiDown', priority: 'P0', state: 'firing', count: 1 },
      { alertname: 'HighLatency', priority: 'P2', state: 'pending', count: 2 },
    ],
    outboxDepth: () => 3,
    undelivered: () => ({ P0: 1 }),
    probeSkips: () => [{ probe: 'api_health', skips: 1 }],
  });
  return m;
}

describe('Metrics exposition', () => {
  it('passes promtool check metrics (parse and lint) with every family populated', async () => {
    const { body } = await busyMetrics().expose();
    expect(promtool(body)).toEqual({ status: 0, problems: [] });
  });

  it('passes promtool with nothing recorded yet', async () => {
    const { body } = await new Metrics().expose();
    expect(promtool(body)).toEqual({ status: 0, problems: [] });
  });

  it("reports the event loop's delay beyond its one-second sampling, not the second itself", async () => {
    const m = new Metrics();
    // Node's histogram takes its first sample a second after it starts: real time, the loop idle meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 2_200));
    const { body } = await m.expose();
    const value = (stat: string) =>
      Number(body.match(new RegExp(`^nodejs_eventloop_lag_${stat}_seconds (\\S+)$`, 'm'))?.[1]);
    for (const stat of ['min', 'mean', 'p50', 'p99']) {
      expect(value(stat)).toBeGreaterThanOrEqual(0);
      expect(value(stat)).toBeLessThan(0.5);
    }
    expect(body).toMatch(/^# HELP nodejs_eventloop_lag_p99_seconds The p99 of the event loop's delay beyond/m);
  });

  it('starts the escalation chain at 0 so dashboards show 0, not "No data"', async () => {
    const m = new Metrics({ processMetrics: false });
    const level = {
      ack_within: 60_000,
      repeat_every: 60_000,
      contacts: ['ana'],
      channels: 'in_order' as const,
      steps: [],
    };
    m.declareLevels({ P0: { ...level, escalate_to: 'none' }, P1: { ...level, escalate_to: 'P0' }, P3: level });
    const families = parseExposition((await m.expose()).body);
    expect(family(families, 'centinela_escalations_total').metrics).toEqual([
      { labels: { from: 'P1', to: 'P0' }, value: '0' },
    ]);
    expect(family(families, 'centinela_sla_breaches_total').metrics.map((x) => x.labels)).toEqual([
      { priority: 'P0', kind: 'ack' },
      { priority: 'P0', kind: 'resolve' },
      { priority: 'P1', kind: 'ack' },
      { priority: 'P1', kind: 'resolve' },
      { priority: 'P3', kind: 'ack' },
      { priority: 'P3', kind: 'resolve' },
    ]);
    expect(family(families, 'centinela_sla_breaches_total').metrics.every((x) => x.value === '0')).toBe(true);
  });

  it('says which centinela and Node run, in centinela_build_info = 1', async () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    const families = parseExposition((await new Metrics({ processMetrics: false }).expose()).body);
    expect(family(families, 'centinela_build_info')).toMatchObject({
      type: 'GAUGE',
      metrics: [{ labels: { version, node_version: process.versions.node }, value: '1' }],
    });
    expect(version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('says whether this centinela is the active one in centinela_leader: 1 alone or active, 0 on a standby', async () => {
    const leader = async (role?: boolean) => {
      const m = new Metrics({ processMetrics: false });
      if (role !== undefined) {
        m.setSources({
          alerts: () => [],
          outboxDepth: () => 0,
          undelivered: () => ({}),
          probeSkips: () => [],
          leader: () => role,
        });
      }
      return family(parseExposition((await m.expose()).body), 'centinela_leader').metrics[0]?.value;
    };
    expect([await leader(), await leader(true), await leader(false)]).toEqual(['1', '1', '0']);
  });

  it('is caught by promtool when it is broken (the check can fail)', () => {
    expect(promtool('centinela_probe_up{probe="x} 1\n').status).toBe(1);
  });

  it('shows probes, mirrored samples, alerts and deliveries', async () => {
    const { body, contentType } = await busyMetrics().expose();
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const families = parseExposition(body);

    expect(family(families, 'centinela_probe_up').metrics).toEqual(
      expect.arrayContaining([
        { labels: { probe: 'api_metrics' }, value: '1' },
        { labels: { probe: 'api_health' }, value: '0' },
      ]),
    );
    expect(family(families, 'centinela_probe_skips_total').metrics).toEqual([
      { labels: { probe: 'api_health' }, value: '1' },
    ]);
    expect(family(families, 'centinela_probe_last_run_timestamp_seconds').metrics[0]?.value).toBe(
      String(Date.UTC(2026, 0, 1, 12) / 1000),
    );

    const p95 = family(families, 'centinela_sample_latency_p95_seconds');
    expect(p95.type).toBe('GAUGE');
    expect(p95.metrics).toEqual([
      { labels: { probe: 'api_metrics', route: '/api/v1/tasks' }, value: '0.31' },
      { labels: { probe: 'api_metrics', route: '/api/v1/users' }, value: '0.12' },
    ]);
    // Dots become underscores; a sample label named `probe` is kept as exported_probe; odd names are sanitised.
    expect(family(families, 'centinela_sample_requests_per_second').metrics).toEqual([
      { labels: { probe: 'api_metrics', exported_probe: 'clash', bad_name: 'x"y\\z\n' }, value: '10' },
    ]);
    // Time in seconds, as Prometheus measures it: the unit word of the sample's name becomes `seconds`.
    expect(family(families, 'centinela_sample_seconds_until_full').metrics).toEqual([
      { labels: { probe: 'disk', path: '/' }, value: '18000' },
    ]);
    expect(family(families, 'centinela_sample_seconds_until_expiry').metrics).toEqual([
      { labels: { probe: 'disk' }, value: '43200' },
    ]);
    expect(families.map((f) => f.name).filter((n) => /hours|days/.test(n))).toEqual([]);
    // up and duration are the probe families, not mirrored twice.
    expect(families.map((f) => f.name)).not.toContain('centinela_sample_up');
    expect(families.map((f) => f.name)).not.toContain('centinela_sample_duration_seconds');

    expect(family(families, 'centinela_alerts').metrics).toEqual([
      { labels: { alertname: 'ApiDown', priority: 'P0', state: 'firing' }, value: '1' },
      { labels: { alertname: 'HighLatency', priority: 'P2', state: 'pending' }, value: '2' },
    ]);
    expect(family(families, 'centinela_outbox_depth').metrics).toEqual([{ value: '3' }]);
    expect(family(families, 'centinela_alerts_undelivered').metrics).toEqual([
      { labels: { priority: 'P0' }, value: '1' },
      { labels: { priority: 'P1' }, value: '0' },
      { labels: { priority: 'P2' }, value: '0' },
      { labels: { priority: 'P3' }, value: '0' },
    ]);
    expect(family(families, 'centinela_notifications_total').metrics).toEqual([
      { labels: { channel: 'email', result: 'delivered' }, value: '1' },
      { labels: { channel: 'webhook', result: 'retry' }, value: '1' },
    ]);
    const delivery = family(families, 'centinela_delivery_seconds');
    expect(delivery.type).toBe('HISTOGRAM');
    // This parser keeps only the buckets of a histogram; the labelled count is checked in the text.
    expect(delivery.metrics[0]?.buckets?.['1']).toBe('0');
    expect(delivery.metrics[0]?.buckets?.['2.5']).toBe('1');
    expect(body).toContain('centinela_delivery_seconds_count{channel="email"} 1\n');
    expect(body).toContain('centinela_time_to_ack_seconds_sum{priority="P0"} 420\n');
    expect(body).toContain('centinela_time_to_resolve_seconds_count{priority="P0"} 1\n');
    expect(body).toContain('centinela_rule_evaluation_seconds_count 1\n');
    expect(family(families, 'centinela_escalations_total').metrics).toEqual([
      { labels: { from: 'P1', to: 'P0' }, value: '1' },
    ]);
    expect(family(families, 'centinela_sla_breaches_total').metrics).toEqual([
      { labels: { priority: 'P0', kind: 'ack' }, value: '1' },
    ]);
    expect(family(families, 'centinela_config_reloads_total').metrics).toEqual([
      { labels: { result: 'ok' }, value: '1' },
    ]);
    expect(families.map((f) => f.name)).toEqual(
      expect.arrayContaining(['process_cpu_seconds_total', 'process_resident_memory_bytes']),
    );
  });

  it('drops vanished series, widens a family for new labels, and forgets a removed probe', async () => {
    const m = new Metrics({ processMetrics: false });
    const run = (samples: { name: string; labels: Record<string, string>; value: number }[]) =>
      m.probeRun({ probe: 'db', up: true, durationSeconds: 0.01, at: 0, samples });
    run([
      { name: 'db.connections', labels: {}, value: 5 },
      { name: 'db.slow_queries', labels: {}, value: 2 },
    ]);
    run([{ name: 'db.connections', labels: { state: 'active' }, value: 7 }]);
    let families = parseExposition((await m.expose()).body);
    expect(family(families, 'centinela_sample_connections').metrics).toEqual([
      { labels: { probe: 'db', state: 'active' }, value: '7' },
    ]);
    expect(families.map((f) => f.name)).not.toContain('centinela_sample_slow_queries');

    m.forgetProbe('db');
    families = parseExposition((await m.expose()).body);
    expect(families.map((f) => f.name)).not.toContain('centinela_sample_connections');
    expect(family(families, 'centinela_probe_up').metrics).toEqual([]);
  });

  it('keeps two Metrics apart (no global registry)', async () => {
    const a = new Metrics({ processMetrics: false });
    const b = new Metrics({ processMetrics: false });
    a.probeRun({ probe: 'only_in_a', up: true, durationSeconds: 0, at: 0, samples: [] });
    const inB = parseExposition((await b.expose()).body);
    expect(family(inB, 'centinela_probe_up').metrics).toEqual([]);
  });
});
