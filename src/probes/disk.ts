// The disk probe: use of each filesystem as `df` reports it and when it will be full, the size of named directories
// (a bounded walk), and the newest backup matching a glob — the runbook's `df -h`, `du -sh logs/`, `ls backups/`.
// Relative paths and globs are taken from centinela's working directory.
import type { Dir } from 'node:fs';
import { lstat, opendir, readdir, stat, statfs } from 'node:fs/promises';
import { basename, dirname, join, matchesGlob, resolve } from 'node:path';
import { untilAborted } from '../abortable.js';
import type { DiskProbeConfig } from '../config/probes.js';
import type { Sample } from '../types.js';
import { formatBytes } from '../units.js';
import { FillTrend, NOT_FILLING_HOURS } from './disk-growth.js';
import { abortReason } from './net-failure.js';
import { OneCallPerKey, StillWaiting } from './one-call-per-key.js';
import { defineProbe, type ProbeResult, sample } from './probe.js';

/** One filesystem as statfs describes it, in bytes and inodes. */
export interface FsUsage {
  usedBytes: number;
  availableBytes: number;
  inodes: number;
  freeInodes: number;
}

/**
 * Used share of a filesystem exactly as `df` computes Use%: used / (used + available), where used = total − free
 * and available is what unprivileged users may still write. Blocks reserved for root (often 5 %) are in neither,
 * so a disk shows 100 % when the application can no longer write, even though root still could. df rounds this up
 * to a whole percent; the probe keeps the fraction.
 */
export function usedPercent(usage: Pick<FsUsage, 'usedBytes' | 'availableBytes'>): number | undefined {
  const usable = usage.usedBytes + usage.availableBytes;
  return usable === 0 ? undefined : (usage.usedBytes / usable) * 100;
}

/** Used share of inodes as `df -i` computes IUse%; undefined for filesystems without a fixed inode table (btrfs). */
export function inodesUsedPercent(usage: Pick<FsUsage, 'inodes' | 'freeInodes'>): number | undefined {
  return usage.inodes === 0 ? undefined : ((usage.inodes - usage.freeInodes) / usage.inodes) * 100;
}

async function fsUsage(path: string): Promise<FsUsage> {
  const s = await statfs(path);
  // Block counts are in fragment-size units (f_frsize), as df reads them.
  const unit = s.frsize || s.bsize;
  return {
    usedBytes: (s.blocks - s.bfree) * unit,
    availableBytes: s.bavail * unit,
    inodes: s.files,
    freeInodes: s.ffree,
  };
}

/** What a bounded walk found: apparent size of regular files (like `du --apparent-size`), entries seen. */
export interface WalkResult {
  bytes: number;
  entries: number;
  /** The walk stopped at max_entries: `bytes` is a lower bound. */
  truncated: boolean;
  /** Subdirectories that could not be read (permissions, removed while walking); the first few. */
  unreadable: string[];
}

/**
 * Sums file sizes under `root` without following symlinks, counting every entry (file, directory, link) until
 * `maxEntries`. Throws when `root` itself cannot be read; the signal is checked between directories.
 */
export async function walkDirectory(root: string, maxEntries: number, signal: AbortSignal): Promise<WalkResult> {
  const result: WalkResult = { bytes: 0, entries: 0, truncated: false, unreadable: [] };
  const pending = [root];
  for (let dir = pending.pop(); dir !== undefined; dir = pending.pop()) {
    signal.throwIfAborted();
    let handle: Dir;
    try {
      handle = await opendir(dir);
    } catch (err) {
      if (dir === root) throw err;
      if (result.unreadable.length < 5) result.unreadable.push(`${dir} (${(err as NodeJS.ErrnoException).code})`);
      continue;
    }
    const files: string[] = [];
    for await (const entry of handle) {
      if (result.entries >= maxEntries) {
        result.truncated = true;
        break;
      }
      result.entries++;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) pending.push(path);
      else if (entry.isFile()) files.push(path);
    }
    // One lstat at a time: on a mount that hangs mid-walk, parallel calls would each hold a threadpool thread
    // (see one-call-per-key.ts). A file removed meanwhile counts as 0.
    for (const file of files) {
      result.bytes += await lstat(file).then(
        (s) => s.size,
        () => 0,
      );
    }
    if (result.truncated) break;
  }
  return result;
}

/**
 * The files a backup glob matches and `exclude` (a file-name glob) does not, newest first by modification time. Its
 * wildcards are in the file name only (the config schema checks it), so this lists one folder, and a folder that
 * cannot be listed (not there, not mounted, not readable by centinela's user) is an error, never "no files". Node's
 * fs.glob reads such a folder as empty, which counted 0 backups and paged "No database backup file found" while the
 * file was there (issue 11, item 4). Also read by `centinela verify --pre-deploy`.
 */
export async function backupsMatching(
  pattern: string,
  signal: AbortSignal,
  exclude?: string,
): Promise<{ path: string; size: number; mtime: number }[]> {
  const dir = dirname(pattern);
  const name = basename(pattern);
  const entries = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    // Named in full: a relative glob is taken from the working directory, which the message then shows.
    throw err.code === 'ENOENT' ? new Error(`${resolve(dir)} does not exist`) : err;
  });
  const found: { path: string; size: number; mtime: number }[] = [];
  for (const entry of entries) {
    if (!matchesGlob(entry, name) || (exclude !== undefined && matchesGlob(entry, exclude))) continue;
    signal.throwIfAborted();
    const path = join(dir, entry);
    // A file removed between the listing and here (an old backup cleaned up) is simply not counted.
    const s = await stat(path).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (s?.isFile()) found.push({ path, size: s.size, mtime: s.mtimeMs });
  }
  return found.sort((a, b) => b.mtime - a.mtime);
}

const formatHours = (hours: number) => (hours < 48 ? `${hours.toFixed(1)} h` : `${(hours / 24).toFixed(1)} days`);

export default defineProbe({
  kind: 'disk',
  // hours_until_full is growth between readings: a one-off check needs two.
  needsTwoRuns: true,
  create(cfg: DiskProbeConfig) {
    // Recent used-bytes readings per path, for hours_until_full; only growth_window's worth is kept.
    const trends = new Map<string, FillTrend>();
    // A call that hung on a stale mount in an earlier run is waited for, never started again beside it.
    const calls = new OneCallPerKey();

    return {
      async run({ signal, clock }): Promise<ProbeResult> {
        const samples: Sample[] = [];
        const lines: string[] = [];
        const problems: string[] = [];
        let measured = 0;
        const attempt = async (what: string, work: () => Promise<void>) => {
          try {
            // A hung mount (stale NFS) blocks a filesystem call for good; the run still ends at its timeout, and
            // later runs report the call still pending (OneCallPerKey) and measure the other paths.
            await untilAborted(work(), signal);
            measured++;
          } catch (err) {
            if (signal.aborted) throw err;
            const e = err as NodeJS.ErrnoException;
            if (err instanceof StillWaiting) problems.push(e.message);
            else problems.push(`${what}: ${e.code === 'ENOENT' ? 'does not exist' : e.message}`);
          }
        };

        try {
          for (const path of cfg.paths) {
            await attempt(path, async () => {
              const usage = await calls.start(`statfs of ${path}`, clock.now(), () => fsUsage(path));
              const percent = usedPercent(usage);
              if (percent === undefined) throw new Error('has no blocks (a virtual filesystem?)');
              const labels = { path };
              samples.push(sample('used_percent', percent, labels));
              samples.push(sample('free_bytes', usage.availableBytes, labels));
              const inodes = inodesUsedPercent(usage);
              if (inodes !== undefined) samples.push(sample('inodes_used_percent', inodes, labels));
              const trend = trends.get(path) ?? new FillTrend(cfg.growth_window);
              trends.set(path, trend);
              const hours = trend.observe(clock.now(), usage.usedBytes, usage.availableBytes);
              if (hours !== undefined) samples.push(sample('hours_until_full', hours, labels));
              const fill =
                hours === undefined
                  ? ''
                  : hours >= NOT_FILLING_HOURS
                    ? ', not filling'
                    : `, full in ${formatHours(hours)}`;
              const inodeText = inodes === undefined ? '' : `, inodes ${inodes.toFixed(1)}% used`;
              lines.push(
                `${path}: ${percent.toFixed(1)}% used (${formatBytes(usage.availableBytes)} free)${inodeText}${fill}`,
              );
            });
          }
          for (const dir of cfg.directories) {
            await attempt(dir.path, async () => {
              const walk = await calls.start(`walk of ${dir.path}`, clock.now(), () =>
                walkDirectory(dir.path, dir.max_entries, signal),
              );
              const labels = { dir: dir.path };
              samples.push(sample('dir_size_bytes', walk.bytes, labels));
              samples.push(sample('dir_walk_truncated', walk.truncated ? 1 : 0, labels));
              const size = walk.truncated
                ? `at least ${formatBytes(walk.bytes)}: the walk stopped at max_entries (${walk.entries})`
                : `${formatBytes(walk.bytes)} in ${walk.entries} entries`;
              const skipped = walk.unreadable.length > 0 ? `; could not read ${walk.unreadable.join(', ')}` : '';
              lines.push(`${dir.path}: ${size}${skipped}`);
            });
          }
          for (const backup of cfg.backups) {
            await attempt(backup.glob, async () => {
              const files = await calls.start(`search for ${backup.glob}`, clock.now(), () =>
                backupsMatching(backup.glob, signal, backup.exclude),
              );
              const labels = { backup: backup.name ?? backup.glob };
              samples.push(sample('backup_files', files.length, labels));
              const newest = files[0];
              if (!newest) {
                lines.push(`${backup.glob}: no files`);
                return;
              }
              const ageSeconds = (clock.now() - newest.mtime) / 1000;
              samples.push(sample('backup_age_seconds', ageSeconds, labels));
              samples.push(sample('backup_size_bytes', newest.size, labels));
              lines.push(
                `${backup.glob}: ${files.length} files, newest ${newest.path} (${formatBytes(newest.size)}, ` +
                  `${formatHours(ageSeconds / 3600)} old)`,
              );
            });
          }
        } catch {
          return { up: false, reason: abortReason(signal), samples };
        }

        if (measured === 0 && problems.length > 0) return { up: false, reason: problems.join('; ') };
        const detail = lines.join('\n');
        return {
          up: true,
          samples,
          ...(detail ? { detail } : {}),
          ...(problems.length > 0 ? { cannotMeasure: problems.join('; ') } : {}),
        };
      },
    };
  },
});
