// The logger: JSON lines with the clock's time, the level it is given, secrets redacted, pretty lines on request.
import { Writable } from 'node:stream';
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../src/clock.js';
import { Secret } from '../src/config/secret.js';
import { createLogger, isLogLevel, type LogLevel } from '../src/log.js';

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
