// What `run` meets when it starts, checked without starting anything, so that `check` refuses what `run` cannot
// start with: the state file at state.path (state-path.ts), server.listen's host name, and the files the probes and
// channels read (tls.ca_file). Each problem is the rest of a sentence about a value, quoting no part of it; the
// loader places it and names the value.
import { lookup } from 'node:dns/promises';
import { accessSync, constants, statSync } from 'node:fs';
import { isIP } from 'node:net';
import type { PathKey } from './errors.js';
import type { CentinelaFile } from './schema.js';

/** What stops a listen, in the operator's words, by the system's code; `run` says the same when its listen fails. */
const LISTEN_FAILURES: Readonly<Record<string, string>> = {
  ENOTFOUND: 'its host name does not resolve',
  EAI_AGAIN: 'its host name could not be resolved now',
  EAI_NONAME: 'its host name does not resolve',
  EADDRINUSE: 'another process listens on that port',
  EADDRNOTAVAIL: "its address is not one of this host's",
  EACCES: 'a port below 1024 needs privileges',
};

/** Why a listen failed with the system's `code`: `its host name does not resolve (ENOTFOUND)`. */
export function listenFailure(code: string | undefined): string {
  return `${LISTEN_FAILURES[code ?? ''] ?? 'the system refused it'} (${code ?? 'ERROR'})`;
}

/** What stops `run` from listening on `listen` before it binds: a host name that does not resolve. */
export async function listenProblem(listen: CentinelaFile['server']['listen']): Promise<string | undefined> {
  if (isIP(listen.host) !== 0) return undefined;
  try {
    await lookup(listen.host);
    return undefined;
  } catch (err) {
    return `cannot be listened on: ${listenFailure((err as NodeJS.ErrnoException).code)}. Write an address of this host, such as 0.0.0.0:9810`;
  }
}

/** The keys whose value is a file centinela reads when a probe runs or a channel sends: it must be there at start. */
const FILE_KEYS: ReadonlySet<string> = new Set(['ca_file']);

/** A file a probe or channel reads: where it is written and its path. */
export interface FileRead {
  at: PathKey[];
  path: string;
}

/**
 * Every value under a key of FILE_KEYS in a file's checked value (plain data: a Secret holds no path), but an empty
 * one, which means none (`ca_file: ${PUBLIC_CA:-}`).
 */
export function filesRead(value: unknown, at: PathKey[] = []): FileRead[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => filesRead(v, [...at, i]));
  if (value === null || typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return [];
  return Object.entries(value).flatMap(([k, v]): FileRead[] => {
    if (!FILE_KEYS.has(k) || typeof v !== 'string') return filesRead(v, [...at, k]);
    return v === '' ? [] : [{ at: [...at, k], path: v }];
  });
}

/** What is wrong with `path` as a file centinela reads, as the rest of a sentence about it; else undefined. */
export function readFileProblem(path: string): string | undefined {
  let stats: ReturnType<typeof statSync>;
  try {
    stats = statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'does not exist. Write the path of a file centinela can read';
    if (code === 'EACCES') return 'is not readable: a folder above it is closed to the user centinela runs as';
    return `cannot be checked (${code ?? 'error'}). Write the path of a file centinela can read`;
  }
  if (stats.isDirectory()) return 'is a folder. Write the path of the file in it';
  try {
    accessSync(path, constants.R_OK);
  } catch {
    return 'is not readable by the user centinela runs as. Give that user read access';
  }
  return undefined;
}
