// End to end, in-process: createApp with the fixture config on a FakeClock, a loopback target, a real SMTP server,
// a webhook sink and a temp SQLite file. Break the target, see the page, ack through the API, fix it, see one
// resolution; and a clean restart in the middle of an incident neither re-pages nor forgets.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Daemon, hookEvents, startDaemon, startWorld, type World, WRITE_TOKEN } from '../support/daemon.js';

let world: World;
let daemon: Daemon | undefined;

beforeEach(async () => {
  world = await startWorld();
});

afterEach(async () => {
  await daemon?.close();
  daemon = undefined;
  await world.close();
});

/** Starts the daemon and remembers it, so afterEach closes it even when the test fails. */
async function start(): Promise<Daemon> {
  daemon = await startDaemon(world);
  return daemon;
}

const auth = { authorization: `Bearer ${WRITE_TOKEN}` };

async function alerts(d: Daemon, query = '') {
  const res = await d.app.server.inject({ method: 'GET', url: `/api/v1/alerts${query}` });
  expect(res.statusCode).toBe(200);
  return res.json().alerts as {
    id: string;
    alertname: string;
    state: string;
    priority: string;
    paged: string[];
    ack?: { by: string };
  }[];
}

describe('an incident, end to end', () => {
  it('pages once when the target breaks, stops reminding after an ack, and resolves once when it is fixed', async () => {
    const d = await start();
    await d.advance(12_000);
    expect(await alerts(d)).toEqual([]);
    expect(world.hook.requests).toHaveLength(0);

    world.target.setFault('down');
    const breakAt = d.clock.now();
    await d.advanceUntil(
      () => world.hook.requests.length >= 1 && world.smtp.received.length >= 1,
      30_000,
      () => 'no page',
    );
    // every: 5s, after_failures: 3, retry_every: 1s → the third failed check comes ≤ 5 s + 2 × 1 s after the fault.
    expect(d.clock.now() - breakAt).toBeLessThanOrEqual(7_500);
    expect(hookEvents(world.hook)).toEqual(['firing ApiDown']);
    const mail = world.smtp.received[0]?.mail;
    expect(mail?.subject).toContain('[P0]');
    expect(mail?.text).toContain('API down');
    expect(mail?.text).toContain('http://centinela.test/ack/');

    const [firing] = await alerts(d, '?state=firing');
    expect(firing).toMatchObject({ alertname: 'ApiDown', priority: 'P0', state: 'firing', paged: ['oncall', 'ops'] });
    const detail = (await d.app.server.inject({ method: 'GET', url: `/api/v1/alerts/${firing?.id}` })).json().alert;
    expect(detail.runbook).toEqual(['Restart: docker compose -f docker-compose.prod.yml restart api']);
    expect(detail.diagnosis).toEqual([{ probe: 'api_health', detail: expect.stringContaining('503') }]);
    expect(detail.history.map((h: { event: string }) => h.event)).toEqual(['told firing', 'firing', 'pending']);
    expect(detail.pages).toEqual([
      expect.objectContaining({
        contact: 'oncall',
        channel: 'email',
        event: 'firing',
        status: 'delivered',
        attempts: 1,
      }),
      expect.objectContaining({ contact: 'ops', channel: 'hook', event: 'firing', status: 'delivered', attempts: 1 }),
    ]);
    const ack = await d.app.server.inject({
      method: 'POST',
      url: `/api/v1/alerts/${firing?.id}/ack`,
      headers: auth,
      payload: { by: 'ana', comment: 'restarting the api' },
    });
    expect(ack.statusCode).toBe(200);
    expect(ack.json().ack).toMatchObject({ by: 'ana', comment: 'restarting the api', via: 'api' });
    await d.advanceUntil(
      () => hookEvents(world.hook).length >= 2,
      5_000,
      () => 'no acknowledged notice',
    );
    expect(hookEvents(world.hook)).toEqual(['firing ApiDown', 'acknowledged ApiDown']);

    // P0 reminds every 5 minutes until acknowledged: after the ack, 12 minutes pass without one.
    await d.advance(12 * 60_000);
    expect(hookEvents(world.hook)).toEqual(['firing ApiDown', 'acknowledged ApiDown']);
    expect((await alerts(d))[0]?.ack?.by).toBe('ana');

    world.target.setFault('none');
    await d.advanceUntil(
      () => hookEvents(world.hook).length >= 3,
      15_000,
      () => 'no resolution',
    );
    await d.advance(10 * 60_000);
    expect(hookEvents(world.hook)).toEqual(['firing ApiDown', 'acknowledged ApiDown', 'resolved ApiDown']);
    expect(world.smtp.received.map((m) => m.mail.subject?.slice(0, 12))).toHaveLength(3);
    expect(await alerts(d)).toEqual([]);
    const [resolved] = await alerts(d, '?state=resolved');
    expect(resolved).toMatchObject({ alertname: 'ApiDown', state: 'resolved', ack: { by: 'ana' } });

    const metrics = (await d.app.server.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain('centinela_notifications_total{channel="hook",result="delivered"} 3');
    expect(metrics).toContain('centinela_notifications_total{channel="email",result="delivered"} 3');
    expect(metrics).toMatch(/centinela_time_to_ack_seconds_count\{priority="P0"\} 1\n/);
    expect(metrics).toMatch(/centinela_time_to_resolve_seconds_count\{priority="P0"\} 1\n/);
    expect(metrics).toContain('centinela_outbox_depth 0');
  });

  it("acknowledges through the email's signed link: opening it changes nothing, its form's POST acknowledges", async () => {
    const d = await start();
    world.target.setFault('down');
    await d.advanceUntil(
      () => world.smtp.received.length >= 1,
      30_000,
      () => 'no page by email',
    );
    const link = /http:\/\/centinela\.test(\/ack\/[A-Za-z0-9_.-]+)/.exec(world.smtp.received[0]?.mail.text ?? '')?.[1];
    expect(link).toBeDefined();

    const page = await d.app.server.inject({ method: 'GET', url: String(link) });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<form method="post">');
    expect(page.body).toContain('You are acknowledging as <strong>oncall</strong>');
    expect((await alerts(d))[0]?.ack).toBeUndefined();

    const done = await d.app.server.inject({
      method: 'POST',
      url: String(link),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'comment=on+my+way',
    });
    expect(done.statusCode).toBe(200);
    expect(done.body).toContain('Acknowledged by oncall');
    expect((await alerts(d))[0]?.ack).toMatchObject({ by: 'oncall', comment: 'on my way' });

    const forged = await d.app.server.inject({ method: 'GET', url: `${String(link).slice(0, -4)}AAAA` });
    expect(forged.statusCode).toBe(403);
    expect(forged.body).toContain('This link cannot acknowledge');
  });

  it('reminds while nobody acknowledges', async () => {
    const d = await start();
    world.target.setFault('down');
    await d.advanceUntil(
      () => world.hook.requests.length >= 1,
      30_000,
      () => 'no page',
    );
    await d.advance(5 * 60_000 + 1_000);
    expect(hookEvents(world.hook)).toEqual(['firing ApiDown', 'reminder ApiDown']);
  });

  it('climbs to the next level when nobody acknowledges, counting the escalation and the missed response time', async () => {
    await world.close();
    world = await startWorld({ P1_ACK_WITHIN: '2m', LATENCY_FOR: '30s' });
    const d = await start();
    world.target.setFault('slow');
    await d.advanceUntil(
      () => world.smtp.received.some((m) => m.mail.subject?.startsWith('[P1]')),
      5 * 60_000,
      () => 'no P1 page',
    );
    expect(world.hook.requests).toHaveLength(0); // P1 pages oncall only (email)
    // Two minutes without an ack: P0's contacts are added (ops gets the escalated page).
    await d.advanceUntil(
      () => hookEvents(world.hook).includes('escalated ApiLatencyHigh'),
      3 * 60_000,
      () => 'no climb',
    );
    await d.advance(31_000);
    const metrics = (await d.app.server.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain('centinela_escalations_total{from="P1",to="P0"} 1\n');
    expect(metrics).toContain('centinela_sla_breaches_total{priority="P1",kind="ack"} 1\n');
    expect(metrics).toContain('centinela_alerts{alertname="ApiLatencyHigh",priority="P1",state="firing"} 1\n');
  });

  it('keeps a firing alert through a reload: no second page, one resolution', async () => {
    const d = await start();
    world.target.setFault('down');
    await d.advanceUntil(
      () => world.hook.requests.length >= 1,
      30_000,
      () => 'no page',
    );
    const reload = await d.app.server.inject({ method: 'POST', url: '/-/reload', headers: auth });
    expect(reload.statusCode).toBe(200);
    await d.advance(30_000);
    expect(hookEvents(world.hook)).toEqual(['firing ApiDown']);
    expect((await alerts(d, '?state=firing')).map((a) => a.alertname)).toEqual(['ApiDown']);
    world.target.setFault('none');
    await d.advanceUntil(
      () => hookEvents(world.hook).length >= 2,
      15_000,
      () => 'no resolution after the reload',
    );
    await d.advance(30_000);
    expect(hookEvents(world.hook)).toEqual(['firing ApiDown', 'resolved ApiDown']);
  });

  it('survives a restart mid-incident: no second page, and the resolution still comes', async () => {
    let d = await start();
    world.target.setFault('down');
    await d.advanceUntil(
      () => world.hook.requests.length >= 1 && world.smtp.received.length >= 1,
      30_000,
      () => 'no page',
    );
    await d.close();
    daemon = undefined;

    d = await start();
    await d.advance(60_000);
    expect(hookEvents(world.hook)).toEqual(['firing ApiDown']);
    expect(world.smtp.received).toHaveLength(1);
    expect((await alerts(d, '?state=firing')).map((a) => a.alertname)).toEqual(['ApiDown']);

    world.target.setFault('none');
    await d.advanceUntil(
      () => hookEvents(world.hook).length >= 2,
      15_000,
      () => 'no resolution after restart',
    );
    await d.advance(30_000);
    expect(hookEvents(world.hook)).toEqual(['firing ApiDown', 'resolved ApiDown']);
    expect(world.smtp.received).toHaveLength(2);
  });
});
