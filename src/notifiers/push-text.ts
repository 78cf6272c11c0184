// The body of a push notification (ntfy, Pushover): each alert's facts, runbook and diagnosis as plain lines, a storm
// with each alert's headline first, cut to the receiver's limit, measured as that receiver counts.
import { t } from '../locale/locale.js';
import { describeItem } from './describe.js';
import type { ItemKind, Notification, NotificationItem } from './notifier.js';

/** A receiver's limit: the most `size` may count, `size` being bytes (ntfy) or characters (Pushover). */
export interface PushLimit {
  max: number;
  size: (text: string) => number;
}

/** The text of a push: every item that fits whole, then `…and more alerts (N in all)`; a lone item too long is cut. */
export function pushText(n: Notification, { max, size }: PushLimit): string {
  const storm = n.items.length > 1;
  const lang = n.reading.locale;
  const more = `\n\n${t(lang, 'page.moreAlertsInAll', { count: n.items.length })}`;
  let text = '';
  for (const [i, item] of n.items.entries()) {
    const d = describeItem(item, n);
    const lines = [...(storm ? [d.headline] : []), ...d.facts.map(([k, v]) => `${k}: ${v}`)];
    if (d.runbook.length) lines.push(`${t(lang, 'page.runbook')}:`);
    for (const [j, s] of d.runbook.entries()) lines.push(`${j + 1}. ${s}`);
    for (const diag of d.diagnosis) lines.push(`${t(lang, 'page.diagnosis', { probe: diag.probe })}: ${diag.detail}`);
    const part = `${i ? '\n\n' : ''}${lines.join('\n')}`;
    if (size(text + part) + (i < n.items.length - 1 ? size(more) : 0) > max) {
      text += i ? more : cut(part, max, size);
      break;
    }
    text += part;
  }
  return text;
}

/** The longest prefix of `s` that, with `…`, stays within `max`, never splitting a character. */
function cut(s: string, max: number, size: (text: string) => number): string {
  let out = '';
  for (const ch of s) {
    if (size(`${out}${ch}…`) > max) break;
    out += ch;
  }
  return `${out}…`;
}

const NEWS: ReadonlySet<ItemKind> = new Set(['acknowledged', 'resolved', 'flapping', 'flapping-ended', 'test']);

/** News that asks nothing of anyone (an all-clear, an ack, a flapping notice, a test): sent at a normal priority. */
export const isNews = (kind: ItemKind) => NEWS.has(kind);

/** The alerts of a notification that ask for an acknowledgement, with the signed link of each, in order. */
export function ackAsks(n: Notification): { item: NotificationItem; url: string }[] {
  return n.items.flatMap((item) => {
    const url = describeItem(item, n).ackUrl;
    return url === undefined ? [] : [{ item, url }];
  });
}
