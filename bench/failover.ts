// Bench: failover of a pair (issue 18). Each episode starts two `centinela run` processes on one PostgreSQL database
// (a fresh schema of one database of the machine's server), the first leading and the second a standby; breaks the
// loopback target they probe every second; hits the leader at a random moment 0-3 s after the break (before its page,
// while it delivers, or after) in one of three ways; waits for the standby to take over; fixes the target and waits
// for the resolution. The P0 level pages two contacts, one by email (a real SMTP server) and one by a generic webhook
// (a loopback receiver). The kinds of episode, taken in turn:
//
//   kill  SIGKILL of the leader: its PostgreSQL sessions end at once.
//   stop  SIGSTOP of the leader past the lease (the server ends its silent lock session), then SIGCONT once the
//         standby leads: the woken leader must deliver nothing more and exit 1.
//   cut   pg_terminate_backend of every PostgreSQL session of the leader (the lock's, the pool's: found by the ports
//         of its sockets): it is unsure of the lead, finds the lock taken when it connects again, and exits 1.
//
// Prints per episode, and per kind: the takeover time (the hit → the standby's "leader:" line), lost pages and lost
// resolutions (a contact that never received the incident's page / its resolution within 30 s), deliveries by a
// fenced leader (sends the old leader began after the new leader's "leader:" line: its "outbox: sending" lines),
// sends of the old leader that were in flight when it was hit and finished after the takeover (begun before, its
// "outbox: delivered" after: the new leader, finding them unrecorded, sends them again), repeats of the page (more
// than one copy at a contact) and, among them, copies that carried another idempotency key than the first
// (Idempotency-Key, Message-ID: a repeat must carry the same one); and the load average.
//
//   npx tsx bench/failover.ts [--episodes 50] [--kinds kill,stop,cut]      (episodes per kind)
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { systemClock } from '../src/clock.js';
import {
  type DaemonProcess,
  hookEvents,
  spawnCentinela,
  startWorld,
  usePostgresState,
  type World,
} from '../test/support/daemon.js';
import { createTestDatabase, pgPort, type TestDatabase } from '../test/support/pg.js';
import { load, median, quantile } from './support/process-usage.js';

const KINDS = ['kill', 'stop', 'cut'] as const;
type Kind = (typeof KINDS)[number];

const { values } = parseArgs({
  options: { episodes: { type: 'string', default: '50' }, kinds: { type: 'string', default: KINDS.join(',') } },
});
const EPISODES = Number(values.episodes);
const kinds = values.kinds.split(',').map((k) => {
  if (!(KINDS as readonly string[]).includes(k)) throw new Error(`--kinds: no kind "${k}". Kinds: ${KINDS.join(', ')}`);
  return k as Kind;
});
// A lease of 5 s as test/e2e/pair.test.ts: a SIGSTOP episode waits for it.
const FAST = { EVERY: '1s', RETRY_EVERY: '500ms', TIMEOUT: '800ms', LEASE: '5s' };
const WITHIN = 30_000;

interface Episode {
  kind: Kind;
  hitAfterMs: number;
  takeoverMs: number;
  lostPages: number;
  lostResolutions: number;
  fencedDeliveries: number;
  finishedLate: number;
  repeats: number;
  otherKeys: number;
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

async function episode(kind: Kind, db: TestDatabase, world: World): Promise<Episode> {
  // Debug: the old leader's "outbox: sending" and "outbox: delivered" lines are how its deliveries are counted.
  const env = { ...world.env, ...usePostgresState(world, db.url), LOG_LEVEL: 'debug' };
  const running: DaemonProcess[] = [];
  try {
    // A loaded machine can take well over the default 20 s to start a process through tsx.
    const leader = await spawnCentinela(world.configDir, env, { within: 60_000 });
    running.push(leader);
    const standby = await spawnCentinela(world.configDir, env, { until: /^standby: /, within: 60_000 });
    running.push(standby);
    world.target.setFault('down');
    const hitAfterMs = Math.floor(Math.random() * 3_000);
    await sleep(hitAfterMs);
    const hitAt = Date.now();
    await hit(kind, leader, db);
    const led = await standby.waitForLog(/^leader: this centinela is the active one/, 60_000);
    const ledAt = Date.parse(String(led.time));
    const takeoverMs = ledAt - hitAt;
    if (kind === 'stop') leader.kill('SIGCONT');
    const paged = {
      hook: () => hookEvents(world.hook).filter((e) => e === 'firing ApiDown').length,
      mail: () => world.smtp.received.filter((m) => m.mail.subject?.startsWith('[P0]')).length,
    };
    await eventually(() => paged.hook() > 0 && paged.mail() > 0);
    const lostPages = (paged.hook() === 0 ? 1 : 0) + (paged.mail() === 0 ? 1 : 0);
    world.target.setFault('none');
    const resolved = {
      hook: () => hookEvents(world.hook).includes('resolved ApiDown'),
      mail: () => world.smtp.received.some((m) => m.mail.subject?.startsWith('[RESOLVED]')),
    };
    await eventually(() => resolved.hook() && resolved.mail());
    const lostResolutions = (resolved.hook() ? 0 : 1) + (resolved.mail() ? 0 : 1);
    // The old leader, when it lived on, has stopped: it must exit 1 on its own.
    if (kind !== 'kill') {
      const exited = await Promise.race([leader.exited, sleep(WITHIN).then(() => undefined)]);
      if (exited?.code !== 1) console.log(`  the old leader did not exit 1 within 30 s: ${JSON.stringify(exited)}`);
    }
    const after = (msg: string) => leader.logs.filter((l) => l.msg === msg && Date.parse(String(l.time)) >= ledAt);
    const fencedDeliveries = after('outbox: sending').length;
    const finishedLate = Math.max(0, after('outbox: delivered').length - fencedDeliveries);
    const keys = {
      hook: world.hook.requests
        .filter((r) => r.body.includes('"event":"firing"'))
        .map((r) => String(r.headers['idempotency-key'])),
      mail: world.smtp.received.filter((m) => m.mail.subject?.startsWith('[P0]')).map((m) => m.mail.messageId),
    };
    const other = (ks: unknown[]) => ks.filter((k) => k !== ks[0]).length;
    if (lostPages + lostResolutions + fencedDeliveries > 0) {
      // Kept for a look: both processes' logs, one JSON line each.
      const dir = mkdtempSync(join(tmpdir(), 'failover-episode-'));
      writeFileSync(join(dir, 'old-leader.log'), leader.logs.map((l) => JSON.stringify(l)).join('\n'));
      writeFileSync(join(dir, 'new-leader.log'), standby.logs.map((l) => JSON.stringify(l)).join('\n'));
      console.log(`  a page or resolution lost, or a send by the fenced leader: the logs are in ${dir}`);
    }
    return {
      kind,
      hitAfterMs,
      takeoverMs,
      lostPages,
      lostResolutions,
      fencedDeliveries,
      finishedLate,
      repeats: Math.max(0, paged.hook() - 1) + Math.max(0, paged.mail() - 1),
      otherKeys: other(keys.hook) + other(keys.mail),
    };
  } finally {
    for (const d of running) {
      d.kill('SIGKILL');
      d.kill('SIGCONT');
      await d.exited;
    }
  }
}

const db = await createTestDatabase();
const episodes: Episode[] = [];
console.log(`failover bench: ${EPISODES} episodes of each of ${kinds.join(', ')}, load ${load()}`);
try {
  for (let i = 0; i < EPISODES * kinds.length; i++) {
    const kind = kinds[i % kinds.length] as Kind;
    const admin = await db.connect();
    await admin.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
    await admin.end();
    const world = await startWorld(FAST, systemClock);
    try {
      const e = await episode(kind, db, world);
      episodes.push(e);
      console.log(
        `episode ${i + 1} (${kind}): hit ${e.hitAfterMs} ms after the break, takeover ${e.takeoverMs} ms, ` +
          `lost pages ${e.lostPages}, lost resolutions ${e.lostResolutions}, by a fenced leader ` +
          `${e.fencedDeliveries} (in flight, finished after the takeover ${e.finishedLate}), repeats ${e.repeats} ` +
          `(other key ${e.otherKeys})`,
      );
    } finally {
      await world.close();
    }
  }
} finally {
  await db.drop();
}

for (const kind of kinds) {
  const of = episodes.filter((e) => e.kind === kind);
  if (of.length === 0) continue;
  const sum = (f: (e: Episode) => number) => of.reduce((n, e) => n + f(e), 0);
  const takeovers = of.map((e) => e.takeoverMs);
  console.log(
    `${kind}: ${of.length} episodes, takeover median ${median(takeovers)} ms, p90 ${quantile(takeovers, 0.9)} ms, ` +
      `max ${Math.max(...takeovers)} ms; lost pages ${sum((e) => e.lostPages)}, lost resolutions ` +
      `${sum((e) => e.lostResolutions)}, deliveries by a fenced leader ${sum((e) => e.fencedDeliveries)} ` +
      `(in flight at the hit, finished after the takeover ${sum((e) => e.finishedLate)}), ` +
      `repeats ${sum((e) => e.repeats)} (with another idempotency key ${sum((e) => e.otherKeys)})`,
  );
}
console.log(`load ${load()}`);
