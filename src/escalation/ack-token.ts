// Signed acknowledgement links: HMAC-SHA256 over (incident, alert, contact, expiry), compared in constant time.
//
// Two forms, both opened (GET) as a confirmation page that only its POST acknowledges:
// - long, `<server.public_url>/ack/<token>`: `<base64url(JSON payload)>.<base64url(HMAC-SHA256(key, payload part))>`,
//   the claims written out (about 200 characters);
// - short, `<server.public_url>/a/<token>` for SMS (about 20 characters): base64url of the incident id and the expiry
//   minute (LEB128 varints) and the first 8 bytes of an HMAC-SHA256 over them and the contact. The contact is not
//   written: verifying tries the contacts paged for the incident, and the one whose MAC matches is who acknowledges.
//   64 bits of MAC leave an attacker about 2^63 requests to the server per forged link.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Secret } from '../config/secret.js';

/** What a short link acknowledges and for whom: it names no alert, its incident does. */
export interface ShortAckClaims {
  incidentId: number;
  contact: string;
  /** Epoch ms after which the link is refused. */
  expires: number;
}

/** What a link acknowledges and for whom. */
export interface AckLinkClaims extends ShortAckClaims {
  alertId: string;
}

/** Why a token was refused; each maps to a clear message on the page. */
export type AckLinkProblem = 'malformed' | 'forged' | 'expired';

/** The result of verifying a token of either form; `alertId` is known from a long one only. */
export type AckLinkCheck =
  | { ok: true; claims: ShortAckClaims & { alertId?: string } }
  | { ok: false; problem: AckLinkProblem; claims?: ShortAckClaims };

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

/** Verifies a long token's signature (constant time) and expiry. */
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

const MINUTE = 60_000;
const SHORT_MAC_BYTES = 8;
// A varint of up to 7 bytes holds 49 bits: incident ids and expiry minutes for the next few million years.
const MAX_VARINT_BYTES = 7;

function shortMac(key: Secret, incidentId: number, minute: number, contact: string): Buffer {
  return mac(key, `ack-short\0${incidentId}\0${minute}\0${contact}`).subarray(0, SHORT_MAC_BYTES);
}

/** `n` (a safe non-negative integer) as an unsigned LEB128 varint. */
function varint(n: number): number[] {
  const out: number[] = [];
  let rest = n;
  do {
    const low = rest % 128;
    rest = Math.floor(rest / 128);
    out.push(rest > 0 ? low + 128 : low);
  } while (rest > 0);
  return out;
}

/** The varint at `at` and where it ends, or undefined when it is cut short or too long. */
function readVarint(bytes: Buffer, at: number): { value: number; end: number } | undefined {
  let value = 0;
  for (let i = 0; i < MAX_VARINT_BYTES && at + i < bytes.length; i++) {
    const b = bytes[at + i] as number;
    value += (b % 128) * 128 ** i;
    if (b < 128) return { value, end: at + i + 1 };
  }
  return undefined;
}

/** The short token for these claims; the expiry is rounded up to the minute. */
export function signShortAckToken(claims: ShortAckClaims, key: Secret): string {
  const minute = Math.ceil(claims.expires / MINUTE);
  const mac = shortMac(key, claims.incidentId, minute, claims.contact);
  return Buffer.concat([Buffer.from([...varint(claims.incidentId), ...varint(minute)]), mac]).toString('base64url');
}

/** The short link for these claims under `baseUrl` (server.public_url). */
export function shortAckLinkUrl(baseUrl: string, claims: ShortAckClaims, key: Secret): string {
  return `${baseUrl.replace(/\/+$/, '')}/a/${signShortAckToken(claims, key)}`;
}

/**
 * Verifies a short token: its MAC against each contact `pagedFor` its incident (constant time each), then its
 * expiry. A token whose MAC matches no contact — altered, signed with another key, or for an incident with nobody
 * paged — is forged.
 */
function verifyShortAckToken(
  token: string,
  key: Secret,
  now: number,
  pagedFor: (incidentId: number) => readonly string[],
): AckLinkCheck {
  const bytes = Buffer.from(token, 'base64url');
  // Only the canonical spelling: Node decodes stray characters and trailing bits leniently.
  if (!/^[\w-]+$/.test(token) || bytes.toString('base64url') !== token) return { ok: false, problem: 'malformed' };
  const incident = readVarint(bytes, 0);
  const minute = incident && readVarint(bytes, incident.end);
  if (!incident || !minute || bytes.length - minute.end !== SHORT_MAC_BYTES) return { ok: false, problem: 'malformed' };
  const given = bytes.subarray(minute.end);
  const contact = pagedFor(incident.value).find((c) =>
    timingSafeEqual(given, shortMac(key, incident.value, minute.value, c)),
  );
  if (contact === undefined) return { ok: false, problem: 'forged' };
  const claims = { incidentId: incident.value, contact, expires: minute.value * MINUTE };
  if (now > claims.expires) return { ok: false, problem: 'expired', claims };
  return { ok: true, claims };
}

/** Verifies a token of either form: a long one carries a `.` between its claims and its signature, a short one none. */
export function verifyAckLink(
  token: string,
  key: Secret,
  now: number,
  pagedFor: (incidentId: number) => readonly string[],
): AckLinkCheck {
  return token.includes('.') ? verifyAckToken(token, key, now) : verifyShortAckToken(token, key, now, pagedFor);
}
