// Bench: what the standby of a pair costs and gains (issue 18, item 2). Each episode starts two `centinela run`
// processes on one PostgreSQL database (a fresh schema of one database of the machine's server), the first active
// and the second the standby, probing a loopback target every 5 s (the shipped probes' interval), and measures:
//
//   behind     the active's first page (the webhook receives it) → the standby lists the firing alert: how far its
//              copy of the state lags (it looks every second, then loads the whole set)
//   write      a silence added on the active directly, and one added on the standby (handed to the active through
//              PostgreSQL and answered by it): the round trip a caller sees, each
//   takeover   kill -9 of the active → the standby runs as the active ("centinela running")
//   first run  kill -9 → the new active's first api_metrics run (its probes start cold: the standby runs none)
//   first rate kill -9 → its first centinela_sample_requests_per_second, a rate from counters that needs two runs:
//              what keeping the standby's probes warm would have given one probe interval sooner
//   CPU        each process's CPU over 10 s of steady running before the kill (the standby's is its looks and loads)
//
//   npx tsx bench/standby.ts [--episodes 5]
import { parseArgs } from 'node:util';
import { systemClock } from '../src/clock.js';
import {
  type DaemonProcess,
  spawnCentinela,
  startWorld,
  usePostgresState,
  WRITE_TOKEN,
} from '../test/support/daemon.js';
import { createTestDatabase } from '../test/support/pg.js';
import { load, median, usage } from './support/process-usage.js';

const { values } = parseArgs({ options: { episodes: { type: 'string', default: '5' } } });
const EPISODES = Number(values.episodes);
const ENV = { EVERY: '5s', RETRY_EVERY: '1s', TIMEOUT: '2s', LEASE: '5s' };
const CPU_WINDOW_MS = 10_000;
const WRITE = { authorization: `Bearer ${WRITE_TOKEN}`, 'content-type': 'application/json' };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every 20 ms until it holds; the ms it took from `since`, or NaN after 60 s. */
async function until(check: () => boolean | Promise<boolean>, since: number): Promise<number> {
  while (Date.now() - since < 60_000) {
    if (
      await Promise.resolve()
        .then(check)
        .catch(() => false)
    )
      return Date.now() - since;
    await sleep(20);
  }
  return Number.NaN;
}

/** Adds a silence through `url`; the ms until it answered, and its status. */
async function silence(url: string, alertname: string): Promise<{ ms: number; status: number }> {
  const start = Date.now();
  const res = await fetch(`${url}/api/v1/silences`, {
    method: 'POST',
    headers: WRITE,
    body: JSON.stringify({ matchers: { alertname }, for: '10m', by: 'bench', reason: 'bench', force: true }),
  });
  await res.text();
  return { ms: Date.now() - start, status: res.status };
}

interface Episode {
  behind: number;
  direct: number;
  handed: number;
  takeover: number;
  firstRun: number;
  firstRate: number;
  /** CPU of each process over CPU_WINDOW_MS, in percent of one core. */
  cpu: { active: number; standby: number };
}

async function episode(url: string): Promise<Episode> {
  const world = await startWorld(ENV, systemClock);
  const env = { ...world.env, ...usePostgresState(world, url) };
  const running: DaemonProcess[] = [];
  try {
    const active = await spawnCentinela(world.configDir, env, { within: 60_000 });
    running.push(active);
    const standby = await spawnCentinela(world.configDir, env, { until: /^standby: .* serves reads/, within: 60_000 });
    running.push(standby);
    world.target.setFault('down');
    await until(() => world.hook.requests.length > 0, Date.now());
    const paged = Date.now();
    const behind = await until(async () => {
      const body = (await (await fetch(`${standby.url}/api/v1/alerts?state=firing`)).json()) as { alerts: unknown[] };
      return body.alerts.length > 0;
    }, paged);
    const direct = await silence(active.url, 'BenchDirect');
    const handed = await silence(standby.url, 'BenchHanded');
    if (direct.status !== 201 || handed.status !== 201) {
      throw new Error(`silences answered ${direct.status} (active) and ${handed.status} (standby)`);
    }
    world.target.setFault('none');
    const before = { active: usage(active.pid).cpu, standby: usage(standby.pid).cpu };
    await sleep(CPU_WINDOW_MS);
    const cpu = {
      active: (100 * (usage(active.pid).cpu - before.active)) / (CPU_WINDOW_MS / 1000),
      standby: (100 * (usage(standby.pid).cpu - before.standby)) / (CPU_WINDOW_MS / 1000),
    };
    const killed = Date.now();
    active.kill('SIGKILL');
    await active.exited;
    await standby.waitForLog(/^centinela running$/, 60_000);
    const takeover = Date.now() - killed;
    const metrics = async () => (await fetch(`${standby.url}/metrics`)).text();
    const firstRun = await until(
      async () => /^centinela_probe_runs_total\{probe="api_metrics"\} [1-9]/m.test(await metrics()),
      killed,
    );
    const firstRate = await until(async () => /^centinela_sample_requests_per_second\{/m.test(await metrics()), killed);
    return { behind, direct: direct.ms, handed: handed.ms, takeover, firstRun, firstRate, cpu };
  } finally {
    for (const d of running) {
      d.kill('SIGKILL');
      await d.exited;
    }
    await world.close();
  }
}

const db = await createTestDatabase();
console.log(`standby bench: ${EPISODES} episodes, probes every ${ENV.EVERY}, load ${load()}`);
const episodes: Episode[] = [];
try {
  for (let i = 0; i < EPISODES; i++) {
    const admin = await db.connect();
    await admin.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
    await admin.end();
    const e = await episode(db.url);
    episodes.push(e);
    console.log(
      `  ${i + 1}: behind ${e.behind} ms · silence on the active ${e.direct} ms, on the standby ${e.handed} ms · ` +
        `takeover ${e.takeover} ms · first run ${e.firstRun} ms · first rate ${e.firstRate} ms · ` +
        `CPU active ${e.cpu.active.toFixed(1)} %, standby ${e.cpu.standby.toFixed(1)} %`,
    );
  }
} finally {
  await db.drop();
}
const line = (what: string, pick: (e: Episode) => number) => {
  const xs = episodes.map(pick);
  console.log(`${what.padEnd(34)} median ${median(xs)} ms, max ${Math.max(...xs)} ms`);
};
line('standby behind the active', (e) => e.behind);
line('silence added on the active', (e) => e.direct);
line('silence added on the standby', (e) => e.handed);
line('takeover (kill -9 → running)', (e) => e.takeover);
line('kill -9 → first probe run', (e) => e.firstRun);
line('kill -9 → first counter rate', (e) => e.firstRate);
const cpu = (which: 'active' | 'standby') => median(episodes.map((e) => e.cpu[which])).toFixed(1);
console.log(
  `CPU over ${CPU_WINDOW_MS / 1000} s of steady running       median active ${cpu('active')} %, standby ${cpu('standby')} %`,
);
console.log(`load ${load()}`);
