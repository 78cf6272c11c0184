// The docker probe against recorded Engine API answers (a real dockerd 20.10, API 1.41, cgroup v1) served over a
// unix socket: the figures, health, restarts and log counting, and every way the engine can fail.
import { execFile, spawn } from 'node:child_process';
import { chmod } from 'node:fs/promises';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { dockerProbe } from '../../src/config/probes.js';
import docker from '../../src/probes/docker.js';
import type { ProbeResult } from '../../src/probes/probe.js';
import type { Sample } from '../../src/types.js';
import { probeConformance } from '../support/conformance.js';
import { type RecordedEngine, startRecordedEngine } from '../support/recorded-docker-engine.js';

const STACK = ['grupo_gad_api', 'grupo_gad_db', 'grupo_gad_redis', 'grupo_gad_caddy', 'grupo_gad_bot'];
const log = pino({ level: 'silent' });
const clock = new FakeClock();

function probe(config: Record<string, unknown>) {
  return docker.create(dockerProbe.parse({ name: 'containers', kind: 'docker', ...config }), { log, clock });
}

function runOnce(p: ReturnType<typeof probe>, signal = AbortSignal.timeout(10_000)): Promise<ProbeResult> {
  return p.run({ signal, clock, log });
}

function samples(result: ProbeResult): Sample[] {
  if (!result.up) throw new Error(`probe is down: ${result.reason}`);
  return result.samples;
}

/** The value of `name` for one container; undefined when the probe sent no such sample. */
function value(result: ProbeResult, name: string, container: string): number | undefined {
  return samples(result).find((s) => s.name === name && s.labels.container === container)?.value;
}

// The shared suite points the probe at raw TCP servers: the Engine API over tcp://host:port.
probeConformance(docker, ({ host, port }) => ({ endpoint: `tcp://${host}:${port}`, containers: ['grupo_gad_api'] }));

let engine: RecordedEngine;
beforeEach(async () => {
  engine = await startRecordedEngine();
});
afterEach(async () => {
  await engine.close();
});

describe('the GRUPO_GAD stack as recorded', () => {
  it('reports state, health, exit codes, OOM kills, CPU %, memory % and error lines per container', async () => {
    const result = await runOnce(probe({ endpoint: engine.endpoint, containers: [...STACK, 'grupo_gad_worker'] }));
    const of = (container: string) =>
      Object.fromEntries(samples(result).flatMap((s) => (s.labels.container === container ? [[s.name, s.value]] : [])));

    // api: running, healthy. CPU (315652441 − 302522538) / (2355540000000 − 2353530000000) × 2 × 100 = 1.30646...%;
    // memory (897024 − total_inactive_file 131072) / 268435456 × 100 = 0.28533935546875 %. Its log holds a JSON
    // error record and an ERROR line on stderr; the JSON info "retrying after error" does not count.
    expect(of('grupo_gad_api')).toEqual({
      present: 1,
      running: 1,
      restarting: 0,
      restarts: 0,
      oom_killed: 0,
      exit_code: 0,
      health_starting: 0,
      healthy: 1,
      cpu_percent: ((315652441 - 302522538) / (2355540000000 - 2353530000000)) * 2 * 100,
      memory_percent: 0.28533935546875,
      memory_usage_bytes: 765952,
      log_errors: 2,
    });
    // db: unhealthy; 67772416 / 536870912 × 100 = 12.6235961914 % (64.6 MiB of shared memory held).
    expect(of('grupo_gad_db')).toMatchObject({ healthy: 0, health_starting: 0, memory_usage_bytes: 67772416 });
    expect(of('grupo_gad_db').memory_percent).toBeCloseTo(12.6235961914, 9);
    // redis: a busy loop capped at half a CPU: (9311794446 − 8807671080) / (2347480000000 − 2345460000000) × 2 × 100.
    expect(of('grupo_gad_redis').cpu_percent).toBeCloseTo(49.913204554, 8);
    expect(of('grupo_gad_redis')).not.toHaveProperty('healthy');
    expect(of('grupo_gad_redis')).not.toHaveProperty('health_starting');
    // caddy: killed by the OOM killer under its 16 MiB limit; a stopped container has no CPU or memory figures.
    expect(of('grupo_gad_caddy')).toEqual({
      present: 1,
      running: 0,
      restarting: 0,
      restarts: 0,
      oom_killed: 1,
      exit_code: 137,
      log_errors: 0,
    });
    // bot: gave up after two restarts, exit code 1; "Traceback" is not the default pattern.
    expect(of('grupo_gad_bot')).toMatchObject({ running: 0, exit_code: 1, restarts: 0, log_errors: 0 });
    expect(of('grupo_gad_worker')).toEqual({ present: 0 });
    expect(samples(result).some((s) => s.labels.container === 'other_tool')).toBe(false);
    expect(result).not.toHaveProperty('cannotMeasure');
  });

  it('asks for stats as `docker stats --no-stream` does: stream=false, without one-shot', async () => {
    await runOnce(probe({ endpoint: engine.endpoint, containers: ['grupo_gad_redis'], logs: false }));
    const stats = engine.requests.filter((r) => r.includes('/stats'));
    expect(stats).toEqual([
      '/containers/8c2235a373d5812c0dc8a90dace77d954774df143c3200a8b39e1f566ae81076/stats?stream=false',
    ]);
  });

  it('puts health check output, kept log lines and missing containers in the detail, with passwords masked', async () => {
    const result = await runOnce(probe({ endpoint: engine.endpoint, containers: [...STACK, 'grupo_gad_worker'] }));
    if (!result.up) throw new Error(result.reason);
    expect(result.detail).toContain(
      'grupo_gad_db: running, unhealthy, restart count 0, CPU 1.50 %, memory 12.62 % (64.6 MiB of 512.0 MiB)\n' +
        '  last health check (exit 2):\n' +
        '    pg_isready: /var/run/postgresql:5432 - no response',
    );
    expect(result.detail).toContain(
      '  2 error line(s) in the log this window; last 2:\n' +
        '    2026-11-27T21:11:14.289283667Z {"level":"error","msg":"task 17 failed"}\n' +
        '    2026-11-27T21:11:14.289298247Z ERROR: connection to postgres://gad:xxxxx@db:5432/gad failed',
    );
    expect(result.detail).toContain('grupo_gad_caddy: exited (exit code 137), OOM-killed, restart count 0');
    expect(result.detail).toContain('grupo_gad_worker: missing');
    expect(result.detail).not.toContain('s3cret');
  });

  it('selects by label, and takes every container when neither names nor labels are configured', async () => {
    const labelled = await runOnce(
      probe({ endpoint: engine.endpoint, match_labels: { 'com.docker.compose.project': 'grupo_gad' }, logs: false }),
    );
    const names = (r: ProbeResult) => [...new Set(samples(r).map((s) => s.labels.container))].sort();
    expect(names(labelled)).toEqual([...STACK].sort());
    const all = await runOnce(probe({ endpoint: engine.endpoint, logs: false, stats: false }));
    expect(names(all)).toEqual([...STACK, 'other_tool'].sort());
  });

  it('labels every sample with the compose service of its container, when it has one', async () => {
    const result = await runOnce(probe({ endpoint: engine.endpoint, logs: false, stats: false }));
    const services = new Map(samples(result).map((s) => [s.labels.container, s.labels.service]));
    expect(Object.fromEntries(services)).toEqual({
      grupo_gad_api: 'api',
      grupo_gad_db: 'db',
      grupo_gad_redis: 'redis',
      grupo_gad_caddy: 'caddy',
      grupo_gad_bot: 'bot',
      other_tool: undefined,
    });
    expect(samples(result).find((s) => s.labels.container === 'other_tool')?.labels).toEqual({
      container: 'other_tool',
    });
  });

  it('reports a compose service no selected container runs as present 0, labelled by its service', async () => {
    const stack = { 'com.docker.compose.project': 'grupo_gad' };
    const p = probe({ endpoint: engine.endpoint, match_labels: stack, services: ['api', 'db', 'worker'], logs: false });
    const result = await runOnce(p);
    expect(samples(result).filter((s) => s.labels.container === undefined)).toEqual([
      { name: 'present', labels: { service: 'worker' }, value: 0 },
    ]);
    expect(value(result, 'present', 'grupo_gad_db')).toBe(1);
    expect(result.up && result.detail).toContain('service worker: missing');
    engine.data.containers = engine.data.containers.filter((c) => !c.Names.includes('/grupo_gad_db'));
    const gone = samples(await runOnce(p)).filter((s) => s.labels.container === undefined);
    expect(gone.map((s) => s.labels.service)).toEqual(['db', 'worker']);
  });
});

describe('between runs', () => {
  it('counts restarts since the last run from the RestartCount delta, and all of a recreated container', async () => {
    const p = probe({ endpoint: engine.endpoint, containers: ['grupo_gad_bot'], logs: false });
    const bot = engine.data.inspect.grupo_gad_bot as { Id: string; RestartCount: number };
    expect(value(await runOnce(p), 'restarts', 'grupo_gad_bot')).toBe(0); // baseline: RestartCount 2
    bot.RestartCount = 5;
    expect(value(await runOnce(p), 'restarts', 'grupo_gad_bot')).toBe(3);
    expect(value(await runOnce(p), 'restarts', 'grupo_gad_bot')).toBe(0);
    engine.data.inspect.grupo_gad_bot = { ...bot, Id: 'f'.repeat(64), RestartCount: 1 };
    expect(value(await runOnce(p), 'restarts', 'grupo_gad_bot')).toBe(1);
  });

  it('never counts a log line twice, even one written in the same nanosecond as the last one counted', async () => {
    const p = probe({ endpoint: engine.endpoint, containers: ['grupo_gad_api'], stats: false });
    expect(value(await runOnce(p), 'log_errors', 'grupo_gad_api')).toBe(2);
    expect(engine.requests.at(-1)).toMatch(/\/logs\?stdout=true&stderr=true&timestamps=true&tail=1000$/);

    expect(value(await runOnce(p), 'log_errors', 'grupo_gad_api')).toBe(0);
    // The second read starts at the last counted line's whole second and re-reads it.
    expect(engine.requests.at(-1)).toMatch(/timestamps=true&since=1795813874$/);

    engine.data.logs.grupo_gad_api?.push(
      { stream: 'stderr', text: '2026-11-27T21:11:14.289298247Z ERROR: the same nanosecond as the last one\n' },
      { stream: 'stdout', text: '2026-11-27T21:11:15.000000001Z all fine\n' },
      { stream: 'stdout', text: '2026-11-27T21:11:15.5Z {"level":"fatal","msg":"out of workers"}\n' },
    );
    const third = await runOnce(p);
    expect(value(third, 'log_errors', 'grupo_gad_api')).toBe(2);
    expect(third.up && third.detail).toContain('2026-11-27T21:11:15.5Z {"level":"fatal","msg":"out of workers"}');
    expect(value(await runOnce(p), 'log_errors', 'grupo_gad_api')).toBe(0);
  });

  it('drops the log cursor of a container the engine no longer lists (a recreated one leaves none behind)', async () => {
    const p = probe({ endpoint: engine.endpoint, containers: ['grupo_gad_api'], stats: false });
    const listed = engine.data.containers;
    await runOnce(p);
    await runOnce(p);
    expect(engine.requests.at(-1)).toMatch(/\/logs\?.*&since=\d+$/);
    engine.data.containers = listed.filter((c) => !c.Names.includes('/grupo_gad_api'));
    expect(value(await runOnce(p), 'present', 'grupo_gad_api')).toBe(0);
    // The Engine never lists a removed id again; doing so here shows the cursor is gone: the log is read afresh.
    engine.data.containers = listed;
    await runOnce(p);
    expect(engine.requests.at(-1)).toMatch(/\/logs\?.*&tail=1000$/);
  });

  it('forgets the restart baseline of a container no longer listed, unless it is configured by name', async () => {
    const listed = engine.data.containers;
    const bot = engine.data.inspect.grupo_gad_bot as { RestartCount: number };
    const stack = { 'com.docker.compose.project': 'grupo_gad' };
    const byLabel = probe({ endpoint: engine.endpoint, match_labels: stack, logs: false, stats: false });
    const byName = probe({ endpoint: engine.endpoint, containers: ['grupo_gad_bot'], logs: false, stats: false });
    expect(value(await runOnce(byLabel), 'restarts', 'grupo_gad_bot')).toBe(0); // baseline: RestartCount 2
    expect(value(await runOnce(byName), 'restarts', 'grupo_gad_bot')).toBe(0);
    engine.data.containers = listed.filter((c) => !c.Names.includes('/grupo_gad_bot'));
    expect(samples(await runOnce(byLabel)).some((s) => s.labels.container === 'grupo_gad_bot')).toBe(false);
    expect(value(await runOnce(byName), 'present', 'grupo_gad_bot')).toBe(0);
    // The Engine never lists a removed id again; relisting it with two more restarts shows which baseline is left.
    engine.data.containers = listed;
    bot.RestartCount = 4;
    expect(value(await runOnce(byLabel), 'restarts', 'grupo_gad_bot')).toBe(0); // forgotten: a first sight
    expect(value(await runOnce(byName), 'restarts', 'grupo_gad_bot')).toBe(2); // kept while missing
  });

  it('reads frames cut into one-byte chunks the same way', async () => {
    engine.logChunkBytes = 1;
    const result = await runOnce(probe({ endpoint: engine.endpoint, containers: ['grupo_gad_api'], stats: false }));
    expect(value(result, 'log_errors', 'grupo_gad_api')).toBe(2);
  });

  it('moves no baseline on a run that failed, so its log lines are counted by the next one', async () => {
    const p = probe({ endpoint: engine.endpoint, containers: ['grupo_gad_api', 'grupo_gad_db'] });
    engine.intercept = (req) => req.url?.includes('/stats') === true && req.url.includes('4e22606896df'); // db hangs
    const failed = await runOnce(p, AbortSignal.timeout(300));
    expect(failed).toEqual({
      up: false,
      reason: `no answer from the docker engine at ${engine.endpoint} before the run was stopped: The operation was aborted due to timeout`,
    });
    engine.intercept = undefined;
    expect(value(await runOnce(p), 'log_errors', 'grupo_gad_api')).toBe(2);
  });

  it('reads the raw log of a container with a TTY', async () => {
    const api = engine.data.inspect.grupo_gad_api as { Config: { Tty: boolean } };
    api.Config.Tty = true;
    engine.intercept = (req, res) => {
      if (!req.url?.includes('/logs')) return false;
      res.end('2026-11-27T21:11:14.1Z ERROR one\r\n2026-11-27T21:11:14.2Z fine\r\n2026-11-27T21:11:14.3Z error two');
      return true;
    };
    const result = await runOnce(probe({ endpoint: engine.endpoint, containers: ['grupo_gad_api'], stats: false }));
    expect(value(result, 'log_errors', 'grupo_gad_api')).toBe(2);
  });
});

describe('a container the engine answers badly for', () => {
  it('is reported in cannotMeasure while the others are measured', async () => {
    engine.intercept = (req, res) => {
      if (req.url?.startsWith('/containers/4e22606896df') && req.url.endsWith('/json')) {
        res.end('{"Id": 42}');
        return true;
      }
      if (req.url?.includes('/logs')) {
        res.end('HTTP/1.1 200 OK\r\n\r\nthis is not a log');
        return true;
      }
      return false;
    };
    const result = await runOnce(probe({ endpoint: engine.endpoint, containers: ['grupo_gad_api', 'grupo_gad_db'] }));
    expect(result.up && result.cannotMeasure).toBe(
      'grupo_gad_api: logs: byte 0 starts no log frame (header 485454502f312e31); ' +
        'grupo_gad_db: inspect: the inspect is not what the Engine API sends: Id: Invalid input: expected string, received number',
    );
    expect(value(result, 'running', 'grupo_gad_api')).toBe(1);
    expect(value(result, 'log_errors', 'grupo_gad_api')).toBeUndefined();
    expect(value(result, 'present', 'grupo_gad_db')).toBeUndefined();
  });

  it('has no CPU or memory samples when it stopped between inspect and stats', async () => {
    delete engine.data.stats.grupo_gad_redis; // the recorded engine then answers as dockerd does: empty memory_stats
    const result = await runOnce(probe({ endpoint: engine.endpoint, containers: ['grupo_gad_redis'], logs: false }));
    expect(value(result, 'running', 'grupo_gad_redis')).toBe(1);
    expect(value(result, 'cpu_percent', 'grupo_gad_redis')).toBeUndefined();
    expect(result).not.toHaveProperty('cannotMeasure');
  });
});

describe('an engine that cannot be asked', () => {
  const down = async (config: Record<string, unknown>, signal?: AbortSignal) => {
    const result = await runOnce(probe({ containers: STACK, ...config }), signal);
    if (result.up) throw new Error('expected the probe to be down');
    return result.reason;
  };

  it('has no socket', async () => {
    const reason = await down({ endpoint: 'unix:///nonexistent/docker.sock' });
    expect(reason).toBe('no docker socket at /nonexistent/docker.sock: the engine is not running or the path is wrong');
  });

  it('has a stale socket file that nothing listens on (the engine was killed)', async () => {
    const stale = engine.socket.replace(/docker\.sock$/, 'stale.sock');
    const holder = spawn('./node_modules/.bin/node', [
      '-e',
      `require('node:net').createServer().listen(${JSON.stringify(stale)}, () => console.log('up'))`,
    ]);
    await new Promise((resolve) => holder.stdout.once('data', resolve));
    holder.kill('SIGKILL'); // no chance to remove its socket file
    await new Promise((resolve) => holder.once('exit', resolve));
    const reason = await down({ endpoint: `unix://${stale}` });
    expect(reason).toBe(
      `nothing accepts connections on the docker socket ${stale}: a stale socket file, is dockerd running?`,
    );
  });

  it('hangs', async () => {
    engine.intercept = () => true;
    const reason = await down({ endpoint: engine.endpoint }, AbortSignal.timeout(200));
    expect(reason).toBe(
      `no answer from the docker engine at ${engine.endpoint} before the run was stopped: The operation was aborted due to timeout`,
    );
  });

  it('answers garbage or an error status', async () => {
    engine.intercept = (_req, res) => {
      res.end('hello, I am not docker');
      return true;
    };
    expect(await down({ endpoint: engine.endpoint })).toBe(
      `cannot read from the docker engine at ${engine.endpoint}: the container list is not JSON: "hello, I am not docker"`,
    );
    engine.intercept = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"containers": []}');
      return true;
    };
    expect(await down({ endpoint: engine.endpoint })).toBe(
      `cannot read from the docker engine at ${engine.endpoint}: the container list is not what the Engine API sends: ` +
        '(top): Invalid input: expected array, received object',
    );
    engine.intercept = (_req, res) => {
      res.writeHead(500, { 'Content-Type': 'application/json' }).end('{"message":"layer store is corrupt"}');
      return true;
    };
    expect(await down({ endpoint: engine.endpoint })).toBe(
      `the docker engine at ${engine.endpoint} answered HTTP 500: (HTTP code 500) server error - layer store is corrupt`,
    );
  });

  it('refuses the connection', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const { port } = s.address() as { port: number };
        s.close(() => resolve(port));
      });
    });
    const reason = await down({ endpoint: `tcp://127.0.0.1:${port}` });
    expect(reason).toBe(`the docker engine at tcp://127.0.0.1:${port}: connection refused (127.0.0.1:${port})`);
  });

  it('refuses a user without access to the socket (the probe runs as nobody)', async () => {
    await chmod(engine.socket, 0o600);
    await chmod(engine.socket.replace(/\/docker\.sock$/, ''), 0o755);
    const script = `
      const { dockerProbe } = await import('./src/config/probes.ts');
      const { default: docker } = await import('./src/probes/docker.ts');
      const config = dockerProbe.parse({ name: 'containers', kind: 'docker', endpoint: ${JSON.stringify(engine.endpoint)} });
      const result = await docker.create(config, {}).run({ signal: AbortSignal.timeout(5000) });
      process.stdout.write(JSON.stringify(result));`;
    const { stdout } = await promisify(execFile)('setpriv', [
      '--reuid=65534',
      '--regid=65534',
      '--clear-groups',
      './node_modules/.bin/node',
      '--import',
      'tsx',
      '--input-type=module',
      '--eval',
      script,
    ]);
    expect(JSON.parse(stdout)).toEqual({
      up: false,
      reason: `permission denied on the docker socket ${engine.socket}: run centinela as a user in the docker group or give it access to the socket`,
    });
  });
});
