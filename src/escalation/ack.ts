// Acknowledgement over HTTP, framework-free: the bearer-token API handler and the signed-link pages.
//
// The daemon's fastify routes call these and send back what they return:
//   POST /api/v1/alerts/:id/ack   → handleAckRequest({ alertId, authorization, body }, deps, now)   (JSON)
//   GET  /ack/:token              → renderAckConfirmation(token, deps, now)                         (HTML, no change)
//   POST /ack/:token              → acceptAckLink(token, { comment }, deps, now)                   (HTML, acknowledges)
// Links are opened by mail scanners and previewers, so GET never acknowledges; only the page's form POST does.
import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { formatDuration } from '../config/duration.js';
import type { Secret } from '../config/secret.js';
import { formatTime } from '../notifiers/describe.js';
import { escapeHtml, htmlPage } from '../notifiers/html.js';
import type { EscalationStore, IncidentRecord } from '../state/escalation.js';
import { type AckLinkClaims, verifyAckToken } from './ack-link.js';
import type { AckOutcome, Escalation } from './escalation.js';

/** What the ack handlers need. */
export interface AckDeps {
  escalation: Escalation;
  store: EscalationStore;
  /** escalation.yaml `ack.link_secret`; links are refused without it. */
  linkSecret?: Secret;
  /** centinela.yaml `server.write_token`; the API refuses acks without it. */
  writeToken?: Secret;
}

/** An HTTP answer for the route to send as is. */
export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const HTML = { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' };
const JSON_TYPE = { 'content-type': 'application/json; charset=utf-8' };

const ackBody = z.strictObject({
  by: z.string().trim().min(1, { message: 'must name who acknowledges' }).max(200),
  comment: z.string().max(2000).optional(),
});

function json(status: number, value: unknown, headers: Record<string, string> = {}): HttpAnswer {
  return { status, headers: { ...JSON_TYPE, ...headers }, body: JSON.stringify(value) };
}

function apiError(status: number, code: string, message: string, headers?: Record<string, string>): HttpAnswer {
  return json(status, { error: { code, message } }, headers);
}

/** Constant-time comparison of a presented bearer token with the configured one (digests make lengths equal). */
function tokenMatches(presented: string, expected: Secret): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected.reveal()).digest();
  return timingSafeEqual(a, b);
}

function outcomeJson(alertId: string, outcome: AckOutcome): HttpAnswer {
  if (outcome.status === 'unknown') {
    return apiError(404, 'ALERT_UNKNOWN', `alert "${alertId}" is not known. List alerts with GET /api/v1/alerts`);
  }
  const inc = outcome.incident;
  if (outcome.status === 'resolved') {
    return apiError(
      409,
      'ALERT_RESOLVED',
      `alert "${alertId}" resolved at ${formatTime(inc.resolvedAt ?? 0)}; nothing to acknowledge`,
    );
  }
  const ack = inc.ack ?? inc.firstAck;
  return json(200, {
    alert: alertId,
    incident: inc.id,
    status: outcome.status,
    by: ack?.who,
    at: ack ? new Date(ack.at).toISOString() : undefined,
    comment: ack?.comment,
  });
}

/**
 * `POST /api/v1/alerts/{id}/ack` with `Authorization: Bearer <server.write_token>` and a JSON body
 * `{ "by": "ana", "comment": "restarting the api" }`. Answers 200 (acknowledged or already), 400, 401, 403, 404, 409.
 */
export function handleAckRequest(
  req: { alertId: string; authorization?: string; body: unknown },
  deps: AckDeps,
  now: number,
): HttpAnswer {
  if (!deps.writeToken) {
    return apiError(403, 'WRITES_DISABLED', 'acknowledging needs a token: set server.write_token in centinela.yaml');
  }
  const presented = /^Bearer\s+(.+)$/i.exec(req.authorization ?? '')?.[1]?.trim();
  if (!presented || !tokenMatches(presented, deps.writeToken)) {
    return apiError(401, 'UNAUTHORIZED', 'send Authorization: Bearer <server.write_token>', {
      'www-authenticate': 'Bearer realm="centinela"',
    });
  }
  const body = ackBody.safeParse(req.body ?? {});
  if (!body.success) {
    const problems = body.error.issues.map((i) => `${['body', ...i.path].join('.')}: ${i.message}`).join('; ');
    return apiError(400, 'BAD_REQUEST', `${problems}. Send {"by": "name", "comment": "optional"}`);
  }
  const outcome = deps.escalation.ack(req.alertId, { who: body.data.by, comment: body.data.comment, via: 'api' }, now);
  return outcomeJson(req.alertId, outcome);
}

function page(status: number, title: string, body: string): HttpAnswer {
  return {
    status,
    headers: HTML,
    body: htmlPage(title, `<h1 style="font-size: 20px">${escapeHtml(title)}</h1>${body}`),
  };
}

function para(text: string): string {
  return `<p>${escapeHtml(text)}</p>`;
}

/** Checks the token and the incident; an answer when the link cannot be used, else the incident and claims. */
function check(
  token: string,
  deps: AckDeps,
  now: number,
): { answer: HttpAnswer } | { claims: AckLinkClaims; incident: IncidentRecord } {
  if (!deps.linkSecret) {
    return {
      answer: page(503, 'Acknowledgement links are off', 'Set ack.link_secret in escalation.yaml to use them.'),
    };
  }
  const v = verifyAckToken(token, deps.linkSecret, now);
  if (!v.ok) {
    const answers = {
      malformed: page(400, 'This link is damaged', para('The link is incomplete. Copy the whole link from the page.')),
      forged: page(
        403,
        'This link is not valid',
        para('Its signature does not match: it was altered, or signed with another key. Nothing was acknowledged.'),
      ),
      expired: page(
        410,
        'This link has expired',
        para(
          `It expired at ${formatTime(v.claims?.expires ?? 0)}. Acknowledge from a newer page, or POST /api/v1/alerts/{id}/ack.`,
        ),
      ),
    };
    return { answer: answers[v.problem] };
  }
  const incident = deps.store.incident(v.claims.incidentId);
  if (!incident || incident.alertId !== v.claims.alertId) {
    return { answer: page(404, 'Alert not found', para('This alert is not in the state store (was it reset?).')) };
  }
  if (incident.status === 'resolved') {
    return {
      answer: page(
        410,
        'Already resolved',
        para(
          `"${incident.alert.summary}" resolved at ${formatTime(incident.resolvedAt ?? 0)}. Nothing to acknowledge.`,
        ),
      ),
    };
  }
  return { claims: v.claims, incident };
}

function alreadyAcked(incident: IncidentRecord): HttpAnswer | undefined {
  if (!incident.ack) return undefined;
  const { who, at, comment } = incident.ack;
  return page(
    200,
    'Already acknowledged',
    para(
      `"${incident.alert.summary}" was acknowledged by ${who} at ${formatTime(at)}${comment ? `: ${comment}` : '.'}`,
    ),
  );
}

/** GET of a signed link: shows what would be acknowledged and a button that POSTs; changes nothing. */
export function renderAckConfirmation(token: string, deps: AckDeps, now: number): HttpAnswer {
  const c = check(token, deps, now);
  if ('answer' in c) return c.answer;
  const { incident, claims } = c;
  const done = alreadyAcked(incident);
  if (done) return done;
  const a = incident.alert;
  const facts = [
    ['Alert', `[${incident.priority}] ${a.summary}`],
    ['Firing since', `${formatTime(a.activeSince)} (${formatDuration(Math.max(0, now - a.activeSince))})`],
    ['Acknowledging as', claims.contact],
  ];
  const table = facts
    .map(
      ([k, v]) =>
        `<tr><th style="text-align: left; padding-right: 12px">${escapeHtml(k ?? '')}</th><td>${escapeHtml(v ?? '')}</td></tr>`,
    )
    .join('');
  const form = `<form method="post"><label>Comment (optional)<br><textarea name="comment" rows="3" cols="60" maxlength="2000"></textarea></label>
<p><button type="submit" style="font-size: 16px; padding: 8px 16px">Acknowledge</button></p></form>`;
  return page(200, 'Acknowledge this alert?', `<table>${table}</table>${form}`);
}

/** POST of a signed link's form: acknowledges the incident the link names, as the contact it was sent to. */
export function acceptAckLink(token: string, form: { comment?: unknown }, deps: AckDeps, now: number): HttpAnswer {
  const c = check(token, deps, now);
  if ('answer' in c) return c.answer;
  const comment =
    typeof form.comment === 'string' && form.comment.trim() ? form.comment.trim().slice(0, 2000) : undefined;
  const outcome = deps.escalation.ackIncidentById(c.incident.id, { who: c.claims.contact, comment, via: 'link' }, now);
  if (outcome.status !== 'acknowledged') return alreadyAcked(c.incident) ?? page(409, 'Not acknowledged', '');
  return page(
    200,
    'Acknowledged',
    para(`Thank you, ${c.claims.contact}. Reminders and escalation for "${c.incident.alert.summary}" have stopped.`),
  );
}
