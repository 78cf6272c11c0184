// Following a log file that another process appends to, `tail -F` style, a bounded number of bytes per read: the
// file held open between reads, a rotation (the path now names another file) finished on the old file before the
// new one is read from its start, a truncation (copytruncate) read again from the start.
import { constants } from 'node:fs';
import { type FileHandle, open, stat } from 'node:fs/promises';
import { LineAssembler } from './docker-logs.js';

const CHUNK = 65_536;

/** What one read did besides handing over lines. */
export interface TailRead {
  bytes: number;
  /** The budget ran out before the end of the file: the rest is read next time. */
  behind: boolean;
  rotated: boolean;
  truncated: boolean;
  /** The path names no file (rotated away, not created again yet); the file held was read to its end. */
  missing: boolean;
}

interface Held {
  handle: FileHandle;
  dev: number;
  ino: number;
  offset: number;
  lines: LineAssembler;
}

/** A file followed from where the previous read stopped; the first `start()` places it at the file's end. */
export class FileTail {
  readonly #path: string;
  #held: Held | undefined;

  constructor(path: string) {
    this.#path = path;
  }

  /** Opens the file and places the reading position at its end: what was written before is history. */
  async start(): Promise<void> {
    await this.close();
    this.#held = await this.#open();
    this.#held.offset = (await this.#held.handle.stat()).size;
  }

  /** Whether start() has placed a reading position. */
  get started(): boolean {
    return this.#held !== undefined;
  }

  /**
   * Reads what was appended since the last read, at most `budget` bytes, handing each whole line to `line`. A line
   * still being written waits for the next read. Rejects with the file system's error (ENOENT, EACCES) when the path
   * cannot be opened.
   */
  async read(budget: number, line: (text: string) => void): Promise<TailRead> {
    const held = this.#held ?? (await this.#open());
    this.#held = held;
    const result: TailRead = { bytes: 0, behind: false, rotated: false, truncated: false, missing: false };
    const current = await stat(this.#path).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined; // rotated away and not created again yet: finish the old file
      throw err;
    });
    const size = (await held.handle.stat()).size;
    if (size < held.offset) {
      result.truncated = true;
      held.offset = 0;
      held.lines = new LineAssembler();
    }
    await this.#drain(held, budget, line, result);
    result.missing = !current;
    if (result.behind || !current || (current.dev === held.dev && current.ino === held.ino)) return result;
    // The path names a new file and the old one is read to its end: its last line is whole now, take the new file.
    for (const l of held.lines.end()) line(l);
    await held.handle.close();
    this.#held = await this.#open();
    this.#held.offset = 0;
    result.rotated = true;
    await this.#drain(this.#held, budget - result.bytes, line, result);
    return result;
  }

  /** Closes the file held open. */
  async close(): Promise<void> {
    const held = this.#held;
    this.#held = undefined;
    await held?.handle.close();
  }

  async #open(): Promise<Held> {
    const handle = await open(this.#path, constants.O_RDONLY);
    try {
      const s = await handle.stat();
      if (!s.isFile()) throw Object.assign(new Error(`${this.#path} is not a file`), { code: 'ENOTFILE' });
      return { handle, dev: s.dev, ino: s.ino, offset: 0, lines: new LineAssembler() };
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  async #drain(held: Held, budget: number, line: (text: string) => void, result: TailRead): Promise<void> {
    const buffer = Buffer.alloc(CHUNK);
    let left = budget;
    while (left > 0) {
      const { bytesRead } = await held.handle.read(buffer, 0, Math.min(CHUNK, left), held.offset);
      if (bytesRead === 0) return;
      held.offset += bytesRead;
      left -= bytesRead;
      result.bytes += bytesRead;
      for (const l of held.lines.push(buffer.subarray(0, bytesRead))) line(l);
    }
    const { size } = await held.handle.stat();
    result.behind = size > held.offset;
  }
}
