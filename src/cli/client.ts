// The HTTP API client behind `centinela alerts`, `ack`, `silence` and `maintenance`: one request per command, the server's
// error code and message surfaced as they are, a bounded wait, and the shared --url/--token options.
import type { Command } from 'commander';
import { type Clock, systemClock } from '../clock.js';
import { redactUrl } from '../config/secret.js';
import { CLIENT_HEADER } from '../server/api-shapes.js';

/** Defaults the environment gives (main.ts reads CENTINELA_URL, CENTINELA_TOKEN and USER). */
export interface ClientEnv {
  url?: string;
  token?: string;
  user?: string;
}

/** The server said no, or could not be reached; `code` is the API's error code or a transport code. */
export class ClientError extends Error {
  override readonly name = 'ClientError';
  constructor(
    readonly code: string,
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

const DEFAULT_URL = 'http://127.0.0.1:9810';

/** Calls centinela's HTTP API. */
export class ApiClient {
  readonly #base: string;
  readonly #token: string | undefined;
  readonly #clock: Clock;
  readonly #timeoutMs: number;

  constructor(opts: { url: string; token?: string; clock?: Clock; timeoutMs?: number }) {
    if (!URL.canParse(opts.url))
      throw new ClientError('BAD_URL', `"${redactUrl(opts.url)}" is not a URL. Write e.g. ${DEFAULT_URL}`);
    this.#base = opts.url.replace(/\/+$/, '');
    this.#token = opts.token;
    this.#clock = opts.clock ?? systemClock;
    this.#timeoutMs = opts.timeoutMs ?? 10_000;
  }

  /** Sends one request and returns the JSON answer; throws ClientError with the server's code and message. */
  async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const abort = new AbortController();
    const cancel = this.#clock.setTimeout(
      () => abort.abort(new ClientError('TIMEOUT', `no answer within ${this.#timeoutMs / 1000}s`)),
      this.#timeoutMs,
    );
    const headers: Record<string, string> = { accept: 'application/json', [CLIENT_HEADER]: 'cli' };
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    let text: string;
    try {
      res = await fetch(`${this.#base}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: abort.signal,
      });
      text = await res.text();
    } catch (err) {
      if (abort.signal.reason instanceof ClientError) throw abort.signal.reason;
      const cause = (err as Error & { cause?: { code?: string; message?: string } }).cause;
      throw new ClientError(
        cause?.code ?? 'UNREACHABLE',
        `cannot reach centinela at ${redactUrl(this.#base)}: ${cause?.message ?? (err as Error).message}. Is it running? Set --url or CENTINELA_URL`,
      );
    } finally {
      cancel();
    }
    let json: unknown;
    try {
      json = text === '' ? {} : JSON.parse(text);
    } catch {
      throw new ClientError(
        'BAD_ANSWER',
        `${redactUrl(this.#base)}${path} answered ${res.status} with something that is not JSON: ${text.slice(0, 200)}`,
        res.status,
      );
    }
    if (!res.ok) {
      const error = (json as { error?: { code?: string; message?: string } }).error;
      throw new ClientError(error?.code ?? `HTTP_${res.status}`, error?.message ?? `HTTP ${res.status}`, res.status);
    }
    return json as T;
  }
}

interface ClientOptions {
  url?: string;
  token?: string;
}

/** Adds --url and --token to a command that talks to the server. */
export function withClientOptions(cmd: Command): Command {
  return cmd
    .option('--url <url>', `centinela's address (default: $CENTINELA_URL or ${DEFAULT_URL})`)
    .option('--token <token>', 'bearer token, server.write_token for writes (default: $CENTINELA_TOKEN)');
}

/** Who a write is recorded as: --by, else $USER, else "cli". */
export function author(opts: { by?: string }, env: ClientEnv): string {
  return opts.by ?? env.user ?? 'cli';
}

/** The client for a command's options, falling back to the environment. */
export function clientFor(opts: ClientOptions, env: ClientEnv): ApiClient {
  const token = opts.token ?? env.token;
  return new ApiClient({ url: opts.url ?? env.url ?? DEFAULT_URL, ...(token ? { token } : {}) });
}

/**
 * Runs a command's action and turns a failure into `centinela <command>: <message> (<code>)` on stderr and
 * exit status 1, so scripts can branch on `$?` and people read the server's own words.
 */
export function reportFailures<A extends unknown[]>(
  name: string,
  action: (...args: A) => Promise<void>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      // biome-ignore lint/plugin: forwards this call's own arguments, a handful already on the stack
      await action(...args);
    } catch (err) {
      if (!(err instanceof ClientError)) throw err;
      console.error(`centinela ${name}: ${err.message} (${err.code})`);
      process.exitCode = 1;
    }
  };
}
