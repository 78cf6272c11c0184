// The pages behind the signed acknowledgement link in every page (/ack/<token>, and its short form /a/<token> in SMS):
// opening it only shows a confirmation form (mail scanners open links), and only the form's POST acknowledges. The
// signed token is the credential.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { Operations } from './api-shapes.js';
import { ApiError, type ApiErrorCode } from './errors.js';
import { html, PAGE_CSP, page, type SafeHtml } from './html.js';

const params = z.strictObject({ token: z.string().min(1).max(4096) });
const form = z.object({ comment: z.string().max(2000).optional() });

function send(reply: FastifyReply, status: number, title: string, body: SafeHtml): FastifyReply {
  return reply
    .status(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('content-security-policy', PAGE_CSP)
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .send(page({ title, body: html`<main>${body}</main>` }));
}

/**
 * What a link page answers for a refusal about its incident rather than the link. A link names one incident: once
 * that has resolved the link is gone for good (410, as docs/notifications.md says), while the API's NOT_FIRING (409)
 * is about an alert that may fire again, which is the status the error carries.
 */
const ABOUT_THE_INCIDENT: Partial<Record<ApiErrorCode, { status: number; title: string }>> = {
  NOT_FIRING: { status: 410, title: 'Already resolved' },
  ALREADY_ACKED: { status: 409, title: 'Already acknowledged' },
};

function refused(reply: FastifyReply, err: unknown): FastifyReply {
  if (!(err instanceof ApiError)) throw err;
  const { status, title } = ABOUT_THE_INCIDENT[err.code] ?? { status: err.status, title: 'Link not valid' };
  return send(reply, status, title, html`<h1>This link cannot acknowledge</h1><p class="error">${err.message}</p>`);
}

/** Registers GET and POST /ack/:token and /a/:token (the short form): the same pages, a token of either form. */
export function registerAckLink(app: FastifyInstance, ops: Operations): void {
  for (const path of ['/ack/:token', '/a/:token']) registerAckPages(app, ops, path);
}

function registerAckPages(app: FastifyInstance, ops: Operations, path: string): void {
  app.get(path, { config: { access: 'open' } }, async (req, reply) => {
    const parsed = params.safeParse(req.params);
    if (!parsed.success) return refused(reply, new ApiError('BAD_REQUEST', 'the link is malformed'));
    try {
      const { alert, contact } = await ops.inspectAckLink(parsed.data.token);
      return send(
        reply,
        200,
        `Acknowledge ${alert.alertname}?`,
        html`<h1>Acknowledge this alert?</h1>
<article class="card ${alert.priority}"><h3><span class="badge ${alert.priority}">${alert.priority}</span> ${alert.alertname}</h3><p>${alert.summary}</p></article>
${alert.ack ? html`<p class="ack">Already acknowledged by ${alert.ack.by}.</p>` : ''}
<form method="post">
<p>You are acknowledging as <strong>${contact}</strong>. Reminders and escalation stop for this alert.</p>
<label>Comment (optional)<br><input type="text" name="comment" maxlength="2000"></label>
<p><button type="submit">Acknowledge</button></p>
</form>`,
      );
    } catch (err) {
      return refused(reply, err);
    }
  });

  app.post(path, { config: { access: 'open' } }, async (req, reply) => {
    const parsed = params.safeParse(req.params);
    const body = form.safeParse(req.body ?? {});
    if (!parsed.success || !body.success)
      return refused(reply, new ApiError('BAD_REQUEST', 'the link or the form is malformed'));
    try {
      const ack = await ops.confirmAckLink(parsed.data.token, body.data.comment || undefined);
      return send(
        reply,
        200,
        'Acknowledged',
        html`<h1>Acknowledged</h1><p class="ack">Acknowledged by ${ack.by} at ${ack.at}.</p>`,
      );
    } catch (err) {
      return refused(reply, err);
    }
  });
}
