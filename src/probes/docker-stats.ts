// A container's CPU % and memory % from one Engine stats document, computed exactly as `docker stats` does.
//
// The formulas follow the docker CLI (cli/command/container/stats_helpers.go): calculateCPUPercentUnix,
// calculateMemUsageUnixNoCache and calculateMemPercentUnixNoCache. Absent fields count as 0, as Go's zero values do
// there, so a document the CLI would print as 0 % is 0 % here too.
import { z } from 'zod';

// A uint64 counter the Engine may leave out (cgroup v2 has no percpu_usage, a stopped container has no usage).
const counter = z.number().nonnegative().optional();

const cpuStats = z.object({
  cpu_usage: z.object({ total_usage: counter, percpu_usage: z.array(z.number()).nullish() }).optional(),
  system_cpu_usage: counter,
  online_cpus: counter,
});

/**
 * The parts of GET /containers/{id}/stats the figures need; unknown fields pass through unchecked. `stats` is
 * memory.stat: cgroup v1 carries `total_inactive_file`, cgroup v2 carries `inactive_file` (and no `total_*` keys).
 */
export const statsDocument = z.object({
  cpu_stats: cpuStats.optional(),
  precpu_stats: cpuStats.optional(),
  memory_stats: z
    .object({
      usage: counter,
      limit: counter,
      stats: z.record(z.string(), z.number()).nullish(),
    })
    .optional(),
});

export type StatsDocument = z.output<typeof statsDocument>;
type CpuStats = z.output<typeof cpuStats>;

/** What `docker stats` shows for one container; memory is absent when the Engine reported none (not running). */
export interface ContainerFigures {
  cpuPercent: number;
  memory?: { usageBytes: number; limitBytes: number; percent: number };
}

/**
 * CPU delta over system delta, times the online CPUs, times 100. `online_cpus` falls back to the length of
 * `percpu_usage` (older engines); a zero or negative delta (first sample, counter reset) is 0 %, as in the CLI.
 */
export function cpuPercent(previous: CpuStats | undefined, current: CpuStats | undefined): number {
  const cpuDelta = (current?.cpu_usage?.total_usage ?? 0) - (previous?.cpu_usage?.total_usage ?? 0);
  const systemDelta = (current?.system_cpu_usage ?? 0) - (previous?.system_cpu_usage ?? 0);
  const onlineCpus = current?.online_cpus || (current?.cpu_usage?.percpu_usage?.length ?? 0);
  if (systemDelta > 0 && cpuDelta > 0) return (cpuDelta / systemDelta) * onlineCpus * 100;
  return 0;
}

/**
 * Memory usage less the inactive page cache: `usage − total_inactive_file` on cgroup v1, `usage − inactive_file` on
 * cgroup v2. As in the CLI, a value is subtracted only when it is below usage; when the v1 key is present but not
 * below usage, the v2 key is still tried (absent means 0), which leaves usage unchanged on a v1 host.
 */
export function memoryUsageNoCache(usage: number, stats: Record<string, number> | null | undefined): number {
  const v1 = stats?.total_inactive_file;
  if (v1 !== undefined && v1 < usage) return usage - v1;
  const v2 = stats?.inactive_file ?? 0;
  if (v2 < usage) return usage - v2;
  return usage;
}

/** Usage over limit times 100; a zero limit (no cgroup data yet) is 0 %, as in the CLI. */
export function memoryPercent(usedNoCache: number, limit: number): number {
  return limit !== 0 ? (usedNoCache / limit) * 100 : 0;
}

/** The figures `docker stats` prints for one stats document. */
export function containerFigures(doc: StatsDocument): ContainerFigures {
  const cpu = cpuPercent(doc.precpu_stats, doc.cpu_stats);
  const mem = doc.memory_stats;
  if (mem?.usage === undefined) return { cpuPercent: cpu };
  const usageBytes = memoryUsageNoCache(mem.usage, mem.stats);
  const limitBytes = mem.limit ?? 0;
  return { cpuPercent: cpu, memory: { usageBytes, limitBytes, percent: memoryPercent(usageBytes, limitBytes) } };
}
