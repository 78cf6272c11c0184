// The pino logger every module receives: JSON lines on stdout (string levels, ISO times), readable lines on a
// terminal, secrets redacted.
import { createRequire } from 'node:module';
import { type DestinationStream, type Logger, pino } from 'pino';
import type { Clock } from './clock.js';
import { excerpt } from './excerpt.js';

/** The levels LOG_LEVEL may name. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** True when `text` is a level LOG_LEVEL may name. */
export function isLogLevel(text: string): text is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(text);
}

/**
 * Field names that hold credentials wherever they appear (top level or one object down). Secret values print as
 * `<secret>` on their own; these catch plain strings that a library or an error object carries.
 */
export const REDACTED_PATHS = [
  'password',
  'token',
  'authorization',
  'routing_key',
  'bot_token',
  'signing_secret',
  'link_secret',
  'write_token',
  'read_token',
  'headers.authorization',
  'headers.Authorization',
  'headers.cookie',
].flatMap((path) => [path, `*.${path}`]);

/** How to build the logger; main.ts passes LOG_LEVEL and whether stdout is a terminal. */
export interface LoggerOptions {
  level: LogLevel;
  /** Human-readable, coloured lines (pino-pretty) instead of JSON lines. */
  pretty: boolean;
  /** Timestamps come from this clock, so logs agree with the fake clock in tests. */
  clock: Clock;
  /** Where lines go; stdout when omitted. */
  destination?: DestinationStream;
}

/** The root logger; modules get `log.child({ probe })` and the like from it. */
export function createLogger(options: LoggerOptions): Logger {
  const out = options.destination ?? pino.destination(1);
  // pino-pretty (30 modules) is required only for a terminal: the daemon in a container writes JSON lines.
  const stream = options.pretty
    ? (createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty'))({
        colorize: true,
        translateTime: 'SYS:HH:MM:ss.l',
        destination: out,
      })
    : out;
  return pino(
    {
      level: options.level,
      redact: { paths: REDACTED_PATHS, censor: '<secret>' },
      serializers: { err: boundedError },
      // What Loki, Elasticsearch and a person read as is: the level's name ("level":"warn", not 40) and the time in
      // ISO 8601 UTC ("time":"2026-05-01T14:03:00.000Z", not epoch milliseconds).
      formatters: { level: (label) => ({ level: label }) },
      timestamp: () => `,"time":"${new Date(options.clock.now()).toISOString()}"`,
      base: { name: 'centinela' },
    },
    stream,
  );
}

/** The most characters of an error's message a log line holds, in the message and at the head of the stack. */
export const LOGGED_MESSAGE_MAX = 2_000;

/**
 * An error as pino writes it, its message cut to an excerpt, in `message` and at the head of `stack` alike (V8
 * repeats the message there), with every frame of the stack kept: a regex V8 refused quoted its whole pattern, and a
 * 500's line held 120 KB.
 */
function boundedError(err: Error): Record<string, unknown> {
  const out = pino.stdSerializers.err(err) as unknown as Record<string, unknown>;
  const message = typeof out.message === 'string' ? out.message : '';
  if (message.length <= LOGGED_MESSAGE_MAX) return out;
  const cut = excerpt(message, LOGGED_MESSAGE_MAX);
  const stack = typeof out.stack === 'string' ? out.stack : '';
  const at = stack.indexOf(message);
  return {
    ...out,
    message: cut,
    stack: at >= 0 ? stack.slice(0, at) + cut + stack.slice(at + message.length) : excerpt(stack, LOGGED_MESSAGE_MAX),
  };
}
