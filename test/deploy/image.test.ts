// The production image built from the repository's Dockerfile in a real dockerd of the test's own, and run as
// deploy/docker-compose.sidecar.yml runs it (read-only root filesystem, no capabilities, no-new-privileges, the config
// from a mounted folder, the state on a volume, the Docker Engine only through the read-only proxy): Docker's own
// HEALTHCHECK makes it healthy at the port server.listen names, `docker exec … centinela check|verify|probe` work,
// `docker restart` keeps a firing alert without paging it again, `docker stop` exits 0. Building takes minutes.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { buildImages, COMPOSE_FILE, composeService, startCentinela, startProxy } from '../support/centinela-image.js';
import { hookEvents, startWorld, type World } from '../support/daemon.js';
import { type DockerEngine, STOP_MS, startDockerEngine } from '../support/docker-engine.js';
import { freePort } from '../support/tcp-target.js';

const BUILD_MS = 25 * 60_000;
// Docker runs the first health check one --interval (30 s) after the start.
const HEALTHY_MS = 120_000;

let engine: DockerEngine;
let world: World;
let url: string;
let centinela: string;
let proxy: string;

beforeAll(async () => {
  engine = await startDockerEngine();
  await buildImages(engine);
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  // The e2e fixture (test/fixtures/daemon): a loopback target probed every second, paging by email and webhook.
  world = await startWorld(
    {
      EVERY: '1s',
      RETRY_EVERY: '500ms',
      TIMEOUT: '800ms',
      LISTEN: `127.0.0.1:${port}`,
      STATE_PATH: '/var/lib/centinela/state.db',
    },
    systemClock,
  );
  // Plus the docker probe, on the Engine the compose file gives centinela (the proxy's socket).
  const alerts = join(world.configDir, 'alerts.yaml');
  const probes = readFileSync(alerts, 'utf8');
  const withDocker = probes.replace(
    'probes:\n',
    'probes:\n  - name: containers\n    kind: docker\n    endpoint: ${DOCKER_HOST}\n    every: 30s\n    timeout: 20s\n',
  );
  expect(withDocker).not.toBe(probes);
  writeFileSync(alerts, withDocker);
  for (const dir of ['logs', 'backups', 'containers']) mkdirSync(join(world.dir, dir));

  proxy = await startProxy(engine);
  const certFile = String(world.env.SMTP_CA_FILE);
  centinela = await startCentinela(engine, {
    binds: {
      './centinela': world.configDir,
      './logs': join(world.dir, 'logs'),
      './backups': join(world.dir, 'backups'),
      '/var/lib/docker/containers': join(world.dir, 'containers'),
    },
    env: world.env,
    mounts: [`${certFile}:${certFile}:ro`],
  });
}, BUILD_MS);

afterAll(async () => {
  await engine?.stop();
  await world?.close();
}, STOP_MS);

describe('the production image', () => {
  it('becomes healthy through its own HEALTHCHECK, asking where server.listen says', async () => {
    expect(url).not.toContain(':9810');
    const state = await engine.waitFor(centinela, (c) => c.State.Health?.Status === 'healthy', HEALTHY_MS);
    expect(state.State.Status).toBe('running');
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
  });

  it('runs as the node user with a read-only root filesystem, no capabilities and no new privileges', async () => {
    expect((await engine.docker('exec', centinela, 'id', '-un')).trim()).toBe('node');
    // The daemon itself (tini's child) and tini: uid 1000, empty capability sets, no_new_privs set.
    // (No pgrep in the image: the daemon is the process whose parent is PID 1.)
    const both = 'cat /proc/1/status; for s in /proc/[0-9]*/status; do grep -q "^PPid:\t1$" $s && cat $s; done; true';
    const status = await engine.docker('exec', centinela, 'sh', '-c', both);
    expect(status.match(/^Uid:.*$/gm)).toEqual(['Uid:\t1000\t1000\t1000\t1000', 'Uid:\t1000\t1000\t1000\t1000']);
    expect(status.match(/^Cap(Prm|Eff|Bnd):.*$/gm)).toEqual(
      ['CapPrm', 'CapEff', 'CapBnd', 'CapPrm', 'CapEff', 'CapBnd'].map((c) => `${c}:\t0000000000000000`),
    );
    expect(status.match(/^NoNewPrivs:.*$/gm)).toEqual(['NoNewPrivs:\t1', 'NoNewPrivs:\t1']);
    await expect(engine.docker('exec', centinela, 'touch', '/app/written')).rejects.toThrow(/Read-only file system/);
    // Only the volumes and the tmpfs take writes: the state and /tmp.
    await engine.docker('exec', centinela, 'sh', '-c', 'test -s /var/lib/centinela/state.db && touch /tmp/written');
  });

  it('runs the daemon with the memory settings of docs/deploy.md (bin/centinela.js restarts `run` with them in place)', async () => {
    const daemon = 'for s in /proc/[0-9]*/status; do grep -q "^PPid:\t1$" $s && d=${s%/status}; done;';
    const show = `${daemon} tr "\\0" " " < $d/cmdline; echo; tr "\\0" "\\n" < $d/environ`;
    const [cmdline, ...environ] = (await engine.docker('exec', centinela, 'sh', '-c', show)).split('\n');
    expect(cmdline).toMatch(
      /node --max-semi-space-size=1 --optimize-for-size --no-opt --no-maglev --no-sparkplug --no-wasm-dynamic-tiering --no-wasm-tier-up --icu-data-dir=\/app\/dist\/icu\/v24\.\d+\.\d+ \/app\/bin\/centinela.js run/,
    );
    expect(environ).toEqual(
      expect.arrayContaining(['MALLOC_ARENA_MAX=2', 'MALLOC_TRIM_THRESHOLD_=65536', 'MALLOC_MMAP_THRESHOLD_=32768']),
    );
    // The build wrote the ICU data folder for the image's own node (scripts/icu-data.ts), with its cut-down index.
    const icu = /--icu-data-dir=(\S+)/.exec(cmdline ?? '')?.[1];
    await engine.docker('exec', centinela, 'sh', '-c', `test -s ${icu}/icudt*l/res_index.res`);
  });

  it('reads its config from the mounted folder: docker exec … centinela check, verify and probe', async () => {
    const check = await engine.docker('exec', centinela, 'centinela', 'check');
    expect(check).toMatch(/^\/etc\/centinela: valid\. 3 probes, 2 rules/);
    const verdict = JSON.parse(await engine.docker('exec', centinela, 'centinela', 'verify', '--json'));
    expect(verdict.ok).toBe(true);
    expect(verdict.probes.map((p: { probe: string; status: string }) => `${p.probe} ${p.status}`)).toEqual([
      'containers up',
      'api_health up',
      'api_metrics up',
    ]);
  });

  it('reads containers through the proxy: list, inspect, stats and logs', async () => {
    const [result] = JSON.parse(await engine.docker('exec', centinela, 'centinela', 'probe', 'containers', '--json'));
    expect(result.up).toBe(true);
    const own = (name: string) =>
      result.samples.find(
        (s: { name: string; labels: { container?: string } }) => s.name === name && s.labels.container === centinela,
      )?.value;
    expect(own('containers.running')).toBe(1);
    expect(own('containers.healthy')).toBe(1);
    expect(own('containers.memory_usage_bytes')).toBeGreaterThan(10_000_000);
    expect(own('containers.log_errors')).toBeTypeOf('number');
    expect(result.detail).toContain(`${proxy}: running`);
  });

  // From the host, on the proxy's socket in the shared volume: what centinela's container could send.
  it.each([
    ['GET', '/containers/json?all=1', 200],
    ['GET', '/v1.41/containers/grupo_gad_centinela/json', 200],
    ['GET', '/containers/grupo_gad_centinela/logs?stdout=1&tail=1', 200],
    ['POST', '/containers/create', 403],
    ['POST', '/containers/grupo_gad_centinela/stop', 403],
    ['POST', '/v1.41/containers/grupo_gad_centinela/exec', 403],
    ['DELETE', '/containers/grupo_gad_centinela?force=1', 403],
    ['GET', '/containers/grupo_gad_centinela/archive?path=/etc', 403],
    ['GET', '/containers/grupo_gad_centinela/attach/ws?stdin=1', 403],
    ['GET', '/containers/grupo_gad_centinela/export', 403],
    ['GET', '/containers/../images/json', 403],
    ['GET', '/containers/%2e%2e/json', 403],
    ['GET', '/images/json', 403],
    ['GET', '/_ping', 403],
    ['POST', '/containers/json', 403],
    ['HEAD', '/containers/json', 403],
  ])('the proxy answers %s %s with %i', async (method, path, status) => {
    expect(await proxied(method, path)).toBe(status);
    expect((await engine.inspect(centinela)).State.Status).toBe('running');
  });

  it('keeps a firing alert across docker restart without paging it again, then sends the resolution', async () => {
    world.target.setFault('down');
    await world.hook.waitFor(1, { within: 30_000 });
    await world.smtp.waitFor(1, { within: 30_000 });
    const [before] = await firing();
    expect(before?.alertname).toBe('ApiDown');

    await engine.docker('restart', centinela);
    await engine.waitFor(centinela, (c) => c.State.Health?.Status === 'healthy', HEALTHY_MS);
    // Healthy means a health check passed, at least 30 s after the restart: dozens of runs of the failing probe.
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(Number(/^centinela_probe_runs_total\{probe="api_health"\} (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThan(10);
    expect(await firing()).toEqual([before]);
    expect(hookEvents(world.hook)).toEqual(['firing ApiDown']);
    expect(world.smtp.received).toHaveLength(1);

    world.target.setFault('none');
    await world.hook.waitFor(2, { within: 30_000 });
    expect(hookEvents(world.hook)).toEqual(['firing ApiDown', 'resolved ApiDown']);
  });

  it('exits 0 on docker stop, before Docker would kill it', async () => {
    await engine.docker('stop', centinela);
    const state = await engine.inspect(centinela);
    // 137 would mean Docker's SIGKILL after the 10 s grace period.
    expect(state.State).toMatchObject({ Status: 'exited', ExitCode: 0, OOMKilled: false });
    expect(await engine.logs(centinela)).toContain('"msg":"stopped"');
  });

  it('is run by the compose file with the hardening tested here, the proxy without any network', () => {
    for (const name of ['centinela', 'docker-proxy'] as const) {
      const service = composeService(name);
      expect(service, `${COMPOSE_FILE} ${name}`).toMatchObject({
        read_only: true,
        cap_drop: ['ALL'],
        security_opt: ['no-new-privileges:true'],
      });
    }
    expect(composeService('docker-proxy').network_mode).toBe('none');
    expect(composeService('centinela').volumes?.join('\n')).not.toContain('docker.sock');
  });
});

/** The alerts firing now, from the API, as id and alertname. */
async function firing(): Promise<{ id: string; alertname: string }[]> {
  const body = (await (await fetch(`${url}/api/v1/alerts?state=firing`)).json()) as {
    alerts: { id: string; alertname: string }[];
  };
  return body.alerts.map(({ id, alertname }) => ({ id, alertname }));
}

/** Sends `method path` to the proxy's socket and resolves to the status it answers. */
async function proxied(method: string, path: string): Promise<number> {
  const volume = (await engine.docker('volume', 'inspect', '--format', '{{.Mountpoint}}', 'docker-proxy')).trim();
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: join(volume, 'docker.sock'), method, path }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}
