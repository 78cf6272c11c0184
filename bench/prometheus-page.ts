// Bench (issue 17): time from a target breaking to centinela's page, when a real Prometheus (Debian's) is the one
// watching it and centinela is its only Alertmanager. Prometheus scrapes one loopback /metrics target and has one
// alerting rule on it (`up == 0` with `for`, label priority P0); its `alerting.alertmanagers` points at `centinela run`
// (a child process on the system clock, the e2e fixture config with a `prometheus` source that may page P0), whose P0
// level emails on-call through the in-process SMTP sink. Each trial breaks the target (its port refuses) at a random
// point of the scrape cycle, waits for the page, fixes it, and waits for the resolution mail. One daemon and one
// Prometheus serve every trial; each trial breaks a target of its own, so each is an alert of its own (instance): the
// same alert firing and resolving again and again would be flapping by the fourth trial (evaluation.flapping).
//
//   npx tsx bench/prometheus-page.ts [--trials 5] [--interval 2s] [--for 4s]
//
// Printed per trial and as medians (min–max): broken → Prometheus firing (the timestamp of the evaluation that found
// it firing, from its ALERTS series), firing → page at the SMTP receiver (polled every millisecond), broken → page,
// fixed → Prometheus inactive (its /api/v1/alerts, polled every 25 ms), fixed → resolution mail; with the scrape and
// evaluation interval, the rule's `for`, and the load average.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { systemClock } from '../src/clock.js';
import { parseDuration } from '../src/duration.js';
import { addPrometheusSource, spawnDaemon, startWorld, type World } from '../test/support/daemon.js';
import { type Prometheus, startPrometheus, startScrapeTarget } from '../test/support/prometheus.js';
import { load, median } from './support/process-usage.js';

const { values } = parseArgs({
  options: {
    trials: { type: 'string', default: '5' },
    interval: { type: 'string', default: '2s' },
    for: { type: 'string', default: '4s' },
  },
});
const trials = Number(values.trials);
const intervalMs = parseDuration(values.interval) ?? Number.NaN;
const forMs = parseDuration(values.for) ?? Number.NaN;
if (!(trials > 0) || !(intervalMs > 0) || !(forMs >= 0)) {
  throw new Error('bench/prometheus-page.ts: --trials N (1 or more), --interval and --for as durations (2s, 1m)');
}
const TOKEN = 'bench-prometheus-token-0123456789';

const sleep = (ms: number) => systemClock.sleep(ms);
const now = () => systemClock.now();
const s = (ms: number) => `${(ms / 1000).toFixed(3)} s`;
/** Polls `done` every `everyMs` until it holds; the time it was first seen to hold. */
async function when(done: () => boolean | Promise<boolean>, everyMs: number, within: number, what: string) {
  const deadline = now() + within;
  while (!(await done())) {
    if (now() > deadline) throw new Error(`bench/prometheus-page.ts: ${what} within ${within / 1000} s`);
    await sleep(everyMs);
  }
  return now();
}

/** AppDown mails received so far: pages (a P0 page is sent with high priority) or resolutions (normal). */
const mails = (world: World, kind: 'page' | 'resolution') =>
  world.smtp.received.filter(
    (m) =>
      String(m.mail.headers.get('x-centinela-alerts')).includes('AppDown') &&
      (m.mail.headers.get('priority') === 'high') === (kind === 'page'),
  ).length;

const appDown = async (p: Prometheus, instance: string) =>
  (await p.alerts()).find((a) => a.labels.alertname === 'AppDown' && a.labels.instance === instance);

/**
 * When Prometheus' evaluation found AppDown on `instance` firing, after `since` (epoch ms): the first sample of its
 * ALERTS series in state firing, which carries the evaluation's own timestamp (it notifies at the end of it).
 */
async function firedAt(p: Prometheus, instance: string, since: number): Promise<number> {
  const query = encodeURIComponent(`ALERTS{alertname="AppDown",alertstate="firing",instance="${instance}"}[10m]`);
  const body = (await (await fetch(`${p.url}/api/v1/query?query=${query}`)).json()) as {
    data: { result: { values: [number, string][] }[] };
  };
  const times = (body.data.result[0]?.values ?? []).map(([t]) => t * 1000).filter((t) => t >= since);
  if (times.length === 0) throw new Error('bench/prometheus-page.ts: no firing sample of ALERTS after the break');
  return Math.min(...times);
}

const world = await startWorld({ PROM_TOKEN: TOKEN });
addPrometheusSource(world, '    page_p0: true\n');
const daemon = await spawnDaemon(world);
const targets = await Promise.all(Array.from({ length: trials }, () => startScrapeTarget()));
const prometheus = await startPrometheus({
  dir: join(world.dir, 'prometheus'),
  interval: values.interval,
  rules: [
    '      - alert: AppDown',
    '        expr: up{job="app"} == 0',
    `        for: ${values.for}`,
    '        labels: { priority: P0 }',
    '        annotations: { summary: "app at {{ $labels.instance }} is down" }',
  ],
  targets: targets.map((t) => t.address),
  alertmanager: { address: new URL(daemon.url).host, token: TOKEN },
});
console.log(
  `Prometheus → centinela → SMTP: scrape and evaluation interval ${values.interval}, rule for ${values.for}, ${trials} trials`,
);
console.log(`load average at the start: ${load()}`);

/** What each trial measures, and how it is printed. */
const STEPS = {
  firing: 'broken → Prometheus firing',
  page: 'firing → centinela page (SMTP)',
  broken: 'broken → page',
  inactive: 'fixed → Prometheus inactive',
  resolved: 'fixed → resolution mail',
} as const;
type Row = Record<keyof typeof STEPS, number>;
const rows: Row[] = [];
// Long enough for any step: Prometheus' scrape, evaluation and `for`, then delivery.
const within = 4 * intervalMs + forMs + 60_000;
try {
  for (const [i, target] of targets.entries()) {
    // Prometheus has scraped the target up, and the break lands anywhere in its scrape cycle.
    await sleep(2 * intervalMs + Math.random() * intervalMs);
    const pages = mails(world, 'page');
    const resolutions = mails(world, 'resolution');
    const broken = now();
    await target.stop();
    const pagedAt = await when(() => mails(world, 'page') > pages, 1, within, 'no page at the SMTP receiver');
    const firingAt = await firedAt(prometheus, target.address, broken);
    const fixed = now();
    await target.serve();
    const [inactiveAt, resolvedAt] = await Promise.all([
      when(
        async () => (await appDown(prometheus, target.address)) === undefined,
        25,
        within,
        'Prometheus kept AppDown',
      ),
      when(() => mails(world, 'resolution') > resolutions, 1, within, 'no resolution mail'),
    ]);
    const row = {
      firing: firingAt - broken,
      page: pagedAt - firingAt,
      broken: pagedAt - broken,
      inactive: inactiveAt - fixed,
      resolved: resolvedAt - fixed,
    };
    rows.push(row);
    const steps = Object.entries(STEPS).map(([key, name]) => `${name} ${s(row[key as keyof Row])}`);
    console.log(`  trial ${i + 1}: ${steps.join(', ')}`);
  }
} finally {
  await prometheus.stop();
  daemon.kill('SIGTERM');
  await daemon.exited;
  await Promise.all(targets.map((t) => t.stop()));
  await world.close();
}

console.log(`\nmedian (min – max) of ${trials} trials:`);
for (const [key, name] of Object.entries(STEPS) as [keyof Row, string][]) {
  const xs = rows.map((r) => r[key]);
  console.log(`  ${name.padEnd(32)} ${s(median(xs))}  (${s(Math.min(...xs))} – ${s(Math.max(...xs))})`);
}
console.log(
  `  bound of broken → firing: the next scrape (≤ ${values.interval}), the next evaluation (≤ ${values.interval}), then ${values.for} of for`,
);
console.log(`  load average at the end: ${load()}`);
