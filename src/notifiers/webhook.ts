// The webhook notifier: a format per file (formats/*.ts) renders the requests, undici sends them, and the answer is
// classified once, in failure-class.ts. Failure reasons name the format and the receiver's origin only, and quote a
// receiver's answer with the channel's secrets cut out: paths, queries and bodies hold tokens.
import type { WebhookChannelConfig } from '../config/schema.js';
import { scrubberFor } from '../config/secret.js';
import { loadUndici } from '../undici.js';
import { fromHttpStatus, fromTransportError } from './failure-class.js';
import type { FormatName, WebhookFormat } from './formats/format.js';
import generic from './formats/generic.js';
import ntfy from './formats/ntfy.js';
import pagerduty from './formats/pagerduty.js';
import pushover from './formats/pushover.js';
import type { HttpRequest } from './formats/request.js';
import slack from './formats/slack.js';
import teams from './formats/teams.js';
import telegram from './formats/telegram.js';
import twilio from './formats/twilio.js';
import { type Delivery, defineNotifier } from './notifier.js';

/**
 * The formats, one file each; `format:` in escalation.yaml picks one. test/notifiers/registry.test.ts fails when a
 * file in formats/ declaring a format is missing here, is named unlike its format, or has no test.
 */
export const FORMATS: { [F in FormatName]: WebhookFormat<F> } = {
  generic,
  slack,
  teams,
  pagerduty,
  telegram,
  ntfy,
  twilio,
  pushover,
};

/** The format of a channel, with the channel's config type. */
function formatOf(cfg: WebhookChannelConfig): WebhookFormat<FormatName> {
  // FORMATS pairs each name with its own config type; the lookup by `cfg.format` keeps that pairing.
  return FORMATS[cfg.format] as WebhookFormat<FormatName>;
}

/** The requests of one notification, in order, a secret-free name for messages, and what answers must not quote. */
export interface WebhookMessage {
  what: string;
  requests: HttpRequest[];
  /** Cuts the channel's secrets out of a receiver's answer: paths, queries and bodies hold tokens. */
  scrub: (text: string) => string;
}

function origin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(bad url)';
  }
}

// The start of an error answer helps ("Not Found", "invalid_token") without flooding the outbox row.
const DETAIL_CHARS = 200;

/** Webhooks: generic JSON, Slack, Teams, PagerDuty, Telegram, ntfy, Twilio SMS, Pushover. */
export default defineNotifier<WebhookChannelConfig, WebhookMessage>({
  kind: 'webhook',
  render(n, cfg) {
    const format = formatOf(cfg);
    return {
      what: `webhook (${cfg.format}) to ${origin(format.endpoint(cfg))}`,
      requests: format.render(n, cfg),
      scrub: scrubberFor(cfg, { urlPaths: true }),
    };
  },
  async send(m, { signal, now }) {
    // Loaded at the first webhook; one that cannot load fails the delivery for good with its reason (see deliver).
    const { request } = await loadUndici();
    for (const req of m.requests) {
      const headers = Object.fromEntries(
        Object.entries(req.headers).map(([k, v]) => [k, typeof v === 'string' ? v : v.reveal()]),
      );
      let outcome: Delivery;
      try {
        const res = await request(req.url.reveal(), { method: 'POST', headers, body: req.body, signal });
        const ra = res.headers['retry-after'];
        const retryAfter = Array.isArray(ra) ? ra[0] : ra;
        outcome = fromHttpStatus(res.statusCode, m.what, retryAfter, now());
        if (outcome.ok) {
          // Delivered at the status line: waiting for the rest of the answer would leave the row unmarked (a crash
          // meanwhile resends it) and, when it never ends, time the attempt out into a retry the receiver has had.
          // Dropping an unread body aborts it, which undici reports as an error: that abort is the point.
          res.body.on('error', () => {}).destroy();
        } else {
          // Scrubbed before it is cut, so a secret at the cut cannot survive as a prefix.
          const answer = m.scrub(await res.body.text());
          const detail = answer.replace(/\s+/g, ' ').trim().slice(0, DETAIL_CHARS);
          outcome = fromHttpStatus(res.statusCode, m.what, retryAfter, now(), detail);
        }
      } catch (err) {
        return fromTransportError(err, m.what, signal);
      }
      if (!outcome.ok) return outcome;
    }
    return { ok: true };
  },
});
