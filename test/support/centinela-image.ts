// The production image and the Docker socket proxy, built from the repository's Dockerfiles in a test engine
// (docker-engine.ts) and run with the settings deploy/docker-compose.sidecar.yml gives them: its hardening, mounts,
// fixed environment and the proxy's group, read from the file so that the tests run what the file says.
import { execFile } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import type { DockerEngine } from './docker-engine.js';

const run = promisify(execFile);

export const IMAGE = 'centinela:test';
export const PROXY_IMAGE = 'centinela-docker-proxy:test';
export const COMPOSE_FILE = 'deploy/docker-compose.sidecar.yml';

/** The keys of a compose service these tests read. */
export interface ComposeService {
  container_name: string;
  read_only?: boolean;
  cap_drop?: string[];
  security_opt?: string[];
  tmpfs?: string[];
  network_mode?: string;
  group_add?: string[];
  environment?: Record<string, string | number>;
  volumes?: string[];
}

/** A service of the compose file as written (before interpolation). */
export function composeService(name: 'centinela' | 'docker-proxy'): ComposeService {
  const file = parse(readFileSync(COMPOSE_FILE, 'utf8')) as { services: Record<string, ComposeService | undefined> };
  const service = file.services[name];
  if (!service) throw new Error(`${COMPOSE_FILE} has no service "${name}"`);
  return service;
}

/**
 * Imports the base images the Dockerfiles start FROM (scripts/base-images.sh: made from Debian's packages and the
 * pinned Node, cached between runs), then builds the centinela image from the repository root and the proxy's.
 */
export async function buildImages(engine: DockerEngine): Promise<void> {
  try {
    await run('scripts/base-images.sh', ['--import', engine.endpoint]);
  } catch (err) {
    throw new Error(`scripts/base-images.sh failed: ${(err as { stderr?: string }).stderr?.trim() || err}`);
  }
  // The test engine has no bridge network, so the builds' RUN steps (npm ci, apt-get) use the host's network.
  await engine.docker('build', '--quiet', '--network', 'host', '--tag', IMAGE, '.');
  await engine.docker('build', '--quiet', '--network', 'host', '--tag', PROXY_IMAGE, 'deploy/docker-socket-proxy');
}

/** Starts the proxy as the compose file runs it, on this engine's socket; resolves to its container name. */
export async function startProxy(engine: DockerEngine): Promise<string> {
  const service = composeService('docker-proxy');
  // The compose file's group_add is the group owning the host's socket (DOCKER_GID): here, the engine's.
  const gid = String(statSync(engine.socket).gid);
  await engine.docker(
    ...runArgs(service, service.network_mode ?? 'host', { '/var/run/docker.sock': engine.socket }),
    ...(service.group_add ?? []).flatMap((group) => ['--group-add', group.startsWith('${DOCKER_GID') ? gid : group]),
    PROXY_IMAGE,
  );
  return service.container_name;
}

/**
 * Starts centinela as the compose file runs it, except on the host's network (the test engine has no bridge):
 * `binds` gives a folder here for each host path the file mounts (./centinela is the config), `env` the variables the
 * file fills from the deploy's environment, `mounts` extra `-v` mounts. Resolves to its container name.
 */
export async function startCentinela(
  engine: DockerEngine,
  opts: { binds: Record<string, string>; env: Record<string, string | undefined>; mounts?: string[] },
): Promise<string> {
  const service = composeService('centinela');
  await engine.docker(
    ...runArgs(service, 'host', opts.binds),
    ...Object.entries(opts.env).flatMap(([k, v]) => (v === undefined ? [] : ['--env', `${k}=${v}`])),
    ...(opts.mounts ?? []).flatMap((m) => ['--volume', m]),
    IMAGE,
  );
  return service.container_name;
}

// `docker run` of the service by its container name on `network`, with its hardening, mounts and literal
// environment (values without ${…}); the image and further options follow.
function runArgs(service: ComposeService, network: string, binds: Record<string, string>): string[] {
  const args = ['run', '--detach', '--name', service.container_name, '--network', network];
  if (service.read_only) args.push('--read-only');
  for (const cap of service.cap_drop ?? []) args.push('--cap-drop', cap);
  for (const opt of service.security_opt ?? []) args.push('--security-opt', opt);
  for (const path of service.tmpfs ?? []) args.push('--tmpfs', path);
  for (const volume of service.volumes ?? []) {
    const [source = '', ...rest] = volume.split(':');
    const isPath = source.startsWith('/') || source.startsWith('.');
    const here = isPath ? binds[source] : source; // a named volume is created in this engine
    if (here === undefined) throw new Error(`${COMPOSE_FILE} mounts ${source}: give a folder here for it in binds`);
    args.push('--volume', [here, ...rest].join(':'));
  }
  // Compose takes numbers as environment values too (POSTGRES_PORT: 5432).
  for (const [key, value] of Object.entries(service.environment ?? {})) {
    const text = String(value);
    if (!text.includes('${')) args.push('--env', `${key}=${text}`);
  }
  return args;
}
