// A real pino logger (src/log.ts: JSON lines, the clock's time, secrets redacted) writing into memory, and the lines
// it wrote, parsed: what a test reads to check what centinela logs.
import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import type { Clock } from '../../src/clock.js';
import { createLogger, type LogLevel } from '../../src/log.js';

/** One log line as src/log.ts writes it: the level by name, the time in ISO 8601. */
export type LogLine = { level: LogLevel; time: string; msg: string } & Record<string, unknown>;

/** A logger at `level` whose lines are kept; `lines()` parses what it wrote so far. */
export function captureLog(clock: Clock, level: LogLevel = 'debug'): { log: Logger; lines: () => LogLine[] } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  const log = createLogger({ level, pretty: false, clock, destination });
  const lines = () =>
    chunks
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as LogLine);
  return { log, lines };
}
