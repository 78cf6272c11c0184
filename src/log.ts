// The pino logger every module receives: JSON lines on stdout (string levels, ISO times), readable lines on a
// terminal, secrets redacted.
import { createRequire } from 'node:module';
import { type DestinationStream, type Logger, pino } from 'pino';
import type { Clock } from './clock.js';

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
      // What Loki, Elasticsearch and a person read as is: the level's name ("level":"warn", not 40) and the time in
      // ISO 8601 UTC ("time":"2026-05-01T14:03:00.000Z", not epoch milliseconds).
      formatters: { level: (label) => ({ level: label }) },
      timestamp: () => `,"time":"${new Date(options.clock.now()).toISOString()}"`,
      base: { name: 'centinela' },
    },
    stream,
  );
}
