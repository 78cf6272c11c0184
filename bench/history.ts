// bench/history.ts: what the status page's history costs on disk and per write. A day at the shipped intervals, through
// the engine's loop and a real SQLite state file (WAL), on a fake clock: `--probes` probes run every 15 s, each run
// carrying `--series` watched series (the shipped config watches about 45 in all), with state.history at its defaults
// (90 runs per probe, one point a minute kept a day).
//
//   npx tsx bench/history.ts [--probes 14] [--series 45] [--hours 24] [--trials 3]
//
// Prints, per trial, the state file's size once the rings are full (after a VACUUM) and the engine's time per run
// batch (median and p95), then the medians over the trials and the load average.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { FakeClock } from '../src/clock.js';
import { alertsFile } from '../src/config/schema.js';
import { Engine } from '../src/engine/loop.js';
import { DEFAULT_READING } from '../src/locale/locale.js';
import { compileAlerting } from '../src/rules/alerting.js';
import { openStore } from '../src/store/sqlite.js';
import type { ProbeRun } from '../src/types.js';
import { load, median, mib, quantile } from './support/process-usage.js';

const { values } = parseArgs({
  options: {
    probes: { type: 'string', default: '14' },
    series: { type: 'string', default: '45' },
    hours: { type: 'string', default: '24' },
    trials: { type: 'string', default: '3' },
  },
});
const PROBES = Number(values.probes);
const SERIES = Number(values.series);
const HOURS = Number(values.hours);
const TRIALS = Number(values.trials);
const EVERY = 15_000;

const probes = Array.from({ length: PROBES }, (_, p) => ({
  name: `p${p}`,
  kind: 'http',
  url: 'http://127.0.0.1:9/',
  every: '15s',
}));
// One rule per watched series, spread over the probes: each series is its own sample with a label.
const rules = Array.from({ length: SERIES }, (_, s) => ({
  name: `R${s}`,
  sample: `p${s % PROBES}.m${s}`,
  op: '>',
  thresholds: { P2: 1e9 },
  summary: '{{ value | percent }}',
}));
const { alerting } = compileAlerting(alertsFile.parse({ probes, rules }), DEFAULT_READING);

function trial(): { bytes: number; ms: number[] } {
  const dir = mkdtempSync(join(tmpdir(), 'centinela-bench-history-'));
  const path = join(dir, 'state.db');
  const store = openStore(path);
  const clock = new FakeClock();
  const engine = new Engine({ store, clock, log: pino({ level: 'silent' }), alerting });
  const ms: number[] = [];
  for (let t = 0; t < (HOURS * 3_600_000) / EVERY; t++) {
    const at = clock.now() + t * EVERY;
    const runs: ProbeRun[] = probes.map((probe, p) => ({
      probe: probe.name,
      up: t % 97 !== p,
      at,
      samples: [
        ...rules
          .filter((_, s) => s % PROBES === p)
          .map((r, i) => ({ name: r.sample, labels: { series: String(i) }, value: (t * 7 + i) % 100 })),
        { name: `${probe.name}.up`, labels: {}, value: 1 },
        { name: `${probe.name}.duration_seconds`, labels: {}, value: 0.05 },
      ],
    }));
    const t0 = performance.now();
    engine.evaluate(runs);
    ms.push(performance.now() - t0);
  }
  engine.close();
  store.db.exec('VACUUM');
  store.close();
  const bytes = statSync(path).size;
  rmSync(dir, { recursive: true, force: true });
  return { bytes, ms };
}

console.log(
  `history bench: ${PROBES} probes every 15 s, ${SERIES} watched series, ${HOURS} h, defaults (90 runs, 1m step, 24h keep), node ${process.version}`,
);
const sizes: number[] = [];
const medians: number[] = [];
for (let i = 0; i < TRIALS; i++) {
  const { bytes, ms } = trial();
  sizes.push(bytes);
  medians.push(median(ms));
  console.log(
    `trial ${i + 1}: state file ${mib(bytes)} MiB; time per batch of ${PROBES} runs median ${median(ms).toFixed(3)} ms, p95 ${quantile(ms, 0.95).toFixed(3)} ms`,
  );
}
console.log(
  `median of ${TRIALS}: state file ${mib(median(sizes))} MiB, time per batch ${median(medians).toFixed(3)} ms; load average ${load()}`,
);
