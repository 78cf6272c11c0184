// The signed ack link used from a phone, over real HTTP: the ntfy Acknowledge action performed exactly as the ntfy app
// sends it (its method, headers and empty body, the app's User-Agent, no cookie, no token), and Pushover's callback
// POST when someone acknowledges an emergency message in its app, both acknowledge; a forged token and a replay are
// refused. Each runs its own daemon in-process on the fixture config, paging a real SMTP sink.
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookChannel } from '../../src/config/schema.js';
import webhook from '../../src/notifiers/webhook.js';
import { item, note } from '../notifiers/webhook-fixtures.js';
import { type Daemon, startDaemon, startWorld, type World } from '../support/daemon.js';

interface HttpAction {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string;
}

/** A daemon listening on loopback whose ApiDown fired; `link` is the oncall contact's signed ack link. */
function firingDaemon(): { d: Daemon; link: string } {
  const state = {} as { world: World; d: Daemon; link: string };
  beforeAll(async () => {
    state.world = await startWorld();
    state.d = await startDaemon(state.world);
    const origin = await state.d.app.server.listen({ host: '127.0.0.1', port: 0 });
    state.world.target.setFault('down');
    await state.d.advanceUntil(
      () => state.world.smtp.received.length >= 1,
      30_000,
      () => 'no page by email',
    );
    const text = state.world.smtp.received[0]?.mail.text ?? '';
    state.link = `${origin}${/http:\/\/centinela\.test(\/ack\/[A-Za-z0-9_.-]+)/.exec(text)?.[1]}`;
  });
  afterAll(async () => {
    await state.d.close();
    await state.world.close();
  });
  return state;
}

const acked = async (d: Daemon) =>
  ((await d.app.server.inject({ method: 'GET', url: '/api/v1/alerts' })).json().alerts as { ack?: { by: string } }[])[0]
    ?.ack;
const forge = (link: string) => `${link.slice(0, -4)}AAAA`;

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

/** The callback URL of the Pushover emergency message of a P0 page carrying `ackUrl`. */
function pushoverCallback(ackUrl: string): string {
  const cfg = webhookChannel.parse({ kind: 'webhook', format: 'pushover', token: 't', user: 'u' });
  const [req] = webhook.render(note([item({ ackUrl })]), cfg).requests;
  const callback = new URLSearchParams(req?.body).get('callback');
  if (!callback) throw new Error('the Pushover page has no callback');
  return callback;
}

/** Pushover's POST to the callback URL once a user acknowledged the emergency message in the app. */
function callBack(url: string) {
  const body = new URLSearchParams({
    receipt: 'rLqVuqTRh62UzxtmqiaLzQmVcPgiCy',
    acknowledged: '1',
    acknowledged_at: '1767261900',
    acknowledged_by: 'uQiRzpo4DXghDmr9QzzfQu27cmVRsG',
    acknowledged_by_device: 'cto-iphone',
  });
  return request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: body.toString(),
  });
}

describe('the ack link tapped from ntfy', () => {
  const s = firingDaemon();

  it('refuses a forged token and acknowledges nothing', async () => {
    const forged = await tap(ntfyAction(forge(s.link)));
    expect(forged.statusCode).toBe(403);
    expect(await forged.body.text()).toContain('This link cannot acknowledge');
    expect(await acked(s.d)).toBeUndefined();
  });

  it('acknowledges with one tap, as the contact the link was signed for', async () => {
    const action = ntfyAction(s.link);
    expect(action).toMatchObject({
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: '',
    });
    const res = await tap(action);
    // A 2xx tells the app the action worked (it then clears the notification).
    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toContain('Acknowledged by oncall');
    expect(await acked(s.d)).toMatchObject({ by: 'oncall' });
  });

  it('answers a second tap that it is already acknowledged', async () => {
    const again = await tap(ntfyAction(s.link));
    expect(again.statusCode).toBe(409);
    expect(await again.body.text()).toContain('already acknowledged by oncall');
  });
});

describe("Pushover's receipt callback", () => {
  const s = firingDaemon();

  it('refuses a callback to a forged link, whatever receipt it carries', async () => {
    const forged = await callBack(pushoverCallback(forge(s.link)));
    expect(forged.statusCode).toBe(403);
    await forged.body.text();
    expect(await acked(s.d)).toBeUndefined();
  });

  it('acknowledges the alert in centinela when someone acknowledges in the Pushover app', async () => {
    const res = await callBack(pushoverCallback(s.link));
    expect(res.statusCode).toBe(200);
    await res.body.text();
    expect(await acked(s.d)).toMatchObject({ by: 'oncall' });
  });
});
