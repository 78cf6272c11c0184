// Following a real file on disk: only what was appended, a line still being written left for later, the byte budget,
// a rotation (rename, new file) finished on the old file first, a truncation read again from the start.
import { appendFile, mkdtemp, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileTail } from '../../src/probes/file-tail.js';

let dir: string;
let path: string;
let tail: FileTail;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'centinela-tail-'));
  path = join(dir, 'access.log');
  await writeFile(path, 'history 1\nhistory 2\n');
  tail = new FileTail(path);
});
afterEach(async () => {
  await tail.close();
  await rm(dir, { recursive: true, force: true });
});

async function read(budget = 1_000_000) {
  const lines: string[] = [];
  const result = await tail.read(budget, (l) => lines.push(l));
  return { lines, ...result };
}

describe('FileTail', () => {
  it('starts at the end and reads only what is appended; a half-written line waits', async () => {
    await tail.start();
    expect((await read()).lines).toEqual([]);
    await appendFile(path, 'one\ntw');
    expect((await read()).lines).toEqual(['one']);
    await appendFile(path, 'o\n');
    expect((await read()).lines).toEqual(['two']);
  });

  it('reads at most the budget per read and says it is behind', async () => {
    await tail.start();
    await appendFile(path, 'aaaa\nbbbb\ncccc\n');
    const first = await read(10);
    expect(first).toMatchObject({ lines: ['aaaa', 'bbbb'], bytes: 10, behind: true });
    const second = await read(10);
    expect(second).toMatchObject({ lines: ['cccc'], bytes: 5, behind: false });
  });

  it('finishes the rotated file, then reads the new one from its start', async () => {
    await tail.start();
    await appendFile(path, 'old 1\nold 2 without end');
    await rename(path, join(dir, 'access-2026-12-04.log'));
    await writeFile(path, 'new 1\n');
    const r = await read();
    expect(r).toMatchObject({ lines: ['old 1', 'old 2 without end', 'new 1'], rotated: true });
    await appendFile(path, 'new 2\n');
    expect((await read()).lines).toEqual(['new 2']);
  });

  it('keeps reading the old file while the path names none, and says so', async () => {
    await tail.start();
    await rename(path, join(dir, 'access.1.log'));
    const r = await read();
    expect(r).toMatchObject({ lines: [], missing: true, rotated: false });
    await writeFile(path, 'back\n');
    expect((await read()).lines).toEqual(['back']);
  });

  it('reads a truncated file (copytruncate) from its start', async () => {
    await tail.start();
    await appendFile(path, 'before\n');
    expect((await read()).lines).toEqual(['before']);
    await truncate(path, 0);
    await appendFile(path, 'after\n');
    expect(await read()).toMatchObject({ lines: ['after'], truncated: true });
  });

  it('rejects with the file system error when there is no file', async () => {
    await expect(new FileTail(join(dir, 'none.log')).start()).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
