// Slack incoming webhook: a fallback `text` plus Block Kit blocks, one section per alert (Slack caps 50 blocks).

import { t } from '../../locale/locale.js';
import { describeItem, headline } from '../describe.js';
import type { Notification } from '../notifier.js';
import { defineFormat, type FormatConfig } from './format.js';
import { type HttpRequest, jsonPost } from './request.js';

// Slack refuses a section text over 3000 characters and a message over 50 blocks: a header, a closing context line
// and up to three blocks per alert (section, buttons, divider) fit 16 alerts.
const MAX_ITEMS = 16;
const MAX_TEXT = 2900;

/**
 * Escapes Slack's control characters, so `<!channel>` or `<http://x|y>` in a summary or label shows as typed
 * instead of notifying the channel or hiding a link. Applies to every mrkdwn text, the fallback `text` included.
 */
function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The incoming-webhook POST of a notification. */
function render(n: Notification, cfg: FormatConfig<'slack'>): HttpRequest[] {
  const title = headline(n);
  const lang = n.reading.locale;
  const blocks: unknown[] = [{ type: 'header', text: { type: 'plain_text', text: title.slice(0, 150), emoji: true } }];
  for (const item of n.items.slice(0, MAX_ITEMS)) {
    const d = describeItem(item, n);
    let text = `*${esc(d.headline)}*\n${d.facts.map(([k, v]) => `*${esc(k)}:* ${esc(v)}`).join('\n')}`;
    if (d.runbook.length)
      text += `\n*${t(lang, 'page.runbook')}:*\n${d.runbook.map((s, i) => `${i + 1}. ${esc(s)}`).join('\n')}`;
    for (const diag of d.diagnosis)
      text += `\n*${esc(t(lang, 'page.diagnosis', { probe: diag.probe }))}:*\n\`\`\`${esc(diag.detail)}\`\`\``;
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: text.slice(0, MAX_TEXT) } });
    // One actions block: Acknowledge on a page, and the alert's timeline when a public URL is set.
    const buttons = [
      ...(d.ackUrl
        ? [
            {
              type: 'button',
              text: { type: 'plain_text', text: t(lang, 'page.acknowledge') },
              url: d.ackUrl,
              style: 'primary',
            },
          ]
        : []),
      ...(d.timelineUrl
        ? [{ type: 'button', text: { type: 'plain_text', text: t(lang, 'page.timeline') }, url: d.timelineUrl }]
        : []),
    ];
    if (buttons.length) blocks.push({ type: 'actions', elements: buttons });
    blocks.push({ type: 'divider' });
  }
  if (n.items.length > MAX_ITEMS) {
    blocks.push({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: t(lang, 'page.moreAlerts', { count: n.items.length - MAX_ITEMS }) }],
    });
  }
  return [jsonPost(cfg.url, { text: esc(title), blocks }, { 'idempotency-key': n.id })];
}

/** Slack: one incoming-webhook POST; the token is the URL's path. */
export default defineFormat({ format: 'slack', render, endpoint: (cfg) => cfg.url.reveal() });
