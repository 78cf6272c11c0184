// Escalation test fixtures: an escalation.yaml-shaped config parsed by the real schema, alerts, events, a store,
// and the sinks a test file delivers to.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { type EscalationFile, escalationFile } from '../../src/config/schema.js';
import type { Engine } from '../../src/engine/loop.js';
import { openStore, type SqliteStore } from '../../src/store/sqlite.js';
import type { Db } from '../../src/store/sqlite-db.js';
import type { IncidentStore } from '../../src/store/store.js';
import type { Alert, AlertEvent, Priority } from '../../src/types.js';
import { type SmtpSink, startSmtpSink } from './smtp-sink.js';
import { startWebhookSink, type WebhookSink } from './webhook-sink.js';

export const MIN = 60_000;
export const HOUR = 60 * MIN;

/** A quiet logger for tests. */
export const silentLog = pino({ level: 'silent' });

/**
 * The runbook's matrix: P0 → cto (15m, remind 5m), P1 → lead (1h, 15m), P2 → devops (4h, 1h), P3 → dev (1d, 4h),
 * default climbing chain. Every contact has the channels `mail` and `hook` unless `channels` says otherwise.
 * `raw` is merged over the YAML-shaped object before the schema parses it.
 */
export function escalationConfig(
  opts: { smtpPort?: number; caFile?: string; webhookUrl?: string; raw?: Record<string, unknown> } = {},
): EscalationFile {
  const channels = ['mail', 'hook'];
  const base: Record<string, unknown> = {
    levels: {
      P0: { ack_within: '15m', repeat_every: '5m', contacts: ['cto'] },
      P1: { ack_within: '1h', repeat_every: '15m', contacts: ['lead'] },
      P2: { ack_within: '4h', repeat_every: '1h', contacts: ['devops'] },
      P3: { ack_within: '1d', repeat_every: '4h', contacts: ['dev'] },
    },
    contacts: {
      cto: { name: 'CTO', email: 'cto@grupogad.gob.ec', channels },
      lead: { name: 'Tech Lead', email: 'tech.lead@grupogad.gob.ec', channels },
      devops: { name: 'DevOps', email: 'devops@grupogad.gob.ec', channels },
      dev: { name: 'Development Team', email: 'dev@grupogad.gob.ec', channels },
    },
    channels: {
      mail: {
        kind: 'email',
        smtp: {
          host: '127.0.0.1',
          port: opts.smtpPort ?? 2525,
          security: 'starttls',
          from: 'centinela@grupogad.gob.ec',
          ...(opts.caFile ? { tls: { ca_file: opts.caFile } } : {}),
        },
      },
      hook: { kind: 'webhook', format: 'generic', url: opts.webhookUrl ?? 'http://127.0.0.1:9/hook', timeout: '5s' },
    },
    delivery: { initial_backoff: '5s', max_backoff: '5m', fallback_after: '5m', group_wait: '0s' },
    ack: { link_secret: 'test-link-secret', link_ttl: '1d' },
  };
  return escalationFile.parse(deepMerge(base, opts.raw ?? {}));
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] =
      v && typeof v === 'object' && !Array.isArray(v) && prev && typeof prev === 'object' && !Array.isArray(prev)
        ? deepMerge(prev as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

/** An alert like the rules emit: "API down" on grupo_gad_api at P0 unless overridden. */
export function makeAlert(over: Partial<Alert> = {}): Alert {
  const alertname = over.alertname ?? 'ApiDown';
  const labels = over.labels ?? { alertname, container: 'grupo_gad_api' };
  return {
    id: `${alertname}{${Object.entries(labels)
      .map(([k, v]) => `${k}="${v}"`)
      .join(',')}}`,
    alertname,
    labels,
    priority: 'P0',
    value: 0,
    threshold: 1,
    op: '<',
    summary: 'API down',
    description: 'The health endpoint does not answer',
    runbook: ['docker compose -f docker-compose.prod.yml ps', 'docker compose logs --tail=100 api', 'restart the api'],
    diagnosis: [{ probe: 'api_health', detail: 'connect ECONNREFUSED 127.0.0.1:8000' }],
    groupKey: alertname,
    activeSince: Date.UTC(2026, 0, 1),
    flapping: false,
    suppressedBy: [],
    inhibits: [],
    ...over,
  };
}

/** A `firing` event. */
export const firing = (alert: Alert, at: number): AlertEvent => ({ type: 'firing', at, alert });
/** A `resolved` event. */
export const resolved = (alert: Alert, at: number): AlertEvent => ({ type: 'resolved', at, alert });
/** A `priority-changed` event to `to`. */
export const priorityChanged = (alert: Alert, to: Priority, at: number): AlertEvent => ({
  type: 'priority-changed',
  at,
  alert: { ...alert, priority: to },
  from: alert.priority,
});

/** A state file in a temp folder that can be closed and reopened (restarts). */
export class TempState {
  readonly dir = mkdtempSync(join(tmpdir(), 'centinela-esc-'));
  readonly path = join(this.dir, 'state.db');
  /** The whole store (what the engine and the escalator take). */
  all: SqliteStore = openStore(this.path);

  get db(): Db {
    return this.all.db;
  }

  /** Escalation's tables and the outbox. */
  get store(): IncidentStore {
    return this.all.incidents;
  }

  /** Closes and reopens the file, as a restart does. */
  reopen(): void {
    this.all.close();
    this.all = openStore(this.path);
  }

  remove(): void {
    this.all.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** What a test file that delivers through the outbox works with; fields are fresh per test (see deliveryWorld). */
export interface DeliveryWorld {
  smtp: SmtpSink;
  hook: WebhookSink;
  state: TempState;
  /** Starts at 2026-01-01 10:00 UTC. */
  clock: FakeClock;
  /** escalationConfig pointed at the sinks (mail → smtp, hook → the webhook sink), with `raw` merged over it. */
  config(raw?: Record<string, unknown>): EscalationFile;
}

/**
 * Registers the file's hooks: an SMTP sink and a webhook sink for the whole file (emptied before each test, the
 * webhook answering 200), and a new state file and FakeClock per test.
 */
export function deliveryWorld(): DeliveryWorld {
  const world = {} as DeliveryWorld;
  beforeAll(async () => {
    world.smtp = await startSmtpSink();
    world.hook = await startWebhookSink();
    world.config = (raw = {}) =>
      escalationConfig({
        smtpPort: world.smtp.port,
        caFile: world.smtp.cert.certFile,
        webhookUrl: world.hook.url,
        raw,
      });
  });
  afterAll(async () => {
    await world.smtp.close();
    await world.hook.close();
  });
  beforeEach(() => {
    world.state = new TempState();
    world.clock = new FakeClock(Date.UTC(2026, 0, 1, 10, 0));
    world.smtp.received.length = 0;
    world.smtp.refuse(0);
    world.smtp.refused = 0;
    world.hook.requests.length = 0;
    world.hook.otherwise({ status: 200 });
  });
  afterEach(() => world.state.remove());
  return world;
}

/** Time passes until `t`: the engine's loop ticks whenever escalation is due and delivers what is due. */
export async function passUntil(engine: Engine, clock: FakeClock, t: number): Promise<void> {
  for (;;) {
    const due = engine.nextDueAt();
    if (due === undefined || due > t) break;
    await clock.advanceTo(due);
    await engine.delivery.idle();
  }
  await clock.advanceTo(t);
  await engine.delivery.idle();
}
