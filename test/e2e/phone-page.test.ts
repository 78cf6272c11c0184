// A P0 to a phone through a loopback Twilio, end to end: the fixture daemon (FakeClock, temp SQLite, the demo target,
// real SMTP) with the on-call contact's phone on an SMS and a call channel, and P0 on every channel at once. The SMS
// is one segment carrying the short ack link, the call says the alert, and the short link, opened and confirmed on the
// daemon's own server as a phone's browser would, acknowledges; an altered one is refused.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { toGsm7 } from '../../src/notifiers/formats/twilio.js';
import { type Daemon, startDaemon, startWorld, type World } from '../support/daemon.js';
import { startWebhookSink, type WebhookSink } from '../support/webhook-sink.js';

const MESSAGES = '/2010-04-01/Accounts/AC0123/Messages.json';
const CALLS = '/2010-04-01/Accounts/AC0123/Calls.json';

let world: World;
let twilio: WebhookSink;
let d: Daemon;

beforeAll(async () => {
  world = await startWorld();
  twilio = await startWebhookSink();
  twilio.path(MESSAGES);
  twilio.path(CALLS);
  const file = join(world.configDir, 'escalation.yaml');
  const doc = parseDocument(readFileSync(file, 'utf8'));
  const account = {
    kind: 'webhook',
    format: 'twilio',
    account_sid: 'AC0123',
    auth_token: 'T0KEN',
    from: '+15005550006',
  };
  doc.setIn(['channels', 'sms'], { ...account, api_url: new URL(twilio.url).origin });
  doc.setIn(['channels', 'call'], { ...account, mode: 'call', api_url: new URL(twilio.url).origin });
  doc.setIn(['contacts', 'oncall', 'phone'], '+593 99 123 4567');
  doc.setIn(['contacts', 'oncall', 'channels'], ['email', 'sms', 'call']);
  doc.setIn(['levels', 'P0', 'channels'], 'all');
  writeFileSync(file, doc.toString());
  d = await startDaemon(world);
  world.target.setFault('down');
  await d.advanceUntil(
    () => twilio.requests.length >= 2 && world.smtp.received.length >= 1,
    30_000,
    () => `${twilio.requests.length} Twilio requests, ${world.smtp.received.length} emails`,
  );
});

afterAll(async () => {
  await d.close();
  await Promise.all([world.close(), twilio.close()]);
});

const form = (path: string) => new URLSearchParams(twilio.requests.find((r) => r.path === path)?.body);
const septets = (s: string) => [...s].reduce((n, ch) => n + ('^{}\\[~]|€'.includes(ch) ? 2 : 1), 0);
const ackedBy = async () =>
  ((await d.app.server.inject({ method: 'GET', url: '/api/v1/alerts' })).json().alerts as { ack?: { by: string } }[])[0]
    ?.ack?.by;

/** The path of the short link in the SMS, `/a/<token>`. */
function shortLink(): string {
  const body = form(MESSAGES).get('Body') ?? '';
  const link = /\nAck: http:\/\/centinela\.test(\/a\/[\w-]+)$/.exec(body)?.[1];
  if (!link) throw new Error(`no short ack link in the SMS: ${body}`);
  return link;
}

describe('a P0 to the phone', () => {
  it('texts the headline and the short ack link in one GSM-7 segment, and rings with the alert said', () => {
    const subject = world.smtp.received[0]?.mail.subject ?? '';
    expect(subject).toBe('[P0] API down: the health endpoint does not answer healthy — api');
    const sms = form(MESSAGES);
    expect(sms.get('To')).toBe('+593991234567');
    expect(sms.get('Body')).toMatch(
      /^\[P0\] API down: the health endpoint does not answer healthy - api\nAck: http:\/\/centinela\.test\/a\/[\w-]{14,22}$/,
    );
    expect(septets(sms.get('Body') ?? '')).toBeLessThanOrEqual(160);
    expect(sms.get('Body')?.startsWith(toGsm7(subject))).toBe(true);
    const call = form(CALLS);
    expect(call.get('To')).toBe('+593991234567');
    const said =
      'centinela. P0: API down: the health endpoint does not answer healthy — api. Acknowledge it with the link in your messages.';
    expect(call.get('Twiml')).toBe(
      `<Response><Say language="en-US">${said}</Say><Pause length="1"/><Say language="en-US">${said}</Say></Response>`,
    );
  });

  it('shows the short link as the one-tap confirmation page, acknowledging nothing yet', async () => {
    const page = await d.app.server.inject({ method: 'GET', url: shortLink() });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<h1>Acknowledge this alert?</h1>');
    expect(page.body).toContain('You are acknowledging as <strong>oncall</strong>');
    expect(await ackedBy()).toBeUndefined();
  });

  it('refuses an altered short link', async () => {
    const link = shortLink();
    // A character inside the MAC (the last one may hold only padding bits).
    const at = link.length - 3;
    const altered = `${link.slice(0, at)}${link[at] === 'A' ? 'B' : 'A'}${link.slice(at + 1)}`;
    const forged = await d.app.server.inject({ method: 'POST', url: altered, payload: {} });
    expect(forged.statusCode).toBe(403);
    expect(forged.body).toContain('its signature does not match. Nothing was acknowledged');
    expect(await ackedBy()).toBeUndefined();
  });

  it('acknowledges with the confirm tap, as the contact the SMS went to', async () => {
    const res = await d.app.server.inject({
      method: 'POST',
      url: shortLink(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'comment=',
    });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Acknowledged by oncall');
    expect(await ackedBy()).toBe('oncall');
  });
});
