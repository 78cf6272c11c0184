// Microsoft Teams via a Workflows webhook: a message carrying an Adaptive Card (1.4) with facts and an Ack button.

import { t } from '../../locale/locale.js';
import { describeItem, headline } from '../describe.js';
import type { Notification } from '../notifier.js';
import { defineFormat, type FormatConfig } from './format.js';
import { type HttpRequest, jsonPost } from './request.js';

// Teams refuses cards over ~28 KB; a storm is summarised after this many alerts.
const MAX_ITEMS = 15;

/**
 * Backslash-escapes the markdown Teams reads in TextBlocks and facts that can hide or fake a link (`[title](url)`,
 * `<url>`) or format a whole line (`**`, code), so a summary or label shows as typed. Underscores stay: they are
 * common in names (grupo_gad_api) and do not emphasise inside a word.
 */
function esc(text: string): string {
  return text.replace(/[\\*[\]`<>]/g, '\\$&');
}

/** The Workflows POST of a notification. */
function render(n: Notification, cfg: FormatConfig<'teams'>): HttpRequest[] {
  const body: unknown[] = [{ type: 'TextBlock', text: esc(headline(n)), weight: 'Bolder', size: 'Medium', wrap: true }];
  const actions: unknown[] = [];
  const lang = n.reading.locale;
  for (const item of n.items.slice(0, MAX_ITEMS)) {
    const d = describeItem(item, n);
    body.push({ type: 'TextBlock', text: esc(d.headline), weight: 'Bolder', wrap: true, separator: true });
    body.push({ type: 'FactSet', facts: d.facts.map(([title, value]) => ({ title: esc(title), value: esc(value) })) });
    if (d.runbook.length) {
      body.push({ type: 'TextBlock', text: d.runbook.map((s, i) => `${i + 1}. ${esc(s)}`).join('\n'), wrap: true });
    }
    for (const diag of d.diagnosis) {
      body.push({
        type: 'TextBlock',
        text: `${esc(t(lang, 'page.diagnosis', { probe: diag.probe }))}:\n${esc(diag.detail)}`,
        wrap: true,
        fontType: 'Monospace',
      });
    }
    if (d.ackUrl && actions.length < 5)
      actions.push({
        type: 'Action.OpenUrl',
        title: t(lang, 'page.acknowledgeAlert', { title: d.headline }).slice(0, 60),
        url: d.ackUrl,
      });
    // The timeline as a link in the card, so that the five buttons Teams shows stay for acknowledgements.
    if (d.timelineUrl)
      body.push({ type: 'TextBlock', text: `[${esc(t(lang, 'page.timeline'))}](${d.timelineUrl})`, wrap: true });
  }
  if (n.items.length > MAX_ITEMS)
    body.push({
      type: 'TextBlock',
      text: t(lang, 'page.moreAlerts', { count: n.items.length - MAX_ITEMS }),
      wrap: true,
    });
  const card = {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: '1.4',
    body,
    ...(actions.length ? { actions } : {}),
  };
  const message = {
    type: 'message',
    attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: card }],
  };
  return [jsonPost(cfg.url, message, { 'idempotency-key': n.id })];
}

/** Teams: one Workflows POST; the URL carries its signature in the query. */
export default defineFormat({ format: 'teams', render, endpoint: (cfg) => cfg.url.reveal() });
