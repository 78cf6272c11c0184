// Writes on a standby (issue 18): every request that would change the state (acks, signed ack links, the status
// page's one-tap ack, silences, maintenance windows, heartbeat pings, alerts from a source) is handed whole to the
// active through PostgreSQL (src/store/postgres-requests.ts), which answers it as if it had been sent to it; the
// standby answers with the active's own answer. Reads, the status page's login and reloads stay on the standby.
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { Forwarded, ForwardedAnswer, ForwardedRequest } from '../store/postgres-requests.js';
import { CLIENT_HEADER } from './api-shapes.js';
import { PAGE_HEADER } from './auth.js';
import { ApiError } from './errors.js';

/** Routes a standby answers itself although they are POSTs: a login sets a cookie, a reload re-reads its own config. */
const ANSWERED_HERE = new Set(['/-/login', '/-/reload']);

/**
 * The request headers the routes read, the only ones carried to the active: the body's type, the answer's type and
 * language asked for, the credentials (bearer token, login cookies, the page's ack header), which client sent it (the CLI's header), and what a proxy in front
 * said of the browser. Nothing else of the request is kept in the shared database while it waits.
 */
const CARRIED = new Set([
  'content-type',
  'accept',
  'accept-language',
  'authorization',
  'cookie',
  PAGE_HEADER,
  CLIENT_HEADER,
  'x-forwarded-proto',
  'x-forwarded-for',
  'user-agent',
]);

/** Answer headers that describe one connection, not the answer: never carried back. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'content-length', 'transfer-encoding', 'date']);

/** Hands every write the standby's server receives to `forward`, answering with what the active answered. */
export function forwardWrites(app: FastifyInstance, forward: (request: ForwardedRequest) => Promise<Forwarded>): void {
  app.addHook('onRequest', async (req, reply) => {
    const route = req.routeOptions.url;
    // No route (a 404) or a read: answered here.
    if (route === undefined || req.method === 'GET' || req.method === 'HEAD' || ANSWERED_HERE.has(route)) return;
    const body = await readBody(req.raw, req.routeOptions.bodyLimit);
    const result = await forward({
      method: req.method,
      url: req.url,
      headers: kept(req.headers),
      ...(body !== undefined ? { body } : {}),
    });
    if (result.kind === 'not-applied') {
      throw new ApiError(
        'NO_ACTIVE',
        'this centinela is the standby and no active centinela took the request in time; nothing was applied: send it again in a moment',
      );
    }
    if (result.kind === 'unknown') {
      throw new ApiError(
        'ACTIVE_SILENT',
        'this centinela is the standby; the active one took the request but did not answer in time: check whether it was applied before sending it again',
      );
    }
    const { status, headers, body: answer } = result.answer;
    return reply.status(status).headers(headers).send(answer);
  });
}

/** What the active answers to a request a standby handed over: the same request made to its own server. */
export async function answerForwarded(app: FastifyInstance, request: ForwardedRequest): Promise<ForwardedAnswer> {
  const res = await app.inject({
    method: request.method as 'POST',
    url: request.url,
    headers: request.headers,
    ...(request.body !== undefined ? { payload: request.body } : {}),
  });
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(res.headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = Array.isArray(value) ? value : String(value);
  }
  return { status: res.statusCode, headers, body: res.body };
}

function kept(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && CARRIED.has(name)) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** The request's body as text (what the routes take: JSON, a form, a ping's text), refused past `limit` bytes. */
async function readBody(raw: IncomingMessage, limit: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of raw) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      throw new ApiError('PAYLOAD_TOO_LARGE', `the body is larger than the server accepts (${limit} bytes)`);
    }
    chunks.push(chunk as Buffer);
  }
  return size === 0 ? undefined : Buffer.concat(chunks).toString('utf8');
}
