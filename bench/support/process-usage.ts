// What a running process costs, read from /proc: CPU seconds, RSS now and at its peak, and where its memory lies.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';

const ticks = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());

/** utime + stime (seconds), RSS and peak RSS (VmHWM) in bytes. */
export function usage(pid: number): { cpu: number; rss: number; peak: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpu = (Number(fields[11]) + Number(fields[12])) / ticks;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
  return { cpu, rss: kb('VmRSS'), peak: kb('VmHWM') };
}

/**
 * PSS, private and shared-clean memory (bytes). RSS counts the Node binary's code pages, shared with every other Node
 * process; PSS and private memory say what this process adds.
 */
export function smaps(pid: number): { pss: number; priv: number; shared: number } {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0) * 1024;
  return { pss: kb('Pss'), priv: kb('Private_Dirty') + kb('Private_Clean'), shared: kb('Shared_Clean') };
}

/** The 1, 5 and 15 minute load averages, as `0.52 0.61 0.70`. */
export const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

/** MiB with one decimal. */
export const mib = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);

/** The value below which a share `q` of `xs` lies (nearest rank; q = 0.5 is the median). */
export const quantile = (xs: readonly number[], q: number): number =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? Number.NaN;

/** The middle value (the upper one of an even count). */
export const median = (xs: readonly number[]): number => quantile(xs, 0.5);

/** The arithmetic mean. */
export const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** `KEY=VALUE KEY2=VALUE2` (a bench's --env) as an environment object. */
export function envOf(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split(' ')
      .filter(Boolean)
      .map((pair) => {
        const at = pair.indexOf('=');
        if (at < 1) throw new Error(`--env: "${pair}" is not KEY=VALUE`);
        return [pair.slice(0, at), pair.slice(at + 1)];
      }),
  );
}
