// The three configuration files as strict schemas: unknown keys are errors, durations become milliseconds,
// secrets become Secret values. Cross-references between entries are checked after this, in references.ts.

import { z } from 'zod';
import type { EnvValue, FromEnv } from '../env-names.js';
import { LOCALES } from '../locale/locale.js';
import { matchers } from '../matchers.js';
import {
  bearerToken,
  credential,
  duration,
  headers,
  labels,
  listenAddress,
  name,
  optionalSecret,
  postgresUrl,
  priority,
  priorityMap,
  secret,
  secretUrl,
  url,
} from './primitives.js';
import { probeConfig } from './probes.js';

const comparison = z.enum(['>', '>=', '<', '<=', '==', '!='], {
  error: 'is not a comparison. Use >, >=, <, <=, == or !=',
});

const sampleName = z.string().regex(/^[a-zA-Z][a-zA-Z0-9_-]*\.[a-zA-Z0-9_.]+$/, {
  message: 'must be <probe>.<sample>, e.g. api_health.up',
});

const thresholds = priorityMap(z.number({ error: 'expected a number' })).refine((t) => Object.keys(t).length > 0, {
  message: 'needs at least one priority. Write e.g. { P1: 0.5, P2: 0.2 }',
});

/** A second, fast reading of the same alert: a short-window sample that pages a severe breach soon (rules/fast-path.ts). */
const fastPath = z.strictObject({
  /** From the rule's probe, with the rule's labels: `api_metrics.error_percent_interval`. */
  sample: sampleName,
  thresholds,
  /** Breaching runs in a row before the fast path fires. */
  after_failures: z.number().int().min(1).default(1),
  /** How long its sample must be clear before the alert it fired resolves. */
  clear_for: duration.default(0),
});

export const ruleConfig = z.strictObject({
  name,
  /** The sample this rule watches: `<probe>.<sample>`, e.g. api_metrics.latency_p95_seconds. */
  sample: sampleName,
  /** Label matchers on the sample: value, !=value, =~regex, !~regex. */
  match: matchers.optional(),
  op: comparison,
  /** Thresholds per priority; the most urgent breached one wins. */
  thresholds,
  /** Optional hysteresis: once firing, the alert only clears on the good side of this value. */
  clear_threshold: z.number().optional(),
  /** How long the condition must hold before firing. */
  for: duration.default(0),
  /** Consecutive breaching runs before firing (with or instead of `for`). */
  after_failures: z.number().int().min(1).default(1),
  /** While unconfirmed, re-run the probe at this interval. */
  retry_every: duration.optional(),
  /** How long the condition must be false before resolving. */
  clear_for: duration.default(0),
  fast: fastPath.optional(),
  /**
   * Consecutive clear runs before resolving (with `clear_for`, both must hold). With `retry_every`, the probe runs at
   * that pace while the alert fires, so recovery is seen and confirmed soon after it happens.
   */
  after_successes: z.number().int().min(1).optional(),
  labels: labels.optional(),
  summary: z.string().optional(),
  description: z.string().optional(),
  /** The runbook steps for this alert, shown in the page. */
  runbook: z.union([z.string(), z.array(z.string())]).optional(),
  /** Probes whose detail (error text, slow queries, log lines) is attached to the page. */
  diagnose: z.array(name).default([]),
  /** Labels that group this rule's instances into one message per contact. */
  group_by: z.array(z.string()).default(['alertname']),
  /** Contacts of escalation.yaml paged with whatever its priority's level pages (the security contact). */
  also_page: z.array(name).default([]),
});

export const inhibitConfig = z.strictObject({
  /** While an alert matching these fires... */
  source: matchers,
  /** ...alerts matching these are held back... */
  target: matchers,
  /** ...when these labels are equal on both. */
  equal: z.array(z.string()).default([]),
});

export const maintenanceConfig = z.strictObject({
  name,
  /** When each window opens (cron, in `timezone`). */
  cron: z.string(),
  /** How long it stays open. */
  duration,
  timezone: z.string().default('UTC'),
  /** Which alerts are muted; all when omitted. */
  match: matchers.optional(),
  reason: z.string().optional(),
});

export const evaluationConfig = z.strictObject({
  /** An instance changing state more than `changes` times within `window` is flapping. */
  flapping: z
    .strictObject({ changes: z.number().int().min(2).default(6), window: duration.default(3_600_000) })
    .default({
      changes: 6,
      window: 3_600_000,
    }),
  /** Priority of the alert raised when a probe runs but cannot measure (auth error, missing histogram). */
  cannot_measure: priority.default('P2'),
  /** Longest silence allowed per priority. */
  silence_max: priorityMap(duration).default({ P0: 3_600_000 }),
  /** How many silences may be live (in force or waiting to start) at once; every evaluation matches them all. */
  max_silences: z.number().int().min(1).max(100_000).default(1_000),
  /** Longest one-shot maintenance window (`max`) allowed per priority of the alerts it could hold back. */
  window_max: priorityMap(duration).default({ P0: 3_600_000 }),
});

/** A label name as Prometheus writes one; names starting with `__` are Prometheus' own and never reach alerting. */
export const labelName = z.string().regex(/^(?!__)[a-zA-Z_][a-zA-Z0-9_]*$/, {
  message: 'is not a label name: letters, digits and _, not starting with a digit or __',
});

/** What an external alert's labels say its priority is, label by label: `severity: { critical: P1 }`. */
const priorityLabels = z.record(labelName, z.record(z.string(), priority));

/** An outside system that sends alerts to POST /api/v2/alerts as Prometheus does (Prometheus, Grafana). */
export const sourceConfig = z.strictObject({
  name,
  /**
   * The bearer token this source sends (Prometheus' `authorization.credentials`); without one, the write token
   * feeds it, and only one source may go without.
   */
  token: credential('the alert intake'),
  /** Priority from labels: the first label, in the order written, whose value is mapped decides. */
  priority_labels: priorityLabels.default({
    priority: { P0: 'P0', P1: 'P1', P2: 'P2', P3: 'P3' },
    severity: { critical: 'P1', error: 'P2', warning: 'P2', info: 'P3' },
  }),
  /** The priority of an alert whose labels map to none. */
  default_priority: priority.default('P2'),
  /** Whether its alerts may page at P0 (the CTO's path); when not, a P0 label pages P1. */
  page_p0: z.boolean().default(false),
  /** Labels that group its alerts into one message per contact. */
  group_by: z.array(labelName).default(['alertname']),
  /** How long an alert sent without endsAt stays firing without a resend (Alertmanager's resolve_timeout). */
  resolve_timeout: duration.refine((ms) => ms > 0, { message: 'must be longer than 0s' }).default(5 * 60_000),
  /** At most this many of its alerts are open at once; more new ones are refused (429) until some resolve. */
  max_alerts: z.number().int().min(1).max(100_000).default(20_000),
});

export const alertsFile = z.strictObject({
  probes: z.array(probeConfig).default([]),
  rules: z.array(ruleConfig).default([]),
  inhibit: z.array(inhibitConfig).default([]),
  maintenance: z.array(maintenanceConfig).default([]),
  /** Outside systems that send alerts (Prometheus, Grafana) through the Alertmanager API. */
  sources: z.array(sourceConfig).default([]),
  evaluation: evaluationConfig.default({
    flapping: { changes: 6, window: 3_600_000 },
    cannot_measure: 'P2',
    silence_max: { P0: 3_600_000 },
    max_silences: 1_000,
    window_max: { P0: 3_600_000 },
  }),
});

export const levelConfig = z.strictObject({
  description: z.string().optional(),
  /** The runbook's response time: without an acknowledgement by then, escalate. */
  ack_within: duration,
  /** Remind the paged contacts this often until acknowledged. */
  repeat_every: duration,
  /** Level whose contacts are added when ack_within passes; `none` at the top. */
  escalate_to: z.union([priority, z.literal('none')]).optional(),
  contacts: z.array(name).min(1, { message: 'needs at least one contact' }),
  /**
   * How a page reaches each contact: `in_order` tries the contact's channels one after another (the next when one
   * keeps failing); `all` sends on every channel of the contact at once, so a dead one delays nothing.
   */
  channels: z.enum(['in_order', 'all']).default('in_order'),
  /** Contacts added within this level when its page is not acknowledged `after` this long (before any climb). */
  steps: z
    .array(
      z.strictObject({ after: duration, contacts: z.array(name).min(1, { message: 'needs at least one contact' }) }),
    )
    .default([]),
  /**
   * Acknowledged and still firing this long after the ack: paged again. Default by priority (P0 30m, P1 2h, P2 8h,
   * P3 2d) unless ack.timeout sets one for every level; `none` keeps an acknowledgement until the alert resolves.
   */
  ack_timeout: z.union([duration, z.literal('none')]).optional(),
});

export const contactConfig = z.strictObject({
  name: z.string(),
  email: z.string().optional(),
  phone: z.string().optional(),
  /** Channel names in order: the next is used when one keeps failing. */
  channels: z.array(name).default([]),
});

const smtp = z.strictObject({
  host: z.string(),
  port: z.number().int().min(1).max(65535).default(587),
  /** starttls (587), tls (465) or none (a local relay). */
  security: z.enum(['starttls', 'tls', 'none']).default('starttls'),
  user: z.string().optional(),
  password: optionalSecret,
  from: z.string(),
  tls: z.strictObject({ insecure: z.boolean().default(false), ca_file: z.string().optional() }).optional(),
});

export const emailChannel = z.strictObject({ kind: z.literal('email'), smtp });

const webhookCommon = {
  kind: z.literal('webhook'),
  timeout: duration.default(10_000),
};

export const webhookChannel = z.discriminatedUnion('format', [
  z.strictObject({
    ...webhookCommon,
    format: z.literal('generic'),
    url: secretUrl,
    /** Key for the X-Centinela-Signature HMAC-SHA256 header. */
    signing_secret: optionalSecret,
    headers: headers.optional(),
  }),
  z.strictObject({ ...webhookCommon, format: z.literal('slack'), url: secretUrl }),
  z.strictObject({ ...webhookCommon, format: z.literal('teams'), url: secretUrl }),
  z.strictObject({
    ...webhookCommon,
    format: z.literal('pagerduty'),
    routing_key: secret,
    url: url.default('https://events.pagerduty.com/v2/enqueue'),
  }),
  z.strictObject({
    ...webhookCommon,
    format: z.literal('telegram'),
    bot_token: secret,
    chat_id: z.union([z.string(), z.number()]).transform(String),
    api_url: url.default('https://api.telegram.org'),
  }),
  z
    .strictObject({
      ...webhookCommon,
      format: z.literal('ntfy'),
      /** The ntfy server; messages are published as JSON to its root. */
      server: url.default('https://ntfy.sh'),
      /** Anyone who knows a topic on a public server can read it: a secret. */
      topic: secret,
      /** An access token (`tk_…`), sent as `Authorization: Bearer`. */
      token: bearerToken('this channel'),
      /** Basic auth, instead of a token. */
      user: z.string().optional(),
      password: optionalSecret,
    })
    .superRefine((cfg, ctx) => {
      if (cfg.token && (cfg.user !== undefined || cfg.password))
        ctx.addIssue({ code: 'custom', path: ['token'], message: 'give either token or user and password, not both' });
      if ((cfg.user === undefined) !== (cfg.password === undefined))
        ctx.addIssue({
          code: 'custom',
          path: [cfg.user === undefined ? 'user' : 'password'],
          message: 'basic auth needs both user and password. Write both, or use token',
        });
    }),
  z.strictObject({
    ...webhookCommon,
    format: z.literal('twilio'),
    /** `sms` texts the contact's phone; `call` rings it and says the alert (give P0 levels a call channel). */
    mode: z.enum(['sms', 'call']).default('sms'),
    /** The account (AC…): the user of basic auth and part of the URL. */
    account_sid: z.string(),
    auth_token: secret,
    /** The sending number (E.164) or a messaging sender id. */
    from: z.string(),
    api_url: url.default('https://api.twilio.com'),
  }),
  z.strictObject({
    ...webhookCommon,
    format: z.literal('pushover'),
    /** The application's API token. */
    token: secret,
    /** The user (or group) key the message goes to. */
    user: secret,
    /** Only these devices of the user (comma-separated names); all when omitted. */
    device: z.string().optional(),
    /** Emergency (P0) messages repeat this often until acknowledged in the app. */
    retry: duration
      .refine((ms) => ms >= 30_000, { message: 'must be 30s or more: Pushover refuses less' })
      .default(60_000),
    /** …and stop repeating after this long. */
    expire: duration
      .refine((ms) => ms <= 10_800_000, { message: 'must be 3h or less: Pushover refuses more' })
      .default(3_600_000),
    api_url: url.default('https://api.pushover.net'),
  }),
]);

// Discriminated on kind (then format) so a bad channel reports the one branch it meant, not every branch.
export const channelConfig = z.discriminatedUnion('kind', [emailChannel, webhookChannel]);

export const deliveryConfig = z.strictObject({
  /** First retry delay; doubles with jitter up to max_backoff. */
  initial_backoff: duration.default(5_000),
  max_backoff: duration.default(300_000),
  /** A channel failing this long hands the page to the contact's next channel. */
  fallback_after: duration.default(300_000),
  /** A contact's first page of a group goes at once; those after it within this long wait and go as one message. */
  group_wait: duration.default(30_000),
});

export const ackConfig = z.strictObject({
  /** HMAC key for the acknowledgement links in emails. */
  link_secret: optionalSecret,
  link_ttl: duration.default(86_400_000),
  /** An acknowledged alert still firing after this long is re-opened, at every level without its own ack_timeout. */
  timeout: duration.optional(),
});

export const escalationFile = z.strictObject({
  levels: priorityMap(levelConfig),
  contacts: z.record(name, contactConfig),
  channels: z.record(name, channelConfig),
  delivery: deliveryConfig.default({
    initial_backoff: 5_000,
    max_backoff: 300_000,
    fallback_after: 300_000,
    group_wait: 30_000,
  }),
  ack: ackConfig.default({ link_ttl: 86_400_000 }),
});

/** state.history when omitted: 90 runs per probe, one point a minute for a day (1440 per series). */
export const HISTORY_DEFAULTS = { runs: 90, step: 60_000, keep: 86_400_000 };

/** The most points a series' ring may hold (keep / step): a day at 1 s, well past what a page draws. */
export const MAX_RING_POINTS = 86_400;

const historyConfig = z
  .strictObject({
    /** Runs kept per probe for the status page's bar. */
    runs: z
      .number()
      .int({ message: 'is not a whole number. Write a count of runs, such as 90' })
      .min(10, { message: 'is too few runs to draw. Write 10 or more, such as 90' })
      .max(1000, { message: 'is more runs than a page draws. Write at most 1000, such as 90' })
      .default(90),
    /** One point per series per step: the highest, lowest and last value seen in it. */
    step: duration.default(60_000),
    /** How far back the points of a series go. */
    keep: duration.default(86_400_000),
  })
  .refine((h) => h.step >= 1_000, {
    message: 'is shorter than 1s. Write a step of 1s or more, such as 1m',
    path: ['step'],
  })
  .refine((h) => h.keep >= h.step, {
    message: 'is longer than keep. Write a step shorter than keep, such as 1m',
    path: ['step'],
  })
  .refine((h) => h.keep / h.step <= MAX_RING_POINTS, {
    message: `is more than ${MAX_RING_POINTS} steps (keep / step points per series). Write a longer step or a shorter keep, such as step: 1m, keep: 24h`,
    path: ['keep'],
  });

const STATE_FIX = 'Write the path of a file, such as /var/lib/centinela/state.db';

export const centinelaFile = z.strictObject({
  server: z
    .strictObject({
      /** host:port for /metrics, /healthz, the API and the status page. */
      listen: listenAddress.default({ host: '0.0.0.0', port: 9810 }),
      /** Base URL people reach the server at, for links in pages. */
      public_url: url.optional(),
      /** Bearer token for writes (ack, silences, windows, reload). */
      write_token: bearerToken('the write token'),
      /** Bearer token for reads; reads are open when omitted. */
      read_token: bearerToken('the read token'),
    })
    .default({ listen: { host: '0.0.0.0', port: 9810 } }),
  state: z
    .discriminatedUnion('kind', [
      z.strictObject({
        /** sqlite (the default): one replica, its state in a file. */
        kind: z.literal('sqlite').optional(),
        /** The SQLite file; an empty path would open a temporary database that is lost at exit. */
        path: z
          .string()
          .min(1, { message: `is empty. ${STATE_FIX}` })
          .refine((path) => !/[\\/]$/.test(path), { message: `is a folder (it ends with /). ${STATE_FIX}` })
          .default('/var/lib/centinela/state.db'),
        /** What the status page draws from: each probe's last runs, and a ring of points per series a rule watches. */
        history: historyConfig.default(HISTORY_DEFAULTS),
      }),
      z.strictObject({
        /** postgres: the state in a PostgreSQL database that two replicas can share. */
        kind: z.literal('postgres'),
        url: postgresUrl('postgres://centinela:${STATE_DB_PASSWORD}@db:5432/centinela'),
        pool: z
          .strictObject({
            /** Connections at most: a flush takes one at a time, the API's reads none. */
            max_connections: z.number().int().min(1).max(100).default(4),
            /** How long to wait for a connection before the flush (or the start) fails. */
            connect_timeout: duration.default(5_000),
            /** How long an unused connection stays open. */
            idle_timeout: duration.default(30_000),
          })
          .default({ max_connections: 4, connect_timeout: 5_000, idle_timeout: 30_000 }),
        /** How long a leader that went silent (stopped, frozen, cut off) keeps the lead before a standby takes it. */
        lease: duration.refine((ms) => ms >= 1_000, { message: 'must be at least 1s. Write e.g. 10s' }).default(10_000),
        /**
         * How long the active one holds pages while PostgreSQL is unreachable, waiting to save them before it sends
         * them; after it, it sends them unsaved (fail open) and pages that PostgreSQL is unreachable.
         */
        unreachable_hold: duration
          .refine((ms) => ms >= 1_000 && ms <= 3_600_000, { message: 'must be between 1s and 1h. Write e.g. 1m' })
          .default(60_000),
        history: historyConfig.default(HISTORY_DEFAULTS),
      }),
    ])
    .default({ path: '/var/lib/centinela/state.db', history: HISTORY_DEFAULTS }),
  /** centinela's own dead man's switch: a URL it calls on every cycle, so silence means it is down. */
  heartbeat: z.strictObject({ url: secretUrl, every: duration.default(60_000) }).optional(),
  /** The language of every text a person reads: pages, the ack page, the status page. */
  locale: z.enum(LOCALES, { error: `is not a language centinela speaks. Use ${LOCALES.join(' or ')}` }).default('en'),
  /** The time zone (IANA name) of every time shown to people, each with its offset from UTC. */
  timezone: z.string().default('UTC'),
});

/** A rule as loaded: what its schema made, and which of its values came from the environment. */
export type RuleConfig = z.output<typeof ruleConfig> & FromEnv;
export type InhibitConfig = z.output<typeof inhibitConfig>;
export type MaintenanceConfig = z.output<typeof maintenanceConfig>;
export type EvaluationConfig = z.output<typeof evaluationConfig>;
export type SourceConfig = z.output<typeof sourceConfig>;
export type AlertsFile = z.output<typeof alertsFile>;
export type LevelConfig = z.output<typeof levelConfig>;
/** A contact as loaded: what its schema made, and which of its values came from the environment. */
export type ContactConfig = z.output<typeof contactConfig> & FromEnv;
/** A channel's config as loaded: what its schema made, and which of its values came from the environment. */
export type ChannelConfig = z.output<typeof channelConfig> & FromEnv;
export type EmailChannelConfig = z.output<typeof emailChannel>;
export type WebhookChannelConfig = z.output<typeof webhookChannel>;
export type DeliveryConfig = z.output<typeof deliveryConfig>;
export type AckConfig = z.output<typeof ackConfig>;
export type EscalationFile = z.output<typeof escalationFile>;
export type CentinelaFile = z.output<typeof centinelaFile>;

/**
 * A file's value as far as the schema accepted it: a list keeps a refused entry's place as undefined (indices
 * hold), a map leaves a refused entry out, and a field refused as a whole is left out.
 */
export type Salvaged<T> = {
  [K in keyof T]?: T[K] extends readonly (infer E)[] ? readonly (E | undefined)[] : T[K];
};
export type HistoryConfig = z.output<typeof historyConfig>;
/** state: with kind postgres, the database two replicas share. */
export type PostgresState = Extract<CentinelaFile['state'], { kind: 'postgres' }>;

/** The whole, validated configuration. */
export interface Config {
  dir: string;
  alerts: AlertsFile;
  escalation: EscalationFile;
  centinela: CentinelaFile;
  /**
   * The values of each file that came from the environment, keyed from the file's root (`server.listen`), for what
   * shows the config as a whole (check's summary, run's log lines) to name them instead of quoting them.
   */
  fromEnv?: Readonly<Record<'alerts' | 'escalation' | 'centinela', readonly EnvValue[]>>;
}
