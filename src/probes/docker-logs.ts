// Reading a container's log as the Engine sends it: demultiplexing its 8-byte-header frames, assembling lines across
// chunks and frames, and counting the error lines of one window without counting a line twice across runs.
import { StringDecoder } from 'node:string_decoder';
import { probeRegex } from '../config/probes.js';
import { redactUrl } from '../config/secret.js';

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

/**
 * Whether a log line is an error: a JSON object with a string `level` is judged by that level alone (so an `info`
 * record that mentions "error" in its message is not one); any other line by the case-insensitive pattern.
 */
export function lineMatcher(pattern: string, jsonLevels: readonly string[]): (text: string) => boolean {
  const regex = probeRegex(pattern, { ignoreCase: true });
  const levels = new Set(jsonLevels.map((l) => l.toLowerCase()));
  return (text) => {
    const level = jsonLevel(text);
    return level === undefined ? regex.test(text) : levels.has(level.toLowerCase());
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

/** One run's window of a log: the matching lines among those no earlier run counted (see NewLines). */
export class LogWindow {
  readonly #matches: (text: string) => boolean;
  readonly #keep: number;
  readonly #lines: NewLines;
  #count = { matches: 0, lines: 0 };
  #last: string[] = [];

  constructor(matches: (text: string) => boolean, keep: number, previous: LogCursor | undefined) {
    this.#matches = matches;
    this.#keep = keep;
    this.#lines = new NewLines(previous);
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
    if (!this.#matches(taken.text)) return true;
    this.#count.matches++;
    if (this.#keep === 0) return true;
    this.#last.push(`${taken.stamp} ${maskCredentials(taken.text).slice(0, MAX_KEPT_LINE)}`);
    if (this.#last.length > this.#keep) this.#last.shift();
    return true;
  }

  result(): WindowResult {
    return { ...this.#count, last: [...this.#last], cursor: this.#lines.cursor };
  }
}

/**
 * Masks the credentials of URLs in text the containers wrote (log lines, health check output): an application's
 * connection error may print its database URL with the password, and that must not reach a page.
 */
export function maskCredentials(text: string): string {
  return text.replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi, (url) => (url.includes('@') ? redactUrl(url) : url));
}
