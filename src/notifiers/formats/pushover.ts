// Pushover: one form-encoded POST to the Messages API. A P0 page goes at emergency priority (2): the app repeats it
// every `retry` until someone acknowledges it there, for at most `expire`, and Pushover then POSTs to the callback
// URL — the signed ack link, which acknowledges the alert in centinela as it does when the link's form is sent.
import { Secret } from '../../config/secret.js';
import { t } from '../../locale/locale.js';
import type { Priority } from '../../types.js';
import { headline } from '../describe.js';
import type { Notification } from '../notifier.js';
import { ackAsks, isNews, pushText } from '../push-text.js';
import { defineFormat, type FormatConfig } from './format.js';
import type { HttpRequest } from './request.js';

/** Pushover's priorities: 2 emergency (repeats until acknowledged), 1 high (bypasses quiet hours), 0 normal, -1 low. */
const PRIORITY: Record<Priority, number> = { P0: 2, P1: 1, P2: 0, P3: -1 };
const EMERGENCY = 2;
// Pushover refuses a title over 250 characters and a message over 1,024.
const MAX_TITLE = 250;
const MAX_MESSAGE = 1024;
const PUSHOVER_LIMIT = { max: MAX_MESSAGE, size: (s: string) => [...s].length };

/** The priority of a message: its most urgent page, or normal for news. */
function priorityOf(n: Notification): number {
  return n.items.reduce((top, i) => Math.max(top, isNews(i.kind) ? 0 : PRIORITY[i.alert.priority]), -2);
}

/** The Messages POST of a notification. */
function render(n: Notification, cfg: FormatConfig<'pushover'>): HttpRequest[] {
  const priority = priorityOf(n);
  const [only, ...others] = ackAsks(n);
  // One alert asking for an ack: its link is the supplementary URL and, for an emergency, the callback.
  const ack = only && !others.length ? only.url : undefined;
  const form = new URLSearchParams({
    token: cfg.token.reveal(),
    user: cfg.user.reveal(),
    title: [...headline(n)].slice(0, MAX_TITLE).join(''),
    message: pushText(n, PUSHOVER_LIMIT),
    priority: String(priority),
  });
  if (cfg.device) form.set('device', cfg.device);
  // The supplementary URL: the ack link, else (an all-clear, several alerts of one) the timeline of a lone alert.
  const timeline = n.items.length === 1 ? n.items[0]?.timelineUrl : undefined;
  if (ack) {
    form.set('url', ack);
    form.set('url_title', t(n.reading.locale, 'page.acknowledgeInCentinela'));
  } else if (timeline) {
    form.set('url', timeline);
    form.set('url_title', t(n.reading.locale, 'page.timeline'));
  }
  if (priority === EMERGENCY) {
    form.set('retry', String(Math.round(cfg.retry / 1000)));
    form.set('expire', String(Math.round(cfg.expire / 1000)));
    if (ack) form.set('callback', ack);
  }
  const url = new Secret(`${cfg.api_url.replace(/\/+$/, '')}/1/messages.json`);
  return [{ url, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() }];
}

/** Pushover: one Messages POST; failures name `api_url`, never the token or the user key. */
export default defineFormat({ format: 'pushover', render, endpoint: (cfg) => cfg.api_url });
