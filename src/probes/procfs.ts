// Parsers for the Linux /proc files the host probe reads: stat (CPU time), meminfo and loadavg.

/** Cumulative CPU time of all CPUs since boot, in jiffies. */
export interface CpuTimes {
  busy: number;
  total: number;
}

/** What /proc/meminfo says about memory, in bytes. */
export interface MemInfo {
  totalBytes: number;
  availableBytes: number;
}

/** The 1, 5 and 15 minute load averages of /proc/loadavg. */
export interface LoadAvg {
  load1: number;
  load5: number;
  load15: number;
}

/**
 * CPU time from the aggregate `cpu` line of /proc/stat: user nice system idle iowait irq softirq steal guest
 * guest_nice. Idle time is idle + iowait (a CPU waiting for the disk could run something else). guest and
 * guest_nice are already inside user and nice, so they are not added again (as top and procps do).
 */
export function parseCpuTimes(stat: string): CpuTimes {
  const line = stat.split('\n').find((l) => l.startsWith('cpu '));
  if (line === undefined) throw new Error('has no aggregate "cpu" line');
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  if (fields.length < 4 || fields.some((n) => !Number.isFinite(n) || n < 0)) {
    throw new Error(`has a "cpu" line that is not a list of jiffy counts: "${line.slice(0, 80)}"`);
  }
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
  const idleAll = idle + iowait;
  const total = user + nice + system + idleAll + irq + softirq + steal;
  return { busy: total - idleAll, total };
}

/** Busy share of CPU time between two readings, in percent; undefined when no time passed between them. */
export function cpuPercent(before: CpuTimes, after: CpuTimes): number | undefined {
  const total = after.total - before.total;
  if (total <= 0) return undefined;
  const busy = Math.max(0, after.busy - before.busy);
  return Math.min(100, (busy / total) * 100);
}

/** MemTotal and MemAvailable (kernel ≥ 3.14) from /proc/meminfo, whose values are in KiB. */
export function parseMemInfo(meminfo: string): MemInfo {
  const kib = (field: string): number => {
    const m = new RegExp(`^${field}:\\s*(\\d+)\\s*kB\\s*$`, 'm').exec(meminfo);
    if (!m) throw new Error(`has no "${field}: <n> kB" line`);
    return Number(m[1]) * 1024;
  };
  const totalBytes = kib('MemTotal');
  if (totalBytes === 0) throw new Error('says MemTotal is 0 kB');
  return { totalBytes, availableBytes: kib('MemAvailable') };
}

/** The first three fields of /proc/loadavg. */
export function parseLoadAvg(loadavg: string): LoadAvg {
  const fields = loadavg.trim().split(/\s+/).slice(0, 3);
  const values = fields.map(Number);
  const [load1, load5, load15] = values;
  if (load1 === undefined || load5 === undefined || load15 === undefined || values.some((n) => !(n >= 0))) {
    throw new Error(`does not start with three load averages: "${loadavg.slice(0, 80)}"`);
  }
  return { load1, load5, load15 };
}
