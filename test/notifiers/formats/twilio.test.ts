// Twilio SMS and voice calls against a real loopback receiver standing in for the REST API: the conformance table for
// each mode, the exact form-encoded Messages and Calls POSTs with basic auth, a text that fits one GSM-7 segment with
// the short ack link for every shipped rule, the call's TwiML escaped for XML, and a contact without a phone as a
// final failure that names the fix.
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/clock.js';
import { loadConfig } from '../../../src/config/load.js';
import { Secret } from '../../../src/config/secret.js';
import { signedAckLinks } from '../../../src/engine/acks.js';
import { headline } from '../../../src/notifiers/describe.js';
import { callTwiml, smsText, toGsm7 } from '../../../src/notifiers/formats/twilio.js';
import { deliver } from '../../../src/notifiers/index.js';
import type { Notification } from '../../../src/notifiers/notifier.js';
import { compileRules } from '../../../src/rules/rule.js';
import { makeAlert, silentLog } from '../../support/escalation-fixtures.js';
import { webhookConformance } from '../../support/notifier-conformance.js';
import { SHIPPED_ENV } from '../../support/shipped-env.js';
import { channel, inSpanish, item, note, send, T0, useWebhookSink } from '../webhook-fixtures.js';

const MESSAGES = '/2010-04-01/Accounts/AC0123/Messages.json';
const CALLS = '/2010-04-01/Accounts/AC0123/Calls.json';

webhookConformance('twilio', {
  channel: ({ origin, route, secret }) => {
    route(MESSAGES);
    return { account_sid: 'AC0123', auth_token: secret, from: '+15005550006', api_url: origin };
  },
  keyless: 'the Messages API takes no idempotency key: a repeat is the same text to the same phone',
});

webhookConformance('twilio', {
  variant: 'mode: call',
  channel: ({ origin, route, secret }) => {
    route(CALLS);
    return { mode: 'call', account_sid: 'AC0123', auth_token: secret, from: '+15005550006', api_url: origin };
  },
  keyless: 'the Calls API takes no idempotency key: a repeat rings the phone again',
});

const hook = useWebhookSink();
const twilio = (api_url = 'https://api.twilio.com', mode: 'sms' | 'call' = 'sms') =>
  channel({ format: 'twilio', mode, account_sid: 'AC0123', auth_token: 'T0KEN', from: '+15005550006', api_url });
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

  it('carries the short ack link, whole, cutting the headline to one segment; two only for a huge public_url', () => {
    const short = smsText(toCto(note([item({ shortAckUrl: 'https://c.example/a/AbC_12-x' })])));
    expect(short).toBe('[P0] API down - grupo_gad_api\nAck: https://c.example/a/AbC_12-x');
    const alert = makeAlert({ activeSince: T0, summary: 'y'.repeat(300) });
    const link = `https://centinela.grupogad.gob.ec/a/${'A'.repeat(20)}`;
    const cut = smsText(toCto(note([item({ alert, shortAckUrl: link })])));
    // `[` and `]` are GSM-7 extension characters, two septets each: `[P0] ` takes 7 of the 160.
    expect(cut).toBe(`[P0] ${'y'.repeat(160 - 7 - 3 - `\nAck: ${link}`.length)}...\nAck: ${link}`);
    expect(septets(cut)).toBe(160);
    const huge = `https://${'c'.repeat(140)}.example/a/${'A'.repeat(20)}`;
    const text = smsText(toCto(note([item({ alert, shortAckUrl: huge })])));
    expect(text.endsWith(`\nAck: ${huge}`)).toBe(true);
    expect(septets(text)).toBe(306);
  });

  it('fits one segment with the short link for the longest summary of every shipped rule, sent as written', async () => {
    const { sink } = hook;
    sink.path(MESSAGES);
    const { alerts } = await loadConfig({ dir: 'config', env: SHIPPED_ENV });
    const labels = {
      container: 'grupo_gad_api',
      dir: '/opt/grupogad/logs',
      host: 'grupogad.gob.ec',
      path: '/opt/grupogad/backups',
      backup: 'database',
    };
    const summaries = compileRules(alerts).rules.map((r) => {
      const top = r.levels[0];
      return r.summary.render(
        {
          ...{ value: 1234.56, threshold: top?.threshold, clear_threshold: r.clearThreshold, op: r.op },
          ...{ priority: top?.priority ?? 'P0', alertname: r.name, probe: r.probe, labels },
          ...{ for: r.for / 1000, clear_for: r.clearFor / 1000, active_for: 3600 },
        },
        'es',
      );
    });
    const longest = summaries.reduce((a, b) => (b.length > a.length ? b : a));
    // As the outbox worker signs them, for a contact of a long-lived store (six-digit incident ids).
    const links = signedAckLinks(
      () => ({
        ack: { link_secret: new Secret('k'.repeat(64)), link_ttl: 86_400_000 },
        publicUrl: 'https://centinela.grupogad.gob.ec',
      }),
      new FakeClock(T0),
    )({ incidentId: 654_321, alertId: 'A', contact: 'cto' });
    const shortUrl = String(links?.short);
    expect(shortUrl).toMatch(/^https:\/\/centinela\.grupogad\.gob\.ec\/a\/[\w-]{16,22}$/);
    for (const summary of summaries) {
      const alert = makeAlert({ activeSince: T0, summary, labels: { alertname: 'X', ...labels } });
      // In the shipped language, whose `Reconocer:` takes more of the segment than `Ack:`.
      const text = smsText(toCto(inSpanish(note([item({ alert, ackUrl: links?.url, shortAckUrl: shortUrl })]))));
      expect(septets(text), text).toBeLessThanOrEqual(160);
      expect(text.endsWith(`\nReconocer: ${shortUrl}`), text).toBe(true);
    }
    const alert = makeAlert({ activeSince: T0, summary: longest, labels: { alertname: 'X', ...labels } });
    const page = toCto(inSpanish(note([item({ alert, ackUrl: links?.url, shortAckUrl: shortUrl })])));
    expect(await send(twilio(new URL(sink.url).origin), page)).toEqual({ ok: true });
    const [req] = await sink.waitFor(1);
    const body = new URLSearchParams(req?.body).get('Body') ?? '';
    // The headline as sent: a summary that names its container is not followed by it again.
    const whole = `${toGsm7(headline(page))}\nReconocer: ${shortUrl}`;
    if (septets(whole) <= 160) expect(body).toBe(whole);
    else {
      // The headline is cut where the segment is full, with `...`; the link follows whole.
      const [title = '', ack] = body.split('\n');
      expect(ack).toBe(`Reconocer: ${shortUrl}`);
      expect(title.endsWith('...') && whole.startsWith(title.slice(0, -3))).toBe(true);
      expect(septets(body)).toBe(160);
    }
  });

  it('writes the text in GSM-7, so a segment holds 160 characters and not 70', () => {
    expect(toGsm7('API caída — “timeout” … ñandú `x` 中')).toBe('API caida - "timeout" ... ñandu \'x\' ?');
  });

  it('places a call: the Calls POST with basic auth, To, From and TwiML saying the alert twice', async () => {
    const { sink } = hook;
    sink.path(CALLS);
    expect(await send(twilio(new URL(sink.url).origin, 'call'), toCto(note()))).toEqual({ ok: true });
    const [req] = await sink.waitFor(1);
    expect(req?.method).toBe('POST');
    expect(req?.path).toBe(CALLS);
    expect(req?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(req?.headers.authorization).toBe(`Basic ${Buffer.from('AC0123:T0KEN').toString('base64')}`);
    const said = 'centinela. P0: API down — grupo_gad_api. Acknowledge it with the link in your messages.';
    expect(req?.body).toBe(
      new URLSearchParams({
        To: '+593991234567',
        From: '+15005550006',
        Twiml: `<Response><Say language="en-US">${said}</Say><Pause length="1"/><Say language="en-US">${said}</Say></Response>`,
      }).toString(),
    );
  });

  it('calls in Spanish with a Spanish voice, and texts the Spanish headline in GSM-7', () => {
    const page = toCto(
      inSpanish(note([item({ kind: 'escalated', level: 'P0', shortAckUrl: 'https://c.example/a/x' })])),
    );
    const said =
      'centinela. P0: Escalada a P0, sin reconocer: API down — grupo_gad_api. Reconózcala con el enlace de sus mensajes.';
    expect(callTwiml(page)).toBe(
      `<Response><Say language="es-MX">${said}</Say><Pause length="1"/><Say language="es-MX">${said}</Say></Response>`,
    );
    expect(smsText(page)).toBe(
      '[P0] Escalada a P0, sin reconocer: API down - grupo_gad_api\nReconocer: https://c.example/a/x',
    );
  });

  it('escapes the alert for XML, so a summary cannot add TwiML, and says nothing of an ack for news', () => {
    const alert = makeAlert({
      activeSince: T0,
      summary: 'x</Say><Play>http://evil.example/a.mp3</Play><Say>"&\'\u0007',
    });
    const twiml = callTwiml(toCto(note([item({ alert })])));
    expect(twiml).toMatch(
      /^<Response><Say language="en-US">[^<]*<\/Say><Pause length="1"\/><Say language="en-US">[^<]*<\/Say><\/Response>$/,
    );
    expect(twiml).toContain(
      '<Say language="en-US">centinela. P0: x&lt;/Say&gt;&lt;Play&gt;http://evil.example/a.mp3&lt;/Play&gt;&lt;Say&gt;&quot;&amp;&#39;  — grupo_gad_api.',
    );
    const resolved = callTwiml(toCto(note([item({ kind: 'resolved', resolvedAt: T0 + 27 * 60_000 })])));
    expect(resolved).toContain(
      '<Say language="en-US">centinela. RESOLVED: API down — grupo_gad_api (lasted 27 min).</Say>',
    );
  });

  it.each([
    ['sms', 'SMS'],
    ['call', 'a call'],
  ] as const)('fails for good in mode %s, naming the fix, when the contact has no phone', async (mode, what) => {
    const d = await deliver(note(), twilio(undefined, mode), {
      signal: AbortSignal.timeout(5000),
      log: silentLog,
      now: () => T0,
    });
    expect(d).toEqual({
      ok: false,
      retryable: false,
      reason: `webhook: contact "cto" has no phone for ${what}: set phone (e.g. "+593 99 123 4567") under contacts.cto in escalation.yaml`,
    });
  });
});
