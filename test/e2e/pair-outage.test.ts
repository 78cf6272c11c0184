// PostgreSQL unreachable for the active centinela (issue 18, item 4), with `centinela run` processes: the active
// reaches the machine's PostgreSQL through a TCP proxy that the test cuts (every connection closed, new ones
// refused) and restores. Shorter than state.unreachable_hold, its pages wait and go out once when PostgreSQL is
// back; longer, they go out unsaved (fail open) and the P1 level hears StateStoreUnreachable and its all-clear; and
// when the standby took over meanwhile, the old active, back, delivers nothing and exits 1.
import { afterEach, describe, expect, it } from 'vitest';
import {
  type DaemonProcess,
  hookEvents,
  spawnCentinela,
  urlOf,
  usePostgresState,
  type World,
  WRITE_TOKEN,
  waitForRuns,
} from '../support/daemon.js';
import { pgHost, pgPort, waitForDelivered } from '../support/pg.js';
import { replicaPerTest } from '../support/replicas.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { eventually, waitUntil } from '../support/wait-until.js';

const FAST = { EVERY: '1s', RETRY_EVERY: '500ms', TIMEOUT: '800ms', LEASE: '5s' };
const HELD = /^outbox: not sent yet, the rows wait/;
const replicas = replicaPerTest();
let proxy: TcpProxy | undefined;

afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
});

/** A world whose centinelas keep their state in the test database, and an active one behind a proxy. */
async function activeBehindProxy(hold: string): Promise<{ w: World; active: DaemonProcess; env: World['env'] }> {
  const w = await replicas.world({ ...FAST, UNREACHABLE_HOLD: hold });
  const env = { ...w.env, ...usePostgresState(w, replicas.db.url) };
  proxy = await startTcpProxy(pgHost, pgPort);
  const active = replicas.track(
    await spawnCentinela(w.configDir, { ...env, STATE_URL: proxy.through(replicas.db.url) }, { within: 40_000 }),
  );
  return { w, active, env };
}

const subjects = (w: World) => w.smtp.received.map((m) => m.mail.subject ?? '');
const storePages = (w: World) => subjects(w).filter((s) => s.includes('cannot reach PostgreSQL'));

describe('PostgreSQL unreachable for the active centinela', () => {
  it('shorter than the hold: its pages wait, and go out once when PostgreSQL answers again', async () => {
    const { w, active } = await activeBehindProxy('1m');
    await proxy?.cut();
    w.target.setFault('down');
    // The page is due and claimed, and its claim cannot be saved: it is held, not sent.
    await active.waitForLog(HELD, 20_000);
    expect(w.hook.requests).toHaveLength(0);
    expect(w.smtp.received).toHaveLength(0);
    await proxy?.restore();
    await w.hook.waitFor(1, { within: 20_000 });
    await w.smtp.waitFor(1, { within: 20_000 });
    await waitForDelivered(replicas.db, 2);
    await waitForRuns(active.url, 3);
    expect(hookEvents(w.hook)).toEqual(['firing ApiDown']);
    expect(subjects(w)).toEqual([expect.stringMatching(/^\[P0\]/)]);
    expect(active.logs.map((l) => l.msg)).toContainEqual(expect.stringMatching(/PostgreSQL answers again/));
  });

  it('longer than the hold: pages go out unsaved, the P1 level hears that PostgreSQL is unreachable, then the all-clear', async () => {
    const { w, active } = await activeBehindProxy('3s');
    await proxy?.cut();
    w.target.setFault('down');
    await w.hook.waitFor(1, { within: 30_000 });
    // The P0 page by email (the on-call contact) and StateStoreUnreachable to the P1 level (the same contact).
    await waitUntil(
      () => w.smtp.received.length >= 2,
      30_000,
      () => `mails: ${subjects(w).join(' | ')}`,
    );
    expect(storePages(w)).toEqual([expect.stringMatching(/^\[P1\] /)]);
    expect(active.logs.map((l) => l.msg)).toContainEqual(expect.stringMatching(/pages now go out unsaved/));
    expect(hookEvents(w.hook)).toEqual(['firing ApiDown']);
    // /readyz (the image's HEALTHCHECK) says the store does not reach PostgreSQL, and so does not call it ready.
    const cut = await fetch(`${active.url}/readyz`);
    expect(cut.status).toBe(503);
    expect(((await cut.json()) as { error: { message: string; details: unknown } }).error).toMatchObject({
      message: 'not ready: state store not open, or PostgreSQL does not answer',
      details: { checks: { store: false }, role: 'active' },
    });

    await proxy?.restore();
    await waitUntil(
      () => storePages(w).length === 2,
      30_000,
      () => `mails: ${subjects(w).join(' | ')}`,
    );
    expect(storePages(w)[1]).toMatch(/^\[RESOLVED\] /);
    expect((await fetch(`${active.url}/readyz`)).status).toBe(200);
    // What it did meanwhile is saved: both deliveries are recorded in PostgreSQL, and nothing is sent again.
    await waitForDelivered(replicas.db, 2);
    w.target.setFault('none');
    await w.hook.waitFor(2, { within: 20_000 });
    await waitForRuns(active.url, 3);
    expect(hookEvents(w.hook)).toEqual(['firing ApiDown', 'resolved ApiDown']);
    expect(subjects(w).filter((s) => s.startsWith('[P0]'))).toHaveLength(1);
  });

  it('an ack while PostgreSQL does not answer: in force here, answered 503 NOT_SAVED, saved once it answers', async () => {
    const { w, active } = await activeBehindProxy('1m');
    w.target.setFault('down');
    await w.hook.waitFor(1, { within: 20_000 });
    await waitForDelivered(replicas.db, 2);
    await proxy?.cut();
    const { alerts } = (await (await fetch(`${active.url}/api/v1/alerts`)).json()) as { alerts: { id: string }[] };
    const ack = () =>
      fetch(`${active.url}/api/v1/alerts/${alerts[0]?.id}/ack`, {
        method: 'POST',
        headers: { authorization: `Bearer ${WRITE_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ by: 'ana' }),
      });
    const res = await ack();
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string; message: string } }).error).toEqual({
      code: 'NOT_SAVED',
      message:
        'applied on this centinela but not saved: PostgreSQL does not answer. It is saved when PostgreSQL answers ' +
        'again; if the other centinela takes over meanwhile, it does not know it: send it there',
    });
    // In force here: a second ack is refused as such.
    expect((await ack()).status).toBe(409);
    await proxy?.restore();
    const admin = await replicas.db.connect();
    try {
      await eventually(
        async () => (await admin.query(`SELECT 1 FROM esc_incidents WHERE ack_by = 'ana'`)).rows.length === 1,
        'the ack was not saved once PostgreSQL answered',
      );
    } finally {
      await admin.end();
    }
  });

  it('the standby took over during the outage: the old active, back, delivers nothing and exits 1', async () => {
    const { w, active, env } = await activeBehindProxy('1m');
    const standby = replicas.track(await spawnCentinela(w.configDir, env, { until: /^standby: /, within: 40_000 }));
    // Cutting the proxy closes the active's lock session: the standby holds the lock at once.
    await proxy?.cut();
    await standby.waitForLog(/^centinela running$/, 30_000);
    w.target.setFault('down');
    await w.hook.waitFor(1, { within: 20_000 });
    await w.smtp.waitFor(1, { within: 20_000 });
    await active.waitForLog(HELD, 20_000);

    await proxy?.restore();
    expect(await active.exited).toEqual({ code: 1, signal: null });
    expect(active.logs.map((l) => l.msg)).toContainEqual(
      expect.stringMatching(/the lead was lost|another centinela took it over/),
    );
    const url = urlOf(await standby.waitForLog(/^centinela running$/));
    await waitForRuns(url, 3);
    expect(hookEvents(w.hook)).toEqual(['firing ApiDown']);
    expect(w.smtp.received).toHaveLength(1);
  });

  it('the standby took over during an outage longer than the hold: the old active ends its own P1 page before exiting', async () => {
    const { w, active, env } = await activeBehindProxy('3s');
    const standby = replicas.track(await spawnCentinela(w.configDir, env, { until: /^standby: /, within: 40_000 }));
    await proxy?.cut();
    await standby.waitForLog(/^centinela running$/, 30_000);
    w.target.setFault('down');
    // The cut-off old active, past the hold, pages that it cannot reach PostgreSQL; the new active knows nothing of it.
    await waitUntil(
      () => storePages(w).length === 1,
      30_000,
      () => `mails: ${subjects(w).join(' | ')}`,
    );
    expect(storePages(w)).toEqual([expect.stringMatching(/^\[P1\] /)]);

    await proxy?.restore();
    expect(await active.exited).toEqual({ code: 1, signal: null });
    // Fenced, it stopped, then sent the all-clear of its own page, saying that another centinela leads.
    expect(storePages(w)).toEqual([expect.stringMatching(/^\[P1\] /), expect.stringMatching(/^\[RESOLVED\] /)]);
    const allClear = w.smtp.received.find((m) => /^\[RESOLVED\] .*cannot reach PostgreSQL/.test(m.mail.subject ?? ''));
    expect(allClear?.mail.text).toContain('Another centinela took the lead');
    expect(allClear?.mail.text).toMatch(/a write failed \(/);
    expect(active.logs.map((l) => l.msg)).toContainEqual(expect.stringMatching(/sending the all-clear of the page/));
  });

  it('a standby cut off from PostgreSQL keeps serving (503, its copy stale), waits, and takes over once it answers', async () => {
    const w = await replicas.world(FAST);
    const env = { ...w.env, ...usePostgresState(w, replicas.db.url) };
    const active = replicas.track(await spawnCentinela(w.configDir, env, { within: 40_000 }));
    proxy = await startTcpProxy(pgHost, pgPort);
    const standby = replicas.track(
      await spawnCentinela(
        w.configDir,
        { ...env, STATE_URL: proxy.through(replicas.db.url) },
        { until: /^standby: .* serves reads/, within: 40_000 },
      ),
    );
    const url = urlOf(await standby.waitForLog(/^standby: .* serves reads/));
    await eventually(async () => (await fetch(`${url}/readyz`)).status === 200, 'readyz 200 on the standby');

    await proxy.cut();
    await standby.waitForLog(/waiting for PostgreSQL as the standby/, 20_000);
    // Its copy goes stale and it says so; it still serves, and it does not exit.
    await eventually(async () => (await fetch(`${url}/readyz`)).status === 503, 'readyz 503 on the cut-off standby');
    const waitingLine = standby.logs.find((l) => /waiting for PostgreSQL/.test(l.msg));
    expect(waitingLine?.msg).toMatch(
      /^state store \(postgres\): cannot take the lead \([^)]+\); waiting for PostgreSQL/,
    );
    expect(JSON.stringify(standby.logs)).not.toContain(String(pgPort));

    await proxy.restore();
    await eventually(async () => (await fetch(`${url}/readyz`)).status === 200, 'readyz 200 once PostgreSQL answers');
    await standby.waitForLog(/^standby: PostgreSQL answers again/, 20_000);
    // Waiting again, in the lock: kill -9 the active and it takes over.
    active.kill('SIGKILL');
    await active.exited;
    const running = await standby.waitForLog(/^centinela running$/, 30_000);
    expect(urlOf(running)).toBe(url);
    w.target.setFault('down');
    await w.hook.waitFor(1, { within: 20_000 });
    expect(hookEvents(w.hook)).toEqual(['firing ApiDown']);
  });
});
