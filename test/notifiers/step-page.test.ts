// A step's page (a level's `steps`: unacknowledged after 5 min, the tech lead and DevOps are added to P0) says what
// happened to the person added, not "Escalated to P0": its exact headline in every format that shows one.
import { describe, expect, it } from 'vitest';
import type { EmailChannelConfig } from '../../src/config/schema.js';
import email from '../../src/notifiers/email.js';
import type { Notification } from '../../src/notifiers/notifier.js';
import webhook from '../../src/notifiers/webhook.js';
import { MIN } from '../support/escalation-fixtures.js';
import { channel, item, note } from './webhook-fixtures.js';

const HEADLINE = '[P0] Not acknowledged after 5 min, you are added: API down — grupo_gad_api';

/** The lead's page from P0's 5-minute step (`stepAfterMs` undefined: a row that does not say how long). */
function stepNote(stepAfterMs: number | undefined): Notification {
  const n = note([item({ kind: 'step', stepAfterMs, paged: ['cto', 'tech_lead'] })]);
  return { ...n, contact: { id: 'tech_lead', name: 'Tech Lead', phone: '+593991234567' } };
}

/** The body of the one request `raw` (a webhook channel's YAML keys) renders for the step's page. */
const body = (raw: Record<string, unknown>) => webhook.render(stepNote(5 * MIN), channel(raw)).requests[0]?.body ?? '';
const json = (raw: Record<string, unknown>) => JSON.parse(body(raw));
const form = (raw: Record<string, unknown>) => new URLSearchParams(body(raw));
const twilio = (mode: 'sms' | 'call') => ({
  format: 'twilio',
  mode,
  account_sid: 'AC0123',
  auth_token: 'T',
  from: '+1500',
});

describe('a step page', () => {
  it('is headed by how long nobody acknowledged and that the reader is added', () => {
    const smtp = { host: 'smtp', port: 587, security: 'starttls', from: 'centinela@grupogad.gob.ec' };
    const mail = email.render(stepNote(5 * MIN), { kind: 'email', smtp } as EmailChannelConfig);
    expect(mail.subject).toBe(HEADLINE);
    expect(mail.text.split('\n')[0]).toBe(HEADLINE);
    expect(mail.html).toContain(`>${HEADLINE}</h2>`);
    expect(json({ format: 'ntfy', topic: 'lead-x7f3' }).title).toBe(HEADLINE);
    expect(form({ format: 'pushover', token: 'APPT0KEN', user: 'USERKEY' }).get('title')).toBe(HEADLINE);
    expect(json({ format: 'slack', url: 'http://127.0.0.1:9/h' }).text).toBe(HEADLINE);
    expect(json({ format: 'teams', url: 'http://127.0.0.1:9/h' }).attachments[0].content.body[0].text).toBe(
      '\\[P0\\] Not acknowledged after 5 min, you are added: API down — grupo_gad_api',
    );
    expect(json({ format: 'telegram', bot_token: 't', chat_id: '1' }).text).toMatch(
      /^<b>\[P0\] Not acknowledged after 5 min, you are added: API down — grupo_gad_api<\/b>\n/,
    );
    // GSM-7 has no em dash; one SMS segment with the ack link.
    expect(form(twilio('sms')).get('Body')).toBe(
      '[P0] Not acknowledged after 5 min, you are added: API down - grupo_gad_api\nAck: https://centinela.example/ack/abc.def',
    );
    expect(form(twilio('call')).get('Twiml')).toContain(
      '<Say language="en-US">centinela. P0: Not acknowledged after 5 min, you are added: API down — grupo_gad_api. Acknowledge it',
    );
  });

  it('is a page of its own kind for a webhook, which asks for an ack like every page', () => {
    const [n] = json({ format: 'generic', url: 'http://127.0.0.1:9/h' }).notifications;
    expect(n).toMatchObject({
      event: 'step',
      incident: { level: 'P0' },
      ackUrl: 'https://centinela.example/ack/abc.def',
    });
  });

  it('says no length of time when its row holds none', () => {
    const mail = email.render(stepNote(undefined), { kind: 'email', smtp: {} } as EmailChannelConfig);
    expect(mail.subject).toBe('[P0] Not acknowledged, you are added: API down — grupo_gad_api');
  });
});
