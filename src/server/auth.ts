// Bearer-token access control: writes need server.write_token, reads need server.read_token when one is set.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { Secret } from '../config/secret.js';
import { ApiError } from './errors.js';

/**
 * The tokens the server accepts, read on every request so a reload can change them. The loader leaves an empty one
 * (`${CENTINELA_WRITE_TOKEN:-}` with nothing set) undefined: no writes, open reads.
 */
export interface AccessTokens {
  write?: Secret;
  read?: Secret;
}

/**
 * What a route needs: nothing (health), read access, write access, or an acknowledgement (the write token, or the
 * status page's login cookie of the write token with the page's header: see authorize).
 */
export type Access = 'open' | 'read' | 'write' | 'ack';

/** The header the status page's script sends with an acknowledgement made with its login cookie. */
export const PAGE_HEADER = 'x-centinela-page';

/** The cookie that keeps the name a status page login gave, for the acknowledgements made from that browser. */
export const BY_COOKIE = 'centinela_by';

/** The cookie the status page's token form sets, so a browser can read a read-guarded page. */
export const READ_COOKIE = 'centinela_read';

/**
 * Compares a presented token with the configured one in constant time. Both sides are hashed first so that
 * neither the comparison nor an early length mismatch tells an attacker how much of a guess was right.
 */
export function tokenMatches(presented: string, expected: Secret): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected.reveal()).digest();
  return timingSafeEqual(a, b);
}

/**
 * What the login cookie holds for a token: an HMAC-SHA256 of it under a fixed label, so a stolen cookie (a browser
 * profile, a proxy log) does not give away the bearer token itself. A fixed label rather than a per-process key keeps
 * browsers logged in across a restart; rotating the token logs them out.
 */
export function cookieValue(token: Secret | string): string {
  const raw = typeof token === 'string' ? token : token.reveal();
  return createHmac('sha256', 'centinela read cookie v1').update(raw).digest('hex');
}

/** Compares a presented cookie with the one a configured token would set, in constant time. */
function cookieMatches(presented: string, expected: Secret): boolean {
  return tokenMatches(presented, new Secret(cookieValue(expected)));
}

/**
 * The token the Authorization header presents: `Bearer <token>`; on a route whose config says `basicAuth` (the
 * Alertmanager API: Grafana's Alertmanager data source and its sender to an external Alertmanager may speak basic auth
 * alone), also the password of `Basic base64(user:password)`, the user name ignored. Browsers never send basic
 * credentials on their own to centinela: it never challenges for them (its 401s ask for a bearer token).
 */
export function presentedToken(req: FastifyRequest): string | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (bearer) return bearer[1];
  const basic =
    req.routeOptions.config?.basicAuth === true ? /^Basic\s+([A-Za-z0-9+/]+={0,2})\s*$/i.exec(header) : null;
  if (!basic?.[1]) return undefined;
  const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon >= 0 && colon < decoded.length - 1 ? decoded.slice(colon + 1) : undefined;
}

function cookie(req: FastifyRequest, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** True when the request carries the login cookie of the write token (the status page logged in to acknowledge). */
export function hasWriteCookie(req: FastifyRequest, tokens: AccessTokens): boolean {
  const given = cookie(req, READ_COOKIE);
  return given !== undefined && tokens.write !== undefined && cookieMatches(given, tokens.write);
}

/** The name a status page login gave (its cookie), if any. */
export function loginName(req: FastifyRequest): string | undefined {
  const raw = cookie(req, BY_COOKIE);
  if (raw === undefined) return undefined;
  try {
    return decodeURIComponent(raw) || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Throws ApiError unless the request may do what `access` says. The write token also grants reads. Writes accept
 * only the Authorization header, so a page on another site cannot make a browser write; an acknowledgement also
 * accepts the write token's login cookie when the request carries the status page's header, which a page on another
 * origin cannot add without a CORS preflight that this server never answers (and the cookie is SameSite=Strict).
 */
export function authorize(req: FastifyRequest, access: Access, tokens: AccessTokens): void {
  if (access === 'open') return;
  const presented = presentedToken(req);
  if (access === 'ack' && presented === undefined && req.headers[PAGE_HEADER] === 'ack' && tokens.write) {
    if (hasWriteCookie(req, tokens)) return;
    throw new ApiError('UNAUTHORIZED', 'log in on the status page with the write token to acknowledge from it');
  }
  if (access === 'write' || access === 'ack') {
    if (!tokens.write) {
      throw new ApiError('WRITES_DISABLED', 'this server accepts no writes: set server.write_token in centinela.yaml');
    }
    if (presented === undefined) {
      throw new ApiError('UNAUTHORIZED', 'writes need the header "Authorization: Bearer <server.write_token>"');
    }
    if (!tokenMatches(presented, tokens.write)) throw new ApiError('UNAUTHORIZED', 'wrong bearer token');
    return;
  }
  if (!tokens.read) return;
  if (presented !== undefined) {
    const ok =
      tokenMatches(presented, tokens.read) || (tokens.write !== undefined && tokenMatches(presented, tokens.write));
    if (!ok) throw new ApiError('UNAUTHORIZED', 'wrong bearer token');
    return;
  }
  const given = cookie(req, READ_COOKIE);
  if (given === undefined) {
    throw new ApiError('UNAUTHORIZED', 'reads need the header "Authorization: Bearer <server.read_token>"');
  }
  const ok = cookieMatches(given, tokens.read) || (tokens.write !== undefined && cookieMatches(given, tokens.write));
  if (!ok) throw new ApiError('UNAUTHORIZED', 'the login cookie is stale: log in again with the read token');
}
