// Bench: rate faults at 5 s probes (issue 14 goal 4). The shipped api_metrics probe and its two rate rules,
// ApiErrorRateHigh (> 5 % of requests 5xx: P1) and ApiLatencyHigh (P95 > 0.5 s: P1), with the probe at `--every`
// and the fast path confirming a breach over `after_failures` intervals in a row, for each count in `--after`. Prints
//  1. page: 20 % of requests failing, and +800 ms latency (P95 ≈ 0.8 s), from the fault to the alert firing (its
//     state change in the store; the fixture delivers with group_wait 0 s), and from the repair to its all-clear,
//     over trials whose fault lands at a random point of the scrape cycle: median and max;
//  2. soak: normal traffic (10 requests/s, 0.2 % errors, P95 ≈ 0.1 s) with short spikes (20 % errors or +800 ms,
//     alternately, 1 to `--spike-max` seconds long, one every 1 to 3 minutes), counting the pages (every one is
//     false: nothing is broken for longer than a spike), by spike length. The plan is the same for every count.
// The fake clock drives the whole daemon in the end-to-end harness (test/support/daemon.ts: the real probe,
// scheduler, engine, SQLite store and deliveries; only time is fake): an hour of soak takes minutes, so every count
// gets the same hour. The demo target draws each request in the mode of its own time (demo/target.ts), so a spike
// covers the share of an interval it lasted.
//
//   npx tsx bench/rate-faults.ts [--part page,soak] [--after 1,2,3] [--every 5s] [--trials 10] [--soak-minutes 60]
//                                [--spike-max 10s] [--seed 1]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type Document, parse } from 'yaml';
import type { FaultMode } from '../demo/target.js';
import { systemClock } from '../src/clock.js';
import { parseDuration } from '../src/duration.js';
import { editYamlFile, probesEvery } from '../test/support/config-timings.js';
import { type Daemon, seeded, startDaemon, startWorld, type World } from '../test/support/daemon.js';
import { type StateChange, stateChanges } from './support/alert-history.js';
import { load, median } from './support/process-usage.js';

const { values } = parseArgs({
  options: {
    part: { type: 'string', default: 'page,soak' },
    after: { type: 'string', default: '1,2,3' },
    every: { type: 'string', default: '5s' },
    trials: { type: 'string', default: '10' },
    'soak-minutes': { type: 'string', default: '60' },
    'spike-max': { type: 'string', default: '10s' },
    seed: { type: 'string', default: '1' },
  },
});
const every = parseDuration(values.every) ?? Number.NaN;
const spikeMax = parseDuration(values['spike-max']) ?? Number.NaN;
const counts = values.after.split(',').map(Number);
if (!(every >= 2_000) || !(spikeMax >= 1_000) || counts.some((n) => !Number.isInteger(n) || n < 1)) {
  throw new Error('--every needs 2s or more, --spike-max 1s or more, --after whole counts from 1, e.g. 1,2,3');
}
const RULES = ['ApiErrorRateHigh', 'ApiLatencyHigh'] as const;
type RateRule = (typeof RULES)[number];
const FAULTS: { name: string; mode: FaultMode; rule: RateRule }[] = [
  { name: '20 % of requests → 5xx', mode: 'errors', rule: 'ApiErrorRateHigh' },
  { name: '+800 ms latency (P95 ≈ 0.8 s)', mode: 'slow', rule: 'ApiLatencyHigh' },
];
const s = (ms: number) => (ms / 1000).toFixed(1);
const spread = (xs: number[]) => `${s(median(xs))} (${s(Math.min(...xs))}–${s(Math.max(...xs))})`;

/**
 * The fixture's alerts.yaml made the shipped api_metrics probe (at `every`, on the world's target) and the shipped
 * rate rules, their fast paths confirming over `after` intervals. Flapping detection is off, so every page counts.
 */
function rateConfig(doc: Document, after: number): void {
  const shipped = parse(readFileSync('config/alerts.yaml', 'utf8')) as {
    probes: Record<string, unknown>[];
    rules: { name: string; fast?: Record<string, unknown>; diagnose?: string[] }[];
  };
  const probe = shipped.probes.find((p) => p.name === 'api_metrics');
  const rules = shipped.rules.filter((r) => (RULES as readonly string[]).includes(r.name));
  if (!probe || rules.length !== RULES.length || rules.some((r) => !r.fast)) {
    throw new Error(`config/alerts.yaml has no api_metrics probe, or not ${RULES.join(' and ')} with a fast path`);
  }
  for (const rule of rules) {
    rule.diagnose = ['api_metrics'];
    (rule.fast as Record<string, unknown>).after_failures = after;
  }
  doc.set('probes', doc.createNode([{ ...probe, url: '${TARGET_URL}/metrics' }]));
  doc.set('rules', doc.createNode(rules));
  doc.setIn(['evaluation', 'flapping'], { changes: 100_000, window: '1h' });
  probesEvery(doc, values.every);
}

/** A fresh world (20 % errors in its `errors` fault) and daemon with the rate config. */
async function daemonWith(after: number, stepMs: number): Promise<{ world: World; d: Daemon }> {
  const world = await startWorld({}, undefined, { errorRate: 0.2 });
  editYamlFile(join(world.configDir, 'alerts.yaml'), (doc) => rateConfig(doc, after));
  // A run's result is evaluated at the end of the step it started in: the step is the resolution of the times.
  return { world, d: await startDaemon(world, { stepMs }) };
}

const firings = (d: Daemon): (StateChange & { rule: RateRule })[] =>
  RULES.flatMap((rule) => stateChanges(d, rule, 'firing').map((c) => ({ ...c, rule }))).sort((a, b) => a.at - b.at);

/** Fault → firing and repair → resolved for each trial, with the priorities it fired at. */
async function pageTimes(after: number, fault: (typeof FAULTS)[number], random: () => number) {
  const page: number[] = [];
  const clear: number[] = [];
  const priorities = new Set<string>();
  for (let i = 0; i < Number(values.trials); i++) {
    const { world, d } = await daemonWith(after, 100);
    try {
      // Warm-up: the 5-minute window and the interval both have scrapes; then a random point of the cycle.
      await d.advance(6 * every + random() * every);
      const faultAt = d.clock.now();
      world.target.setFault(fault.mode);
      await d.advanceUntil(
        () => stateChanges(d, fault.rule, 'firing').length > 0,
        300_000,
        () => `${fault.rule} never fired`,
      );
      const fired = stateChanges(d, fault.rule, 'firing')[0] as StateChange;
      page.push(fired.at - faultAt);
      priorities.add(fired.priority ?? '?');
      await d.advance(2 * every + random() * every);
      const fixedAt = d.clock.now();
      world.target.setFault('none');
      await d.advanceUntil(
        () => stateChanges(d, fault.rule, 'resolved').length > 0,
        600_000,
        () => `${fault.rule} never resolved`,
      );
      clear.push(((stateChanges(d, fault.rule, 'resolved')[0] as StateChange).at ?? Number.NaN) - fixedAt);
    } finally {
      await d.close();
      await world.close();
    }
  }
  return { page, clear, priorities: [...priorities] };
}

async function pages(): Promise<void> {
  const random = seeded(Number(values.seed));
  console.log(
    `page: api_metrics every ${values.every}, ${values.trials} trials each; fault → firing and repair → resolved, seconds ` +
      `(median, min–max); load average ${load()}`,
  );
  console.log('| fast.after_failures | fault | page | priority | all-clear |');
  console.log('|---|---|---|---|---|');
  for (const after of counts) {
    for (const fault of FAULTS) {
      const { page, clear, priorities } = await pageTimes(after, fault, random);
      console.log(`| ${after} | ${fault.name} | ${spread(page)} | ${priorities.join(', ')} | ${spread(clear)} |`);
    }
  }
}

/** One spike of the soak: a fault mode from `from` for `length` ms. */
interface Spike {
  from: number;
  length: number;
  mode: FaultMode;
}

/** Spikes from a minute after `start` to a minute before `end`, the same for a given seed. */
function spikePlan(start: number, end: number): Spike[] {
  const random = seeded(Number(values.seed));
  const plan: Spike[] = [];
  for (let at = start + 60_000; ; ) {
    const length = Math.round(1_000 + random() * (spikeMax - 1_000));
    if (at + length > end - 60_000) return plan;
    plan.push({ from: at, length, mode: plan.length % 2 === 0 ? 'errors' : 'slow' });
    at += length + Math.round(60_000 + random() * 120_000);
  }
}

/** Spike lengths in buckets of 2 s: `1-3 s` etc. */
const bucket = (length: number) => {
  const low = Math.floor((length - 1_000) / 2_000) * 2 + 1;
  return `${low}-${low + 2} s`;
};

async function soak(): Promise<void> {
  const minutes = Number(values['soak-minutes']);
  console.log(
    `\nsoak: ${minutes} min of fake time per count, api_metrics every ${values.every}; spikes of 20 % errors or ` +
      `+800 ms, alternately, 1 s to ${s(spikeMax)} s long, 1-3 min apart; load average ${load()}`,
  );
  const rows: string[] = [];
  let buckets: string[] = [];
  for (const after of counts) {
    const started = systemClock.now();
    // Steps of a second (the soak counts pages; spikes are switched at their own times in between).
    const { world, d } = await daemonWith(after, 1_000);
    let plan: Spike[] = [];
    let fired: (StateChange & { rule: RateRule })[] = [];
    let start = 0;
    try {
      start = d.clock.now();
      const end = start + minutes * 60_000;
      plan = spikePlan(start, end);
      for (const spike of plan) {
        await d.advance(spike.from - d.clock.now());
        world.target.setFault(spike.mode);
        await d.advance(spike.length);
        world.target.setFault('none');
      }
      await d.advance(end - d.clock.now());
      fired = firings(d);
    } finally {
      await d.close();
      await world.close();
    }
    // A page belongs to the spike it fired in or in the intervals after it (the scrapes that see it).
    const pagedBy = (spike: Spike) =>
      fired.some((f) => f.at >= spike.from && f.at <= spike.from + spike.length + 2 * every);
    const unexplained = fired
      .filter((f) => !plan.some((p) => f.at >= p.from && f.at <= p.from + p.length + 2 * every))
      .map((f) => `${f.rule} ${f.priority} at ${s(f.at - start)} s`);
    buckets = [...new Set(plan.map((p) => bucket(p.length)))].sort(
      (a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10),
    );
    const byBucket = buckets.map((b) => {
      const these = plan.filter((p) => bucket(p.length) === b);
      return `${these.filter(pagedBy).length}/${these.length}`;
    });
    const byRule = RULES.map((r) => `${fired.filter((f) => f.rule === r).length} ${r}`).join(', ');
    rows.push(
      `| ${after} | ${plan.length} | ${fired.length} (${byRule}) | ${unexplained.join(', ') || 'none'} | ${byBucket.join(' | ')} | ` +
        `${((systemClock.now() - started) / 1000).toFixed(0)} s |`,
    );
  }
  console.log(
    `| fast.after_failures | spikes | pages | pages no spike explains | ${buckets.map((b) => `paged spikes ${b}`).join(' | ')} | real time |`,
  );
  console.log(`|${' --- |'.repeat(5 + buckets.length)}`);
  for (const row of rows) console.log(row);
  console.log(`load average after: ${load()}`);
}

const parts = values.part.split(',');
if (parts.includes('page')) await pages();
if (parts.includes('soak')) await soak();
