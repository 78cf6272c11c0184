// Reading a container's log as the Engine sends it: demultiplexing its 8-byte-header frames, assembling lines across
// chunks and frames, and counting the error lines of one window without counting a line twice across runs.
import { StringDecoder } from 'node:string_decoder';
import { redactUrl } from '../config/secret.js';
import { matchingIndices, type Pattern, PatternUnfinished } from './pattern-match.js';

/** The stream a frame belongs to: the header's first byte (0, 1 or 2). */
export type StreamName = 'stdin' | 'stdout' | 'stderr';
const STREAMS: readonly StreamName[] = ['stdin', 'stdout', 'stderr'];

/** One frame of the multiplexed log stream. */
export interface Frame {
  stream: StreamName;
  payload: Buffer;
}

/** The Engine sent bytes that are not its multiplexed log format. */
export class LogFormatError extends Error {
  override readonly name = 'LogFormatError';
}

const HEADER_BYTES = 8;

/**
 * Splits the Engine's multiplexed stream (containers without a TTY) into frames. Each frame is a header
 * `[stream, 0, 0, 0, size as uint32 big-endian]` and `size` bytes of payload; a chunk from the socket may end in the
 * middle of a header or of a payload, so the remainder waits for the next chunk.
 */
export class FrameDecoder {
  #pending: Buffer = Buffer.alloc(0);
  #offset = 0;

  /** Feeds one chunk; returns the frames it completed. Throws LogFormatError on a header that cannot be one. */
  push(chunk: Buffer): Frame[] {
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    const frames: Frame[] = [];
    let at = 0;
    while (this.#pending.length - at >= HEADER_BYTES) {
      const type = this.#pending[at] ?? -1;
      const stream = STREAMS[type];
      if (stream === undefined || this.#pending.readUIntBE(at + 1, 3) !== 0) {
        throw new LogFormatError(
          `byte ${this.#offset + at} starts no log frame (header ${this.#pending.subarray(at, at + HEADER_BYTES).toString('hex')})`,
        );
      }
      const size = this.#pending.readUInt32BE(at + 4);
      if (this.#pending.length - at - HEADER_BYTES < size) break;
      frames.push({ stream, payload: this.#pending.subarray(at + HEADER_BYTES, at + HEADER_BYTES + size) });
      at += HEADER_BYTES + size;
    }
    this.#offset += at;
    this.#pending = this.#pending.subarray(at);
    return frames;
  }

  /** Bytes of an incomplete frame still waiting; non-zero at the end of the stream means it was cut short. */
  get pendingBytes(): number {
    return this.#pending.length;
  }
}

/**
 * Turns text that arrives in pieces into whole lines. Docker splits a log line longer than 16 KiB into several
 * frames, and a UTF-8 character may be cut between them; one assembler per stream keeps both intact.
 */
export class LineAssembler {
  readonly #decoder = new StringDecoder('utf8');
  #partial = '';

  /** Feeds bytes; returns the lines they completed, without their line ending. */
  push(bytes: Buffer): string[] {
    const text = this.#partial + this.#decoder.write(bytes);
    const parts = text.split('\n');
    this.#partial = parts.pop() ?? '';
    return parts.map(stripCr);
  }

  /** The last line when the stream ended without a newline. */
  end(): string[] {
    const rest = this.#partial + this.#decoder.end();
    this.#partial = '';
    return rest === '' ? [] : [stripCr(rest)];
  }
}

// TTY logs end lines with \r\n.
function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/**
 * Nanoseconds since the epoch of a `timestamps=true` prefix (RFC 3339 with up to 9 fractional digits, always UTC
 * from the Engine); undefined when the text is not one. Kept exact as a bigint: two lines a nanosecond apart differ.
 */
export function parseTimestamp(text: string): bigint | undefined {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(text);
  if (!m) return undefined;
  const seconds = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(seconds)) return undefined;
  return BigInt(seconds) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

/** How a log line is judged an error (see lineMatcher). */
export interface LineMatcher {
  /** The case-insensitive pattern, matched in the pattern thread (pattern-match.ts). */
  pattern: Pattern;
  /** A JSON line's verdict by its level; undefined for a line the pattern judges. */
  byLevel(text: string): boolean | undefined;
}

/**
 * Whether a log line is an error: a JSON object with a string `level` is judged by that level alone (so an `info`
 * record that mentions "error" in its message is not one); any other line by the case-insensitive pattern.
 */
export function lineMatcher(pattern: string, jsonLevels: readonly string[]): LineMatcher {
  const levels = new Set(jsonLevels.map((l) => l.toLowerCase()));
  return {
    pattern: { source: pattern, ignoreCase: true },
    byLevel: (text) => {
      const level = jsonLevel(text);
      return level === undefined ? undefined : levels.has(level.toLowerCase());
    },
  };
}

function jsonLevel(text: string): string | undefined {
  const trimmed = text.trimStart();
  if (!trimmed.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(trimmed);
    if (typeof value === 'object' && value !== null && 'level' in value && typeof value.level === 'string') {
      return value.level;
    }
  } catch {
    // Not JSON after all: the pattern decides.
  }
  return undefined;
}

/** Where the previous read stopped: the newest line's timestamp and how many lines carried exactly that timestamp. */
export interface LogCursor {
  ns: bigint;
  linesAtNs: number;
}

/** Whole seconds for the Engine's `since`, rounded down so the boundary second is read again and deduplicated. */
export function sinceSeconds(cursor: LogCursor): number {
  return Number(cursor.ns / 1_000_000_000n);
}

/** What one window of a container's log held. */
export interface WindowResult {
  /** Matching lines new in this window. */
  matches: number;
  /** Lines new in this window. */
  lines: number;
  /** The last `keep` matching lines, oldest first, with their timestamps and credentials in URLs masked. */
  last: string[];
  /** Where the next read starts; undefined while no line has been seen. */
  cursor: LogCursor | undefined;
}

const MAX_KEPT_LINE = 500;

/**
 * The lines of one read that an earlier read has not seen, for a log read with `timestamps=true` and `since` = the
 * previous cursor's second. Lines before the cursor were seen: they are skipped, and at the cursor's own timestamp
 * the first `linesAtNs` are (the Engine returns lines in order, so those are the ones already seen).
 */
export class NewLines {
  readonly #previous: LogCursor | undefined;
  #skipAtCursor: number;
  #newest: LogCursor | undefined;

  constructor(previous: LogCursor | undefined) {
    this.#previous = previous;
    this.#skipAtCursor = previous?.linesAtNs ?? 0;
  }

  /** The cursor this read continues from. */
  get previous(): LogCursor | undefined {
    return this.#previous;
  }

  /**
   * Takes one `<timestamp> <text>` line: its timestamp (as written) and text when it is new, undefined when an
   * earlier read saw it. Throws LogFormatError when the timestamp is missing.
   */
  take(line: string): { stamp: string; ns: bigint; text: string } | undefined {
    const space = line.indexOf(' ');
    const stamp = space < 0 ? line : line.slice(0, space);
    const ns = parseTimestamp(stamp);
    if (ns === undefined) throw new LogFormatError(`log line has no timestamp: "${line.slice(0, 80)}"`);
    this.#advanceCursor(ns);
    if (this.#seenBefore(ns)) return undefined;
    return { stamp, ns, text: space < 0 ? '' : line.slice(space + 1) };
  }

  /** Where the next read starts: after the newest line taken; the previous cursor while no line was. */
  get cursor(): LogCursor | undefined {
    return this.#newest ?? this.#previous;
  }

  #seenBefore(ns: bigint): boolean {
    if (!this.#previous || ns > this.#previous.ns) return false;
    if (ns < this.#previous.ns) return true;
    this.#skipAtCursor--;
    return this.#skipAtCursor >= 0;
  }

  // The cursor comes from this read alone: it re-reads the whole boundary second, so it sees every line at the
  // previous cursor's timestamp again and counts them afresh.
  #advanceCursor(ns: bigint): void {
    if (!this.#newest || ns > this.#newest.ns) this.#newest = { ns, linesAtNs: 1 };
    else if (ns === this.#newest.ns) this.#newest = { ns, linesAtNs: this.#newest.linesAtNs + 1 };
  }
}

/** A line of a window waiting for its verdict: by its JSON level at once, by the pattern in a batch. */
interface Judged {
  stamp: string;
  text: string;
  error: boolean | undefined;
}

/**
 * How many characters of lines a window sends to the pattern thread at once: a window's lines are judged in one
 * request, or one per this many characters of a long one, so that what waits for its verdict stays bounded.
 */
const BATCH_CHARS = 1_048_576;

/**
 * One run's window of a log: the matching lines among those no earlier run counted (see NewLines). The lines the
 * pattern judges are matched in the pattern thread, in batches; `result` waits for the last verdict, and `signal`
 * (the run's) stops it.
 */
export class LogWindow {
  readonly #matcher: LineMatcher;
  readonly #keep: number;
  readonly #lines: NewLines;
  readonly #signal: AbortSignal;
  #count = { matches: 0, lines: 0 };
  #last: string[] = [];
  #batch: Judged[] = [];
  #batchChars = 0;
  #judged: Promise<void> = Promise.resolve();

  constructor(matcher: LineMatcher, keep: number, previous: LogCursor | undefined, signal: AbortSignal) {
    this.#matcher = matcher;
    this.#keep = keep;
    this.#lines = new NewLines(previous);
    this.#signal = signal;
  }

  /** The cursor this window continues from. */
  get previous(): LogCursor | undefined {
    return this.#lines.previous;
  }

  /** Adds one `<timestamp> <text>` line; true, as the whole log is read. Throws LogFormatError when the timestamp is missing. */
  add(line: string): boolean {
    const taken = this.#lines.take(line);
    if (!taken) return true;
    this.#count.lines++;
    this.#batch.push({ stamp: taken.stamp, text: taken.text, error: this.#matcher.byLevel(taken.text) });
    this.#batchChars += taken.text.length;
    if (this.#batchChars >= BATCH_CHARS) this.#send();
    return true;
  }

  /**
   * What the window held, once every line is judged. Rejects with PatternUnfinished, in words, when the run's signal
   * fires first, or with an Error when the pattern thread refuses the pattern.
   */
  async result(): Promise<WindowResult> {
    this.#send();
    await this.#judged;
    return { ...this.#count, last: [...this.#last], cursor: this.#lines.cursor };
  }

  /** Asks for the verdicts of the batch; they are counted in the order of the lines, after the batches before. */
  #send(): void {
    const batch = this.#batch;
    this.#batch = [];
    this.#batchChars = 0;
    const asked = batch.filter((l) => l.error === undefined);
    const answer = asked.length === 0 ? Promise.resolve([]) : this.#ask(asked);
    const before = this.#judged;
    // The first batch's failure is the window's: the batches after it only waited behind it.
    this.#judged = Promise.allSettled([before, answer]).then(([earlier, now]) => {
      if (earlier.status === 'rejected') throw earlier.reason;
      if (now.status === 'rejected') throw now.reason;
      for (const i of now.value) (asked[i] as Judged).error = true;
      for (const l of batch) if (l.error) this.#matched(l);
    });
    // Awaited by result(); a read that fails before it leaves it unawaited, which is no unhandled rejection.
    this.#judged.catch(() => {});
  }

  async #ask(asked: Judged[]): Promise<number[]> {
    try {
      return await matchingIndices(
        this.#matcher.pattern,
        asked.map((l) => l.text),
        this.#signal,
      );
    } catch (err) {
      if (!(err instanceof PatternUnfinished))
        throw new Error(`logs.pattern could not be matched: ${(err as Error).message}`);
      const chars = asked.reduce((sum, l) => sum + l.text.length, 0);
      throw new PatternUnfinished(
        err.started
          ? `logs.pattern did not finish matching ${asked.length} lines (${chars} characters) before the run was stopped (${err.message}): write it smaller, without long counted repetitions`
          : `logs.pattern was still waiting for other probes' patterns to be matched when the run was stopped (${err.message})`,
        err.started,
      );
    }
  }

  #matched(line: Judged): void {
    this.#count.matches++;
    if (this.#keep === 0) return;
    this.#last.push(`${line.stamp} ${maskCredentials(line.text).slice(0, MAX_KEPT_LINE)}`);
    if (this.#last.length > this.#keep) this.#last.shift();
  }
}

/**
 * Masks the credentials of URLs in text the containers wrote (log lines, health check output): an application's
 * connection error may print its database URL with the password, and that must not reach a page.
 */
export function maskCredentials(text: string): string {
  return text.replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi, (url) => (url.includes('@') ? redactUrl(url) : url));
}
