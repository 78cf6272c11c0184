// The webhook notifier: one render file per format (formats/*.ts), sent with undici; the answer is classified once,
// in http-status.ts. Failure reasons name the format and the URL's origin only: paths and queries hold tokens.
import { request } from 'undici';
import type { WebhookChannelConfig } from '../config/schema.js';
import { render as generic } from './formats/generic.js';
import { render as pagerduty } from './formats/pagerduty.js';
import type { HttpRequest } from './formats/request.js';
import { render as slack } from './formats/slack.js';
import { render as teams } from './formats/teams.js';
import { render as telegram } from './formats/telegram.js';
import { fromHttpStatus, fromTransportError } from './http-status.js';
import { defineNotifier, type Notification } from './notifier.js';

type Format = WebhookChannelConfig['format'];
type Renderer<F extends Format> = (n: Notification, cfg: Extract<WebhookChannelConfig, { format: F }>) => HttpRequest[];

/** The formats, one file each; `format:` in escalation.yaml picks one. */
export const FORMATS: { [F in Format]: Renderer<F> } = { generic, slack, teams, pagerduty, telegram };

/** The requests of one notification, in order, and a secret-free name for messages. */
export interface WebhookMessage {
  what: string;
  requests: HttpRequest[];
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

/** Webhooks: generic JSON, Slack, Teams, PagerDuty, Telegram. */
export default defineNotifier<WebhookChannelConfig, WebhookMessage>({
  kind: 'webhook',
  render(n, cfg) {
    const requests = (FORMATS[cfg.format] as Renderer<Format>)(n, cfg);
    const url = cfg.format === 'pagerduty' ? cfg.url : cfg.format === 'telegram' ? cfg.api_url : cfg.url.reveal();
    return { what: `webhook (${cfg.format}) to ${origin(url)}`, requests };
  },
  async send(m, { signal, now }) {
    for (const req of m.requests) {
      const headers = Object.fromEntries(
        Object.entries(req.headers).map(([k, v]) => [k, typeof v === 'string' ? v : v.reveal()]),
      );
      let status: number;
      let retryAfter: string | undefined;
      let detail: string;
      try {
        const res = await request(req.url.reveal(), { method: 'POST', headers, body: req.body, signal });
        status = res.statusCode;
        const ra = res.headers['retry-after'];
        retryAfter = Array.isArray(ra) ? ra[0] : ra;
        detail = (await res.body.text()).replace(/\s+/g, ' ').trim().slice(0, DETAIL_CHARS);
      } catch (err) {
        return fromTransportError(err, m.what);
      }
      const outcome = fromHttpStatus(status, m.what, retryAfter, now(), detail);
      if (!outcome.ok) return outcome;
    }
    return { ok: true };
  },
});
