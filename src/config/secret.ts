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
