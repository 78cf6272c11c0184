// Delivery truth, end to end: while every channel of the paged contacts fails, the API says the page reached
// nobody (paged: nobody, each delivery failing with its error) and /metrics counts it; once a receiver answers,
// the alert shows who it reached. A page that falls through two dead channels reaches the third at the same instant.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { type Daemon, daemonPerTest } from '../support/daemon.js';

const t = daemonPerTest();

async function firingAlert(d: Daemon) {
  const res = await d.app.server.inject({ method: 'GET', url: '/api/v1/alerts?state=firing' });
  return res.json().alerts[0];
}

async function undeliveredP0(d: Daemon): Promise<string | undefined> {
  const body = (await d.app.server.inject({ method: 'GET', url: '/metrics' })).body;
  return /^centinela_alerts_undelivered\{priority="P0"\} (\d+)$/m.exec(body)?.[1];
}

it('says a P0 reached nobody while SMTP and the webhook fail, then who it reached once they answer', async () => {
  const { world } = t;
  world.smtp.refuse(1000);
  world.hook.otherwise({ status: 503, body: 'down for maintenance' });
  const d = await t.start();
  await d.advance(10_000);
  world.target.setFault('down');
  await d.advanceUntil(
    () => world.hook.requests.length >= 1,
    30_000,
    () => 'no attempt',
  );
  await d.advance(2_000);
  const failing = await firingAlert(d);
  expect(failing).toMatchObject({ alertname: 'ApiDown', paged: [], notDelivered: true });
  expect(failing.deliveries).toEqual([
    expect.objectContaining({
      contact: 'oncall',
      channel: 'email',
      status: 'failing',
      lastError: expect.stringContaining('SMTP 451'),
    }),
    expect.objectContaining({
      contact: 'ops',
      channel: 'hook',
      status: 'failing',
      lastError: expect.stringContaining('HTTP 503'),
    }),
  ]);
  expect(await undeliveredP0(d)).toBe('1');

  world.hook.otherwise({ status: 200, body: 'ok' });
  const tried = world.hook.requests.length;
  await d.advanceUntil(
    () => world.hook.requests.length > tried,
    60_000,
    () => 'no new attempt',
  );
  await d.advance(1_000);
  const reached = await firingAlert(d);
  expect(reached).toMatchObject({ paged: ['ops'], notDelivered: false });
  expect(await undeliveredP0(d)).toBe('0');
});

it('moves a page past two dead channels (404) to the third at the same instant', async () => {
  // The on-call contact's first two channels are webhooks nobody serves (the sink answers 404 "no route"): final
  // failures, so the page moves on at once each time, and the second move is due the instant it is made.
  const { world } = t;
  const file = join(world.configDir, 'escalation.yaml');
  const doc = parseDocument(readFileSync(file, 'utf8'));
  const origin = new URL(world.hook.url).origin;
  for (const name of ['gone_1', 'gone_2']) {
    doc.setIn(['channels', name], { kind: 'webhook', format: 'generic', url: `${origin}/${name}`, timeout: '2s' });
  }
  doc.setIn(['contacts', 'oncall', 'channels'], ['gone_1', 'gone_2', 'email']);
  writeFileSync(file, doc.toString());
  const d = await t.start();
  world.target.setFault('down');
  await d.advanceUntil(
    () => world.smtp.received.length >= 1,
    30_000,
    () => 'no page by email',
  );
  const attempts = world.hook.requests.filter((r) => r.path !== '/hook');
  expect(attempts.map((r) => r.path)).toEqual(['/gone_1', '/gone_2']);
  const page = (await d.app.server.inject({ method: 'GET', url: `/api/v1/alerts/${(await firingAlert(d)).id}` })).json()
    .alert.pages[0];
  expect(page).toMatchObject({ contact: 'oncall', channel: 'email', status: 'delivered', attempts: 3 });
  expect(page.deliveredAt).toBe(page.createdAt);
});
