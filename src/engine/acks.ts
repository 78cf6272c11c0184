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
import type { IncidentStore } from '../store/store.js';
import type { AckInfo } from '../types.js';
import { formatTime } from '../units.js';
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
}

function refuse(code: AckRefusal['code'], status: AckRefusal['status'], message: string): AckRefusal {
  return { ok: false, code, status, message };
}

function fromOutcome(what: string, outcome: AckOutcome): AckAccepted | AckRefusal {
  switch (outcome.status) {
    case 'unknown':
      return refuse('ALERT_NOT_FOUND', 404, `${what} is not known. List alerts with GET /api/v1/alerts`);
    case 'resolved':
      return refuse(
        'NOT_FIRING',
        409,
        `${what} resolved at ${formatTime(outcome.incident.resolvedAt ?? 0)}; there is nothing to acknowledge`,
      );
    case 'already-acknowledged': {
      const ack = outcome.incident.ack as AckInfo;
      return refuse('ALREADY_ACKED', 409, `${what} was already acknowledged by ${ack.who} at ${formatTime(ack.at)}`);
    }
    case 'acknowledged':
      return { ok: true, incident: outcome.incident, ack: outcome.incident.ack as AckInfo };
  }
}

/** Acknowledges the open incident of an alert (API, CLI): reminders and climbing stop. */
export function ackAlert(
  escalator: Escalator,
  alertId: string,
  input: { by: string; comment?: string; via: AckVia },
  now: number,
): AckAccepted | AckRefusal {
  const outcome = escalator.ack(alertId, { who: input.by, comment: input.comment, via: input.via }, now);
  return fromOutcome(`alert "${alertId}"`, outcome);
}

/** Verifies a link and finds its incident: what the confirmation page shows, or why the link cannot be used. */
export function inspectAckLink(
  token: string,
  deps: AckLinkDeps,
  now: number,
): { ok: true; incident: IncidentRecord; contact: string } | AckRefusal {
  if (!deps.linkSecret) {
    return refuse('LINK_DISABLED', 503, 'acknowledgement links are off: set ack.link_secret in escalation.yaml');
  }
  const v = verifyAckLink(token, deps.linkSecret, now, (id) => deps.store.paged(id));
  if (!v.ok) {
    if (v.problem === 'malformed') {
      return refuse('LINK_MALFORMED', 400, 'the link is incomplete or damaged: copy the whole link from the page');
    }
    if (v.problem === 'forged') {
      return refuse(
        'LINK_FORGED',
        403,
        'the link is not valid: its signature does not match. Nothing was acknowledged',
      );
    }
    return refuse(
      'LINK_EXPIRED',
      410,
      `the link expired at ${formatTime(v.claims?.expires ?? 0)}: use the link in a newer page, or the API`,
    );
  }
  const incident = deps.store.incident(v.claims.incidentId);
  // A short link names no alert, only its incident.
  if (!incident || (v.claims.alertId !== undefined && incident.alertId !== v.claims.alertId)) {
    const what = v.claims.alertId === undefined ? `incident ${v.claims.incidentId}` : `alert "${v.claims.alertId}"`;
    return refuse('ALERT_NOT_FOUND', 404, `${what} is not in the state store`);
  }
  if (incident.status === 'resolved') {
    return refuse(
      'NOT_FIRING',
      410,
      `"${incident.alert.summary}" resolved at ${formatTime(incident.resolvedAt ?? 0)}; there is nothing to acknowledge`,
    );
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
  return fromOutcome(`alert "${link.incident.alertId}"`, outcome);
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
