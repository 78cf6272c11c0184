// An HTTP client bound to one probe's target (URL, headers, TLS block, redirect policy), on its own undici Agent,
// plus a body reader that stops at a byte cap. Used by the probes that speak HTTP (http, ws_stats, metrics).
import type { Readable } from 'node:stream';
import { Agent, type Dispatcher, interceptors, request } from 'undici';
import type { Secret } from '../config/secret.js';
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
  #dispatcher: Dispatcher | undefined;

  constructor(config: HttpTargetConfig) {
    this.#config = config;
    this.endpoint = endpointOf(new URL(config.url.reveal()));
  }

  /** Sends the request; the caller must read or destroy the body. Network failures throw (see describeFailure). */
  async send({ method = 'GET', body, signal }: HttpSend): Promise<Dispatcher.ResponseData> {
    const dispatcher = await this.#dispatch();
    const url = new URL(this.#config.url.reveal());
    const headers: Record<string, string> = {};
    // Credentials in the URL become Basic auth (undici ignores userinfo); an explicit Authorization header wins.
    if (url.username || url.password) {
      const user = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
      headers.authorization = `Basic ${Buffer.from(user).toString('base64')}`;
      url.username = '';
      url.password = '';
    }
    for (const [name, value] of Object.entries(this.#config.headers ?? {}))
      headers[name.toLowerCase()] = value.reveal();
    return request(url, { method, headers, body, signal, dispatcher });
  }

  /** Closes the target's connections; a later send() opens new ones. */
  async close(): Promise<void> {
    const agent = this.#agent;
    this.#agent = undefined;
    this.#dispatcher = undefined;
    await agent?.close();
  }

  async #dispatch(): Promise<Dispatcher> {
    if (!this.#dispatcher) {
      const agent = new Agent({ connect: await tlsConnectOptions(this.#config.tls) });
      const hops = this.#config.maxRedirects ?? 0;
      this.#agent = agent;
      this.#dispatcher =
        hops > 0 ? agent.compose(interceptors.redirect({ maxRedirections: hops, throwOnMaxRedirect: true })) : agent;
    }
    return this.#dispatcher;
  }
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
 * `: <the first PREVIEW_BYTES of the body, whitespace folded>` with `…` when there was more, or nothing for an empty
 * body. Give it at least PREVIEW_BYTES + 1 bytes when there are more, so the cut shows.
 */
export function bodyPreview(body: Buffer): string {
  const text = body.subarray(0, PREVIEW_BYTES).toString('utf8').replace(/\s+/g, ' ').trim();
  return text ? `: ${text}${body.length > PREVIEW_BYTES ? '…' : ''}` : '';
}
