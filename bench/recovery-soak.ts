// Bench: confirmed recovery (issue 14 goal 3). ApiDown over a loopback health endpoint, resolved by
// `after_successes` good checks in a row, its probe re-run every `retry_every` while it fires. Prints
//  1. fake clock: the time from the API answering healthy again to ApiDown resolved (its state change in the store),
//     with every: 5s, after_failures: 3, retry_every: 1s, after_successes: 3 (test/fixtures/daemon), over trials whose
//     recovery lands at a random point of the probe's cycle: median, p95, max;
//  2. the same for ApiDown and api_health as config/alerts.yaml ships them, and as they were shipped before
//     after_successes (clear_for: 1m, no re-checks while firing);
//  3. real clock: `demo/config` (every: 5s, retry_every: 1s, after_successes: 3) in-process on the system clock against
//     demo/target.ts, the time from the repair to the all-clear at the demo sink (delivery included);
//  4. a flapping soak on the fake clock (an hour in about a minute): outages of 30 s to 3 min between healthy stretches
//     of 2 to 6 min; while healthy 1 check in 20 fails, while out 1 check in 20 answers healthy (a crash-looping API).
//     It counts pages, false pages (fired while healthy), all-clears, false all-clears (resolved while the outage is
//     on) and the all-clear's delay after each outage, with after_successes: 3 and, for contrast, 1 (the first good
//     check resolves). Flapping detection is turned off there, so that every fire and resolve is counted.
// Each fake-clock trial is a fresh daemon and state file in the end-to-end harness (test/support/daemon.ts: the real
// probe, scheduler, engine, SQLite store and webhook/SMTP deliveries; only time is fake).
//
//   npx tsx bench/recovery-soak.ts [--part fake,shipped,real,soak] [--trials 20] [--real-trials 8] [--soak-minutes 60] [--seed 1]
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type Document, parse } from 'yaml';
import { systemClock } from '../src/clock.js';
import { parseDuration } from '../src/duration.js';
import { editYamlFile } from '../test/support/config-timings.js';
import { type Daemon, seeded, startDaemon, startWorld, type World } from '../test/support/daemon.js';
import { startHttpTarget } from '../test/support/http-target.js';
import { stateChanges } from './support/alert-history.js';
import { startDemoBench } from './support/demo-daemon.js';
import { load, median, quantile } from './support/process-usage.js';

const { values } = parseArgs({
  options: {
    part: { type: 'string', default: 'fake,shipped,real,soak' },
    trials: { type: 'string', default: '20' },
    'real-trials': { type: 'string', default: '8' },
    'soak-minutes': { type: 'string', default: '60' },
    seed: { type: 'string', default: '1' },
  },
});
const trials = Number(values.trials);
const random = seeded(Number(values.seed));
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const spread = (xs: readonly number[]) =>
  xs.length === 0
    ? 'none'
    : `median ${s(median(xs))}, p95 ${s(quantile(xs, 0.95))}, max ${s(Math.max(...xs))} (min ${s(Math.min(...xs))})`;

/** ApiDown's and api_health's keys that decide the all-clear; undefined removes a key. */
interface Timing {
  every: string;
  timeout: string;
  after_failures: number;
  retry_every: string | undefined;
  after_successes: number | undefined;
  clear_for: string | undefined;
}

/** The fixture daemon's config with ApiDown and api_health (the first rule and probe) set to `t`. */
function applyTiming(doc: Document, t: Timing): void {
  doc.setIn(['probes', 0, 'every'], t.every);
  doc.setIn(['probes', 0, 'timeout'], t.timeout);
  for (const key of ['after_failures', 'retry_every', 'after_successes', 'clear_for'] as const) {
    if (t[key] === undefined) doc.deleteIn(['rules', 0, key]);
    else doc.setIn(['rules', 0, key], t[key]);
  }
}

/** ApiDown's state changes to `what` (firing, resolved), in fake epoch ms. */
const apiDown = (d: Daemon, what: 'firing' | 'resolved'): number[] => stateChanges(d, 'ApiDown', what).map((c) => c.at);

/** A fresh world and daemon over the fixture, ApiDown timed by `t`; `edit` changes the config further. */
async function daemonWith(t: Timing, env: Record<string, string> = {}, edit = (_: Document) => {}) {
  const world = await startWorld(env);
  editYamlFile(join(world.configDir, 'alerts.yaml'), (doc) => {
    applyTiming(doc, t);
    edit(doc);
  });
  const d = await startDaemon(world);
  return { world, d };
}

/** Fake clock: break the API, wait for ApiDown, repair at a random point of the cycle; repair → resolved, per trial. */
async function allClearTimes(t: Timing): Promise<number[]> {
  const every = parseDuration(t.every) ?? 0;
  const times: number[] = [];
  for (let i = 0; i < trials; i++) {
    const { world, d } = await daemonWith(t);
    try {
      await d.advance(every + random() * every);
      world.target.setFault('down');
      await d.advanceUntil(
        () => apiDown(d, 'firing').length > 0,
        120_000,
        () => 'ApiDown never fired',
      );
      await d.advance(random() * every);
      const fixedAt = d.clock.now();
      world.target.setFault('none');
      await d.advanceUntil(
        () => apiDown(d, 'resolved').length > 0,
        600_000,
        () => 'ApiDown never resolved',
      );
      times.push((apiDown(d, 'resolved')[0] ?? Number.NaN) - fixedAt);
    } finally {
      await d.close();
      await world.close();
    }
  }
  return times;
}

const describe = (t: Timing) =>
  `every ${t.every}, after_failures ${t.after_failures}, retry_every ${t.retry_every ?? '-'}, ` +
  `after_successes ${t.after_successes ?? '-'}, clear_for ${t.clear_for ?? '-'}`;

async function fake(): Promise<void> {
  const t: Timing = {
    every: '5s',
    timeout: '2s',
    after_failures: 3,
    retry_every: '1s',
    after_successes: 3,
    clear_for: undefined,
  };
  const times = await allClearTimes(t);
  console.log(`fake clock, repair → ApiDown resolved (${describe(t)}), ${trials} trials:`);
  console.log(`  ${spread(times)}   (goal: within 3 s)`);
  console.log(
    '  bound: the next check ≤ retry_every after the repair, then after_successes − 1 re-checks retry_every apart',
  );
}

/** ApiDown and api_health as config/alerts.yaml ships them. */
function shippedTiming(): Timing {
  const alerts = parse(readFileSync('config/alerts.yaml', 'utf8')) as {
    probes: { name: string; every: string; timeout: string }[];
    rules: {
      name: string;
      after_failures?: number;
      retry_every?: string;
      after_successes?: number;
      clear_for?: string;
    }[];
  };
  const probe = alerts.probes.find((p) => p.name === 'api_health');
  const rule = alerts.rules.find((r) => r.name === 'ApiDown');
  if (!probe || !rule) throw new Error('config/alerts.yaml has no api_health probe or ApiDown rule');
  return {
    every: probe.every,
    timeout: probe.timeout,
    after_failures: rule.after_failures ?? 1,
    retry_every: rule.retry_every,
    after_successes: rule.after_successes,
    clear_for: rule.clear_for,
  };
}

async function shipped(): Promise<void> {
  const now = shippedTiming();
  const before: Timing = { ...now, after_successes: undefined, clear_for: '1m' };
  for (const [name, t] of [
    ['before after_successes', before],
    ['as shipped', now],
  ] as const) {
    const times = await allClearTimes(t);
    console.log(`fake clock, ApiDown ${name} (${describe(t)}), repair → resolved, ${trials} trials:`);
    console.log(`  ${spread(times)}`);
  }
}

async function real(): Promise<void> {
  const n = Number(values['real-trials']);
  const demo = await startDemoBench();
  const sleep = (ms: number) => systemClock.sleep(ms);
  const until = async (done: () => boolean, what: string) => {
    const deadline = systemClock.now() + 60_000;
    while (!done()) {
      if (systemClock.now() > deadline) throw new Error(`no ${what} within 60 s`);
      await sleep(10);
    }
  };
  const times: number[] = [];
  const loadBefore = load();
  try {
    for (let i = 0; i < n; i++) {
      demo.target.setFault('none');
      const daemon = await demo.daemon();
      try {
        await sleep(6_000);
        const paged = demo.pages('firing').length;
        demo.target.setFault('down');
        await until(() => demo.pages('firing').length > paged, 'page');
        await sleep(random() * 5_000);
        const cleared = demo.pages('resolved').length;
        const fixedAt = systemClock.now();
        demo.target.setFault('none');
        await until(() => demo.pages('resolved').length > cleared, 'all-clear');
        times.push((demo.pages('resolved').at(-1)?.at ?? Number.NaN) - fixedAt);
      } finally {
        await daemon.close();
      }
    }
  } finally {
    await demo.close();
  }
  console.log(
    `real clock, demo/config (every 5s, after_failures 3, retry_every 1s, after_successes 3), repair → all-clear at the sink, ${n} trials:`,
  );
  console.log(`  ${spread(times)}   (goal: within 3 s; load average ${loadBefore} → ${load()})`);
}

/** A stretch of the soak: the API out (every check fails but 1 in 20) or healthy (1 check in 20 fails). */
interface Stretch {
  from: number;
  to: number;
  out: boolean;
}

/** Healthy stretches and outages from `start` to `end`; the last outage ends a minute before `end` or earlier. */
function soakPlan(start: number, end: number): Stretch[] {
  const plan: Stretch[] = [];
  let at = start;
  for (;;) {
    const healthy = Math.round(120_000 + random() * 240_000);
    const out = Math.round(30_000 + random() * 150_000);
    if (at + healthy + out > end - 60_000) break;
    plan.push({ from: at, to: at + healthy, out: false });
    plan.push({ from: at + healthy, to: at + healthy + out, out: true });
    at += healthy + out;
  }
  plan.push({ from: at, to: end, out: false });
  return plan;
}

async function soak(): Promise<void> {
  const minutes = Number(values['soak-minutes']);
  for (const afterSuccesses of [3, 1]) {
    let plan: Stretch[] = [];
    let checks = 0;
    const clock = { now: () => 0 };
    const stretchAt = (at: number) => plan.find((p) => at >= p.from && at < p.to);
    const flaky = await startHttpTarget({
      routes: {
        '/api/v1/health': (_req: IncomingMessage, res: ServerResponse) => {
          checks++;
          const odd = random() < 1 / 20;
          const healthy = stretchAt(clock.now())?.out ? odd : !odd;
          res
            .writeHead(healthy ? 200 : 503, { 'content-type': 'application/json' })
            .end(JSON.stringify({ status: healthy ? 'healthy' : 'unhealthy' }));
        },
      },
    });
    const t: Timing = {
      every: '5s',
      timeout: '2s',
      after_failures: 3,
      retry_every: '1s',
      after_successes: afterSuccesses,
      clear_for: undefined,
    };
    const { world, d }: { world: World; d: Daemon } = await daemonWith(t, { HEALTH_URL: flaky.url }, (doc) => {
      doc.setIn(['probes', 0, 'url'], '${HEALTH_URL}/api/v1/health');
      doc.setIn(['evaluation', 'flapping'], { changes: 100_000, window: '1h' });
    });
    clock.now = () => d.clock.now();
    const started = systemClock.now();
    const end = d.clock.now() + minutes * 60_000;
    let fired: number[] = [];
    let resolved: number[] = [];
    try {
      plan = soakPlan(d.clock.now(), end);
      await d.advance(minutes * 60_000);
      fired = apiDown(d, 'firing');
      resolved = apiDown(d, 'resolved');
    } finally {
      await d.close();
      await world.close();
      await flaky.close();
    }
    const outages = plan.filter((p) => p.out);
    // A page belongs to the outage it fired in, or fired confirming in the seconds after its end.
    const falsePages = fired.filter((at) => !outages.some((o) => at >= o.from && at < o.to + 5_000));
    const falseClears = resolved.filter((at) => stretchAt(at)?.out === true);
    // The all-clear of an outage: the first resolve after its end, before the next outage (none if it never paged).
    const delays = outages.flatMap((o) => {
      const paged = fired.some((at) => at >= o.from && at < o.to);
      const nextOut = outages.find((n) => n.from > o.from)?.from ?? end;
      const next = resolved.find((at) => at >= o.to && at < nextOut);
      return paged && next !== undefined ? [next - o.to] : [];
    });
    console.log(
      `soak, fake clock, ${minutes} min (${describe(t)}; healthy 2-6 min failing 1 check in 20, outages 0.5-3 min ` +
        `answering 1 check in 20 healthy), ${((systemClock.now() - started) / 1000).toFixed(0)} s real time:`,
    );
    console.log(
      `  ${outages.length} outages, ${checks} checks; ${fired.length} pages (${falsePages.length} while healthy), ` +
        `${resolved.length} all-clears, ${falseClears.length} false (resolved while the outage was on)`,
    );
    console.log(`  all-clear after each outage's end: ${spread(delays)}`);
  }
}

const parts = values.part.split(',');
if (parts.includes('fake')) await fake();
if (parts.includes('shipped')) await shipped();
if (parts.includes('real')) await real();
if (parts.includes('soak')) await soak();
