// Failure classes: the one place that decides whether an attempt's failure is retried or final (Alertmanager's
// Retrier), for HTTP answers, transport errors and SMTP replies alike.
//
//   transport error (refused, reset, DNS, TLS, timeout)  → retry
//   HTTP 2xx                                             → delivered
//   HTTP 408, 429 (after Retry-After), 5xx               → retry
//   other HTTP 3xx/4xx                                   → final: the request itself is wrong (URL, token, body)
//   SMTP 4xx reply                                       → retry (transient by RFC 5321)
//   SMTP 5xx reply, authentication refused               → final
import type { Delivery } from './notifier.js';

/** Milliseconds a `Retry-After` value asks to wait: delay-seconds or an HTTP date; undefined when absent or bad. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  // An HTTP date names a weekday and month; Date.parse alone would take "-3" as a year.
  if (!/[a-z]{3}/i.test(v)) return undefined;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The outcome of an HTTP answer with `status`; `retryAfter` is the raw header. `what` names the target for the reason. */
export function fromHttpStatus(
  status: number,
  what: string,
  retryAfter: string | undefined,
  now: number,
  detail = '',
): Delivery {
  if (status >= 200 && status < 300) return { ok: true };
  const reason = `${what}: HTTP ${status}${detail ? ` ${detail}` : ''}`;
  if (status === 429 || status === 408 || status >= 500) {
    const retryAfterMs = parseRetryAfter(retryAfter, now);
    return { ok: false, retryable: true, reason, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  }
  return { ok: false, retryable: false, reason };
}

/**
 * The outcome of an error thrown before any answer (connection, TLS, DNS, timeout): always worth retrying. An abort
 * says why from the send's `signal` (its timeout, centinela stopping), whatever error the transport made of it.
 */
export function fromTransportError(err: unknown, what: string, signal?: AbortSignal): Delivery {
  const e = err as { code?: string; name?: string; message?: string; cause?: { code?: string; message?: string } };
  const aborted =
    signal?.aborted || e.name === 'AbortError' || e.name === 'TimeoutError' || e.code === 'UND_ERR_ABORTED';
  const code = e.cause?.code ?? e.code;
  const why = signal?.reason instanceof Error ? signal.reason.message : 'timed out';
  const text = aborted ? why : `${code ? `${code} ` : ''}${e.cause?.message ?? e.message ?? String(err)}`;
  return { ok: false, retryable: true, reason: `${what}: ${text}` };
}

/** The outcome of a nodemailer error: SMTP 4xx replies and transport errors retry; 5xx and refused auth are final. */
export function fromSmtpError(err: unknown, what: string, signal?: AbortSignal): Delivery {
  const e = err as { code?: string; responseCode?: number; response?: string; message?: string };
  if (e.code === 'EAUTH') {
    return {
      ok: false,
      retryable: false,
      reason: `${what}: authentication refused (${e.response ?? e.message}); check smtp.user and smtp.password`,
    };
  }
  if (typeof e.responseCode === 'number') {
    const reason = `${what}: SMTP ${e.response ?? e.responseCode}`;
    return { ok: false, retryable: e.responseCode < 500, reason };
  }
  return fromTransportError(err, what, signal);
}
