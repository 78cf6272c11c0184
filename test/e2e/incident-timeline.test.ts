// Each incident of an alert has its own timeline: ApiDown fires twice; the first incident is acknowledged from the
// status page (its login cookie and header) and resolved, the second is not acknowledged. The status page links each
// past incident to its own timeline, and each timeline shows its own pages, acknowledgement and resolution only.
import { describe, expect, it } from 'vitest';
import { type Daemon, daemonPerTest, hookEvents, WRITE_TOKEN } from '../support/daemon.js';

const t = daemonPerTest();

async function get(d: Daemon, url: string) {
  return d.app.server.inject({ method: 'GET', url, headers: { authorization: `Bearer ${WRITE_TOKEN}` } });
}

/** Breaks the target until the page for ApiDown went out, then returns the alert's id. */
async function breakUntilPaged(d: Daemon, pages: number): Promise<string> {
  t.world.target.setFault('down');
  await d.advanceUntil(
    () => hookEvents(t.world.hook).filter((e) => e === 'firing ApiDown').length >= pages,
    30_000,
    () => `no page ${pages}`,
  );
  const firing = (await get(d, '/api/v1/alerts?state=firing')).json().alerts;
  return firing[0].id as string;
}

async function fixUntilResolved(d: Daemon, id: string, incidents: number): Promise<void> {
  t.world.target.setFault('none');
  await d.advanceUntil(
    () => d.store.incidentsSince(0).filter((i) => i.alertId === id && i.resolvedAt !== undefined).length >= incidents,
    60_000,
    () => `incident ${incidents} never resolved`,
  );
  await d.advance(10_000);
}

describe('the timeline of each incident', () => {
  it('shows its own pages, acknowledgement and resolution, linked from the status page', async () => {
    const d = await t.start();
    await d.advance(12_000);
    const id = await breakUntilPaged(d, 1);

    // Acknowledged from the status page: logged in once with the write token, then the page's request.
    const login = await d.app.server.inject({
      method: 'POST',
      url: '/-/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      payload: new URLSearchParams({ token: WRITE_TOKEN, by: 'Ana' }).toString(),
    });
    expect(login.statusCode).toBe(204);
    const cookie = ([] as string[])
      .concat(login.headers['set-cookie'] ?? [])
      .map((c) => c.split(';')[0])
      .join('; ');
    const ack = await d.app.server.inject({
      method: 'POST',
      url: `/api/v1/alerts/${id}/ack`,
      headers: { cookie, 'x-centinela-page': 'ack' },
      payload: { by: 'Ana', comment: 'restarting the api' },
    });
    expect(ack.statusCode).toBe(200);
    expect(ack.json().ack).toMatchObject({ by: 'Ana', via: 'page' });
    await fixUntilResolved(d, id, 1);

    // A second incident of the same alert, nobody acknowledges it; it resolves too.
    await d.advance(60_000);
    expect(await breakUntilPaged(d, 2)).toBe(id);
    await fixUntilResolved(d, id, 2);

    const [first, second] = d.store.incidentsSince(0).filter((i) => i.alertId === id);
    expect(first && second && first.id !== second.id).toBe(true);
    if (!first || !second) return;

    // The status page links each incident to its own timeline.
    const status = (await get(d, '/')).body;
    expect(status).toContain(`href="/alerts/${id}?incident=${first.id}"`);
    expect(status).toContain(`href="/alerts/${id}?incident=${second.id}"`);

    const one = (await get(d, `/api/v1/alerts/${id}?incident=${first.id}`)).json().alert;
    const two = (await get(d, `/api/v1/alerts/${id}?incident=${second.id}`)).json().alert;
    expect(one.incident).toMatchObject({ id: first.id, openedAt: new Date(first.openedAt).toISOString() });
    // A resolved incident's diagnosis is what its page said while it fired (the API answered 503), not the probe now.
    expect(one.diagnosis).toEqual([{ probe: 'api_health', detail: expect.stringContaining('503') }]);
    expect(one.acks).toEqual([expect.objectContaining({ by: 'Ana', comment: 'restarting the api', via: 'page' })]);
    expect(two.acks).toEqual([]);
    expect(two.ack).toBeUndefined();
    const events = (a: { pages: { event: string }[] }) => a.pages.map((p) => p.event);
    expect(events(one)).toContain('acknowledged');
    expect(events(one).filter((e) => e === 'firing').length).toBeGreaterThan(0);
    expect(events(two)).not.toContain('acknowledged');
    // Each page, and each history line, within its own incident.
    const within = (a: { pages: { createdAt: string }[]; history: { at: string }[] }, from: number, to: number) =>
      [...a.pages.map((p) => p.createdAt), ...a.history.map((h) => h.at)].every((at) => {
        const ms = Date.parse(at);
        return ms >= from && ms <= to;
      });
    expect(within(one, first.openedAt - 60_000, first.resolvedAt ?? 0)).toBe(true);
    expect(within(two, (first.resolvedAt ?? 0) + 1, Number.POSITIVE_INFINITY)).toBe(true);
    expect(one.history.map((h: { event: string }) => h.event).reverse()).toEqual([
      'pending',
      'firing',
      'told firing',
      'resolved',
      'told resolved',
    ]);

    // What each incident sent links its own timeline.
    const links = t.world.hook.requests.flatMap((r) =>
      (JSON.parse(r.body).notifications as { timelineUrl: string; incident: { id: number } }[]).map(
        (n) => `${n.incident.id} ${n.timelineUrl}`,
      ),
    );
    expect(links).toContain(`${first.id} http://centinela.test/alerts/${id}?incident=${first.id}`);
    expect(links).toContain(`${second.id} http://centinela.test/alerts/${id}?incident=${second.id}`);
    expect(links.every((l) => l.endsWith(`?incident=${l.split(' ')[0]}`))).toBe(true);

    // The pages: the first incident's says who acknowledged it and how; the second's has no acknowledgement.
    const page1 = (await get(d, `/alerts/${id}?incident=${first.id}`)).body;
    const page2 = (await get(d, `/alerts/${id}?incident=${second.id}`)).body;
    expect(page1).toContain('Acknowledged by Ana (via the status page)');
    expect(page1).toContain(`data-incident-id="${first.id}"`);
    expect(page2).not.toContain('data-step="ack"');
    expect(page2).toContain(`data-incident-id="${second.id}"`);
    expect(page2.match(/data-step="state-resolved"/g)).toHaveLength(1);
    expect(page1.match(/data-step="state-resolved"/g)).toHaveLength(1);

    // An incident of another alert, or no number at all, is said so in the page (404), not in JSON.
    const wrong = await get(d, `/alerts/${id}?incident=${second.id + 1000}`);
    expect(wrong.statusCode).toBe(404);
    expect(wrong.body).toContain(`has no incident ${second.id + 1000}`);
    const bad = await get(d, `/alerts/${id}?incident=abc`);
    expect(bad.statusCode).toBe(404);
    expect(bad.body).toContain('An incident is named by its number');
    const badApi = await get(d, `/api/v1/alerts/${id}?incident=abc`);
    expect(badApi.statusCode).toBe(400);
    expect(badApi.json().error.message).toBe('query.incident: must be an incident number, e.g. 7');
  }, 120_000);
});
