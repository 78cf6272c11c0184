// Telegram Bot API sendMessage, HTML parse mode; the bot token is in the URL path, so the URL is a Secret.

import { Secret } from '../../config/secret.js';
import { t } from '../../locale/locale.js';
import { describeItem, headline } from '../describe.js';
import { escapeHtml } from '../html.js';
import type { Notification } from '../notifier.js';
import { defineFormat, type FormatConfig } from './format.js';
import { type HttpRequest, jsonPost } from './request.js';

// Telegram refuses messages over 4096 characters; the markup counts here too, so this keeps a margin.
const MAX_CHARS = 4000;
// A diagnosis cut shorter than this says nothing useful; it is left out instead.
const MIN_DIAGNOSIS = 40;

/**
 * The message text: headline, then each alert's facts, runbook, diagnosis, ack link and timeline link. The diagnosis (log lines,
 * slow queries) is what grows: it is cut to the room left, so the facts and the ack link of every alert shown fit.
 */
export function telegramText(n: Notification): string {
  const lang = n.reading.locale;
  let text = `<b>${escapeHtml(headline(n))}</b>`;
  const more = `\n\n${t(lang, 'page.moreAlertsInAll', { count: n.items.length })}`;
  for (const [i, item] of n.items.entries()) {
    const d = describeItem(item, n);
    let part = `\n\n<b>${escapeHtml(d.headline)}</b>\n${d.facts.map(([k, v]) => `${escapeHtml(k)}: ${escapeHtml(v)}`).join('\n')}`;
    if (d.runbook.length)
      part += `\n${t(lang, 'page.runbook')}:\n${d.runbook.map((s, j) => `${j + 1}. ${escapeHtml(s)}`).join('\n')}`;
    const links = [
      ...(d.ackUrl ? [`<a href="${escapeHtml(d.ackUrl)}">${t(lang, 'page.acknowledge')}</a>`] : []),
      ...(d.timelineUrl ? [`<a href="${escapeHtml(d.timelineUrl)}">${t(lang, 'page.timeline')}</a>`] : []),
    ];
    const ack = links.length ? `\n${links.join(' · ')}` : '';
    const reserve = i < n.items.length - 1 ? more.length : 0;
    if (text.length + part.length + ack.length + reserve > MAX_CHARS) {
      text += more;
      break;
    }
    for (const diag of d.diagnosis) {
      const room = MAX_CHARS - reserve - text.length - part.length - ack.length;
      const block = diagnosisBlock(t(lang, 'page.diagnosis', { probe: diag.probe }), diag.detail, room);
      if (block === '') break;
      part += block;
    }
    text += part + ack;
  }
  return text;
}

/** `Diagnosis (db):` and the detail in <pre>, cut (with `…`) to at most `room` characters; '' when too little room. */
function diagnosisBlock(heading: string, detail: string, room: number): string {
  const open = `\n<b>${escapeHtml(heading)}:</b>\n<pre>`;
  const close = '</pre>';
  const whole = escapeHtml(detail);
  if (open.length + whole.length + close.length <= room) return `${open}${whole}${close}`;
  // Cut the detail before escaping, so an entity (&amp;) is never split.
  let cut = '';
  let size = open.length + 1 + close.length;
  for (const ch of detail) {
    size += escapeHtml(ch).length;
    if (size > room) break;
    cut += ch;
  }
  return cut.length < MIN_DIAGNOSIS ? '' : `${open}${escapeHtml(cut)}…${close}`;
}

/** The sendMessage POST of a notification. */
function render(n: Notification, cfg: FormatConfig<'telegram'>): HttpRequest[] {
  const url = new Secret(`${cfg.api_url.replace(/\/+$/, '')}/bot${cfg.bot_token.reveal()}/sendMessage`);
  const message = { chat_id: cfg.chat_id, text: telegramText(n), parse_mode: 'HTML', disable_web_page_preview: true };
  return [jsonPost(url, message, { 'idempotency-key': n.id })];
}

/** Telegram: one sendMessage POST; failures name `api_url`, not the URL built with the bot token. */
export default defineFormat({ format: 'telegram', render, endpoint: (cfg) => cfg.api_url });
