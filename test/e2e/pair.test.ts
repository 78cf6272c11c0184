// Two `centinela run` processes on one PostgreSQL database (issue 18): one leads and pages, the other waits as a
// standby; kill -9 the leader mid-incident, after an ack, or while the resolution is being delivered, and the standby
// takes over, pages nobody again and sends the resolution (again with the same key when its delivery was cut);
// freeze the leader (SIGSTOP) past the lease and the standby takes over, while the old leader, woken, delivers
// nothing and exits.
import { describe, expect, it } from 'vitest';
import { LOCK_SPACE } from '../../src/store/postgres-schema.js';
import { type DaemonProcess, hookEvents, urlOf, type World, WRITE_TOKEN, waitForRuns } from '../support/daemon.js';
import { waitForDelivered } from '../support/pg.js';
import { replicaPerTest } from '../support/replicas.js';
import { waitUntil } from '../support/wait-until.js';

// A lease of 5 s: on a loaded machine a starting centinela's event loop can stall for a second or two, and a lease
// shorter than a stall loses the lead to it.
const FAST = { EVERY: '1s', RETRY_EVERY: '500ms', TIMEOUT: '800ms', LEASE: '5s' };
const t = replicaPerTest();

/** Acknowledges the one firing alert on the daemon at `url` through the API. */
async function ackTheAlert(url: string): Promise<void> {
  const { alerts } = (await (await fetch(`${url}/api/v1/alerts`)).json()) as { alerts: { id: string }[] };
  expect(alerts).toHaveLength(1);
  const res = await fetch(`${url}/api/v1/alerts/${alerts[0]?.id}/ack`, {
    method: 'POST',
    headers: { authorization: `Bearer ${WRITE_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ by: 'ana' }),
  });
  expect(res.status).toBe(200);
}

/** Waits for the standby to run as the leader; returns its URL and how long it took since `since` (ms). */
async function takeover(standby: DaemonProcess, since: number): Promise<{ url: string; ms: number }> {
  const running = await standby.waitForLog(/^centinela running$/, 30_000);
  const leader = standby.logs.find((l) => /^leader: /.test(l.msg));
  return { url: urlOf(running), ms: Date.parse(String(leader?.time)) - since };
}

/** The pair, its leader having paged ApiDown by webhook and email, both deliveries recorded. */
async function pagedPair(): Promise<{ w: World; leader: DaemonProcess; standby: DaemonProcess }> {
  const w = await t.world(FAST);
  const { active: leader, standby } = await t.pair(w);
  w.target.setFault('down');
  await w.hook.waitFor(1, { within: 20_000 });
  await w.smtp.waitFor(1, { within: 20_000 });
  await waitForDelivered(t.db, 2);
  return { w, leader, standby };
}

/** The pair, its leader's page held unanswered by the webhook receiver (which answers the next request). */
async function pairWithPageHanging(): Promise<{ w: World; leader: DaemonProcess; standby: DaemonProcess }> {
  const w = await t.world(FAST);
  const { active: leader, standby } = await t.pair(w);
  w.hook.script('hang');
  w.target.setFault('down');
  await w.hook.waitForHanging(1, { within: 20_000 });
  return { w, leader, standby };
}

/** The held page was cut, not answered, and sent again by the other: two requests at the receiver, one key. */
function expectSentAgainWithSameKey(w: World): void {
  expect(w.hook.hanging()).toBe(0);
  const keys = w.hook.requests.map((r) => r.headers['idempotency-key']);
  expect(keys).toHaveLength(2);
  expect(keys[1]).toBe(keys[0]);
}

/** kill -9 of the leader; waits for the standby to take over (see takeover). */
async function killForTakeover(leader: DaemonProcess, standby: DaemonProcess): Promise<{ url: string; ms: number }> {
  const killedAt = Date.now();
  leader.kill('SIGKILL');
  await leader.exited;
  return takeover(standby, killedAt);
}

describe('two centinelas on one PostgreSQL database', () => {
  it('one pages; after kill -9 of it mid-incident the other takes over, pages nobody again, sends the resolution', async () => {
    const { w, leader, standby } = await pagedPair();
    const { url, ms } = await killForTakeover(leader, standby);
    // kill -9 closes the leader's connection at once: the standby holds the lock and has loaded the state in seconds.
    expect(ms).toBeLessThan(10_000);
    await waitForRuns(url, 3);
    expect(hookEvents(w.hook)).toEqual(['firing ApiDown']);
    expect(w.smtp.received).toHaveLength(1);

    w.target.setFault('none');
    await w.hook.waitFor(2, { within: 20_000 });
    await w.smtp.waitFor(2, { within: 20_000 });
    await waitForRuns(url, 3);
    expect(hookEvents(w.hook)).toEqual(['firing ApiDown', 'resolved ApiDown']);
  });

  it('a leader frozen past the lease loses it; woken, it delivers nothing and exits 1', async () => {
    const w = await t.world(FAST);
    const { active: leader, standby } = await t.pair(w);
    const frozenAt = Date.now();
    leader.kill('SIGSTOP');
    const { url, ms } = await takeover(standby, frozenAt);
    // The server ends the frozen leader's session once it has been idle for the lease (5 s); its last keep-alive
    // query ran at most a third of the lease before the freeze.
    expect(ms).toBeGreaterThanOrEqual(5_000 - 5_000 / 3);
    expect(ms).toBeLessThan(15_000);
    w.target.setFault('down');
    await w.hook.waitFor(1, { within: 20_000 });
    leader.kill('SIGCONT');
    expect(await leader.exited).toEqual({ code: 1, signal: null });
    // Whichever tells it first: the lock taken by the other, or its term on the old leader's first write.
    expect(leader.logs.map((l) => l.msg)).toContainEqual(
      expect.stringMatching(/the lead was lost|another centinela took it over/),
    );
    await waitForRuns(url, 3);
    expect(hookEvents(w.hook)).toEqual(['firing ApiDown']);
    expect(w.smtp.received).toHaveLength(1);
  });

  it('a leader frozen with a page in flight: woken, it aborts that send at once; the other sends it with the same key', async () => {
    const { w, leader, standby } = await pairWithPageHanging();
    const frozenAt = Date.now();
    leader.kill('SIGSTOP');
    await takeover(standby, frozenAt);
    await w.hook.waitFor(2, { within: 20_000 });
    leader.kill('SIGCONT');
    expect(await leader.exited).toEqual({ code: 1, signal: null });
    // Its claim's term is over: it does not let the send run on for the stop's bound, it aborts it.
    expect(leader.logs.map((l) => l.msg)).toContainEqual(
      'stopping: aborting probe runs and deliveries in flight (the active sends them again, with the same keys)',
    );
    expect(leader.logs.map((l) => l.msg)).not.toContainEqual('outbox: delivered');
    expectSentAgainWithSameKey(w);
  });

  it("the leader's lock session ended with a page in flight: it stops that send at once; the other sends it, same key", async () => {
    const { w, leader, standby } = await pairWithPageHanging();
    // The lock's session ends (a restarted pooler, an administrator's pg_terminate_backend) and the standby gets it.
    const admin = await t.db.connect();
    try {
      const { rows } = await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted
           AND classid = $1::bigint::oid AND objid = 2
           AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
        [LOCK_SPACE],
      );
      expect(rows).toHaveLength(1);
    } finally {
      await admin.end();
    }
    const cutAt = Date.now();
    await takeover(standby, cutAt);
    expect(await leader.exited).toEqual({ code: 1, signal: null });
    // In doubt, it stopped the send before it learned the lead was another's, and recorded no attempt.
    const msgs = leader.logs.map((l) => l.msg);
    const stopped = msgs.findIndex((m) => m.startsWith('outbox: a send was stopped'));
    expect(stopped).toBeGreaterThanOrEqual(0);
    const lost = msgs.findIndex((m) =>
      /^state store \(postgres\): (another centinela took it over|the lead was lost)/.test(m),
    );
    expect(stopped).toBeLessThan(lost);
    // Being fenced is told once.
    expect(msgs.filter((m) => m === msgs[lost])).toHaveLength(1);
    expect(msgs).not.toContainEqual('outbox: delivered');
    await w.hook.waitFor(2, { within: 20_000 });
    expectSentAgainWithSameKey(w);
  });

  it('kill -9 of the active after an ack: the other pages nobody again and sends the resolution', async () => {
    const { w, leader, standby } = await pagedPair();
    await ackTheAlert(leader.url);
    await waitUntil(
      () => hookEvents(w.hook).includes('acknowledged ApiDown'),
      20_000,
      () => `the ack told: ${hookEvents(w.hook).join(', ')}`,
    );
    // The page and the ack's notice, each by webhook and by email, delivered and recorded.
    await w.smtp.waitFor(2, { within: 20_000 });
    await waitForDelivered(t.db, 4);
    const told = hookEvents(w.hook);
    const mails = w.smtp.received.length;
    const { url } = await killForTakeover(leader, standby);
    await waitForRuns(url, 4);
    // Acknowledged (and the ack's notice recorded) before the kill: no page again, no reminder, and the ack is kept.
    expect(hookEvents(w.hook)).toEqual(told);
    expect(w.smtp.received).toHaveLength(mails);
    const { alerts } = (await (await fetch(`${url}/api/v1/alerts`)).json()) as { alerts: { ack?: { by: string } }[] };
    expect(alerts[0]?.ack?.by).toBe('ana');

    w.target.setFault('none');
    await waitUntil(
      () => hookEvents(w.hook).includes('resolved ApiDown'),
      20_000,
      () => `the resolution: ${hookEvents(w.hook).join(', ')}`,
    );
    await waitForRuns(url, 3);
    expect(hookEvents(w.hook)).toEqual([...told, 'resolved ApiDown']);
  });

  it('kill -9 of the active while the resolution is being delivered: the other delivers it once, with the same key', async () => {
    const { w, leader, standby } = await pagedPair();
    // The receiver holds the resolution's request unanswered: the active is killed in the middle of delivering it.
    w.hook.script('hang');
    w.target.setFault('none');
    await w.hook.waitForHanging(1, { within: 20_000 });
    const { url } = await killForTakeover(leader, standby);
    await w.hook.waitFor(3, { within: 20_000 });
    await waitForRuns(url, 4);
    expect(hookEvents(w.hook)).toEqual(['firing ApiDown', 'resolved ApiDown', 'resolved ApiDown']);
    // Sent again by the new active (the first try never answered), with the same idempotency key; answered once.
    const keys = w.hook.requests.map((r) => r.headers['idempotency-key']);
    expect(keys[2]).toBe(keys[1]);
    expect(keys[1]).not.toBe(keys[0]);
    const resolvedMails = w.smtp.received.filter((m) => /^\[RESOLVED\]/.test(m.mail.subject ?? ''));
    expect(new Set(resolvedMails.map((m) => m.mail.messageId)).size).toBe(1);
  });
});
