// The logger: JSON lines with the clock's time, the level it is given, secrets redacted, pretty lines on request.
import { Writable } from 'node:stream';
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../src/clock.js';
import { Secret } from '../src/config/secret.js';
import { createLogger, isLogLevel, LOGGED_MESSAGE_MAX, type LogLevel } from '../src/log.js';

/** A destination that keeps what it is given. */
function sink() {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

function jsonLogger(level: LogLevel = 'info') {
  const out = sink();
  const clock = new FakeClock(Date.UTC(2026, 0, 1));
  const log = createLogger({ level, pretty: false, clock, destination: out.stream });
  const lines = () =>
    out
      .text()
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { log, lines, clock };
}

describe('createLogger', () => {
  it('writes one JSON object per line, timed by the clock, with the level by name and the time in ISO 8601', async () => {
    const { log, lines, clock } = jsonLogger();
    log.info({ probe: 'db' }, 'probe ran');
    await clock.advance(1500);
    log.child({ probe: 'api' }).warn('slow');
    expect(lines()).toEqual([
      { level: 'info', time: '2026-01-01T00:00:00.000Z', name: 'centinela', probe: 'db', msg: 'probe ran' },
      { level: 'warn', time: '2026-01-01T00:00:01.500Z', name: 'centinela', probe: 'api', msg: 'slow' },
    ]);
  });

  it('drops what is below its level', () => {
    const { log, lines } = jsonLogger('warn');
    log.info('hidden');
    log.error('shown');
    expect(lines().map((l) => l.msg)).toEqual(['shown']);
  });

  it('redacts credential fields, at the top and one object down, and prints Secret values as <secret>', () => {
    const { log, lines } = jsonLogger();
    log.info(
      {
        password: 'p1',
        smtp: { password: 'p2', host: 'smtp' },
        request: { headers: { authorization: 'Bearer t' } },
        url: new Secret('postgres://u:p3@db/x'),
      },
      'connect',
    );
    const text = JSON.stringify(lines());
    expect(text).not.toMatch(/p1|p2|Bearer t|p3/);
    expect(lines()[0]).toMatchObject({
      password: '<secret>',
      smtp: { password: '<secret>', host: 'smtp' },
      request: { headers: { authorization: '<secret>' } },
      url: '<secret>',
    });
  });

  it("cuts a long error message to an excerpt, in the message and the stack's head, keeping the frames", () => {
    // A 500 for a regex V8 refused logged its whole pattern, twice: a 120 KB line (issue 13 review r13c, D6).
    const { log, lines } = jsonLogger();
    let thrown: Error | undefined;
    try {
      new RegExp(`${'('.repeat(60_000)}`);
    } catch (err) {
      thrown = err as Error;
    }
    log.error({ err: thrown }, 'request failed');
    const [line] = lines();
    const err = (line as { err: { type: string; message: string; stack: string } }).err;
    expect(err.type).toBe('SyntaxError');
    expect(err.message).toMatch(/^Invalid regular expression: \/\(+… \(\d+ characters\)$/);
    expect(err.message.length).toBeLessThan(LOGGED_MESSAGE_MAX + 40);
    expect(err.stack.startsWith(`SyntaxError: ${err.message}\n    at `)).toBe(true);
    expect(err.stack).toContain('log.test.ts');
    const short = new Error('short');
    log.error({ err: short }, 'request failed');
    expect((lines()[1] as { err: { message: string; stack: string } }).err).toMatchObject({
      message: 'short',
      stack: short.stack,
    });
  });

  it('writes readable lines when asked for pretty output', async () => {
    const out = sink();
    const log = createLogger({ level: 'info', pretty: true, clock: new FakeClock(), destination: out.stream });
    log.info({ probe: 'db', password: 'p1' }, 'probe ran');
    await new Promise((resolve) => setImmediate(resolve));
    const text = stripVTControlCharacters(out.text());
    expect(text).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO.*probe ran/);
    expect(text).toContain('probe: "db"');
    expect(text).not.toContain('p1');
    expect(() => JSON.parse(text)).toThrow();
  });
});

describe('isLogLevel', () => {
  it('accepts pino levels and refuses others', () => {
    expect(['info', 'debug', 'silent'].every(isLogLevel)).toBe(true);
    expect(['verbose', 'INFO', ''].some(isLogLevel)).toBe(false);
  });
});
