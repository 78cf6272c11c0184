// The stack a team would run instead of centinela, from Debian's packages, with the fast profile of issue 14:
// Prometheus (5 s scrape and evaluation, `for: 10s`, `[1m]` rate windows), Alertmanager (group_wait and
// group_interval 1 s, email and webhook with send_resolved) and the blackbox, postgres, redis and node exporters —
// six processes on free loopback ports, with rules equivalent to the shipped config/alerts.yaml for what these
// exporters see (the API's health and golden signals, PostgreSQL, Redis, one filesystem) under the same alert names,
// priorities and thresholds (read from the loaded config, so a changed threshold changes both), and the shipped
// inhibitions.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { systemClock } from '../../src/clock.js';
import type { RuleConfig } from '../../src/config/schema.js';
import { freePort } from '../../test/support/tcp-target.js';

/** What the anchor watches, and where it pages. */
export interface AnchorTargets {
  /** host:port of the API's /metrics. */
  api: string;
  /** The health endpoint's URL; healthy means 200 with `"status": "healthy"`. */
  health: string;
  /** postgres://… of the database the exporter reads. */
  postgres: string;
  /** redis://host:port */
  redis: string;
  /** The mount point of the watched filesystem. */
  mountpoint: string;
  /** host:port of the SMTP server (STARTTLS, any certificate) and the webhook URL. */
  smtp: string;
  webhook: string;
}

/** The six processes' ports. */
export interface AnchorPorts {
  prometheus: number;
  alertmanager: number;
  blackbox: number;
  postgres: number;
  redis: number;
  node: number;
}

/** A shipped rule as the anchor mirrors it: its name, comparison and thresholds (config/alerts.yaml as loaded). */
export type ShippedRule = Pick<RuleConfig, 'name' | 'op' | 'thresholds'>;

/**
 * What Prometheus evaluates for a shipped rule: an expression compared with the rule's own op and threshold, or, for
 * a rule whose threshold is not a value of the series (the hours a disk has left), the comparison built from it.
 */
type Mirror = string | { at: (threshold: number) => string };

/** The shipped rules in PromQL, by name; the thresholds and comparisons come from the loaded config. */
function mirrors(t: AnchorTargets): Record<string, Mirror> {
  const api = 'job="api"';
  const fs = `mountpoint="${t.mountpoint}"`;
  const rate = (selector: string) => `sum(rate(${selector}[1m]))`;
  return {
    ApiDown: 'probe_success{job="api_health"}',
    ApiLatencyHigh: `histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{${api}}[1m])))`,
    ApiLatencyP99High: `histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{${api}}[1m])))`,
    TrafficAboveRunbookPeak: rate(`http_requests_total{${api}}`),
    TrafficStopped: rate(`http_requests_total{${api}}`),
    ApiErrorRateHigh: `100 * ${rate(`http_requests_total{${api},status=~"5.."}`)} / ${rate(`http_requests_total{${api}}`)}`,
    MetricsScrapeFailing: `up{${api}}`,
    DbDown: 'pg_up',
    DbSlowQueries: 'pg_sessions_slow',
    DbIdleInTransaction: 'pg_sessions_oldest_idle_in_transaction_seconds',
    DbConnectionsHigh: '100 * sum(pg_sessions_connections) / sum(pg_settings_max_connections)',
    DbDeadlocks: rate('pg_stat_database_deadlocks{datname="grupogad_prod"}'),
    RedisDown: 'redis_up',
    // A Redis without maxmemory (0) has no share to alert on: the divisor filter drops it.
    RedisMemoryHigh: '100 * redis_memory_used_bytes / (redis_memory_max_bytes > 0)',
    RedisRejectingConnections: rate('redis_rejected_connections_total'),
    DiskSpaceLow: `100 * (1 - node_filesystem_avail_bytes{${fs}} / node_filesystem_size_bytes{${fs}})`,
    // Full within the threshold's hours at the last hour's pace.
    DiskFillingUp: { at: (hours) => `predict_linear(node_filesystem_avail_bytes{${fs}}[1h], ${hours} * 3600) < 0` },
  };
}

/** One Prometheus alert per mirrored rule and priority, at the shipped rule's thresholds. */
function ruleTable(
  t: AnchorTargets,
  shipped: readonly ShippedRule[],
): Record<string, { priority: string; expr: string }[]> {
  return Object.fromEntries(
    Object.entries(mirrors(t)).map(([name, mirror]) => {
      const rule = shipped.find((r) => r.name === name);
      if (!rule) throw new Error(`the shipped config has no rule ${name}, which the anchor mirrors`);
      const bands = Object.entries(rule.thresholds).map(([priority, threshold]) => ({
        priority,
        expr: typeof mirror === 'string' ? `${mirror} ${rule.op} ${threshold}` : mirror.at(threshold),
      }));
      return [name, bands];
    }),
  );
}

/** Prometheus' rule file: one alert per rule and priority, `for: 10s`. */
export function anchorRules(t: AnchorTargets, shipped: readonly ShippedRule[]): string {
  const rules = Object.entries(ruleTable(t, shipped)).flatMap(([alert, alerts]) =>
    alerts.map(({ priority, expr }) => ({ alert, expr, for: '10s', labels: { priority } })),
  );
  return stringify({ groups: [{ name: 'centinela-equivalent', rules }] });
}

/** prometheus.yml: the API, its health through blackbox, and the three exporters, every 5 s. */
export function prometheusConfig(t: AnchorTargets, ports: AnchorPorts): string {
  const local = (port: number) => `127.0.0.1:${port}`;
  const job = (name: string, port: number) => ({ job_name: name, static_configs: [{ targets: [local(port)] }] });
  return stringify({
    global: { scrape_interval: '5s', evaluation_interval: '5s', scrape_timeout: '4s' },
    rule_files: ['rules.yml'],
    alerting: { alertmanagers: [{ static_configs: [{ targets: [local(ports.alertmanager)] }] }] },
    scrape_configs: [
      { job_name: 'api', static_configs: [{ targets: [t.api] }] },
      {
        job_name: 'api_health',
        metrics_path: '/probe',
        params: { module: ['health'] },
        static_configs: [{ targets: [t.health] }],
        relabel_configs: [
          { source_labels: ['__address__'], target_label: '__param_target' },
          { source_labels: ['__param_target'], target_label: 'instance' },
          { target_label: '__address__', replacement: local(ports.blackbox) },
        ],
      },
      job('postgres', ports.postgres),
      job('redis', ports.redis),
      job('node', ports.node),
    ],
  });
}

/** blackbox.yml: the health check as the shipped api_health probe makes it. */
export const BLACKBOX_CONFIG = stringify({
  modules: {
    health: {
      prober: 'http',
      timeout: '4s',
      http: {
        valid_status_codes: [200],
        fail_if_body_not_matches_regexp: ['"status":\\s*"healthy"'],
        preferred_ip_protocol: 'ip4',
      },
    },
  },
});

/** The postgres exporter's own queries for what the shipped postgres probe counts (client backends only). */
export const POSTGRES_QUERIES = stringify({
  pg_sessions: {
    query: `SELECT count(*)::float8 AS connections,
  count(*) FILTER (WHERE state = 'active' AND now() - query_start > interval '1 second')::float8 AS slow,
  coalesce(max(extract(epoch FROM now() - state_change)) FILTER (WHERE state LIKE 'idle in transaction%'), 0)::float8
    AS oldest_idle_in_transaction_seconds
FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()`,
    metrics: [
      { connections: { usage: 'GAUGE', description: 'Client backends, this one included' } },
      { slow: { usage: 'GAUGE', description: 'Queries active for more than 1 s' } },
      {
        oldest_idle_in_transaction_seconds: { usage: 'GAUGE', description: 'Oldest session idle in transaction' },
      },
    ],
  },
});

/** alertmanager.yml: one receiver by email and webhook, grouped by alert name, and the shipped inhibitions. */
export function alertmanagerConfig(t: AnchorTargets): string {
  const inhibit = (source: string[], target: string[], equal?: string[]) => ({
    source_matchers: source,
    target_matchers: target,
    ...(equal ? { equal } : {}),
  });
  return stringify({
    route: {
      receiver: 'oncall',
      group_by: ['alertname'],
      group_wait: '1s',
      group_interval: '1s',
      repeat_interval: '1h',
    },
    receivers: [
      {
        name: 'oncall',
        email_configs: [
          {
            to: 'oncall@grupogad.gob.ec',
            from: 'alertmanager@grupogad.gob.ec',
            smarthost: t.smtp,
            require_tls: true,
            tls_config: { insecure_skip_verify: true },
            send_resolved: true,
          },
        ],
        webhook_configs: [{ url: t.webhook, send_resolved: true }],
      },
    ],
    inhibit_rules: [
      // A more urgent band of an alert holds back its less urgent ones, as centinela pages one priority per alert.
      inhibit(['priority="P0"'], ['priority=~"P1|P2|P3"'], ['alertname']),
      inhibit(['priority="P1"'], ['priority=~"P2|P3"'], ['alertname']),
      inhibit(['priority="P2"'], ['priority="P3"'], ['alertname']),
      inhibit(
        ['alertname="ApiDown"'],
        [
          'alertname=~"ApiLatencyHigh|ApiLatencyP99High|ApiErrorRateHigh|TrafficAboveRunbookPeak|TrafficStopped|MetricsScrapeFailing"',
        ],
      ),
      inhibit(
        ['alertname="DbDown"'],
        [
          'alertname=~"ApiDown|ApiLatencyHigh|ApiLatencyP99High|ApiErrorRateHigh|DbSlowQueries|DbIdleInTransaction|DbConnectionsHigh"',
        ],
      ),
      inhibit(['alertname="RedisDown"'], ['alertname=~"RedisMemoryHigh|RedisRejectingConnections"']),
      inhibit(['alertname="DiskSpaceLow"', 'priority="P1"'], ['alertname="DiskFillingUp"'], ['mountpoint']),
      inhibit(['alertname="ApiLatencyHigh"'], ['alertname="ApiLatencyP99High"']),
    ],
  });
}

/** One running process of the anchor. */
export interface AnchorProcess {
  name: string;
  pid: number;
}

/** The running anchor: its processes (for their footprint), and close(). */
export interface AnchorStack {
  processes: AnchorProcess[];
  /** Prometheus' address, http://127.0.0.1:PORT. */
  prometheus: string;
  close(): Promise<void>;
}

/** Writes the configuration into `dir` and starts the six processes; resolves once each answers. */
export async function startAnchorStack(
  t: AnchorTargets,
  shipped: readonly ShippedRule[],
  dir: string,
): Promise<AnchorStack> {
  mkdirSync(dir, { recursive: true });
  const ports: AnchorPorts = {
    prometheus: await freePort(),
    alertmanager: await freePort(),
    blackbox: await freePort(),
    postgres: await freePort(),
    redis: await freePort(),
    node: await freePort(),
  };
  const file = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  const listen = (port: number) => `--web.listen-address=127.0.0.1:${port}`;
  file('rules.yml', anchorRules(t, shipped));
  const specs: { name: string; bin: string; args: string[]; ready: string; env?: Record<string, string> }[] = [
    {
      name: 'prometheus',
      bin: 'prometheus',
      args: [
        `--config.file=${file('prometheus.yml', prometheusConfig(t, ports))}`,
        `--storage.tsdb.path=${join(dir, 'tsdb')}`,
        listen(ports.prometheus),
      ],
      ready: `http://127.0.0.1:${ports.prometheus}/-/ready`,
    },
    {
      name: 'alertmanager',
      bin: 'prometheus-alertmanager',
      args: [
        `--config.file=${file('alertmanager.yml', alertmanagerConfig(t))}`,
        `--storage.path=${join(dir, 'alertmanager')}`,
        '--cluster.listen-address=',
        listen(ports.alertmanager),
      ],
      ready: `http://127.0.0.1:${ports.alertmanager}/-/ready`,
    },
    {
      name: 'blackbox_exporter',
      bin: 'prometheus-blackbox-exporter',
      args: [`--config.file=${file('blackbox.yml', BLACKBOX_CONFIG)}`, listen(ports.blackbox)],
      ready: `http://127.0.0.1:${ports.blackbox}/metrics`,
    },
    {
      name: 'postgres_exporter',
      bin: 'prometheus-postgres-exporter',
      args: [`--extend.query-path=${file('queries.yml', POSTGRES_QUERIES)}`, listen(ports.postgres)],
      env: { DATA_SOURCE_NAME: t.postgres },
      ready: `http://127.0.0.1:${ports.postgres}/metrics`,
    },
    {
      name: 'redis_exporter',
      bin: 'prometheus-redis-exporter',
      args: ['-redis.addr', t.redis, '-web.listen-address', `127.0.0.1:${ports.redis}`],
      ready: `http://127.0.0.1:${ports.redis}/metrics`,
    },
    {
      name: 'node_exporter',
      bin: 'prometheus-node-exporter',
      args: [listen(ports.node)],
      ready: `http://127.0.0.1:${ports.node}/metrics`,
    },
  ];
  const children: { name: string; child: ChildProcess; stderr: () => string }[] = [];
  const close = async () => {
    await Promise.all(
      children.map(
        ({ child }) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }),
      ),
    );
  };
  try {
    for (const spec of specs) {
      const child = spawn(spec.bin, spec.args, {
        env: { PATH: process.env.PATH, ...spec.env },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let err = '';
      child.stderr?.on('data', (c: Buffer) => {
        err = (err + c.toString()).slice(-4000);
      });
      child.on('error', (e) => {
        // Each binary is Debian's package of the same name.
        err = `${e.message}: apt-get install -y ${spec.bin}`;
      });
      children.push({ name: spec.name, child, stderr: () => err });
    }
    for (const [i, spec] of specs.entries()) {
      const { child, stderr } = children[i] as (typeof children)[number];
      await untilAnswers(spec.ready, () => {
        if (child.exitCode !== null || child.pid === undefined) {
          throw new Error(`${spec.name} did not run (${child.exitCode ?? 'not started'}):\n${stderr()}`);
        }
      });
    }
  } catch (err) {
    await close();
    throw err;
  }
  return {
    processes: children.map(({ name, child }) => ({ name, pid: child.pid ?? 0 })),
    prometheus: `http://127.0.0.1:${ports.prometheus}`,
    close,
  };
}

/** Resolves once `url` answers 200; `check` throws when waiting is pointless (the process died). */
async function untilAnswers(url: string, check: () => void, within = 30_000): Promise<void> {
  const deadline = systemClock.now() + within;
  for (;;) {
    check();
    const ok = await fetch(url).then(
      async (r) => {
        await r.body?.cancel();
        return r.ok;
      },
      () => false,
    );
    if (ok) return;
    if (systemClock.now() > deadline) throw new Error(`${url} did not answer 200 within ${within} ms`);
    await systemClock.sleep(200);
  }
}
