// DeliveryFailing: centinela's own alert when notifications keep failing, for two reasons. A contact's channel has
// failed for fallback_after (or finally): the P2 level's contacts (DevOps in the runbook) are paged over a channel
// other than the broken one. An alert's pages have reached nobody, on any channel, for fallback_after (or every one
// gave up): the P2 level's contacts are paged once, at the alert's priority, over a channel none of those pages failed
// on — or, when none of them has one, every other contact of the levels that has. Either way the failure is heard.
import type { EscalationFile } from '../config/schema.js';
import type { IncidentRecord } from '../escalation/incident-records.js';
import { levelFor } from '../escalation/policy.js';
import { type Locale, t } from '../locale/locale.js';
import { humanDuration } from '../notifiers/describe.js';
import { type NotificationItem, PAGE_KINDS } from '../notifiers/notifier.js';
import type { NewOutboxRow, OutboxRow } from '../store/store.js';
import type { Alert } from '../types.js';

type FailingConfig = Pick<EscalationFile, 'levels' | 'contacts' | 'delivery'>;

/** DeliveryFailing's pages, and the contacts it should page that have no channel left to do it. */
export interface FailingPages {
  pages: NewOutboxRow[];
  unreachable: string[];
}

/** What failed: over which channel, why, since when. */
export interface Failure {
  channel: string | null;
  reason: string;
  since: number;
  now: number;
}

/**
 * The outbox rows that page the P2 level's contacts about `rows` failing, each over the contact's first channel that
 * is not the broken one, and the contacts that have no such channel; worded in `locale`.
 */
export function deliveryFailingPages(
  rows: readonly OutboxRow[],
  { channel, reason, since, now }: Failure,
  config: FailingConfig,
  locale: Locale,
): FailingPages {
  const first = rows[0] as OutboxRow;
  const { levels, delivery } = config;
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
    summary: t(locale, 'delivery.channelFailing', {
      contact: first.contact,
      channel: channel ?? t(locale, 'delivery.noChannel'),
    }),
    description: reason,
    runbook: [
      notifyTest(locale, first.contact, channel),
      t(locale, 'delivery.fixChannel'),
      t(locale, 'delivery.waiting', { count: rows.length }),
    ],
    diagnosis: [{ probe: 'outbox', detail: reason }],
    groupKey: 'DeliveryFailing',
    activeSince: since,
    flapping: false,
    suppressedBy: [],
    inhibits: [],
  };
  return pagesTo(devops, (c) => c !== channel, alert, `delivery-failing:${first.id}`, now, config);
}

/**
 * The DeliveryFailing pages for an incident whose pages (`rows`: the incident's outbox rows) have reached nobody,
 * each tried and failed on its channel, for `fallback_after` since the first was written or for good (every one gave
 * up); undefined while that is not so. Keyed per incident and contact, so writing them again changes nothing: raised
 * once. Worded in `locale`.
 */
export function unreachedPages(
  incident: IncidentRecord,
  rows: readonly OutboxRow[],
  now: number,
  config: FailingConfig,
  locale: Locale,
): FailingPages | undefined {
  const { levels, contacts } = config;
  const pages = rows.filter((r) => PAGE_KINDS.includes(r.kind) && r.state !== 'superseded');
  if (pages.length === 0 || pages.some((r) => r.state === 'delivered')) return undefined;
  // A row not yet tried on its channel (new, in flight, or just moved on to its next one) may still reach someone.
  const tried = (r: OutboxRow) =>
    r.state === 'failed' || (r.state === 'pending' && r.channel === contacts[r.contact]?.channels[r.channelIndex]);
  if (!pages.every(tried)) return undefined;
  const since = pages.reduce((t, r) => Math.min(t, r.createdAt), Number.POSITIVE_INFINITY);
  const givenUp = pages.every((r) => r.state === 'failed');
  if (!givenUp && now - since < config.delivery.fallback_after) return undefined;
  // Channels the pages failed on: those a row moved on from, and the one of its last failed attempt.
  const failed = new Set<string>();
  for (const r of pages) {
    for (const c of contacts[r.contact]?.channels.slice(0, r.channelIndex) ?? []) failed.add(c);
    if (r.channel && r.lastError) failed.add(r.channel);
  }
  const a = incident.alert;
  const paged = [...new Set(pages.map((r) => r.contact))];
  const alert: Alert = {
    id: `centinela:delivery-failing:unreached:${incident.id}`,
    alertname: 'DeliveryFailing',
    labels: { alertname: 'DeliveryFailing', alert: a.alertname },
    priority: incident.priority,
    value: Math.round((now - since) / 1000),
    op: '>=',
    threshold: Math.round(config.delivery.fallback_after / 1000),
    summary: t(locale, 'delivery.unreached', {
      alert: a.alertname,
      priority: incident.priority,
      how: givenUp
        ? t(locale, 'delivery.forGood')
        : t(locale, 'delivery.forDuration', { duration: humanDuration(now - since) }),
    }),
    description: `${t(locale, givenUp ? 'delivery.unreachedGivenUp' : 'delivery.unreachedDescription', {
      summary: a.summary,
      contacts: paged.join(', '),
      channels: [...failed].join(', ') || t(locale, 'delivery.everyChannel'),
    })}.`,
    runbook: [
      t(locale, 'delivery.handleYourself', {
        alert: a.alertname,
        api: `GET /api/v1/alerts/${encodeURIComponent(a.id)}`,
      }),
      ...paged.map((c) => notifyTest(locale, c, null)),
      t(locale, 'delivery.fixChannels'),
    ],
    diagnosis: pages.map((r) => ({
      probe: 'outbox',
      detail: t(locale, 'delivery.over', { contact: r.contact, channel: r.channel ?? '', error: r.lastError ?? '' }),
    })),
    groupKey: 'DeliveryFailing',
    activeSince: since,
    flapping: false,
    suppressedBy: [],
    inhibits: [],
  };
  const works = (c: string) => !failed.has(c);
  const key = `delivery-failing:unreached:${incident.id}`;
  const level = levelFor(levels, 'P2');
  const devops = level ? (levels[level]?.contacts ?? []) : [];
  const first = pagesTo(devops, works, alert, key, now, config);
  if (first.pages.length > 0) return first;
  // No P2 contact has a working channel: anyone else who is on a level and has one hears it instead.
  const others = [
    ...new Set(Object.values(levels).flatMap((l) => [...l.contacts, ...l.steps.flatMap((s) => s.contacts)])),
  ].filter((c) => !devops.includes(c));
  const instead = pagesTo(others, works, alert, key, now, config);
  return { pages: instead.pages, unreachable: instead.pages.length > 0 ? [] : first.unreachable };
}

/**
 * One DeliveryFailing page to each of `names` over their first channel that `usable` accepts (keyed
 * `<keyPrefix>:<contact>`), and the names with no such channel.
 */
function pagesTo(
  names: readonly string[],
  usable: (channel: string) => boolean,
  alert: Alert,
  keyPrefix: string,
  now: number,
  { levels, contacts, delivery }: FailingConfig,
): FailingPages {
  const level = levelFor(levels, alert.priority);
  const pages: NewOutboxRow[] = [];
  const unreachable: string[] = [];
  for (const name of names) {
    const index = contacts[name]?.channels.findIndex(usable) ?? -1;
    if (index < 0) {
      unreachable.push(name);
      continue;
    }
    const key = `${keyPrefix}:${name}`;
    const item: NotificationItem = {
      key,
      kind: 'delivery-failing',
      alert,
      incidentId: 0,
      level: 'P2',
      responseTimeMs: level ? (levels[level]?.ack_within ?? 0) : 0,
      openedAt: now,
      paged: [...names],
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

/** The step that tests a contact's channel: the command, as the person runs it. */
function notifyTest(locale: Locale, contact: string, channel: string | null): string {
  return t(locale, 'delivery.runNotifyTest', {
    command: `centinela notify-test --contact ${contact}${channel ? ` --channel ${channel}` : ''}`,
  });
}
