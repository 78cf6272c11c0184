// The docker probe against a real dockerd of its own (see test/support/docker-engine.ts) running busybox containers:
// its CPU % and memory % next to what `docker stats --no-stream` prints, real health states, exits, OOM kills,
// restarts and logs.
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { dockerProbe } from '../../src/config/probes.js';
import docker from '../../src/probes/docker.js';
import type { ProbeResult } from '../../src/probes/probe.js';
import { BUSYBOX_IMAGE, type DockerEngine, startDockerEngine } from '../support/docker-engine.js';

const log = pino({ level: 'silent' });
const clock = new FakeClock();

// Lines the noisy container writes at start: three errors (a plain one, one on stderr, a JSON error record) and two
// that are not (a JSON info record whose message says "error" is judged by its level). Touching /tmp/go makes it
// write one more error line.
const NOISY = [
  'echo starting',
  'echo "ERROR: db timeout"',
  'echo "error: retry 1" >&2',
  `echo '{"level":"error","msg":"boom"}'`,
  `echo '{"level":"info","msg":"no error here"}'`,
  'while :; do if [ -f /tmp/go ]; then rm /tmp/go; echo "ERROR: second batch"; echo "fine again"; fi; sleep 0.2; done',
].join('; ');

let engine: DockerEngine;

beforeAll(async () => {
  engine = await startDockerEngine();
  const run = (name: string, ...args: string[]) =>
    engine.docker(
      'run',
      '-d',
      '--network',
      'host',
      '--name',
      name,
      ...args.slice(0, -1),
      BUSYBOX_IMAGE,
      'sh',
      '-c',
      args.at(-1) ?? '',
    );
  const stack = ['--label', 'com.docker.compose.project=grupo_gad'];
  await Promise.all([
    // A busy loop capped by the CFS quota at half a CPU: a steady 50 % whatever else the machine is doing.
    run('busy', ...stack, '--cpus', '0.5', 'while :; do :; done'),
    // 40 MiB in a tmpfs file, charged to the container's memory cgroup as shared memory (not inactive file cache).
    run('hog', ...stack, '--memory', '64m', 'dd if=/dev/zero of=/dev/shm/fill bs=1M count=40 && sleep 100000'),
    run(
      'sick',
      '--health-cmd',
      'echo "db down: postgres://app:hunter2@db:5432/gad"; exit 1',
      '--health-interval',
      '1s',
      '--health-retries',
      '2',
      'sleep 100000',
    ),
    run('fine', '--health-cmd', 'true', '--health-interval', '1s', 'sleep 100000'),
    run('quitter', 'exit 3'),
    run('oom', '--memory', '16m', '--memory-swap', '16m', 'tail /dev/zero'),
    run('noisy', NOISY),
    run('terminal', '-t', 'echo "ERROR from a terminal"; echo fine; sleep 100000'),
  ]);
  await Promise.all([
    engine.waitFor('sick', (c) => c.State.Health?.Status === 'unhealthy'),
    engine.waitFor('fine', (c) => c.State.Health?.Status === 'healthy'),
    engine.waitFor('quitter', (c) => c.State.Status === 'exited'),
    engine.waitFor('oom', (c) => c.State.Status === 'exited'),
    waitForLog('noisy', 'no error here'),
    waitForLog('hog', 'records out'),
    waitForLog('terminal', 'fine'),
  ]);
}, 120_000);

afterAll(async () => {
  await engine?.stop();
}, 60_000);

async function waitForLog(name: string, text: string): Promise<void> {
  for (let i = 0; i < 150; i++) {
    if ((await engine.logs(name).catch(() => '')).includes(text)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${name} never wrote "${text}"`);
}

function probe(config: Record<string, unknown>) {
  return docker.create(
    dockerProbe.parse({ name: 'containers', kind: 'docker', endpoint: engine.endpoint, ...config }),
    {
      log,
      clock,
    },
  );
}

async function runOnce(p: ReturnType<typeof probe>): Promise<Extract<ProbeResult, { up: true }>> {
  const result = await p.run({ signal: AbortSignal.timeout(20_000), clock, log });
  if (!result.up) throw new Error(`probe is down: ${result.reason}`);
  return result;
}

function value(result: ProbeResult, name: string, container: string): number | undefined {
  return result.up ? result.samples.find((s) => s.name === name && s.labels.container === container)?.value : undefined;
}

/** One line of `docker stats --no-stream --format '{{json .}}'`. */
interface CliStats {
  Name: string;
  CPUPerc: string;
  MemPerc: string;
  MemUsage: string;
}

describe('CPU % and memory % next to docker stats', () => {
  it('agree within what two samples a moment apart can differ', async () => {
    const p = probe({ containers: ['busy', 'hog'], logs: false });
    // Both ask at the same moment, so their two one-second windows overlap as much as they can.
    const [result, printed] = await Promise.all([
      runOnce(p),
      engine.docker('stats', '--no-stream', '--format', '{{json .}}', 'busy', 'hog'),
    ]);
    const cli = Object.fromEntries(
      printed
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as CliStats)
        .map((s) => [s.Name, s]),
    ) as Record<string, CliStats>;
    const percent = (text: string | undefined) => Number.parseFloat(text ?? 'NaN');
    const busyCpu = value(result, 'cpu_percent', 'busy') ?? Number.NaN;
    const hogMemory = value(result, 'memory_percent', 'hog') ?? Number.NaN;
    const hogBytes = value(result, 'memory_usage_bytes', 'hog') ?? Number.NaN;
    console.log(
      `probe: busy CPU ${busyCpu.toFixed(2)} %, hog memory ${hogMemory.toFixed(2)} % (${(hogBytes / 1_048_576).toFixed(2)} MiB); ` +
        `docker stats: busy CPU ${cli.busy?.CPUPerc}, hog memory ${cli.hog?.MemPerc} (${cli.hog?.MemUsage})`,
    );

    // CPU: the quota caps busy at 50 % (0.5 CPU per 100 ms CFS period); a cap, not a guarantee. Each figure is one
    // second of the Engine's collector, and the two requests may get different seconds (two samples a moment apart).
    // In a second the loop can lose CPU to whatever else runs on this two-core machine (the docker CLI starting,
    // dockerd serving both requests, other test files): figures from 24 % to 50 % have been seen here, the two apart
    // by up to ~5 points (mostly identical: same collector tick). 10 points allows one CFS period's quota share in
    // each window's edge periods (2 × 50 ms of a 1 s window) on top. The formula itself is pinned by the fixtures in
    // docker-stats.test.ts; here, at ~50 %, forgetting online_cpus (25 %) or a one-shot sample (~0 %) would fail.
    expect(Math.abs(busyCpu - percent(cli.busy?.CPUPerc))).toBeLessThanOrEqual(10);
    expect(busyCpu).toBeGreaterThan(1);
    expect(busyCpu).toBeLessThanOrEqual(60);
    // Memory: hog holds 40 MiB of 64 MiB and does nothing else, so its usage moves by a few pages of kernel
    // bookkeeping between samples; docker stats prints two decimals. Half a point (0.32 MiB) covers both.
    expect(Math.abs(hogMemory - percent(cli.hog?.MemPerc))).toBeLessThanOrEqual(0.5);
    expect(hogMemory).toBeGreaterThan(62.5); // at least the 40 MiB file: 40 / 64 = 62.5 %
    // The usage docker stats prints in MiB with one decimal; the same half-MiB of slack.
    expect(Math.abs(hogBytes / 1_048_576 - Number.parseFloat(cli.hog?.MemUsage ?? 'NaN'))).toBeLessThanOrEqual(0.5);
    expect(cli.hog?.MemUsage).toMatch(/ \/ 64MiB$/);
  });
});

describe('states', () => {
  it('reports health, exit codes, OOM kills and missing containers', async () => {
    const names = ['sick', 'fine', 'busy', 'quitter', 'oom', 'grupo_gad_api'];
    const result = await runOnce(probe({ containers: names, logs: false, stats: false }));
    expect(value(result, 'healthy', 'sick')).toBe(0);
    expect(value(result, 'healthy', 'fine')).toBe(1);
    expect(value(result, 'health_starting', 'fine')).toBe(0);
    expect(value(result, 'healthy', 'busy')).toBeUndefined();
    expect(value(result, 'running', 'busy')).toBe(1);
    expect(value(result, 'running', 'quitter')).toBe(0);
    expect(value(result, 'exit_code', 'quitter')).toBe(3);
    expect(value(result, 'oom_killed', 'quitter')).toBe(0);
    expect(value(result, 'oom_killed', 'oom')).toBe(1);
    expect(value(result, 'exit_code', 'oom')).toBe(137);
    expect(value(result, 'present', 'grupo_gad_api')).toBe(0);
    expect(result.detail).toContain('sick: running, unhealthy, restart count 0\n  last health check (exit 1):');
    expect(result.detail).toContain('    db down: postgres://app:xxxxx@db:5432/gad');
    expect(result.detail).not.toContain('hunter2');
    expect(result.detail).toContain('quitter: exited (exit code 3), restart count 0');
    expect(result.detail).toContain('grupo_gad_api: missing');
  });

  it('selects the containers carrying the labels', async () => {
    const result = await runOnce(
      probe({ match_labels: { 'com.docker.compose.project': 'grupo_gad' }, logs: false, stats: false }),
    );
    expect([...new Set(result.samples.map((s) => s.labels.container))].sort()).toEqual(['busy', 'hog']);
  });

  it('counts the restarts made by the restart policy since the last run', async () => {
    await engine.docker(
      'create',
      '--network',
      'host',
      '--name',
      'crashy',
      '--restart',
      'on-failure:2',
      BUSYBOX_IMAGE,
      'sh',
      '-c',
      'sleep 0.3; exit 1',
    );
    const p = probe({ containers: ['crashy'], logs: false });
    const first = await runOnce(p);
    expect(value(first, 'restarts', 'crashy')).toBe(0);
    expect(value(first, 'running', 'crashy')).toBe(0);
    await engine.docker('start', 'crashy');
    await engine.waitFor('crashy', (c) => c.RestartCount === 2 && c.State.Status === 'exited');
    const second = await runOnce(p);
    expect(value(second, 'restarts', 'crashy')).toBe(2);
    expect(value(second, 'exit_code', 'crashy')).toBe(1);
    expect(value(await runOnce(p), 'restarts', 'crashy')).toBe(0);
  }, 60_000);
});

describe('logs', () => {
  it('counts error lines once: a first run over the tail, nothing twice, then only what is new', async () => {
    const p = probe({ containers: ['noisy'], stats: false });
    const first = await runOnce(p);
    expect(value(first, 'log_errors', 'noisy')).toBe(3);
    // stdout and stderr are copied apart, so their relative order in the log is the Engine's, not the script's.
    for (const line of ['ERROR: db timeout', 'error: retry 1', '{"level":"error","msg":"boom"}']) {
      expect(first.detail).toMatch(new RegExp(`\\n {4}\\S+Z ${line.replace(/[{}]/g, '\\$&')}(\\n|$)`));
    }
    expect(first.detail).not.toContain('no error here');
    expect(value(await runOnce(p), 'log_errors', 'noisy')).toBe(0);

    await engine.docker('exec', 'noisy', 'touch', '/tmp/go');
    await waitForLog('noisy', 'fine again');
    const third = await runOnce(p);
    expect(value(third, 'log_errors', 'noisy')).toBe(1);
    expect(third.detail).toMatch(/1 error line\(s\) in the log this window; last 1:\n {4}\S+Z ERROR: second batch$/);
    expect(value(await runOnce(p), 'log_errors', 'noisy')).toBe(0);
  }, 60_000);

  it('reads the raw log of a container with a terminal', async () => {
    const result = await runOnce(probe({ containers: ['terminal'], stats: false }));
    expect(value(result, 'log_errors', 'terminal')).toBe(1);
    expect(result.detail).toMatch(/\S+Z ERROR from a terminal$/);
  });
});
