// The value types the configuration language is made of: durations, secrets, names, labels, priorities, addresses.
import { isIP, isIPv6 } from 'node:net';
import { z } from 'zod';
import { formatDuration, LONGEST_DURATION_MS, parseDuration } from '../duration.js';
import { quoted } from '../excerpt.js';
import { postgresUrlProblem } from '../postgres-tls.js';
import { PRIORITIES } from '../types.js';
import { Secret } from './secret.js';

/**
 * An issue's message for input that is the caller's own (an API body, a rule test file), with the text it is about
 * put back in front: these types leave it out (`is not a duration`) so the loader can withhold one from `${VAR}`. A
 * long text is quoted in an excerpt: a 60 KB matcher is told by its start and its length.
 */
export function withOwnValue(issue: z.core.$ZodIssue, given: unknown): string {
  const leftOut = issue.code === 'custom' && typeof given === 'string' && issue.message.startsWith('is ');
  return leftOut ? `${quoted(given)} ${issue.message}` : issue.message;
}

/** `15s` → 15000 (ms). */
export const duration = z
  .string({ error: 'expected a duration. Write 500ms, 15s, 5m, 1h30m or 1d' })
  .transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined) {
      // No value in the message: the loader puts it before, or names the variable it came from.
      ctx.addIssue({ code: 'custom', message: 'is not a duration. Write 90s, 5m or 1h30m' });
      return z.NEVER;
    }
    if (ms > LONGEST_DURATION_MS) {
      ctx.addIssue({ code: 'custom', message: `is longer than ${formatDuration(LONGEST_DURATION_MS)} (100 years)` });
      return z.NEVER;
    }
    return ms;
  })
  .meta({ description: 'A duration: 500ms, 15s, 5m, 1h30m, 1d', pattern: '^(\\d+(\\.\\d+)?(d|h|m|s|ms))+$' });

const LISTEN_FIX = 'Write e.g. 0.0.0.0:9810 or 127.0.0.1:9810';
const HOST_NAME = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/;

/**
 * `host:port` for the HTTP server → what its listen takes: `0.0.0.0:9810`, `[::1]:9810`, `localhost:9810`, and
 * `:9810` for every interface. The host is an IP address or a host name; the port 0 to 65535 (0: any free one).
 */
export const listenAddress = z
  .string({ error: `expected host:port. ${LISTEN_FIX}` })
  .transform((text, ctx) => {
    const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(text.trim());
    const host = m?.[1] ?? (m?.[2] || '0.0.0.0');
    if (!m || (m[1] !== undefined ? !isIPv6(host) : !isIP(host) && !HOST_NAME.test(host))) {
      ctx.addIssue({ code: 'custom', message: `is not host:port. ${LISTEN_FIX}` });
      return z.NEVER;
    }
    const port = Number(m[3]);
    if (port > 65_535) {
      ctx.addIssue({ code: 'custom', message: `must have a port from 0 to 65535. ${LISTEN_FIX}` });
      return z.NEVER;
    }
    return { host, port };
  })
  .meta({ description: 'host:port: 0.0.0.0:9810, 127.0.0.1:9810, [::1]:9810' });

/**
 * The schemas whose values are secrets: error messages never quote them. A schema derived from one (`.refine`)
 * is found through zod's parent link by `secrets.get`, so a stricter secret URL stays a secret.
 */
export const secrets = z.registry<{ secret: true }>();

/**
 * A secret with white space at its start or end, or a line break anywhere, is refused rather than trimmed: the usual
 * cause is a variable read from a file with its newline, it would be sent as part of the token, header or password
 * (every request refused, or a header no client can send), and the message names the variable to fix.
 */
function usableSecret(s: string, ctx: z.RefinementCtx): Secret {
  if (s.trim() !== s || /[\r\n]/.test(s)) {
    ctx.addIssue({
      code: 'custom',
      message:
        'is not usable: it has white space at its start or end, or a line break (a newline at the end of a variable ' +
        'or a file is the usual cause), which would be sent as part of it. Remove it',
    });
    return z.NEVER;
  }
  return new Secret(s);
}

/** A string that prints as `<secret>` once loaded. */
export const secret = z
  .string({ error: 'expected a string (usually ${ENV_VAR})' })
  .transform(usableSecret)
  .meta({ description: 'A secret; write it as ${ENV_VAR} so it stays out of the file' })
  .register(secrets, { secret: true });

/**
 * An optional secret. Empty means not set, so `${SMTP_PASSWORD:-}` in a shipped file turns the feature off (no AUTH,
 * no signature, no ack links, no writes) instead of using an empty key.
 */
export const optionalSecret = z
  .string({ error: 'expected a string (usually ${ENV_VAR})' })
  .transform((s, ctx) => (s === '' ? undefined : usableSecret(s, ctx)))
  .meta({ description: 'A secret; write it as ${ENV_VAR} so it stays out of the file. Empty means not set' })
  .register(secrets, { secret: true })
  .optional();

/**
 * Whether a bearer token can be presented at all, adding the issue when not; `of` is what it opens ("the write
 * token", "the alert intake"). White space ends it (presentedToken reads `Bearer <token>` to the first space; a URL
 * path carries none). A character other than printable ASCII cannot pass either: a header carries bytes, which the
 * server reads as Latin-1 while curl, Go and Python clients send UTF-8 (`é` arrives as `Ã©`), and a character beyond
 * Latin-1 (`€`) no fetch can send; a non-breaking or zero-width space pasted in is the usual cause.
 */
function presentableToken(s: string, ctx: z.RefinementCtx, of: string): boolean {
  const problem = /\s/.test(s)
    ? 'it has white space in it (a newline at the end of a variable or a file is the usual cause), which no request ' +
      `can present, so ${of} could never be used. Remove it`
    : /[^!-~]/.test(s)
      ? 'it holds a character other than printable ASCII (an accented letter, a zero-width space, a control ' +
        `character), which clients send as other bytes than the server reads, so ${of} could never be used. Write ` +
        'letters, digits and punctuation only: openssl rand -hex 32 makes one'
      : undefined;
  if (problem) ctx.addIssue({ code: 'custom', message: `is not usable: ${problem}` });
  return problem === undefined;
}

/**
 * A token a client presents as `Authorization: Bearer` (the write and read tokens, an ntfy channel's): printable
 * ASCII without white space, or it could never be presented (presentableToken). Empty means not set.
 */
export const bearerToken = (of: string) =>
  z
    .string({ error: 'expected a string (usually ${ENV_VAR})' })
    .transform((s, ctx) => (s === '' ? undefined : presentableToken(s, ctx, of) ? new Secret(s) : z.NEVER))
    .meta({
      description: 'A bearer token: printable ASCII, no white space, written as ${ENV_VAR}. Empty means not set',
    })
    .register(secrets, { secret: true })
    .optional();

/** What a URL path reads as its own in a segment: a folder, a query, a fragment, an escape (and `\` as `/`). */
const NOT_IN_PATH_SEGMENT = /[/?#%\\]/;

/**
 * The only credential of something reachable from outside (a heartbeat's ping URL, an alert source's intake): a
 * token that can be presented (presentableToken) of 16 characters or more, so it is not guessed; with `inPath`, one
 * that can stand in a URL path as written (`openssl rand -base64` makes `/`). Empty means not set.
 */
export const credential = (of: string, { inPath = false } = {}) =>
  z
    .string({ error: 'expected a string (usually ${ENV_VAR})' })
    .transform((s, ctx) => {
      if (s === '') return undefined;
      // Refused, not trimmed: a trimmed token would pass where the written one differs from what is sent (a
      // variable read from a file with its newline), and two tokens alike but for a space would collide.
      if (!presentableToken(s, ctx, of)) return z.NEVER;
      if (inPath && NOT_IN_PATH_SEGMENT.test(s)) {
        ctx.addIssue({
          code: 'custom',
          message:
            `is not usable: it holds / ? # % or \\, which a URL path reads as its own (a folder, a query, a ` +
            `fragment, an escape), so ${of} with it as written would not reach its heartbeat. Write letters, digits ` +
            'and other punctuation: openssl rand -hex 16 makes one',
        });
        return z.NEVER;
      }
      if (s.length < 16) {
        ctx.addIssue({
          code: 'custom',
          message: `is shorter than 16 characters; it is the whole credential of ${of}. Generate one with openssl rand -hex 16`,
        });
        return z.NEVER;
      }
      return new Secret(s);
    })
    .meta({
      description:
        'A secret of 16 characters or more, printable ASCII, no white space, written as ${ENV_VAR}. Empty means not set',
    })
    .register(secrets, { secret: true })
    .optional();

/**
 * What HTTP clients refuse in a header value (undici's isValidHeaderValue, Node's checkInvalidHeaderChar): a control
 * character but the tab, DEL, or a character beyond Latin-1. RFC 9110's field-value allows the rest (obs-text too).
 */
const NOT_IN_HEADER = /[^\t\x20-\x7e\x80-\xff]/;

/**
 * Headers of the connection and the body's framing, which the HTTP client writes itself: undici refuses every
 * request given Transfer-Encoding, Keep-Alive, Upgrade or Expect, and one whose Content-Length or Connection it
 * cannot take; a Content-Length of another length than the body's fails the request too.
 */
const CLIENT_OWN_HEADERS = new Set([
  'transfer-encoding',
  'keep-alive',
  'upgrade',
  'expect',
  'content-length',
  'connection',
]);

/**
 * Request headers: names as HTTP allows them (no space, no colon) but those the client writes itself, values secrets
 * (they often carry a token) that a client can send: one it refuses would fail every request (a probe always down and
 * paging, a webhook never sent).
 */
export const headers = z.record(
  z
    .string()
    .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, {
      message: 'is not a header name: use letters, digits and - (e.g. Authorization, X-Api-Key)',
    })
    .refine((name) => !CLIENT_OWN_HEADERS.has(name.toLowerCase()), {
      message:
        "is a header of the connection or of the body's length, which the HTTP client writes itself and refuses to " +
        'be given, so every request with it would fail. Remove it',
    }),
  secret.refine((v) => !NOT_IN_HEADER.test(v.reveal()), {
    message:
      'is not usable as a header value: it holds a control character or a character beyond Latin-1 (such as €), ' +
      'which HTTP clients refuse to send, so every request with it would fail. Remove it',
  }),
);

/** A URL that may carry credentials; kept as a Secret. */
export const secretUrl = z
  .string({ error: 'expected a URL' })
  .refine((s) => URL.canParse(s), { message: 'is not a URL. Write scheme://host:port/path' })
  .transform((s) => new Secret(s))
  .meta({ description: 'A URL; it may carry credentials and is never printed' })
  .register(secrets, { secret: true });

/** A secret URL whose scheme is one of `schemes` (`redis:`), checked at load so a wrong one never starts. */
export const secretUrlOf = (schemes: readonly string[], example: string) =>
  secretUrl.refine((u) => schemes.includes(new URL(u.reveal()).protocol), {
    message: `must start with ${schemes.map((s) => `${s}//`).join(' or ')}. Write e.g. ${example}`,
  });

const POSTGRES_SCHEMES = ['postgres:', 'postgresql:'];

/**
 * A PostgreSQL URL (a secret) whose parameters can be honoured, its TLS ones as libpq reads them (postgres-tls.ts):
 * sslmode allow or prefer, node-postgres's own ssl, a ?port= standing in for the URL's and the like are refused at
 * load with what to write instead.
 */
export const postgresUrl = (example: string) =>
  secretUrlOf(POSTGRES_SCHEMES, example).superRefine((u, ctx) => {
    if (!POSTGRES_SCHEMES.includes(new URL(u.reveal()).protocol)) return; // its scheme is told already
    const problem = postgresUrlProblem(u.reveal());
    if (problem) ctx.addIssue({ code: 'custom', message: `is a URL that ${problem}` });
  });

/** A plain URL (no credentials expected). */
export const url = z
  .string({ error: 'expected a URL' })
  .refine((s) => URL.canParse(s), { message: 'is not a URL. Write scheme://host:port/path' });

/** Probe, rule and contact names: they become sample-name prefixes and label values. */
export const name = z
  .string({ error: 'expected a name' })
  .regex(/^[a-zA-Z][a-zA-Z0-9_-]*$/, { message: 'must start with a letter and hold only letters, digits, _ and -' });

export const priority = z.enum(PRIORITIES, { error: 'is not a priority. Use P0, P1, P2 or P3' });

export const priorityMap = <T extends z.ZodType>(value: T) =>
  z.strictObject({ P0: value.optional(), P1: value.optional(), P2: value.optional(), P3: value.optional() });

/** Static labels added to what a probe or rule produces. */
export const labels = z.preprocess(
  (map, ctx) => {
    // zod drops a `__proto__` key without a word; refuse it rather than lose a label the operator wrote.
    if (map !== null && typeof map === 'object' && Object.hasOwn(map, '__proto__'))
      ctx.addIssue({ code: 'custom', path: ['__proto__'], message: '"__proto__" cannot be a label name. Rename it' });
    return map;
  },
  z.record(
    z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, { message: 'label names hold letters, digits and _' }),
    z.string(),
  ),
);
