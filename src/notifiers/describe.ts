// What a notification says, in words, once: subject line, per-alert facts, runbook, diagnosis, ack link.
// Every format (email text and HTML, Slack, Teams, Telegram) lays out these same pieces.

import { type Locale, localTime, t } from '../locale/locale.js';
import { outranks, type Priority } from '../types.js';
import { formatSeconds, formatValue } from '../units.js';
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

/**
 * A headline in two parts: the tag (`[P0]`, `[RESOLVED]` or `[RESUELTA]`, `[TEST]`) and what happened to which alert,
 * in `lang`.
 */
function itemParts(item: NotificationItem, at: number, lang: Locale): { tag: string; text: string } {
  const title = alertTitle(item);
  const p = item.alert.priority;
  const tag = `[${p}]`;
  switch (item.kind) {
    case 'firing':
    case 'delivery-failing':
      return { tag, text: title };
    case 'reminder':
      return { tag, text: t(lang, 'headline.reminder', { duration: humanDuration(at - item.openedAt), title }) };
    case 'escalated':
      return { tag, text: t(lang, 'headline.escalated', { level: item.level, title }) };
    case 'step':
      // Added to the level that paged first, by its step: what the others were told minutes ago is new to them.
      return {
        tag,
        text:
          item.stepAfterMs === undefined
            ? t(lang, 'headline.step', { title })
            : t(lang, 'headline.stepAfter', { duration: humanDuration(item.stepAfterMs), title }),
      };
    case 'priority-rose':
      return {
        tag,
        text: t(lang, 'headline.priorityRose', { priority: p, previous: item.previousPriority ?? '?', title }),
      };
    case 'reopened':
      return { tag, text: t(lang, 'headline.reopened', { title }) };
    case 'flapping':
      return { tag, text: t(lang, 'headline.flapping', { title }) };
    case 'flapping-ended':
      return { tag, text: t(lang, 'headline.flappingEnded', { title }) };
    case 'acknowledged':
      return { tag, text: t(lang, 'headline.acknowledged', { who: item.ack?.who ?? '?', title }) };
    case 'resolved':
      return {
        tag: `[${t(lang, 'tag.resolved')}]`,
        text: t(lang, 'headline.resolved', {
          title,
          duration: humanDuration((item.resolvedAt ?? at) - item.alert.activeSince),
        }),
      };
    case 'test':
      return { tag: `[${t(lang, 'tag.test')}]`, text: title };
  }
}

function itemHeadline(item: NotificationItem, at: number, lang: Locale): string {
  const { tag, text } = itemParts(item, at, lang);
  return `${tag} ${text}`;
}

/** The most urgent priority among the items. */
function topPriority(n: Notification): Priority {
  return n.items.reduce<Priority>((p, i) => (outranks(i.alert.priority, p) ? i.alert.priority : p), 'P3');
}

/**
 * The subject line: `[P0] API down — grupo_gad_api`, or for a group `[P0] 3 alerts: API down — api_0 and 2 more`
 * (tagged with the most urgent priority, or `[RESOLVED]` when every item is a resolution), in the reading's language.
 */
export function headline(n: Notification): string {
  const lang = n.reading.locale;
  const first = n.items[0];
  if (!first) return `[centinela] ${t(lang, 'headline.empty')}`;
  if (n.items.length === 1) return itemHeadline(first, n.at, lang);
  const parts = n.items.map((i) => itemParts(i, n.at, lang));
  const tag = parts.every((p) => p.tag === parts[0]?.tag) ? (parts[0]?.tag as string) : `[${topPriority(n)}]`;
  const text = t(lang, 'headline.group', {
    count: n.items.length,
    first: parts[0]?.text ?? '',
    rest: n.items.length - 1,
  });
  return `${tag} ${text}`;
}

/** The words of one item, for any layout. */
export interface ItemText {
  headline: string;
  facts: [string, string][];
  runbook: string[];
  diagnosis: { probe: string; detail: string }[];
  ackUrl?: string;
  /** The alert's timeline page, on every kind of item (the all-clear too). */
  timelineUrl?: string;
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
function heldList(held: HeldAlert[], lang: Locale): string {
  const names = held.slice(0, MAX_HELD).map(heldName);
  if (held.length > MAX_HELD) names.push(t(lang, 'fact.holdingMore', { count: held.length - MAX_HELD }));
  return names.join(', ');
}

/**
 * A `centinela notify-test` page: it says it is a test and shows none of an alert's facts (a priority, a response
 * time, a value), so nobody reads it as an incident.
 */
function describeTest(item: NotificationItem, n: Notification): ItemText {
  const a = item.alert;
  const { locale: lang, timezone } = n.reading;
  return {
    headline: itemHeadline(item, n.at, lang),
    facts: [
      [t(lang, 'fact.what'), a.description ? `${a.summary}. ${a.description}` : a.summary],
      [t(lang, 'fact.test'), t(lang, 'fact.testValue')],
      [t(lang, 'fact.sent'), localTime(n.at, timezone)],
    ],
    runbook: a.runbook,
    diagnosis: [],
  };
}

/**
 * Facts, runbook and diagnosis of one item of `n`, as its contact reads them: in their language, times in their zone,
 * the priority with what its level means to them.
 */
export function describeItem(item: NotificationItem, n: Notification): ItemText {
  if (item.kind === 'test') return describeTest(item, n);
  const { at } = n;
  const { locale: lang, timezone } = n.reading;
  const when = (ms: number) => localTime(ms, timezone);
  const a = item.alert;
  const paged = asPaged(item);
  const facts: [string, string][] = [
    [t(lang, 'fact.what'), a.description ? `${paged.summary}. ${a.description}` : paged.summary],
  ];
  const level = n.levelDescriptions?.[paged.priority];
  const duration = humanDuration(item.responseTimeMs);
  facts.push([
    t(lang, 'fact.priority'),
    level
      ? t(lang, 'fact.priorityLevelValue', { priority: paged.priority, level, duration })
      : t(lang, 'fact.priorityValue', { priority: paged.priority, duration }),
  ]);
  facts.push([
    t(lang, 'fact.since'),
    t(lang, 'fact.sinceValue', { time: when(a.activeSince), duration: humanDuration(at - a.activeSince) }),
  ]);
  const shown = (v: number) => formatValue(v, a.unit, lang);
  const versus = (value: number, threshold: number) =>
    t(lang, 'fact.valueThreshold', { value: shown(value), op: a.op, threshold: shown(threshold) });
  if (item.kind === 'resolved' && a.peak) {
    // The all-clear: how bad it got, and where it is now; a state (up, running) has no "how bad", and the headline
    // already says it is back.
    if (a.unit !== 'state') {
      facts.push([t(lang, 'fact.worst'), versus(a.peak.value, a.peak.threshold)]);
      facts.push([t(lang, 'fact.now'), shown(a.value)]);
    }
  } else if (a.unit !== 'state') {
    // A state (up == 0, an alert received from Prometheus, centinela's own alerts) has no value to read: its summary
    // says it in words, as the status page does.
    facts.push([t(lang, 'fact.value'), versus(a.value, a.threshold)]);
  }
  const labels = Object.entries(a.labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  if (labels) facts.push([t(lang, 'fact.labels'), labels]);
  const others = item.paged
    .filter((c) => c !== n.contact.id)
    .map((c) => (item.phones?.[c] ? `${c} (${item.phones[c]})` : c));
  facts.push([t(lang, 'fact.alsoPaged'), others.length ? others.join(', ') : t(lang, 'fact.nobodyElse')]);
  if (item.ack) {
    const { who, comment } = item.ack;
    const time = when(item.ack.at);
    facts.push([
      t(lang, 'fact.acknowledged'),
      comment ? t(lang, 'fact.ackedByComment', { who, time, comment }) : t(lang, 'fact.ackedBy', { who, time }),
    ]);
  } else if (item.kind === 'resolved') {
    facts.push([t(lang, 'fact.acknowledged'), t(lang, 'fact.ackedByNobody')]);
  }
  if (item.resolvedAt !== undefined) {
    facts.push([
      t(lang, 'fact.resolved'),
      t(lang, 'fact.resolvedValue', {
        time: when(item.resolvedAt),
        duration: humanDuration(item.resolvedAt - a.activeSince),
      }),
    ]);
  }
  if (a.flapping) facts.push([t(lang, 'fact.flapping'), t(lang, 'fact.flappingValue')]);
  // Rows written before `holding` existed carry only the ids.
  const held = item.holding ?? a.inhibits.map((id) => ({ id }));
  if (held.length) facts.push([t(lang, 'fact.holding'), heldList(held, lang)]);
  facts.push([
    t(lang, 'fact.alert'),
    item.incidentId ? t(lang, 'fact.alertIncident', { id: a.id, incident: item.incidentId }) : a.id,
  ]);
  const showSteps = item.kind !== 'resolved' && item.kind !== 'acknowledged';
  return {
    headline: itemHeadline(item, at, lang),
    facts,
    runbook: showSteps ? a.runbook : [],
    diagnosis: showSteps ? a.diagnosis : [],
    ackUrl: showSteps && !item.ack ? item.ackUrl : undefined,
    ...(item.timelineUrl ? { timelineUrl: item.timelineUrl } : {}),
  };
}

/** The plain-text body: every item's facts, runbook steps, diagnosis and ack link. */
export function textBody(n: Notification): string {
  const lang = n.reading.locale;
  const parts: string[] = [];
  for (const item of n.items) {
    const d = describeItem(item, n);
    let lines = [d.headline, '', ...d.facts.map(([k, v]) => `${k}: ${v}`)];
    if (d.runbook.length)
      lines = [...lines, '', `${t(lang, 'page.runbook')}:`, ...d.runbook.map((s, i) => `  ${i + 1}. ${s}`)];
    for (const diag of d.diagnosis) {
      const heading = t(lang, 'page.diagnosis', { probe: diag.probe });
      lines = [...lines, '', `${heading}:`, ...diag.detail.split('\n').map((l) => `  ${l}`)];
    }
    if (d.ackUrl) lines.push('', `${t(lang, 'page.acknowledge')}: ${d.ackUrl}`);
    if (d.timelineUrl) lines.push(`${t(lang, 'page.timeline')}: ${d.timelineUrl}`);
    parts.push(lines.join('\n'));
  }
  return `${parts.join('\n\n----\n\n')}\n`;
}
