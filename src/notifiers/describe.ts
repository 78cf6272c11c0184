// What a notification says, in words, once: subject line, per-alert facts, runbook, diagnosis, ack link.
// Every format (email text and HTML, Slack, Teams, Telegram) lays out these same pieces.

import { outranks, type Priority } from '../types.js';
import { formatSeconds, formatTime, formatValue } from '../units.js';
import type { HeldAlert, Notification, NotificationItem } from './notifier.js';

// Labels that name the affected thing, tried in order, for the `— grupo_gad_api` part of a subject.
const TARGET_LABELS = ['container', 'instance', 'service', 'job', 'probe'];

/**
 * `API down — grupo_gad_api`: the summary and the affected thing, when the summary does not name it already. An
 * all-clear reads as what was paged: the summary at the episode's worst.
 */
export function alertTitle(item: NotificationItem): string {
  const { labels } = item.alert;
  const summary = asPaged(item).summary;
  const target = TARGET_LABELS.map((l) => labels[l]).find((v) => v !== undefined && v !== '');
  return target && !summary.includes(target) ? `${summary} — ${target}` : summary;
}

/** The alert as the page to be sent should state it: a resolution states it at its worst, the others as it is now. */
function asPaged(item: NotificationItem): { summary: string; priority: Priority } {
  const { peak } = item.alert;
  return item.kind === 'resolved' && peak ? peak : item.alert;
}

/** `7 min`, `1 h 5 min`: a length of time as people say it, to the second under a minute. */
export function humanDuration(ms: number): string {
  return formatSeconds(Math.round(Math.max(0, ms) / 1000));
}

/** A headline in two parts: the tag (`[P0]`, `[RESOLVED]`, `[TEST]`) and what happened to which alert. */
function itemParts(item: NotificationItem, at: number): { tag: string; text: string } {
  const t = alertTitle(item);
  const p = item.alert.priority;
  const tag = `[${p}]`;
  switch (item.kind) {
    case 'firing':
    case 'delivery-failing':
      return { tag, text: t };
    case 'reminder':
      return { tag, text: `Not acknowledged for ${humanDuration(at - item.openedAt)}: ${t}` };
    case 'escalated':
      return { tag, text: `Escalated to ${item.level}, not acknowledged: ${t}` };
    case 'step':
      // Added to the level that paged first, by its step: what the others were told minutes ago is new to them.
      return {
        tag,
        text: `Not acknowledged${item.stepAfterMs === undefined ? '' : ` after ${humanDuration(item.stepAfterMs)}`}, you are added: ${t}`,
      };
    case 'priority-rose':
      return { tag, text: `Now ${p} (was ${item.previousPriority ?? '?'}): ${t}` };
    case 'reopened':
      return { tag, text: `Re-opened, still firing after the acknowledgement: ${t}` };
    case 'flapping':
      return { tag, text: `Flapping, it keeps firing and resolving: ${t}` };
    case 'flapping-ended':
      return { tag, text: `Stopped flapping, still firing: ${t}` };
    case 'acknowledged':
      return { tag, text: `Acknowledged by ${item.ack?.who ?? '?'}: ${t}` };
    case 'resolved':
      return {
        tag: '[RESOLVED]',
        text: `${t} (lasted ${humanDuration((item.resolvedAt ?? at) - item.alert.activeSince)})`,
      };
    case 'test':
      return { tag: '[TEST]', text: t };
  }
}

function itemHeadline(item: NotificationItem, at: number): string {
  const { tag, text } = itemParts(item, at);
  return `${tag} ${text}`;
}

/** The most urgent priority among the items. */
function topPriority(n: Notification): Priority {
  return n.items.reduce<Priority>((p, i) => (outranks(i.alert.priority, p) ? i.alert.priority : p), 'P3');
}

/**
 * The subject line: `[P0] API down — grupo_gad_api`, or for a group `[P0] 3 alerts: API down — api_0 and 2 more`
 * (tagged with the most urgent priority, or `[RESOLVED]` when every item is a resolution).
 */
export function headline(n: Notification): string {
  const first = n.items[0];
  if (!first) return '[centinela] (empty notification)';
  if (n.items.length === 1) return itemHeadline(first, n.at);
  const parts = n.items.map((i) => itemParts(i, n.at));
  const tag = parts.every((p) => p.tag === parts[0]?.tag) ? (parts[0]?.tag as string) : `[${topPriority(n)}]`;
  return `${tag} ${n.items.length} alerts: ${parts[0]?.text} and ${n.items.length - 1} more`;
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

/**
 * A `centinela notify-test` page: it says it is a test and shows none of an alert's facts (a priority, a response
 * time, a value), so nobody reads it as an incident.
 */
function describeTest(item: NotificationItem, at: number): ItemText {
  const a = item.alert;
  return {
    headline: itemHeadline(item, at),
    facts: [
      ['What', a.description ? `${a.summary}. ${a.description}` : a.summary],
      ['Test', 'this is a test page from centinela notify-test: no alert is firing and nothing needs doing'],
      ['Sent', formatTime(at)],
    ],
    runbook: a.runbook,
    diagnosis: [],
  };
}

/** Facts, runbook and diagnosis of one item, as seen by `contact` at `at`. */
export function describeItem(item: NotificationItem, contact: string, at: number): ItemText {
  if (item.kind === 'test') return describeTest(item, at);
  const a = item.alert;
  const paged = asPaged(item);
  const facts: [string, string][] = [['What', a.description ? `${paged.summary}. ${a.description}` : paged.summary]];
  facts.push(['Priority', `${paged.priority}, response time ${humanDuration(item.responseTimeMs)}`]);
  facts.push(['Since', `${formatTime(a.activeSince)} (${humanDuration(at - a.activeSince)} ago)`]);
  const shown = (v: number) => formatValue(v, a.unit);
  if (item.kind === 'resolved' && a.peak) {
    // The all-clear: how bad it got, and where it is now; a state (up, running) has no "how bad", and the headline
    // already says it is back.
    if (a.unit !== 'state') {
      facts.push(['Worst', `${shown(a.peak.value)} (threshold ${a.op} ${shown(a.peak.threshold)})`]);
      facts.push(['Now', shown(a.value)]);
    }
  } else {
    facts.push(['Value', `${shown(a.value)} (threshold ${a.op} ${shown(a.threshold)})`]);
  }
  const labels = Object.entries(a.labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  if (labels) facts.push(['Labels', labels]);
  const others = item.paged
    .filter((c) => c !== contact)
    .map((c) => (item.phones?.[c] ? `${c} (${item.phones[c]})` : c));
  facts.push(['Also paged', others.length ? others.join(', ') : 'nobody else']);
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
      `${formatTime(item.resolvedAt)}, lasted ${humanDuration(item.resolvedAt - a.activeSince)}`,
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
    let lines = [d.headline, '', ...d.facts.map(([k, v]) => `${k}: ${v}`)];
    if (d.runbook.length) lines = [...lines, '', 'Runbook:', ...d.runbook.map((s, i) => `  ${i + 1}. ${s}`)];
    for (const diag of d.diagnosis)
      lines = [...lines, '', `Diagnosis (${diag.probe}):`, ...diag.detail.split('\n').map((l) => `  ${l}`)];
    if (d.ackUrl) lines.push('', `Acknowledge: ${d.ackUrl}`);
    parts.push(lines.join('\n'));
  }
  return `${parts.join('\n\n----\n\n')}\n`;
}
