// Bench: parse a 10 MB Prometheus exposition (100,000 series) with centinela's streaming parser and with the
// parse-prometheus-text-format package, on the same file in the same run, each parser in a fresh child process so
// its peak RSS is its own. Prints wall and CPU time (median of runs), memory, and the speed-up over the package.
//
//   npx tsx bench/exposition.ts [--series-per-family 1000] [--runs 7]      (or: npm run bench -- exposition)
//
// Rows: "package" = parse-prometheus-text-format on the body read as one string (its only API); "full" = ours,
// streaming the file in 64 KiB chunks with every line selected (names, labels, values all parsed); "probe" = ours
// with select() keeping two families, as the metrics probe does; "full, 4x body" = ours on a body four times as
// large, to show that memory follows neither the body nor the family size.
import { fork } from 'node:child_process';
import { closeSync, createReadStream, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseExposition } from '../src/probes/exposition.js';
import { writeApiExposition } from './support/api-exposition.js';

type Mode = 'package' | 'full' | 'probe';

interface ChildReport {
  timesMs: number[];
  /** CPU time of the process (all threads, GC included) per run: steadier than wall time on a busy machine. */
  cpuMs: number[];
  /** What the parser produced: metric objects (package) or samples handed to the handler (ours). */
  results: number;
  /** RSS after loading modules, before any parse (KiB). */
  startRssKiB: number;
  /** Peak RSS of the process over all runs (KiB). */
  peakRssKiB: number;
  /**
   * Live heap after the last parse (after a full GC, with the package's result still referenced), bytes. Only after
   * the last: a forced GC shrinks the young generation, and the next parse would pay for it in scavenges.
   */
  liveHeapBytes: number;
}

/** Writes the API-like exposition to `file`; returns its series count. */
function generate(file: string, perFamily: number): number {
  const fd = openSync(file, 'w');
  try {
    return writeApiExposition((text) => writeSync(fd, text), perFamily);
  } finally {
    closeSync(fd);
  }
}

/** Parses `file` `runs` times with one parser, in this (fresh) process. */
async function measure(mode: Mode, file: string, runs: number): Promise<ChildReport> {
  const parsePackage = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => unknown[];
  const wanted = new Set(['http_request_duration_seconds_0_bucket', 'http_requests_0_total']);
  const startRssKiB = Math.round(process.memoryUsage().rss / 1024);
  const report: ChildReport = { timesMs: [], cpuMs: [], results: 0, startRssKiB, peakRssKiB: 0, liveHeapBytes: 0 };
  const gc = (globalThis as { gc?: () => void }).gc as () => void;
  const live = () => {
    gc();
    report.liveHeapBytes = process.memoryUsage().heapUsed;
  };
  const timed = (started: number, cpuBefore: NodeJS.CpuUsage) => {
    const cpu = process.cpuUsage(cpuBefore);
    report.timesMs.push(performance.now() - started);
    report.cpuMs.push((cpu.user + cpu.system) / 1000);
  };
  for (let r = 0; r < runs; r++) {
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    if (mode === 'package') {
      const families = parsePackage(readFileSync(file, 'utf8')) as { metrics: unknown[] }[];
      report.results = families.reduce((n, f) => n + f.metrics.length, 0);
      timed(started, cpuBefore);
      if (r === runs - 1) live(); // while `families` is still held, as a caller of the package would hold it
    } else {
      let count = 0;
      await parseExposition(createReadStream(file, { highWaterMark: 64 * 1024 }), {
        select: mode === 'probe' ? (name) => wanted.has(name) : undefined,
        sample: () => count++,
      });
      report.results = count;
      timed(started, cpuBefore);
      if (r === runs - 1) live();
    }
  }
  report.peakRssKiB = process.resourceUsage().maxRSS;
  return report;
}

function inChild(mode: Mode, file: string, runs: number): Promise<ChildReport> {
  return new Promise((resolve, reject) => {
    // fork() keeps this process's execArgv, so the child runs under the same tsx loader.
    // --expose-gc: the live heap after a parse is measured after a full collection.
    const proc = fork(fileURLToPath(import.meta.url), ['--measure', mode, '--file', file, '--runs', String(runs)], {
      execArgv: [...process.execArgv, '--expose-gc'],
    });
    proc.once('message', (m) => resolve(m as ChildReport));
    proc.once('error', reject);
    proc.once('exit', (code) => {
      if (code !== 0) reject(new Error(`the ${mode} child exited with ${code}`));
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;

const { values } = parseArgs({
  options: {
    'series-per-family': { type: 'string', default: '1000' },
    runs: { type: 'string', default: '7' },
    measure: { type: 'string' },
    file: { type: 'string' },
  },
});

if (values.measure) {
  process.send?.(await measure(values.measure as Mode, values.file as string, Number(values.runs)));
} else {
  const runs = Number(values.runs);
  const perFamily = Number(values['series-per-family']);
  const dir = mkdtempSync(join(tmpdir(), 'centinela-bench-'));
  try {
    const file = join(dir, 'exposition.txt');
    const big = join(dir, 'exposition-4x.txt');
    const series = generate(file, perFamily);
    const bigSeries = generate(big, perFamily * 4);
    const size = (statSync(file).size / 1e6).toFixed(1);
    console.log(`exposition: ${size} MB, ${series} series, largest family ${perFamily * 14} lines`);
    console.log(`${runs} runs per parser, each parser in a fresh child process; node ${process.version}\n`);
    const rows: [string, ChildReport][] = [];
    for (const mode of ['package', 'full', 'probe'] as const) rows.push([mode, await inChild(mode, file, runs)]);
    rows.push(['full, 4x body', await inChild('full', big, 3)]);
    const base = (rows[0] as [string, ChildReport])[1];
    console.log(
      'parser          wall median  wall min  CPU median  faster (wall/CPU)  results  RSS peak-start  live heap',
    );
    for (const [label, r] of rows) {
      const faster = `${(median(base.timesMs) / median(r.timesMs)).toFixed(1)}x / ${(median(base.cpuMs) / median(r.cpuMs)).toFixed(1)}x`;
      console.log(
        [
          label.padEnd(15),
          `${median(r.timesMs).toFixed(0)} ms`.padEnd(12),
          `${Math.min(...r.timesMs).toFixed(0)} ms`.padEnd(9),
          `${median(r.cpuMs).toFixed(0)} ms`.padEnd(11),
          (r === base || label.includes('4x') ? '-' : faster).padEnd(18),
          String(r.results).padEnd(8),
          mib(r.peakRssKiB - r.startRssKiB).padEnd(15),
          mib(r.liveHeapBytes / 1024),
        ].join(' '),
      );
    }
    console.log(
      '\nresults: package = metric objects returned (a histogram series with its buckets is one); ours = samples' +
        ' handed over.\nRSS peak-start: peak RSS of the child minus its RSS after loading modules, before parsing' +
        ' (garbage not yet collected included).\nlive heap: heap in use after a parse and a full GC; the package' +
        ` still holds its result.\n4x body: ${(statSync(big).size / 1e6).toFixed(0)} MB, ${bigSeries} series,` +
        ` largest family ${perFamily * 4 * 14} lines.`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
