// The shipped `${CENTINELA_WRITE_TOKEN:-}` shape with nothing in the environment: an empty token or link secret is
// not set. Writes are refused as disabled (an empty bearer does not pass), reads are open, and pages carry no ack link.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Daemon, startDaemon, startWorld, type World } from '../support/daemon.js';

let world: World;
let d: Daemon;

beforeAll(async () => {
  world = await startWorld({ WRITE_TOKEN: '', READ_TOKEN: '' });
  const file = join(world.configDir, 'escalation.yaml');
  const shipped = readFileSync(file, 'utf8').replace('${LINK_SECRET:-fixture-link-secret}', '${LINK_SECRET:-}');
  expect(shipped).toContain('link_secret: ${LINK_SECRET:-}');
  writeFileSync(file, shipped);
  d = await startDaemon(world);
});

afterAll(async () => {
  await d.close();
  await world.close();
});

describe('empty secrets are not set', () => {
  it('refuses every write as disabled, whatever bearer is sent, and leaves reads open', async () => {
    for (const headers of [{}, { authorization: 'Bearer ' }, { authorization: 'Bearer x' }]) {
      const res = await d.app.server.inject({ method: 'POST', url: '/api/v1/silences', headers, payload: {} });
      expect(res.statusCode).toBe(403);
      expect(res.json().error.code).toBe('WRITES_DISABLED');
    }
    expect((await d.app.server.inject({ method: 'GET', url: '/api/v1/alerts' })).statusCode).toBe(200);
    expect((await d.app.server.inject({ method: 'GET', url: '/' })).statusCode).toBe(200);
  });

  it('sends pages without an ack link and answers a link as disabled', async () => {
    world.target.setFault('down');
    await d.advanceUntil(
      () => world.smtp.received.length >= 1,
      30_000,
      () => 'no email page',
    );
    const text = world.smtp.received[0]?.mail.text ?? '';
    expect(text).toContain('ApiDown');
    expect(text).not.toContain('/ack/');
    const link = await d.app.server.inject({ method: 'GET', url: '/ack/anything' });
    expect(link.statusCode).toBe(503);
    expect(link.body).toContain('acknowledgement links are off');
  });
});
