// PagerDuty Events API v2: one event per alert — trigger, acknowledge or resolve — with dedup_key = the alert id
// scoped to the installation, so reminders and redeliveries fold into one PagerDuty incident and its ack/resolve
// close the right one, and another installation paging the same service keeps its own incidents.
import { Secret } from '../../config/secret.js';
import { t } from '../../locale/locale.js';
import type { Priority } from '../../types.js';
import { alertTitle } from '../describe.js';
import { installationKey, type Notification, type NotificationItem } from '../notifier.js';
import { defineFormat, type FormatConfig } from './format.js';
import { type HttpRequest, jsonPost } from './request.js';

const SEVERITY: Record<Priority, string> = { P0: 'critical', P1: 'error', P2: 'warning', P3: 'info' };

function action(item: NotificationItem): 'trigger' | 'acknowledge' | 'resolve' {
  if (item.kind === 'resolved') return 'resolve';
  if (item.kind === 'acknowledged') return 'acknowledge';
  return 'trigger';
}

/**
 * The key PagerDuty folds events into one incident by: the alert within this installation (another one paging the same
 * service opens its own incidents), or the test page's own.
 */
function dedupKey(n: Notification, item: NotificationItem): string {
  return item.kind === 'test' ? `centinela-test-${n.id}` : installationKey(n, item.alert.id);
}

/** The incident's links: acknowledge in centinela (signed, for this contact) and its timeline; absent when neither is set. */
function links(item: NotificationItem, n: Notification): { links?: { href: string; text: string }[] } {
  const lang = n.reading.locale;
  const out = [
    ...(item.ackUrl ? [{ href: item.ackUrl, text: t(lang, 'page.acknowledgeInCentinela') }] : []),
    ...(item.timelineUrl ? [{ href: item.timelineUrl, text: t(lang, 'page.timeline') }] : []),
  ];
  return out.length ? { links: out } : {};
}

/** The Events API v2 POSTs of a notification, one per item; a test page triggers and resolves its own dedup_key. */
function render(n: Notification, cfg: FormatConfig<'pagerduty'>): HttpRequest[] {
  // The events URL holds no token (the routing key travels in the body), but every request's URL is a Secret.
  const url = new Secret(cfg.url);
  return n.items.flatMap((item) => {
    const a = item.alert;
    const dedup_key = dedupKey(n, item);
    const routing_key = cfg.routing_key.reveal();
    const event_action = action(item);
    const trigger = {
      routing_key,
      event_action,
      dedup_key,
      ...(event_action === 'trigger'
        ? {
            payload: {
              summary: `[${a.priority}] ${alertTitle(item)}`.slice(0, 1024),
              source: a.labels.instance ?? a.labels.container ?? 'centinela',
              severity: SEVERITY[a.priority],
              timestamp: new Date(a.activeSince).toISOString(),
              component: a.labels.container ?? a.labels.service,
              group: a.groupKey,
              class: a.alertname,
              custom_details: {
                value: a.value,
                threshold: `${a.op} ${a.threshold}`,
                labels: a.labels,
                runbook: a.runbook,
                diagnosis: a.diagnosis,
                paged: item.paged,
                incident: item.incidentId,
              },
            },
            ...links(item, n),
          }
        : {}),
    };
    const out = [jsonPost(url, trigger)];
    if (item.kind === 'test') out.push(jsonPost(url, { routing_key, event_action: 'resolve', dedup_key }));
    return out;
  });
}

/**
 * PagerDuty: events to `url` (the Events API v2 by default). PagerDuty keeps its incident open until told, so a
 * PagerDuty channel hears the ack and the resolution of every incident it delivered something of.
 */
export default defineFormat({
  format: 'pagerduty',
  render,
  endpoint: (cfg) => cfg.url,
  hearsIncidentUpdates: true,
});
