// The shipped config/ encodes the runbook: its thresholds, its escalation matrix and the probes' sample names.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { RuleConfig } from '../../src/config/schema.js';
import { Secret } from '../../src/config/secret.js';
import { SHIPPED_ENV } from '../support/shipped-env.js';

// What each probe kind emits (`<probe>.<name>`), as agreed with the probe implementations; every probe also
// yields `up` and `duration_seconds`.
const EMITS: Record<string, string[]> = {
  http: ['status_code'],
  metrics: [
    'latency_p50_seconds',
    'latency_p95_seconds',
    'latency_p99_seconds',
    'requests_per_second',
    'error_percent',
  ],
  ws_stats: ['active_connections', 'messages_per_second', 'broadcasts_per_second', 'seconds_since_last_broadcast'],
  websocket: ['ping_seconds'],
  tls: ['days_until_expiry', 'chain_valid'],
  heartbeat: ['seconds_since_ping', 'failed', 'overdue'],
  postgres: [
    'connections',
    'active_connections',
    'connections_used_percent',
    'slow_queries',
    'longest_query_seconds',
    'idle_in_transaction',
    'oldest_idle_in_transaction_seconds',
    'database_size_bytes',
    'database_growth_bytes_per_day',
    'waiting_locks',
    'deadlocks_per_second',
    'rollbacks_per_second',
    'cache_hit_percent',
  ],
  redis: [
    'ping_seconds',
    'used_memory_bytes',
    'memory_used_percent',
    'connected_clients',
    'blocked_clients',
    'rejected_connections_per_second',
    'evicted_keys_per_second',
    'uptime_seconds',
  ],
  docker: ['running', 'healthy', 'restarts', 'oom_killed', 'cpu_percent', 'memory_percent', 'log_errors', 'present'],
  disk: [
    'used_percent',
    'free_bytes',
    'inodes_used_percent',
    'hours_until_full',
    'dir_size_bytes',
    'backup_age_seconds',
    'backup_size_bytes',
    'backup_files',
  ],
  host: ['cpu_percent', 'memory_percent', 'load1'],
  caddy_access_log: [
    'requests_per_minute',
    'auth_failures_per_minute',
    'requests_by_ip_per_minute',
    'auth_failures_by_ip_per_minute',
    'client_errors_per_minute',
    'server_errors_per_minute',
    'malformed_lines',
    'behind',
  ],
  s3: ['objects', 'total_bytes', 'newest_age_seconds', 'newest_size_bytes'],
};

const config = await loadConfig({ dir: 'config', env: SHIPPED_ENV });
const rule = (name: string): RuleConfig => {
  const found = config.alerts.rules.find((r) => r.name === name);
  if (!found) throw new Error(`no rule ${name}`);
  return found;
};

describe('the shipped configuration', () => {
  it('watches every sample under a name its probe emits', () => {
    const kinds = new Map(config.alerts.probes.map((p) => [p.name, p.kind]));
    for (const r of config.alerts.rules) {
      const [probe, sample] = r.sample.split('.') as [string, string];
      const kind = kinds.get(probe) as string;
      expect([...(EMITS[kind] ?? []), 'up', 'duration_seconds'], `${r.name}: ${r.sample}`).toContain(sample);
    }
  });

  it('has a probe of every kind that is available', () => {
    expect(new Set(config.alerts.probes.map((p) => p.kind))).toEqual(new Set(Object.keys(EMITS)));
  });

  it('maps the golden signals ✅/⚠️/🚨 to P2 and P1 with the runbook numbers', () => {
    const bands = (name: string) => [rule(name).op, rule(name).thresholds];
    expect(bands('ApiLatencyHigh')).toEqual(['>', { P2: 0.2, P1: 0.5 }]);
    expect(bands('ApiErrorRateHigh')).toEqual(['>', { P2: 1, P1: 5 }]);
    expect(bands('ContainerCpuHigh')).toEqual(['>', { P2: 70, P1: 90 }]);
    expect(bands('ContainerMemoryHigh')).toEqual(['>', { P2: 80, P1: 90 }]);
    expect(bands('HostCpuHigh')).toEqual(['>', { P2: 70, P1: 90 }]);
    expect(bands('HostMemoryHigh')).toEqual(['>', { P2: 80, P1: 90 }]);
  });

  it('pages P0 for production down and encodes the database limits of the runbook', () => {
    expect(rule('ApiDown')).toMatchObject({ sample: 'api_health.up', op: '==', thresholds: { P0: 0 } });
    expect(rule('DbDown').thresholds).toEqual({ P0: 0 });
    expect(rule('RedisDown').thresholds).toEqual({ P1: 0 });
    const db = config.alerts.probes.find((p) => p.name === 'db');
    expect(db?.kind === 'postgres' && [db.slow_query, db.idle_in_transaction]).toEqual([1_000, 300_000]);
    expect(rule('DbIdleInTransaction').thresholds).toEqual({ P2: 300 });
    expect(rule('BackupTooOld').thresholds.P2).toBe(8 * 86_400);
  });

  it('copies the runbook steps into every rule and attaches diagnosis', () => {
    for (const r of config.alerts.rules) {
      expect(r.runbook?.length, r.name).toBeGreaterThan(0);
      expect(r.diagnose.length, r.name).toBeGreaterThan(0);
    }
    expect(rule('ApiDown').runbook).toContain(
      'Opción B — rollback completo (si restart no funciona): ./scripts/rollback_production.sh',
    );
  });

  it('describes every rule: the sentences a page shows after its summary', () => {
    for (const r of config.alerts.rules) expect(r.description, r.name).toMatch(/^[A-Z].{40,}\.$/);
  });

  it('pages the security contact on a security incident, with steps that open with a diagnosis, not "stop caddy"', () => {
    const rule = (name: string) => config.alerts.rules.find((r) => r.name === name) as RuleConfig;
    for (const name of ['AuthFailureSurge', 'RequestFloodFromIp']) {
      expect(rule(name).also_page, name).toEqual(['security']);
      expect(rule(name).diagnose, name).toContain('caddy_access');
    }
    expect(rule('AuthFailureSurge')).toMatchObject({ thresholds: { P1: 60 }, after_failures: 2 });
    expect(rule('RequestFloodFromIp').thresholds).toEqual({ P2: 1500, P1: 3000 });
    expect(rule('AccessLogUnreadable').thresholds).toEqual({ P2: 0 });
    for (const name of ['AuthFailureSurge', 'RequestFloodFromIp', 'TrafficAboveRunbookPeak']) {
      const steps = rule(name).runbook as string[];
      // The page numbers the steps itself: none carries a number of its own ("2. 1. Diagnóstico" on a page).
      expect(
        steps.filter((s) => /^\d+\./.test(s)),
        name,
      ).toEqual([]);
      // The first step after the symptoms is the diagnosis.
      expect(steps[1], name).toMatch(/^Diagnóstico/);
      // The runbook's stop is still there, last, for a confirmed breach.
      expect(
        steps.findIndex((s) => s.includes('stop caddy')),
        name,
      ).toBe(steps.length - 2);
    }
  });

  it('holds back latency and error-rate alerts while the API is down', () => {
    const inhibit = config.alerts.inhibit.find((i) => i.source.some((m) => m.value === 'ApiDown'));
    const target = inhibit?.target[0]?.regex;
    expect(target?.test('ApiLatencyHigh') && target.test('ApiErrorRateHigh')).toBe(true);
  });

  it('mutes load alerts during the weekly backup, Sunday 02:00 in Guayaquil', () => {
    expect(config.alerts.maintenance[0]).toMatchObject({ cron: '0 2 * * 0', timezone: 'America/Guayaquil' });
  });

  it('encodes the P0–P3 matrix: response times, first contacts, and the climb to the CTO', () => {
    const { levels, contacts } = config.escalation;
    const row = (p: 'P0' | 'P1' | 'P2' | 'P3') => [levels[p]?.ack_within, levels[p]?.contacts, levels[p]?.escalate_to];
    expect(row('P0')).toEqual([15 * 60_000, ['cto'], 'none']);
    expect(row('P1')).toEqual([3_600_000, ['tech_lead'], 'P0']);
    expect(row('P2')).toEqual([4 * 3_600_000, ['devops'], 'P1']);
    expect(row('P3')).toEqual([86_400_000, ['dev_team'], 'P2']);
    expect(contacts.cto?.email).toBe('cto@grupogad.gob.ec');
    expect(contacts.tech_lead?.email).toBe('tech.lead@grupogad.gob.ec');
    expect(contacts.devops?.email).toBe('devops@grupogad.gob.ec');
  });

  it('pushes to each paged person on a topic of their own: P0 on every channel, P1 and P2 push first', () => {
    const { levels, contacts, channels } = config.escalation;
    expect(levels.P0?.channels).toBe('all');
    expect(levels.P1?.channels).toBe('in_order');
    for (const who of ['cto', 'tech_lead', 'devops'])
      expect(contacts[who]?.channels, who).toEqual([`${who}_push`, 'email', 'ops_webhook']);
    const topics = ['cto_push', 'tech_lead_push', 'devops_push'].map((name) => {
      const c = channels[name];
      return c?.kind === 'webhook' && c.format === 'ntfy' && c.topic.reveal();
    });
    expect(topics).toEqual([
      SHIPPED_ENV.CTO_NTFY_TOPIC,
      SHIPPED_ENV.TECH_LEAD_NTFY_TOPIC,
      SHIPPED_ENV.DEVOPS_NTFY_TOPIC,
    ]);
  });

  it('publishes to ntfy.sh without auth unless NTFY_SERVER and NTFY_TOKEN say otherwise', async () => {
    const push = async (env: Record<string, string>) => {
      const c = (await loadConfig({ dir: 'config', env })).escalation.channels.cto_push;
      return c?.kind === 'webhook' && c.format === 'ntfy' ? [c.server, c.token?.reveal()] : undefined;
    };
    const { NTFY_SERVER: _, ...unset } = SHIPPED_ENV;
    expect(await push(unset)).toEqual(['https://ntfy.sh', undefined]);
    expect(await push({ ...unset, NTFY_TOKEN: '' })).toEqual(['https://ntfy.sh', undefined]);
    const own = { ...unset, NTFY_SERVER: 'https://ntfy.grupogad.gob.ec', NTFY_TOKEN: 'tk_abc' };
    expect(await push(own)).toEqual(['https://ntfy.grupogad.gob.ec', 'tk_abc']);
  });

  it('takes targets, contacts and secrets from the environment when set', async () => {
    const env = {
      API_URL: 'http://10.0.0.5:8000',
      CTO_EMAIL: 'ana@example.org',
      POSTGRES_PASSWORD: 'pw',
      SMTP_PASSWORD: 'smtp-pw',
    };
    const c = await loadConfig({ dir: 'config', env: { ...SHIPPED_ENV, ...env } });
    const api = c.alerts.probes.find((p) => p.name === 'api_health');
    expect(api?.kind === 'http' && api.url.reveal()).toBe('http://10.0.0.5:8000/api/v1/health');
    const db = c.alerts.probes.find((p) => p.name === 'db');
    expect(db?.kind === 'postgres' && db.url.reveal()).toBe('postgres://grupogad_user:pw@db:5432/grupogad_prod');
    expect(c.escalation.contacts.cto?.email).toBe('ana@example.org');
    const email = c.escalation.channels.email;
    expect(email?.kind === 'email' && email.smtp.password).toBeInstanceOf(Secret);
    expect(JSON.stringify(c)).not.toMatch(/smtp-pw|:pw@/);
  });

  it('takes everything a deployment differs in from the environment, with the runbook values as defaults', async () => {
    const probe = async (env: Record<string, string>, name: string) =>
      (await loadConfig({ dir: 'config', env: { ...SHIPPED_ENV, ...env } })).alerts.probes.find((p) => p.name === name);
    const facts = async (env: Record<string, string>) => {
      const c = await loadConfig({ dir: 'config', env: { ...SHIPPED_ENV, ...env } });
      const find = (name: string) => c.alerts.probes.find((p) => p.name === name);
      const [metrics, db, redis, containers, disk, host, pub] = [
        find('api_metrics'),
        find('db'),
        find('redis'),
        find('containers'),
        find('disk'),
        find('host'),
        find('public_health'),
      ];
      const email = c.escalation.channels.email;
      return {
        metrics: metrics?.kind === 'metrics' && metrics.url.reveal(),
        db: db?.kind === 'postgres' && db.url.reveal(),
        redis: redis?.kind === 'redis' && redis.url.reveal(),
        project: containers?.kind === 'docker' && containers.match_labels,
        disk: disk?.kind === 'disk' && [
          disk.paths,
          disk.directories.map((d) => d.path),
          disk.backups.map((b) => b.glob),
        ],
        proc: host?.kind === 'host' && host.proc,
        public: pub?.kind === 'http' && [pub.url.reveal(), pub.tls?.ca_file],
        smtp: email?.kind === 'email' && email.smtp.security,
      };
    };
    expect(await facts({})).toEqual({
      metrics: 'http://api:8000/metrics',
      db: 'postgres://grupogad_user:@db:5432/grupogad_prod',
      redis: 'redis://redis:6379',
      project: { 'com.docker.compose.project': 'grupo_gad' },
      disk: [
        ['/'],
        ['/opt/grupogad/logs', '/var/lib/docker/containers'],
        ['/opt/grupogad/backups/*.sql.gz', '/opt/grupogad/backups/pre_deploy_*.sql.gz'],
      ],
      proc: '/proc',
      public: ['https://grupogad.gob.ec/api/v1/health', ''],
      smtp: 'starttls',
    });
    expect(
      await facts({
        METRICS_URL: 'http://api:9000/prom',
        POSTGRES_PORT: '6432',
        POSTGRES_DB: 'gad',
        REDIS_PORT: '6380',
        COMPOSE_PROJECT: 'gad_staging',
        DISK_PATH: '/data',
        LOGS_DIR: '/data/logs',
        DOCKER_CONTAINERS_DIR: '/data/docker/containers',
        BACKUPS_DIR: '/mnt/backups',
        HOST_PROC: '/host/proc',
        PUBLIC_URL: 'https://staging.example.org',
        PUBLIC_CA: '/etc/centinela/ca.pem',
        SMTP_SECURITY: 'tls',
      }),
    ).toEqual({
      metrics: 'http://api:9000/prom',
      db: 'postgres://grupogad_user:@db:6432/gad',
      redis: 'redis://redis:6380',
      project: { 'com.docker.compose.project': 'gad_staging' },
      disk: [
        ['/data'],
        ['/data/logs', '/data/docker/containers'],
        ['/mnt/backups/*.sql.gz', '/mnt/backups/pre_deploy_*.sql.gz'],
      ],
      proc: '/host/proc',
      public: ['https://staging.example.org/api/v1/health', '/etc/centinela/ca.pem'],
      smtp: 'tls',
    });
    expect(await probe({}, 'containers')).toMatchObject({
      containers: [],
      services: ['api', 'db', 'redis', 'caddy', 'bot'],
    });
  });
});
