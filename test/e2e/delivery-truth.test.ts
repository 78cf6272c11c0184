// Delivery truth, end to end: while every channel of the paged contacts fails, the API says the page reached
// nobody (paged: nobody, each delivery failing with its error) and /metrics counts it; once a receiver answers,
// the alert shows who it reached.
import { afterEach, beforeEach, expect, it } from 'vitest';
import { type Daemon, startDaemon, startWorld, type World } from '../support/daemon.js';

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

async function firingAlert(d: Daemon) {
  const res = await d.app.server.inject({ method: 'GET', url: '/api/v1/alerts?state=firing' });
  return res.json().alerts[0];
}

async function undeliveredP0(d: Daemon): Promise<string | undefined> {
  const body = (await d.app.server.inject({ method: 'GET', url: '/metrics' })).body;
  return /^centinela_alerts_undelivered\{priority="P0"\} (\d+)$/m.exec(body)?.[1];
}

it('says a P0 reached nobody while SMTP and the webhook fail, then who it reached once they answer', async () => {
  world.smtp.refuse(1000);
  world.hook.otherwise({ status: 503, body: 'down for maintenance' });
  daemon = await startDaemon(world);
  const d = daemon;
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
