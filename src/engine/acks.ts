// Acknowledgement logic for the HTTP layer, framework-free: the API ack and the signed-link pages' two steps.
//
// The server (src/server/api.ts, ack-pages.ts) authenticates, validates and renders; Operations (operations.ts) call
// these and turn a refusal into ApiError(code, message) — `status` is the HTTP status each refusal deserves:
//   Operations.ack(id, input)                 → ackAlert(escalator, id, input, now)
//   Operations.inspectAckLink(token)          → inspectAckLink(token, deps, now)     GET: shows, changes nothing
//                                               (a token of either form: /ack/<long> or /a/<short>)
//   Operations.confirmAckLink(token, comment) → confirmAckLink(token, comment, deps, now)   POST: acknowledges
// Mail scanners and previewers open links, so only the confirmation page's POST acknowledges.

import type { Clock } from '../clock.js';
import type { EscalationFile } from '../config/schema.js';
import type { Secret } from '../config/secret.js';
import { ackLinkUrl, shortAckLinkUrl, verifyAckLink } from '../escalation/ack-token.js';
import type { IncidentRecord } from '../escalation/incident-records.js';
import { localTime, type Reading, t } from '../locale/locale.js';
import type { IncidentStore } from '../store/store.js';
import type { AckInfo } from '../types.js';
import type { AckUrl } from './delivery.js';
import type { AckOutcome, AckVia, Escalator } from './escalator.js';

/** Why an acknowledgement was refused: a stable code, its HTTP status, and a message that says what to do. */
export interface AckRefusal {
  ok: false;
  code:
    | 'ALERT_NOT_FOUND'
    | 'NOT_FIRING'
    | 'ALREADY_ACKED'
    | 'LINK_DISABLED'
    | 'LINK_MALFORMED'
    | 'LINK_FORGED'
    | 'LINK_EXPIRED';
  status: 400 | 403 | 404 | 409 | 410 | 503;
  message: string;
}

/** A successful acknowledgement. */
export interface AckAccepted {
  ok: true;
  incident: IncidentRecord;
  ack: AckInfo;
}

/** What the link pages need. */
export interface AckLinkDeps {
  escalator: Escalator;
  store: IncidentStore;
  /** escalation.yaml `ack.link_secret`; links are refused without it. */
  linkSecret?: Secret;
  /** The language and time zone of refusals, which the person holding the link reads on its page. */
  reading: Reading;
}

function refuse(code: AckRefusal['code'], status: AckRefusal['status'], message: string): AckRefusal {
  return { ok: false, code, status, message };
}

function fromOutcome(id: string, outcome: AckOutcome, { locale, timezone }: Reading): AckAccepted | AckRefusal {
  switch (outcome.status) {
    case 'unknown':
      return refuse('ALERT_NOT_FOUND', 404, t(locale, 'refusal.alertUnknown', { id }));
    case 'resolved': {
      const time = localTime(outcome.incident.resolvedAt ?? 0, timezone);
      return refuse('NOT_FIRING', 409, t(locale, 'refusal.alertResolved', { id, time }));
    }
    case 'already-acknowledged': {
      const ack = outcome.incident.ack as AckInfo;
      const time = localTime(ack.at, timezone);
      return refuse('ALREADY_ACKED', 409, t(locale, 'refusal.alreadyAcked', { id, who: ack.who, time }));
    }
    case 'acknowledged':
      return { ok: true, incident: outcome.incident, ack: outcome.incident.ack as AckInfo };
  }
}

/**
 * Acknowledges the open incident of an alert (API, CLI, the status page's button): reminders and climbing stop. A
 * refusal is written in `reading`, for the person who pressed the button.
 */
export function ackAlert(
  escalator: Escalator,
  alertId: string,
  input: { by: string; comment?: string; via: AckVia },
  now: number,
  reading: Reading,
): AckAccepted | AckRefusal {
  const outcome = escalator.ack(alertId, { who: input.by, comment: input.comment, via: input.via }, now);
  return fromOutcome(alertId, outcome, reading);
}

/** Verifies a link and finds its incident: what the confirmation page shows, or why the link cannot be used. */
export function inspectAckLink(
  token: string,
  deps: AckLinkDeps,
  now: number,
): { ok: true; incident: IncidentRecord; contact: string } | AckRefusal {
  const { locale, timezone } = deps.reading;
  if (!deps.linkSecret) return refuse('LINK_DISABLED', 503, t(locale, 'refusal.linksOff'));
  const v = verifyAckLink(token, deps.linkSecret, now, (id) => deps.store.paged(id));
  if (!v.ok) {
    if (v.problem === 'malformed') return refuse('LINK_MALFORMED', 400, t(locale, 'refusal.linkMalformed'));
    if (v.problem === 'forged') return refuse('LINK_FORGED', 403, t(locale, 'refusal.linkForged'));
    const time = localTime(v.claims?.expires ?? 0, timezone);
    return refuse('LINK_EXPIRED', 410, t(locale, 'refusal.linkExpired', { time }));
  }
  const incident = deps.store.incident(v.claims.incidentId);
  // A short link names no alert, only its incident.
  if (!incident || (v.claims.alertId !== undefined && incident.alertId !== v.claims.alertId)) {
    return refuse(
      'ALERT_NOT_FOUND',
      404,
      v.claims.alertId === undefined
        ? t(locale, 'refusal.incidentMissing', { id: v.claims.incidentId })
        : t(locale, 'refusal.alertMissing', { id: v.claims.alertId }),
    );
  }
  if (incident.status === 'resolved') {
    const time = localTime(incident.resolvedAt ?? 0, timezone);
    return refuse('NOT_FIRING', 410, t(locale, 'refusal.summaryResolved', { summary: incident.alert.summary, time }));
  }
  return { ok: true, incident, contact: v.claims.contact };
}

/** The confirmation page's POST: acknowledges the incident the link names, as the contact it was sent to. */
export function confirmAckLink(
  token: string,
  comment: string | undefined,
  deps: AckLinkDeps,
  now: number,
): AckAccepted | AckRefusal {
  const link = inspectAckLink(token, deps, now);
  if (!link.ok) return link;
  const outcome = deps.escalator.ackIncidentById(
    link.incident.id,
    { who: link.contact, comment: comment?.trim() || undefined, via: 'link' },
    now,
  );
  return fromOutcome(link.incident.alertId, outcome, deps.reading);
}

/**
 * The pages' link maker: a link signed with ack.link_secret under `publicUrl`, in both forms (the short one for SMS),
 * valid for ack.link_ttl from when the page is sent; none when either is unset. Reads both through `current`, so a
 * reload takes effect.
 */
export function signedAckLinks(
  current: () => { ack: EscalationFile['ack']; publicUrl: string | undefined },
  clock: Clock,
): AckUrl {
  return (page) => {
    const { ack, publicUrl } = current();
    if (!ack.link_secret || !publicUrl) return undefined;
    const claims = { ...page, expires: clock.now() + ack.link_ttl };
    return {
      url: ackLinkUrl(publicUrl, claims, ack.link_secret),
      short: shortAckLinkUrl(publicUrl, claims, ack.link_secret),
    };
  };
}
