// Bench: failover of a pair (issue 18). Each episode starts two `centinela run` processes on one PostgreSQL database
// (a fresh schema of one database of the machine's server), the first leading and the second a standby, each paging
// its OWN receivers (a real SMTP server and a loopback webhook receiver per process, through its environment), so
// what reached a receiver is known by which process sent it; breaks the loopback target they probe every second; hits
// the leader in one of three ways at one of three phases of the incident; waits for the standby to take over; fixes
// the target and waits for the resolution. The P0 level pages two contacts, one by email, one by a generic webhook.
//
// The kinds of hit, taken in turn:
//
//   kill  SIGKILL of the leader: its PostgreSQL sessions end at once.
//   stop  SIGSTOP of the leader past the lease (the server ends its silent lock session), then SIGCONT once the
//         standby holds the lock: the woken leader must deliver nothing more and exit 1.
//   cut   pg_terminate_backend of every PostgreSQL session of the leader (the lock's, the pool's: found by the ports
//         of its sockets): it is unsure of the lead, finds the lock taken when it connects again, and exits 1.
//
// The phases, taken in turn for each kind (--phases):
//
//   page        0-3 s after the break (before its page, while it delivers, or after).
//   ack         0-1 s after the page was acknowledged through the leader's API (its ack notices going out or out).
//   resolution  while the resolution is being delivered: the leader's webhook receiver holds the resolution's request
//               unanswered, the target fixed, and the hit comes once that request hangs.
//
// The takeover is read from PostgreSQL, not from a log line: from the hit, the bench polls pg_locks every 20 ms until
// the leadership advisory lock is granted to a session of the standby (found by its sockets' ports), and the term row
// until it grows. Takeover time = the poll that saw the lock held (an upper bound); the reference for "after the
// takeover" = the start of the poll before it (a lower bound: the lock was not held yet then), so a send is never
// counted as before the takeover when it may have been after.
//
// Prints per episode, and per kind and per phase: the takeover time (hit → new leader holds the lock; also when its
// term was seen and its "leader:" line), lost pages and lost resolutions (a contact that received the incident's page
// / its resolution at neither process's receivers within 30 s), what reached the OLD leader's receivers after the
// takeover (every message, each with its arrival time at the receiver), split by the old leader's "outbox: sending"
// debug line for that contact before the arrival: (a) begun after the takeover: the issue's "deliveries by a fenced
// leader", a send its term no longer allowed; (b) in flight at the hit (begun while it led, its last bytes read by
// the receiver after the takeover): a repeat with the same key, which the fail-open rule prefers to a miss (the old
// leader stops such a send as soon as its lock's connection fails, so what remains is a send whose bytes had left,
// or a kill -9's socket the kernel had still to flush); repeats at a contact across both processes' receivers
// of the page and of the resolution, and among them copies with another idempotency key than the first (webhook
// Idempotency-Key, email Message-ID: a repeat must carry the same one); whether the old leader (stop, cut) exited 1
// within 30 s; and the load average.
// An episode with a loss, an arrival at the old leader's receivers after the takeover, or an old leader that did not
// exit 1 keeps both processes' logs and every arrival in a temp folder, and says where.
//
//   npx tsx bench/failover.ts [--episodes 50] [--kinds kill,stop,cut] [--phases page,ack,resolution]
//                                                                            (episodes per kind)
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type pg from 'pg';
import { systemClock } from '../src/clock.js';
import { LOCK_SPACE, META_TABLE } from '../src/store/postgres-schema.js';
import {
  type DaemonProcess,
  spawnCentinela,
  startWorld,
  usePostgresState,
  type World,
  WRITE_TOKEN,
} from '../test/support/daemon.js';
import { createTestDatabase, pgPort, type TestDatabase } from '../test/support/pg.js';
import { type SmtpSink, startSmtpSink } from '../test/support/smtp-sink.js';
import { startWebhookSink, type WebhookSink } from '../test/support/webhook-sink.js';
import { load, median, quantile } from './support/process-usage.js';

const KINDS = ['kill', 'stop', 'cut'] as const;
type Kind = (typeof KINDS)[number];
const PHASES = ['page', 'ack', 'resolution'] as const;
type Phase = (typeof PHASES)[number];

const { values } = parseArgs({
  options: {
    episodes: { type: 'string', default: '50' },
    kinds: { type: 'string', default: KINDS.join(',') },
    phases: { type: 'string', default: PHASES.join(',') },
  },
});
const EPISODES = Number(values.episodes);
function listOption<T extends string>(name: string, text: string, all: readonly T[]): T[] {
  return text.split(',').map((k) => {
    if (!(all as readonly string[]).includes(k))
      throw new Error(`--${name}: no ${name} "${k}". Known: ${all.join(', ')}`);
    return k as T;
  });
}
const kinds = listOption('kinds', values.kinds, KINDS);
const phases = listOption('phases', values.phases, PHASES);
// A lease of 5 s as test/e2e/pair.test.ts: a SIGSTOP episode waits for it.
const FAST = { EVERY: '1s', RETRY_EVERY: '500ms', TIMEOUT: '800ms', LEASE: '5s' };
const WITHIN = 30_000;
const POLL_MS = 20;
/** The leadership advisory lock (postgres-leadership.ts: LEADER_LOCK in LOCK_SPACE). */
const LEADER_LOCK = 2;

type Exit = 'killed' | 'exited 1' | 'did not exit within 30 s' | `exited ${string}`;

interface Episode {
  kind: Kind;
  phase: Phase;
  hitAfterMs: number;
  takeoverMs: number;
  termMs: number;
  leaderLineMs: number;
  lostPages: number;
  lostResolutions: number;
  /** Messages that reached the old leader's receivers after the takeover: in flight at it, and begun after it. */
  inFlight: number;
  begunAfter: number;
  pageRepeats: number;
  pageOtherKeys: number;
  resolutionRepeats: number;
  resolutionOtherKeys: number;
  exit: Exit;
}

const sleep = (ms: number) => new Promise((resolve) => systemClock.setTimeout(() => resolve(undefined), ms));

/** Polls `done` every 100 ms for up to `within` ms; true once it held. */
async function eventually(done: () => boolean, within = WITHIN): Promise<boolean> {
  const deadline = Date.now() + within;
  while (!done()) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  return true;
}

/** The local ports of the TCP connections process `pid` has open to PostgreSQL (from /proc). */
function postgresPortsOf(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const socket = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (socket?.[1]) inodes.add(socket[1]);
    } catch {
      // The descriptor closed while listed.
    }
  }
  const ports: number[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      const [local, remote, inode] = [f[1], f[2], f[9]];
      if (!local || !remote || !inode || !inodes.has(inode)) continue;
      if (Number.parseInt(remote.split(':')[1] ?? '', 16) !== pgPort) continue;
      ports.push(Number.parseInt(local.split(':')[1] ?? '', 16));
    }
  }
  return ports;
}

/** Ends every PostgreSQL session of process `pid`; returns how many. */
async function cutSessions(db: TestDatabase, pid: number): Promise<number> {
  const admin = await db.connect();
  try {
    const { rows } = await admin.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE client_port = ANY($1::int[]) AND pid <> pg_backend_pid()',
      [postgresPortsOf(pid)],
    );
    return rows.length;
  } finally {
    await admin.end();
  }
}

/** Hits the leader; resolves when the hit is done (for stop: the leader frozen). */
async function hit(kind: Kind, leader: DaemonProcess, db: TestDatabase): Promise<void> {
  if (kind === 'kill') {
    leader.kill('SIGKILL');
    await leader.exited;
  } else if (kind === 'stop') {
    leader.kill('SIGSTOP');
  } else if ((await cutSessions(db, leader.pid)) === 0) {
    throw new Error('cut: the leader has no PostgreSQL session to end');
  }
}

/**
 * The leadership lock's holder (server pid and client port) and the term, as one query sees them. pg_locks is the
 * whole server's: the lock of this database only (other databases' centinelas take the same key).
 */
const LEAD = `SELECT (SELECT value FROM ${META_TABLE} WHERE key = 'term')::bigint AS term, l.pid, a.client_port
  FROM (SELECT 1) AS one
  LEFT JOIN pg_locks l ON l.locktype = 'advisory' AND l.granted AND l.classid = $1::bigint::oid
    AND l.objid = $2::bigint::oid AND l.objsubid = 2
    AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  LEFT JOIN pg_stat_activity a ON a.pid = l.pid`;

interface Takeover {
  /** When a poll first saw the lock held by a session of the standby (epoch ms): an upper bound. */
  lockSeen: number;
  /** When the poll before it was sent: the lock was not the standby's yet then (a lower bound). */
  lockAfter: number;
  /** When a poll first saw the term above the old leader's. */
  termSeen: number;
}

/** The lead as it is before the hit: the term. */
async function leadNow(admin: pg.Client): Promise<{ term: number }> {
  const { rows } = await admin.query(LEAD, [LOCK_SPACE, LEADER_LOCK]);
  return { term: Number(rows[0].term) };
}

/**
 * Polls every POLL_MS until the lock is held by a session of process `standby` and the term is above `term`; rejects
 * after 60 s.
 */
async function watchTakeover(admin: pg.Client, standby: number, term: number): Promise<Takeover> {
  const deadline = Date.now() + 60_000;
  const standbyPorts = new Map<number, boolean>();
  let previous = Date.now();
  let lock: { seen: number; after: number } | undefined;
  let termSeen: number | undefined;
  for (;;) {
    const sent = Date.now();
    const { rows } = await admin.query(LEAD, [LOCK_SPACE, LEADER_LOCK]);
    const seen = Date.now();
    const row = rows[0] as { term: string | null; pid: number | null; client_port: number | null };
    if (!lock && row.pid !== null && row.client_port !== null) {
      // A holder's port is looked up once: the old leader may take the lock again (cut) before the standby.
      const port = row.client_port;
      if (!standbyPorts.has(port)) standbyPorts.set(port, postgresPortsOf(standby).includes(port));
      if (standbyPorts.get(port)) lock = { seen, after: previous };
    }
    if (termSeen === undefined && Number(row.term) > term) termSeen = seen;
    if (lock && termSeen !== undefined) return { lockSeen: lock.seen, lockAfter: lock.after, termSeen };
    if (seen > deadline) throw new Error('the standby did not hold the lock and a new term within 60 s');
    previous = sent;
    await sleep(POLL_MS);
  }
}

/** A replica's own receivers, each arrival with its time (epoch ms of this process). */
interface Receivers {
  smtp: SmtpSink;
  hook: WebhookSink;
  mailAt: number[];
  hookAt: number[];
}

/** Records when each item is added to `list` (a receiver adds one per arrival, once it has it all). */
function arrivalTimes<T>(list: T[]): number[] {
  const at: number[] = [];
  const push = list.push.bind(list);
  list.push = (...items: T[]) => {
    for (const _ of items) at.push(Date.now());
    return push(...items);
  };
  return at;
}

function receiversOf(smtp: SmtpSink, hook: WebhookSink): Receivers {
  return { smtp, hook, mailAt: arrivalTimes(smtp.received), hookAt: arrivalTimes(hook.requests) };
}

type What = 'page' | 'ack' | 'resolution' | 'other';
/** A message at a receiver: which contact (email: oncall, webhook: ops), what it says, its key, when it arrived. */
interface Arrival {
  contact: 'oncall' | 'ops';
  what: What;
  key: string;
  at: number;
}

function arrivals(r: Receivers): Arrival[] {
  const mail = r.smtp.received.map((m, i): Arrival => {
    const subject = m.mail.subject ?? '';
    const what: What = subject.startsWith('[RESOLVED]')
      ? 'resolution'
      : subject.startsWith('[P0] Acknowledged by')
        ? 'ack'
        : subject.startsWith('[P0]')
          ? 'page'
          : 'other';
    return { contact: 'oncall', what, key: String(m.mail.messageId), at: r.mailAt[i] ?? 0 };
  });
  const hook = r.hook.requests.map((q, i): Arrival => {
    const { notifications } = JSON.parse(q.body) as { notifications: { event: string }[] };
    const event = notifications[0]?.event;
    const what: What =
      event === 'firing' ? 'page' : event === 'resolved' ? 'resolution' : event === 'acknowledged' ? 'ack' : 'other';
    return { contact: 'ops', what, key: String(q.headers['idempotency-key']), at: r.hookAt[i] ?? 0 };
  });
  return [...mail, ...hook];
}

const CONTACTS = ['oncall', 'ops'] as const;

/** Per contact, copies of `what` beyond the first, and those with another key than the first. */
function repeats(all: Arrival[], what: What): { repeats: number; otherKeys: number } {
  let n = 0;
  let other = 0;
  for (const contact of CONTACTS) {
    const copies = all.filter((a) => a.contact === contact && a.what === what).sort((a, b) => a.at - b.at);
    n += Math.max(0, copies.length - 1);
    other += copies.filter((a) => a.key !== copies[0]?.key).length;
  }
  return { repeats: n, otherKeys: other };
}

const has = (all: () => Arrival[], contact: string, what: What) => () =>
  all().some((a) => a.contact === contact && a.what === what);

/** Acknowledges the one firing alert through the API of the daemon at `url`; false when it could not. */
async function ack(url: string): Promise<boolean> {
  try {
    const { alerts } = (await (await fetch(`${url}/api/v1/alerts`)).json()) as { alerts: { id: string }[] };
    const res = await fetch(`${url}/api/v1/alerts/${alerts[0]?.id}/ack`, {
      method: 'POST',
      headers: { authorization: `Bearer ${WRITE_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ by: 'ana' }),
    });
    return res.status === 200;
  } catch {
    return false;
  }
}

async function episode(kind: Kind, phase: Phase, db: TestDatabase, world: World): Promise<Episode> {
  // Debug: the old leader's "outbox: sending" lines tell a send in flight at the takeover from one begun after it.
  const env = { ...world.env, ...usePostgresState(world, db.url), LOG_LEVEL: 'debug' };
  const old = receiversOf(world.smtp, world.hook);
  const smtp = await startSmtpSink();
  const hook = await startWebhookSink();
  const next = receiversOf(smtp, hook);
  const running: DaemonProcess[] = [];
  const admin = await db.connect();
  const notes: string[] = [];
  try {
    // A loaded machine can take well over the default 20 s to start a process through tsx.
    const leader = await spawnCentinela(world.configDir, env, { within: 60_000 });
    running.push(leader);
    const standby = await spawnCentinela(
      world.configDir,
      { ...env, SMTP_PORT: String(smtp.port), SMTP_CA_FILE: smtp.cert.certFile, HOOK_URL: hook.url },
      { until: /^standby: /, within: 60_000 },
    );
    running.push(standby);
    const all = () => [...arrivals(old), ...arrivals(next)];
    const paged = (contact: string) => has(all, contact, 'page');
    const resolved = (contact: string) => has(all, contact, 'resolution');
    const brokeAt = Date.now();
    world.target.setFault('down');
    let fixed = false;
    if (phase === 'page') {
      await sleep(Math.floor(Math.random() * 3_000));
    } else {
      if (!(await eventually(() => paged('oncall')() && paged('ops')())))
        notes.push('the leader had not paged both contacts within 30 s when hit');
      if (phase === 'ack') {
        if (!(await ack(leader.url))) notes.push('the ack was refused');
        await sleep(Math.floor(Math.random() * 1_000));
      } else {
        world.hook.script('hang');
        world.target.setFault('none');
        fixed = true;
        if (!(await eventually(() => world.hook.hanging() > 0)))
          notes.push("the resolution's webhook request did not reach the leader's receiver within 30 s");
      }
    }
    const { term } = await leadNow(admin);
    const hitAt = Date.now();
    const hitAfterMs = hitAt - brokeAt;
    const watching = watchTakeover(admin, standby.pid, term);
    await hit(kind, leader, db);
    const took = await watching;
    if (kind === 'stop') leader.kill('SIGCONT');
    const led = await standby.waitForLog(/^leader: this centinela is the active one/, 60_000);
    await eventually(() => CONTACTS.every((c) => paged(c)()));
    const lostPages = CONTACTS.filter((c) => !paged(c)()).length;
    if (!fixed) world.target.setFault('none');
    await eventually(() => CONTACTS.every((c) => resolved(c)()));
    const lostResolutions = CONTACTS.filter((c) => !resolved(c)()).length;
    // The old leader, when it lived on, has stopped: it must exit 1 on its own; what it sends meanwhile is counted.
    let exit: Exit = 'killed';
    if (kind !== 'kill') {
      const exited = await Promise.race([leader.exited, sleep(WITHIN).then(() => undefined)]);
      exit =
        exited === undefined
          ? 'did not exit within 30 s'
          : exited.code === 1
            ? 'exited 1'
            : `exited ${JSON.stringify(exited)}`;
    }
    // What reached the old leader's receivers after the takeover, and whether the old leader began it before.
    const sending = leader.logs.filter((l) => l.msg === 'outbox: sending');
    const late = arrivals(old).filter((a) => a.at > took.lockAfter);
    const begunBefore = (a: Arrival) => {
      const begun = sending.filter((l) => l.contact === a.contact && Date.parse(String(l.time)) <= a.at).at(-1);
      return begun !== undefined && Date.parse(String(begun.time)) < took.lockAfter;
    };
    const inFlight = late.filter(begunBefore).length;
    const begunAfter = late.length - inFlight;
    const everything = all();
    const pages = repeats(everything, 'page');
    const resolutions = repeats(everything, 'resolution');
    if (lostPages + lostResolutions + late.length > 0 || (exit !== 'killed' && exit !== 'exited 1')) {
      // Kept for a look: both processes' logs, one JSON line each, and every arrival.
      const dir = mkdtempSync(join(tmpdir(), 'failover-episode-'));
      writeFileSync(join(dir, 'old-leader.log'), leader.logs.map((l) => JSON.stringify(l)).join('\n'));
      writeFileSync(join(dir, 'new-leader.log'), standby.logs.map((l) => JSON.stringify(l)).join('\n'));
      writeFileSync(
        join(dir, 'arrivals.json'),
        JSON.stringify({ hitAt, ...took, old: arrivals(old), new: arrivals(next) }, null, 1),
      );
      notes.push(`the logs and arrivals are in ${dir}`);
    }
    for (const n of notes) console.log(`  ${n}`);
    return {
      kind,
      phase,
      hitAfterMs,
      takeoverMs: took.lockSeen - hitAt,
      termMs: took.termSeen - took.lockSeen,
      leaderLineMs: Date.parse(String(led.time)) - took.lockSeen,
      lostPages,
      lostResolutions,
      inFlight,
      begunAfter,
      pageRepeats: pages.repeats,
      pageOtherKeys: pages.otherKeys,
      resolutionRepeats: resolutions.repeats,
      resolutionOtherKeys: resolutions.otherKeys,
      exit,
    };
  } finally {
    for (const d of running) {
      d.kill('SIGKILL');
      d.kill('SIGCONT');
      await d.exited;
    }
    await admin.end();
    await Promise.all([smtp.close(), hook.close()]);
  }
}

const db = await createTestDatabase();
const episodes: Episode[] = [];
console.log(
  `failover bench: ${EPISODES} episodes of each of ${kinds.join(', ')}, phases ${phases.join(', ')} in turn, ` +
    `load ${load()}`,
);
try {
  for (let i = 0; i < EPISODES * kinds.length; i++) {
    const kind = kinds[i % kinds.length] as Kind;
    // Each kind goes through the phases in turn.
    const phase = phases[Math.floor(i / kinds.length) % phases.length] as Phase;
    const admin = await db.connect();
    await admin.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
    await admin.end();
    const world = await startWorld(FAST, systemClock);
    try {
      const e = await episode(kind, phase, db, world);
      episodes.push(e);
      console.log(
        `episode ${i + 1} (${kind}, ${phase}): hit ${e.hitAfterMs} ms after the break, takeover ${e.takeoverMs} ms ` +
          `(term +${e.termMs} ms, "leader:" line +${e.leaderLineMs} ms); lost pages ${e.lostPages}, lost ` +
          `resolutions ${e.lostResolutions}; deliveries by a fenced leader ${e.begunAfter}; in flight at the hit, ` +
          `at the old leader's receivers after the takeover ${e.inFlight}; repeats of the page ` +
          `${e.pageRepeats} (other key ${e.pageOtherKeys}), of the resolution ${e.resolutionRepeats} (other key ` +
          `${e.resolutionOtherKeys}); old leader ${e.exit}`,
      );
    } finally {
      await world.close();
    }
  }
} finally {
  await db.drop();
}

function summary(name: string, of: Episode[]): void {
  if (of.length === 0) return;
  const sum = (f: (e: Episode) => number) => of.reduce((n, e) => n + f(e), 0);
  const takeovers = of.map((e) => e.takeoverMs);
  console.log(
    `${name}: ${of.length} episodes, takeover median ${median(takeovers)} ms, p90 ${quantile(takeovers, 0.9)} ms, ` +
      `max ${Math.max(...takeovers)} ms; lost pages ${sum((e) => e.lostPages)}, lost resolutions ` +
      `${sum((e) => e.lostResolutions)}; deliveries by a fenced leader (begun after the takeover) ` +
      `${sum((e) => e.begunAfter)}; sends in flight at the hit that reached the old leader's receivers after the ` +
      `takeover ${sum((e) => e.inFlight)}; repeats of the page ${sum((e) => e.pageRepeats)} (other key ` +
      `${sum((e) => e.pageOtherKeys)}), of the resolution ${sum((e) => e.resolutionRepeats)} (other key ` +
      `${sum((e) => e.resolutionOtherKeys)}); old leader not out within 30 s ` +
      `${of.filter((e) => e.exit === 'did not exit within 30 s').length}, exited otherwise than 1 ` +
      `${of.filter((e) => e.exit.startsWith('exited {')).length}`,
  );
}
for (const kind of kinds)
  summary(
    kind,
    episodes.filter((e) => e.kind === kind),
  );
for (const phase of phases)
  summary(
    `phase ${phase}`,
    episodes.filter((e) => e.phase === phase),
  );
console.log(`load ${load()}`);
