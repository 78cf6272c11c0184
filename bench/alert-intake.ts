// bench/alert-intake.ts: alerts received from a source (the Alertmanager API's intake) at scale, through the engine's
// loop and a real SQLite state file, as the daemon takes them: RECEIVE_SLICE (100) alerts per unit of work, the event loop free in
// between. While a flood of 10,000 new alerts (then their resend) is taken, a 100 ms timer stands in for the probe
// scheduler: its worst lateness says whether probes keep their pace.
//
//   npx tsx bench/alert-intake.ts [--alerts 10000] [--trials 5] [--pages]
//   ./node_modules/.bin/node --expose-gc --import tsx bench/alert-intake.ts   (heap figures after a full GC)
//
// With --pages the engine pages as the daemon does (every new alert opens an incident and writes a page for one
// contact into the outbox; the worker is not started, so nothing is sent): the escalator's share of the intake.
//
// Printed per phase (new alerts, resend of the same ones): median alerts/s over the trials and the worst timer
// lateness; then the heap per 1,000 open external alerts, and the load average.
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { FakeClock } from '../src/clock.js';
import { alertsFile, escalationFile } from '../src/config/schema.js';
import { Engine } from '../src/engine/loop.js';
import { RECEIVE_SLICE } from '../src/engine/operations.js';
import { DEFAULT_READING } from '../src/locale/locale.js';
import { compileAlerting } from '../src/rules/alerting.js';
import type { PostedAlert } from '../src/rules/external.js';
import { openStore } from '../src/store/sqlite.js';
import { median } from './support/median.js';
import { watchTimer } from './support/timer-lateness.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const ALERTS = arg('alerts', 10_000);
const TRIALS = arg('trials', 5);
const PAGES = process.argv.includes('--pages');
// The source's alerts are P2 by default: the P2 level pages one contact over a webhook (never sent here).
const paging = {
  escalation: escalationFile.parse({
    levels: { P2: { ack_within: '4h', repeat_every: '1h', contacts: ['ops'] } },
    contacts: { ops: { name: 'Ops room', channels: ['hook'] } },
    channels: { hook: { kind: 'webhook', format: 'generic', url: 'http://127.0.0.1:9/hook' } },
  }),
};
const gc = (globalThis as { gc?: () => void }).gc;

function batch(now: number, trial: number): PostedAlert[] {
  return Array.from({ length: ALERTS }, (_, i) => ({
    labels: { alertname: `Rule${i % 50}`, instance: `host-${trial}-${i}:9100`, job: 'node', severity: 'warning' },
    annotations: { summary: `instance host-${i} is slow`, description: 'p95 latency above 2s for 5 minutes' },
    startsAt: now - 60_000,
    endsAt: now + 4 * 60_000,
    generatorURL: `http://prometheus:9090/graph?g0.expr=rule${i % 50}`,
  }));
}

/** Takes `alerts` as the daemon does; returns seconds taken and the worst lateness (ms) of a 100 ms timer meanwhile. */
async function take(engine: Engine, alerts: PostedAlert[]): Promise<{ seconds: number; lateMs: number }> {
  const timer = watchTimer();
  const t0 = performance.now();
  for (let i = 0; i < alerts.length; i += RECEIVE_SLICE) {
    if (i > 0) await new Promise((resolve) => setImmediate(resolve));
    engine.receive('prometheus', alerts.slice(i, i + RECEIVE_SLICE));
  }
  const seconds = (performance.now() - t0) / 1000;
  return { seconds, lateMs: await timer.stop() };
}

const rows: { phase: string; rate: number[]; late: number[] }[] = [
  { phase: 'new alerts', rate: [], late: [] },
  { phase: 'resend', rate: [], late: [] },
];
let heapPerThousand: number[] = [];
for (let trial = 0; trial < TRIALS; trial++) {
  const dir = mkdtempSync(join(tmpdir(), 'centinela-intake-'));
  const store = openStore(join(dir, 'state.db'));
  const clock = new FakeClock(Date.UTC(2026, 0, 5, 10));
  const { alerting } = compileAlerting(
    alertsFile.parse({ sources: [{ name: 'prometheus', max_alerts: 100_000 }] }),
    DEFAULT_READING,
  );
  const engine = new Engine({
    store,
    clock,
    log: pino({ level: 'silent' }),
    alerting,
    ...(PAGES ? { paging } : {}),
  });
  gc?.();
  const before = process.memoryUsage().heapUsed;
  const alerts = batch(clock.now(), trial);
  const first = await take(engine, alerts);
  gc?.();
  const after = process.memoryUsage().heapUsed;
  heapPerThousand = [...heapPerThousand, ((after - before) / ALERTS) * 1000];
  await clock.advance(30_000);
  const resend = await take(engine, batch(clock.now(), trial));
  for (const [row, r] of [
    [rows[0], first],
    [rows[1], resend],
  ] as const) {
    row?.rate.push(ALERTS / r.seconds);
    row?.late.push(r.lateMs);
  }
  engine.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
}

console.log(
  `alert intake: ${ALERTS} alerts, ${RECEIVE_SLICE} per unit of work, ${TRIALS} trials${PAGES ? ', each new alert paged' : ''}`,
);
for (const r of rows) {
  console.log(
    `  ${r.phase.padEnd(11)} median ${Math.round(median(r.rate))} alerts/s; 100 ms timer worst late ${Math.round(Math.max(...r.late))} ms (median of trials ${Math.round(median(r.late))} ms)`,
  );
}
console.log(
  `  heap per 1,000 open external alerts: ${(median(heapPerThousand) / 1024 / 1024).toFixed(2)} MiB (median${gc ? ', after GC' : ', no --expose-gc: rough'}; includes their instances and records)`,
);
console.log(
  `  load average: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
