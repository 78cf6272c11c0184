// The Engine's log stream: frames split anywhere across chunks, lines split across frames, error matching, and
// windows that never count a line twice.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FrameDecoder,
  LineAssembler,
  type LineMatcher,
  LogFormatError,
  LogWindow,
  lineMatcher,
  maskCredentials,
  parseTimestamp,
  type StreamName,
  sinceSeconds,
} from '../../src/probes/docker-logs.js';
import { PatternUnfinished } from '../../src/probes/pattern-match.js';
import { WORST_PATTERN, worstRegexText } from '../support/worst-regex-text.js';

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

const T = '2026-11-27T21:11:14';
const running = new AbortController().signal;

/** The verdict of a window on each of `texts`, one line each: which are errors. */
async function errors(matcher: LineMatcher, texts: readonly string[]): Promise<boolean[]> {
  const verdicts: boolean[] = [];
  for (const text of texts) {
    const window = new LogWindow(matcher, 0, undefined, running);
    window.add(`${T}.1Z ${text}`);
    verdicts.push((await await window.result()).matches === 1);
  }
  return verdicts;
}

describe('lineMatcher', () => {
  const isError = lineMatcher('error', ['error', 'critical', 'fatal']);

  it('matches the pattern case-insensitively', async () => {
    expect(await errors(isError, ['ERROR: connection refused', 'an Error occurred', 'all good'])).toEqual([
      true,
      true,
      false,
    ]);
  });

  it('judges JSON lines by their level alone', async () => {
    expect(isError.byLevel('{"level":"error","msg":"task 17 failed"}')).toBe(true);
    expect(isError.byLevel('{"level":"CRITICAL","msg":"disk"}')).toBe(true);
    expect(isError.byLevel('{"level":"info","msg":"retrying after error"}')).toBe(false);
    // Not a JSON object with a string level: the pattern decides.
    const patternJudges = ['{"msg":"error without level"}', '{"level":50,"msg":"error"}', '{not json, but an error}'];
    for (const text of patternJudges) expect(isError.byLevel(text)).toBeUndefined();
    expect(await errors(isError, ['{"level":"info","msg":"retrying after error"}', ...patternJudges])).toEqual([
      false,
      true,
      true,
      true,
    ]);
  });

  it('matches a pattern that backtracks exponentially in time linear in the line (V8 would not finish)', async () => {
    // (x+x+)+y over x's is 2^n steps for a backtracking engine, for every start.
    expect(await errors(lineMatcher('(x+x+)+y', ['error']), ['x'.repeat(50_000), `${'X'.repeat(5_000)}Y`])).toEqual([
      false,
      true,
    ]);
  });

  it('takes RE2 syntax, (?i) included', async () => {
    expect(await errors(lineMatcher('(?i)traceback', []), ['Traceback (most recent call last):'])).toEqual([true]);
    expect(await errors(lineMatcher('\\bpanic\\b', []), ['PANIC: runtime error', 'nopanics'])).toEqual([true, false]);
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

describe('LogWindow', () => {
  const isError = lineMatcher('error', ['error']);

  it('counts matching lines, keeps the last N with their timestamps and masks credentials', async () => {
    const window = new LogWindow(isError, 2, undefined, running);
    window.add(`${T}.1Z ERROR one`);
    window.add(`${T}.2Z fine`);
    window.add(`${T}.3Z error two postgres://u:pw@db/x`);
    window.add(`${T}.4Z {"level":"error","msg":"three"}`);
    const result = await window.result();
    expect(result.matches).toBe(3);
    expect(result.lines).toBe(4);
    expect(result.last).toEqual([
      `${T}.3Z error two postgres://u:xxxxx@db/x`,
      `${T}.4Z {"level":"error","msg":"three"}`,
    ]);
    expect(result.cursor).toEqual({ ns: parseTimestamp(`${T}.4Z`), linesAtNs: 1 });
  });

  it('skips what the previous window counted when the boundary second is read again', async () => {
    const first = new LogWindow(isError, 5, undefined, running);
    for (const line of [`${T}.1Z error a`, `${T}.5Z error b`, `${T}.5Z error c`]) first.add(line);
    const cursor = (await first.result()).cursor;
    expect(cursor).toEqual({ ns: parseTimestamp(`${T}.5Z`), linesAtNs: 2 });
    if (!cursor) throw new Error('no cursor');
    expect(sinceSeconds(cursor)).toBe(1795813874);

    // The next read starts at the cursor's whole second: it sees a, b and c again, then a new line with the very same
    // timestamp as b and c, then a later one.
    const second = new LogWindow(isError, 5, cursor, running);
    for (const line of [
      `${T}.1Z error a`,
      `${T}.5Z error b`,
      `${T}.5Z error c`,
      `${T}.5Z error d`,
      `${T}.9Z error e`,
    ]) {
      second.add(line);
    }
    const result = await second.result();
    expect(result.matches).toBe(2);
    expect(result.last).toEqual([`${T}.5Z error d`, `${T}.9Z error e`]);
    expect(result.cursor).toEqual({ ns: parseTimestamp(`${T}.9Z`), linesAtNs: 1 });
  });

  it('keeps the previous cursor when nothing new was written', async () => {
    const cursor = { ns: parseTimestamp(`${T}.5Z`) ?? 0n, linesAtNs: 1 };
    const window = new LogWindow(isError, 5, cursor, running);
    window.add(`${T}.5Z error b`);
    expect(await window.result()).toEqual({ matches: 0, lines: 0, last: [], cursor });
    expect((await new LogWindow(isError, 5, cursor, running).result()).cursor).toBe(cursor);
  });

  it('counts without keeping lines when keep is 0', async () => {
    const window = new LogWindow(isError, 0, undefined, running);
    window.add(`${T}.1Z error`);
    expect(await window.result()).toMatchObject({ matches: 1, last: [] });
  });

  it('matches off the event loop; the run stopped mid-match says so, and the next window is matched anew', async () => {
    // The worst pattern the 2000-instruction bound allows over a line of 1 MiB of a's and c's after a b: ~28 s of re2js.
    const line = worstRegexText(1_048_576);
    const run = new AbortController();
    const window = new LogWindow(lineMatcher(WORST_PATTERN, []), 5, undefined, run.signal);
    window.add(`${T}.1Z error before`);
    window.add(`${T}.2Z ${line}`);
    let settled = false;
    const result = window.result().finally(() => {
      settled = true;
    });
    result.catch(() => {});
    // This loop keeps turning while the line is matched: a thousand turns of setImmediate.
    for (let turn = 0; turn < 1000; turn++) await new Promise<void>((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    run.abort(new DOMException('timed out after 10s', 'TimeoutError'));
    await expect(result).rejects.toThrow(
      new PatternUnfinished(
        'logs.pattern did not finish matching 2 lines (1048588 characters) before the run was stopped (timed out ' +
          'after 10s): write it smaller, without long counted repetitions',
        true,
      ),
    );
    const next = new LogWindow(lineMatcher('error', []), 5, undefined, running);
    next.add(`${T}.3Z error after`);
    expect(await next.result()).toMatchObject({ matches: 1, last: [`${T}.3Z error after`] });
  });

  it('judges a long window in batches, counting its lines in order', async () => {
    const window = new LogWindow(lineMatcher('error', ['error']), 3, undefined, running);
    const long = 'x'.repeat(400_000);
    for (let i = 0; i < 9; i++) {
      window.add(`${T}.${i + 1}Z ${i % 3 === 0 ? `error ${i}` : i % 3 === 1 ? `{"level":"error","n":${i}}` : long}`);
    }
    expect(await window.result()).toMatchObject({
      matches: 6,
      lines: 9,
      last: [`${T}.5Z {"level":"error","n":4}`, `${T}.7Z error 6`, `${T}.8Z {"level":"error","n":7}`],
    });
  });

  it('rejects a line without a timestamp', () => {
    expect(() => new LogWindow(isError, 1, undefined, running).add('error without time')).toThrow(
      'log line has no timestamp: "error without time"',
    );
  });
});
