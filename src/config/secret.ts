// A value that must never be printed: passwords, tokens, URLs with credentials.
import { inspect } from 'node:util';

const REDACTED = '<secret>';

/** Wraps a secret string; every way of printing it (template, JSON, util.inspect, pino) shows `<secret>`. */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The real value, for the one place that hands it to a client library. */
  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}

/** A URL with its password (and a user that looks like a token) replaced, safe for logs and error messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = 'xxxxx';
    // https://TOKEN@host carries a token as the user; a database URL's lone user is just a role name.
    else if (u.username && /^(https?|wss?):$/.test(u.protocol)) u.username = 'xxxxx';
    for (const key of [...u.searchParams.keys()]) {
      if (/token|key|secret|password|sig/i.test(key)) u.searchParams.set(key, 'xxxxx');
    }
    return u.toString();
  } catch {
    return REDACTED;
  }
}

/** Below this length a secret is hidden only where it stands as a whole token (see scrubberFor). */
const SHORT_SECRET = 4;

/**
 * Replaces every secret of a config value (a probe's, a channel's) in a text with `<secret>`, in every form a
 * library or a server may print it: whole, percent-encoded, and for a URL its password, a token-like user and
 * key-like query values (as redactUrl hides them); with `urlPaths`, also a URL's path and query as sent (a Slack or
 * Teams hook carries its token there; a database URL's path is only its name). A secret of SHORT_SECRET characters
 * or more is replaced wherever it appears; a shorter one only where no letter, digit or `_` touches it, so it does
 * not mangle ordinary words ("ops" in "stops").
 */
export function scrubberFor(config: unknown, opts: { urlPaths: boolean }): (text: string) => string {
  const forms = [...new Set(secretsIn(config).flatMap((s) => secretForms(s.reveal(), opts.urlPaths)))]
    .filter((f) => f.length > 0)
    .sort((a, b) => b.length - a.length); // longest first: a URL is replaced whole before its password
  const steps = forms.map((form) => {
    if (form.length >= SHORT_SECRET) return (text: string) => text.split(form).join(REDACTED);
    const escaped = form.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const token = new RegExp(`(?<![\\p{L}\\p{N}_])${escaped}(?![\\p{L}\\p{N}_])`, 'gu');
    return (text: string) => text.replace(token, REDACTED);
  });
  return (text) => steps.reduce((out, step) => step(out), text);
}

/**
 * Every Secret inside a config value, at any depth of its arrays and plain objects. Nothing else is walked: a parsed
 * config also holds compiled matchers, whose regex (re2js) keeps a pool of machines pointing back at it once it has
 * run, a cycle that overflowed the stack here.
 */
function secretsIn(value: unknown): Secret[] {
  if (value instanceof Secret) return [value];
  if (Array.isArray(value)) return value.flatMap(secretsIn);
  return isPlainObject(value) ? Object.values(value).flatMap(secretsIn) : [];
}

/**
 * Whether `value` is an object as a parsed config holds its data (of Object's prototype or none), not an instance of
 * a class, such as a compiled regex, which may point back at itself.
 */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** The strings a secret can show up as in a message. */
function secretForms(raw: string, urlPaths: boolean): string[] {
  const forms = [raw, encodeURIComponent(raw)];
  if (!URL.canParse(raw)) return forms;
  const url = new URL(raw);
  if (urlPaths) {
    const parts = [url.pathname + url.search, url.pathname, url.search, ...url.searchParams.values()];
    // A bare "/" or "?" is how every URL starts, not a secret.
    for (const part of parts) if (/[\p{L}\p{N}]/u.test(part)) forms.push(part);
  }
  if (redactUrl(raw) === raw) return forms;
  const redacted = new URL(redactUrl(raw));
  if (url.password) forms.push(url.password, decodeURIComponent(url.password));
  if (redacted.username !== url.username) forms.push(url.username, decodeURIComponent(url.username));
  for (const [key, v] of url.searchParams) if (redacted.searchParams.get(key) !== v) forms.push(v);
  return forms;
}
