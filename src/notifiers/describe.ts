// What a notification says, in words, once: subject line, per-alert facts, runbook, diagnosis, ack link.
// Every format (email text and HTML, Slack, Teams, Telegram) lays out these same pieces.
import { formatDuration } from '../config/duration.js';
import { outranks, type Priority } from '../types.js';
import type { HeldAlert, Notification, NotificationItem } from './notifier.js';

/** `2026-01-01 10:00 UTC`: the instant as people read it in a page. */
export function formatTime(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/:\d\d\.\d+Z$/, ' UTC');
}

// Labels that name the affected thing, tried in order, for the `— grupo_gad_api` part of a subject.
const TARGET_LABELS = ['container', 'instance', 'service', 'job', 'probe'];

/** `API down — grupo_gad_api`: the summary and the affected thing, when the summary does not name it already. */
export function alertTitle(item: NotificationItem): string {
  const { summary, labels } = item.alert;
  const target = TARGET_LABELS.map((l) => labels[l]).find((v) => v !== undefined && v !== '');
  return target && !summary.includes(target) ? `${summary} — ${target}` : summary;
}

function itemHeadline(item: NotificationItem, at: number): string {
  const t = alertTitle(item);
  const p = item.alert.priority;
  switch (item.kind) {
    case 'firing':
      return `[${p}] ${t}`;
    case 'reminder':
      return `[${p}] Not acknowledged for ${formatDuration(Math.max(0, at - item.openedAt))}: ${t}`;
    case 'escalated':
      return `[${p}] Escalated to ${item.level}, not acknowledged: ${t}`;
    case 'priority-rose':
      return `[${p}] Now ${p} (was ${item.previousPriority ?? '?'}): ${t}`;
    case 'reopened':
      return `[${p}] Re-opened, still firing after the acknowledgement: ${t}`;
    case 'flapping':
      return `[${p}] Flapping, it keeps firing and resolving: ${t}`;
    case 'flapping-ended':
      return `[${p}] Stopped flapping, still firing: ${t}`;
    case 'acknowledged':
      return `[${p}] Acknowledged by ${item.ack?.who ?? '?'}: ${t}`;
    case 'resolved':
      return `[RESOLVED] ${t} (lasted ${formatDuration(Math.max(0, (item.resolvedAt ?? at) - item.alert.activeSince))})`;
    case 'delivery-failing':
      return `[${p}] ${t}`;
    case 'test':
      return `[TEST] ${t}`;
  }
}

/** The most urgent priority among the items. */
export function topPriority(n: Notification): Priority {
  return n.items.reduce<Priority>((p, i) => (outranks(i.alert.priority, p) ? i.alert.priority : p), 'P3');
}

/** The subject line: `[P0] API down — grupo_gad_api`, or `[P0] 3 alerts: … and 2 more` for a group. */
export function headline(n: Notification): string {
  const first = n.items[0];
  if (!first) return '[centinela] (empty notification)';
  if (n.items.length === 1) return itemHeadline(first, n.at);
  return `[${topPriority(n)}] ${n.items.length} alerts: ${itemHeadline(first, n.at)} and ${n.items.length - 1} more`;
}

/** The words of one item, for any layout. */
export interface ItemText {
  headline: string;
  facts: [string, string][];
  runbook: string[];
  diagnosis: { probe: string; detail: string }[];
  ackUrl?: string;
}

// A source holding back a whole service's alerts names this many, then counts the rest.
const MAX_HELD = 20;

/** `ApiLatencyHigh{route=/api/v1/tasks}`: a held alert as people know it (its id only when nothing else is known). */
function heldName(h: HeldAlert): string {
  if (h.alertname === undefined) return `alert ${h.id}`;
  const labels = Object.entries(h.labels ?? {})
    .filter(([k]) => k !== 'alertname')
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  return labels ? `${h.alertname}{${labels}}` : h.alertname;
}

/** The "Holding back" fact: the held alerts by name and labels. */
function heldList(held: HeldAlert[]): string {
  const names = held.slice(0, MAX_HELD).map(heldName);
  if (held.length > MAX_HELD) names.push(`and ${held.length - MAX_HELD} more`);
  return names.join(', ');
}

function num(v: number): string {
  return Number.isFinite(v) ? String(Number(v.toPrecision(6))) : String(v);
}

/** Facts, runbook and diagnosis of one item, as seen by `contact` at `at`. */
export function describeItem(item: NotificationItem, contact: string, at: number): ItemText {
  const a = item.alert;
  const facts: [string, string][] = [['What', a.description ? `${a.summary}. ${a.description}` : a.summary]];
  facts.push(['Priority', `${a.priority}, response time ${formatDuration(item.responseTimeMs)}`]);
  facts.push(['Since', `${formatTime(a.activeSince)} (${formatDuration(Math.max(0, at - a.activeSince))} ago)`]);
  if (item.kind !== 'test') facts.push(['Value', `${num(a.value)} (threshold ${a.op} ${num(a.threshold)})`]);
  const labels = Object.entries(a.labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  if (labels) facts.push(['Labels', labels]);
  const others = item.paged
    .filter((c) => c !== contact)
    .map((c) => (item.phones?.[c] ? `${c} (${item.phones[c]})` : c));
  if (item.kind !== 'test') facts.push(['Also paged', others.length ? others.join(', ') : 'nobody else']);
  if (item.ack) {
    facts.push([
      'Acknowledged',
      `by ${item.ack.who} at ${formatTime(item.ack.at)}${item.ack.comment ? `: ${item.ack.comment}` : ''}`,
    ]);
  } else if (item.kind === 'resolved') {
    facts.push(['Acknowledged', 'by nobody']);
  }
  if (item.resolvedAt !== undefined) {
    facts.push([
      'Resolved',
      `${formatTime(item.resolvedAt)}, lasted ${formatDuration(Math.max(0, item.resolvedAt - a.activeSince))}`,
    ]);
  }
  if (a.flapping) facts.push(['Flapping', 'yes: it keeps changing state']);
  // Rows written before `holding` existed carry only the ids.
  const held = item.holding ?? a.inhibits.map((id) => ({ id }));
  if (held.length) facts.push(['Holding back', heldList(held)]);
  facts.push(['Alert', item.incidentId ? `${a.id} (incident ${item.incidentId})` : a.id]);
  const showSteps = item.kind !== 'resolved' && item.kind !== 'acknowledged';
  return {
    headline: itemHeadline(item, at),
    facts,
    runbook: showSteps ? a.runbook : [],
    diagnosis: showSteps ? a.diagnosis : [],
    ackUrl: showSteps && !item.ack ? item.ackUrl : undefined,
  };
}

/** The plain-text body: every item's facts, runbook steps, diagnosis and ack link. */
export function textBody(n: Notification): string {
  const parts: string[] = [];
  for (const item of n.items) {
    const d = describeItem(item, n.contact.id, n.at);
    const lines = [d.headline, '', ...d.facts.map(([k, v]) => `${k}: ${v}`)];
    if (d.runbook.length) lines.push('', 'Runbook:', ...d.runbook.map((s, i) => `  ${i + 1}. ${s}`));
    for (const diag of d.diagnosis)
      lines.push('', `Diagnosis (${diag.probe}):`, ...diag.detail.split('\n').map((l) => `  ${l}`));
    if (d.ackUrl) lines.push('', `Acknowledge: ${d.ackUrl}`);
    parts.push(lines.join('\n'));
  }
  return `${parts.join('\n\n----\n\n')}\n`;
}
