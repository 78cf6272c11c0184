// A real Docker engine for tests and benches: its own dockerd (as root) with its own socket, data and exec roots in a
// temporary folder, the busybox image made by `docker import`, and a teardown that leaves no mount behind.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The image every test container runs: busybox-static imported from the host's /bin/busybox. */
export const BUSYBOX_IMAGE = 'test/busybox:local';

/** A running engine of our own. */
export interface DockerEngine {
  /** unix:///…/docker.sock */
  endpoint: string;
  socket: string;
  /** Runs the docker CLI against this engine; resolves to stdout, rejects with its stderr. */
  docker(...args: string[]): Promise<string>;
  /** `docker logs NAME`: what the container wrote to stdout and to stderr. */
  logs(name: string): Promise<string>;
  /** `docker inspect NAME`, parsed. */
  inspect(name: string): Promise<ContainerState>;
  /** Polls `docker inspect` until `ready` holds; rejects with the last state after `within` ms. */
  waitFor(name: string, ready: (c: ContainerState) => boolean, within?: number): Promise<ContainerState>;
  /** Subscribes to GET /containers/NAME/stats?stream=true and keeps every document the Engine sends. */
  statsStream(name: string): StatsStream;
  /** Removes every container, stops dockerd, unmounts what it left and deletes its folder (give it STOP_MS). */
  stop(): Promise<void>;
}

/**
 * What a hook that calls `stop()` should allow: removing running containers, dockerd's own shutdown (SIGKILL after
 * 20 s) and the unmounts took more than vitest's 60 s hook timeout once in CI on a loaded machine.
 */
export const STOP_MS = 180_000;

/** The parts of `docker inspect` the tests look at. */
export interface ContainerState {
  Id: string;
  RestartCount: number;
  State: { Status: string; Restarting: boolean; ExitCode: number; OOMKilled: boolean; Health?: { Status: string } };
}

/** The parts of an Engine stats document that `docker stats` computes its figures from (cgroup v1 keys). */
export interface RawStats {
  /** When the Engine's collector took this sample. */
  read: string;
  cpu_stats: RawCpuStats;
  /** The collector's previous sample for this subscriber; zero in the first document of a subscription. */
  precpu_stats: RawCpuStats;
  memory_stats: { usage?: number; limit?: number; stats?: Record<string, number> };
}

interface RawCpuStats {
  cpu_usage: { total_usage: number };
  system_cpu_usage?: number;
  online_cpus?: number;
}

/**
 * A streaming stats subscription. dockerd samples every subscribed container once per tick of one collector (about
 * a second apart) and sends that same sample to every subscriber, so while one stays open the collector ticks
 * steadily and any other stats request answers with documents this stream also receives.
 */
export interface StatsStream {
  /** Every document received so far, oldest first. */
  readonly documents: RawStats[];
  /** Resolves with the next document to arrive; rejects after `within` ms. */
  next(within?: number): Promise<RawStats>;
  close(): void;
}

// dockerd, containerd and runc live in /usr/sbin and /usr/bin in Debian's docker.io.
const PATH = `${process.env.PATH ?? ''}:/usr/sbin:/usr/bin:/sbin:/bin`;

/**
 * Starts dockerd and waits until its socket answers /_ping. Fails (never skips) when it cannot start, with the
 * engine's own error: the docker tests must go red on a machine where the engine does not run.
 */
export async function startDockerEngine(): Promise<DockerEngine> {
  const root = await mkdtemp(join(tmpdir(), 'centinela-docker-'));
  const socket = join(root, 'docker.sock');
  const endpoint = `unix://${socket}`;
  const logPath = join(root, 'dockerd.log');
  const log = openSync(logPath, 'a');
  const daemon = spawn(
    'dockerd',
    [
      '--iptables=false',
      '--ip6tables=false',
      '--bridge=none',
      `--data-root=${join(root, 'data')}`,
      `--exec-root=${join(root, 'exec')}`,
      `--pidfile=${join(root, 'dockerd.pid')}`,
      `--host=${endpoint}`,
    ],
    { stdio: ['ignore', log, log], env: { ...process.env, PATH } },
  );
  closeSync(log); // the daemon holds its own copy
  const exited = new Promise<string>((resolve) => {
    daemon.once('error', (err) => resolve(`dockerd could not be run: ${err.message}`));
    daemon.once('exit', (code, signal) => resolve(`dockerd exited (${code ?? signal}) before its socket answered`));
  });
  const failure = await Promise.race([waitForPing(socket, 30_000), exited]);
  if (failure !== undefined) {
    daemon.kill('SIGKILL');
    const tail = (await readFile(logPath, 'utf8').catch(() => '')).split('\n').slice(-25).join('\n');
    await cleanUp(root);
    throw new Error(`the test docker engine did not start: ${failure}\n--- the end of its log ---\n${tail}`);
  }

  const docker = async (...args: string[]) => {
    try {
      const { stdout } = await run('docker', ['-H', endpoint, ...args], { env: { ...process.env, PATH } });
      return stdout;
    } catch (err) {
      // A command inside the container may say why it failed on stdout only (`centinela verify --json`).
      const { stderr, stdout } = err as { stderr?: string; stdout?: string };
      const said = [stderr?.trim(), stdout?.trim()].filter(Boolean).join('\n');
      throw new Error(`docker ${args.join(' ')}: ${said || (err as Error).message}`);
    }
  };
  const inspect = async (name: string) =>
    (JSON.parse(await docker('inspect', name)) as ContainerState[])[0] as ContainerState;
  await ensureImage(root, endpoint, docker);
  return {
    endpoint,
    socket,
    docker,
    inspect,
    async logs(name) {
      const { stdout, stderr } = await run('docker', ['-H', endpoint, 'logs', name], { env: { ...process.env, PATH } });
      return stdout + stderr;
    },
    async waitFor(name, ready, within = 30_000) {
      const deadline = Date.now() + within;
      for (;;) {
        const state = await inspect(name);
        if (ready(state)) return state;
        if (Date.now() > deadline)
          throw new Error(`${name} did not reach the expected state: ${JSON.stringify(state.State)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    statsStream(name) {
      return openStatsStream(socket, name);
    },
    async stop() {
      const ids = (await docker('ps', '-aq').catch(() => '')).split('\n').filter(Boolean);
      if (ids.length > 0) await docker('rm', '-f', ...ids).catch(() => undefined);
      await stopDaemon(daemon);
      await cleanUp(root);
    },
  };
}

function openStatsStream(socket: string, name: string): StatsStream {
  const documents: RawStats[] = [];
  const waiting: ((doc: RawStats) => void)[] = [];
  let failure: Error | undefined;
  const req = request({ socketPath: socket, path: `/containers/${name}/stats?stream=true` }, (res) => {
    if (res.statusCode !== 200) failure = new Error(`stats stream of ${name}: HTTP ${res.statusCode}`);
    let pending = '';
    res.setEncoding('utf8');
    // One JSON document per line (Go's json.Encoder), possibly cut across chunks.
    res.on('data', (chunk: string) => {
      pending += chunk;
      for (let end = pending.indexOf('\n'); end >= 0; end = pending.indexOf('\n')) {
        const line = pending.slice(0, end).trim();
        pending = pending.slice(end + 1);
        if (!line) continue;
        const doc = JSON.parse(line) as RawStats;
        documents.push(doc);
        for (const resolve of waiting.splice(0)) resolve(doc);
      }
    });
  });
  req.on('error', (err) => {
    failure ??= err;
  });
  req.end();
  return {
    documents,
    next(within = 10_000) {
      if (failure) return Promise.reject(failure);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(failure ?? new Error(`no stats document for ${name} within ${within} ms`)),
          within,
        );
        waiting.push((doc) => {
          clearTimeout(timer);
          resolve(doc);
        });
      });
    },
    close() {
      req.destroy();
    },
  };
}

function waitForPing(socket: string, within: number): Promise<string | undefined> {
  const deadline = Date.now() + within;
  return new Promise((resolve) => {
    const attempt = () => {
      const req = request({ socketPath: socket, path: '/_ping', timeout: 1000 }, (res) => {
        res.resume();
        if (res.statusCode === 200) resolve(undefined);
        else retry();
      });
      req.on('error', retry);
      req.on('timeout', () => req.destroy());
      req.end();
    };
    const retry = () => {
      if (Date.now() > deadline) resolve(`its socket ${socket} did not answer /_ping within ${within} ms`);
      else setTimeout(attempt, 100);
    };
    attempt();
  });
}

// A root filesystem of busybox-static and one symlink per applet, imported as an image: no registry needed.
async function ensureImage(root: string, endpoint: string, docker: (...a: string[]) => Promise<string>) {
  if (
    await docker('image', 'inspect', BUSYBOX_IMAGE).then(
      () => true,
      () => false,
    )
  )
    return;
  const fs = join(root, 'rootfs');
  for (const dir of ['bin', 'etc', 'tmp', 'proc', 'sys', 'dev', 'root'])
    await mkdir(join(fs, dir), { recursive: true });
  await run('cp', ['/bin/busybox', join(fs, 'bin/busybox')]);
  const applets = (await run('/bin/busybox', ['--list'])).stdout.split('\n').filter((a) => a && a !== 'busybox');
  for (const applet of applets) await symlink('busybox', join(fs, 'bin', applet));
  await writeFile(join(fs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n');
  await writeFile(join(fs, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
  await run(
    'sh',
    ['-c', `tar -C '${fs}' -c . | docker -H '${endpoint}' import -c 'CMD ["/bin/sh"]' - ${BUSYBOX_IMAGE}`],
    {
      env: { ...process.env, PATH },
    },
  );
  await rm(fs, { recursive: true, force: true });
}

async function stopDaemon(daemon: ChildProcess): Promise<void> {
  if (daemon.exitCode !== null || daemon.signalCode !== null) return;
  const gone = new Promise((resolve) => daemon.once('exit', resolve));
  daemon.kill('SIGTERM');
  const killed = setTimeout(() => daemon.kill('SIGKILL'), 20_000);
  await gone;
  clearTimeout(killed);
}

// dockerd leaves overlay, shm and netns mounts under its roots when a container outlives it; unmount deepest first.
async function cleanUp(root: string): Promise<void> {
  const mounts = (await readFile('/proc/self/mountinfo', 'utf8'))
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((point) => point === root || point.startsWith(`${root}/`))
    .sort((a, b) => b.length - a.length);
  for (const point of mounts) await run('umount', ['-l', point]).catch(() => undefined);
  await rm(root, { recursive: true, force: true });
}
