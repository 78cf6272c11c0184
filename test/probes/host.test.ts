// The host probe against a proc folder made from captured files (exact figures) and against the real /proc
// (compared with `free` and /proc/loadavg); unreadable and garbled files give the file's name as the reason.
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import host from '../../src/probes/host.js';
import { parseCpuTimes } from '../../src/probes/procfs.js';
import { fakeTimeout, makeTestProbe, sampleValue } from '../support/probe-runs.js';

const fixtures = new URL('../fixtures/proc/', import.meta.url);
let proc: string;

beforeAll(async () => {
  proc = await mkdtemp(join(tmpdir(), 'centinela-proc-'));
  for (const file of ['stat', 'meminfo', 'loadavg']) await copyFile(new URL(file, fixtures), join(proc, file));
});
afterAll(async () => {
  await rm(proc, { recursive: true, force: true });
});

const probeOf = (keys: Record<string, unknown> = {}) => makeTestProbe(host, keys, new FakeClock());

describe('host probe on captured /proc files', () => {
  it('reports memory and load at once, and CPU % from the second reading', async () => {
    const probe = probeOf({ proc });
    const first = await probe.runUp();
    expect(first.samples.map((s) => s.name)).toEqual(['memory_percent', 'load1', 'load5', 'load15']);
    expect(sampleValue(first.samples, 'memory_percent')).toBeCloseTo(((24683656 - 23863384) / 24683656) * 100, 9);
    expect(sampleValue(first.samples, 'load1')).toBe(0.49);
    expect(sampleValue(first.samples, 'load5')).toBe(0.32);
    expect(sampleValue(first.samples, 'load15')).toBe(0.16);

    // 400 jiffies later, 300 of them busy (user), 100 idle: 75 %.
    const stat = await readFile(join(proc, 'stat'), 'utf8');
    const next = stat.replace(/^cpu {2}11078 0 4771 159201 /m, 'cpu  11378 0 4771 159301 ');
    expect(next).not.toBe(stat);
    await writeFile(join(proc, 'stat'), next);
    const second = await probe.runUp();
    expect(sampleValue(second.samples, 'cpu_percent')).toBe(75);

    // No jiffy passed: no CPU figure rather than 0 / 0.
    const third = await probe.runUp();
    expect(sampleValue(third.samples, 'cpu_percent')).toBeUndefined();
  });

  it('names the file it could not read or understand', async () => {
    const missing = await probeOf({ proc: join(proc, 'absent') }).run();
    expect(missing).toEqual({
      up: false,
      reason: `cannot read ${join(proc, 'absent', 'stat')}: ENOENT: no such file or directory, open '${join(proc, 'absent', 'stat')}'`,
    });
    const garbled = await mkdtemp(join(tmpdir(), 'centinela-proc-'));
    try {
      await writeFile(join(garbled, 'stat'), 'HTTP/1.1 200 OK\r\n\r\n');
      await copyFile(join(proc, 'meminfo'), join(garbled, 'meminfo'));
      await copyFile(join(proc, 'loadavg'), join(garbled, 'loadavg'));
      expect(await probeOf({ proc: garbled }).run()).toEqual({
        up: false,
        reason: `${join(garbled, 'stat')} has no aggregate "cpu" line`,
      });
    } finally {
      await rm(garbled, { recursive: true, force: true });
    }
  });

  it('stops when its signal aborts, with the signal’s reason', async () => {
    const probe = probeOf({ proc });
    const signal = fakeTimeout(probe.clock, 1_000);
    await probe.clock.advance(1_000);
    expect(await probe.run(signal)).toEqual({ up: false, reason: 'timed out after 1s' });
  });
});

describe('host probe on this machine’s /proc', () => {
  it('agrees with free and /proc/loadavg, and measures the CPU work done between two runs', async () => {
    const probe = probeOf();
    await probe.runUp();
    // Keep a CPU busy until the kernel has counted some jiffies, so the second reading has time to compare.
    const start = parseCpuTimes(await readFile('/proc/stat', 'utf8'));
    for (let spins = 0; parseCpuTimes(await readFile('/proc/stat', 'utf8')).total - start.total < 20; spins++) {
      for (let i = 0; i < 1_000_000; i++) Math.sqrt(i + spins);
    }
    const result = await probe.runUp();
    const loadavg = (await readFile('/proc/loadavg', 'utf8')).split(' ').map(Number);
    const { stdout } = await promisify(execFile)('free', ['-b']);
    const [total = 0, used = 0] = (/^Mem:\s+(\d+)\s+(\d+)/m.exec(stdout) ?? []).slice(1).map(Number);

    const cpu = sampleValue(result.samples, 'cpu_percent') ?? -1;
    expect(cpu).toBeGreaterThan(0);
    expect(cpu).toBeLessThanOrEqual(100);
    // procps 4 counts used = total − available, as the probe does; memory moves a little between the two readings.
    expect(Math.abs((sampleValue(result.samples, 'memory_percent') ?? 0) - (used / total) * 100)).toBeLessThan(1);
    // The kernel updates load averages every 5 s: equal, unless an update fell between the two readings.
    expect(Math.abs((sampleValue(result.samples, 'load1') ?? -1) - (loadavg[0] ?? 0))).toBeLessThan(0.5);
    expect(sampleValue(result.samples, 'load15')).toBeGreaterThanOrEqual(0);
  });
});
