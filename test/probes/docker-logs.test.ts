// The Engine's log stream: frames split anywhere across chunks, lines split across frames, error matching, and
// windows that never count a line twice.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FrameDecoder,
  LineAssembler,
  LogFormatError,
  LogWindow,
  lineMatcher,
  maskCredentials,
  parseTimestamp,
  type StreamName,
  sinceSeconds,
} from '../../src/probes/docker-logs.js';

/** One frame as the Engine writes it: stream byte, three zero bytes, big-endian size, payload. */
function frame(stream: StreamName, payload: string | Buffer): Buffer {
  const body = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  const header = Buffer.alloc(8);
  header[0] = ['stdin', 'stdout', 'stderr'].indexOf(stream);
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

function split(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const p of [...points, bytes.length]) {
    chunks.push(bytes.subarray(from, p));
    from = p;
  }
  return chunks;
}

describe('FrameDecoder', () => {
  it('decodes stdout and stderr frames from one chunk', () => {
    const decoder = new FrameDecoder();
    const frames = decoder.push(Buffer.concat([frame('stdout', 'a\n'), frame('stderr', 'b\n')]));
    expect(frames.map((f) => [f.stream, f.payload.toString()])).toEqual([
      ['stdout', 'a\n'],
      ['stderr', 'b\n'],
    ]);
    expect(decoder.pendingBytes).toBe(0);
  });

  it('keeps a frame cut inside its header or its payload until the rest arrives', () => {
    const bytes = frame('stderr', 'hello world\n');
    const decoder = new FrameDecoder();
    expect(decoder.push(bytes.subarray(0, 3))).toEqual([]);
    expect(decoder.push(bytes.subarray(3, 12))).toEqual([]);
    expect(decoder.pendingBytes).toBe(12);
    const [f] = decoder.push(bytes.subarray(12));
    expect(f?.stream).toBe('stderr');
    expect(f?.payload.toString()).toBe('hello world\n');
  });

  it('yields the same frames however the stream is cut into chunks', () => {
    const payload = fc.record({ stream: fc.constantFrom<StreamName>('stdout', 'stderr'), text: fc.string() });
    fc.assert(
      fc.property(fc.array(payload, { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 20 }), (sent, cuts) => {
        const bytes = Buffer.concat(sent.map((p) => frame(p.stream, p.text)));
        const decoder = new FrameDecoder();
        const got = split(bytes, cuts).flatMap((chunk) => decoder.push(chunk));
        expect(got.map((f) => ({ stream: f.stream, text: f.payload.toString() }))).toEqual(sent);
        expect(decoder.pendingBytes).toBe(0);
      }),
    );
  });

  it('rejects bytes that are not a frame header, saying where', () => {
    const decoder = new FrameDecoder();
    decoder.push(frame('stdout', 'ok\n'));
    expect(() => decoder.push(Buffer.from('HTTP/1.1 200 OK\r\n'))).toThrow(LogFormatError);
    expect(() => new FrameDecoder().push(Buffer.from([1, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0]))).toThrow(
      /byte 8 starts no log frame \(header 0900000000000000\)/,
    );
  });
});

describe('LineAssembler', () => {
  it('joins a line split across frames, including a UTF-8 character cut in two', () => {
    const text = Buffer.from('2026-01-01T00:00:00.000000001Z señal perdida\nsecond');
    const cut = text.indexOf('ñ') + 1; // between the two bytes of ñ
    const lines = new LineAssembler();
    expect(lines.push(text.subarray(0, cut))).toEqual([]);
    expect(lines.push(text.subarray(cut))).toEqual(['2026-01-01T00:00:00.000000001Z señal perdida']);
    expect(lines.end()).toEqual(['second']);
    expect(lines.end()).toEqual([]);
  });

  it('drops the carriage return of TTY lines', () => {
    expect(new LineAssembler().push(Buffer.from('one\r\ntwo\r\n'))).toEqual(['one', 'two']);
  });
});

describe('parseTimestamp', () => {
  it('reads RFC 3339 with nanoseconds exactly, and shorter fractions', () => {
    expect(parseTimestamp('2026-11-27T21:11:14.289263554Z')).toBe(1795813874289263554n);
    expect(parseTimestamp('2026-11-27T21:11:14.2Z')).toBe(1795813874200000000n);
    expect(parseTimestamp('2026-11-27T21:11:14Z')).toBe(1795813874000000000n);
    expect(parseTimestamp('2026-11-27T22:11:14.5+01:00')).toBe(1795813874500000000n);
  });

  it('is undefined for anything else', () => {
    for (const text of ['', 'ERROR boom', '2026-11-27', '2026-13-45T99:99:99Z'])
      expect(parseTimestamp(text)).toBeUndefined();
  });
});

describe('lineMatcher', () => {
  const isError = lineMatcher('error', ['error', 'critical', 'fatal']);

  it('matches the pattern case-insensitively', () => {
    expect(isError('ERROR: connection refused')).toBe(true);
    expect(isError('an Error occurred')).toBe(true);
    expect(isError('all good')).toBe(false);
  });

  it('judges JSON lines by their level alone', () => {
    expect(isError('{"level":"error","msg":"task 17 failed"}')).toBe(true);
    expect(isError('{"level":"CRITICAL","msg":"disk"}')).toBe(true);
    expect(isError('{"level":"info","msg":"retrying after error"}')).toBe(false);
    // Not a JSON object with a string level: the pattern decides.
    expect(isError('{"msg":"error without level"}')).toBe(true);
    expect(isError('{"level":50,"msg":"error"}')).toBe(true);
    expect(isError('{not json, but an error}')).toBe(true);
  });

  it('matches a pattern that backtracks exponentially in time linear in the line (V8 would not finish)', () => {
    // (x+x+)+y over x's is 2^n steps for a backtracking engine, for every start.
    const isBomb = lineMatcher('(x+x+)+y', ['error']);
    expect(isBomb('x'.repeat(50_000))).toBe(false);
    expect(isBomb(`${'X'.repeat(5_000)}Y`)).toBe(true);
  });

  it('takes RE2 syntax, (?i) included', () => {
    expect(lineMatcher('(?i)traceback', [])('Traceback (most recent call last):')).toBe(true);
    expect(lineMatcher('\\bpanic\\b', [])('PANIC: runtime error')).toBe(true);
    expect(lineMatcher('\\bpanic\\b', [])('nopanics')).toBe(false);
  });
});

describe('maskCredentials', () => {
  it('masks the password of URLs in text and leaves other URLs alone', () => {
    expect(maskCredentials('connect postgres://gad:s3cret@db:5432/gad failed')).toBe(
      'connect postgres://gad:xxxxx@db:5432/gad failed',
    );
    expect(maskCredentials('see http://0.0.0.0:8000')).toBe('see http://0.0.0.0:8000');
  });
});

const T = '2026-11-27T21:11:14';

describe('LogWindow', () => {
  const isError = lineMatcher('error', ['error']);

  it('counts matching lines, keeps the last N with their timestamps and masks credentials', () => {
    const window = new LogWindow(isError, 2, undefined);
    window.add(`${T}.1Z ERROR one`);
    window.add(`${T}.2Z fine`);
    window.add(`${T}.3Z error two postgres://u:pw@db/x`);
    window.add(`${T}.4Z {"level":"error","msg":"three"}`);
    const result = window.result();
    expect(result.matches).toBe(3);
    expect(result.lines).toBe(4);
    expect(result.last).toEqual([
      `${T}.3Z error two postgres://u:xxxxx@db/x`,
      `${T}.4Z {"level":"error","msg":"three"}`,
    ]);
    expect(result.cursor).toEqual({ ns: parseTimestamp(`${T}.4Z`), linesAtNs: 1 });
  });

  it('skips what the previous window counted when the boundary second is read again', () => {
    const first = new LogWindow(isError, 5, undefined);
    for (const line of [`${T}.1Z error a`, `${T}.5Z error b`, `${T}.5Z error c`]) first.add(line);
    const cursor = first.result().cursor;
    expect(cursor).toEqual({ ns: parseTimestamp(`${T}.5Z`), linesAtNs: 2 });
    if (!cursor) throw new Error('no cursor');
    expect(sinceSeconds(cursor)).toBe(1795813874);

    // The next read starts at the cursor's whole second: it sees a, b and c again, then a new line with the very same
    // timestamp as b and c, then a later one.
    const second = new LogWindow(isError, 5, cursor);
    for (const line of [
      `${T}.1Z error a`,
      `${T}.5Z error b`,
      `${T}.5Z error c`,
      `${T}.5Z error d`,
      `${T}.9Z error e`,
    ]) {
      second.add(line);
    }
    const result = second.result();
    expect(result.matches).toBe(2);
    expect(result.last).toEqual([`${T}.5Z error d`, `${T}.9Z error e`]);
    expect(result.cursor).toEqual({ ns: parseTimestamp(`${T}.9Z`), linesAtNs: 1 });
  });

  it('keeps the previous cursor when nothing new was written', () => {
    const cursor = { ns: parseTimestamp(`${T}.5Z`) ?? 0n, linesAtNs: 1 };
    const window = new LogWindow(isError, 5, cursor);
    window.add(`${T}.5Z error b`);
    expect(window.result()).toEqual({ matches: 0, lines: 0, last: [], cursor });
    expect(new LogWindow(isError, 5, cursor).result().cursor).toBe(cursor);
  });

  it('counts without keeping lines when keep is 0', () => {
    const window = new LogWindow(isError, 0, undefined);
    window.add(`${T}.1Z error`);
    expect(window.result()).toMatchObject({ matches: 1, last: [] });
  });

  it('rejects a line without a timestamp', () => {
    expect(() => new LogWindow(isError, 1, undefined).add('error without time')).toThrow(
      'log line has no timestamp: "error without time"',
    );
  });
});
