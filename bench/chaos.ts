// Bench: kill -9 at every phase of an incident. Each episode starts a real `centinela run` (built with tsc, as the
// image runs it) on a fresh state file, breaks a loopback HTTP target it probes every 500 ms (`for: 1s`,
// `clear_for: 1s`), kills the daemon with SIGKILL at one phase of the incident, starts it again on the same state
// file, fixes the target and waits for the resolution. The P0 level pages two contacts: one by email (a real SMTP
// server, smtp-server, in this process) and one by a generic webhook (a loopback HTTP receiver). Phases, in turn:
//
//   before-page  killed 0-900 ms after the target broke (the page needs `for: 1s`: none was written yet)
//   holding      both receivers hold what they get without answering; killed 0-300 ms after one holds the page
//   after-page   killed 0-20 ms after a receiver answered the page (250 / 200): the window between the receiver's
//                answer and the row marked delivered
//   slow-answer  the webhook receiver sends its 200 status at once and the rest of its answer 1 s later (a proxy or
//                a streaming framework does); killed 0-1000 ms after the status
//   after-ack    the page delivered to both, acknowledged through the API; killed 0-300 ms after the ack answered
//   resolving    the page delivered to both, the target fixed; killed 0-2.5 s later (before, during or after the
//                resolution goes out)
//   storm        3-6 kills in a row, each 0.3-2.5 s after the daemon is back (the first 0-1.5 s after the break);
//                the target is fixed once both pages arrived
//
// Prints per phase: episodes, kills, lost pages and lost resolutions (a contact that never received the incident's
// page / its resolution within 30 s of the last start), and repeats: copies of one message (the same Message-ID or
// Idempotency-Key) received more than once, split into those a receiver had already answered (the delivery
// succeeded and a crash made centinela send it again) and those no receiver had answered (held, or killed before
// the answer: the receiver got it and centinela could not know). Then the window itself, from every delivered row:
// the receiver's answer → the row marked delivered in the state file (delivered_at, ms).
//
//   npx tsx bench/chaos.ts [--episodes 100] [--phases before-page,holding,after-page,slow-answer,after-ack,resolving,storm]
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { systemClock } from '../src/clock.js';
import { type DaemonProcess, spawnCentinela } from '../test/support/daemon.js';
import { startHttpTarget } from '../test/support/http-target.js';
import { waitUntil } from '../test/support/wait-until.js';
import { buildScratch } from './support/scratch-build.js';

const PHASES = ['before-page', 'holding', 'after-page', 'slow-answer', 'after-ack', 'resolving', 'storm'] as const;
type Phase = (typeof PHASES)[number];

const { values } = parseArgs({
  options: { episodes: { type: 'string', default: '100' }, phases: { type: 'string', default: PHASES.join(',') } },
});
const episodes = Number(values.episodes);
const phases = (values.phases ?? '').split(',').filter(Boolean) as Phase[];
const unknown = phases.filter((p) => !PHASES.includes(p));
if (!Number.isInteger(episodes) || episodes < 1 || unknown.length || !phases.length) {
  console.error(`usage: bench/chaos.ts [--episodes N ≥ 1] [--phases ${PHASES.join(',')}]`);
  process.exit(1);
}

const WRITE_TOKEN = 'chaos-write-token';
// How long a contact may wait for the page, or the resolution, after the daemon's last start.
const PATIENCE_MS = 30_000;
const sleep = (ms: number) => systemClock.sleep(ms);
const between = (min: number, max: number) => min + Math.random() * (max - min);

/** A message as a receiver got it: its key, the events it carries, and when the receiver answered it (if it did). */
interface Received {
  key: string;
  events: string[];
  alertId?: string;
  answeredAt?: number;
}

/** A receiver's record of one episode, and its switch to hold (never answer) what it gets. */
class Mailbox {
  messages: Received[] = [];
  constructor(readonly name: string) {}
  hold = false;
  held = 0;
  onAnswer: ((m: Received) => void) | undefined;

  /** Records a message; answers it with `answer` unless holding. */
  receive(m: Received, answer: () => void): void {
    this.messages.push(m);
    if (this.hold) {
      this.held++;
      return;
    }
    m.answeredAt = systemClock.now();
    answer();
    this.onAnswer?.(m);
  }

  got(event: string): boolean {
    return this.messages.some((m) => m.events.includes(event));
  }

  reset(): void {
    this.messages = [];
    this.hold = false;
    this.held = 0;
    this.onAnswer = undefined;
  }
}

/** The event of one email part, from its headline (src/notifiers/describe.ts: `[RESOLVED] …`, `[P0] Acknowledged by …`). */
function emailEvent(headline: string): string {
  if (headline.startsWith('[RESOLVED]')) return 'resolved';
  if (/^\[P\d\] Acknowledged by /.test(headline)) return 'acknowledged';
  if (/^\[P\d\] (Not acknowledged|Escalated|Now |Re-opened|Flapping|Stopped flapping)/.test(headline)) return 'other';
  return 'firing';
}

const mail = new Mailbox('email');
const hook = new Mailbox('webhook');

// Plain SMTP on loopback: what is measured is the outbox, not TLS.
const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ['AUTH', 'STARTTLS'],
  logger: false,
  disableReverseLookup: true,
  onData(stream, _session, callback) {
    simpleParser(stream).then(
      (parsed) => {
        // textBody (src/notifiers/describe.ts) puts each alert's part, headline first, between `----` lines.
        const events = (parsed.text ?? '')
          .split('\n----\n')
          .map((part) => emailEvent(part.trim().split('\n')[0] ?? ''));
        mail.receive({ key: parsed.messageId ?? '', events }, () => callback());
      },
      (err: Error) => callback(err),
    );
  },
});
// A daemon killed mid-session resets its connection: smtp-server reports that on the server, which must not end the bench.
smtp.on('error', () => {});
await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
const receiver = await startHttpTarget();
receiver.route('/hook', (req, res) => {
  // http-target records a request just before it routes it here: the last one recorded is this one.
  const body = JSON.parse(receiver.requests.at(-1)?.body ?? '{}') as {
    notifications?: { event: string; alert: { id: string } }[];
  };
  const events = (body.notifications ?? []).map((n) => n.event);
  const key = String(req.headers['idempotency-key']);
  hook.receive({ key, events, alertId: body.notifications?.[0]?.alert.id }, () => {
    if (!slowAnswers) return res.writeHead(200).end('ok');
    res.writeHead(200);
    res.flushHeaders();
    sleep(1_000).then(() => res.end('ok'));
  });
});
// The webhook receiver's 200 comes at once, the rest of its answer a second later.
let slowAnswers = false;
let broken = false;
const target = await startHttpTarget({
  routes: { '/health': (_req, res) => res.writeHead(broken ? 503 : 200).end(broken ? 'down' : 'ok') },
});

const root = buildScratch();
const dir = mkdtempSync(join(tmpdir(), 'centinela-chaos-'));
const configDir = join(dir, 'config');
mkdirSync(configDir);
writeFileSync(
  join(configDir, 'centinela.yaml'),
  `server:\n  listen: 127.0.0.1:0\n  write_token: ${WRITE_TOKEN}\nstate:\n  path: \${STATE_PATH}\n`,
);
writeFileSync(
  join(configDir, 'alerts.yaml'),
  `probes:
  - name: target
    kind: http
    url: \${TARGET_URL}/health
    every: 500ms
    timeout: 400ms
rules:
  - name: TargetDown
    sample: target.up
    op: "=="
    thresholds: { P0: 0 }
    for: 1s
    clear_for: 1s
    summary: the target does not answer
`,
);
writeFileSync(
  join(configDir, 'escalation.yaml'),
  `levels:
  P0: { ack_within: 15m, repeat_every: 10m, escalate_to: none, contacts: [oncall, ops] }
  P2: { ack_within: 4h, repeat_every: 1h, contacts: [ops] }
contacts:
  oncall: { name: On-call, email: oncall@example.test, channels: [email] }
  ops: { name: Ops room, channels: [hook] }
channels:
  email:
    kind: email
    smtp:
      host: 127.0.0.1
      port: \${SMTP_PORT}
      security: none
      from: centinela <centinela@example.test>
  hook:
    kind: webhook
    format: generic
    url: \${HOOK_URL}
    timeout: 10s
delivery: { initial_backoff: 200ms, max_backoff: 1s, fallback_after: 5m, group_wait: 0s }
`,
);

interface Tally {
  episodes: number;
  kills: number;
  lostPages: number;
  lostResolutions: number;
  repeatsAnswered: number;
  repeatsUnanswered: number;
  repeatsNewId: number;
}
const noTally = (): Tally => ({
  episodes: 0,
  kills: 0,
  lostPages: 0,
  lostResolutions: 0,
  repeatsAnswered: 0,
  repeatsUnanswered: 0,
  repeatsNewId: 0,
});
const tallies = new Map<Phase, Tally>(phases.map((p) => [p, noTally()]));
/** Receiver's answer → row marked delivered, ms, over every delivered row of every episode. */
const windows = new Map<string, number[]>([
  ['email', []],
  ['webhook', []],
]);
const receivers = [mail, hook];
const bothPaged = () => receivers.every((r) => r.got('firing'));
const waitFor = (done: () => boolean) =>
  waitUntil(done, PATIENCE_MS, () => '').then(
    () => true,
    () => false,
  );

/** Kills (restart) 0-`ms` ms after one of `boxes` answered the page, scheduled from the answer itself (no polling). */
async function killAfterAnswer(boxes: Mailbox[], ms: number, restart: () => Promise<void>): Promise<void> {
  let killed: Promise<void> | undefined;
  for (const r of boxes) {
    r.onAnswer = (m) => {
      if (m.events.includes('firing')) killed ??= sleep(between(0, ms)).then(restart);
    };
  }
  await waitFor(() => killed !== undefined);
  await killed;
}

/** The daemon process of the episode under way. */
let running: DaemonProcess | undefined;

async function episode(n: number, phase: Phase): Promise<void> {
  const tally = tallies.get(phase) as Tally;
  const killsBefore = tally.kills;
  const state = join(dir, `state-${n}.db`);
  const env = {
    STATE_PATH: state,
    TARGET_URL: target.url,
    SMTP_PORT: String((smtp.server.address() as AddressInfo).port),
    HOOK_URL: `${receiver.url}/hook`,
  };
  // A minute to start: other work shares this machine's cores, and a start is not what is measured.
  const start = async () => {
    running = await spawnCentinela(configDir, env, { bin: join(root, 'bin/centinela.js'), within: 60_000 });
    return running;
  };
  let daemon: DaemonProcess = await start();
  const restart = async () => {
    daemon.kill('SIGKILL');
    await daemon.exited;
    tally.kills++;
    for (const r of receivers) r.hold = false;
    slowAnswers = false;
    daemon = await start();
  };
  broken = false;
  for (const r of receivers) r.reset();
  await sleep(1_000);
  broken = true;

  if (phase === 'before-page') {
    await sleep(between(0, 900));
    await restart();
  } else if (phase === 'holding') {
    for (const r of receivers) r.hold = true;
    await waitFor(() => receivers.some((r) => r.held > 0));
    await sleep(between(0, 300));
    await restart();
  } else if (phase === 'after-page') {
    await killAfterAnswer(receivers, 20, restart);
  } else if (phase === 'slow-answer') {
    slowAnswers = true;
    await killAfterAnswer([hook], 1_000, restart);
  } else if (phase === 'after-ack') {
    await waitFor(bothPaged);
    const id = hook.messages.find((m) => m.alertId)?.alertId;
    const ack = await fetch(`${daemon.url}/api/v1/alerts/${id}/ack`, {
      method: 'POST',
      headers: { authorization: `Bearer ${WRITE_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ by: 'chaos' }),
    });
    if (ack.status !== 200) console.log(`episode ${n}: the ack answered ${ack.status} ${await ack.text()}`);
    await sleep(between(0, 300));
    await restart();
  } else if (phase === 'resolving') {
    await waitFor(bothPaged);
    broken = false;
    await sleep(between(0, 2_500));
    await restart();
  } else {
    const kills = Math.floor(between(3, 7));
    await sleep(between(0, 1_500));
    for (let k = 0; k < kills; k++) {
      if (k > 0) await sleep(between(300, 2_500));
      if (bothPaged()) broken = false;
      await restart();
    }
  }

  const lost: string[] = [];
  for (const r of receivers) if (!(await waitFor(() => r.got('firing')))) lost.push(`${r.name}'s page`);
  broken = false;
  for (const r of receivers) if (!(await waitFor(() => r.got('resolved')))) lost.push(`${r.name}'s resolution`);
  daemon.kill('SIGTERM');
  await daemon.exited;
  const before = { ...tally };
  tally.episodes++;
  tally.lostPages += lost.filter((l) => l.endsWith('page')).length;
  tally.lostResolutions += lost.filter((l) => l.endsWith('resolution')).length;
  const repeatedAt = new Set<string>();
  for (const r of receivers) {
    const seen = new Map<string, Received[]>();
    for (const m of r.messages) {
      const earlier = seen.get(m.key) ?? [];
      if (earlier.length) {
        repeatedAt.add(r.name);
        if (earlier.some((e) => e.answeredAt !== undefined)) tally.repeatsAnswered++;
        else tally.repeatsUnanswered++;
      }
      seen.set(m.key, [...earlier, m]);
    }
    // The same event in messages of different ids: a resent row that went out with rows written meanwhile.
    for (const event of ['firing', 'acknowledged', 'resolved']) {
      const keys = new Set(r.messages.filter((m) => m.events.includes(event)).map((m) => m.key));
      tally.repeatsNewId += Math.max(0, keys.size - 1);
    }
  }
  const answered = tally.repeatsAnswered - before.repeatsAnswered;
  const unanswered = tally.repeatsUnanswered - before.repeatsUnanswered;
  const newId = tally.repeatsNewId - before.repeatsNewId;
  if (lost.length || answered || unanswered || newId) {
    const what = [
      ...lost.map((l) => `lost ${l}`),
      `repeats: ${answered} of answered messages, ${unanswered} of unanswered ones, ${newId} under a new id (${[...repeatedAt].join(', ') || 'none'})`,
    ];
    console.log(`  episode ${n + 1} (${phase}, ${tally.kills - killsBefore} kills): ${what.join('; ')}`);
  }
  const db = new Database(state, { readonly: true });
  const rows = db.prepare(`SELECT contact, kind, delivered_at FROM outbox WHERE state = 'delivered'`).all() as {
    contact: string;
    kind: string;
    delivered_at: number;
  }[];
  db.close();
  for (const row of rows) {
    const box = row.contact === 'oncall' ? mail : hook;
    const answers = box.messages
      .filter((m) => m.events.includes(row.kind) && m.answeredAt !== undefined && m.answeredAt <= row.delivered_at)
      .map((m) => m.answeredAt as number);
    if (answers.length) windows.get(box.name)?.push(row.delivered_at - answers.reduce((a, b) => Math.max(a, b)));
  }
}

console.log(
  `chaos: ${episodes} episodes over ${phases.join(', ')}; built centinela run, node ${process.version}; load average before: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
const began = systemClock.now();
try {
  for (let n = 0; n < episodes; n++) {
    await episode(n, phases[n % phases.length] as Phase);
    if ((n + 1) % 10 === 0)
      console.log(`  ${n + 1} episodes, ${((systemClock.now() - began) / 60_000).toFixed(1)} min`);
  }
} finally {
  // An episode that failed half-way leaves no daemon behind.
  running?.kill('SIGKILL');
  await Promise.all([new Promise<void>((r) => smtp.close(() => r())), receiver.close(), target.close()]);
  rmSync(dir, { recursive: true, force: true });
}

const COLUMNS: [string, (t: Tally) => number][] = [
  ['episodes', (t) => t.episodes],
  ['kills', (t) => t.kills],
  ['lost pages', (t) => t.lostPages],
  ['lost resolutions', (t) => t.lostResolutions],
  ['repeats', (t) => t.repeatsAnswered + t.repeatsUnanswered],
  ['of answered ones', (t) => t.repeatsAnswered],
  ['unanswered', (t) => t.repeatsUnanswered],
  ['under a new id', (t) => t.repeatsNewId],
];
const row = (name: string, t: Tally) =>
  [name.padEnd(12), ...COLUMNS.map(([title, f]) => String(f(t)).padStart(title.length))].join('  ');
console.log(
  `\n${((systemClock.now() - began) / 60_000).toFixed(1)} min; 2 contacts paged per incident (email, webhook)`,
);
console.log(['phase'.padEnd(12), ...COLUMNS.map(([title]) => title)].join('  '));
const total = noTally();
for (const [phase, t] of tallies) {
  console.log(row(phase, t));
  for (const k of Object.keys(total) as (keyof Tally)[]) total[k] += t[k];
}
console.log(row('total', total));
console.log("window, receiver's answer → row marked delivered (delivered_at, ms):");
for (const [name, ms] of [...windows, ['both', [...windows.values()].flat()] as const]) {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  console.log(
    `  ${name.padEnd(8)} ${sorted.length} deliveries: median ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${sorted.at(-1)} ms`,
  );
}
