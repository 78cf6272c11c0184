// The generic webhook: a documented, versioned JSON schema (`centinela.alert.v1`, docs/notifications.md), signed.
//
// The body is HMAC-SHA256'd with `signing_secret` into `X-Centinela-Signature: sha256=<hex>`, so a receiver can
// check it came from centinela; `Idempotency-Key` lets it drop a redelivery after a crash mid-send.
import { createHmac } from 'node:crypto';
import type { Secret } from '../../config/secret.js';
import { formatDuration } from '../../duration.js';
import { installationKey, type Notification, type NotificationItem } from '../notifier.js';
import { defineFormat, type FormatConfig } from './format.js';
import { type HttpRequest, jsonPost } from './request.js';

/** The schema name and version carried in every body and in `X-Centinela-Schema`. */
export const GENERIC_SCHEMA = 'centinela.alert.v1';

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

function notificationJson(n: Notification, item: NotificationItem) {
  const a = item.alert;
  return {
    key: installationKey(n, item.key),
    event: item.kind,
    alert: {
      id: a.id,
      name: a.alertname,
      labels: a.labels,
      priority: a.priority,
      summary: a.summary,
      description: a.description ?? null,
      value: a.value,
      op: a.op,
      threshold: a.threshold,
      unit: a.unit ?? null,
      activeSince: iso(a.activeSince),
      flapping: a.flapping,
      groupKey: a.groupKey,
      runbook: a.runbook,
      diagnosis: a.diagnosis,
      inhibits: a.inhibits,
      peak: a.peak ?? null,
    },
    incident: {
      id: item.incidentId,
      level: item.level,
      previousPriority: item.previousPriority ?? null,
      responseTime: formatDuration(item.responseTimeMs),
      responseTimeMs: item.responseTimeMs,
      openedAt: iso(item.openedAt),
      paged: item.paged,
      acknowledged: item.ack ? { by: item.ack.who, at: iso(item.ack.at), comment: item.ack.comment ?? null } : null,
      resolvedAt: iso(item.resolvedAt),
      durationMs: item.resolvedAt === undefined ? null : item.resolvedAt - a.activeSince,
    },
    holding: (item.holding ?? []).map((h) => ({
      id: h.id,
      name: h.alertname ?? null,
      labels: h.labels ?? null,
      summary: h.summary ?? null,
    })),
    ackUrl: item.ackUrl ?? null,
    timelineUrl: item.timelineUrl ?? null,
  };
}

/** The `centinela.alert.v1` body of a notification. */
export function genericBody(n: Notification) {
  return {
    schema: GENERIC_SCHEMA,
    id: n.id,
    sentAt: new Date(n.at).toISOString(),
    contact: n.contact.id,
    test: n.items.some((i) => i.kind === 'test'),
    notifications: n.items.map((item) => notificationJson(n, item)),
  };
}

/** `sha256=<hex>` of the exact body bytes. */
export function signBody(body: string, key: Secret): string {
  return `sha256=${createHmac('sha256', key.reveal()).update(body).digest('hex')}`;
}

/** The `centinela.alert.v1` POST of a notification, signed when a signing secret is set. */
function render(n: Notification, cfg: FormatConfig<'generic'>): HttpRequest[] {
  const req = jsonPost(cfg.url, genericBody(n), {
    ...cfg.headers,
    'x-centinela-schema': GENERIC_SCHEMA,
    'idempotency-key': n.id,
  });
  if (cfg.signing_secret) req.headers['x-centinela-signature'] = signBody(req.body, cfg.signing_secret);
  return [req];
}

/** The generic format: the documented `centinela.alert.v1` JSON, posted to the configured URL. */
export default defineFormat({ format: 'generic', render, endpoint: (cfg) => cfg.url.reveal() });
