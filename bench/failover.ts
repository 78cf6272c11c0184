// Bench: kill -9 of the leader of a pair (issue 18). Each episode starts two `centinela run` processes on one
// PostgreSQL database (a fresh schema of one database of the machine's server), the first leading and the second a
// standby; breaks the loopback target they probe every second; kills the leader with SIGKILL at a random moment
// 0-3 s after the break (before its page, while it delivers, or after); waits for the standby to take over; fixes the
// target and waits for the resolution. The P0 level pages two contacts, one by email (a real SMTP server) and one by
// a generic webhook (a loopback receiver).
//
// Prints per episode and in total: the takeover time (the kill → the standby's "leader:" line), lost pages and lost
// resolutions (a contact that never received the incident's page / its resolution within 30 s), repeats of the page
// (more than one copy at a contact) and, among the webhook's, copies that carried another Idempotency-Key than the
// first (a repeat must carry the same one). A killed leader cannot deliver, so deliveries by a fenced leader are
// those of test/e2e/pair.test.ts (SIGSTOP), not counted here.
//
//   npx tsx bench/failover.ts [--episodes 50]
import { parseArgs } from 'node:util';
import { systemClock } from '../src/clock.js';
import {
  type DaemonProcess,
  hookEvents,
  spawnCentinela,
  startWorld,
  usePostgresState,
} from '../test/support/daemon.js';
import { createTestDatabase } from '../test/support/pg.js';
import { load, median, quantile } from './support/process-usage.js';

const { values } = parseArgs({ options: { episodes: { type: 'string', default: '50' } } });
const EPISODES = Number(values.episodes);
const FAST = { EVERY: '1s', RETRY_EVERY: '500ms', TIMEOUT: '800ms' };
const WITHIN = 30_000;

interface Episode {
  killAfterMs: number;
  takeoverMs: number;
  lostPages: number;
  lostResolutions: number;
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

const db = await createTestDatabase();
const episodes: Episode[] = [];
console.log(`failover bench: ${EPISODES} episodes of kill -9 of the leader, load ${load()}`);
try {
  for (let i = 0; i < EPISODES; i++) {
    const admin = await db.connect();
    await admin.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
    await admin.end();
    const world = await startWorld(FAST, systemClock);
    const env = { ...world.env, ...usePostgresState(world, db.url) };
    const running: DaemonProcess[] = [];
    try {
      // A loaded machine can take well over the default 20 s to start a process through tsx.
      const leader = await spawnCentinela(world.configDir, env, { within: 60_000 });
      running.push(leader);
      const standby = await spawnCentinela(world.configDir, env, { until: /^standby: /, within: 60_000 });
      running.push(standby);
      world.target.setFault('down');
      const killAfterMs = Math.floor(Math.random() * 3_000);
      await sleep(killAfterMs);
      const killedAt = Date.now();
      leader.kill('SIGKILL');
      await leader.exited;
      await standby.waitForLog(/^centinela running$/, WITHIN);
      const led = standby.logs.find((l) => /^leader: /.test(l.msg));
      const takeoverMs = Date.parse(String(led?.time)) - killedAt;
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
      const keys = world.hook.requests
        .filter((r) => r.body.includes('"event":"firing"'))
        .map((r) => String(r.headers['idempotency-key']));
      const episode: Episode = {
        killAfterMs,
        takeoverMs,
        lostPages,
        lostResolutions,
        repeats: Math.max(0, paged.hook() - 1) + Math.max(0, paged.mail() - 1),
        otherKeys: keys.filter((k) => k !== keys[0]).length,
      };
      episodes.push(episode);
      console.log(
        `episode ${i + 1}: killed ${killAfterMs} ms after the break, takeover ${takeoverMs} ms, ` +
          `lost pages ${lostPages}, lost resolutions ${lostResolutions}, repeats ${episode.repeats} ` +
          `(other key ${episode.otherKeys})`,
      );
    } finally {
      for (const d of running) {
        d.kill('SIGKILL');
        await d.exited;
      }
      await world.close();
    }
  }
} finally {
  await db.drop();
}

const sum = (f: (e: Episode) => number) => episodes.reduce((n, e) => n + f(e), 0);
const takeovers = episodes.map((e) => e.takeoverMs);
console.log(
  `${episodes.length} episodes: takeover median ${median(takeovers)} ms, p90 ${quantile(takeovers, 0.9)} ms, ` +
    `max ${Math.max(...takeovers)} ms; lost pages ${sum((e) => e.lostPages)}, lost resolutions ` +
    `${sum((e) => e.lostResolutions)}, repeats ${sum((e) => e.repeats)} (with another Idempotency-Key ` +
    `${sum((e) => e.otherKeys)}); load ${load()}`,
);
