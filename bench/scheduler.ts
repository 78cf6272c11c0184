// Bench: 1,000 `http` probes every 10 s against one loopback server (in its own process, so its CPU is not counted)
// for 60 s, on the real clock. Prints the CPU share of one core used by the scheduler and its probes, and the
// lateness of runs against their schedule (p50, p99, max). Goals from the issue: CPU < 30 %, p99 lateness < 100 ms.
//
//   npx tsx bench/scheduler.ts [--probes 1000] [--every 10s] [--seconds 60]
//   npm run bench -- scheduler [--probes 1000] [--every 10s] [--seconds 60]
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpus, loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pino } from 'pino';
import { systemClock } from '../src/clock.js';
import { probeConfig } from '../src/config/probes.js';
import { parseDuration } from '../src/duration.js';
import { Scheduler } from '../src/scheduler.js';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

const probes = Number(flag('--probes', '1000'));
const everyText = flag('--every', '10s');
const seconds = Number(flag('--seconds', '60'));
const every = parseDuration(everyText) ?? 10_000;

// The target: the runbook's health answer, from a separate Node process.
const server = spawn(
  process.execPath,
  [
    '-e',
    `require('node:http').createServer((q, s) => s.writeHead(200, { 'content-type': 'application/json' })
       .end('{"status":"healthy","environment":"production"}'))
       .listen(0, '127.0.0.1', function () { console.log(this.address().port) })`,
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const [portLine] = (await once(server.stdout as NodeJS.ReadableStream, 'data')) as [Buffer];
const url = `http://127.0.0.1:${portLine.toString().trim()}/api/v1/health`;

const configs = Array.from({ length: probes }, (_, i) =>
  probeConfig.parse({
    name: `api_health_${i}`,
    kind: 'http',
    url,
    every: everyText,
    timeout: '5s',
    expect: { json: { status: 'healthy' } },
  }),
);

const lateness: number[] = [];
let down = 0;
const scheduler = new Scheduler(configs, {
  clock: systemClock,
  log: pino({ level: 'warn' }),
  onResult: (_probe, result, _samples, _at, timing) => {
    lateness.push(timing.startedAt - timing.scheduledAt);
    if (!result.up) down++;
  },
});

// Event-loop delay tells a stalled process (GC, a busy machine) apart from runs the scheduler itself started late.
// Node samples it with a timer every LOOP_RESOLUTION_MS and records the whole gap; the figures below subtract it.
const LOOP_RESOLUTION_MS = 10;
const loopDelay = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
loopDelay.enable();
const cpuBefore = process.cpuUsage();
const wallBefore = performance.now();
scheduler.start();
await systemClock.sleep(seconds * 1000);
const cpu = process.cpuUsage(cpuBefore);
const wallMs = performance.now() - wallBefore;
loopDelay.disable();
await scheduler.stop(5_000);
server.kill();

const stats = [...scheduler.stats().values()];
const sorted = [...lateness].sort((a, b) => a - b);
const pct = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
const share = (cpu.user + cpu.system) / 1000 / wallMs;
const ms = (v: number) => `${v.toFixed(1)} ms`;
const beyond = (ns: number) => Math.max(0, ns / 1e6 - LOOP_RESOLUTION_MS);

console.log(`scheduler: ${probes} http probes every ${everyText} against one loopback server, ${seconds} s`);
console.log(`  machine            ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`);
console.log(`  runs delivered     ${lateness.length} (expected ≈ ${Math.round((probes * seconds * 1000) / every)})`);
console.log(`  down               ${down}`);
console.log(`  skipped (overlap)  ${stats.reduce((n, s) => n + s.skips, 0)}`);
console.log(
  `  CPU, one core      ${(share * 100).toFixed(1)} %   (user ${(cpu.user / 1e6).toFixed(2)} s, system ${(cpu.system / 1e6).toFixed(2)} s over ${(wallMs / 1000).toFixed(1)} s)`,
);
console.log(`  lateness           p50 ${ms(pct(0.5))}, p99 ${ms(pct(0.99))}, max ${ms(sorted.at(-1) ?? Number.NaN)}`);
console.log(
  `  event-loop delay   p50 ${ms(beyond(loopDelay.percentile(50)))}, p99 ${ms(beyond(loopDelay.percentile(99)))}, ` +
    `max ${ms(beyond(loopDelay.max))}   (machine load average ${loadavg()[0]?.toFixed(1)})`,
);
console.log(`  RSS at end         ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
