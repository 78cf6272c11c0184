// `centinela probe`: against loopback targets, in-process on a fake clock and through the real binary.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT, formatTable, probe } from '../../src/cli/probe.js';
import { FakeClock } from '../../src/clock.js';
import { probeConfig } from '../../src/config/probes.js';
import type { CheckOutcome } from '../../src/probes/guarded-run.js';
import { centinela, configFolder } from '../support/cli.js';
import { silentLog } from '../support/escalation-fixtures.js';
import { type HttpTarget, startHttpTarget } from '../support/http-target.js';
import { freePort } from '../support/tcp-target.js';

describe('formatTable', () => {
  it('lists every sample, then why a probe is down, cannot measure, and its detail', () => {
    const outcome = (name: string, result: CheckOutcome['result'], samples: CheckOutcome['samples']): CheckOutcome => ({
      config: probeConfig.parse({ name, kind: 'http', url: 'http://x/', every: '10s' }),
      runs: 1,
      result,
      samples,
      startedAt: 0,
      durationMs: 12,
    });
    const text = formatTable([
      outcome('api', { up: true, samples: [], detail: 'status 200, 43 bytes' }, [
        { name: 'api.status_code', labels: {}, value: 200 },
        { name: 'api.up', labels: {}, value: 1 },
        { name: 'api.duration_seconds', labels: {}, value: 0.0123456789 },
      ]),
      outcome('ws', { up: true, samples: [], cannotMeasure: '/ws/stats: total_broadcasts is missing' }, [
        { name: 'ws.rate', labels: { env: 'prod', route: '/a b' }, value: 2.5 },
      ]),
      outcome('certs', { up: false, reason: 'connection refused (127.0.0.1:443)', detail: 'line 1\nline 2' }, [
        { name: 'certs.up', labels: {}, value: 0 },
      ]),
    ]);
    expect(text).toBe(
      [
        'PROBE  UP  SAMPLE                LABELS                      VALUE',
        'api    1   api.status_code                                   200',
        'api    1   api.up                                            1',
        'api    1   api.duration_seconds                              0.0123457',
        'ws     1   ws.rate               {env="prod", route="/a b"}  2.5',
        'certs  0   certs.up                                          0',
        '',
        'api: status 200, 43 bytes',
        'ws: cannot measure: /ws/stats: total_broadcasts is missing',
        'certs: DOWN: connection refused (127.0.0.1:443)',
        'certs: line 1',
        '       line 2',
      ].join('\n'),
    );
  });
});

describe('centinela probe', () => {
  let target: HttpTarget;
  let dir: string;
  let statsCalls = 0;

  beforeAll(async () => {
    target = await startHttpTarget({
      routes: {
        '/api/v1/health': { json: { status: 'healthy', environment: 'production' } },
        '/down': { status: 503, body: 'maintenance' },
        '/ws/stats': (_req, res) => {
          statsCalls++;
          const json = {
            active_connections: 4,
            total_messages_sent: 1000 + 50 * statsCalls,
            total_broadcasts: 10 * statsCalls,
            last_broadcast_at: null,
          };
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(json));
        },
      },
    });
    dir = configFolder(
      [
        'probes:',
        `  - { name: api_health, kind: http, url: "${target.url}/api/v1/health", every: 15s,`,
        '      expect: { json: { status: healthy } } }',
        `  - { name: ws, kind: ws_stats, url: "${target.url}/ws/stats", every: 30s }`,
        `  - { name: maintenance_page, kind: http, url: "${target.url}/down", every: 1m }`,
      ].join('\n'),
    );
  });
  afterAll(async () => {
    await target.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = (
    names: string[],
    extra: { json?: boolean; interval?: string; clock?: FakeClock; dir?: string; env?: Record<string, string> } = {},
  ) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = probe({
      dir: extra.dir ?? dir,
      env: extra.env ?? {},
      names,
      json: extra.json ?? false,
      interval: extra.interval ?? '5s',
      clock: extra.clock ?? new FakeClock(),
      log: silentLog,
      out: (t) => out.push(t),
      err: (t) => err.push(t),
    });
    return { code, out, err };
  };

  it('runs a rate-based kind twice, --interval apart on the clock, and exits 0 when all are up', async () => {
    const clock = new FakeClock();
    statsCalls = 0;
    const { code, out } = run(['api_health', 'ws'], { clock, interval: '10s' });
    while (statsCalls < 1) await new Promise((resolve) => setImmediate(resolve));
    await clock.advance(10_000);
    expect(await code).toBe(0);
    expect(statsCalls).toBe(2);
    const text = out.join('\n');
    // 50 messages and 10 broadcasts more after 10 s.
    expect(text).toMatch(/^api_health +1 +api_health\.status_code +200$/m);
    expect(text).toMatch(/^ws +1 +ws\.messages_per_second +5$/m);
    expect(text).toMatch(/^ws +1 +ws\.broadcasts_per_second +1$/m);
    // No broadcast yet: the age counts from the first run that found none.
    expect(text).toMatch(/^ws +1 +ws\.seconds_since_last_broadcast +10$/m);
    expect(text).toMatch(
      /^ws: no broadcast yet \(last_broadcast_at is null\); none seen since centinela began watching, at \S+Z$/m,
    );
  });

  it('exits 2 and says why when a probe is down', async () => {
    const { code, out } = run(['maintenance_page']);
    expect(await code).toBe(2);
    expect(out.join('\n')).toContain('maintenance_page: DOWN: status 503: maintenance');
  });

  it('exits 1 for an unknown probe name, suggesting the likely one, and runs nothing', async () => {
    const before = target.requests.length;
    const { code, err } = run(['api_helth']);
    expect(await code).toBe(1);
    expect(err).toEqual([
      `no probe named "api_helth" in ${dir}. Did you mean "api_health"? Defined: api_health, ws, maintenance_page`,
    ]);
    expect(target.requests.length).toBe(before);
  });

  it('names a probe named from the environment by its variable, and never offers it as the likely one', async () => {
    const envDir = configFolder(
      `probes:\n  - { name: "\${PROBE_NAME}", kind: http, url: "${target.url}/api/v1/health", every: 15s }\n`,
    );
    try {
      const { code, err } = run(['hunter2prob'], { dir: envDir, env: { PROBE_NAME: 'hunter2probe' } });
      expect(await code).toBe(1);
      expect(err).toEqual([`no probe named "hunter2prob" in ${envDir}. Defined: <name from \${PROBE_NAME}>`]);
    } finally {
      rmSync(envDir, { recursive: true, force: true });
    }
  });

  it('exits 1 for a bad --interval or a configuration problem', async () => {
    const bad = run([], { interval: 'soon' });
    expect(await bad.code).toBe(1);
    expect(bad.err).toEqual(['--interval: "soon" is not a duration. Write 500ms, 5s or 1m']);
    const missing = await probe({
      dir: join(dir, 'nowhere'),
      env: {},
      names: [],
      json: false,
      interval: '5s',
      clock: new FakeClock(),
      log: silentLog,
      out: () => {},
      err: (t) => expect(t).toContain('alerts.yaml'),
    });
    expect(missing).toBe(1);
  });

  it('prints JSON through the real binary', async () => {
    const { code, stdout } = await centinela(['probe', '--config', dir, '--json', 'api_health']);
    expect(code).toBe(0);
    const printed = JSON.parse(stdout) as { probe: string; up: boolean; samples: { name: string }[] }[];
    expect(printed).toHaveLength(1);
    expect(printed[0]).toMatchObject({ probe: 'api_health', kind: 'http', up: true, runs: 1 });
    expect(printed[0]?.samples.map((s) => s.name)).toEqual([
      'api_health.status_code',
      'api_health.up',
      'api_health.duration_seconds',
    ]);
  });

  it('logs at LOG_LEVEL on stderr as JSON lines (stdout stays the output), and refuses a level that is not one', async () => {
    const port = await freePort();
    const logDir = configFolder(
      `probes:\n  - { name: cache, kind: redis, url: "redis://127.0.0.1:${port}", every: 30s }`,
    );
    const binary = (env: Record<string, string>) => centinela(['probe', '--config', logDir, '--json'], env);
    try {
      const debug = await binary({ LOG_LEVEL: 'debug' });
      expect(debug.code).toBe(EXIT.notAllUp);
      expect(JSON.parse(debug.stdout)).toMatchObject([{ probe: 'cache', up: false }]);
      const lines = debug.stderr
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines).toContainEqual(
        expect.objectContaining({ level: 'debug', name: 'centinela', probe: 'cache', msg: 'redis connection error' }),
      );
      const quiet = await binary({});
      expect(quiet.code).toBe(EXIT.notAllUp);
      expect(quiet.stderr).toBe(''); // warn by default: a connection refused is the probe's verdict, not a log line
      const bad = await binary({ LOG_LEVEL: 'verbose' });
      expect(bad.code).toBe(EXIT.cannotRun);
      expect(bad.stdout).toBe('');
      expect(bad.stderr).toBe(
        'LOG_LEVEL is not a level. Set it to fatal, error, warn, info, debug, trace or silent, or leave it unset\n',
      );
    } finally {
      rmSync(logDir, { recursive: true, force: true });
    }
  });

  it('documents its exit status in --help', async () => {
    const { stdout } = await centinela(['probe', '--help']);
    expect(stdout).toContain('Exit status: 0 every probe is up; 1 nothing was run');
  });
});
