// bench/rules.ts: rule evaluation at scale. 500 rules over 50 probes, 20 series each: 10,000 series per cycle,
// through the engine's loop (the rules alone: nobody paged) and a real SQLite state file (WAL), on a fake clock advancing 15 s per cycle.
//
//   npx tsx bench/rules.ts [--cycles 200] [--churn 0.01]
//   ./node_modules/.bin/node --expose-gc --import tsx bench/rules.ts   (heap figures after a full GC)
//
// Three phases, each printed with time per cycle (evaluate + commit), SQLite rows changed per cycle and heap:
//   quiet   every value moves but stays below its thresholds: nothing should be written
//   churn   each cycle 1 % (--churn) of the quiet series start breaching and 20 % of the breaching ones clear:
//           about 5 % of the series breach at any time, a few hundred change state per cycle
//   storm   every series breaches at once (one cycle), then everything clears (one cycle)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { FakeClock } from '../src/clock.js';
import { alertsFile } from '../src/config/schema.js';
import { Engine } from '../src/engine/loop.js';
import { DEFAULT_READING } from '../src/locale/locale.js';
import { compileAlerting } from '../src/rules/alerting.js';
import { openStore } from '../src/store/sqlite.js';
import type { ProbeRun, Sample } from '../src/types.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const CYCLES = arg('cycles', 200);
const CHURN = arg('churn', 0.01);
const PROBES = 50;
const RULES_PER_PROBE = 10;
const SERIES_PER_RULE = 20;

const probes = Array.from({ length: PROBES }, (_, p) => ({
  name: `p${p}`,
  kind: 'http',
  url: 'http://127.0.0.1:9/',
  every: '15s',
}));
const rules = probes.flatMap((probe, p) =>
  Array.from({ length: RULES_PER_PROBE }, (_, r) => ({
    name: `R${p}_${r}`,
    sample: `${probe.name}.m${r}`,
    op: '>',
    thresholds: { P1: 90, P2: 70 },
    clear_threshold: 60,
    summary: '{{ labels.series }} at {{ value | percent }}',
  })),
);
const { alerting } = compileAlerting(alertsFile.parse({ probes, rules }), DEFAULT_READING);
const dir = mkdtempSync(join(tmpdir(), 'centinela-bench-rules-'));
const store = openStore(join(dir, 'state.db'));
const clock = new FakeClock();
const engine = new Engine({ store, clock, log: pino({ level: 'silent' }), alerting });
const changes = store.db.prepare('SELECT total_changes()').pluck();

// breaching[i] says whether series i is above its thresholds; values wander below or above accordingly.
const total = PROBES * RULES_PER_PROBE * SERIES_PER_RULE;
const breaching = new Uint8Array(total);
let seed = 42;
const random = () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
  return seed / 2_147_483_648;
};

function runs(): ProbeRun[] {
  let i = 0;
  return probes.map((probe) => {
    const samples: Sample[] = [];
    for (let r = 0; r < RULES_PER_PROBE; r++) {
      for (let s = 0; s < SERIES_PER_RULE; s++, i++) {
        // Breaching values stay in the P2 band (70–90) so state changes, not priority moves, drive the writes.
        const value = breaching[i] ? 72 + random() * 16 : random() * 55;
        samples.push({ name: `${probe.name}.m${r}`, labels: { series: `s${s}` }, value });
      }
    }
    samples.push({ name: `${probe.name}.up`, labels: {}, value: 1 });
    return { probe: probe.name, up: true, samples, at: clock.now() };
  });
}

async function cycle(): Promise<{ ms: number; rows: number; events: number }> {
  const batch = runs();
  const before = changes.get() as number;
  const t0 = performance.now();
  const ev = engine.evaluate(batch);
  const ms = performance.now() - t0;
  await clock.advance(15_000);
  return { ms, rows: (changes.get() as number) - before, events: ev.events.length };
}

const pct = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? 0;
const mib = (n: number) => `${(n / 1_048_576).toFixed(1)} MiB`;

function report(name: string, results: { ms: number; rows: number; events: number }[]): void {
  const ms = results.map((r) => r.ms);
  const rows = results.map((r) => r.rows);
  const events = results.map((r) => r.events);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  globalThis.gc?.();
  console.log(
    `${name.padEnd(6)} ${String(results.length).padStart(4)} cycles  ` +
      `time/cycle median ${pct(ms, 0.5).toFixed(1)} ms, p95 ${pct(ms, 0.95).toFixed(1)} ms, max ${Math.max(...ms).toFixed(1)} ms  ` +
      `SQLite rows/cycle mean ${mean(rows).toFixed(1)}, max ${Math.max(...rows)}  ` +
      `events/cycle mean ${mean(events).toFixed(1)}  heap ${mib(process.memoryUsage().heapUsed)}${globalThis.gc ? ' (after GC)' : ''}`,
  );
}

console.log(
  `rules bench: ${rules.length} rules, ${PROBES} probes, ${total} series per cycle, SQLite WAL file, node ${process.version}`,
);
console.log('rows = SQLite total_changes() per cycle: instance upserts + history lines + the generation row\n');

await cycle(); // first sight of every series: identities, in-memory instances
const warm: { ms: number; rows: number; events: number }[] = [];
for (let c = 0; c < 10; c++) warm.push(await cycle());
report('warmup', warm);

const quiet: { ms: number; rows: number; events: number }[] = [];
for (let c = 0; c < CYCLES; c++) quiet.push(await cycle());
report('quiet', quiet);

const churn: { ms: number; rows: number; events: number }[] = [];
for (let c = 0; c < CYCLES; c++) {
  for (let i = 0; i < total; i++) {
    if (breaching[i] ? random() < 0.2 : random() < CHURN) breaching[i] = breaching[i] ? 0 : 1;
  }
  churn.push(await cycle());
}
report('churn', churn);
const firing = engine.alerts.listAlerts({ state: ['firing'] }).length;
console.log(`       (${firing} instances firing at the end)`);

breaching.fill(1);
const storm = [await cycle()];
breaching.fill(0);
storm.push(await cycle());
report('storm', storm);
console.log('       (cycle 1: every series fires; cycle 2: every series resolves)');

const rss = process.memoryUsage().rss;
console.log(
  `\nrss ${mib(rss)}; state file rows: ${store.db.prepare('SELECT count(*) FROM alert_instances').pluck().get()} instances, ${store.db.prepare('SELECT count(*) FROM alert_history').pluck().get()} history lines`,
);
engine.close();
store.close();
rmSync(dir, { recursive: true, force: true });
