// Bench: parse a ~10 MB Prometheus exposition (~100,000 series) with centinela's streaming parser and with the
// parse-prometheus-text-format package, on the same file in the same run, each in a fresh child process so peak RSS
// is its own. Prints time (median of runs) and memory per parser, and the speed ratio.
//
//   npx tsx bench/exposition.ts [--series-per-family 1000] [--runs 5]
//
// Modes: "baseline" = parse-prometheus-text-format on the whole body read as one string (its only API);
// "full" = centinela's parser streaming the file in 64 KiB chunks with every line selected, labels and values parsed;
// "probe" = the same with select() keeping two families, as the metrics probe does with its config.
import { fork } from 'node:child_process';
import { createReadStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseExposition } from '../src/probes/exposition.js';

type Mode = 'baseline' | 'full' | 'probe';

interface ChildReport {
  mode: Mode;
  timesMs: number[];
  /** CPU time of the process (all threads: GC included) per run; steadier than wall time on a busy machine. */
  cpuMs: number[];
  /** What the parser produced: metric objects (baseline) or samples handed to the handler. */
  results: number;
  /** RSS after loading modules, before any parse (KiB). */
  startRssKiB: number;
  /** Peak RSS of the process over all runs (KiB). */
  peakRssKiB: number;
  /** Largest heapUsed seen right after a parse (bytes). */
  heapAfterBytes: number;
}

const HISTOGRAM_FAMILIES = 4;
const COUNTER_FAMILIES = 40;
const GAUGE_FAMILIES = 40;
const BUCKETS = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf'];

/** Writes the exposition and returns its series count: histograms, counters and gauges like an API's /metrics. */
function generate(file: string, perFamily: number): number {
  const out: string[] = [];
  let series = 0;
  for (let f = 0; f < HISTOGRAM_FAMILIES; f++) {
    const name = `http_request_duration_seconds_${f}`;
    out.push(`# HELP ${name} Request latency.`, `# TYPE ${name} histogram`);
    for (let s = 0; s < perFamily; s++) {
      const labels = `handler="/api/v1/resources/item_${s % 250}",method="${['GET', 'POST', 'PUT', 'DELETE'][s % 4]}",shard="${Math.floor(s / 1000)}"`;
      let count = 0;
      for (const le of BUCKETS) {
        count += (s * 7 + le.length) % 13;
        out.push(`${name}_bucket{${labels},le="${le}"} ${count}`);
      }
      out.push(`${name}_sum{${labels}} ${(count * 0.137).toFixed(3)}`, `${name}_count{${labels}} ${count}`);
      series += BUCKETS.length + 2;
    }
  }
  for (let f = 0; f < COUNTER_FAMILIES; f++) {
    const name = `http_requests_${f}_total`;
    out.push(`# HELP ${name} Requests served.`, `# TYPE ${name} counter`);
    for (let s = 0; s < perFamily; s++) {
      const status = ['200', '201', '404', '500', '503'][s % 5];
      out.push(`${name}{handler="/api/v1/resources/item_${s % 200}",method="GET",status="${status}"} ${s * 31 + f}`);
      series++;
    }
  }
  for (let f = 0; f < GAUGE_FAMILIES; f++) {
    const name = `process_pool_connections_${f}`;
    out.push(`# TYPE ${name} gauge`);
    for (let s = 0; s < perFamily / 10; s++) {
      out.push(`${name}{pool="pool_${s}",state="idle"} ${s % 17}`);
      series++;
    }
  }
  writeFileSync(file, `${out.join('\n')}\n`);
  return series;
}

async function child(mode: Mode, file: string, runs: number): Promise<ChildReport> {
  const baseline = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => unknown[];
  const startRssKiB = Math.round(process.memoryUsage().rss / 1024);
  const timesMs: number[] = [];
  const cpuMs: number[] = [];
  let heapAfterBytes = 0;
  let results = 0;
  for (let r = 0; r < runs; r++) {
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    if (mode === 'baseline') {
      const families = baseline(readFileSync(file, 'utf8')) as { metrics: unknown[] }[];
      results = families.reduce((n, f) => n + f.metrics.length, 0);
      heapAfterBytes = Math.max(heapAfterBytes, process.memoryUsage().heapUsed);
    } else {
      const wanted = new Set(['http_request_duration_seconds_0_bucket', 'http_requests_0_total']);
      let count = 0;
      await parseExposition(createReadStream(file, { highWaterMark: 64 * 1024 }), {
        select: mode === 'probe' ? (name) => wanted.has(name) : undefined,
        sample: () => count++,
      });
      results = count;
      heapAfterBytes = Math.max(heapAfterBytes, process.memoryUsage().heapUsed);
    }
    timesMs.push(performance.now() - started);
    const cpu = process.cpuUsage(cpuBefore);
    cpuMs.push((cpu.user + cpu.system) / 1000);
  }
  return { mode, timesMs, cpuMs, results, startRssKiB, peakRssKiB: process.resourceUsage().maxRSS, heapAfterBytes };
}

function runChild(mode: Mode, file: string, runs: number): Promise<ChildReport> {
  return new Promise((resolve, reject) => {
    const proc = fork(fileURLToPath(import.meta.url), ['child', mode, file, String(runs)]);
    proc.once('message', (m) => resolve(m as ChildReport));
    proc.once('error', reject);
    proc.once('exit', (code) => {
      if (code !== 0) reject(new Error(`${mode} child exited with ${code}`));
    });
  });
}

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;

if (process.argv[2] === 'gen') {
  generate(process.argv[3] as string, 1000);
} else if (process.argv[2] === 'child') {
  const report = await child(process.argv[3] as Mode, process.argv[4] as string, Number(process.argv[5]));
  process.send?.(report);
} else {
  const runs = option('--runs', 5);
  const dir = mkdtempSync(join(tmpdir(), 'centinela-bench-'));
  const file = join(dir, 'exposition.txt');
  try {
    const series = generate(file, option('--series-per-family', 1000));
    const size = statSync(file).size;
    console.log(`exposition: ${(size / 1e6).toFixed(1)} MB, ${series} series, ${runs} runs per parser`);
    console.log(`node ${process.version}; each parser in a fresh child process\n`);
    const reports: ChildReport[] = [];
    for (const mode of ['baseline', 'full', 'probe'] as const) reports.push(await runChild(mode, file, runs));
    const base = reports[0] as ChildReport;
    console.log(
      'parser    wall median  wall min  CPU median  speed-up wall/CPU  results  RSS peak-start  heap after parse',
    );
    for (const r of reports) {
      const speedUp = `${(median(base.timesMs) / median(r.timesMs)).toFixed(1)}x / ${(median(base.cpuMs) / median(r.cpuMs)).toFixed(1)}x`;
      console.log(
        [
          r.mode.padEnd(9),
          `${median(r.timesMs).toFixed(0)} ms`.padEnd(12),
          `${Math.min(...r.timesMs).toFixed(0)} ms`.padEnd(9),
          `${median(r.cpuMs).toFixed(0)} ms`.padEnd(11),
          (r === base ? '-' : speedUp).padEnd(18),
          String(r.results).padEnd(8),
          mib(r.peakRssKiB - r.startRssKiB).padEnd(15),
          mib(r.heapAfterBytes / 1024),
        ].join(' '),
      );
    }
    console.log(
      '\nresults: baseline = metric objects it returns (a histogram series with its buckets is one); ours = samples handed' +
        ' to the handler.\nRSS peak-start: peak RSS of the child minus its RSS after loading modules, before parsing.',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
