// Counting one window of Caddy's JSON access log: requests and 401/403 answers in total and by client IP, 4xx and 5xx
// by route, and the lines that were not log records. Pure: lines in, counts, samples and detail out.
import type { Sample } from '../types.js';
import { sample } from './probe.js';

/** What one line of the log is: a request Caddy handled, another of Caddy's records, or not a record at all. */
export type AccessLine =
  | { kind: 'request'; clientIp: string; status: number; route: string }
  | { kind: 'other' }
  | { kind: 'malformed' };

const OTHER: AccessLine = { kind: 'other' };
const MALFORMED: AccessLine = { kind: 'malformed' };
const MAX_ROUTE = 200;

/**
 * Reads one line of Caddy's JSON log. An access record (logger `http.log.access…`, or any record with a `request`)
 * must carry a numeric `status`, a client IP (`request.client_ip`, which Caddy 2.7+ takes from trusted proxies, else
 * `request.remote_ip`) and `request.uri`; one without them is malformed. Caddy's other records (TLS, admin, startup)
 * are `other`; a line that is not a JSON object is malformed.
 */
export function parseAccessLine(text: string): AccessLine {
  const trimmed = text.trim();
  if (trimmed === '') return OTHER;
  if (!trimmed.startsWith('{')) return MALFORMED;
  let record: unknown;
  try {
    record = JSON.parse(trimmed);
  } catch {
    return MALFORMED;
  }
  if (typeof record !== 'object' || record === null || Array.isArray(record)) return MALFORMED;
  const { logger, request, status } = record as { logger?: unknown; request?: unknown; status?: unknown };
  const isAccess = (typeof logger === 'string' && logger.startsWith('http.log.access')) || request !== undefined;
  if (!isAccess) return OTHER;
  if (typeof request !== 'object' || request === null) return MALFORMED;
  const { client_ip, remote_ip, uri } = request as { client_ip?: unknown; remote_ip?: unknown; uri?: unknown };
  const ip = typeof client_ip === 'string' && client_ip !== '' ? client_ip : remote_ip;
  if (typeof ip !== 'string' || ip === '' || typeof uri !== 'string') return MALFORMED;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 0 || status > 999) return MALFORMED;
  return { kind: 'request', clientIp: ip, status, route: routeOf(uri) };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The route of a request URI: its path without query or fragment, each segment that is an id (digits, a UUID, 16 or
 * more hex digits) written `:id`, so `/api/v1/tasks/42` and `/api/v1/tasks/43` count as one route and a client
 * walking ids cannot make a series per id. The query may hold tokens: it is never kept.
 */
export function routeOf(uri: string): string {
  const end = uri.search(/[?#]/);
  const path = end < 0 ? uri : uri.slice(0, end);
  const route = path
    .split('/')
    .map((s) => (/^\d+$/.test(s) || UUID.test(s) || /^[0-9a-f]{16,}$/i.test(s) ? ':id' : s))
    .join('/');
  return (route === '' ? '/' : route).slice(0, MAX_ROUTE);
}

/** A 401 or a 403: a refused login or token, what Emergency 5 counts. */
export function isAuthFailure(status: number): boolean {
  return status === 401 || status === 403;
}

interface IpCounts {
  requests: number;
  authFailures: number;
}

interface RouteCounts {
  clientErrors: number;
  serverErrors: number;
}

/** The counts of one window, fed line by line. */
export class AccessTally {
  requests = 0;
  authFailures = 0;
  malformed = 0;
  readonly #ips = new Map<string, IpCounts>();
  readonly #routes = new Map<string, RouteCounts>();

  /** Counts one line. */
  add(line: AccessLine): void {
    if (line.kind === 'other') return;
    if (line.kind === 'malformed') {
      this.malformed++;
      return;
    }
    const auth = isAuthFailure(line.status);
    this.requests++;
    if (auth) this.authFailures++;
    const ip = this.#ips.get(line.clientIp) ?? { requests: 0, authFailures: 0 };
    ip.requests++;
    if (auth) ip.authFailures++;
    this.#ips.set(line.clientIp, ip);
    if (line.status < 400) return;
    const route = this.#routes.get(line.route) ?? { clientErrors: 0, serverErrors: 0 };
    if (line.status < 500) route.clientErrors++;
    else route.serverErrors++;
    this.#routes.set(line.route, route);
  }

  /** The `top` client IPs by requests (then by 401/403), most first. */
  topIps(top: number): [string, IpCounts][] {
    return topOf(this.#ips, top, (c) => [c.requests, c.authFailures]);
  }

  /**
   * The window's samples as rates per minute over `windowMs`: totals, and by name only the `top` IPs and routes of
   * each count (a flood from thousands of addresses must not make thousands of series); the busiest IP is always
   * among them, so a threshold on one IP sees it.
   */
  samples(top: number, windowMs: number): Sample[] {
    const perMinute = (n: number) => (n * 60_000) / windowMs;
    const out = [
      sample('requests_per_minute', perMinute(this.requests)),
      sample('auth_failures_per_minute', perMinute(this.authFailures)),
      sample('malformed_lines', this.malformed),
    ];
    for (const [ip, c] of this.topIps(top)) {
      out.push(sample('requests_by_ip_per_minute', perMinute(c.requests), { client_ip: ip }));
    }
    for (const [ip, c] of topOf(this.#ips, top, (c) => [c.authFailures])) {
      if (c.authFailures > 0) {
        out.push(sample('auth_failures_by_ip_per_minute', perMinute(c.authFailures), { client_ip: ip }));
      }
    }
    for (const [route, c] of topOf(this.#routes, top, (c) => [c.clientErrors])) {
      if (c.clientErrors > 0) out.push(sample('client_errors_per_minute', perMinute(c.clientErrors), { route }));
    }
    for (const [route, c] of topOf(this.#routes, top, (c) => [c.serverErrors])) {
      if (c.serverErrors > 0) out.push(sample('server_errors_per_minute', perMinute(c.serverErrors), { route }));
    }
    return out;
  }

  /** What a person reads first in a security page: the window's totals, the top client IPs, the failing routes. */
  describe(top: number, window: string): string {
    const lines = [
      `${window}: ${this.requests} requests, ${this.authFailures} answered 401/403` +
        (this.malformed > 0 ? `, ${this.malformed} malformed line(s) skipped` : ''),
    ];
    const ips = this.topIps(top);
    if (ips.length > 0) {
      lines.push('top client IPs:');
      for (const [ip, c] of ips) lines.push(`  ${ip}  ${c.requests} requests, ${c.authFailures} 401/403`);
    }
    const routes = topOf(this.#routes, top, (c) => [c.clientErrors + c.serverErrors]);
    if (routes.length > 0) {
      lines.push('routes answering 4xx/5xx:');
      for (const [route, c] of routes) lines.push(`  ${route}  ${c.clientErrors} 4xx, ${c.serverErrors} 5xx`);
    }
    return lines.join('\n');
  }
}

/** The `top` entries of `map` by `key` (compared in order, larger first), ties by name so the order is stable. */
function topOf<T>(map: Map<string, T>, top: number, key: (v: T) => number[]): [string, T][] {
  const rank = (a: [string, T], b: [string, T]) => {
    const ka = key(a[1]);
    const kb = key(b[1]);
    for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return (kb[i] ?? 0) - (ka[i] ?? 0);
    return a[0] < b[0] ? -1 : 1;
  };
  return [...map].sort(rank).slice(0, top);
}
