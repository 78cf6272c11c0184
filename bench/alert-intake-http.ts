// bench/alert-intake-http.ts: alerts received through POST /api/v2/alerts, as Prometheus' notifier sends them
// (batches of 64, one request after the other), to an in-process daemon (the e2e fixture with a `prometheus` source)
// listening on loopback, on a real SQLite state file. A 100 ms timer in the daemon's event loop stands in for the
// probe scheduler: its worst lateness says whether probes keep their pace while alerts come in.
//
//   npx tsx bench/alert-intake-http.ts [--open 15000] [--singles 20] [--burst 10000] [--group-wait 0s]
//                                      [--phases intake] [--resolve 10000] [--trials 3] [--silenced]
//                                      [--besides 0] [--ways one,batches,expiry] [--viewers 3]
//
// `--phases intake,resolve,page` runs the three phases (intake alone by default).
//
// Printed for the intake phase: alerts/s and worst timer lateness while `--open` new alerts arrive, then while they are
// all resent; then the latency (median, max) of a one-alert POST and of an empty POST (`[]`) with that many open; then
// `--burst` new alerts in one POST (10,000 is the most one takes): its answer time and the timer's worst lateness.
//
// For the resolve phase, each of `--trials` times on a new daemon per way: `--resolve` alerts are opened (in POSTs of
// 64), then all resolved, three ways: resent with endsAt in the past in one POST, the same in POSTs of 64, and left to
// expire (their endsAt passes at once, with no resend: the fake clock moves past it and the daemon resolves them in
// parts). Printed per way, medians of the trials: the answer time (for expiry, until the last is resolved), alerts/s,
// and the timer's worst lateness (`--ways` picks which of one, batches and expiry). With `--silenced`, a silence (job=node, 50 minutes) holds them all from the start:
// each is an incident held back, and its resolution still goes to nobody paged. With `--besides N`, N other alerts
// are opened first and stay open throughout: a resolution should cost what it resolves, not what is open.
//
// For the page phase: `--open` alerts are opened (in POSTs of 64), each paging, so each is an incident of the last 7
// days too; then the status page (GET /) is loaded `--trials` times by one viewer, then `--trials` times by
// `--viewers` at once (as that many browsers refreshing it). Printed: the page's size, the median and worst answer
// time, and the timer's worst lateness meanwhile.
//
// Every new alert pages (P2, the webhook sink). The fixture's escalation.yaml has `group_wait: 0s`: every page is due
// at once, so the worker sends a message per group for nearly every alert while they arrive (the worst case).
// `--group-wait 30s` (the default of escalation.yaml) sends a group's first page at once and holds the rest for
// group_wait, which the fake clock never reaches here: intake with delivery as a default config does it in a storm.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { TICK_MS } from '../src/engine/loop.js';
import { type SourceDaemon, startSourceDaemon, WRITE_TOKEN } from '../test/support/daemon.js';
import { load, median } from './support/process-usage.js';
import { watchTimer } from './support/timer-lateness.js';

const { values } = parseArgs({
  options: {
    open: { type: 'string', default: '15000' },
    singles: { type: 'string', default: '20' },
    burst: { type: 'string', default: '10000' },
    'group-wait': { type: 'string', default: '0s' },
    phases: { type: 'string', default: 'intake' },
    resolve: { type: 'string', default: '10000' },
    trials: { type: 'string', default: '3' },
    silenced: { type: 'boolean', default: false },
    besides: { type: 'string', default: '0' },
    ways: { type: 'string', default: 'one,batches,expiry' },
    viewers: { type: 'string', default: '3' },
  },
});
const OPEN = Number(values.open);
const SINGLES = Number(values.singles);
const BURST = Number(values.burst);
const RESOLVE = Number(values.resolve);
const TRIALS = Number(values.trials);
const BESIDES = Number(values.besides);
const VIEWERS = Number(values.viewers);
if (![OPEN, SINGLES, BURST, RESOLVE, TRIALS, VIEWERS].every((n) => Number.isInteger(n) && n > 0) || !(BESIDES >= 0)) {
  throw new Error(
    'bench/alert-intake-http.ts: --open, --singles, --burst, --resolve, --trials and --viewers take a whole number, 1 or more',
  );
}
const PHASES = values.phases.split(',');
const unknownPhase = PHASES.find((p) => p !== 'intake' && p !== 'resolve' && p !== 'page');
if (unknownPhase !== undefined)
  throw new Error(`bench/alert-intake-http.ts: --phases takes intake, resolve and page, not "${unknownPhase}"`);
const BATCH = 64;
const TOKEN = 'bench-prometheus-token-0123456789';

const alert = (now: number, i: number, tag: string, endsAt = now + 10 * 60_000) => ({
  labels: { alertname: `Rule${i % 50}`, instance: `host-${tag}-${i}:9100`, job: 'node', severity: 'warning' },
  annotations: { summary: `instance host-${i} is slow`, description: 'p95 latency above 2s for 5 minutes' },
  startsAt: new Date(now - 60_000).toISOString(),
  endsAt: new Date(endsAt).toISOString(),
  generatorURL: `http://prometheus:9090/graph?g0.expr=rule${i % 50}`,
});

async function post(s: SourceDaemon, body: unknown[]): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(`${s.url}/api/v2/alerts`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`bench/alert-intake-http.ts: POST answered ${res.status}`);
  return performance.now() - t0;
}

/** Sends `count` alerts in batches of 64; returns alerts/s and the worst lateness (ms) of a 100 ms timer meanwhile. */
async function flood(s: SourceDaemon, count: number, tag: string, endsAt?: number) {
  const timer = watchTimer();
  const now = s.world.clock.now();
  const t0 = performance.now();
  for (let i = 0; i < count; i += BATCH) {
    await post(
      s,
      Array.from({ length: Math.min(BATCH, count - i) }, (_, j) => alert(now, i + j, tag, endsAt)),
    );
  }
  const seconds = (performance.now() - t0) / 1000;
  return { rate: count / seconds, lateMs: await timer.stop() };
}

const GROUP_WAIT = values['group-wait'];
if (!/^\d+[smh]$/.test(GROUP_WAIT))
  throw new Error('bench/alert-intake-http.ts: --group-wait takes a duration, e.g. 30s');

const sourceDaemon = () =>
  startSourceDaemon({ PROM_TOKEN: TOKEN }, '    max_alerts: 100000\n', (world) => {
    const file = join(world.configDir, 'escalation.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('group_wait: 0s', `group_wait: ${GROUP_WAIT}`));
  });

const ms = (xs: number[]) => `median ${median(xs).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms`;

async function intake(): Promise<void> {
  const s = await sourceDaemon();
  try {
    const first = await flood(s, OPEN, 'open');
    const resend = await flood(s, OPEN, 'open');
    const now = s.world.clock.now();
    const single: number[] = [];
    const empty: number[] = [];
    for (let i = 0; i < SINGLES; i++) {
      single.push(await post(s, [alert(now, i, 'single')]));
      empty.push(await post(s, []));
    }
    const burstTimer = watchTimer();
    const burstMs = await post(
      s,
      Array.from({ length: BURST }, (_, i) => alert(now, i, 'burst')),
    );
    const burstLate = await burstTimer.stop();
    console.log(
      `alert intake over HTTP: ${OPEN} alerts in POSTs of ${BATCH}, then resent; ${SINGLES} single POSTs; group_wait ${GROUP_WAIT}`,
    );
    console.log(
      `  new alerts  ${Math.round(first.rate)} alerts/s; 100 ms timer worst late ${Math.round(first.lateMs)} ms`,
    );
    console.log(
      `  resend      ${Math.round(resend.rate)} alerts/s; 100 ms timer worst late ${Math.round(resend.lateMs)} ms`,
    );
    console.log(`  one-alert POST with ${OPEN} open: ${ms(single)}`);
    console.log(`  empty POST ([]) with ${OPEN} open: ${ms(empty)}`);
    console.log(
      `  ${BURST} new alerts in one POST: answered in ${Math.round(burstMs)} ms; 100 ms timer worst late ${Math.round(burstLate)} ms`,
    );
  } finally {
    await s.d.close();
    await s.world.close();
  }
}

type Way = 'one POST' | `POSTs of ${typeof BATCH}` | 'expiry';
const WAY_NAMES: Record<string, Way> = { one: 'one POST', batches: `POSTs of ${BATCH}`, expiry: 'expiry' };
const WAYS = values.ways.split(',').map((w) => {
  const way = WAY_NAMES[w];
  if (!way) throw new Error(`bench/alert-intake-http.ts: --ways takes one, batches and expiry, not "${w}"`);
  return way;
});

/** Opens RESOLVE alerts on a new daemon, then resolves them all `way`; returns the time taken and the timer's lateness. */
async function resolveOnce(way: Way): Promise<{ ms: number; lateMs: number }> {
  const s = await sourceDaemon();
  try {
    const now = s.world.clock.now();
    // Alerts left to expire end in a second of fake time; the next tick (TICK_MS) finds them expired, and the clock's
    // advance fires every part the loop arms after it (zero-delay timers), a turn of the event loop between two.
    const endsAt = way === 'expiry' ? now + 1000 : undefined;
    if (values.silenced) await silence(s, now);
    if (BESIDES > 0) await flood(s, BESIDES, 'besides');
    await flood(s, RESOLVE, 'resolve', endsAt);
    const ended = (i: number) => alert(now, i, 'resolve', now - 1000);
    const timer = watchTimer();
    const t0 = performance.now();
    if (way === 'one POST')
      await post(
        s,
        Array.from({ length: RESOLVE }, (_, i) => ended(i)),
      );
    else if (way === 'expiry') await s.d.clock.advance(1000 + TICK_MS);
    else {
      for (let i = 0; i < RESOLVE; i += BATCH) {
        await post(
          s,
          Array.from({ length: Math.min(BATCH, RESOLVE - i) }, (_, j) => ended(i + j)),
        );
      }
    }
    const taken = performance.now() - t0;
    const lateMs = await timer.stop();
    const res = await fetch(`${s.url}/api/v2/alerts?active=true&silenced=true&inhibited=true`);
    const left = ((await res.json()) as unknown[]).length;
    if (left !== BESIDES) {
      throw new Error(`bench/alert-intake-http.ts: ${left - BESIDES} alerts still open after the ${way} resolution`);
    }
    return { ms: taken, lateMs };
  } finally {
    await s.d.close();
    await s.world.close();
  }
}

/** A silence of the bench's alerts (job=node) for 50 minutes from `now`, through the Alertmanager API. */
async function silence(s: SourceDaemon, now: number): Promise<void> {
  const res = await fetch(`${s.url}/api/v2/silences`, {
    method: 'POST',
    headers: { authorization: `Bearer ${WRITE_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      matchers: [{ name: 'job', value: 'node', isRegex: false, isEqual: true }],
      startsAt: new Date(now).toISOString(),
      endsAt: new Date(now + 50 * 60_000).toISOString(),
      createdBy: 'bench',
      comment: 'resolution of held alerts',
    }),
  });
  if (res.status !== 200)
    throw new Error(`bench/alert-intake-http.ts: the silence was answered ${res.status}: ${await res.text()}`);
}

async function resolution(): Promise<void> {
  const runs = new Map<Way, { ms: number; lateMs: number }[]>(WAYS.map((w) => [w, []]));
  for (let trial = 0; trial < TRIALS; trial++) {
    for (const way of WAYS) runs.get(way)?.push(await resolveOnce(way));
  }
  console.log(
    `resolution over HTTP: ${RESOLVE} open alerts${values.silenced ? ', silenced,' : ''} resolved${BESIDES > 0 ? ` (${BESIDES} others open)` : ''}, ${TRIALS} trials (a new daemon each), medians; group_wait ${GROUP_WAIT}`,
  );
  for (const [way, rs] of runs) {
    const taken = median(rs.map((r) => r.ms));
    const late = rs.map((r) => r.lateMs);
    const what = way === 'expiry' ? 'all resolved in' : 'answered in';
    console.log(
      `  ${way.padEnd(12)} ${what} ${Math.round(taken)} ms, ${Math.round(RESOLVE / (taken / 1000))} alerts/s; 100 ms timer worst late median ${Math.round(median(late))} ms, max ${Math.round(Math.max(...late))} ms`,
    );
  }
}

/** Loads the status page; its size (bytes) and answer time (ms). */
async function loadPage(s: SourceDaemon): Promise<{ bytes: number; ms: number }> {
  const t0 = performance.now();
  const res = await fetch(`${s.url}/`, { headers: { accept: 'text/html' } });
  const bytes = (await res.arrayBuffer()).byteLength;
  if (res.status !== 200) throw new Error(`bench/alert-intake-http.ts: GET / answered ${res.status}`);
  return { bytes, ms: performance.now() - t0 };
}

/** The status page with OPEN alerts open (and as many incidents), loaded by one viewer, then by VIEWERS at once. */
async function statusPage(): Promise<void> {
  const s = await sourceDaemon();
  try {
    await flood(s, OPEN, 'page');
    const alone: { bytes: number; ms: number }[] = [];
    const aloneTimer = watchTimer();
    for (let i = 0; i < TRIALS; i++) alone.push(await loadPage(s));
    const aloneLate = await aloneTimer.stop();
    const together: { bytes: number; ms: number }[] = [];
    const togetherTimer = watchTimer();
    for (let i = 0; i < TRIALS; i++)
      together.push(...(await Promise.all(Array.from({ length: VIEWERS }, () => loadPage(s)))));
    const togetherLate = await togetherTimer.stop();
    const kb = (xs: { bytes: number }[]) => `${(median(xs.map((x) => x.bytes)) / 1024).toFixed(1)} KiB`;
    console.log(`status page (GET /) with ${OPEN} alerts open from a source, each an incident; ${TRIALS} trials`);
    console.log(
      `  1 viewer   ${kb(alone)}; ${ms(alone.map((x) => x.ms))}; 100 ms timer worst late ${Math.round(aloneLate)} ms`,
    );
    console.log(
      `  ${VIEWERS} viewers  ${kb(together)}; ${ms(together.map((x) => x.ms))}; 100 ms timer worst late ${Math.round(togetherLate)} ms`,
    );
  } finally {
    await s.d.close();
    await s.world.close();
  }
}

if (PHASES.includes('intake')) await intake();
if (PHASES.includes('resolve')) await resolution();
if (PHASES.includes('page')) await statusPage();
console.log(`  load average: ${load()}`);
