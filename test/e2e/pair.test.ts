// Two `centinela run` processes on one PostgreSQL database (issue 18): one leads and pages, the other waits as a
// standby; kill -9 the leader mid-incident and the standby takes over, pages nobody again and sends the resolution;
// freeze the leader (SIGSTOP) past the lease and the standby takes over, while the old leader, woken, delivers
// nothing and exits.
import { describe, expect, it } from 'vitest';
import { type DaemonProcess, hookEvents, waitForRuns } from '../support/daemon.js';
import { waitForDelivered } from '../support/pg.js';
import { replicaPerTest } from '../support/replicas.js';

// A lease of 5 s: on a loaded machine a starting centinela's event loop can stall for a second or two, and a lease
// shorter than a stall loses the lead to it.
const FAST = { EVERY: '1s', RETRY_EVERY: '500ms', TIMEOUT: '800ms', LEASE: '5s' };
const t = replicaPerTest();

/** Waits for the standby to run as the leader; returns its URL and how long it took since `since` (ms). */
async function takeover(standby: DaemonProcess, since: number): Promise<{ url: string; ms: number }> {
  const running = await standby.waitForLog(/^centinela running$/, 30_000);
  const leader = standby.logs.find((l) => /^leader: /.test(l.msg));
  return { url: String(running.url), ms: Date.parse(String(leader?.time)) - since };
}

describe('two centinelas on one PostgreSQL database', () => {
  it('one pages; after kill -9 of it mid-incident the other takes over, pages nobody again, sends the resolution', async () => {
    const w = await t.world(FAST);
    const { active: leader, standby } = await t.pair(w);
    w.target.setFault('down');
    await w.hook.waitFor(1, { within: 20_000 });
    await w.smtp.waitFor(1, { within: 20_000 });
    await waitForDelivered(t.db, 2);
    const killedAt = Date.now();
    leader.kill('SIGKILL');
    await leader.exited;
    const { url, ms } = await takeover(standby, killedAt);
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
});
