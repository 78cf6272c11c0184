// Pings pushed to heartbeat probes, as the API receives them: the name must be a heartbeat probe of the config in
// force, pings of one name are recorded at most once per second (a looping script cannot fill the store or the
// log), a failure's body is kept bounded as the probe's detail, and the probe runs at once so its alert follows.
import type { Clock } from '../clock.js';
import type { HeartbeatProbeConfig } from '../config/probes.js';
import type { Config } from '../config/schema.js';
import { entryNames } from '../env-names.js';
import { firstOf, quoted } from '../excerpt.js';
import type { HeartbeatView } from '../server/api-shapes.js';
import { ApiError } from '../server/errors.js';
import type { HeartbeatStore } from '../store/store.js';

/** Pings of one heartbeat closer together than this are refused with 429 RATE_LIMITED, not recorded. */
export const PING_MIN_GAP_MS = 1_000;
/** The longest failure detail kept, in characters; a longer body is cut and marked. */
export const PING_DETAIL_MAX = 2_000;

export interface PingDeps {
  clock: Clock;
  config: () => Config;
  store: HeartbeatStore;
  /** Runs the heartbeat's probe soon, so a ping resolves (or a failure raises) its alert without waiting. */
  runSoon: (probe: string) => void;
}

/** The heartbeat probe `name` of the config in force; ApiError HEARTBEAT_NOT_FOUND when there is none. */
export function heartbeatProbe(config: Config, name: string): HeartbeatProbeConfig {
  const probe = config.alerts.probes.find((p) => p.name === name);
  if (probe?.kind === 'heartbeat') return probe;
  const { shown } = entryNames(config.alerts.probes.filter((p) => p.kind === 'heartbeat'));
  const known = shown.length > 0 ? `Heartbeats: ${firstOf(shown)}` : 'alerts.yaml has no heartbeat probe';
  throw new ApiError('HEARTBEAT_NOT_FOUND', `no heartbeat probe ${quoted(name)}. ${known}`);
}

/** Records one ping of heartbeat `name` (after access was checked) and answers what is stored now. */
export function recordPing(d: PingDeps, name: string, ping: { ok: boolean; body?: string }): HeartbeatView {
  heartbeatProbe(d.config(), name);
  const now = d.clock.now();
  const last = d.store.seen(name, now).lastPingAt;
  if (last !== undefined && now - last < PING_MIN_GAP_MS && now >= last) {
    throw new ApiError(
      'RATE_LIMITED',
      `heartbeat "${name}" was pinged less than ${PING_MIN_GAP_MS / 1000}s ago; this ping was not recorded. Ping once per run of the job`,
    );
  }
  const detail = ping.ok ? undefined : boundedDetail(ping.body);
  const record = d.store.ping(name, now, ping.ok ? { ok: true } : { ok: false, ...(detail ? { detail } : {}) });
  d.runSoon(name);
  return {
    name,
    at: new Date(now).toISOString(),
    ok: ping.ok,
    ...(record.lastOkAt !== undefined ? { lastOkAt: new Date(record.lastOkAt).toISOString() } : {}),
  };
}

/** A failure body as detail: control characters but newlines and tabs dropped, at most PING_DETAIL_MAX characters. */
function boundedDetail(body: string | undefined): string | undefined {
  const text = body?.replace(/[^\P{Cc}\n\t]/gu, '').trim();
  if (!text) return undefined;
  return text.length <= PING_DETAIL_MAX
    ? text
    : `${text.slice(0, PING_DETAIL_MAX)}… (cut at ${PING_DETAIL_MAX} characters)`;
}
