// Bench: an alert storm through escalation and the outbox, on a file-backed SQLite store, to loopback sinks (an
// in-process SMTP server with STARTTLS, a webhook receiver), on the real clock. Prints, per scenario: rows written
// and the time to write them (Escalator.handle in one unit of work), messages sent, time until every row is
// delivered, deliveries per second, and peak RSS/heap; then the store alone (enqueue → claim → mark delivered).
//
//   npx tsx bench/outbox.ts [--alerts 1000] [--contacts 5] [--concurrency 16]
//
// Scenarios: "grouped" = all alerts of one rule (one group key), as a real storm is: one message per contact;
// "ungrouped" = a group key per alert: one message per (alert, contact), the outbox's raw throughput.
// Contacts alternate email and generic webhook channels. Each email is its own SMTP connection, and the in-process
// SMTP server (smtp-server) waits 100 ms before its greeting to catch early talkers, so with 16 deliveries at once
// email tops out near 160 messages/s here; webhooks alone go several times faster.
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { systemClock } from '../src/clock.js';
import { OutboxWorker } from '../src/engine/delivery.js';
import { Escalator } from '../src/engine/escalator.js';
import type { NotificationItem } from '../src/notifiers/notifier.js';
import { escalationConfig, firing, makeAlert, TempState } from '../test/support/escalation-fixtures.js';
import { startSmtpSink } from '../test/support/smtp-sink.js';
import { waitUntil } from '../test/support/wait-until.js';
import { startWebhookSink } from '../test/support/webhook-sink.js';

const { values } = parseArgs({
  options: {
    alerts: { type: 'string', default: '1000' },
    contacts: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '16' },
  },
});
const alerts = Number(values.alerts);
const contactCount = Number(values.contacts);
const concurrency = Number(values.concurrency);
const mib = (bytes: number) => `${(bytes / 1_048_576).toFixed(1)} MiB`;
const log = pino({ level: 'silent' });

const smtp = await startSmtpSink();
const hook = await startWebhookSink();

function config() {
  const names = Array.from({ length: contactCount }, (_, i) => `c${i + 1}`);
  const contacts = Object.fromEntries(
    names.map((n, i) => [n, { name: n, email: `${n}@grupogad.gob.ec`, channels: [i % 2 === 0 ? 'mail' : 'hook'] }]),
  );
  return escalationConfig({
    smtpPort: smtp.port,
    caFile: smtp.cert.certFile,
    webhookUrl: hook.url,
    raw: { levels: { P0: { contacts: names } }, contacts, delivery: { group_wait: '0s' } },
  });
}

async function storm(name: string, grouped: boolean): Promise<void> {
  smtp.received.length = 0;
  hook.requests.length = 0;
  const state = new TempState();
  const cfg = config();
  const escalation = new Escalator(state.all, cfg);
  const worker = new OutboxWorker({ store: state.store, config: cfg, clock: systemClock, log, concurrency });
  let peakRss = process.memoryUsage().rss;
  let peakHeap = process.memoryUsage().heapUsed;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  }, 10);
  const now = Date.now();
  const events = Array.from({ length: alerts }, (_, i) => {
    const alert = makeAlert({ labels: { alertname: 'ApiDown', container: `api_${i}` }, activeSince: now });
    return firing(grouped ? alert : { ...alert, groupKey: alert.id }, now);
  });
  const t0 = performance.now();
  escalation.handle(events, now);
  const written = performance.now() - t0;
  const rows = state.store.outboxCounts().pending;
  worker.start();
  await waitUntil(
    () => state.store.outboxCounts().delivered === rows,
    600_000,
    () => `${name}: ${state.store.outboxCounts().delivered} of ${rows} delivered`,
  );
  const total = performance.now() - t0;
  await worker.stop(10_000);
  clearInterval(sampler);
  const messages = smtp.received.length + hook.requests.length;
  console.log(`${name}: ${alerts} alerts × ${contactCount} contacts`);
  console.log(`  outbox rows written       ${rows} in ${written.toFixed(0)} ms (one transaction)`);
  console.log(
    `  messages sent             ${messages} (${smtp.received.length} emails, ${hook.requests.length} webhooks)`,
  );
  console.log(`  all delivered after       ${total.toFixed(0)} ms`);
  console.log(
    `  throughput                ${((rows / total) * 1000).toFixed(0)} rows/s, ${((messages / total) * 1000).toFixed(0)} messages/s`,
  );
  console.log(`  peak RSS / heap           ${mib(peakRss)} / ${mib(peakHeap)}`);
  state.remove();
}

async function storeOnly(n: number): Promise<void> {
  const state = new TempState();
  const alert = makeAlert();
  const t0 = performance.now();
  state.all.unitOfWork(() => {
    for (let i = 0; i < n; i++) {
      const item = { key: `k${i}`, kind: 'firing', alert } as NotificationItem;
      state.store.enqueue({
        key: `k${i}`,
        incidentId: null,
        kind: 'firing',
        contact: `c${i % 5}`,
        groupKey: `g${i}`,
        item,
        createdAt: 0,
        groupWait: 0,
      });
    }
  });
  const t1 = performance.now();
  let done = 0;
  for (;;) {
    const groups = state.store.claimDue(1, 200, 1000);
    if (groups.length === 0) break;
    for (const rows of groups)
      state.store.recordAttempt(
        rows.map((r) => r.id),
        { ok: true, channel: 'mail', at: 1 },
      );
    done += groups.length;
  }
  const t2 = performance.now();
  console.log(`store alone (SQLite WAL, file): ${n} rows`);
  console.log(`  enqueue                   ${((n / (t1 - t0)) * 1000).toFixed(0)} rows/s (one transaction)`);
  console.log(
    `  claim + mark delivered    ${((done / (t2 - t1)) * 1000).toFixed(0)} rows/s (worst case: a group key per row)`,
  );
  state.remove();
}

try {
  console.log(`outbox bench — node ${process.version}, concurrency ${concurrency}\n`);
  await storm('grouped storm', true);
  console.log();
  await storm('ungrouped storm', false);
  console.log();
  await storeOnly(20_000);
} finally {
  await smtp.close();
  await hook.close();
}
