// Whether the state store can live at state.path: what `run` would meet when it creates the folders and opens the
// SQLite file (a file of a newer centinela's schema among it), checked without creating or changing anything, so that
// `check` refuses what `run` cannot open.
import { accessSync, closeSync, constants, openSync, readSync, type Stats, statSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { walPageOne } from './sqlite-wal.js';

const FIX = 'Write the path of a file, such as /var/lib/centinela/state.db';

/** Kernel filesystems: nothing can be created there, and creating folders in /proc can spin forever. */
const KERNEL = ['/proc', '/sys'];

/** What is wrong with `path` as the state file, as the rest of a sentence about it (no part of it quoted); else undefined. */
export function statePathProblem(
  path: string,
  newerSchema?: (version: number) => string | undefined,
): string | undefined {
  if (path === ':memory:') return undefined;
  const full = resolve(path);
  const kernel = KERNEL.find((k) => full === k || full.startsWith(`${k}${sep}`));
  if (kernel) return `lies under ${kernel}, a kernel filesystem where no file can be made. ${FIX}`;
  const found = nearest(full);
  if (typeof found === 'string') return `cannot be checked (${found}). ${FIX}`;
  if (found.at === full) {
    if (found.isDirectory()) return 'is a folder. Write the path of a file in it (add /state.db)';
    if (!found.isFile()) return `is not a regular file. ${FIX}`;
    if (!writable(full) || !writable(dirname(full))) {
      return 'is not writable by the user centinela runs as (the file or its folder). Give them to that user';
    }
    const header = found.size > 0 ? readHeader(full) : undefined;
    if (header && !header.subarray(0, SQLITE_MAGIC.length).equals(SQLITE_MAGIC)) {
      return 'is a file that is no SQLite database. Move it aside, or write the path of the state file';
    }
    // The schema version run's open refuses above what it knows: the header's user_version, read without opening
    // the file as a database (a read-only connection still leaves a WAL file's -wal and -shm beside it). A newer
    // centinela that stopped before a checkpoint left its header in the -wal file, which SQLite reads first.
    const newest = walPageOne(`${full}-wal`, USER_VERSION_AT + 4) ?? header;
    const newer =
      newest && newest.length >= USER_VERSION_AT + 4 ? newerSchema?.(newest.readInt32BE(USER_VERSION_AT)) : undefined;
    return newer && `is a state store ${newer}`;
  }
  if (!found.isDirectory()) return `cannot be created: one of the folders above it is a file. ${FIX}`;
  if (!writable(found.at)) {
    return (
      'cannot be created: the nearest folder above it that exists is not writable by the user centinela runs as. ' +
      'Create the folder and give it to that user, or write another path'
    );
  }
  return undefined;
}

/** The stat of `full` or of its nearest ancestor that exists, with where it is; an error code when stat fails otherwise. */
function nearest(full: string): (Stats & { at: string }) | string {
  for (let at = full; ; at = dirname(at)) {
    try {
      return Object.assign(statSync(at), { at });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      // ENOTDIR: a file above it; the walk up reaches that file and says so.
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || at === dirname(at)) return code;
    }
  }
}

function writable(path: string): boolean {
  try {
    accessSync(path, constants.R_OK | constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The first bytes of SQLite's header in the file (fewer in a shorter file): its magic string, then at
 * USER_VERSION_AT the user_version the store keeps its schema version in. Undefined when the file cannot be read.
 */
function readHeader(path: string): Buffer | undefined {
  const header = Buffer.alloc(USER_VERSION_AT + 4);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined; // readable a moment ago (writable() checked it); run tells what it meets
  }
  try {
    return header.subarray(0, readSync(fd, header, 0, header.length, 0));
  } finally {
    closeSync(fd);
  }
}

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');
/** Where SQLite's header holds the user_version, a signed 4-byte big-endian integer (sqlite.org/fileformat.html). */
const USER_VERSION_AT = 60;
