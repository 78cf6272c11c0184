// Derived series read from files come back to their good side when the fault ends, so the shipped rule over each one
// resolves (issue 11, item 3). A fault and its end are driven through the real probe (a small tmpfs of its own for
// the disk's growth, backups with set ages, a proc folder for the host's CPU), and the probe's runs are handed to the
// shipped rules through the engine on a fake clock, as the scheduler hands them to the daemon.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, unlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NOT_FILLING_HOURS } from '../../src/probes/disk-growth.js';
import { sampleValue } from '../support/probe-runs.js';
import { type HarnessProbe, RulesHarness } from '../support/rules.js';

const run = promisify(execFile);
const MIN = 60_000;
const MiB = 1024 * 1024;

let h: RulesHarness;
afterEach(() => h.close());

/** `runs` runs of `probe`, `every` ms apart (the first one `every` from now). */
async function runEvery(probe: HarnessProbe, every: number, runs: number): Promise<void> {
  for (let i = 0; i < runs; i++) {
    await h.advance(every);
    await probe.run();
  }
}

describe('disk.hours_until_full (DiskFillingUp: < 48 h P2, < 12 h P1, for 30m, clear_for 1h)', () => {
  // A filesystem of its own, so that the test sees only its own writes (and can fill it without filling the machine).
  let disk: string;
  beforeAll(async () => {
    if (process.getuid?.() !== 0) throw new Error('these tests mount a 64 MiB tmpfs and need root to do so');
    disk = await mkdtemp(join(tmpdir(), 'centinela-fill-'));
    await run('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', disk]);
  });
  afterAll(async () => {
    await run('umount', [disk]);
    await rm(disk, { recursive: true, force: true });
  });

  /** The disk probe as shipped (every 5m, the default 6h growth window) on the test's filesystem. */
  const diskProbe = () => h.probe('disk', { paths: [disk], directories: [], backups: [] });
  const state = () => h.state('DiskFillingUp', { path: disk });
  /** The shipped rules and the disk probe: a first run, then 8 runs 5 minutes apart, each after `perRun` written. */
  async function fillInSteps(perRun: number): Promise<HarnessProbe> {
    h = await RulesHarness.shipped();
    const probe = diskProbe();
    await probe.run();
    for (let step = 1; step <= 8; step++) {
      await writeFile(join(disk, `fill-${step}`), Buffer.alloc(perRun));
      await runEvery(probe, 5 * MIN, 1);
    }
    return probe;
  }
  const empty = async () => {
    for (let step = 1; step <= 8; step++) await unlink(join(disk, `fill-${step}`));
  };

  it('resolves one clear_for after a disk filled to 97 % is emptied (the lab episode)', async () => {
    // 7.75 MiB every 5 minutes: full in well under 12 hours from the first growth seen, 97 % after 40 minutes.
    const probe = await fillInSteps(7.75 * MiB);
    expect(h.alert('DiskFillingUp', { path: disk })).toMatchObject({ state: 'firing', alert: { priority: 'P1' } });

    await empty();
    const emptied = await h.expectResolvedOneClearForLater(probe, 5 * MIN, 'DiskFillingUp', { path: disk });
    expect(sampleValue(emptied, 'disk.hours_until_full', { path: disk })).toBe(NOT_FILLING_HOURS);
  });

  it('resolves after the growth stops, within a quarter of the growth window and clear_for', async () => {
    const probe = await fillInSteps(4 * MiB);
    expect(state()).toBe('firing');
    // Flat at half full from here on: 90 minutes (a quarter of 6h) until the growth leaves the window's last quarter,
    // then an hour of clear_for.
    await runEvery(probe, 5 * MIN, 30);
    expect(state()).toBe('resolved');
    await empty();
  });
});

describe('disk.backup_age_seconds (BackupTooOld: over 8 days P2)', () => {
  it('resolves at the first run that sees a new backup', async () => {
    h = await RulesHarness.shipped();
    const backups = await mkdtemp(join(tmpdir(), 'centinela-backup-age-'));
    try {
      const probe = h.probe('disk', {
        paths: [backups],
        directories: [],
        backups: [{ glob: join(backups, '*.sql.gz'), name: 'database' }],
      });
      const backup = async (name: string, ageSeconds: number) => {
        const path = join(backups, name);
        await writeFile(path, Buffer.alloc(4096));
        const when = new Date(h.clock.now() - ageSeconds * 1000);
        await utimes(path, when, when);
      };
      await backup('weekly_20251227.sql.gz', 8.5 * 86_400);
      await probe.run();
      expect(h.state('BackupTooOld', { backup: 'database' })).toBe('firing');
      await backup('pre_deploy_20260105_100500.sql.gz', 0);
      await runEvery(probe, 5 * MIN, 1);
      expect(h.state('BackupTooOld', { backup: 'database' })).toBe('resolved');
    } finally {
      await rm(backups, { recursive: true, force: true });
    }
  });
});

describe('host.cpu_percent (HostCpuHigh: over 70 % P2, over 90 % P1, for 5m, clear_for 5m)', () => {
  it('resolves one clear_for after the CPU is quiet again', async () => {
    h = await RulesHarness.shipped();
    const proc = await mkdtemp(join(tmpdir(), 'centinela-host-cpu-'));
    try {
      await writeFile(join(proc, 'meminfo'), 'MemTotal:       24683656 kB\nMemAvailable:   20000000 kB\n');
      await writeFile(join(proc, 'loadavg'), '0.49 0.32 0.16 1/193 4242\n');
      let busy = 0;
      let idle = 0;
      /** The next 30 s of CPU time (3000 jiffies on one CPU), `percent` of it busy. */
      const spend = (percent: number) => {
        busy += 30 * percent;
        idle += 30 * (100 - percent);
        return writeFile(join(proc, 'stat'), `cpu  ${busy} 0 0 ${idle} 0 0 0 0 0 0\n`);
      };
      const probe = h.probe('host', { proc });
      await spend(0);
      await probe.run();
      for (let i = 0; i < 11; i++) {
        await spend(95);
        await runEvery(probe, 30_000, 1);
      }
      expect(h.alert('HostCpuHigh')).toMatchObject({ state: 'firing', alert: { priority: 'P1' } });
      const quiet = await h.expectResolvedOneClearForLater(probe, 30_000, 'HostCpuHigh', {}, () => spend(10));
      expect(sampleValue(quiet, 'host.cpu_percent')).toBe(10);
    } finally {
      await rm(proc, { recursive: true, force: true });
    }
  });
});
