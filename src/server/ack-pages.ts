// The pages behind the signed acknowledgement link in every page (/ack/<token>, and its short form /a/<token> in SMS):
// opening it only shows a confirmation form (mail scanners open links), and only the form's POST acknowledges. The
// signed token is the credential. They speak the team's language (centinela.yaml `locale`), times in its zone.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { type Locale, localTime, type MessageKey, type Reading, t } from '../locale/locale.js';
import type { Operations } from './api-shapes.js';
import { ApiError, type ApiErrorCode } from './errors.js';
import { html, PAGE_CSP, page, type SafeHtml } from './html.js';

const params = z.strictObject({ token: z.string().min(1).max(4096) });
const form = z.object({ comment: z.string().max(2000).optional() });

function send(reply: FastifyReply, status: number, lang: Locale, title: string, body: SafeHtml): FastifyReply {
  return reply
    .status(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('content-security-policy', PAGE_CSP)
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .send(page({ lang, title, body: html`<main>${body}</main>` }));
}

/**
 * What a link page answers for a refusal about its incident rather than the link. A link names one incident: once
 * that has resolved the link is gone for good (410, as docs/notifications.md says), while the API's NOT_FIRING (409)
 * is about an alert that may fire again, which is the status the error carries.
 */
const ABOUT_THE_INCIDENT: Partial<Record<ApiErrorCode, { status: number; title: MessageKey }>> = {
  NOT_FIRING: { status: 410, title: 'ackPage.alreadyResolved' },
  ALREADY_ACKED: { status: 409, title: 'ackPage.alreadyAcked' },
};

/** The refusal's page; its message is the engine's, written in the team's language (src/engine/acks.ts). */
function refused(reply: FastifyReply, lang: Locale, err: unknown): FastifyReply {
  if (!(err instanceof ApiError)) throw err;
  const { status, title } = ABOUT_THE_INCIDENT[err.code] ?? { status: err.status, title: 'ackPage.notValid' };
  const body = html`<h1>${t(lang, 'ackPage.cannot')}</h1><p class="error">${err.message}</p>`;
  return send(reply, status, lang, t(lang, title as 'ackPage.notValid'), body);
}

/** Registers GET and POST /ack/:token and /a/:token (the short form): the same pages, a token of either form. */
export function registerAckLink(app: FastifyInstance, ops: Operations, reading: () => Reading): void {
  for (const path of ['/ack/:token', '/a/:token']) registerAckPages(app, ops, path, reading);
}

function registerAckPages(app: FastifyInstance, ops: Operations, path: string, reading: () => Reading): void {
  app.get(path, { config: { access: 'open' } }, async (req, reply) => {
    const lang = reading().locale;
    const parsed = params.safeParse(req.params);
    if (!parsed.success) return refused(reply, lang, new ApiError('BAD_REQUEST', t(lang, 'ackPage.malformed')));
    try {
      const { alert, contact } = await ops.inspectAckLink(parsed.data.token);
      return send(
        reply,
        200,
        lang,
        t(lang, 'ackPage.title', { alert: alert.alertname }),
        html`<h1>${t(lang, 'ackPage.heading')}</h1>
<article class="card ${alert.priority}"><h3><span class="badge ${alert.priority}">${alert.priority}</span> ${alert.alertname}</h3><p>${alert.summary}</p></article>
${alert.ack ? html`<p class="ack">${t(lang, 'ackPage.alreadyBy', { who: alert.ack.by })}</p>` : ''}
<form method="post">
<p>${t(lang, 'ackPage.youAre')} <strong>${contact}</strong>${t(lang, 'ackPage.stops')}</p>
<label>${t(lang, 'ackPage.comment')}<br><input type="text" name="comment" maxlength="2000"></label>
<p><button type="submit">${t(lang, 'page.acknowledge')}</button></p>
</form>`,
      );
    } catch (err) {
      return refused(reply, lang, err);
    }
  });

  app.post(path, { config: { access: 'open' } }, async (req, reply) => {
    const { locale: lang, timezone } = reading();
    const parsed = params.safeParse(req.params);
    const body = form.safeParse(req.body ?? {});
    if (!parsed.success || !body.success)
      return refused(reply, lang, new ApiError('BAD_REQUEST', t(lang, 'ackPage.formMalformed')));
    try {
      const ack = await ops.confirmAckLink(parsed.data.token, body.data.comment || undefined);
      const time = localTime(Date.parse(ack.at), timezone);
      return send(
        reply,
        200,
        lang,
        t(lang, 'ackPage.done'),
        html`<h1>${t(lang, 'ackPage.done')}</h1><p class="ack">${t(lang, 'ackPage.doneBy', { who: ack.by, time })}</p>`,
      );
    } catch (err) {
      return refused(reply, lang, err);
    }
  });
}
