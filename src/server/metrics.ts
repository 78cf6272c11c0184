// centinela's own /metrics: what it measured (probes and every sample), what it decided (alerts) and what it
// delivered (pages, escalations, acknowledgements), on a prom-client Registry owned by one app instance.
//
// Samples are mirrored as one gauge family per sample name, with the probe as a label:
// `centinela_sample_latency_p95_seconds{probe="api_metrics",route="/api/v1/tasks"} 0.31`. Why this shape:
// - a family holds one kind of value (the name carries its unit), so Grafana can graph or aggregate it across
//   probes and template a dashboard over `$probe`;
// - one family per full name (`centinela_api_metrics_latency_p95_seconds`) would put probe names into metric names,
//   where `api-health`/`api_health` or `a_b.c`/`a.b_c` collide after sanitising, and could collide with the fixed
//   families below (a probe named `probe` with a sample `up`); the `centinela_sample_` prefix cannot;
// - label sets stay the same within a family unless two probes give the same sample name different labels,
//   which the exposition format allows (the family's label names are the union).
// `<probe>.up` and `<probe>.duration_seconds` are not mirrored: they are centinela_probe_up and
// centinela_probe_duration_seconds already. A sample counted in days, hours or minutes is mirrored in seconds (see
// inSeconds), so the exposition passes `promtool check metrics`.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Levels } from '../escalation/policy.js';
import { PRIORITIES, type Priority, type Sample } from '../types.js';
import { VERSION } from '../version.js';

/** One line of the alerts gauge: how many instances of a rule are in a state at a priority. */
export interface AlertCount {
  alertname: string;
  priority: Priority;
  state: string;
  count: number;
}

/** Values read at scrape time rather than pushed, because the store already holds them. */
export interface ScrapeSources {
  alerts(): AlertCount[];
  outboxDepth(): number;
  /** Open incidents whose pages have reached nobody yet, by the priority they were paged at. */
  undelivered(): Partial<Record<Priority, number>>;
  /** Runs skipped per probe because the previous one was still going (the scheduler counts them). */
  probeSkips(): { probe: string; skips: number }[];
  /** Whether this centinela is the active one; a single replica (SQLite) always is. */
  leader?(): boolean;
}

/** What one probe run produced, as the scheduler reports it (sample names are `<probe>.<name>`). */
export interface ProbeRunRecord {
  probe: string;
  up: boolean;
  durationSeconds: number;
  /** Epoch ms at the end of the run. */
  at: number;
  samples: readonly Sample[];
}

const ACK_BUCKETS = [30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14_400, 28_800, 86_400, 172_800];

/** How often the event-loop delay is sampled, in ms (prom-client's default is 10). */
const EVENT_LOOP_SAMPLE_MS = 1000;

/** prom-client's event-loop delay gauges, read from a histogram sampled every EVENT_LOOP_SAMPLE_MS. */
const LOOP_STATS = ['min', 'max', 'mean', 'stddev', 'p50', 'p90', 'p99'] as const;

/**
 * Puts in place of prom-client's nodejs_eventloop_lag_{min,max,mean,stddev,p50,p90,p99}_seconds the same gauges less
 * the sampling interval: Node's histogram records the whole time between two samples, so at one sample a second an
 * idle daemon read a delay of about 1 s. The delay is what is left over the interval (a spread, stddev, is kept).
 */
function eventLoopDelay(registry: Registry): void {
  const histogram = monitorEventLoopDelay({ resolution: EVENT_LOOP_SAMPLE_MS });
  histogram.enable();
  const interval = EVENT_LOOP_SAMPLE_MS / 1000;
  const read: Record<(typeof LOOP_STATS)[number], () => number> = {
    min: () => histogram.min,
    max: () => histogram.max,
    mean: () => histogram.mean,
    stddev: () => histogram.stddev,
    p50: () => histogram.percentile(50),
    p90: () => histogram.percentile(90),
    p99: () => histogram.percentile(99),
  };
  for (const stat of LOOP_STATS) {
    const name = `nodejs_eventloop_lag_${stat}_seconds`;
    registry.removeSingleMetric(name);
    new Gauge({
      name,
      help: `The ${stat} of the event loop's delay beyond its ${EVENT_LOOP_SAMPLE_MS} ms sampling interval, in seconds`,
      registers: [registry],
      collect() {
        // No sample yet (the first second): nothing to say, rather than an overflowed minimum.
        if (histogram.count === 0) return;
        const seconds = read[stat]() / 1e9;
        this.set(stat === 'stddev' ? seconds : Math.max(0, seconds - interval));
        // As prom-client does: each scrape reports the delays since the one before (p99 is read last).
        if (stat === 'p99') histogram.reset();
      },
    });
  }
}

/** The metrics of one daemon; methods record events, `expose()` renders the exposition. */

export class Metrics {
  readonly registry = new Registry();
  readonly #samples: SampleMirror;
  readonly #probeUp: Gauge<'probe'>;
  readonly #probeDuration: Gauge<'probe'>;
  readonly #probeLastRun: Gauge<'probe'>;
  readonly #probeRuns: Counter<'probe'>;
  readonly #evaluation: Histogram;
  readonly #notifications: Counter<'channel' | 'result'>;
  readonly #delivery: Histogram<'channel'>;
  readonly #escalations: Counter<'from' | 'to'>;
  readonly #timeToAck: Histogram<'priority'>;
  readonly #timeToResolve: Histogram<'priority'>;
  readonly #slaBreaches: Counter<'priority' | 'kind'>;
  readonly #reloads: Counter<'result'>;
  readonly #received: Counter<'source' | 'result'>;
  #sources: ScrapeSources = { alerts: () => [], outboxDepth: () => 0, undelivered: () => ({}), probeSkips: () => [] };

  /** `revision`: the source revision the build came from (CENTINELA_REVISION), a label of centinela_build_info. */
  constructor(options: { processMetrics?: boolean; revision?: string | undefined } = {}) {
    const registers = [this.registry];
    if (options.processMetrics !== false) {
      // The event-loop delay histogram (nodejs_eventloop_lag_{min,max,mean,p50,p90,p99}_seconds) samples on a timer
      // that wakes the process at this interval: prom-client's default 10 ms (100 wake-ups a second) cost an idle
      // daemon 0.4 % of a core, most of its CPU. Once a second still records any stall that spans a tick.
      collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
      // prom-client's sums of the per-type nodejs_active_{handles,requests,resources} gauges are gauges named
      // `_total`, which `promtool check metrics` flags (exit 3); the per-type gauges carry the same numbers.
      for (const kind of ['handles', 'requests', 'resources'])
        this.registry.removeSingleMetric(`nodejs_active_${kind}_total`);
      eventLoopDelay(this.registry);
    }
    // Prometheus' build_info convention: always 1, the labels say what runs (join on them in a query or a panel).
    const revision = options.revision ? { revision: options.revision } : {};
    new Gauge({
      name: 'centinela_build_info',
      help: "Always 1; version is centinela's, revision the source it was built from, node_version the Node.js that runs it",
      labelNames: ['version', ...Object.keys(revision), 'node_version'],
      registers,
    }).set({ version: VERSION, ...revision, node_version: process.versions.node }, 1);
    this.#samples = new SampleMirror(this.registry);
    this.#probeUp = new Gauge({
      name: 'centinela_probe_up',
      help: '1 if the last run of the probe succeeded',
      labelNames: ['probe'],
      registers,
    });
    this.#probeDuration = new Gauge({
      name: 'centinela_probe_duration_seconds',
      help: 'How long the last run of the probe took',
      labelNames: ['probe'],
      registers,
    });
    this.#probeLastRun = new Gauge({
      name: 'centinela_probe_last_run_timestamp_seconds',
      help: 'When the last run of the probe finished (unix time)',
      labelNames: ['probe'],
      registers,
    });
    this.#probeRuns = new Counter({
      name: 'centinela_probe_runs_total',
      help: 'Probe runs finished',
      labelNames: ['probe'],
      registers,
    });
    const skips: Counter<'probe'> = new Counter({
      name: 'centinela_probe_skips_total',
      help: 'Probe runs skipped because the previous run was still going',
      labelNames: ['probe'],
      registers,
      // The scheduler keeps the count; a probe replaced by a reload starts again at 0, which Prometheus reads as a reset.
      collect: () => {
        skips.reset();
        for (const s of this.#sources.probeSkips()) skips.inc({ probe: s.probe }, s.skips);
      },
    });
    this.#evaluation = new Histogram({
      name: 'centinela_rule_evaluation_seconds',
      help: 'Time to evaluate the rules after a probe run, including the state store transaction',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    });
    const alerts: Gauge<'alertname' | 'priority' | 'state'> = new Gauge({
      name: 'centinela_alerts',
      help: 'Alert instances by rule, priority and state',
      labelNames: ['alertname', 'priority', 'state'],
      registers,
      collect: () => {
        alerts.reset();
        for (const a of this.#sources.alerts())
          alerts.inc({ alertname: a.alertname, priority: a.priority, state: a.state }, a.count);
      },
    });
    this.#notifications = new Counter({
      name: 'centinela_notifications_total',
      help: 'Delivery attempts by channel and result (delivered, retry, failed, fallback)',
      labelNames: ['channel', 'result'],
      registers,
    });
    this.#delivery = new Histogram({
      name: 'centinela_delivery_seconds',
      help: 'Time from a notification being queued to its delivery',
      labelNames: ['channel'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900],
      registers,
    });
    const undelivered: Gauge<'priority'> = new Gauge({
      name: 'centinela_alerts_undelivered',
      help: 'Firing alerts whose pages have reached nobody yet, by priority (0 when every page got through)',
      labelNames: ['priority'],
      registers,
      collect: () => {
        const counts = this.#sources.undelivered();
        for (const p of PRIORITIES) undelivered.set({ priority: p }, counts[p] ?? 0);
      },
    });
    const outbox: Gauge = new Gauge({
      name: 'centinela_outbox_depth',
      help: 'Notifications waiting in the outbox (not yet delivered or given up)',
      registers,
      collect: () => outbox.set(this.#sources.outboxDepth()),
    });
    const leader: Gauge = new Gauge({
      name: 'centinela_leader',
      help: 'Whether this centinela is the active one: 1 evaluates, escalates and delivers; 0 is a standby serving reads',
      registers,
      collect: () => leader.set(this.#sources.leader?.() === false ? 0 : 1),
    });
    this.#escalations = new Counter({
      name: 'centinela_escalations_total',
      help: 'Unacknowledged alerts that climbed from one level to the next',
      labelNames: ['from', 'to'],
      registers,
    });
    this.#timeToAck = new Histogram({
      name: 'centinela_time_to_ack_seconds',
      help: "Time from an alert's first page to its first acknowledgement, by the priority first paged",
      labelNames: ['priority'],
      buckets: ACK_BUCKETS,
      registers,
    });
    this.#timeToResolve = new Histogram({
      name: 'centinela_time_to_resolve_seconds',
      help: "Time from an alert's first page to its resolution, by the priority first paged",
      labelNames: ['priority'],
      buckets: ACK_BUCKETS,
      registers,
    });
    this.#slaBreaches = new Counter({
      name: 'centinela_sla_breaches_total',
      help: "Alerts not acknowledged (kind=ack) or not resolved (kind=resolve) within their level's response time",
      labelNames: ['priority', 'kind'],
      registers,
    });
    this.#reloads = new Counter({
      name: 'centinela_config_reloads_total',
      help: 'Config reloads by result (ok, invalid)',
      labelNames: ['result'],
      registers,
    });
    this.#received = new Counter({
      name: 'centinela_source_alerts_received_total',
      help: "Alerts received from a source through the Alertmanager API, by result (accepted, refused: past the source's max_alerts)",
      labelNames: ['source', 'result'],
      registers,
    });
  }

  /** Tells the metrics where to read the values the store holds. */
  setSources(sources: ScrapeSources): void {
    this.#sources = sources;
  }

  probeRun(run: ProbeRunRecord): void {
    this.#probeUp.set({ probe: run.probe }, run.up ? 1 : 0);
    this.#probeDuration.set({ probe: run.probe }, run.durationSeconds);
    this.#probeLastRun.set({ probe: run.probe }, run.at / 1000);
    this.#probeRuns.inc({ probe: run.probe });
    this.#samples.record(run.probe, run.samples);
  }

  /** Drops a probe removed by a reload, so its series vanish instead of going stale. */
  forgetProbe(probe: string): void {
    for (const m of [this.#probeUp, this.#probeDuration, this.#probeLastRun, this.#probeRuns]) {
      m.remove({ probe });
    }
    this.#samples.forget(probe);
  }

  ruleEvaluation(seconds: number): void {
    this.#evaluation.observe(seconds);
  }

  /** A delivery attempt; `latencySeconds` (queue → delivered) only for delivered ones. */
  notification(channel: string, result: 'delivered' | 'retry' | 'failed' | 'fallback', latencySeconds?: number): void {
    this.#notifications.inc({ channel, result });
    if (latencySeconds !== undefined) this.#delivery.observe({ channel }, latencySeconds);
  }

  /**
   * Starts the escalation chain's counters at 0 (every from→to step, and both breach kinds per level), so a
   * dashboard shows 0 rather than "No data" until the first escalation; series of removed levels keep their count.
   */
  declareLevels(levels: Levels): void {
    for (const [from, level] of Object.entries(levels) as [Priority, Levels[Priority]][]) {
      if (level === undefined) continue;
      if (level.escalate_to !== undefined && level.escalate_to !== 'none') {
        this.#escalations.inc({ from, to: level.escalate_to }, 0);
      }
      for (const kind of ['ack', 'resolve'] as const) this.#slaBreaches.inc({ priority: from, kind }, 0);
    }
  }

  escalation(from: Priority, to: Priority): void {
    this.#escalations.inc({ from, to });
  }

  acknowledged(priority: Priority, secondsSinceFiring: number): void {
    this.#timeToAck.observe({ priority }, secondsSinceFiring);
  }

  resolved(priority: Priority, secondsSinceFiring: number): void {
    this.#timeToResolve.observe({ priority }, secondsSinceFiring);
  }

  slaBreach(priority: Priority, kind: 'ack' | 'resolve'): void {
    this.#slaBreaches.inc({ priority, kind });
  }

  /** Alerts a source sent: taken in, and refused as past its max_alerts. */
  received(source: string, counts: { accepted: number; refused: number }): void {
    this.#received.inc({ source, result: 'accepted' }, counts.accepted);
    this.#received.inc({ source, result: 'refused' }, counts.refused);
  }

  configReload(result: 'ok' | 'invalid'): void {
    this.#reloads.inc({ result });
  }

  /** The exposition in Prometheus text format 0.0.4. */
  async expose(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

interface Family {
  gauge: Gauge;
  labelNames: string[];
  /** Latest series per probe; replaced wholesale on each run so vanished series vanish. */
  byProbe: Map<string, { labels: Record<string, string>; value: number }[]>;
}

/** Mirrors probe samples into `centinela_sample_<name>` gauge families (see the top of this file). */
class SampleMirror {
  readonly #families = new Map<string, Family>();
  readonly #probeFamilies = new Map<string, Set<string>>();

  constructor(readonly registry: Registry) {}

  record(probe: string, samples: readonly Sample[]): void {
    const next = new Map<string, { labels: Record<string, string>; value: number }[]>();
    for (const s of samples) {
      const relative = s.name.startsWith(`${probe}.`) ? s.name.slice(probe.length + 1) : s.name;
      if (relative === 'up' || relative === 'duration_seconds') continue;
      const { name, scale } = inSeconds(metricName(relative));
      const family = `centinela_sample_${name}`;
      const labels: Record<string, string> = { probe };
      for (const [k, v] of Object.entries(s.labels)) labels[labelName(k)] = v;
      const list = next.get(family) ?? [];
      list.push({ labels, value: s.value * scale });
      next.set(family, list);
    }
    for (const old of this.#probeFamilies.get(probe) ?? []) {
      if (!next.has(old)) this.#drop(old, probe);
    }
    for (const [family, series] of next) this.#family(family, series).byProbe.set(probe, series);
    this.#probeFamilies.set(probe, new Set(next.keys()));
  }

  forget(probe: string): void {
    for (const family of this.#probeFamilies.get(probe) ?? []) this.#drop(family, probe);
    this.#probeFamilies.delete(probe);
  }

  #drop(name: string, probe: string): void {
    const f = this.#families.get(name);
    if (!f) return;
    f.byProbe.delete(probe);
    if (f.byProbe.size === 0) {
      this.registry.removeSingleMetric(name);
      this.#families.delete(name);
    }
  }

  /** The family, created or widened (prom-client fixes label names at creation) to hold these series' labels. */
  #family(name: string, series: { labels: Record<string, string> }[]): Family {
    const existing = this.#families.get(name);
    const wanted = new Set(existing?.labelNames ?? ['probe']);
    for (const s of series) for (const k of Object.keys(s.labels)) wanted.add(k);
    if (existing && existing.labelNames.length === wanted.size) return existing;
    if (existing) this.registry.removeSingleMetric(name);
    const byProbe = existing?.byProbe ?? new Map();
    const labelNames = [...wanted];
    const gauge = new Gauge({
      name,
      help: `centinela sample ${name.slice('centinela_sample_'.length)} as the probe labelled probe= last measured it`,
      labelNames,
      registers: [this.registry],
      collect(this: Gauge) {
        this.reset();
        for (const list of byProbe.values()) for (const s of list) this.set(s.labels, s.value);
      },
    });
    const family = { gauge, labelNames, byProbe };
    this.#families.set(name, family);
    return family;
  }
}

/** A sample name as a metric name: dots and anything else Prometheus does not allow become `_`. */
function metricName(name: string): string {
  const s = name.replace(/[^a-zA-Z0-9_]/g, '_');
  return /^[0-9]/.test(s) ? `_${s}` : s;
}

/** Time units a sample name may count in, and their length in seconds: Prometheus measures time in seconds. */
const TIME_UNITS = new Map([
  ['days', 86_400],
  ['hours', 3_600],
  ['minutes', 60],
  ['milliseconds', 0.001],
]);

/**
 * A metric name in Prometheus' base unit, as `promtool check metrics` asks: each word that is a time unit becomes
 * `seconds` and the value is scaled to match (`hours_until_full` 5 → `seconds_until_full` 18000,
 * `days_until_expiry` → `seconds_until_expiry`). Rules keep the probe's own name and unit.
 */
function inSeconds(name: string): { name: string; scale: number } {
  let scale = 1;
  const words = name.split('_').map((word) => {
    const seconds = TIME_UNITS.get(word);
    if (seconds === undefined) return word;
    scale *= seconds;
    return 'seconds';
  });
  return { name: words.join('_'), scale };
}

/** A sample label as a Prometheus label name; `probe` and reserved `__` names are kept as `exported_<name>`. */
function labelName(name: string): string {
  const s = metricName(name);
  return s === 'probe' || s.startsWith('__') ? `exported_${s}` : s;
}
