// `centinela run` as a real child process (bin/centinela.js) on the system clock, probing every second: SIGHUP with
// a broken config keeps it running; on either state store, SIGTERM exits 0 after the delivery in flight, and
// kill -9 in the middle of an incident and a new start neither page twice nor lose the resolution.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import {
  type DaemonProcess,
  hookEvents,
  spawnDaemon,
  startWorld,
  usePostgresState,
  type World,
  waitForMetric,
  waitForRuns,
} from '../support/daemon.js';
import { startHttpTarget } from '../support/http-target.js';
import { createTestDatabase, type TestDatabase, waitForDelivered } from '../support/pg.js';
import { waitUntil } from '../support/wait-until.js';

const FAST = { EVERY: '1s', RETRY_EVERY: '500ms', TIMEOUT: '800ms' };
let world: World | undefined;
let daemon: DaemonProcess | undefined;

afterEach(async () => {
  daemon?.kill('SIGKILL');
  await daemon?.exited;
  daemon = undefined;
  await world?.close();
  world = undefined;
});

describe('centinela run as a process', () => {
  it('keeps running on SIGHUP with a broken config, and applies a good one', async () => {
    world = await startWorld(FAST, systemClock);
    daemon = await spawnDaemon(world, { CENTINELA_REVISION: '3f2a9c1' });
    // Its log lines name their level and give the time in ISO 8601 UTC.
    expect(await daemon.waitForLog(/^centinela running$/)).toMatchObject({
      level: 'info',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
    expect(await (await fetch(`${daemon.url}/metrics`)).text()).toMatch(
      /^centinela_build_info\{version="\d+\.\d+\.\d+[^"]*",revision="3f2a9c1",node_version="24\.[\d.]+"\} 1$/m,
    );
    const file = join(world.configDir, 'alerts.yaml');
    const good = readFileSync(file, 'utf8');

    writeFileSync(file, good.replace('op: "=="', 'op: "==="'));
    daemon.kill('SIGHUP');
    const refused = await daemon.waitForLog(/^reload refused/);
    expect(refused.problems).toEqual([
      expect.stringMatching(/alerts\.yaml:\d+:\d+ {2}rules\[0\]\.op: .*is not a comparison/),
    ]);
    expect((await fetch(`${daemon.url}/readyz`)).status).toBe(200);

    const slower = good.replace(
      'every: ${EVERY:-5s}\n    timeout: ${TIMEOUT:-2s}\n    window',
      'every: 2s\n    timeout: 1s\n    window',
    );
    expect(slower).not.toBe(good);
    writeFileSync(file, slower);
    daemon.kill('SIGHUP');
    await daemon.waitForLog(/^reloaded /);
    const metrics = await (await fetch(`${daemon.url}/metrics`)).text();
    expect(metrics).toContain('centinela_config_reloads_total{result="invalid"} 1');
    expect(metrics).toContain('centinela_config_reloads_total{result="ok"} 1');
  });
});

describe.each(['sqlite', 'postgres'] as const)('centinela run as a process, on %s', (kind) => {
  let pg: TestDatabase | undefined;
  beforeAll(async () => {
    if (kind === 'postgres') pg = await createTestDatabase();
  });
  afterAll(() => pg?.drop());
  beforeEach(async () => {
    const client = await pg?.connect();
    await client?.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
    await client?.end();
  });

  it('exits 0 on SIGTERM after finishing the delivery in flight', async () => {
    // A receiver that takes 1.5 s to answer, so SIGTERM arrives while the page is being delivered.
    const slow = await startHttpTarget({
      routes: {
        '/hook': (_req, res) => {
          systemClock.setTimeout(() => res.writeHead(200).end('ok'), 1_500);
        },
      },
    });
    world = await startWorld({ ...FAST, HOOK_URL: `${slow.url}/hook` }, systemClock);
    try {
      daemon = await spawnDaemon(world, pg ? usePostgresState(world, pg.url) : {});
      world.target.setFault('down');
      await waitUntil(
        () => slow.requests.length >= 1,
        20_000,
        () => 'no page reached the slow receiver',
      );
      daemon.kill('SIGTERM');
      expect(await daemon.exited).toEqual({ code: 0, signal: null });
      expect(daemon.logs.map((l) => l.msg)).toContain('stopped');
      // What the stop flushed: on PostgreSQL, the last attempts are committed there before the process exits.
      const rows = await outboxRows(world, pg);
      expect(rows).toEqual([
        { contact: 'oncall', state: 'delivered' },
        { contact: 'ops', state: 'delivered' },
      ]);
    } finally {
      await slow.close();
    }
  });

  it('after kill -9 mid-incident, a new start does not page again and still sends the resolution', async () => {
    world = await startWorld(FAST, systemClock);
    const w = world;
    const extra = pg ? usePostgresState(w, pg.url) : {};
    daemon = await spawnDaemon(w, extra);
    w.target.setFault('down');
    await w.hook.waitFor(1, { within: 20_000 });
    await w.smtp.waitFor(1, { within: 20_000 });
    // Killed once the daemon has recorded both deliveries: a kill between a receiver's answer and that record means
    // the page goes again at the next start (delivery is at least once), which is not what this test is about.
    // On PostgreSQL the record is durable once committed there, which the database itself tells.
    await waitForMetric(daemon.url, /^centinela_outbox_depth (\d+)$/m, (depth) => depth === 0, 'an empty outbox');
    if (pg) await waitForDelivered(pg, 2);
    daemon.kill('SIGKILL');
    expect((await daemon.exited).signal).toBe('SIGKILL');

    daemon = await spawnDaemon(w, extra);
    const url = daemon.url;
    // Three runs of the still-failing probe in the new process: the incident is known, nothing is sent again.
    await waitForRuns(url, 3);
    expect(hookEvents(w.hook)).toEqual(['firing ApiDown']);
    expect(w.smtp.received).toHaveLength(1);
    const firing = await (await fetch(`${url}/api/v1/alerts?state=firing`)).json();
    expect(firing.alerts.map((a: { alertname: string }) => a.alertname)).toEqual(['ApiDown']);

    w.target.setFault('none');
    await w.hook.waitFor(2, { within: 20_000 });
    await w.smtp.waitFor(2, { within: 20_000 });
    // Three more healthy runs: still one page and one resolution per contact.
    await waitForRuns(url, 3);
    expect(hookEvents(w.hook)).toEqual(['firing ApiDown', 'resolved ApiDown']);
    expect(w.smtp.received.map((m) => m.mail.subject?.slice(0, m.mail.subject.indexOf(']') + 1))).toEqual([
      '[P0]',
      '[RESOLVED]',
    ]);
  });
});

/** The outbox's contact and state per row, oldest first, from the SQLite file or the PostgreSQL database. */
async function outboxRows(w: World, pg: TestDatabase | undefined): Promise<unknown[]> {
  const query = 'SELECT contact, state FROM outbox ORDER BY id';
  if (!pg) {
    const db = new Database(String(w.env.STATE_PATH), { readonly: true });
    const rows = db.prepare(query).all();
    db.close();
    return rows;
  }
  const client = await pg.connect();
  const { rows } = await client.query(query);
  await client.end();
  return rows;
}
