// Bench: how fast a page reaches people, with the shipped P0 escalation (config/escalation.yaml: the CTO on every
// channel at once) and the CTO's shipped channels: ntfy push, email and ops webhook. `centinela run` is a child process
// (the TypeScript sources through tsx, on the system clock) with the e2e fixture's probes (test/fixtures/daemon)
// against the loopback demo target; the in-process SMTP server, the webhook sink and an ntfy receiver (NTFY_SERVER)
// record each arrival.
// A fresh daemon and state file per trial. Prints, with medians of the trials and the load average:
//  1. fault → first delivery on each channel: the API goes down at a random point of the probe's 5 s cycle
//     (every 5s, after_failures 3, retry_every 1s); the page written (from the API's page rows) and its arrival at
//     each receiver, and the spread between the first and the last channel;
//  2. a missed heartbeat deadline → the page: docs/deploy.md's CentinelaSilent (heartbeat probe every 30s, P0) with
//     expect_every 10s and grace 5s; pinged once at a random point of the probe's cycle, then silent; from last ping
//     + expect_every + grace to the arrival.
//
//   npx tsx bench/paging.ts [--trials 5] [--heartbeat-every 30s]
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseDocument } from 'yaml';
import { systemClock } from '../src/clock.js';
import { parseDuration } from '../src/duration.js';
import { type DaemonProcess, spawnDaemon, startWorld, type World } from '../test/support/daemon.js';
import { useShippedEscalation } from '../test/support/shipped-escalation.js';
import { startWebhookSink, type WebhookSink } from '../test/support/webhook-sink.js';

const { values } = parseArgs({
  options: { trials: { type: 'string', default: '5' }, 'heartbeat-every': { type: 'string', default: '30s' } },
});
const trials = Number(values.trials);
const heartbeatEvery = values['heartbeat-every'];
const heartbeatEveryMs = parseDuration(heartbeatEvery) ?? Number.NaN;
const EXPECT_EVERY_MS = 10_000;
const GRACE_MS = 5_000;
const CHANNELS = ['cto_push', 'email', 'ops_webhook'] as const;
type Channel = (typeof CHANNELS)[number];

const sleep = (ms: number) => systemClock.sleep(ms);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const s = (ms: number) => `${(ms / 1000).toFixed(3)} s`;
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

/** The heartbeat probe and rule of docs/deploy.md, scaled down so a trial takes seconds, not minutes. */
function addHeartbeat(world: World): void {
  const file = join(world.configDir, 'alerts.yaml');
  const doc = parseDocument(readFileSync(file, 'utf8'));
  doc.addIn(['probes'], {
    name: 'centinela_peer',
    kind: 'heartbeat',
    expect_every: `${EXPECT_EVERY_MS / 1000}s`,
    grace: `${GRACE_MS / 1000}s`,
    labels: { host: 'prod.grupogad.gob.ec' },
    every: heartbeatEvery,
    timeout: '2s',
  });
  doc.addIn(['rules'], {
    name: 'CentinelaSilent',
    sample: 'centinela_peer.overdue',
    op: '>=',
    thresholds: { P0: 1 },
    summary: 'centinela on {{ labels.host }} silent',
  });
  writeFileSync(file, doc.toString());
}

/** Polls the receivers every millisecond and stamps the first arrival on each channel of a page of `alertname`. */
async function arrivals(world: World, ntfy: WebhookSink, alertname: string, within: number) {
  const got: Partial<Record<Channel, number>> = {};
  const arrived: Record<Channel, () => boolean> = {
    email: () => world.smtp.received.some((m) => String(m.mail.headers.get('x-centinela-alerts')).includes(alertname)),
    ops_webhook: () => world.hook.requests.some((r) => r.body.includes(`"name":"${alertname}"`)),
    cto_push: () => ntfy.requests.some((r) => r.body.includes(alertname)),
  };
  const deadline = systemClock.now() + within;
  while (CHANNELS.some((c) => got[c] === undefined)) {
    if (systemClock.now() > deadline) throw new Error(`no ${alertname} page on ${CHANNELS.filter((c) => !got[c])}`);
    for (const c of CHANNELS) if (got[c] === undefined && arrived[c]()) got[c] = systemClock.now();
    await sleep(1);
  }
  return got as Record<Channel, number>;
}

/** CentinelaSilent pages received on any channel. */
const silentPages = (world: World, ntfy: WebhookSink) =>
  world.hook.requests.filter((r) => r.body.includes('"name":"CentinelaSilent"')).length +
  ntfy.requests.filter((r) => r.body.includes('CentinelaSilent')).length;

/** When the daemon wrote the first page of `alertname` (its API's page rows), epoch ms. */
async function pageWrittenAt(d: DaemonProcess, alertname: string): Promise<number> {
  const alerts = (await (await fetch(`${d.url}/api/v1/alerts?alertname=${alertname}`)).json()) as {
    alerts: { id: string }[];
  };
  const id = encodeURIComponent(alerts.alerts[0]?.id ?? '');
  const detail = (await (await fetch(`${d.url}/api/v1/alerts/${id}`)).json()) as {
    alert: { pages: { createdAt: string }[] };
  };
  return Date.parse(detail.alert.pages[0]?.createdAt ?? '');
}

async function trial(world: World, ntfy: WebhookSink, i: number, run: (d: DaemonProcess) => Promise<void>) {
  world.target.setFault('none');
  world.smtp.received.length = 0;
  world.hook.requests.length = 0;
  ntfy.requests.length = 0;
  const d = await spawnDaemon(world, { STATE_PATH: join(world.dir, `state-${i}.db`) });
  try {
    await run(d);
  } finally {
    d.kill('SIGTERM');
    await d.exited;
  }
}

const world = await startWorld();
const ntfy = await startWebhookSink();
useShippedEscalation(world, ntfy);
console.log(`load average at the start: ${load()}`);

const fault: { written: number; at: Record<Channel, number>; spread: number }[] = [];
for (let i = 0; i < trials; i++) {
  await trial(world, ntfy, i, async (d) => {
    // The fault lands anywhere in the probe's 5 s cycle.
    await sleep(6_000 + Math.random() * 5_000);
    const at = systemClock.now();
    world.target.setFault('down');
    const got = await arrivals(world, ntfy, 'ApiDown', 30_000);
    const times = CHANNELS.map((c) => got[c]);
    fault.push({
      written: (await pageWrittenAt(d, 'ApiDown')) - at,
      at: Object.fromEntries(CHANNELS.map((c) => [c, got[c] - at])) as Record<Channel, number>,
      spread: Math.max(...times) - Math.min(...times),
    });
  });
}
console.log(`\n1. API down → ApiDown (P0) delivered to the CTO, ${trials} trials (median, min–max):`);
const row = (name: string, xs: number[]) =>
  console.log(`  ${name.padEnd(32)} ${s(median(xs))}  (${s(Math.min(...xs))} – ${s(Math.max(...xs))})`);
row(
  'fault → page written',
  fault.map((f) => f.written),
);
for (const c of CHANNELS)
  row(
    `fault → delivered, ${c}`,
    fault.map((f) => f.at[c]),
  );
for (const c of CHANNELS)
  row(
    `page written → ${c}`,
    fault.map((f) => f.at[c] - f.written),
  );
row(
  'spread between channels',
  fault.map((f) => f.spread),
);
console.log('  bound of fault → page: the next 5 s check + 2 re-checks 1 s apart; then delivery');
console.log(`  load average now: ${load()}`);

addHeartbeat(world);
const beat: { written: number; first: number; at: Record<Channel, number> }[] = [];
for (let i = 0; i < trials; i++) {
  await trial(world, ntfy, trials + i, async (d) => {
    // The peer pings every 5 s from the start (so nothing is overdue yet), and its last ping lands anywhere in the
    // probe's cycle, as a dying peer's would.
    const ping = async () => {
      const res = await fetch(`${d.url}/api/v1/heartbeats/centinela_peer`, {
        method: 'POST',
        headers: { authorization: `Bearer ${world.env.WRITE_TOKEN}` },
      });
      if (!res.ok) throw new Error(`ping refused: ${res.status} ${await res.text()}`);
    };
    await ping();
    const total = 1_000 + Math.random() * heartbeatEveryMs;
    const pings = Math.ceil(total / 5_000);
    for (let n = 0; n < pings; n++) {
      // At least 1 s apart (closer pings are refused), at most 5 s.
      await sleep(total / pings);
      await ping();
    }
    if (silentPages(world, ntfy) > 0) throw new Error('CentinelaSilent paged while the peer was pinging');
    const deadline = systemClock.now() + EXPECT_EVERY_MS + GRACE_MS;
    const got = await arrivals(world, ntfy, 'CentinelaSilent', EXPECT_EVERY_MS + GRACE_MS + 120_000);
    const at = Object.fromEntries(CHANNELS.map((c) => [c, got[c] - deadline])) as Record<Channel, number>;
    const written = (await pageWrittenAt(d, 'CentinelaSilent')) - deadline;
    beat.push({ written, first: Math.min(...CHANNELS.map((c) => at[c])), at });
  });
}
console.log(
  `\n2. missed heartbeat deadline (last ping + ${EXPECT_EVERY_MS / 1000}s + ${GRACE_MS / 1000}s grace) → CentinelaSilent (P0), probe every ${heartbeatEvery}, ${trials} trials:`,
);
row(
  'deadline → page written',
  beat.map((b) => b.written),
);
row(
  'deadline → first delivery',
  beat.map((b) => b.first),
);
for (const c of CHANNELS)
  row(
    `deadline → ${c}`,
    beat.map((b) => b.at[c]),
  );
for (const c of CHANNELS)
  row(
    `page written → ${c}`,
    beat.map((b) => b.at[c] - b.written),
  );
console.log(`  bound: the heartbeat probe's next run (0–${heartbeatEvery} after the deadline), then delivery`);
console.log(`  load average at the end: ${load()}`);
await Promise.all([world.close(), ntfy.close()]);
