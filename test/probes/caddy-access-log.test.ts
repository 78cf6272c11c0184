// The caddy_access_log probe against the two places Caddy's access log lives: a real file (rates, rotation,
// unreadable) and a real Docker container's output read through a real dockerd (see test/support/docker-engine.ts).
import { appendFile, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { caddyAccessLogProbe } from '../../src/config/probes.js';
import caddyAccessLog from '../../src/probes/caddy-access-log.js';
import { caddyLine } from '../support/caddy-access.js';
import { probeConformance } from '../support/conformance.js';
import { BUSYBOX_IMAGE, type DockerEngine, STOP_MS, startDockerEngine } from '../support/docker-engine.js';
import { makeTestProbe, sampleValue } from '../support/probe-runs.js';

probeConformance(caddyAccessLog, ({ host, port }) => ({ endpoint: `tcp://${host}:${port}`, container: 'caddy' }));

const lines = (n: number, ip: string, status: number, uri?: string) =>
  Array.from({ length: n }, () => `${caddyLine(ip, status, uri)}\n`).join('');

describe('from a file', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'centinela-caddy-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('counts from the second run on, per minute of the time between runs, and lists the top IPs', async () => {
    const path = join(dir, 'access.log');
    await writeFile(path, lines(500, '192.0.2.50', 401)); // history: never counted
    const t = makeTestProbe(caddyAccessLog, { file: path, top: 3 }, new FakeClock());
    try {
      const first = await t.runUp();
      expect(first.samples.map((s) => s.name)).toEqual(['malformed_lines']);
      expect(first.detail).toMatch(/first run/);
      await appendFile(path, `${lines(130, '203.0.113.7', 401) + lines(10, '198.51.100.2', 200)}garbage\n`);
      await t.clock.advance(120_000);
      const second = await t.runUp();
      expect(sampleValue(second.samples, 'auth_failures_per_minute')).toBe(65);
      expect(sampleValue(second.samples, 'requests_per_minute')).toBe(70);
      expect(sampleValue(second.samples, 'requests_by_ip_per_minute', { client_ip: '203.0.113.7' })).toBe(65);
      expect(sampleValue(second.samples, 'auth_failures_by_ip_per_minute', { client_ip: '203.0.113.7' })).toBe(65);
      expect(sampleValue(second.samples, 'client_errors_per_minute', { route: '/api/v1/auth/login' })).toBe(65);
      expect(sampleValue(second.samples, 'malformed_lines')).toBe(1);
      expect(sampleValue(second.samples, 'behind')).toBe(0);
      expect(second.detail).toContain('last 2m: 140 requests, 130 answered 401/403, 1 malformed line(s) skipped');
      expect(second.detail).toContain('203.0.113.7  130 requests, 130 401/403');
      await t.clock.advance(60_000);
      const quiet = await t.runUp();
      expect(sampleValue(quiet.samples, 'auth_failures_per_minute')).toBe(0);
    } finally {
      await t.probe.close?.();
    }
  });

  it('reads past a rotation and says so; a budget leaves the rest for the next run', async () => {
    const path = join(dir, 'rotating.log');
    await writeFile(path, '');
    const line = caddyLine('203.0.113.7', 403);
    const t = makeTestProbe(caddyAccessLog, { file: path, max_bytes: (line.length + 1) * 3 }, new FakeClock());
    try {
      await t.runUp();
      await appendFile(path, lines(2, '203.0.113.7', 403));
      await rename(path, join(dir, 'rotating.1.log'));
      await writeFile(path, lines(2, '203.0.113.7', 403));
      await t.clock.advance(60_000);
      const rotated = await t.runUp();
      expect(sampleValue(rotated.samples, 'auth_failures_per_minute')).toBe(3);
      expect(sampleValue(rotated.samples, 'behind')).toBe(1);
      expect(rotated.detail).toContain('was rotated');
      expect(rotated.detail).toContain('read budget');
      await t.clock.advance(60_000);
      const rest = await t.runUp();
      expect(sampleValue(rest.samples, 'auth_failures_per_minute')).toBe(1);
      expect(sampleValue(rest.samples, 'behind')).toBe(0);
    } finally {
      await t.probe.close?.();
    }
  });

  it('is down with the reason when the file is missing or is a folder', async () => {
    const missing = makeTestProbe(caddyAccessLog, { file: join(dir, 'none.log') }, new FakeClock());
    expect(await missing.run()).toEqual({
      up: false,
      reason: `no file at ${join(dir, 'none.log')}: is Caddy's log mounted into centinela's container?`,
    });
    const folder = makeTestProbe(caddyAccessLog, { file: dir }, new FakeClock());
    expect(await folder.run()).toMatchObject({ up: false, reason: expect.stringMatching(/is not a file/) });
  });
});

describe('from a container through a real docker engine', () => {
  let engine: DockerEngine;
  beforeAll(async () => {
    engine = await startDockerEngine();
    // A stand-in for the caddy container: it writes Caddy's startup record, then sleeps; the test writes access
    // records to its standard output and error (what `docker logs` shows) with `docker exec`.
    await engine.docker(
      'run',
      '-d',
      '--network',
      'host',
      '--name',
      'grupo_gad_caddy',
      BUSYBOX_IMAGE,
      'sh',
      '-c',
      `echo '{"level":"info","logger":"admin","msg":"admin endpoint started"}'; sleep 100000`,
    );
    await engine.waitFor('grupo_gad_caddy', (c) => c.State.Status === 'running');
  }, 120_000);
  afterAll(async () => {
    await engine?.stop();
  }, STOP_MS);

  const write = (text: string, fd = 1) =>
    engine.docker('exec', 'grupo_gad_caddy', 'sh', '-c', `cat > /proc/1/fd/${fd} <<'EOF'\n${text}EOF`);

  it('counts only the lines logged since the previous run, on stdout and stderr', async () => {
    const t = makeTestProbe(
      caddyAccessLog,
      { container: 'grupo_gad_caddy', endpoint: engine.endpoint, timeout: '20s' },
      new FakeClock(),
    );
    try {
      const first = await t.runUp();
      expect(first.detail).toMatch(/first run/);
      await write(lines(70, '203.0.113.7', 401));
      await write(`${lines(5, '198.51.100.2', 500, '/api/v1/tasks/7')}not json\n`, 2);
      await t.clock.advance(60_000);
      const second = await t.runUp();
      expect(sampleValue(second.samples, 'auth_failures_per_minute')).toBe(70);
      expect(sampleValue(second.samples, 'requests_per_minute')).toBe(75);
      expect(sampleValue(second.samples, 'server_errors_per_minute', { route: '/api/v1/tasks/:id' })).toBe(5);
      expect(sampleValue(second.samples, 'malformed_lines')).toBe(1);
      await t.clock.advance(60_000);
      const third = await t.runUp();
      expect(sampleValue(third.samples, 'requests_per_minute')).toBe(0);
      await write(lines(3, '203.0.113.9', 403));
      await t.clock.advance(60_000);
      const fourth = await t.runUp();
      expect(sampleValue(fourth.samples, 'auth_failures_by_ip_per_minute', { client_ip: '203.0.113.9' })).toBe(3);
    } finally {
      await t.probe.close?.();
    }
  }, 60_000);

  it('is down naming the container when the engine has none of that name', async () => {
    const t = makeTestProbe(
      caddyAccessLog,
      { container: 'grupo_gad_cady', endpoint: engine.endpoint },
      new FakeClock(),
    );
    expect(await t.run()).toEqual({
      up: false,
      reason: `no container "grupo_gad_cady" on the docker engine at ${engine.endpoint}`,
    });
  });
});

describe('its configuration', () => {
  const issues = (keys: Record<string, unknown>) =>
    caddyAccessLogProbe
      .safeParse({ name: 'caddy_access', kind: 'caddy_access_log', every: '1m', ...keys })
      .error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);

  it('takes a container or a file, not both and not neither; endpoint goes with container', () => {
    const either = ': needs either container (e.g. grupo_gad_caddy) or file (e.g. /var/log/caddy/access.log), not both';
    expect(issues({})).toEqual([either]);
    expect(issues({ container: 'grupo_gad_caddy', file: '/var/log/caddy/access.log' })).toEqual([either]);
    expect(issues({ file: '/var/log/caddy/access.log', endpoint: 'unix:///var/run/docker.sock' })).toEqual([
      'endpoint: is only for container. Remove it, or use container',
    ]);
    expect(issues({ container: 'grupo_gad_caddy', endpoint: 'unix:///var/run/docker.sock' })).toBeUndefined();
  });
});
