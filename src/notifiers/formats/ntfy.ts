// ntfy (self-hostable push): one message published as JSON to the server's root, with the priority mapped from P0–P3
// (P0 = 5, which breaks through do-not-disturb on Android), emoji tags, and an Acknowledge button that POSTs the
// signed ack link, so one tap acknowledges. JSON, not headers: titles and summaries are UTF-8, and headers are not.
import { Secret } from '../../config/secret.js';
import { t } from '../../locale/locale.js';
import type { Priority } from '../../types.js';
import { alertTitle, headline } from '../describe.js';
import type { ItemKind, Notification } from '../notifier.js';
import { ackAsks, isNews, pushText } from '../push-text.js';
import { defineFormat, type FormatConfig } from './format.js';
import { type HttpRequest, jsonPost } from './request.js';

/** ntfy's priorities: 5 max (long vibration bursts, pop-over; through do-not-disturb when the app allows it) … 1 min. */
const PRIORITY: Record<Priority, number> = { P0: 5, P1: 4, P2: 3, P3: 2 };
/** News (an all-clear, an ack, a flapping notice, a test) goes at ntfy's default priority. */
const NEWS_PRIORITY = 3;

/** Emoji short codes ntfy shows before the title. */
const EMOJI: Record<Priority, string> = {
  P0: 'rotating_light',
  P1: 'warning',
  P2: 'warning',
  P3: 'information_source',
};
const NEWS_EMOJI: Partial<Record<ItemKind, string>> = {
  resolved: 'white_check_mark',
  acknowledged: 'ballot_box_with_check',
  test: 'test_tube',
};

// ntfy turns a message over 4,096 bytes into an attachment nobody reads at 3 a.m.: cut below it, in bytes.
const MAX_MESSAGE_BYTES = 4000;
// ntfy shows at most three action buttons.
const MAX_ACTIONS = 3;
// Alert names listed as tags, after the emoji and the priority.
const MAX_NAME_TAGS = 5;
const LABEL_CHARS = 40;

/** ntfy counts the message in UTF-8 bytes. */
export const NTFY_LIMIT = { max: MAX_MESSAGE_BYTES, size: (s: string) => Buffer.byteLength(s, 'utf8') };

/** The priority of a message: its most urgent page, or the default for news. */
function priorityOf(n: Notification): number {
  return n.items.reduce((top, i) => Math.max(top, isNews(i.kind) ? NEWS_PRIORITY : PRIORITY[i.alert.priority]), 0);
}

/** An emoji for what the message is, the top priority of its pages, and the alert names. */
function tagsOf(n: Notification): string[] {
  const pages = n.items.filter((i) => !isNews(i.kind));
  const top = pages.map((i) => i.alert.priority).sort()[0];
  const first = n.items[0];
  const emoji = top ? EMOJI[top] : ((first && NEWS_EMOJI[first.kind]) ?? 'loudspeaker');
  const names = [...new Set(n.items.map((i) => i.alert.alertname))].slice(0, MAX_NAME_TAGS);
  return [emoji, ...(top ? [top] : []), ...names];
}

/**
 * An http action per alert that asks for an ack (three at most): a POST of its signed link, with the form content type
 * so the web app's fetch is not refused as text/plain; `clear` dismisses the notification once the ack succeeded.
 */
function actionsOf(n: Notification) {
  const asks = ackAsks(n).slice(0, MAX_ACTIONS);
  const lang = n.reading.locale;
  return asks.map(({ item, url }) => ({
    action: 'http',
    label:
      asks.length === 1
        ? t(lang, 'page.acknowledge')
        : t(lang, 'page.ackAlert', { title: alertTitle(item) }).slice(0, LABEL_CHARS),
    url,
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: '',
    clear: true,
  }));
}

/** The Authorization header of the channel: a token as Bearer, or user and password as Basic. */
function auth(cfg: FormatConfig<'ntfy'>): Record<string, Secret> {
  if (cfg.token) return { authorization: new Secret(`Bearer ${cfg.token.reveal()}`) };
  if (cfg.user !== undefined && cfg.password) {
    const basic = Buffer.from(`${cfg.user}:${cfg.password.reveal()}`).toString('base64');
    return { authorization: new Secret(`Basic ${basic}`) };
  }
  return {};
}

/** The publish of a notification: one JSON POST to the server's root. */
function render(n: Notification, cfg: FormatConfig<'ntfy'>): HttpRequest[] {
  const acks = actionsOf(n);
  const single = n.items.length === 1 ? acks[0] : undefined;
  // One alert: a button to its timeline too (what happened so far, who was paged), and the tap opens it when there is
  // nothing to acknowledge (an all-clear).
  const timeline = n.items.length === 1 ? n.items[0]?.timelineUrl : undefined;
  const view = timeline
    ? { action: 'view', label: t(n.reading.locale, 'page.timeline'), url: timeline, clear: false }
    : undefined;
  const actions = view && acks.length < MAX_ACTIONS ? [...acks, view] : acks;
  const click = single?.url ?? timeline;
  const message = {
    topic: cfg.topic.reveal(),
    title: headline(n),
    message: pushText(n, NTFY_LIMIT),
    priority: priorityOf(n),
    tags: tagsOf(n),
    // Tapping the notification opens the ack page (it asks to confirm), for a phone that hides the buttons.
    ...(click ? { click } : {}),
    ...(actions.length ? { actions } : {}),
    // ntfy ≥ 2.16 replaces a notification of the same sequence id: a redelivery updates it instead of adding one.
    sequence_id: n.id,
  };
  return [jsonPost(new Secret(`${cfg.server.replace(/\/+$/, '')}/`), message, auth(cfg))];
}

/** ntfy: one JSON publish per notification; failures name the server, never the topic or the credentials. */
export default defineFormat({ format: 'ntfy', render, endpoint: (cfg) => cfg.server });
