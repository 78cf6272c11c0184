// Bench: how many lines of Caddy's JSON access log the caddy_access_log probe gets through per second. Two figures,
// each the median of several trials: parsing and counting alone (parseAccessLine + AccessTally, in memory), and a
// whole probe run over a real file (reading it from disk with the byte budget, parsing, counting, samples and
// detail). The traffic: 90 % 200s from 5,000 client IPs, 8 % 401/403 from 20 IPs, 2 % 5xx, over 50 routes with ids.
//
//   npx tsx bench/caddy-access-log.ts [--lines 200000] [--trials 5]
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { FakeClock } from '../src/clock.js';
import { caddyAccessLogProbe } from '../src/config/probes.js';
import { AccessTally, parseAccessLine } from '../src/probes/access-tally.js';
import caddyAccessLog from '../src/probes/caddy-access-log.js';
import { caddyLine } from '../test/support/caddy-access.js';

const { values } = parseArgs({
  options: { lines: { type: 'string', default: '200000' }, trials: { type: 'string', default: '5' } },
});
const count = Number(values.lines);
const trials = Number(values.trials);

function traffic(n: number): string[] {
  return Array.from({ length: n }, (_, i) => {
    const r = i % 100;
    if (r < 8) return caddyLine(`203.0.113.${i % 20}`, i % 2 ? 401 : 403);
    if (r < 10) return caddyLine(`198.51.100.${i % 200}`, 502, `/api/v1/tasks/${i}`);
    return caddyLine(`10.${(i >> 16) & 255}.${(i >> 8) & 19}.${i % 250}`, 200, `/api/v1/route${i % 50}/${i}`);
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const lines = traffic(count);
const bytes = lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);

// One unmeasured pass first, so the first trial is not the one that pays for the JIT.
const warm = new AccessTally();
for (const l of lines.slice(0, 20_000)) warm.add(parseAccessLine(l));

const inMemory: number[] = [];
for (let t = 0; t < trials; t++) {
  const started = performance.now();
  const tally = new AccessTally();
  for (const l of lines) tally.add(parseAccessLine(l));
  tally.samples(10, 60_000);
  inMemory.push(count / ((performance.now() - started) / 1000));
}

const dir = await mkdtemp(join(tmpdir(), 'centinela-bench-caddy-'));
const path = join(dir, 'access.log');
const text = `${lines.join('\n')}\n`;
const fromFile: number[] = [];
try {
  for (let t = 0; t < trials; t++) {
    await writeFile(path, '');
    const clock = new FakeClock();
    const config = caddyAccessLogProbe.parse({
      name: 'caddy_access',
      kind: 'caddy_access_log',
      every: '1m',
      file: path,
      max_bytes: bytes + 1,
    });
    const probe = caddyAccessLog.create(config, { log: pino({ level: 'silent' }), clock });
    const ctx = { signal: new AbortController().signal, clock, log: pino({ level: 'silent' }) };
    await probe.run(ctx);
    await appendFile(path, text);
    await clock.advance(60_000);
    const started = performance.now();
    const result = await probe.run(ctx);
    fromFile.push(count / ((performance.now() - started) / 1000));
    if (!result.up) throw new Error(result.reason);
    await probe.close?.();
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}

const fmt = (n: number) => Math.round(n).toLocaleString('en');
console.log(
  `caddy_access_log: ${fmt(count)} lines (${(bytes / 1_048_576).toFixed(1)} MiB), median of ${trials} trials`,
);
console.log(
  `  parse + count in memory:      ${fmt(median(inMemory))} lines/s  (trials: ${inMemory.map(fmt).join(', ')})`,
);
console.log(
  `  probe run over a real file:   ${fmt(median(fromFile))} lines/s  (trials: ${fromFile.map(fmt).join(', ')})`,
);
console.log(
  `  load average: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} (node ${process.version})`,
);
