// Microsoft Teams via a Workflows webhook: a message carrying an Adaptive Card (1.4) with facts and an Ack button.
import type { WebhookChannelConfig } from '../../config/schema.js';
import { describeItem, headline } from '../describe.js';
import type { Notification } from '../notifier.js';
import { type HttpRequest, jsonPost } from './request.js';

// Teams refuses cards over ~28 KB; a storm is summarised after this many alerts.
const MAX_ITEMS = 15;

/** Renders a Teams Workflows POST. */
export function render(n: Notification, cfg: Extract<WebhookChannelConfig, { format: 'teams' }>): HttpRequest[] {
  const body: unknown[] = [{ type: 'TextBlock', text: headline(n), weight: 'Bolder', size: 'Medium', wrap: true }];
  const actions: unknown[] = [];
  for (const item of n.items.slice(0, MAX_ITEMS)) {
    const d = describeItem(item, n.contact.id, n.at);
    body.push({ type: 'TextBlock', text: d.headline, weight: 'Bolder', wrap: true, separator: true });
    body.push({ type: 'FactSet', facts: d.facts.map(([title, value]) => ({ title, value })) });
    if (d.runbook.length) {
      body.push({ type: 'TextBlock', text: d.runbook.map((s, i) => `${i + 1}. ${s}`).join('\n'), wrap: true });
    }
    for (const diag of d.diagnosis) {
      body.push({
        type: 'TextBlock',
        text: `Diagnosis (${diag.probe}):\n${diag.detail}`,
        wrap: true,
        fontType: 'Monospace',
      });
    }
    if (d.ackUrl && actions.length < 5)
      actions.push({ type: 'Action.OpenUrl', title: `Acknowledge ${d.headline}`.slice(0, 60), url: d.ackUrl });
  }
  if (n.items.length > MAX_ITEMS)
    body.push({ type: 'TextBlock', text: `…and ${n.items.length - MAX_ITEMS} more alerts`, wrap: true });
  const card = {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: '1.4',
    body,
    ...(actions.length ? { actions } : {}),
  };
  return [
    jsonPost(cfg.url, {
      type: 'message',
      attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: card }],
    }),
  ];
}
