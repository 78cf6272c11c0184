// The pages behind an email's acknowledgement link, on the real daemon (fixture config, temp SQLite, fake clock, a
// loopback target, SMTP and webhook sinks): what each state of the incident answers, as docs/notifications.md says.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Daemon, hookEvents, startDaemon, startWorld, type World } from '../support/daemon.js';

let world: World;
let d: Daemon;

beforeAll(async () => {
  world = await startWorld();
  d = await startDaemon(world);
});

afterAll(async () => {
  await d.close();
  await world.close();
});

const open = (link: string) => d.app.server.inject({ method: 'GET', url: link });
const press = (link: string) =>
  d.app.server.inject({
    method: 'POST',
    url: link,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: 'comment=',
  });
const title = (body: string) => /<title>([^<]*)<\/title>/.exec(body)?.[1];

describe('an acknowledgement link through its incident', () => {
  it('acknowledges once, answers 409 when pressed again, and 410 once the incident has resolved', async () => {
    world.target.setFault('down');
    await d.advanceUntil(
      () => world.smtp.received.length >= 1,
      30_000,
      () => 'no page by email',
    );
    const link = String(
      /http:\/\/centinela\.test(\/ack\/[A-Za-z0-9_.-]+)/.exec(world.smtp.received[0]?.mail.text ?? '')?.[1],
    );

    expect((await press(link)).statusCode).toBe(200);
    const again = await press(link);
    expect(again.statusCode).toBe(409);
    expect(title(again.body)).toBe('Already acknowledged');
    expect(again.body).toContain('was already acknowledged by oncall');

    world.target.setFault('none');
    await d.advanceUntil(
      () => hookEvents(world.hook).includes('resolved ApiDown'),
      60_000,
      () => 'no resolution',
    );
    // The link named that incident, which is over: the link is gone (410), opened or pressed.
    for (const answer of [await open(link), await press(link)]) {
      expect(answer.statusCode).toBe(410);
      expect(title(answer.body)).toBe('Already resolved');
      expect(answer.body).toMatch(/resolved at .*; there is nothing to acknowledge/);
    }
  });
});
