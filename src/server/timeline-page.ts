// The timeline of one incident of an alert at /alerts/<id>?incident=<n> (/alerts/<id>: its current or last one): its
// story in order, each step at local time (state changes, what was held back and by what, each page and its delivery,
// reminders and escalation, the acknowledgements with their comments, the resolution), then the diagnosis and the
// runbook's steps as the page carries them.
import { clockTime, type Locale, localTime, type MessageKey, type Reading, t } from '../locale/locale.js';
import type { Suppression } from '../types.js';
import type { AlertDetailView, PageView } from './api-shapes.js';
import { html, type SafeHtml } from './html.js';
import { detailView } from './status-page.js';

/**
 * One line of the timeline; `order` keeps a cause before its effects when they share a millisecond: a state change,
 * what held it, an acknowledgement (before the notices it sends), a page written, its delivery.
 */
interface Step {
  at: number;
  order: number;
  kind: string;
  text: string;
  note?: string;
}

/** The page body of an incident's timeline, in the reader's language and time zone. */
export function renderTimeline(a: AlertDetailView, reading: Reading): SafeHtml {
  const lang = reading.locale;
  const steps = timelineSteps(a, reading).sort((x, y) => x.at - y.at || x.order - y.order);
  const items = steps.map(
    (s) =>
      html`<li class="step ${s.kind}" data-step="${s.kind}"><time datetime="${new Date(s.at).toISOString()}">${localTime(s.at, reading.timezone)}</time> <span>${s.text}</span>${s.note ? html`<br><span class="muted">${s.note}</span>` : ''}</li>`,
  );
  return html`<header><h1><a href="/">centinela</a></h1><p><a href="/">${t(lang, 'timeline.back')}</a></p></header>
<main class="timeline-page">
<article class="card ${a.priority}" data-alert-id="${a.id}" data-state="${a.state}">
<h2><span class="badge ${a.priority}">${a.priority}</span> ${a.alertname}</h2>
<p>${a.summary}</p>
${a.description ? html`<p class="muted">${a.description}</p>` : ''}
<p class="labels">${Object.entries(a.labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(' ')}</p>
${a.incident ? html`<p class="muted" data-incident-id="${a.incident.id}">${incidentLine(a.incident, reading)}</p>` : ''}
</article>
<section aria-label="${t(lang, 'timeline.events')}">
<h2>${t(lang, 'timeline.events')}</h2>
${items.length ? html`<ol class="timeline">${items}</ol>` : html`<p class="muted">${t(lang, 'timeline.none')}</p>`}
</section>
${a.diagnosis.map((d) => html`<section><h2>${t(lang, 'page.diagnosis', { probe: d.probe })}</h2>${detailView(d.detail) ?? html`<pre class="diagnosis">${d.detail}</pre>`}</section>`)}
${a.runbook.length ? html`<section><h2>${t(lang, 'page.runbook')}</h2><ol class="runbook">${a.runbook.map((r) => html`<li>${r}</li>`)}</ol></section>` : ''}
</main>`;
}

/**
 * The 404 page of an alert id that names no alert, of an incident number that is not one of the alert's, or of an
 * incident asked for by something that is not a number (`bad`).
 */
export function renderNoTimeline(id: string, incident: number | 'bad' | undefined, lang: Locale): SafeHtml {
  const text =
    incident === 'bad'
      ? t(lang, 'timeline.badIncident')
      : incident === undefined
        ? t(lang, 'timeline.unknown', { id })
        : t(lang, 'timeline.unknownIncident', { id, incident });
  return html`<header><h1><a href="/">centinela</a></h1></header>
<main><p class="error">${text}</p><p><a href="/">${t(lang, 'timeline.back')}</a></p></main>`;
}

/** `Incident 7, opened …, resolved …` in local time. */
function incidentLine(incident: NonNullable<AlertDetailView['incident']>, reading: Reading): string {
  const opened = localTime(Date.parse(incident.openedAt), reading.timezone);
  return incident.resolvedAt
    ? t(reading.locale, 'timeline.incidentResolved', {
        id: incident.id,
        opened,
        resolved: localTime(Date.parse(incident.resolvedAt), reading.timezone),
      })
    : t(reading.locale, 'timeline.incidentOpen', { id: incident.id, opened });
}

function timelineSteps(a: AlertDetailView, reading: Reading): Step[] {
  const lang = reading.locale;
  const steps: Step[] = [];
  // Escalation writes the pages of an announcement in the same instant the rules make it.
  const paged = new Set(a.pages.map((p) => Date.parse(p.createdAt)));
  for (const h of a.history) {
    const at = Date.parse(h.at);
    if (h.event.startsWith('told ')) {
      // What was announced shows as its pages; an announcement that wrote no page while something held the alert was
      // held back by it (an all-clear still reaches whoever was paged, held or not).
      const holds = (h.suppressedBy ?? []).map((s) => holder(s, lang)).join(', ');
      if (holds && !paged.has(at))
        steps.push({ at, order: 1, kind: 'held', text: t(lang, 'timeline.held', { holds }) });
      continue;
    }
    const state = h.event as 'pending' | 'firing' | 'resolved' | 'inactive';
    const text =
      state === 'firing'
        ? t(lang, 'timeline.state.firing', { priority: h.priority ?? a.priority })
        : t(lang, `timeline.state.${state}` as 'timeline.state.pending');
    steps.push({ at, order: 0, kind: `state-${state}`, text });
  }
  for (const p of a.pages) for (const step of pageSteps(p, reading)) steps.push(step);
  for (const ack of a.acks) {
    const way = ack.via && VIA[ack.via];
    const via = ack.via ? t(lang, 'timeline.via', { via: way ? t(lang, way as 'timeline.ackVia.api') : ack.via }) : '';
    const text = `${t(lang, 'timeline.acked', { who: ack.by })}${via ? ` (${via})` : ''}`;
    steps.push({ at: Date.parse(ack.at), order: 2, kind: 'ack', text, ...note(ack.comment) });
  }
  return steps;
}

/** What held an alert back, named: the inhibiting alert, the silence, the maintenance window. */
function holder(s: { kind: Suppression; id: string; alertname?: string }, lang: Locale): string {
  if (s.kind === 'inhibited') return t(lang, 'timeline.heldInhibited', { alert: s.alertname ?? s.id });
  return t(lang, s.kind === 'silenced' ? 'timeline.heldSilenced' : 'timeline.heldMaintenance', { id: s.id });
}

/** How an acknowledgement arrived, as the reader says it. */
const VIA: Readonly<Record<string, MessageKey>> = {
  api: 'timeline.ackVia.api',
  page: 'timeline.ackVia.page',
  link: 'timeline.ackVia.link',
  cli: 'timeline.ackVia.cli',
};

const note = (text: string | undefined) => (text ? { note: text } : {});

/**
 * A page: written to the outbox for its first channel, each channel it failed on and left for the next, then
 * delivered, failing, given up, or dropped by an acknowledgement on the channel it is on.
 */
function pageSteps(p: PageView, reading: Reading): Step[] {
  const lang = reading.locale;
  const kind = t(lang, `timeline.kind.${p.event}` as 'timeline.kind.firing');
  const tried = p.tried ?? [];
  const who = { kind, contact: p.contact, channel: p.channel || '—' };
  const created = Date.parse(p.createdAt);
  const first = { ...who, channel: tried[0]?.channel || who.channel };
  const steps: Step[] = [{ at: created, order: 3, kind: `page ${p.event}`, text: t(lang, 'timeline.page', first) }];
  tried.forEach((c, i) => {
    const next = tried[i + 1]?.channel || who.channel;
    const since = clockTime(Date.parse(c.since), reading.timezone);
    const text = t(lang, 'timeline.failedOver', {
      ...who,
      channel: c.channel,
      attempts: c.attempts,
      since,
      error: c.error,
      next,
    });
    steps.push({ at: Date.parse(c.until), order: 4, kind: 'failover', text });
  });
  // The attempts on the channel it is on; the earlier channels' are in their own steps.
  const attempts = p.attempts - tried.reduce((n, c) => n + c.attempts, 0);
  const error = p.lastError ?? '';
  if (p.status === 'delivered' && p.deliveredAt)
    steps.push({
      at: Date.parse(p.deliveredAt),
      order: 4,
      kind: 'delivered',
      text: t(lang, 'timeline.delivered', who),
    });
  else if (p.status === 'failed')
    steps.push({
      at: p.givenUpAt ? Date.parse(p.givenUpAt) : created,
      order: 4,
      kind: 'failed',
      text: t(lang, 'timeline.failed', { ...who, attempts, error }),
    });
  else if (p.status === 'pending' && p.attempts > 0)
    steps.push({
      at: p.failingSince ? Date.parse(p.failingSince) : created,
      order: 4,
      kind: 'failing',
      text: t(lang, 'timeline.failing', { ...who, attempts, error }),
    });
  else if (p.status === 'superseded')
    steps.push({ at: created, order: 4, kind: 'superseded', text: t(lang, 'timeline.superseded', who) });
  return steps;
}
