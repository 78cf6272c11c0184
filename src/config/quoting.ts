// How messages name the values of one configuration file: quoted back where that is safe; a secret by its shape or
// not at all; a value that came from the environment, whatever its type, only by the variables it came from.
import type { z } from 'zod';
import type { Filled } from './env.js';
import { isUnder, type PathKey } from './errors.js';
import { isSecretAt } from './schema-walk.js';
import { redactUrl } from './secret.js';

/** What the messages about one file may show of its values. */
export class Quoting {
  readonly #root: z.ZodType;
  readonly #data: unknown;
  readonly #filled: readonly Filled[];

  /** `data` is the file's plain value checked against `root`; `filled` lists the values from the environment. */
  constructor(root: z.ZodType, data: unknown, filled: readonly Filled[]) {
    this.#root = root;
    this.#data = data;
    this.#filled = filled;
  }

  /** True when the value at `path` may be quoted: it is no secret and no part of it came from the environment. */
  quotable(path: readonly PathKey[]): boolean {
    return this.#filledFrom(path) === undefined && !isSecretAt(this.#root, path, this.#data);
  }

  /** `text`, the value at `path` as a message would quote it, when it may be; else what names it instead. */
  show(path: readonly PathKey[], text: string): string {
    return this.quotable(path) ? text : this.withheld(path);
  }

  /** What names the value at `path` in a message that must not quote it. */
  withheld(path: readonly PathKey[]): string {
    const from = this.#filledFrom(path);
    return from ? `the value filled in from ${from}` : 'the value (not shown: it may hold a secret)';
  }

  /** The value at `path` as a message's subject: quoted when that is safe, else named by where it came from. */
  subject(value: unknown, path: readonly PathKey[]): string {
    if (this.#filledFrom(path) === undefined && isSecretAt(this.#root, path, this.#data)) {
      if (typeof value === 'string' && URL.canParse(value)) return quote(secretUrlShape(value));
    }
    return this.show(path, show(value));
  }

  /** The value after "expected …, not": quoted when that is safe, else its type. */
  got(value: unknown, path: readonly PathKey[]): string {
    if (this.quotable(path)) return show(value);
    const from = this.#filledFrom(path);
    return from ? `${describeType(value)} (filled in from ${from})` : describeType(value);
  }

  /** `${SMTP_PORT}` or `${A} and ${B}` when the value at `path` came from the environment. */
  #filledFrom(path: readonly PathKey[]): string | undefined {
    const f = this.#filled.find((x) => isUnder(path, x.path));
    if (!f) return undefined;
    const vars = [...new Set(f.vars)].map((v) => `\${${v}}`);
    return vars.length === 1 ? vars[0] : `${vars.slice(0, -1).join(', ')} and ${vars.at(-1)}`;
  }
}

/** `a string`, `a list`, `true`: what a value is, for a message that must not quote it. */
function describeType(value: unknown): string {
  if (value === null || value === undefined) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'boolean') return String(value);
  return `a ${typeof value}`;
}

/**
 * A secret URL cut down to what a message about its form needs: scheme, user and host, the password replaced and
 * the path left out (a webhook URL carries its token in the path): `mysql://app:xxxxx@db/…`.
 */
function secretUrlShape(url: string): string {
  const u = new URL(redactUrl(url));
  const user = u.username ? `${u.username}${u.password ? `:${u.password}` : ''}@` : '';
  const rest = (u.pathname !== '' && u.pathname !== '/') || u.search || u.hash ? '/…' : '';
  return `${u.protocol}//${user}${u.host}${rest}`;
}

/** A value quoted back; a URL with credentials in it is shown with them replaced, wherever it was written. */
function show(value: unknown): string {
  if (typeof value === 'string') {
    return quote(URL.canParse(value) && redactUrl(value) !== new URL(value).toString() ? redactUrl(value) : value);
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return describeType(value);
}

function quote(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text);
}
