// DeliveryFailing: centinela's own alert when notifications to a contact keep failing. It pages the P2 level's
// contacts (DevOps in the runbook) over a channel other than the broken one, so the failure is heard at all.
import type { EscalationFile } from '../config/schema.js';
import { levelFor } from '../escalation/policy.js';
import type { NotificationItem } from '../notifiers/notifier.js';
import type { NewOutboxRow, OutboxRow } from '../store/store.js';
import type { Alert } from '../types.js';

/** What failed: over which channel, why, since when. */
export interface Failure {
  channel: string | null;
  reason: string;
  since: number;
  now: number;
}

/**
 * The outbox rows that page the P2 level's contacts about `rows` failing, each over the contact's first channel that
 * is not the broken one, and the contacts that have no such channel.
 */
export function deliveryFailingPages(
  rows: readonly OutboxRow[],
  { channel, reason, since, now }: Failure,
  config: Pick<EscalationFile, 'levels' | 'contacts' | 'delivery'>,
): { pages: NewOutboxRow[]; unreachable: string[] } {
  const first = rows[0] as OutboxRow;
  const { levels, contacts, delivery } = config;
  const level = levelFor(levels, 'P2');
  const devops = level ? (levels[level]?.contacts ?? []) : [];
  const alert: Alert = {
    id: `centinela:delivery-failing:${channel ?? first.contact}`,
    alertname: 'DeliveryFailing',
    labels: { alertname: 'DeliveryFailing', channel: channel ?? '', contact: first.contact },
    priority: 'P2',
    value: Math.round((now - since) / 1000),
    op: '>=',
    threshold: Math.round(delivery.fallback_after / 1000),
    summary: `Notifications to ${first.contact} over channel "${channel ?? '(none)'}" are failing`,
    description: reason,
    runbook: [
      `Run: centinela notify-test --contact ${first.contact}${channel ? ` --channel ${channel}` : ''}`,
      'Fix the channel in escalation.yaml or the receiving service (password, URL, token, quota)',
      `${rows.length} notification(s) are waiting; they move to the contact's next channel when there is one`,
    ],
    diagnosis: [{ probe: 'outbox', detail: reason }],
    groupKey: 'DeliveryFailing',
    activeSince: since,
    flapping: false,
    suppressedBy: [],
    inhibits: [],
  };
  const pages: NewOutboxRow[] = [];
  const unreachable: string[] = [];
  for (const name of devops) {
    const index = contacts[name]?.channels.findIndex((c) => c !== channel) ?? -1;
    if (index < 0) {
      unreachable.push(name);
      continue;
    }
    const key = `delivery-failing:${first.id}:${name}`;
    const item: NotificationItem = {
      key,
      kind: 'delivery-failing',
      alert,
      incidentId: 0,
      level: 'P2',
      responseTimeMs: level ? (levels[level]?.ack_within ?? 0) : 0,
      openedAt: now,
      paged: devops,
    };
    pages.push({
      key,
      incidentId: null,
      kind: 'delivery-failing',
      contact: name,
      channelIndex: index,
      groupKey: 'DeliveryFailing',
      item,
      createdAt: now,
      groupWait: delivery.group_wait,
    });
  }
  return { pages, unreachable };
}
