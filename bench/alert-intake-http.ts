// bench/alert-intake-http.ts: alerts received through POST /api/v2/alerts, as Prometheus' notifier sends them
// (batches of 64, one request after the other), to an in-process daemon (the e2e fixture with a `prometheus` source)
// listening on loopback, on a real SQLite state file. A 100 ms timer in the daemon's event loop stands in for the
// probe scheduler: its worst lateness says whether probes keep their pace while alerts come in.
//
//   npx tsx bench/alert-intake-http.ts [--open 15000] [--singles 20] [--burst 10000] [--group-wait 0s]
//
// Printed: alerts/s and worst timer lateness while `--open` new alerts arrive, then while they are all resent; then
// the latency (median, max) of a one-alert POST and of an empty POST (`[]`) with that many open; then `--burst` new
// alerts in one POST (10,000 is the most one takes): its answer time and the timer's worst lateness meanwhile.
//
// Every new alert pages (P2, the webhook sink). The fixture's escalation.yaml has `group_wait: 0s`: every page is due
// at once, so the worker sends a message per group for nearly every alert while they arrive (the worst case).
// `--group-wait 30s` (the default of escalation.yaml) sends a group's first page at once and holds the rest for
// group_wait, which the fake clock never reaches here: intake with delivery as a default config does it in a storm.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type SourceDaemon, startSourceDaemon } from '../test/support/daemon.js';
import { load, median } from './support/process-usage.js';
import { watchTimer } from './support/timer-lateness.js';

const { values } = parseArgs({
  options: {
    open: { type: 'string', default: '15000' },
    singles: { type: 'string', default: '20' },
    burst: { type: 'string', default: '10000' },
    'group-wait': { type: 'string', default: '0s' },
  },
});
const OPEN = Number(values.open);
const SINGLES = Number(values.singles);
const BURST = Number(values.burst);
if (!(OPEN > 0) || !(SINGLES > 0) || !(BURST > 0)) {
  throw new Error('bench/alert-intake-http.ts: --open N, --singles N and --burst N, 1 or more');
}
const BATCH = 64;
const TOKEN = 'bench-prometheus-token-0123456789';

const alert = (now: number, i: number, tag: string) => ({
  labels: { alertname: `Rule${i % 50}`, instance: `host-${tag}-${i}:9100`, job: 'node', severity: 'warning' },
  annotations: { summary: `instance host-${i} is slow`, description: 'p95 latency above 2s for 5 minutes' },
  startsAt: new Date(now - 60_000).toISOString(),
  endsAt: new Date(now + 10 * 60_000).toISOString(),
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
async function flood(s: SourceDaemon, count: number, tag: string) {
  const timer = watchTimer();
  const now = s.world.clock.now();
  const t0 = performance.now();
  for (let i = 0; i < count; i += BATCH) {
    await post(
      s,
      Array.from({ length: Math.min(BATCH, count - i) }, (_, j) => alert(now, i + j, tag)),
    );
  }
  const seconds = (performance.now() - t0) / 1000;
  return { rate: count / seconds, lateMs: await timer.stop() };
}

const GROUP_WAIT = values['group-wait'];
if (!/^\d+[smh]$/.test(GROUP_WAIT))
  throw new Error('bench/alert-intake-http.ts: --group-wait takes a duration, e.g. 30s');
const s = await startSourceDaemon({ PROM_TOKEN: TOKEN }, '    max_alerts: 100000\n', (world) => {
  const file = join(world.configDir, 'escalation.yaml');
  writeFileSync(file, readFileSync(file, 'utf8').replace('group_wait: 0s', `group_wait: ${GROUP_WAIT}`));
});
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
  const ms = (xs: number[]) => `median ${median(xs).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms`;
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
  console.log(`  load average: ${load()}`);
} finally {
  await s.d.close();
  await s.world.close();
}
