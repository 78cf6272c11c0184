// Turns a failed connection, handshake or request into the precise reason a person reads in a page:
// "connection refused (127.0.0.1:8000)", "DNS lookup failed for api.example", "timed out after 5s".
import { CERTIFICATE_FAILURES } from '../certificate-failures.js';
import { PackageLoadError } from '../load-package.js';

/** Where a probe was connecting to; host and port only, never the URL (it may carry credentials). */
export interface Endpoint {
  host: string;
  port: number;
}

/** The host and port a URL connects to, with the scheme's default port. */
export function endpointOf(url: URL): Endpoint {
  const defaults: Record<string, number> = { 'http:': 80, 'ws:': 80, 'https:': 443, 'wss:': 443 };
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return { host, port: url.port ? Number(url.port) : (defaults[url.protocol] ?? 0) };
}

/**
 * Why the run was aborted: the scheduler aborts with an Error or DOMException whose message is the whole reason
 * ("timed out after 5s", "aborted: centinela is stopping").
 */
export function abortReason(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  return reason instanceof Error || reason instanceof DOMException ? reason.message : 'aborted';
}

const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL', 'EAI_NODATA']);

/**
 * The reason for `err`, thrown while talking to `at`. An aborted `signal` wins over whatever error the abort caused
 * (but not over a client package that could not be loaded).
 * Unknown errors keep their message (client libraries do not put URLs in them; the guarded run scrubs secrets anyway).
 */
export function describeFailure(err: unknown, signal: AbortSignal, at: Endpoint): string {
  // The client package itself is missing: nothing was sent, and no target is to blame.
  if (err instanceof PackageLoadError) return err.message;
  if (signal.aborted) return abortReason(signal);
  const where = `${at.host}:${at.port}`;
  const e = rootCause(err);
  const code = typeof e.code === 'string' ? e.code : '';
  if (code === 'ECONNREFUSED') return `connection refused (${where})`;
  if (DNS_CODES.has(code))
    return `DNS lookup failed for ${at.host}${code === 'EAI_AGAIN' ? ' (temporary failure)' : ''}`;
  if (code === 'ECONNRESET') return `connection reset by ${where}`;
  if (code === 'EPIPE' || code === 'UND_ERR_SOCKET')
    return `connection closed by ${where} before the answer was complete`;
  if (code === 'ETIMEDOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') return `connecting to ${where} timed out`;
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return `no route to ${where}`;
  // Node appends advice about --use-system-ca after a ';', which is no use to the person reading a page.
  if (CERTIFICATE_FAILURES.has(code)) return `TLS certificate of ${where} not accepted: ${e.message.split(';')[0]}`;
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER') {
    return `TLS handshake with ${where} failed: the server does not speak TLS there (wrong version number)`;
  }
  // OpenSSL's message is a dump of error-queue internals; its `reason` is the part a person can read.
  if (code.startsWith('ERR_SSL_')) return `TLS handshake with ${where} failed: ${e.reason ?? e.message}`;
  return e.message ? `${e.message} (${where})` : `${code || 'unknown error'} (${where})`;
}

/** The innermost error: undici and fetch wrap socket errors in `cause`, happy eyeballs in AggregateError. */
function rootCause(err: unknown): { code?: unknown; message: string; reason?: string } {
  let e: unknown = err;
  for (let depth = 0; depth < 5; depth++) {
    if (e instanceof AggregateError && e.errors.length > 0 && !(e as { code?: unknown }).code) e = e.errors[0];
    else if (e instanceof Error && e.cause instanceof Error && !(e as { code?: unknown }).code) e = e.cause;
    else break;
  }
  if (e instanceof Error) return e as Error & { code?: unknown; reason?: string };
  return { message: String(e) };
}
