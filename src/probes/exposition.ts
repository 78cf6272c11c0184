// Streaming parser for the Prometheus text exposition format (0.0.4) and OpenMetrics 1.0 text, line by line.
//
// The body arrives as chunks (an undici response body); lines are cut across chunk boundaries and handed to a
// consumer one sample at a time, so memory holds one chunk and one partial line, never the body. The consumer's
// `select(name)` sees each sample's metric name before anything else of the line is parsed: lines it does not want
// are skipped after their name, which is both how the probe keeps only the series its config asks for and why this
// parser is fast: the later lines of a refused name are recognised on their bytes and never even decoded, so a
// large body that the consumer mostly skips makes little garbage. A skipped line is checked only up to its name; a
// selected line is checked completely.
//
// Metric and label names may be quoted (Prometheus 3's UTF-8 names, in both formats): `{"go.gc_duration_seconds",
// quantile="0"} 4.9e-05`, `metric{"label.with.dots"="v"} 1`, `# TYPE "my.metric" gauge`.
//
// The parser never holds the event loop for long: it parses at most BLOCK_BYTES at a time and lets the loop turn
// (timers, sockets, the HTTP server) after each block, so a 100 MB body costs CPU but delays no one. A consumer whose
// work per sample costs more than the parse (the metrics probe's regex matchers) puts it off to its `flush`, which
// runs after each block and takes turns of its own.
import { setImmediate as loopTurn } from 'node:timers/promises';
import { excerpt, quoted } from '../excerpt.js';

/** Metric types a `# TYPE` line may declare: the 0.0.4 ones and OpenMetrics' additions. */
const TYPES = new Set([
  'counter',
  'gauge',
  'histogram',
  'summary',
  'untyped',
  'unknown',
  'info',
  'stateset',
  'gaugehistogram',
]);

/** One sample line: `name{labels} value [timestamp]`. The timestamp is as written (ms in 0.0.4, s in OpenMetrics). */
export interface ExpositionSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  timestamp: number | undefined;
}

/** What the parser hands parsed lines to. */
export interface ExpositionHandler {
  /** Called with each sample line's metric name before its labels are parsed; `false` skips the line. */
  select?(name: string): boolean;
  /**
   * Called for each selected sample line, in body order, with its 1-based line number. Its strings may be slices of
   * the decoded block they were read from (V8 shares the memory): copy what you keep past the parse, or it keeps a
   * chunk's worth of body alive. A throw stops the parse and rejects it with that error.
   */
  sample(sample: ExpositionSample, line: number): void;
  /** Called for each `# TYPE family type` line. */
  type?(family: string, type: string): void;
  /**
   * Called after each block of the body is parsed (before the parser waits for more of it or turns the loop), and
   * once more before the parse resolves or rejects: a handler that put off costly work from sample() does it here, in
   * body order, taking turns of the loop as it needs. Its throw rejects the parse, ahead of any error the parser or
   * the body met later in the body.
   */
  flush?(): Promise<void>;
}

export interface ParseOptions {
  /** The body is OpenMetrics (by its content type): it must end with `# EOF`. */
  openMetrics?: boolean;
  /** A line longer than this (in bytes) is an error rather than memory growth. Default 1 MiB. */
  maxLineLength?: number;
}

/** Totals of one parse. */
export interface ParseSummary {
  lines: number;
  bytes: number;
  /** Sample lines handed to the handler (after `select`). */
  samples: number;
}

/** Malformed input; `line` is 1-based. The message reads `line 4123: expected a label name after "{", found "="`. */
export class ExpositionError extends Error {
  override readonly name = 'ExpositionError';
  readonly code = 'EXPOSITION_SYNTAX';

  constructor(
    readonly line: number,
    readonly problem: string,
  ) {
    super(`line ${line}: ${problem}`);
  }
}

/**
 * Parses an exposition from `body`, calling `handler` per line; resolves with totals or rejects with an
 * ExpositionError naming the line. Stops reading at the first error.
 */
export async function parseExposition(
  body: AsyncIterable<Uint8Array>,
  handler: ExpositionHandler,
  options: ParseOptions = {},
): Promise<ParseSummary> {
  const parser = new LineParser(handler, options.maxLineLength ?? 1 << 20);
  let flushing = false;
  const flush = async () => {
    flushing = true;
    await handler.flush?.();
    flushing = false;
  };
  let summary: ParseSummary;
  try {
    summary = await parseLines(body, parser, flush, options);
  } catch (err) {
    // What the handler put off for the lines before the failure goes first: its error is on an earlier line.
    if (!flushing) await flush();
    throw err;
  }
  await flush();
  return summary;
}

/** parseExposition's reading: blocks of the body fed to `parser`, each followed by a flush, with turns of the loop. */
async function parseLines(
  body: AsyncIterable<Uint8Array>,
  parser: LineParser,
  flush: () => Promise<void>,
  options: ParseOptions,
): Promise<ParseSummary> {
  const maxLine = options.maxLineLength ?? 1 << 20;
  // The start of a line the blocks so far cut, in parts joined once when it ends: joined at each block, a long line
  // over small blocks was copied once per block (a 1 MiB line in 256-byte chunks, 2 GB of copying).
  let carry: Uint8Array[] = [];
  let carried = 0;
  let bytes = 0;
  let sinceTurn = 0;
  for await (const chunk of body) {
    bytes += chunk.byteLength;
    for (let at = 0; at < chunk.byteLength; at += BLOCK_BYTES) {
      const block = chunk.subarray(at, at + BLOCK_BYTES);
      // Lines are cut on bytes, before decoding: a newline byte is never inside a UTF-8 sequence, and every block
      // decodes to one flat string, which the parser reads much faster than a concatenation of chunk strings.
      const lastNewline = block.lastIndexOf(NEWLINE);
      if (lastNewline < 0) {
        carry.push(new Uint8Array(block)); // copies: the chunk itself is not kept
        carried += block.byteLength;
      } else {
        let from = 0;
        if (carried > 0) {
          // The line the previous block cut is completed and parsed alone, so the rest needs no copy.
          from = block.indexOf(NEWLINE) + 1;
          parser.feedBytes(Buffer.concat([...carry, block.subarray(0, from)]));
        }
        parser.feedBytes(block.subarray(from, lastNewline + 1));
        carry = [new Uint8Array(block.subarray(lastNewline + 1))];
        carried = block.byteLength - lastNewline - 1;
      }
      if (carried > maxLine) throw new ExpositionError(parser.lines + 1, `longer than ${maxLine} bytes`);
      // After each block, never later: a target that stalls after a line the handler refuses (a series twice) is
      // refused at once, not when the run's timeout ends the read.
      await flush();
      // Chunks already buffered come out of the stream without a turn of the loop in between: take one.
      sinceTurn += block.byteLength;
      if (sinceTurn >= BLOCK_BYTES) {
        sinceTurn = 0;
        await loopTurn();
      }
    }
  }
  if (carried > 0) parser.feedBytes(Buffer.concat(carry));
  if (options.openMetrics && !parser.eof) {
    // An empty body has no line to name; its first (empty) line is where "# EOF" was due.
    if (parser.lines === 0)
      throw new ExpositionError(1, 'the OpenMetrics exposition is empty; it must end with "# EOF"');
    throw new ExpositionError(parser.lines, 'the OpenMetrics exposition ends without "# EOF" (truncated?)');
  }
  return { lines: parser.lines, bytes, samples: parser.samples };
}

/**
 * A sample value or timestamp as Prometheus' Go parser reads it (`strconv.ParseFloat`): decimal or exponent notation,
 * `NaN`, `+Inf`, `-Inf` (any case); undefined when it is not a number, or is one outside the range of a double
 * (`1e400`, which ParseFloat refuses with ErrRange where Number() gives Infinity): `notANumber` says which.
 */
export function parseNumber(token: string): number | undefined {
  const n = Number(token);
  if (!Number.isNaN(n)) {
    // Number() also takes "" (0) and 0x/0o/0b integers, which ParseFloat refuses.
    if (token.length === 0 || (token.length > 1 && token.charCodeAt(0) === ZERO && RADIX.has(token.charCodeAt(1)))) {
      return undefined;
    }
    // Number() is infinite for "Infinity" (ParseFloat takes it too) and for a number too large for a double.
    if (!Number.isFinite(n) && !INFINITY.test(token)) return undefined;
    return n;
  }
  switch (token.toLowerCase()) {
    case 'nan':
      return Number.NaN;
    case 'inf':
    case '+inf':
      return Number.POSITIVE_INFINITY;
    case '-inf':
      return Number.NEGATIVE_INFINITY;
    default:
      return undefined;
  }
}

/** The spelling of infinity that Number() takes: an optional sign and `Infinity`. */
const INFINITY = /^[+-]?Infinity$/;

/** Why `parseNumber` refused `token`: `is not a number`, or `is outside the range of a double (±1.8e308)`. */
export function notANumber(token: string): string {
  return Math.abs(Number(token)) === Number.POSITIVE_INFINITY && !INFINITY.test(token)
    ? 'is outside the range of a double (±1.8e308)'
    : 'is not a number';
}

// fatal: invalid UTF-8 is an error like Prometheus', not replacement characters silently put in label values.
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Where the first line of `block` that holds invalid UTF-8 starts (the decoder does not say where). */
function invalidLineStart(block: Uint8Array): number {
  for (let start = 0; start < block.length; ) {
    const nl = block.indexOf(NEWLINE, start);
    const end = nl < 0 ? block.length : nl + 1;
    try {
      utf8.decode(block.subarray(start, end));
    } catch {
      return start;
    }
    start = end;
  }
  return block.length;
}

/**
 * Bytes parsed between two turns of the event loop. Lines of names the consumer wants are parsed whole: under the
 * daemon's flags (no JIT) 64 KiB of short ones took 80-90 ms (review r13k), 16 KiB some 20 ms; skipped lines far less.
 */
const BLOCK_BYTES = 16 * 1024;

const TAB = 9;
const NEWLINE = 10;
const SPACE = 32;
const CR = 13;
const QUOTE = 34;
const HASH = 35;
const COMMA = 44;
const ZERO = 48;
const NINE = 57;
const EQUALS = 61;
const BACKSLASH = 92;
const OPEN = 123;
const CLOSE = 125;
/** How many distinct metric names the parser remembers from the lines before. */
const RECENT_NAMES = 4;
const RADIX = new Set([120, 88, 111, 79, 98, 66]); // x X o O b B

/** Names the exposition writes bare; any other is written in double quotes (Prometheus 3's UTF-8 names). */
export const PLAIN_METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
export const PLAIN_LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * A metric or label name in a message as the exposition writes it, bare when `plain` takes it, else in quotes (a label
 * `a,b` shown bare reads as two), cut to an excerpt.
 */
function nameText(name: string, plain: RegExp): string {
  return plain.test(name) ? excerpt(name) : quoted(name);
}

// Character classes, by char code: metric names are [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]*.
const METRIC_START = 1;
const METRIC_CHAR = 2;
const LABEL_START = 4;
const LABEL_CHAR = 8;
const CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  const letter = /[a-zA-Z_]/.test(ch);
  const digit = /[0-9]/.test(ch);
  if (letter || ch === ':') CLASS[c] = (CLASS[c] ?? 0) | METRIC_START | METRIC_CHAR;
  if (digit) CLASS[c] = (CLASS[c] ?? 0) | METRIC_CHAR;
  if (letter) CLASS[c] = (CLASS[c] ?? 0) | LABEL_START | LABEL_CHAR;
  if (digit) CLASS[c] = (CLASS[c] ?? 0) | LABEL_CHAR;
}

function is(c: number, cls: number): boolean {
  return c < 128 && ((CLASS[c] ?? 0) & cls) !== 0;
}

function isBlank(c: number): boolean {
  return c === SPACE || c === TAB;
}

/**
 * `text` holds `word` at `at`. A substring compared whole is several times faster than a loop over characters:
 * V8 compares the two strings' bytes at once.
 */
function sameAt(text: string, at: number, word: string): boolean {
  return text.substring(at, at + word.length) === word;
}

/** How a character is shown in an error: `"="`, or `end of line`. */
function shown(text: string, i: number, end: number): string {
  return i >= end ? 'end of line' : JSON.stringify(text[i]);
}

/** Parses lines of one chunk at a time; `pos` is the cursor inside the current line. */
class LineParser {
  lines = 0;
  samples = 0;
  eof = false;
  #pos = 0;
  #text = '';
  /** Position of the next backslash at or after the cursor in #text (or #text.length): label values rarely hold one. */
  #backslash = 0;
  readonly #handler: ExpositionHandler;
  readonly #maxLine: number;
  // Consecutive lines mostly repeat a few metric names (a histogram's _bucket, _sum, _count) and the label names in
  // the same order. Reusing those strings (compared in place) saves a slice, a hash and a select() call per line.
  // The names are also kept as bytes, so that the next lines of a refused name are skipped before they are decoded.
  readonly #recent: { name: string; wanted: boolean; bytes: Uint8Array }[] = [];
  readonly #labelNames: string[] = [];

  constructor(handler: ExpositionHandler, maxLine: number) {
    this.#handler = handler;
    this.#maxLine = maxLine;
  }

  /**
   * Parses the whole lines of `block` (the last one may lack its newline), sorted on their first bytes: a line of a
   * name select() refused is counted and skipped, never decoded (in a large body most lines are such lines, and
   * decoding them was most of the parse's time and garbage); lines of a wanted name are decoded together; any other
   * line (a new name, a comment) is parsed at once, so the lines after it are sorted knowing its name, and nothing
   * after a `# EOF` is skipped.
   */
  feedBytes(block: Uint8Array): void {
    let run = -1; // start of the wanted lines to decode together
    const flush = (end: number) => {
      if (run >= 0) this.#feedText(block.subarray(run, end));
      run = -1;
    };
    for (let start = 0; start < block.length; ) {
      const newline = block.indexOf(NEWLINE, start);
      const next = newline < 0 ? block.length : newline + 1;
      // The carry's check in parseExposition bounds memory, but sees only lines cut by a block's end: a line that came
      // whole in one block is checked here, so the verdict does not depend on where the socket cut the body.
      if ((newline < 0 ? next : newline) - start > this.#maxLine) {
        flush(start);
        throw new ExpositionError(this.lines + 1, `longer than ${this.#maxLine} bytes`);
      }
      const known = this.eof ? undefined : this.#recentAt(block, start);
      if (known?.wanted) {
        if (run < 0) run = start;
      } else {
        flush(start);
        if (known) this.lines++;
        else this.#feedText(block.subarray(start, next));
      }
      start = next;
    }
    flush(block.length);
  }

  /**
   * Whole lines, decoded and parsed. Invalid UTF-8 is an error naming its line once the lines before it are parsed,
   * so the first error in the body is the one reported, wherever the socket cut it.
   */
  #feedText(block: Uint8Array): void {
    let text: string;
    try {
      text = utf8.decode(block);
    } catch {
      this.#feed(utf8.decode(block.subarray(0, invalidLineStart(block))));
      throw new ExpositionError(this.lines + 1, 'invalid UTF-8');
    }
    this.#feed(text);
  }

  /** The recent name that `block` holds at `at`, followed by no name character. */
  #recentAt(block: Uint8Array, at: number): { wanted: boolean } | undefined {
    const recent = this.#recent;
    for (let r = 0; r < recent.length; r++) {
      const entry = recent[r] as { wanted: boolean; bytes: Uint8Array };
      const bytes = entry.bytes;
      const after = at + bytes.length;
      if (after > block.length || is(block[after] ?? NEWLINE, METRIC_CHAR)) continue;
      let i = 0;
      while (i < bytes.length && block[at + i] === bytes[i]) i++;
      if (i === bytes.length) return entry;
    }
    return undefined;
  }

  /** Parses the lines of `text`; the last one may lack its newline. */
  #feed(text: string): void {
    this.#text = text;
    this.#backslash = -1;
    let start = 0;
    while (start < text.length) {
      const nl = text.indexOf('\n', start);
      const end = nl < 0 ? text.length : nl;
      this.#line(start, end);
      start = end + 1;
    }
  }

  #error(problem: string): ExpositionError {
    return new ExpositionError(this.lines, problem);
  }

  #line(start: number, end: number): void {
    this.lines++;
    const text = this.#text;
    if (end > start && text.charCodeAt(end - 1) === CR) end--;
    while (start < end && isBlank(text.charCodeAt(start))) start++;
    if (start === end) return;
    if (this.eof) throw this.#error('content after "# EOF"');
    this.#pos = start;
    if (text.charCodeAt(start) === HASH) this.#comment(end);
    else this.#sample(end);
  }

  /** `# HELP name text`, `# TYPE name type`, `# UNIT name unit`, `# EOF`; any other `#` line is a comment. */
  #comment(end: number): void {
    const text = this.#text;
    this.#pos++;
    if (!isBlank(text.charCodeAt(this.#pos))) return;
    this.#skipBlanks(end);
    const keyword = this.#token(end);
    if (keyword === 'EOF') {
      this.eof = true;
      return;
    }
    if (keyword !== 'HELP' && keyword !== 'TYPE' && keyword !== 'UNIT') return;
    this.#skipBlanks(end);
    const family = text.charCodeAt(this.#pos) === QUOTE ? this.#quotedName(end, 'metric name') : this.#metricName(end);
    if (family === undefined) {
      throw this.#error(`expected a metric name after "# ${keyword}", found ${shown(text, this.#pos, end)}`);
    }
    if (this.#pos < end && !isBlank(text.charCodeAt(this.#pos))) {
      throw this.#error(
        `expected a space after the metric name ${nameText(family, PLAIN_METRIC_NAME)}, found ${shown(text, this.#pos, end)}`,
      );
    }
    if (keyword !== 'TYPE') return; // HELP text and UNIT are free text the probe does not use
    this.#skipBlanks(end);
    const type = this.#token(end);
    if (!TYPES.has(type)) {
      throw this.#error(
        `unknown metric type "${excerpt(type)}" for ${nameText(family, PLAIN_METRIC_NAME)}; expected counter, gauge, histogram, summary or untyped` +
          ' (OpenMetrics: also unknown, info, stateset, gaugehistogram)',
      );
    }
    this.#handler.type?.(family, type);
  }

  /** `name{label="value",...} value [timestamp] [# exemplar]`, or `{"quoted.name",label="value",...} value ...`. */
  #sample(end: number): void {
    const text = this.#text;
    const labels: Record<string, string> = {};
    let name: string;
    let pos: number;
    if (text.charCodeAt(this.#pos) === OPEN) {
      name = this.#nameInBraces(end);
      if (!this.#select(name)) return;
      pos = this.#pos;
      if (text.charCodeAt(pos) === COMMA) {
        this.#labels(end, labels);
        pos = this.#pos;
      } else {
        pos++; // the "}"
      }
    } else {
      const entry = this.#name(end);
      if (!entry.wanted) return;
      name = entry.name;
      pos = this.#pos;
      let c = text.charCodeAt(pos);
      if (isBlank(c)) {
        // Prometheus' text parser allows blanks between the metric name and its `{`.
        let brace = pos + 1;
        while (brace < end && isBlank(text.charCodeAt(brace))) brace++;
        if (text.charCodeAt(brace) === OPEN) {
          pos = brace;
          c = OPEN;
        }
      }
      if (c === OPEN) {
        this.#pos = pos;
        this.#labels(end, labels);
        pos = this.#pos;
      }
    }
    if (!isBlank(text.charCodeAt(pos))) {
      throw this.#error(
        `expected a space and the value after ${nameText(name, PLAIN_METRIC_NAME)}, found ${shown(text, pos, end)}`,
      );
    }
    while (pos < end && isBlank(text.charCodeAt(pos))) pos++;
    // Counts are mostly plain integers: read those while finding the token's end, instead of slicing for Number().
    const valueStart = pos;
    let integer = 0;
    let digitsOnly = true;
    for (; pos < end; pos++) {
      const c = text.charCodeAt(pos);
      if (c === SPACE || c === TAB) break;
      if (c >= ZERO && c <= NINE) integer = integer * 10 + (c - ZERO);
      else digitsOnly = false;
    }
    const digits = pos - valueStart;
    const value = digitsOnly && digits > 0 && digits < 16 ? integer : parseNumber(text.slice(valueStart, pos));
    if (value === undefined) {
      const token = text.slice(valueStart, pos);
      throw this.#error(`the value of ${nameText(name, PLAIN_METRIC_NAME)} ${notANumber(token)}: "${excerpt(token)}"`);
    }
    this.#pos = pos;
    this.#skipBlanks(end);
    let timestamp: number | undefined;
    if (this.#pos < end && text.charCodeAt(this.#pos) !== HASH) {
      const tsText = this.#token(end);
      timestamp = parseNumber(tsText);
      if (timestamp === undefined || !Number.isFinite(timestamp)) {
        throw this.#error(
          `the timestamp of ${nameText(name, PLAIN_METRIC_NAME)} ${notANumber(tsText)}: "${excerpt(tsText)}"`,
        );
      }
      this.#skipBlanks(end);
    }
    // What remains may only be an OpenMetrics exemplar (` # {trace_id="..."} 0.05`), which the probe ignores.
    if (this.#pos < end && text.charCodeAt(this.#pos) !== HASH) {
      throw this.#error(
        `unexpected ${shown(text, this.#pos, end)} after the value of ${nameText(name, PLAIN_METRIC_NAME)}`,
      );
    }
    this.samples++;
    this.#handler.sample({ name, labels, value, timestamp }, this.lines);
  }

  /**
   * The quoted metric name of a line that starts with `{` (Prometheus 3: `{"go.gc_duration_seconds",quantile="0"}`);
   * leaves the cursor on the `,` or `}` after it.
   */
  #nameInBraces(end: number): string {
    const text = this.#text;
    this.#pos++;
    this.#skipBlanks(end);
    if (text.charCodeAt(this.#pos) !== QUOTE) {
      throw this.#error(`expected a quoted metric name after "{", found ${shown(text, this.#pos, end)}`);
    }
    const name = this.#quotedName(end, 'metric name');
    this.#skipBlanks(end);
    const c = text.charCodeAt(this.#pos);
    if (c !== COMMA && c !== CLOSE) {
      throw this.#error(
        `expected "," or "}" after the metric name ${nameText(name, PLAIN_METRIC_NAME)}, found ${shown(text, this.#pos, end)}`,
      );
    }
    return name;
  }

  /** A quoted metric or label name at the cursor (moving past it); an empty one is an error. */
  #quotedName(end: number, what: string): string {
    const name = this.#string(end, () => `a quoted ${what} is not closed with '"'`);
    if (name === '') throw this.#error(`empty ${what} ""`);
    return name;
  }

  /** From `{` (or the `,` after a quoted metric name) to past `}`, filling `labels`. The hottest code of the parser, hence the local cursor. */
  #labels(end: number, labels: Record<string, string>): void {
    const text = this.#text;
    const names = this.#labelNames;
    const opener = shown(text, this.#pos, end); // "{", or "," after a quoted metric name
    let index = 0;
    let pos = this.#pos + 1;
    for (; ; index++) {
      while (pos < end && isBlank(text.charCodeAt(pos))) pos++;
      if (text.charCodeAt(pos) === CLOSE) break;
      const start = pos;
      // Lines of a family repeat their label names in order: compare with the name at this index on the line before.
      let label = names[index];
      const cachedEnd = start + (label?.length ?? 0);
      if (text.charCodeAt(start) === QUOTE) {
        this.#pos = start;
        label = this.#quotedName(end, 'label name');
        pos = this.#pos;
      } else if (
        label !== undefined &&
        cachedEnd < end &&
        is(text.charCodeAt(start), LABEL_START) &&
        !is(text.charCodeAt(cachedEnd), LABEL_CHAR) &&
        sameAt(text, start, label)
      ) {
        pos = cachedEnd;
      } else {
        if (start >= end || !is(text.charCodeAt(start), LABEL_START)) {
          throw this.#error(
            `expected a label name after ${index === 0 ? opener : '","'}, found ${shown(text, start, end)}`,
          );
        }
        pos++;
        while (pos < end && is(text.charCodeAt(pos), LABEL_CHAR)) pos++;
        label = text.slice(start, pos);
      }
      if (label !== names[index]) {
        // Assigning "__proto__" would change the object's prototype instead of adding a label.
        if (label === '__proto__') throw this.#error('label name __proto__ is reserved');
        names[index] = label;
      }
      // Looked up, not compared with each name before it: 20,000 labels on one line held the loop 4 s (review r13l).
      if (Object.hasOwn(labels, label)) throw this.#error(`label ${nameText(label, PLAIN_LABEL_NAME)} appears twice`);
      while (pos < end && isBlank(text.charCodeAt(pos))) pos++;
      if (text.charCodeAt(pos) !== EQUALS) {
        throw this.#error(
          `expected "=" after label name ${nameText(label, PLAIN_LABEL_NAME)}, found ${shown(text, pos, end)}`,
        );
      }
      pos++;
      while (pos < end && isBlank(text.charCodeAt(pos))) pos++;
      if (text.charCodeAt(pos) !== QUOTE) {
        throw this.#error(
          `expected '"' to open the value of label ${nameText(label, PLAIN_LABEL_NAME)}, found ${shown(text, pos, end)}`,
        );
      }
      this.#pos = pos;
      labels[label] = this.#string(
        end,
        () => `the value of label ${nameText(label, PLAIN_LABEL_NAME)} is not closed with '"'`,
      );
      pos = this.#pos;
      while (pos < end && isBlank(text.charCodeAt(pos))) pos++;
      const c = text.charCodeAt(pos);
      if (c === COMMA) {
        pos++;
      } else if (c !== CLOSE) {
        throw this.#error(
          `expected "," or "}" after the value of label ${nameText(label, PLAIN_LABEL_NAME)}, found ${shown(text, pos, end)}`,
        );
      }
    }
    this.#pos = pos + 1;
  }

  /**
   * A quoted string (a label value or a quoted name) from the opening quote to past the closing one; unescapes \\, \"
   * and \n (other escapes stay as written). `unclosed` says the error when the line ends first (a function: the
   * message is built only then, not for every label of every line).
   */
  #string(end: number, unclosed: () => string): string {
    const text = this.#text;
    const open = this.#pos + 1;
    const close = text.indexOf('"', open);
    if (close < 0 || close >= end) throw this.#error(unclosed());
    if (this.#backslash < open) {
      const next = text.indexOf('\\', open);
      this.#backslash = next < 0 ? text.length : next;
    }
    if (this.#backslash > close) {
      this.#pos = close + 1;
      return text.slice(open, close);
    }
    let value = '';
    let from = open;
    for (let i = open; i < end; i++) {
      const c = text.charCodeAt(i);
      if (c === QUOTE) {
        this.#pos = i + 1;
        this.#backslash = -1;
        return value + text.slice(from, i);
      }
      if (c !== BACKSLASH) continue;
      const escaped = text.charCodeAt(i + 1);
      if (escaped === BACKSLASH || escaped === QUOTE || escaped === 110 /* n */) {
        value += text.slice(from, i) + (escaped === 110 ? '\n' : String.fromCharCode(escaped));
        from = i + 2;
      }
      i++; // Prometheus keeps an unknown escape as written, but it still cannot end the value
    }
    throw this.#error(unclosed());
  }

  /** The metric name at the cursor (moving past it) and whether the handler selects it. */
  #name(end: number): { name: string; wanted: boolean } {
    const text = this.#text;
    const start = this.#pos;
    const recent = this.#recent;
    for (let i = 0; i < recent.length; i++) {
      const entry = recent[i] as { name: string; wanted: boolean };
      const after = start + entry.name.length;
      if (after <= end && !is(text.charCodeAt(after), METRIC_CHAR) && sameAt(text, start, entry.name)) {
        this.#pos = after;
        return entry;
      }
    }
    const name = this.#metricName(end);
    if (name === undefined) throw this.#error(`expected a metric name, found ${shown(text, start, end)}`);
    const entry = { name, wanted: this.#select(name), bytes: Buffer.from(name) };
    if (recent.length === RECENT_NAMES) recent.pop();
    recent.unshift(entry);
    return entry;
  }

  #select(name: string): boolean {
    return this.#handler.select?.(name) ?? true;
  }

  /** A metric name at the cursor (moving past it), or undefined when none starts there. */
  #metricName(end: number): string | undefined {
    const text = this.#text;
    const start = this.#pos;
    if (start >= end || !is(text.charCodeAt(start), METRIC_START)) return undefined;
    let i = start + 1;
    while (i < end && is(text.charCodeAt(i), METRIC_CHAR)) i++;
    this.#pos = i;
    return text.slice(start, i);
  }

  /** Characters up to the next blank or the end of the line. */
  #token(end: number): string {
    const text = this.#text;
    const start = this.#pos;
    let i = start;
    while (i < end && !isBlank(text.charCodeAt(i))) i++;
    this.#pos = i;
    return text.slice(start, i);
  }

  #skipBlanks(end: number): void {
    while (this.#pos < end && isBlank(this.#text.charCodeAt(this.#pos))) this.#pos++;
  }
}
