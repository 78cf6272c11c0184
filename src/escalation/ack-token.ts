// Signed acknowledgement links: HMAC-SHA256 over (incident, alert, contact, expiry), compared in constant time.
//
// A token is `<base64url(JSON payload)>.<base64url(HMAC-SHA256(key, payload part))>`; the link is
// `<server.public_url>/ack/<token>`. Opening it (GET) shows a confirmation page; only its POST acknowledges.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Secret } from '../config/secret.js';

/** What a link acknowledges and for whom. */
export interface AckLinkClaims {
  incidentId: number;
  alertId: string;
  contact: string;
  /** Epoch ms after which the link is refused. */
  expires: number;
}

/** Why a token was refused; each maps to a clear message on the page. */
export type AckLinkProblem = 'malformed' | 'forged' | 'expired';

/** The result of verifying a token. */
export type AckLinkCheck =
  | { ok: true; claims: AckLinkClaims }
  | { ok: false; problem: AckLinkProblem; claims?: AckLinkClaims };

function mac(key: Secret, data: string): Buffer {
  return createHmac('sha256', key.reveal()).update(data).digest();
}

/** The token for these claims. */
export function signAckToken(claims: AckLinkClaims, key: Secret): string {
  const body = Buffer.from(
    JSON.stringify({ i: claims.incidentId, a: claims.alertId, c: claims.contact, e: claims.expires }),
  ).toString('base64url');
  return `${body}.${mac(key, body).toString('base64url')}`;
}

/** The full link for these claims under `baseUrl` (server.public_url). */
export function ackLinkUrl(baseUrl: string, claims: AckLinkClaims, key: Secret): string {
  return `${baseUrl.replace(/\/+$/, '')}/ack/${signAckToken(claims, key)}`;
}

function parseClaims(body: string): AckLinkClaims | undefined {
  try {
    const p = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (typeof p.i !== 'number' || typeof p.a !== 'string' || typeof p.c !== 'string' || typeof p.e !== 'number') {
      return undefined;
    }
    return { incidentId: p.i, alertId: p.a, contact: p.c, expires: p.e };
  } catch {
    return undefined;
  }
}

/** Verifies a token's signature (constant time) and expiry. */
export function verifyAckToken(token: string, key: Secret, now: number): AckLinkCheck {
  const parts = token.split('.');
  if (parts.length !== 2 || !parts[0] || !parts[1]) return { ok: false, problem: 'malformed' };
  const [body, sig] = parts as [string, string];
  const expected = mac(key, body);
  const given = Buffer.from(sig, 'base64url');
  // timingSafeEqual needs equal lengths; a length mismatch is a forgery, and says nothing about the key.
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, problem: 'forged' };
  const claims = parseClaims(body);
  if (!claims) return { ok: false, problem: 'malformed' };
  if (now > claims.expires) return { ok: false, problem: 'expired', claims };
  return { ok: true, claims };
}
