// The probe half of the configuration language: keys common to every probe and each kind's own keys.
// Every kind is designed here, from the runbook's Monitoring section, so the language is one whole;
// the implementation of each kind lives in src/probes/<kind>.ts and receives the parsed config below.
import { dirname } from 'node:path';
import { z } from 'zod';
import type { FromEnv } from '../env-names.js';
import { matchers } from '../matchers.js';
import { compileRegex, type Regex } from '../regex.js';
import {
  credential,
  duration,
  headers,
  labels,
  name,
  optionalSecret,
  postgresUrl,
  secretUrl,
  secretUrlOf,
} from './primitives.js';

const common = {
  name,
  /** Fixed interval between runs. Exactly one of every/cron. */
  every: duration.optional(),
  /** Five- or six-field cron expression (node-cron). */
  cron: z.string().optional(),
  /** Each run is aborted after this long. */
  timeout: duration.default(10_000),
  /** Labels added to every sample of this probe. */
  labels: labels.optional(),
  description: z.string().optional(),
};

const tls = z.strictObject({
  /** Accept any certificate (self-signed staging). */
  insecure: z.boolean().default(false),
  /** PEM file with extra CA certificates. */
  ca_file: z.string().optional(),
  /** SNI / certificate name when it differs from the URL host. */
  server_name: z.string().optional(),
});

const statusPattern = z.union([
  z.number().int().min(100).max(599),
  z.string().regex(/^[1-5]xx$/, { message: 'must be a status code (200) or a class (2xx)' }),
]);

export const httpProbe = z.strictObject({
  ...common,
  kind: z.literal('http'),
  url: secretUrl,
  method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']).default('GET'),
  headers: headers.optional(),
  body: z.string().optional(),
  expect: z
    .strictObject({
      /** Status codes or classes that count as up. */
      status: z.array(statusPattern).default(['2xx']),
      /** Dotted JSON path → expected value, e.g. `status: healthy`. */
      json: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
      /** A regular expression (RE2) found anywhere in the body. */
      body_regex: regexKey('"status":\\s*"ok"').optional(),
    })
    .default({ status: ['2xx'] }),
  /** Stop reading the body after this many bytes. */
  max_body_bytes: z.number().int().positive().default(1_048_576),
  /** Follow up to this many redirects; 0 disables following. */
  max_redirects: z.number().int().min(0).default(5),
  tls: tls.optional(),
});

/** A metric or sample name as an exposition writes it, unquoted: `http_requests_total`, or Prometheus 3's `go.gc_count`. */
const metricName = z.string().regex(/^[^\s"]+$/, {
  message:
    'is not a metric name. Write it without quotes or blanks: http_requests_total, or a UTF-8 name like go.gc_count',
});

/**
 * An item's own window: `scrape` computes between the last two scrapes (the rate of the last interval), beside the
 * probe's `window`, for rules that must see a change within a run or two (a rule's `fast` path).
 */
const itemWindow = z
  .literal('scrape', {
    error: "is not scrape. Write window: scrape (between the last two scrapes), or leave it out for the probe's window",
  })
  .optional();

const histogram = z.strictObject({
  /** Histogram base name, without _bucket. */
  metric: metricName.refine((m) => !m.endsWith('_bucket'), {
    message: 'write the histogram base name, without _bucket (http_request_duration_seconds)',
  }),
  quantiles: z.array(z.number().gt(0).lt(1)).default([0.5, 0.95, 0.99]),
  /** Labels kept apart; empty = one aggregate like `sum by (le)`. */
  by: z.array(z.string()).default([]),
  match: matchers.optional(),
  /** Sample name prefix; samples are `<as>_p95_seconds`. */
  as: name.default('latency'),
  window: itemWindow,
});

/**
 * The name of a sample a metrics probe computes (`as`). /metrics mirrors every sample as a gauge, and Prometheus keeps
 * these endings for counters, histograms and summaries: `promtool check metrics` refuses a gauge named so.
 */
const sampleAs = name.refine((n) => !/_(total|count|sum|bucket)$/.test(n), {
  message:
    'must not end in _total, _count, _sum or _bucket: /metrics shows every sample as a gauge, and Prometheus keeps ' +
    'those endings for counters and histograms. Name what it measures, e.g. requests_per_second',
});

const counterRate = z.strictObject({
  metric: metricName,
  by: z.array(z.string()).default([]),
  match: matchers.optional(),
  /** Sample name; the value is per second. */
  as: sampleAs,
  window: itemWindow,
});

const errorRate = z.strictObject({
  /** Request counter with a status label. */
  metric: metricName,
  status_label: z.string().default('status'),
  /** A regular expression (RE2) the whole status must match; the default takes both `500` and `5xx` styles. */
  error_status: regexKey('5\\d\\d|5xx').default('5\\d\\d|5xx'),
  by: z.array(z.string()).default([]),
  match: matchers.optional(),
  as: sampleAs.default('error_percent'),
  window: itemWindow,
});

const gauge = z.strictObject({
  metric: metricName,
  by: z.array(z.string()).default([]),
  match: matchers.optional(),
  as: sampleAs,
});

export const metricsProbe = z
  .strictObject({
    ...common,
    kind: z.literal('metrics'),
    url: secretUrl,
    headers: headers.optional(),
    /** Rates and quantiles are computed over this window of scrapes (like rate(x[5m])). */
    window: duration.default(300_000),
    histograms: z.array(histogram).default([]),
    rates: z.array(counterRate).default([]),
    error_rates: z.array(errorRate).default([]),
    gauges: z.array(gauge).default([]),
    /** A larger exposition is not read past this many bytes: cannot measure. */
    max_body_bytes: z.number().int().positive().default(16_777_216),
    /** More series selected by histograms, rates, error_rates and gauges than this in one scrape: cannot measure. */
    max_series: z.number().int().positive().default(20_000),
    tls: tls.optional(),
  })
  .superRefine((probe, ctx) => {
    // A window that holds one scrape never yields a rate: the probe would warm up forever without saying why.
    if (probe.every !== undefined && probe.window <= probe.every) {
      ctx.addIssue({
        code: 'custom',
        path: ['window'],
        message: 'must be longer than every: rates need two scrapes inside the window. Write 4 times every or more',
      });
    }
    const owners = new Map<string, string>();
    for (const list of ['histograms', 'rates', 'error_rates', 'gauges'] as const) {
      probe[list].forEach((item, i) => {
        const owner = owners.get(item.as);
        if (owner) {
          ctx.addIssue({
            code: 'custom',
            path: [list, i, 'as'],
            message: `is already the name of ${owner}`,
          });
        }
        owners.set(item.as, `${list}[${i}]`);
      });
    }
  });

export const wsStatsProbe = z.strictObject({
  ...common,
  kind: z.literal('ws_stats'),
  url: secretUrl,
  headers: headers.optional(),
  tls: tls.optional(),
});

export const websocketProbe = z.strictObject({
  ...common,
  kind: z.literal('websocket'),
  url: secretUrl,
  headers: headers.optional(),
  /** Send a ping after the handshake and time the pong. */
  ping: z.boolean().default(true),
  tls: tls.optional(),
});

export const tlsProbe = z.strictObject({
  ...common,
  kind: z.literal('tls'),
  /** host or host:port (443 when omitted); one sample set per host, labelled host=. */
  hosts: z
    .array(
      z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[^\s:/[\]]+)(:\d{1,5})?$/, {
        message: 'is not a host. Write api.example.org, api.example.org:8443 or [2001:db8::1]:443',
      }),
    )
    .min(1),
  server_name: z.string().optional(),
  ca_file: z.string().optional(),
});

export const postgresProbe = z
  .strictObject({
    ...common,
    kind: z.literal('postgres'),
    /** postgres:// or postgresql://, its TLS parameters (sslmode, sslrootcert, …) as libpq reads them. */
    url: postgresUrl('postgres://user:${PASSWORD}@db:5432/app'),
    /** Active queries running longer than this are slow (runbook: 1 second). */
    slow_query: duration.default(1_000),
    /** Sessions idle in transaction longer than this are listed (runbook: 5 minutes). */
    idle_in_transaction: duration.default(300_000),
    /** How many slow / idle-in-transaction sessions to keep as detail. */
    top: z.number().int().min(0).max(100).default(5),
    /** Window of database size readings that database_growth_bytes_per_day is the slope of. */
    growth_window: duration.default(24 * 3_600_000),
    /** statement_timeout for centinela's own queries; defaults to the probe timeout. */
    statement_timeout: duration.optional(),
    tls: tls.optional(),
  })
  // With tls the URL's TLS parameters would be left out without a word: one place says how to connect.
  .refine(
    (probe) => !probe.tls || ![...new URL(probe.url.reveal()).searchParams.keys()].some((k) => k.startsWith('ssl')),
    {
      path: ['tls'],
      message:
        'is given, and url has TLS parameters (sslmode, sslrootcert, …) too. Write the TLS of the connection in one of ' +
        'them: sslmode=verify-full&sslrootcert=/path/to/ca.pem in url, or tls alone',
      when: (payload) => payload.issues.length === 0,
    },
  );

export const redisProbe = z.strictObject({
  ...common,
  kind: z.literal('redis'),
  /** redis://, rediss:// (TLS), with the database number as the path (0 when none); password in it or `password`. */
  url: secretUrlOf(['redis:', 'rediss:'], 'redis://redis:6379').refine(
    (u) => /^\/?\d*$/.test(new URL(u.reveal()).pathname),
    {
      message: 'must have a database number as its path, or none. Write e.g. redis://redis:6379/0',
      when: (payload) => payload.issues.length === 0, // after a wrong scheme, the path means nothing
    },
  ),
  password: optionalSecret,
  tls: tls.optional(),
});

const logsWatch = z.strictObject({
  /**
   * A regular expression (RE2, case-insensitive) found anywhere in an error line; JSON lines with a `level` are judged
   * by it instead.
   */
  pattern: regexKey('error|exception|traceback', { ignoreCase: true }).default('error'),
  /** A JSON line whose string `level` field is one of these (any case) counts; other JSON levels never do. */
  json_levels: z.array(z.string()).default(['error', 'critical', 'fatal']),
  /** How many of the last matching lines to keep as detail. */
  keep: z.number().int().min(0).max(200).default(20),
});

const dockerEndpoint = z.string().regex(/^(unix:\/\/\/.+|tcp:\/\/[^/?#]+:\d+\/?)$/, {
  message: 'is not a docker endpoint. Write unix:///var/run/docker.sock or tcp://host:2375',
});

export const dockerProbe = z.strictObject({
  ...common,
  kind: z.literal('docker'),
  /**
   * unix:///var/run/docker.sock (the default), or tcp://host:2375. To follow DOCKER_HOST, write
   * `endpoint: ${DOCKER_HOST:-unix:///var/run/docker.sock}`.
   */
  endpoint: dockerEndpoint.optional(),
  /** Containers by name (compose container_name); with neither this nor match_labels, every container. */
  containers: z.array(z.string()).default([]),
  /** Containers carrying all these labels, e.g. com.docker.compose.project: grupo_gad (added to the named ones). */
  match_labels: z.record(z.string(), z.string()).optional(),
  /**
   * Compose services that must have a container among the selected ones: one with none (removed, never created)
   * yields `present` 0 labelled `service` alone, as a missing named container yields it labelled `container`.
   */
  services: z.array(z.string()).default([]),
  /** Count error lines in each container's log; false to skip. */
  logs: z
    .union([z.literal(false), logsWatch])
    .default({ pattern: 'error', json_levels: ['error', 'critical', 'fatal'], keep: 20 }),
  /** Sample CPU and memory (one stats call per running container per run; it takes the Engine about 2 s). */
  stats: z.boolean().default(true),
});

export const caddyAccessLogProbe = z
  .strictObject({
    ...common,
    kind: z.literal('caddy_access_log'),
    /** Read Caddy's JSON access log from this container's output through the Docker Engine API (compose container_name). */
    container: z.string().min(1).optional(),
    /** The Engine for `container`: unix:///var/run/docker.sock (the default), or tcp://host:2375. */
    endpoint: dockerEndpoint.optional(),
    /** Or tail this file (Caddy's `output file`); rotation and truncation are followed. */
    file: z.string().min(1).optional(),
    /** How many client IPs and routes are reported by name, in samples and in the detail. */
    top: z.number().int().min(1).max(100).default(10),
    /** A run reads at most this many bytes of log; the rest waits for the next run. */
    max_bytes: z.number().int().positive().default(16_777_216),
  })
  .superRefine((probe, ctx) => {
    if ((probe.container === undefined) === (probe.file === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: 'needs either container (e.g. grupo_gad_caddy) or file (e.g. /var/log/caddy/access.log), not both',
      });
    }
    if (probe.endpoint !== undefined && probe.container === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['endpoint'],
        message: 'is only for container. Remove it, or use container',
      });
    }
  });

/**
 * A key holding a regular expression (RE2 syntax, src/regex.ts), refused at load with the words compileRegex gives,
 * so that check refuses exactly what the probe could not compile. `example` is what to write instead.
 */
function regexKey(example: string, options: { ignoreCase?: boolean } = {}) {
  return z.string().superRefine((source, ctx) => {
    const compiled = compileRegex(source, options);
    if (!('problem' in compiled)) return;
    // A regex too large already says what to write; one that is not a regex gets an example.
    const fix = /\bWrite\b/.test(compiled.problem) ? '' : `. Write e.g. ${example}`;
    ctx.addIssue({ code: 'custom', message: `${compiled.problem}${fix}` });
  });
}

/**
 * The regex of a probe key validated by regexKey, compiled for the probe: `ignoreCase` as the key's schema compiled it.
 * A refusal here is a config that did not pass through the schema.
 */
export function probeRegex(source: string, options: { ignoreCase?: boolean } = {}): Regex {
  const compiled = compileRegex(source, options);
  if ('problem' in compiled) throw new Error(`a probe's pattern ${compiled.problem}`);
  return compiled;
}

const backupGlob = z.strictObject({
  /** A glob such as backups/*.sql.gz, wildcards in the file name only; the newest match is measured. */
  glob: z.string().refine((g) => !/[*?[\]{}]|[+@!]\(/.test(dirname(g)), {
    // The probe lists one folder, so that a folder it cannot list is reported, not counted as no backups.
    message: 'has a wildcard in its folder part. Put wildcards in the file name only: /opt/grupogad/backups/*.sql.gz',
  }),
  /** Label value for the samples (defaults to the glob). */
  name: z.string().optional(),
  /**
   * Files whose name matches this glob are not counted (`pre_deploy_*.sql.gz`), so one kind of dump does not hide
   * another's absence (a deploy's dump standing in for a dead weekly cron).
   */
  exclude: z
    .string()
    .refine((g) => !g.includes('/'), {
      message: 'is a path. Write a file-name glob only, e.g. pre_deploy_*.sql.gz',
    })
    .optional(),
});

const dirSize = z.strictObject({
  path: z.string(),
  /** The walk stops after this many entries and reports a lower bound. */
  max_entries: z.number().int().positive().default(100_000),
});

export const diskProbe = z.strictObject({
  ...common,
  kind: z.literal('disk'),
  /** Mount points or any path on them; used %, free bytes and inodes. */
  paths: z.array(z.string()).default(['/']),
  directories: z.array(dirSize).default([]),
  backups: z.array(backupGlob).default([]),
  /** Window of recent growth used for hours-until-full. */
  growth_window: duration.default(6 * 3_600_000),
});

export const hostProbe = z.strictObject({
  ...common,
  kind: z.literal('host'),
  /** Where /proc is mounted (a container sees the host's at /host/proc). */
  proc: z.string().default('/proc'),
});

/**
 * The off-site copy of the backups in S3-compatible storage (AWS S3, MinIO, DigitalOcean Spaces, Backblaze B2…):
 * the objects under a prefix, their count and the newest one's age and size. An empty bucket turns it off, so the
 * shipped file can carry it as `${OFFSITE_S3_BUCKET:-}`.
 */
export const s3Probe = z
  .strictObject({
    ...common,
    kind: z.literal('s3'),
    /** The bucket; empty means the check is off. */
    bucket: z.string().transform((b) => (b === '' ? undefined : b)),
    /** Only keys starting with this (a folder such as `backups/`); empty: the whole bucket. */
    prefix: z.string().default(''),
    /** Objects whose name (after the last /) matches this glob are not counted, as the disk probe's exclude. */
    exclude: z
      .string()
      .refine((g) => !g.includes('/'), {
        message: 'is a path. Write a file-name glob only, e.g. pre_deploy_*.sql.gz',
      })
      .optional(),
    /** The service's address for S3-compatible storage (https://minio.example.org:9000); empty or absent: AWS. */
    endpoint: z
      .string()
      .refine((u) => u === '' || /^https?:$/.test(URL.parse(u)?.protocol ?? ''), {
        message: 'is not an http:// or https:// URL. Write e.g. https://s3.example.org or http://minio:9000',
      })
      .transform((u) => (u === '' ? undefined : u))
      .optional(),
    region: z.string().min(1).default('us-east-1'),
    /** Address the bucket in the path (endpoint/bucket/key), as most S3-compatible servers want. */
    path_style: z.boolean().default(false),
    access_key_id: optionalSecret,
    secret_access_key: optionalSecret,
    /** More objects than this under the prefix: cannot measure (the newest could be among those not listed). */
    max_objects: z.number().int().positive().default(100_000),
  })
  .superRefine((probe, ctx) => {
    if (probe.bucket === undefined) return;
    for (const key of ['access_key_id', 'secret_access_key'] as const) {
      if (probe[key] === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: 'is needed when bucket is set: a key that may list the bucket (s3:ListBucket) is enough',
        });
      }
    }
  });

export const heartbeatProbe = z.strictObject({
  ...common,
  kind: z.literal('heartbeat'),
  /** A push is expected at least this often (e.g. the weekly backup script: 7d). */
  expect_every: duration,
  /** Extra slack before the push counts as missed: the job's own run time and a late start. */
  grace: duration.default(5 * 60_000),
  /** Lets a job ping POST /api/v1/heartbeats/<name>/<secret> without holding the write token. */
  secret: credential('the ping URL', { inPath: true }),
});

export const probeConfig = z.discriminatedUnion('kind', [
  httpProbe,
  metricsProbe,
  wsStatsProbe,
  websocketProbe,
  tlsProbe,
  postgresProbe,
  redisProbe,
  dockerProbe,
  diskProbe,
  hostProbe,
  heartbeatProbe,
  caddyAccessLogProbe,
  s3Probe,
]);

/** A probe's config as loaded: what its schema made, and which of its values came from the environment. */
export type ProbeConfig = z.output<typeof probeConfig> & FromEnv;
export type ProbeKindName = ProbeConfig['kind'];
export type HttpProbeConfig = z.output<typeof httpProbe>;
export type MetricsProbeConfig = z.output<typeof metricsProbe>;
export type WsStatsProbeConfig = z.output<typeof wsStatsProbe>;
export type WebsocketProbeConfig = z.output<typeof websocketProbe>;
export type TlsProbeConfig = z.output<typeof tlsProbe>;
export type PostgresProbeConfig = z.output<typeof postgresProbe>;
export type RedisProbeConfig = z.output<typeof redisProbe>;
export type DockerProbeConfig = z.output<typeof dockerProbe>;
export type DiskProbeConfig = z.output<typeof diskProbe>;
export type HostProbeConfig = z.output<typeof hostProbe>;
export type HeartbeatProbeConfig = z.output<typeof heartbeatProbe>;
export type CaddyAccessLogProbeConfig = z.output<typeof caddyAccessLogProbe>;
export type S3ProbeConfig = z.output<typeof s3Probe>;
