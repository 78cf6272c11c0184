// Telegram Bot API sendMessage, HTML parse mode; the bot token is in the URL path, so the URL is a Secret.

import { Secret } from '../../config/secret.js';
import { describeItem, headline } from '../describe.js';
import { escapeHtml } from '../html.js';
import type { Notification } from '../notifier.js';
import { defineFormat, type FormatConfig } from './format.js';
import { type HttpRequest, jsonPost } from './request.js';

// Telegram refuses messages over 4096 characters.
const MAX_CHARS = 4000;

/** The message text: headline, then each alert's facts, runbook and ack link. */
export function telegramText(n: Notification): string {
  let text = `<b>${escapeHtml(headline(n))}</b>`;
  for (const item of n.items) {
    const d = describeItem(item, n.contact.id, n.at);
    let part = `\n\n<b>${escapeHtml(d.headline)}</b>\n${d.facts.map(([k, v]) => `${escapeHtml(k)}: ${escapeHtml(v)}`).join('\n')}`;
    if (d.runbook.length) part += `\nRunbook:\n${d.runbook.map((s, i) => `${i + 1}. ${escapeHtml(s)}`).join('\n')}`;
    if (d.ackUrl) part += `\n<a href="${escapeHtml(d.ackUrl)}">Acknowledge</a>`;
    if (text.length + part.length > MAX_CHARS) {
      text += `\n\n…and more alerts (${n.items.length} in all)`;
      break;
    }
    text += part;
  }
  return text;
}

/** The sendMessage POST of a notification. */
function render(n: Notification, cfg: FormatConfig<'telegram'>): HttpRequest[] {
  const url = new Secret(`${cfg.api_url.replace(/\/+$/, '')}/bot${cfg.bot_token.reveal()}/sendMessage`);
  const message = { chat_id: cfg.chat_id, text: telegramText(n), parse_mode: 'HTML', disable_web_page_preview: true };
  return [jsonPost(url, message, { 'idempotency-key': n.id })];
}

/** Telegram: one sendMessage POST; failures name `api_url`, not the URL built with the bot token. */
export default defineFormat({ format: 'telegram', render, endpoint: (cfg) => cfg.api_url });
