// An HTTP client bound to one probe's target (URL, headers, TLS block, redirect policy), on its own undici Agent,
// plus a body reader that stops at a byte cap. Used by the probes that speak HTTP (http, ws_stats, metrics).
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { Agent, Dispatcher } from 'undici';
import { redactUrl, type Secret } from '../config/secret.js';
import { excerpt } from '../excerpt.js';
import { loadUndici, type Undici } from '../undici.js';
import { type Endpoint, endpointOf } from './net-failure.js';
import { type TlsConfig, tlsConnectOptions } from './tls-options.js';

/** What a probe's config says about where and how to ask. */
export interface HttpTargetConfig {
  url: Secret;
  headers?: Record<string, Secret>;
  tls?: TlsConfig;
  /** Redirects to follow; 0 (the default) returns the 3xx itself. */
  maxRedirects?: number;
}

/** One request's own parts; the target's are fixed at construction. */
export interface HttpSend {
  method?: Dispatcher.HttpMethod;
  body?: string;
  signal: AbortSignal;
}

/**
 * Talks to one target. The Agent (and its keep-alive connections) is made on first use, so a `ca_file` that cannot
 * be read fails that run with its reason and is tried again on the next, and lives until `close()`.
 */
export class HttpClient {
  /** Host and port of the URL, for failure reasons. */
  readonly endpoint: Endpoint;
  readonly #config: HttpTargetConfig;
  #agent: Agent | undefined;

  constructor(config: HttpTargetConfig) {
    this.#config = config;
    this.endpoint = endpointOf(new URL(config.url.reveal()));
  }

  /**
   * Sends the request; the caller must read or destroy the body. Network failures throw (see describeFailure); a
   * redirect that cannot be followed throws a RedirectError.
   */
  async send({ method = 'GET', body, signal }: HttpSend): Promise<Dispatcher.ResponseData> {
    const undici = await loadUndici();
    const { redirect, request } = undici;
    const agent = await this.#connect(undici);
    const url = new URL(this.#config.url.reveal());
    // No compressed answer (see encodedBody); configured headers below may say otherwise.
    const headers: Record<string, string> = { 'accept-encoding': 'identity' };
    // Credentials in the URL become Basic auth (undici ignores userinfo); an explicit Authorization header wins.
    if (url.username || url.password) {
      const user = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
      headers.authorization = `Basic ${Buffer.from(user).toString('base64')}`;
      url.username = '';
      url.password = '';
    }
    for (const [name, value] of Object.entries(this.#config.headers ?? {}))
      headers[name.toLowerCase()] = value.reveal();
    const hops = this.#config.maxRedirects ?? 0;
    if (hops === 0) return request(url, { method, headers, body, signal, dispatcher: agent });
    // Composed per request (it is a light wrapper; the Agent keeps the connections) so that this request's list of
    // visited URLs is its own: undici's redirect errors do not say where they happened.
    const visited: string[] = [];
    const recordVisit: Dispatcher.DispatcherComposeInterceptor = (dispatch) => (opts, handler) => {
      visited.push(new URL(opts.path, opts.origin).toString());
      return dispatch(opts, handler);
    };
    const dispatcher = agent.compose(recordVisit, redirect({ maxRedirections: hops, throwOnMaxRedirect: true }));
    try {
      return await request(url, { method, headers, body, signal, dispatcher });
    } catch (err) {
      throw redirectFailure(err, visited, hops) ?? err;
    }
  }

  /** Closes the target's connections; a later send() opens new ones. */
  async close(): Promise<void> {
    const agent = this.#agent;
    this.#agent = undefined;
    await agent?.close();
  }

  /**
   * The Agent keeps one undici Client per origin rather than its default Pool: a probe never overlaps itself, so one
   * connection serves it, and the Agent drops an origin's dispatcher each time its connection closes (undici's 4 s
   * keep-alive, or the target's), which at `every: 5s` is every run. A Pool made again each run cost a 2,048-slot
   * queue that outlived a young-generation collection: 16 % of what the daemon's old generation collected.
   */
  async #connect(undici: Undici): Promise<Agent> {
    this.#agent ??= new undici.Agent({
      connect: await tlsConnectOptions(this.#config.tls),
      factory: (origin, options) => new undici.Client(origin, options),
    });
    return this.#agent;
  }
}

/** Following a redirect failed: more than max_redirects, a loop, or a Location undici cannot follow. */
export class RedirectError extends Error {
  override readonly name = 'RedirectError';
  readonly code = 'CENTINELA_REDIRECT';
}

/**
 * The RedirectError for an error of undici's redirect handling, worded for a page; undefined for any other error.
 * `visited` are the URLs requested, in order: the last one answered the redirect that could not be followed.
 */
function redirectFailure(err: unknown, visited: readonly string[], maxRedirects: number): RedirectError | undefined {
  const e = err as { code?: unknown; message?: unknown } | null;
  const message = typeof e?.message === 'string' ? e.message : '';
  const last = redactUrl(visited.at(-1) ?? '');
  if (e?.code === 'UND_ERR_REDIRECT_MAX') {
    const redirects = maxRedirects === 1 ? 'redirect' : 'redirects';
    return new RedirectError(`more than ${maxRedirects} ${redirects}; ${last} redirects again`);
  }
  // undici's words ("Redirect loop detected… Use an Agent for cross-origin redirects") advise its own API users.
  if (message.startsWith('Redirect loop detected')) return new RedirectError(`redirect loop at ${last}`);
  // A Location that is no URL, or not http(s): only a redirect can bring one, the configured URL is checked at load.
  if (visited.length > 0 && e?.code === 'ERR_INVALID_URL') {
    const location = excerpt(String((err as { input?: unknown }).input), 100);
    return new RedirectError(
      `cannot follow the redirect from ${last}: its Location ${JSON.stringify(location)} is no URL`,
    );
  }
  if (visited.length > 0 && message.startsWith('Invalid URL')) {
    return new RedirectError(`cannot follow the redirect from ${last}: ${message}`);
  }
  return undefined;
}

/** An answer's Content-Encoding when it has one other than identity (`gzip`, `br`, …), at most 40 characters. */
function contentEncoding(headers: IncomingHttpHeaders): string | undefined {
  const raw = headers['content-encoding'];
  const encoding = (Array.isArray(raw) ? raw.join(', ') : (raw ?? '')).trim();
  return encoding === '' || encoding.toLowerCase() === 'identity' ? undefined : excerpt(encoding, 40);
}

/**
 * Why a 2xx answer's body cannot be read: it is in a Content-Encoding (`gzip`, `br`, …), which every request asks not
 * to get (`Accept-Encoding: identity`) and which centinela does not decode; undefined for a plain body. Not decoded
 * because a target that honours Accept-Encoding (the Prometheus client libraries, Go's promhttp, Caddy's and nginx's
 * compression) answers plain, so only a misconfigured one sends it, and naming it is the fix; decoding would put a
 * decompressor, and the limit of what it may inflate to, on every probe's path for that one case.
 */
export function encodedBody(headers: IncomingHttpHeaders): string | undefined {
  const encoding = contentEncoding(headers);
  if (encoding === undefined) return undefined;
  return (
    `the body is in Content-Encoding ${JSON.stringify(encoding)}, which centinela did not ask for ` +
    '(it sends Accept-Encoding: identity) and does not decode: have the target answer uncompressed'
  );
}

/** A body read up to a cap. */
export interface CappedBody {
  bytes: Buffer;
  /** More bytes followed the cap; they were not read and the connection was closed. */
  truncated: boolean;
}

/**
 * Reads `body` up to `maxBytes` and destroys it there, so the rest is never read (a 100 MB answer costs `maxBytes`
 * plus the socket buffers, not 100 MB).
 */
export async function readCapped(body: Readable, maxBytes: number): Promise<CappedBody> {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    if (size + chunk.length > maxBytes) {
      chunks.push(chunk.subarray(0, maxBytes - size));
      size = maxBytes;
      truncated = true;
      break; // leaving the loop destroys the stream, and undici closes the connection under it
    }
    chunks.push(chunk);
    size += chunk.length;
  }
  return { bytes: Buffer.concat(chunks, size), truncated };
}

/** How much of an unexpected answer's body goes into a reason. */
export const PREVIEW_BYTES = 200;

/**
 * `bodyPreview` of an unexpected answer's body, or, for one in a Content-Encoding (not decoded: see encodedBody),
 * that it is not shown and why, instead of its compressed bytes. The whole body's length is its Content-Length when
 * it gives one (only its start was read).
 */
export function answerPreview(headers: IncomingHttpHeaders, body: Buffer): string {
  const encoding = contentEncoding(headers);
  const length = Number(headers['content-length']);
  return encoding === undefined
    ? bodyPreview(body, Number.isSafeInteger(length) && length >= body.length ? length : undefined)
    : ` (its body is in Content-Encoding ${JSON.stringify(encoding)}, not decoded: not shown)`;
}

/**
 * `: <the first PREVIEW_BYTES of the body, whitespace folded>`, cut with `…` and how long the body was when there was
 * more (`… (5230 bytes)`, `… (more than 200 bytes)` when `length`, the whole body's, is not known), or nothing for
 * an empty body; for a body that is not text (not UTF-8, or with control characters: compressed bytes without their
 * Content-Encoding, an image), that it is not shown. Give it at least PREVIEW_BYTES + 1 bytes when there are more,
 * so the cut shows.
 */
export function bodyPreview(body: Buffer, length?: number): string {
  const text = textOf(body.subarray(0, PREVIEW_BYTES));
  if (text === undefined) return ' (its body is binary: not shown)';
  const folded = text.replace(/\s+/g, ' ').trim();
  if (!folded) return '';
  if (body.length <= PREVIEW_BYTES) return `: ${folded}`;
  return `: ${folded}… (${length === undefined ? `more than ${PREVIEW_BYTES}` : length} bytes)`;
}

/** A control character other than white space (NUL, ESC, DEL…): no text a person reads has one. */
const CONTROL = /[^\P{Cc}\s]/u;

/** `bytes` as UTF-8 text, a character cut at their end left out; undefined when they are not text. */
function textOf(bytes: Buffer): string | undefined {
  try {
    // stream: a character cut at the end of the preview is held back, not taken for invalid UTF-8.
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: true });
    return CONTROL.test(text) ? undefined : text;
  } catch {
    return undefined;
  }
}
