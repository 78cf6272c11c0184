// The host probe: CPU, memory and load of the machine centinela runs on, from /proc (or the host's /proc mounted
// into centinela's container), for a host whose containers centinela cannot see.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { untilAborted } from '../abortable.js';
import type { Sample } from '../types.js';
import { abortReason } from './net-failure.js';
import { defineProbe, type ProbeResult, sample } from './probe.js';
import { type CpuTimes, cpuPercent, parseCpuTimes, parseLoadAvg, parseMemInfo } from './procfs.js';

/** Reads `file` under `proc` and parses it, naming the file in any error. */
async function readProc<T>(proc: string, file: string, parse: (text: string) => T): Promise<T> {
  const path = join(proc, file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${path}: ${(err as Error).message}`);
  }
  try {
    return parse(text);
  } catch (err) {
    throw new Error(`${path} ${(err as Error).message}`);
  }
}

export default defineProbe({
  kind: 'host',
  // CPU % is the busy share of the time between two readings of /proc/stat.
  needsTwoRuns: true,
  create(cfg) {
    let previous: CpuTimes | undefined;
    return {
      async run({ signal }): Promise<ProbeResult> {
        let cpu: CpuTimes;
        let memory: ReturnType<typeof parseMemInfo>;
        let load: ReturnType<typeof parseLoadAvg>;
        try {
          // One after the other, so a failure always names the first unreadable file in this order.
          cpu = await untilAborted(readProc(cfg.proc, 'stat', parseCpuTimes), signal);
          memory = await untilAborted(readProc(cfg.proc, 'meminfo', parseMemInfo), signal);
          load = await untilAborted(readProc(cfg.proc, 'loadavg', parseLoadAvg), signal);
        } catch (err) {
          return { up: false, reason: signal.aborted ? abortReason(signal) : (err as Error).message };
        }
        const samples: Sample[] = [];
        const busy = previous ? cpuPercent(previous, cpu) : undefined;
        previous = cpu;
        if (busy !== undefined) samples.push(sample('cpu_percent', busy));
        // Used memory as `free` counts it since procps 4: what is not available to start new programs.
        samples.push(sample('memory_percent', ((memory.totalBytes - memory.availableBytes) / memory.totalBytes) * 100));
        samples.push(sample('load1', load.load1), sample('load5', load.load5), sample('load15', load.load15));
        return { up: true, samples };
      },
    };
  },
});
