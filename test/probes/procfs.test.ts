// The /proc parsers against files captured from a Linux host (test/fixtures/proc) and broken variants.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cpuPercent, parseCpuTimes, parseLoadAvg, parseMemInfo } from '../../src/probes/procfs.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/proc/${name}`, import.meta.url), 'utf8');

describe('parseCpuTimes', () => {
  it('sums the aggregate cpu line: idle is idle + iowait, guest time is not counted twice', () => {
    // cpu  11078 0 4771 159201 826 0 130 17 0 0
    expect(parseCpuTimes(fixture('stat'))).toEqual({
      busy: 11078 + 0 + 4771 + 0 + 130 + 17,
      total: 11078 + 0 + 4771 + 159201 + 826 + 0 + 130 + 17,
    });
    // guest 500 and guest_nice 50 are inside user 1500 and nice 100 already.
    expect(parseCpuTimes('cpu  1500 100 200 1000 0 0 0 0 500 50\n')).toEqual({ busy: 1800, total: 2800 });
  });

  it('reads kernels that print fewer columns', () => {
    expect(parseCpuTimes('cpu 10 0 10 80\ncpu0 10 0 10 80\n')).toEqual({ busy: 20, total: 100 });
  });

  it('names what is wrong with a file that is not /proc/stat', () => {
    expect(() => parseCpuTimes('cpu0 1 2 3 4\nintr 5\n')).toThrow('has no aggregate "cpu" line');
    expect(() => parseCpuTimes('cpu  a b c d\n')).toThrow('has a "cpu" line that is not a list of jiffy counts');
    expect(() => parseCpuTimes('cpu  1 2\n')).toThrow('not a list of jiffy counts');
  });
});

describe('cpuPercent', () => {
  it('is the busy share of the time between two readings', () => {
    expect(cpuPercent({ busy: 100, total: 1000 }, { busy: 175, total: 1100 })).toBe(75);
    expect(cpuPercent({ busy: 100, total: 1000 }, { busy: 100, total: 1200 })).toBe(0);
  });

  it('has no value when no jiffy passed, and stays within 0–100 on odd counters', () => {
    expect(cpuPercent({ busy: 5, total: 10 }, { busy: 5, total: 10 })).toBeUndefined();
    expect(cpuPercent({ busy: 50, total: 100 }, { busy: 40, total: 110 })).toBe(0);
    expect(cpuPercent({ busy: 50, total: 100 }, { busy: 80, total: 110 })).toBe(100);
  });
});

describe('parseMemInfo', () => {
  it('reads MemTotal and MemAvailable in bytes', () => {
    expect(parseMemInfo(fixture('meminfo'))).toEqual({ totalBytes: 24683656 * 1024, availableBytes: 23863384 * 1024 });
  });

  it('names the missing field', () => {
    const noAvailable = fixture('meminfo').replace(/^MemAvailable:.*\n/m, '');
    expect(() => parseMemInfo(noAvailable)).toThrow('has no "MemAvailable: <n> kB" line');
    expect(() => parseMemInfo('MemTotal: 0 kB\nMemAvailable: 0 kB\n')).toThrow('says MemTotal is 0 kB');
    expect(() => parseMemInfo('garbage')).toThrow('has no "MemTotal: <n> kB" line');
  });
});

describe('parseLoadAvg', () => {
  it('reads the three averages', () => {
    expect(parseLoadAvg(fixture('loadavg'))).toEqual({ load1: 0.49, load5: 0.32, load15: 0.16 });
  });

  it('refuses anything else', () => {
    expect(() => parseLoadAvg('0.49 0.32\n')).toThrow('does not start with three load averages');
    expect(() => parseLoadAvg('high medium low 1/2 3\n')).toThrow('does not start with three load averages');
    expect(() => parseLoadAvg('')).toThrow('does not start with three load averages');
  });
});
