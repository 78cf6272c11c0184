// The status page with a source's flood open (issue 17, review D1): it lists 100 alerts at most, the most urgent first,
// says how many more there are of which priority and links the API that lists them all; its counts stay exact; the
// incidents of the last 7 days are the newest 100, with how many older ones it does not list. Over HTTP against the
// daemon on loopback (fake clock started at real time, temp SQLite), alerts posted as Prometheus posts them.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Daemon, startSourceDaemon, type World } from '../support/daemon.js';

const TOKEN = 'prometheus-intake-token-0123456789';
let world: World;
let d: Daemon;
let url: string;

beforeAll(async () => {
  ({ world, d, url } = await startSourceDaemon({ PROM_TOKEN: TOKEN }, ''));
});

afterAll(async () => {
  await d?.close();
  await world?.close();
});

/** `count` alerts of `severity` (warning maps to P2, critical to P1), instances `tag-0`, `tag-1`, …, posted now. */
async function post(tag: string, count: number, severity: string): Promise<void> {
  const now = d.clock.now();
  const alerts = Array.from({ length: count }, (_, i) => ({
    labels: { alertname: 'NodeSlow', instance: `${tag}-${i}`, severity },
    annotations: { summary: `${tag}-${i} is slow` },
    startsAt: new Date(now).toISOString(),
    endsAt: new Date(now + 10 * 60_000).toISOString(),
  }));
  const res = await fetch(`${url}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify(alerts),
  });
  expect(res.status).toBe(200);
}

it('lists the 100 most urgent alerts, then how many more of which priority, with exact counts', async () => {
  // 80 P2 alerts, 60 later P2 ones, and 10 P1 ones last: the P1 ones come first, then the older P2 ones.
  await post('old', 80, 'warning');
  await d.advance(1000);
  await post('new', 60, 'warning');
  await d.advance(1000);
  await post('urgent', 10, 'critical');
  await d.advanceUntil(
    () => d.store.incidentsSince(0).filter((i) => i.firstPagedAt !== undefined).length >= 150,
    30_000,
    () => 'not every alert paged',
  );

  const res = await fetch(`${url}/`, { headers: { accept: 'text/html' } });
  expect(res.status).toBe(200);
  const body = await res.text();
  const cards = [...body.matchAll(/<article class="card (P\d)" data-alert-id="[^"]+" data-state="firing">/g)];
  expect(cards).toHaveLength(100);
  const listed = [...body.matchAll(/<p class="labels">[^<]*instance=&quot;([a-z]+)-\d+&quot;/g)].map((m) => m[1]);
  expect(listed).toEqual([
    ...Array<string>(10).fill('urgent'),
    ...Array<string>(80).fill('old'),
    ...Array<string>(10).fill('new'),
  ]);
  expect(cards.slice(0, 10).every((c) => c[1] === 'P1')).toBe(true);
  expect(body).toContain(
    '<p class="muted more" data-more="firing" data-count="50">…and 50 more firing (P2: 50), not listed here; all of them: <a href="/api/v1/alerts?state=firing">/api/v1/alerts?state=firing</a></p>',
  );
  expect(body).toContain('<title>150 firing — centinela</title>');
  expect(body).toMatch(/<p>150 firing · 0 pending · /);

  // Each alert paged: 150 incidents, of which the newest 100 are listed (the P1 ones first).
  const incidents = [...body.matchAll(/<li class="incident (P\d)" /g)].map((m) => m[1]);
  expect(incidents).toHaveLength(100);
  expect(incidents.slice(0, 10)).toEqual(Array(10).fill('P1'));
  expect(body).toContain(
    '<p class="muted more" data-more="incidents">…and 50 older incidents of the last 7 days, not listed here.</p>',
  );

  // The link lists them all.
  const all = (await (await fetch(`${url}/api/v1/alerts?state=firing`)).json()) as { alerts: unknown[] };
  expect(all.alerts).toHaveLength(150);
});
