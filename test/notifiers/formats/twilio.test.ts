// Twilio SMS against a real loopback receiver standing in for the REST API: the conformance table, the exact
// form-encoded Messages POST with basic auth, a text that fits one GSM-7 segment (two with a signed ack link), and a
// contact without a phone as a final failure that names the fix.
import { describe, expect, it } from 'vitest';
import { smsText, toGsm7 } from '../../../src/notifiers/formats/twilio.js';
import { deliver } from '../../../src/notifiers/index.js';
import type { Notification } from '../../../src/notifiers/notifier.js';
import { makeAlert, silentLog } from '../../support/escalation-fixtures.js';
import { webhookConformance } from '../../support/notifier-conformance.js';
import { channel, item, note, send, T0, useWebhookSink } from '../webhook-fixtures.js';

const MESSAGES = '/2010-04-01/Accounts/AC0123/Messages.json';

webhookConformance('twilio', {
  channel: ({ origin, route, secret }) => {
    route(MESSAGES);
    return { account_sid: 'AC0123', auth_token: secret, from: '+15005550006', api_url: origin };
  },
  keyless: 'the Messages API takes no idempotency key: a repeat is the same text to the same phone',
});

const hook = useWebhookSink();
const twilio = (api_url = 'https://api.twilio.com') =>
  channel({ format: 'twilio', account_sid: 'AC0123', auth_token: 'T0KEN', from: '+15005550006', api_url });
const toCto = (n: Notification): Notification => ({ ...n, contact: { ...n.contact, phone: '+593 (99) 123-4567' } });
const septets = (s: string) => [...s].reduce((n, ch) => n + ('^{}\\[~]|€'.includes(ch) ? 2 : 1), 0);

describe('twilio', () => {
  it("POSTs the form to the account's Messages resource, with basic auth, to the contact's phone in E.164", async () => {
    const { sink } = hook;
    sink.path(MESSAGES);
    const resolved = item({ kind: 'resolved', resolvedAt: T0 + 27 * 60_000 });
    expect(await send(twilio(new URL(sink.url).origin), toCto(note([resolved])))).toEqual({ ok: true });
    const [req] = await sink.waitFor(1);
    expect(req?.method).toBe('POST');
    expect(req?.path).toBe(MESSAGES);
    expect(req?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(req?.headers.authorization).toBe(`Basic ${Buffer.from('AC0123:T0KEN').toString('base64')}`);
    expect(req?.body).toBe(
      'To=%2B593991234567&From=%2B15005550006&Body=%5BRESOLVED%5D+API+down+-+grupo_gad_api+%28lasted+27+min%29',
    );
  });

  it('fits a page without an ack link in one segment, cutting the headline', () => {
    const long = makeAlert({ activeSince: T0, summary: `API caída en el servidor ${'x'.repeat(300)}` });
    const text = smsText(toCto(note([item({ alert: long, ackUrl: undefined })])));
    expect(septets(text)).toBe(160);
    expect(text).toMatch(/^\[P0\] API caida en el servidor x+\.\.\.$/);
  });

  it('keeps the ack link whole and cuts the headline: one segment when it fits, two for a long signed link', () => {
    const short = smsText(toCto(note([item({ ackUrl: 'https://c.example/ack/abc.def' })])));
    expect(short).toBe('[P0] API down - grupo_gad_api\nAck: https://c.example/ack/abc.def');
    const signed = `https://centinela.grupogad.gob.ec/ack/${'A'.repeat(134)}.${'B'.repeat(43)}`;
    const alert = makeAlert({ activeSince: T0, summary: 'y'.repeat(300) });
    const text = smsText(toCto(note([item({ alert, ackUrl: signed })])));
    expect(text.endsWith(`\nAck: ${signed}`)).toBe(true);
    expect(septets(text)).toBe(306);
  });

  it('writes the text in GSM-7, so a segment holds 160 characters and not 70', () => {
    expect(toGsm7('API caída — “timeout” … ñandú `x` 中')).toBe('API caida - "timeout" ... ñandu \'x\' ?');
  });

  it('fails for good, naming the fix, when the contact has no phone', async () => {
    const d = await deliver(note(), twilio(), {
      signal: AbortSignal.timeout(5000),
      log: silentLog,
      now: () => T0,
    });
    expect(d).toEqual({
      ok: false,
      retryable: false,
      reason:
        'webhook: contact "cto" has no phone for SMS: set phone (e.g. "+593 99 123 4567") under contacts.cto in escalation.yaml',
    });
  });
});
