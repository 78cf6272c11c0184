// The first page of a SQLite database as its write-ahead log last committed it, read from the -wal file as SQLite's
// recovery reads it (sqlite.org/fileformat2.html#walformat), without SQLite: opening the database, even read-only,
// would leave -wal and -shm files beside a file `check` must not change.
import { closeSync, openSync, readSync } from 'node:fs';

const WAL_HEADER = 32;
const FRAME_HEADER = 24;
/** The magic numbers of a WAL: the last bit says the checksums read the content as big-endian words. */
const MAGIC_LITTLE = 0x377f0682;
const MAGIC_BIG = 0x377f0683;

/**
 * The first `length` bytes of page 1 as committed in the WAL file `walPath`, or undefined when it holds none: no WAL,
 * an empty or reset one, or a page 1 written only in frames after the last commit (a transaction not committed, a
 * write torn by a crash) or in frames of an older generation, which SQLite ignores too. Until a checkpoint copies
 * them into the database file, SQLite reads the pages a WAL holds from there, not from the file.
 */
export function walPageOne(walPath: string, length: number): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(walPath, 'r');
  } catch {
    return undefined; // no WAL: the database file holds every page
  }
  try {
    const header = Buffer.alloc(WAL_HEADER);
    if (readSync(fd, header, 0, WAL_HEADER, 0) < WAL_HEADER) return undefined;
    const magic = header.readUInt32BE(0);
    if (magic !== MAGIC_LITTLE && magic !== MAGIC_BIG) return undefined;
    const bigEndian = magic === MAGIC_BIG;
    const pageSize = header.readUInt32BE(8);
    if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) return undefined;
    let sums = checksum([0, 0], header.subarray(0, 24), bigEndian);
    if (sums[0] !== header.readUInt32BE(24) || sums[1] !== header.readUInt32BE(28)) return undefined;
    const frame = Buffer.alloc(FRAME_HEADER + pageSize);
    let pending: Buffer | undefined;
    let committed: Buffer | undefined;
    for (let at = WAL_HEADER; readSync(fd, frame, 0, frame.length, at) === frame.length; at += frame.length) {
      // A frame of another generation (the salts), or whose checksum chain breaks, ends the log: SQLite stops there.
      if (!frame.subarray(8, 16).equals(header.subarray(16, 24))) break;
      sums = checksum(checksum(sums, frame.subarray(0, 8), bigEndian), frame.subarray(FRAME_HEADER), bigEndian);
      if (sums[0] !== frame.readUInt32BE(16) || sums[1] !== frame.readUInt32BE(20)) break;
      if (frame.readUInt32BE(0) === 1) pending = Buffer.from(frame.subarray(FRAME_HEADER, FRAME_HEADER + length));
      // A commit frame (the database's size after it, in pages) makes the frames up to it part of the database.
      if (frame.readUInt32BE(4) !== 0) committed = pending ?? committed;
    }
    return committed;
  } catch {
    return undefined; // unreadable: run tells what it meets when it opens the file
  } finally {
    closeSync(fd);
  }
}

/** SQLite's WAL checksum over `data` (a multiple of 8 bytes) from `[s0, s1]`, in 32-bit words of the log's order. */
function checksum([s0, s1]: [number, number], data: Buffer, bigEndian: boolean): [number, number] {
  for (let i = 0; i < data.length; i += 8) {
    const x0 = bigEndian ? data.readUInt32BE(i) : data.readUInt32LE(i);
    const x1 = bigEndian ? data.readUInt32BE(i + 4) : data.readUInt32LE(i + 4);
    s0 = (s0 + x0 + s1) >>> 0;
    s1 = (s1 + x1 + s0) >>> 0;
  }
  return [s0, s1];
}
