// The signed ack link tapped from a phone: the ntfy Acknowledge action, performed over real HTTP exactly as the ntfy
// app sends it (its method, headers and empty body, the app's User-Agent, no cookie, no token), acknowledges; a
// forged token and a replay are refused. The daemon runs in-process on the fixture config with a real SMTP sink.
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookChannel } from '../../src/config/schema.js';
import webhook from '../../src/notifiers/webhook.js';
import { item, note } from '../notifiers/webhook-fixtures.js';
import { type Daemon, startDaemon, startWorld, type World } from '../support/daemon.js';

let world: World;
let d: Daemon;
let origin: string;
let link: string;

beforeAll(async () => {
  world = await startWorld();
  d = await startDaemon(world);
  origin = await d.app.server.listen({ host: '127.0.0.1', port: 0 });
  world.target.setFault('down');
  await d.advanceUntil(
    () => world.smtp.received.length >= 1,
    30_000,
    () => 'no page by email',
  );
  const path = /http:\/\/centinela\.test(\/ack\/[A-Za-z0-9_.-]+)/.exec(world.smtp.received[0]?.mail.text ?? '')?.[1];
  link = `${origin}${path}`;
});

afterAll(async () => {
  await d.close();
  await world.close();
});

interface HttpAction {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string;
}

/** The Acknowledge action of the ntfy publish of a page carrying `ackUrl`. */
function ntfyAction(ackUrl: string): HttpAction {
  const cfg = webhookChannel.parse({ kind: 'webhook', format: 'ntfy', topic: 'ops' });
  const [req] = webhook.render(note([item({ ackUrl })]), cfg).requests;
  const [action] = JSON.parse(req?.body ?? '{}').actions as HttpAction[];
  if (!action) throw new Error('the ntfy page has no Acknowledge action');
  return action;
}

/** Performs an ntfy http action as the app does: its method, its headers, its body, the app's User-Agent. */
function tap(action: HttpAction) {
  return request(action.url, {
    method: action.method as 'POST',
    headers: { ...action.headers, 'user-agent': 'ntfy/1.16.0 (fdroid; Android 14; SDK 34)' },
    body: action.body,
  });
}

const acked = async () =>
  ((await d.app.server.inject({ method: 'GET', url: '/api/v1/alerts' })).json().alerts as { ack?: { by: string } }[])[0]
    ?.ack;

describe('the ack link tapped from ntfy', () => {
  it('refuses a forged token and acknowledges nothing', async () => {
    const forged = await tap(ntfyAction(`${link.slice(0, -4)}AAAA`));
    expect(forged.statusCode).toBe(403);
    expect(await forged.body.text()).toContain('This link cannot acknowledge');
    expect(await acked()).toBeUndefined();
  });

  it('acknowledges with one tap, as the contact the link was signed for', async () => {
    const action = ntfyAction(link);
    expect(action).toMatchObject({
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: '',
    });
    const res = await tap(action);
    // A 2xx tells the app the action worked (it then clears the notification).
    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toContain('Acknowledged by oncall');
    expect(await acked()).toMatchObject({ by: 'oncall' });
  });

  it('answers a second tap that it is already acknowledged', async () => {
    const again = await tap(ntfyAction(link));
    expect(again.statusCode).toBe(409);
    expect(await again.body.text()).toContain('already acknowledged by oncall');
  });
});
