// `npm run demo`: a newcomer's first minute with centinela. Starts a simulated production API (demo/target.ts), a
// pager that prints to this console (demo/sink.ts) and centinela with demo/config, then walks through an incident:
// fault → P0 page → reminder → acknowledgement → fix → resolution, narrating each step. `--once` exits at the end;
// otherwise centinela keeps running for you to explore until Ctrl-C.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { ApiClient } from '../src/cli/client.js';
import { startDaemon } from '../src/cli/run.js';
import { systemClock } from '../src/clock.js';
import { createLogger } from '../src/log.js';
import type { AlertView } from '../src/server/api-shapes.js';
import { type ReceivedPage, startDemoSink } from './sink.js';
import { FAULT_MODES, startDemoTarget } from './target.js';

const TOKEN = 'demo-token';
const once = process.argv.includes('--once');
const t0 = systemClock.now();

/** A narration line, stamped with the time since the demo started. */
function say(text: string): void {
  const s = Math.round((systemClock.now() - t0) / 1000);
  const stamp = `[${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}]`;
  console.log(`${stamp} ${text}`);
}

/** Polls `check` every 200 ms until it returns something; fails after `seconds`. */
async function until<T>(
  what: string,
  seconds: number,
  check: () => T | undefined | Promise<T | undefined>,
): Promise<T> {
  const deadline = systemClock.now() + seconds * 1000;
  for (;;) {
    const found = await check();
    if (found !== undefined) return found;
    if (systemClock.now() > deadline) throw new Error(`the demo waited ${seconds} s for ${what}; see the log`);
    await systemClock.sleep(200);
  }
}

const work = join(process.cwd(), '.centinela');
mkdirSync(work, { recursive: true });
const statePath = join(work, 'demo.db');
for (const suffix of ['', '-wal', '-shm']) rmSync(statePath + suffix, { force: true });
const logPath = join(work, 'demo.log');

const target = await startDemoTarget();
const sink = await startDemoSink(() => systemClock.now());
// centinela's own logger, as `centinela run` writes it (level names, ISO times, secrets redacted), into a file.
const log = createLogger({
  level: 'info',
  pretty: false,
  clock: systemClock,
  destination: pino.destination({ dest: logPath, sync: false }),
});
const env = (listen: string) => ({
  ...process.env,
  DEMO_TARGET_URL: target.url,
  DEMO_SINK_URL: sink.url,
  DEMO_LISTEN: listen,
  DEMO_STATE: statePath,
  CENTINELA_WRITE_TOKEN: TOKEN,
});
// 9810 is centinela's usual port; if something already uses it, any free port will do.
const daemon = await startDaemon('demo/config', { env: env('127.0.0.1:9810'), log }).catch(
  (err: NodeJS.ErrnoException) =>
    err.code === 'EADDRINUSE' ? startDaemon('demo/config', { env: env('127.0.0.1:0'), log }) : Promise.reject(err),
);
const api = new ApiClient({ url: daemon.url, token: TOKEN });

const shutdown = async (code: number) => {
  await daemon.close();
  await Promise.all([target.close(), sink.close()]);
  log.flush();
  process.exit(code);
};
process.on('SIGINT', () => void shutdown(0));

sink.onPage((p: ReceivedPage) => {
  if (p.hook === 'console') {
    for (const e of p.events) {
      say(
        `📟 PAGE → on-call engineer (console): [${e.priority}] ${e.event.toUpperCase()} ${e.alertname}: ${e.summary}`,
      );
    }
  } else {
    say(`💬 ops chat room (Slack-format webhook): ${p.text.split('\n')[0]}`);
  }
});

console.log();
console.log('centinela demo — a simulated production API, centinela watching it, and a pager on this console.');
console.log();
console.log(`  status page   ${daemon.url}/            (open it on your phone or laptop; it refreshes itself)`);
console.log(`  metrics       ${daemon.url}/metrics`);
console.log(`  API           ${daemon.url}/api/v1/alerts   (write token: ${TOKEN})`);
console.log(`  target        ${target.url}   (health, /metrics, /ws/stats, POST /fault)`);
console.log(`  centinela log ${logPath}`);
console.log();

try {
  say('centinela checks the API every 5 s: health JSON, latency/traffic/errors from /metrics, WebSocket stats.');
  await until('the first checks', 20, async () => {
    const status = await fetch(`${daemon.url}/metrics`).then((r) => r.text());
    const up = [...status.matchAll(/^centinela_probe_up\{probe="([^"]+)"\} 1$/gm)].map((m) => m[1]);
    return up.length >= 3 ? up : undefined;
  });
  say('✅ all three probes are up. Nothing fires, nobody is paged.');
  await systemClock.sleep(3_000);

  say('💥 breaking the API: POST /fault {"mode":"down"} — every endpoint now answers 503.');
  const brokeAt = systemClock.now();
  target.setFault('down');
  say('   ApiDown needs 3 failed checks; after the first, centinela re-checks every second (retry_every: 1s).');
  const page = await until('the P0 page', 30, () =>
    sink.pages.find((p) => p.hook === 'console' && p.events.some((e) => e.event === 'firing')),
  );
  say(`⏱  the P0 page reached the pager ${((page.at - brokeAt) / 1000).toFixed(1)} s after the fault.`);

  say('   Nobody acknowledges yet: P0 repeats every 15 s (the runbook says 5 min; the demo is in a hurry).');
  await until('a reminder', 30, () =>
    sink.pages.find((p) => p.hook === 'console' && p.events.some((e) => e.event === 'reminder')),
  );

  const { alerts } = await api.call<{ alerts: AlertView[] }>('GET', '/api/v1/alerts?state=firing');
  const alert = alerts.find((a) => a.alertname === 'ApiDown');
  if (!alert) throw new Error('ApiDown is not firing');
  say(`✋ acknowledging, as a script would: centinela ack ${alert.id} --comment "restarting the api"`);
  await api.call('POST', `/api/v1/alerts/${alert.id}/ack`, { by: 'you', comment: 'restarting the api' });
  say('   Reminders and escalation stop for this alert; the others paged are told who is on it.');
  const afterAck = sink.pages.length;
  await systemClock.sleep(17_000);
  const reminders = sink.pages.slice(afterAck).filter((p) => p.events.some((e) => e.event === 'reminder')).length;
  say(`   ${reminders === 0 ? 'No reminder' : `${reminders} reminder(s)`} in the 17 s since the ack.`);

  say('🔧 fixing the API: POST /fault {"mode":"none"}');
  say('   While ApiDown fires, centinela checks every second; 3 good checks in a row resolve it (after_successes: 3).');
  const fixedAt = systemClock.now();
  target.setFault('none');
  const resolved = await until('the resolution', 30, () =>
    sink.pages.find((p) => p.hook === 'console' && p.events.some((e) => e.event === 'resolved')),
  );
  say(
    `✅ resolved ${((resolved.at - fixedAt) / 1000).toFixed(1)} s after the fix; everyone who was paged heard it once.`,
  );
  console.log();
  console.log('What happened is on the status page and in the API:');
  console.log(`  curl -s ${daemon.url}/api/v1/alerts/${alert.id}        (history, pages, diagnosis)`);
  console.log(
    `  curl -s ${daemon.url}/metrics | grep centinela_       (probes, samples, alerts, deliveries, ack times)`,
  );
  console.log();
  if (once) await shutdown(0);
  console.log(`centinela keeps running. Break the API again: curl -X POST '${target.url}/fault?mode=down'`);
  console.log(`(modes: ${FAULT_MODES.join(', ')}). Ctrl-C to stop.`);
} catch (err) {
  console.log(`\nThe demo stopped: ${(err as Error).message}`);
  await shutdown(1);
}
