// The probe registry: the one list of built probe kinds, and the one place a config becomes a running probe.
// A probe is a file src/probes/<kind>.ts (with `_` written `-`) whose default export is defineProbe({...}); add it
// to the array below. test/probes/registry.test.ts fails when a probe file is missing here, is named unlike its
// kind, or has no test/probes/<file>.test.ts. Other files here (parsers, clients) are helpers, not probes.
import type { ProbeConfig, ProbeKindName } from '../config/probes.js';
import caddyAccessLog from './caddy-access-log.js';
import disk from './disk.js';
import docker from './docker.js';
import heartbeat from './heartbeat.js';
import host from './host.js';
import http from './http.js';
import metrics from './metrics.js';
import postgres from './postgres.js';
import type { Probe, ProbeDeps, ProbeKind } from './probe.js';
import redis from './redis.js';
import s3 from './s3.js';
import tls from './tls.js';
import websocket from './websocket.js';
import wsStats from './ws-stats.js';

/** Any registered kind. */
export type AnyProbeKind = { [K in ProbeKindName]: ProbeKind<K> }[ProbeKindName];

/** Every built probe kind. */
export const probeKinds: readonly AnyProbeKind[] = [
  http,
  metrics,
  wsStats,
  websocket,
  tls,
  postgres,
  docker,
  redis,
  disk,
  host,
  heartbeat,
  caddyAccessLog,
  s3,
];

/** The registered kind named `kind`, if it is built. */
export function probeKind(kind: string): AnyProbeKind | undefined {
  return probeKinds.find((k) => k.kind === kind);
}

/**
 * A running probe for `config`. A kind that is not registered, or a create() that throws, gives a probe whose every
 * run is `up: false` with that reason, so one bad probe never keeps the others from starting.
 */
export function createProbe(config: ProbeConfig, deps: ProbeDeps): Probe {
  const kind = probeKind(config.kind);
  if (!kind) return failing(`probe kind "${config.kind}" is not available in this build`);
  try {
    return (kind as ProbeKind<typeof config.kind>).create(config, deps);
  } catch (err) {
    return failing(`probe "${config.name}" (${config.kind}) could not start: ${(err as Error).message}`);
  }
}

function failing(reason: string): Probe {
  return { run: async () => ({ up: false, reason }) };
}
