// The standby serves (issue 18): two `centinela run` processes on one PostgreSQL database; the one that does not lead
// answers the status page, the API's reads and /metrics as the standby, hands acks and silences to the active, and
// becomes the active on the same port when the active is killed.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type DaemonProcess,
  hookEvents,
  type World,
  WRITE_TOKEN,
  waitForMetric,
  waitForRuns,
} from '../support/daemon.js';
import { replicaPerTest } from '../support/replicas.js';
import { eventually, waitUntil } from '../support/wait-until.js';

const FAST = { EVERY: '1s', RETRY_EVERY: '500ms', TIMEOUT: '800ms', LEASE: '5s' };
const LEADER = /^centinela_leader (\d+)$/m;
const WRITE = { authorization: `Bearer ${WRITE_TOKEN}`, 'content-type': 'application/json' };

const t = replicaPerTest();

/** The active and the standby; `repeat` sets the P0 level's reminder interval first. */
async function pair(w: World, repeat?: string): Promise<{ active: DaemonProcess; standby: DaemonProcess }> {
  if (repeat) {
    const file = join(w.configDir, 'escalation.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('repeat_every: 5m', `repeat_every: ${repeat}`));
  }
  return t.pair(w);
}

async function json(url: string, init?: RequestInit): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, init);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** The firing alerts the daemon at `url` lists. */
async function firing(url: string): Promise<{ id: string; ack?: { by: string }; suppressedBy: unknown[] }[]> {
  const { body } = await json(`${url}/api/v1/alerts?state=firing`);
  return body.alerts as { id: string; ack?: { by: string }; suppressedBy: unknown[] }[];
}

describe('the standby of two centinelas on one PostgreSQL database', () => {
  it('serves the status page, the API and /metrics as the standby, and runs no probe', async () => {
    const w = await t.world(FAST);
    const { active, standby } = await pair(w);
    w.target.setFault('down');
    await w.hook.waitFor(1, { within: 20_000 });

    const ready = await json(`${standby.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'ready', role: 'standby', term: expect.any(Number) });
    const activeReady = await json(`${active.url}/readyz`);
    expect(activeReady.body).toMatchObject({ role: 'active', term: ready.body.term });

    // The standby's copy follows the active's writes: the alert the active pages is listed on the standby too.
    await eventually(async () => (await firing(standby.url)).length === 1, 'the firing alert on the standby');
    const metrics = await (await fetch(`${standby.url}/metrics`)).text();
    expect(LEADER.exec(metrics)?.[1]).toBe('0');
    expect(metrics).toMatch(/^centinela_alerts\{alertname="ApiDown",priority="P0",state="firing"\} 1$/m);
    expect(metrics).not.toMatch(/^centinela_probe_runs_total\{/m);
    expect(LEADER.exec(await (await fetch(`${active.url}/metrics`)).text())?.[1]).toBe('1');

    const page = await (await fetch(`${standby.url}/`)).text();
    expect(page).toMatch(/<p id="replica" data-role="standby">Replica [^:]+: the standby\./);
    expect(page).toContain('API down');
    // It runs no probe: a probe's state is the last run the active recorded.
    expect(/data-probe="api_health">[\s\S]*?<span class="badge (up|down|)">/.exec(page)?.[1]).toBe('down');
    expect(await (await fetch(`${active.url}/`)).text()).toMatch(/data-role="active">Replica [^:]+: the active one/);
    expect(hookEvents(w.hook)).toEqual(['firing ApiDown']);
  });

  it('an ack sent to the standby acknowledges the incident: the active stops reminding', async () => {
    const w = await t.world(FAST);
    const { active, standby } = await pair(w, '2s');
    w.target.setFault('down');
    await waitUntil(
      () => hookEvents(w.hook).includes('reminder ApiDown'),
      30_000,
      () => 'a reminder',
    );
    await eventually(async () => (await firing(standby.url)).length === 1, 'the firing alert on the standby');
    const [alert] = await firing(standby.url);

    const ack = await json(`${standby.url}/api/v1/alerts/${alert?.id}/ack`, {
      method: 'POST',
      headers: WRITE,
      body: JSON.stringify({ by: 'ana', comment: 'on it' }),
    });
    expect(ack).toMatchObject({ status: 200, body: { ack: { by: 'ana', via: 'api' } } });
    expect((await firing(active.url))[0]?.ack?.by).toBe('ana');
    // A second ack is refused by the active's own rules, and the standby gives its answer.
    const again = await json(`${standby.url}/api/v1/alerts/${alert?.id}/ack`, {
      method: 'POST',
      headers: WRITE,
      body: JSON.stringify({ by: 'luis' }),
    });
    expect(again).toMatchObject({ status: 409, body: { error: { code: 'ALREADY_ACKED' } } });

    // Reminders every 2 s stop: over 6 s of probe runs after the ack was told, no reminder more.
    await waitUntil(
      () => hookEvents(w.hook).includes('acknowledged ApiDown'),
      20_000,
      () => 'the ack told',
    );
    await waitForRuns(active.url, 2);
    const told = hookEvents(w.hook).length;
    await waitForRuns(active.url, 6);
    expect(hookEvents(w.hook)).toHaveLength(told);
  });

  it("the email's signed link and the status page's one-tap ack, sent to the standby, reach the active", async () => {
    const w = await t.world(FAST);
    const { active, standby } = await pair(w);
    w.target.setFault('down');
    await w.smtp.waitFor(1, { within: 20_000 });
    const link = /http:\/\/centinela\.test(\/ack\/[A-Za-z0-9_.-]+)/.exec(w.smtp.received[0]?.mail.text ?? '')?.[1];
    expect(link).toBeDefined();
    const confirmed = await fetch(`${standby.url}${link}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'comment=from+the+phone',
    });
    expect(confirmed.status).toBe(200);
    expect(await confirmed.text()).toContain('<h1>Acknowledged</h1>');
    expect((await firing(active.url))[0]?.ack?.by).toBe('oncall');

    // The page's one-tap ack carries the write token's login cookie and the page's header, as a browser sends them:
    // the active checks them and refuses the second acknowledgement, as it would on its own page.
    const login = await fetch(`${standby.url}/-/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: `token=${WRITE_TOKEN}&by=ana`,
    });
    expect(login.status).toBe(204);
    const cookie = login.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const [alert] = await firing(active.url);
    const tap = await json(`${standby.url}/api/v1/alerts/${alert?.id}/ack`, {
      method: 'POST',
      headers: { cookie, 'x-centinela-page': 'ack', 'content-type': 'application/json' },
      body: JSON.stringify({ by: 'ana' }),
    });
    expect(tap).toMatchObject({ status: 409, body: { error: { code: 'ALREADY_ACKED' } } });
    const stranger = await json(`${standby.url}/api/v1/alerts/${alert?.id}/ack`, {
      method: 'POST',
      headers: { 'x-centinela-page': 'ack', 'content-type': 'application/json' },
      body: JSON.stringify({ by: 'eve' }),
    });
    expect(stranger).toMatchObject({ status: 401, body: { error: { code: 'UNAUTHORIZED' } } });
  });

  it('a silence added on the standby holds the active alert; a bad one gets the active refusal', async () => {
    const w = await t.world(FAST);
    const { active, standby } = await pair(w);
    const bad = await json(`${standby.url}/api/v1/silences`, {
      method: 'POST',
      headers: WRITE,
      body: JSON.stringify({ matchers: { alertname: 'NoSuchAlert' }, for: '1h', by: 'ana', reason: 'typo' }),
    });
    expect(bad.status).toBe(422);
    expect(bad.body).toMatchObject({ error: { code: 'UNKNOWN_NAME' } });
    const added = await json(`${standby.url}/api/v1/silences`, {
      method: 'POST',
      headers: WRITE,
      body: JSON.stringify({ matchers: { alertname: 'ApiDown' }, for: '1h', by: 'ana', reason: 'planned restart' }),
    });
    expect(added.status).toBe(201);

    w.target.setFault('down');
    await eventually(
      async () => (await firing(active.url)).some((a) => a.suppressedBy.length > 0),
      'ApiDown firing, held by the silence',
    );
    await waitForRuns(active.url, 3);
    expect(w.hook.requests).toHaveLength(0);
    expect(w.smtp.received).toHaveLength(0);

    // The Alertmanager API's silences (amtool's), on the standby: added and expired by the active.
    const v2 = await json(`${standby.url}/api/v2/silences`, {
      method: 'POST',
      headers: WRITE,
      body: JSON.stringify({
        matchers: [{ name: 'alertname', value: 'ApiLatencyHigh', isRegex: false, isEqual: true }],
        startsAt: new Date().toISOString(),
        endsAt: new Date(Date.now() + 3_600_000).toISOString(),
        createdBy: 'amtool',
        comment: 'tuning',
      }),
    });
    expect(v2.status).toBe(200);
    const id = String(v2.body.silenceID);
    const expired = await fetch(`${standby.url}/api/v2/silence/${id}`, {
      method: 'DELETE',
      headers: { authorization: WRITE.authorization },
    });
    expect(expired.status).toBe(200);
    const onActive = await json(`${active.url}/api/v2/silence/${id}`);
    expect(onActive.body).toMatchObject({ id, status: { state: 'expired' } });
  });

  it('a write the frozen active cannot take is refused with 503 NO_ACTIVE and never applied when it wakes', async () => {
    // A lease longer than the freeze: the standby does not take over meanwhile.
    const w = await t.world({ ...FAST, LEASE: '30s' });
    const { active, standby } = await pair(w);
    active.kill('SIGSTOP');
    const refused = await json(`${standby.url}/api/v1/silences`, {
      method: 'POST',
      headers: WRITE,
      body: JSON.stringify({ matchers: { alertname: 'ApiDown' }, for: '1h', by: 'ana', reason: 'too late' }),
    });
    active.kill('SIGCONT');
    expect(refused).toMatchObject({ status: 503, body: { error: { code: 'NO_ACTIVE' } } });
    await waitForRuns(active.url, 3);
    const { body } = await json(`${active.url}/api/v1/silences`);
    expect(body.silences).toEqual([]);
  });

  it('after kill -9 of the active, the standby becomes the active on the same port', async () => {
    const w = await t.world(FAST);
    const { active, standby } = await pair(w);
    let before = 0;
    await eventually(async () => {
      before = Number((await json(`${standby.url}/readyz`)).body.term);
      return before > 0;
    }, 'the standby knowing the term');
    active.kill('SIGKILL');
    await active.exited;
    await standby.waitForLog(/^centinela running$/, 30_000);
    const ready = await json(`${standby.url}/readyz`);
    expect(ready).toMatchObject({ status: 200, body: { status: 'ready', role: 'active' } });
    expect(ready.body.term).toBeGreaterThan(before);
    await waitForMetric(standby.url, LEADER, (v) => v === 1, 'centinela_leader 1');
    await waitForRuns(standby.url, 2);
    w.target.setFault('down');
    await w.hook.waitFor(1, { within: 20_000 });
    expect(hookEvents(w.hook)).toEqual(['firing ApiDown']);
  });
});
