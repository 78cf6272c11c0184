// Twilio, to the contact's phone: one form-encoded POST per notification, by SMS (`mode: sms`, the Messages resource)
// or as a voice call (`mode: call`, the Calls resource). The SMS text is GSM-7 (one character a septet, so a segment
// holds 160, not UCS-2's 70): the headline, cut to fit, and the short ack link when the page asks for one. The call
// says the headline twice (inline TwiML): it wakes people; the link to acknowledge comes by the other channels.
import { Secret } from '../../config/secret.js';
import { t } from '../../locale/locale.js';
import { headline } from '../describe.js';
import { escapeHtml } from '../html.js';
import type { Notification } from '../notifier.js';
import { ackAsks } from '../push-text.js';
import { defineFormat, type FormatConfig } from './format.js';
import type { HttpRequest } from './request.js';

// GSM 03.38: the basic set (one septet each) and the extension table (an escape and the character: two septets).
const GSM_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);
const GSM_EXTENDED = new Set('^{}\\[~]|€');
// Typography a summary may hold, written as GSM-7 can.
const PLAIN: Record<string, string> = {
  '—': '-',
  '–': '-',
  '…': '...',
  '“': '"',
  '”': '"',
  '‘': "'",
  '’': "'",
  '`': "'",
  '−': '-',
};

/** A segment of 160 septets; a message of two (a link too long for one) is 2 × 153, the rest being the joining header. */
const ONE_SEGMENT = 160;
const TWO_SEGMENTS = 306;

const septets = (s: string) => [...s].reduce((n, ch) => n + (GSM_EXTENDED.has(ch) ? 2 : 1), 0);

/** `text` in the GSM-7 alphabet: typography made plain, accents dropped where GSM-7 lacks them (í → i), others `?`. */
export function toGsm7(text: string): string {
  return [...text]
    .map((ch) => {
      if (GSM_BASIC.has(ch) || GSM_EXTENDED.has(ch)) return ch;
      if (PLAIN[ch]) return PLAIN[ch];
      const bare = ch.normalize('NFD').replace(/\p{M}/gu, '');
      return [...bare].every((c) => GSM_BASIC.has(c)) && bare ? bare : '?';
    })
    .join('');
}

/** `text` cut to `max` septets, ending in `...` when cut. */
function cut(text: string, max: number): string {
  if (septets(text) <= max) return text;
  let out = '';
  for (const ch of text) {
    if (septets(out + ch) + 3 > max) break;
    out += ch;
  }
  return `${out}...`;
}

/**
 * The SMS text: the headline and, when exactly one alert asks for an ack, `Ack: <short link>`. The headline is cut so
 * the whole fits one segment, the link never; only a public_url too long for that makes it two.
 */
export function smsText(n: Notification): string {
  const title = toGsm7(headline(n));
  const [only, ...others] = ackAsks(n);
  if (!only || others.length) return cut(title, ONE_SEGMENT);
  const ack = `\n${toGsm7(t(n.reading.locale, 'page.smsAck', { url: only.item.shortAckUrl ?? only.url }))}`;
  const room = (septets(ack) + 20 <= ONE_SEGMENT ? ONE_SEGMENT : TWO_SEGMENTS) - septets(ack);
  return `${cut(title, room)}${ack}`;
}

/** Twilio wants E.164; escalation.yaml holds phones as people write them (`+593 99 123 4567`). */
const e164 = (phone: string) => phone.replace(/[\s().-]/g, '');

// What a call says, before it is escaped: room for a long headline, far below Twilio's 4,000 characters of TwiML.
const MAX_SPOKEN = 400;

/** What the call says: `centinela. P0: API down — grupo_gad_api.`, and how to acknowledge when the page asks. */
export function spokenText(n: Notification): string {
  // XML 1.0 allows almost no control characters, and speech needs none: a summary holding one says a space there.
  const title = headline(n)
    .replace(/^\[([^\]]+)\]\s*/, '$1: ')
    .replace(/\p{Cc}/gu, ' ');
  const said = [...title]
    .slice(0, MAX_SPOKEN)
    .join('')
    .replace(/[\s.]+$/, '');
  const ack = ackAsks(n).length > 0 ? ` ${t(n.reading.locale, 'call.ackHint')}` : '';
  return `centinela. ${said}.${ack}`;
}

/** The inline TwiML of the call: the alert said twice, a pause between, for someone woken by the first. */
export function callTwiml(n: Notification): string {
  const voice = escapeHtml(t(n.reading.locale, 'call.voiceLanguage'));
  const say = `<Say language="${voice}">${escapeHtml(spokenText(n))}</Say>`;
  return `<Response>${say}<Pause length="1"/>${say}</Response>`;
}

/** The Messages (SMS) or Calls POST of a notification, to the contact's phone. */
function render(n: Notification, cfg: FormatConfig<'twilio'>): HttpRequest[] {
  const phone = n.contact.phone?.trim();
  if (!phone) {
    throw new Error(
      `contact "${n.contact.id}" has no phone for ${cfg.mode === 'call' ? 'a call' : 'SMS'}: set phone (e.g. "+593 99 123 4567") under contacts.${n.contact.id} in escalation.yaml`,
    );
  }
  const resource = cfg.mode === 'call' ? 'Calls' : 'Messages';
  const url = `${cfg.api_url.replace(/\/+$/, '')}/2010-04-01/Accounts/${encodeURIComponent(cfg.account_sid)}/${resource}.json`;
  const basic = Buffer.from(`${cfg.account_sid}:${cfg.auth_token.reveal()}`).toString('base64');
  const form = new URLSearchParams({ To: e164(phone), From: cfg.from });
  if (cfg.mode === 'call') form.set('Twiml', callTwiml(n));
  else form.set('Body', smsText(n));
  return [
    {
      url: new Secret(url),
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: new Secret(`Basic ${basic}`) },
      body: form.toString(),
    },
  ];
}

/** Twilio SMS or voice call: one Messages or Calls POST; failures name `api_url`, never the auth token. */
export default defineFormat({ format: 'twilio', render, endpoint: (cfg) => cfg.api_url });
