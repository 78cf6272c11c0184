// The status page at `/`, an on-call console: firing alerts with who was paged and an Ack form, past incidents, probes
// with their last runs and values, the watched signals of the last hour, silences and maintenance windows.
// Server-rendered (SVG pictures included), no build step; one column on a phone, two on a desktop; refreshes itself.

import { age } from '../duration.js';
import { clockTime, type Locale, localTime, type MessageKey, type Reading, t } from '../locale/locale.js';
import { matcherText } from '../matchers.js';
import { watchesUp } from '../rules/rule.js';
import { PRIORITIES, type Priority, type Suppression } from '../types.js';
import { unitOfName, formatValue as unitValue } from '../units.js';
import {
  type AlertView,
  type DeliveryView,
  type IncidentView,
  type MaintenanceView,
  type ProbeView,
  type Replica,
  SIGNAL_SPAN_MS,
  type SignalView,
  type SilenceView,
  type StatusView,
} from './api-shapes.js';
import { runBar, sparkline, stateBar } from './charts.js';
import { html, type SafeHtml } from './html.js';

/** How often the page refreshes itself (the script fetches `/` again and swaps <main>). */
export const REFRESH_SECONDS = 5;

/** Who is looking at the page: whether this browser logged in with the write token (so Ack is one tap), and as whom. */
export interface Viewer {
  canAck: boolean;
  by?: string;
}

/**
 * The page body for a status view, in the reader's language and time zone; `now` (epoch ms) is used for ages. On a
 * wide screen the alerts and past incidents stand in the first column, the probes and signals beside them.
 */
export function renderStatus(
  view: StatusView,
  now: number,
  reading: Reading,
  viewer: Viewer,
  replica?: Replica,
): SafeHtml {
  const lang = reading.locale;
  const firing = view.alerts.filter((a) => a.state === 'firing');
  const pending = view.alerts.filter((a) => a.state === 'pending');
  const names = new Map(Object.entries(view.inhibitors));
  const card = (a: AlertView) =>
    alertCard(a, now, lang, {
      viewer,
      view,
      names,
      timezone: reading.timezone,
      chart: alertChart(a, view, now, reading),
    });
  // The series an alert card draws are not drawn again among the signals.
  const inCards = new Set(view.alerts.map((a) => signalOf(a, view.signals)));
  // A probe's up (a state) is drawn only in its alert's card: the probe's own bar of runs shows it among the probes.
  const others = view.signals.filter((sig) => !inCards.has(sig) && sig.unit !== 'state');
  const none = (key: MessageKey) => html`<p class="muted">${t(lang, key as 'status.noProbes')}</p>`;
  return html`<header>
<h1>centinela</h1>
<p>${statusCounts(view, lang)} <time datetime="${view.generatedAt}">${localTime(Date.parse(view.generatedAt), reading.timezone)}</time></p>
${replica ? replicaLine(replica, lang) : ''}
</header>
<p id="message" role="status" class="error" hidden></p>
<main class="console" data-generated-at="${view.generatedAt}" data-can-ack="${viewer.canAck ? 'yes' : 'no'}">
<div class="column">
<section id="alerts" aria-label="${t(lang, 'status.alertsLabel')}">
<h2>${t(lang, 'status.firing')}</h2>
${firing.length ? firing.map(card) : none('status.nothingFiring')}
${moreAlerts('firing', firing, view.open.firing, lang)}
${total(view.open.pending) ? html`<h2>${t(lang, 'status.pending')}</h2>${pending.map(card)}${moreAlerts('pending', pending, view.open.pending, lang)}` : ''}
</section>
<section id="incidents" aria-label="${t(lang, 'status.incidents')}">
<h2>${t(lang, 'status.incidents')}</h2>
${view.incidents.length ? incidentList(view.incidents, reading) : none('status.noIncidents')}
${view.incidentCount > view.incidents.length ? html`<p class="muted more" data-more="incidents">${t(lang, 'status.moreIncidents', { count: view.incidentCount - view.incidents.length })}</p>` : ''}
</section>
<section id="silences" aria-label="${t(lang, 'status.silences')}">
<h2>${t(lang, 'status.silences')}</h2>
${view.silences.length ? view.silences.map((s) => silenceRow(s, now, lang)) : none('status.noSilences')}
</section>
<section id="windows" aria-label="${t(lang, 'status.windows')}">
<h2>${t(lang, 'status.windows')}</h2>
${view.windows.length ? view.windows.map((w) => windowRow(w, now, lang)) : none('status.noWindows')}
</section>
</div>
<div class="column">
<section id="probes" aria-label="${t(lang, 'status.probes')}">
<h2>${t(lang, 'status.probes')}</h2>
${view.probes.length ? probeList(view, now, reading) : none('status.noProbes')}
</section>
<section id="signals" aria-label="${t(lang, 'status.signals')}">
<h2>${t(lang, 'status.signals')}</h2>
${others.length ? html`<div class="signals">${others.map((sig) => signalCard(sig, view, now, reading))}</div>` : none('status.noSignals')}
</section>
</div>
</main>
<footer>API: <a href="/api/v1/alerts">/api/v1/alerts</a> \u00b7 ${t(lang, 'status.metrics')}: <a href="/metrics">/metrics</a> \u00b7 ${t(lang, 'status.health')}: <a href="/readyz">/readyz</a></footer>`;
}

/** The tab's title: how many alerts fire. */
export function statusTitle(view: StatusView, lang: Locale): string {
  return t(lang, 'status.title', { count: total(view.open.firing) });
}

/** How many alerts there are in all, of every priority. */
function total(counts: Readonly<Record<Priority, number>>): number {
  return PRIORITIES.reduce((sum, p) => sum + counts[p], 0);
}

/**
 * Under a list of alerts the view cut short: how many more there are, of which priorities (the least urgent, as the
 * most urgent are listed), and the API's link that lists them all; nothing when every one is listed.
 */
function moreAlerts(
  state: 'firing' | 'pending',
  listed: readonly AlertView[],
  counts: Readonly<Record<Priority, number>>,
  lang: Locale,
): SafeHtml | '' {
  const rest = PRIORITIES.map((p) => ({ p, n: counts[p] - listed.filter((a) => a.priority === p).length }));
  const count = rest.reduce((sum, r) => sum + r.n, 0);
  if (count === 0) return '';
  const priorities = rest
    .filter((r) => r.n > 0)
    .map((r) => `${r.p}: ${r.n}`)
    .join(', ');
  const key = state === 'firing' ? 'status.moreFiring' : 'status.morePending';
  const url = `/api/v1/alerts?state=${state}`;
  return html`<p class="muted more" data-more="${state}" data-count="${count}">${t(lang, key, { count, priorities })} <a href="${url}">${url}</a></p>`;
}

/** Which of the two replicas this page comes from; the standby's says its data is the active's, a few seconds old. */
function replicaLine(replica: Replica, lang: Locale): SafeHtml {
  const key = replica.role === 'active' ? 'status.replicaActive' : 'status.replicaStandby';
  return html`<p id="replica" data-role="${replica.role}">${t(lang, key, { name: replica.name })}</p>`;
}

function statusCounts(view: StatusView, lang: Locale): string {
  return t(lang, 'status.counts', {
    firing: total(view.open.firing),
    pending: total(view.open.pending),
    down: view.probes.filter((p) => p.up === false).length,
    probes: view.probes.length,
  });
}

/**
 * One alert: priority, name, what holds it back (naming the alert that inhibits it), value and who was paged, where
 * its pages stand, and the Ack form (a comment field and one button) unless it is acknowledged, pending or inhibited.
 */
function alertCard(
  a: AlertView,
  now: number,
  lang: Locale,
  ctx: { viewer: Viewer; view: StatusView; names: ReadonlyMap<string, string>; timezone: string; chart: SafeHtml | '' },
): SafeHtml {
  // Since when, on the reader's clock with its offset (as the pages say it), and for how long.
  const at = (iso: string) => ({ time: localTime(Date.parse(iso), ctx.timezone), age: age(now - Date.parse(iso)) });
  const since = a.activeSince
    ? t(lang, 'status.since', at(a.activeSince))
    : a.pendingSince
      ? t(lang, 'status.pendingSince', at(a.pendingSince))
      : t(lang, 'status.pendingState');
  const held = a.suppressedBy.map(
    (s) => html` <span class="badge held" data-held="${s.kind}">${heldBy(s, ctx.view, ctx.names, lang)}</span>`,
  );
  const inhibited = a.suppressedBy.some((s) => s.kind === 'inhibited');
  const ack = a.ack
    ? html`<p class="ack" data-acked="true">${t(lang, 'status.ackedBy', { who: a.ack.by, age: age(now - Date.parse(a.ack.at)) })}${a.ack.comment ? html` \u2014 ${a.ack.comment}` : ''}</p>`
    : a.state === 'firing' && !inhibited
      ? ackForm(a, lang, ctx.viewer)
      : '';
  const paged = a.paged.length ? a.paged.join(', ') : t(lang, 'status.nobodyYet');
  // In the rule's unit, as the pages say it; a state (up == 0) has no number worth reading: the summary says it.
  const value = (v: number) => (a.unit && a.unit !== 'number' ? unitValue(v, a.unit, lang) : formatValue(v));
  const line =
    a.unit === 'state'
      ? t(lang, 'status.lineState', { since, paged })
      : t(lang, 'status.line', { since, value: value(a.value), op: a.op, threshold: value(a.threshold), paged });
  return html`<article class="card ${a.priority}" data-alert-id="${a.id}" data-state="${a.state}">
<h3><span class="badge ${a.priority}">${a.priority}</span> <a href="/alerts/${encodeURIComponent(a.id)}" title="${t(lang, 'status.timeline')}">${a.alertname}</a>${a.flapping ? html` <span class="badge">${t(lang, 'status.flapping')}</span>` : ''}${held}</h3>
<p>${a.summary}</p>
<p class="muted">${line}</p>
${ctx.chart}
${a.notDelivered ? html`<p class="undelivered" data-undelivered="true">${t(lang, 'status.notDelivered')}</p>` : ''}
${a.deliveries.length ? deliverySummary(a.deliveries, lang, ctx.timezone) : ''}
<p class="labels">${labelText(a.labels)}</p>
${ack}
</article>`;
}

/**
 * What keeps an alert from paging, named: `held back by ApiDown`, `silenced by ana: deploy`, `in maintenance: nightly
 * backup`; a silence or window the view no longer lists is said without its name.
 */
function heldBy(
  s: { kind: Suppression; id: string },
  view: StatusView,
  names: ReadonlyMap<string, string>,
  lang: Locale,
): string {
  if (s.kind === 'inhibited') return t(lang, 'status.inhibitedBy', { alert: names.get(s.id) ?? s.id });
  if (s.kind === 'silenced') {
    const silence = view.silences.find((x) => x.id === s.id);
    return silence
      ? t(lang, 'status.silencedBy', { who: silence.createdBy, reason: silence.reason })
      : t(lang, 'status.silenced');
  }
  const window = view.windows.find((w) => w.id === s.id);
  const what = window && (window.name ?? window.reason ?? window.probes.join(', '));
  return what ? t(lang, 'status.inMaintenanceOf', { what }) : t(lang, 'status.inMaintenance');
}

/**
 * The Ack form: an optional comment and one button. A browser that has not logged in with the write token also gets
 * the login fields (name and token), hidden until the first tap; after that login, Ack is one tap.
 */
function ackForm(a: AlertView, lang: Locale, viewer: Viewer): SafeHtml {
  const label = t(lang, 'page.acknowledgeAlert', { title: a.alertname });
  const login = viewer.canAck
    ? html`<input type="hidden" name="by" value="${viewer.by ?? ''}">`
    : html`<fieldset class="login" hidden>
<legend>${t(lang, 'status.loginToAck')}</legend>
<label>${t(lang, 'status.yourName')} <input type="text" name="by" autocomplete="name" maxlength="200"></label>
<label>${t(lang, 'status.writeToken')} <input type="password" name="token" autocomplete="current-password" maxlength="4096"></label>
</fieldset>`;
  return html`<form class="ack-form" data-ack="${a.id}">
${login}
<div class="ack-row"><input type="text" name="comment" maxlength="2000" placeholder="${t(lang, 'status.commentPlaceholder')}" aria-label="${t(lang, 'status.commentPlaceholder')}"><button type="submit" aria-label="${label}">${t(lang, 'status.ack')}</button></div>
<p class="error" data-ack-error hidden></p>
</form>`;
}

/**
 * Whether the page reached each contact, one line each (reached by which channel and when, failing since when, on its
 * way, or given up), and under it, folded, where each channel stands with its attempts and last error.
 */
function deliverySummary(deliveries: readonly DeliveryView[], lang: Locale, timezone: string): SafeHtml {
  const clock = (at: string) => clockTime(Date.parse(at), timezone);
  const contacts = [...new Set(deliveries.map((x) => x.contact))].map((contact) => {
    const own = deliveries.filter((x) => x.contact === contact);
    const sent = own
      .filter((x) => x.status === 'sent' && x.at)
      .sort((x, y) => (x.at ?? '').localeCompare(y.at ?? ''))[0];
    const since = own
      .flatMap((x) => (x.failingSince ? [x.failingSince] : []))
      .sort()
      .at(0);
    const [status, text] = sent?.at
      ? ['reached', t(lang, 'status.contactReached', { contact, channel: sent.channel, time: clock(sent.at) })]
      : since
        ? ['failing', t(lang, 'status.contactFailing', { contact, time: clock(since) })]
        : own.some((x) => x.status !== 'given-up')
          ? ['queued', t(lang, 'status.contactQueued', { contact })]
          : ['given-up', t(lang, 'status.contactGivenUp', { contact })];
    return html`<li class="contact ${status}" data-contact="${contact}" data-reached="${status}">${text}</li>`;
  });
  return html`<ul class="contacts">${contacts}</ul>
<details class="deliveries"><summary>${t(lang, 'status.deliveryDetails', { count: deliveries.length })}</summary><ul class="deliveries">${deliveries.map((x) => deliveryLine(x, lang))}</ul></details>`;
}

/** `cto · email: sent`, `cto · ops_webhook: failing, 4 attempts: ENOTFOUND smtp`. */
function deliveryLine(x: DeliveryView, lang: Locale): SafeHtml {
  const attempts =
    x.status === 'failing' || x.status === 'given-up' ? `, ${t(lang, 'status.attempts', { count: x.attempts })}` : '';
  const status = t(lang, `status.delivery.${x.status}`);
  return html`<li class="delivery ${x.status}" data-delivery="${x.status}">${x.contact} \u00b7 ${x.channel}: ${status}${attempts}${x.lastError ? html`: ${x.lastError}` : ''}</li>`;
}

/**
 * Each probe: name, kind, state and age, the reason it is down, the bar of its last runs with its uptime, and its last
 * values as `name: value` lines.
 */
function probeList(view: StatusView, now: number, reading: Reading): SafeHtml {
  const lang = reading.locale;
  const rows = view.probes.map((p) => {
    const state =
      p.up === undefined
        ? html`<span class="badge">${t(lang, 'status.waiting')}</span>`
        : p.up
          ? html`<span class="badge up">${t(lang, 'status.up')}</span>`
          : html`<span class="badge down">${t(lang, 'status.down')}</span>`;
    const values = p.samples
      .slice(0, 8)
      .map(
        (s) =>
          html`<div><dt>${s.name.startsWith(`${p.name}.`) ? s.name.slice(p.name.length + 1) : s.name}${labelSuffix(s.labels)}</dt><dd>${unitValue(s.value, unitOfName(s.name), lang)}</dd></div>`,
      );
    const more =
      p.samples.length > 8
        ? html`<p class="muted">${t(lang, 'status.moreOnMetrics', { count: p.samples.length - 8 })}</p>`
        : '';
    const ran = p.lastRunAt ? t(lang, 'status.ago', { age: age(now - Date.parse(p.lastRunAt)) }) : '';
    const percent = (v: number | undefined) =>
      v === undefined ? '—' : `${Number(v.toFixed(v >= 99.95 || v < 10 ? 2 : 1))} %`;
    return html`<li class="probe" data-probe="${p.name}">
<div><strong>${p.name}</strong> <span class="muted">${p.kind}</span> ${state} <span class="muted">${ran}</span></div>
${p.up === false && p.reason ? reasonView(p.reason) : ''}
${p.runs.length ? html`<div class="history">${runBar(p.runs, view.runSlots, lang, reading.timezone)}<span class="muted uptime" data-uptime-day="${p.uptime.day ?? ''}">${t(lang, 'status.uptime', { day: percent(p.uptime.day), week: percent(p.uptime.week) })}</span></div>` : ''}
${values.length ? html`<dl class="kv">${values}</dl>${more}` : ''}
</li>`;
  });
  return html`<ul class="probes">${rows}</ul>`;
}

/** A probe's reason as people read it: see detailView; any other reason as it is. */
function reasonView(reason: string): SafeHtml {
  return detailView(reason) ?? html`<div class="reason">${reason}</div>`;
}

/**
 * A probe's reason or detail that carries a JSON body the target answered, as people read it: the words before the
 * body, then the body as `key: value` lines (a body quoted as a JSON string is read once more) instead of escaped
 * JSON; undefined when the text carries no JSON object.
 */
export function detailView(text: string): SafeHtml | undefined {
  const at = text.search(/[{"]/);
  const body = at < 0 ? undefined : jsonObject(text.slice(at));
  if (!body) return undefined;
  const lead = text.slice(0, at).replace(/[\s:]+$/, '');
  const rows = Object.entries(body).map(
    ([k, v]) => html`<div><dt>${k}</dt><dd>${typeof v === 'string' ? v : JSON.stringify(v)}</dd></div>`,
  );
  return html`<div class="reason">${lead}<dl class="kv">${rows}</dl></div>`;
}

/** `text` as a JSON object (or a JSON string holding one), else undefined. */
function jsonObject(text: string): Record<string, unknown> | undefined {
  try {
    let value: unknown = JSON.parse(text);
    if (typeof value === 'string') value = JSON.parse(value);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The last hour of what an alert's rule watches, drawn in its card: for a rule on its probe's `up`, the bar of the
 * probe's runs in that hour; for any other sample (whatever the summary prints) the sparkline of its series with the
 * thresholds, never the probe's runs, which would read "fine" in a firing card; nothing when there is nothing to draw.
 */
function alertChart(a: AlertView, view: StatusView, now: number, reading: Reading): SafeHtml | '' {
  if (a.watches && watchesUp(a.watches)) {
    // The kept series of the probe's up covers the hour whatever the probe's interval; the ring of runs, when the
    // series has nothing yet (a standby's page, a rule just added), says how far back it goes.
    const up = signalOf(a, view.signals);
    if (up && up.points.length > 0) {
      return html`<figure class="signal runs" data-probe-up="${up.probe}">
<figcaption><span class="labels">${t(reading.locale, 'status.runsLastHour', { probe: up.probe })}</span></figcaption>
${stateBar(up, now, SIGNAL_SPAN_MS, reading)}
</figure>`;
    }
    const probe = view.probes.find((p) => p.name === a.watches?.probe);
    const runs = probe?.runs.filter((r) => Date.parse(r.at) >= now - SIGNAL_SPAN_MS) ?? [];
    if (!probe || runs.length === 0) return '';
    // The ring of runs may not reach back an hour (90 runs at every 5 s are 7.5 min): then the caption says what the
    // bar covers, so an outage's start that fell out of the ring is not taken for the start of the hour.
    const first = runs[0];
    const wholeHour = probe.runs.some((r) => Date.parse(r.at) < now - SIGNAL_SPAN_MS);
    const caption =
      wholeHour || !first
        ? t(reading.locale, 'status.runsLastHour', { probe: probe.name })
        : t(reading.locale, 'status.runsSince', {
            probe: probe.name,
            count: runs.length,
            time: clockTime(Date.parse(first.at), reading.timezone),
          });
    return html`<figure class="signal runs" data-probe-runs="${probe.name}">
<figcaption><span class="labels">${caption}</span></figcaption>
${runBar(runs, runs.length, reading.locale, reading.timezone)}
</figure>`;
  }
  const sig = signalOf(a, view.signals);
  return sig ? signalCard(sig, view, now, reading) : '';
}

/** The series an alert's rule watches among the signals: its sample, with labels the alert carries. */
function signalOf(a: AlertView, signals: readonly SignalView[]): SignalView | undefined {
  return signals.find(
    (sig) =>
      sig.sample === a.watches?.sample &&
      sig.thresholds.some((th) => th.alertname === a.alertname) &&
      Object.entries(sig.labels).every(([k, v]) => a.labels[k] === v),
  );
}

/**
 * A watched series: its name and labels, its last value, the sparkline of the last hour, and its thresholds. When its
 * probe's last run did not write it (the probe is down, or stopped reporting it), the last value is old news: it
 * says since when there is none instead.
 */
function signalCard(sig: SignalView, view: StatusView, now: number, reading: Reading): SafeHtml {
  const lang = reading.locale;
  const last = sig.points.at(-1);
  const thresholds = sig.thresholds
    .map((th) => `${th.priority} ${th.op} ${unitValue(th.value, sig.unit, lang)}`)
    .join(' · ');
  const stale =
    last &&
    isStale(
      sig,
      view.probes.find((p) => p.name === sig.probe),
    );
  const figure = stale
    ? html`<strong class="stale" data-stale="${last.at}">${t(lang, 'status.staleSince', { time: clockTime(Date.parse(last.at), reading.timezone) })}</strong>`
    : html`<strong>${last ? unitValue(last.value, sig.unit, lang) : ''}</strong>`;
  return html`<figure class="signal" data-sample="${sig.sample}">
<figcaption><span class="labels">${sig.sample}${labelSuffix(sig.labels)}</span> ${figure}</figcaption>
${sparkline(sig, now, SIGNAL_SPAN_MS, reading)}
<p class="muted thresholds">${thresholds}</p>
</figure>`;
}

/**
 * Whether a series' probe ran last without writing it: down, or up with values that do not include it. A probe known
 * only from the run history (a standby's page) carries no values, so it says nothing.
 */
function isStale(sig: SignalView, probe: ProbeView | undefined): boolean {
  if (!probe) return false;
  if (probe.up === false) return true;
  if (probe.samples.length === 0) return false;
  const same = (labels: Readonly<Record<string, string>>) =>
    Object.keys(labels).length === Object.keys(sig.labels).length &&
    Object.entries(labels).every(([k, v]) => sig.labels[k] === v);
  return !probe.samples.some(
    (s) => (s.name === sig.sample || `${probe.name}.${s.name}` === sig.sample) && same(s.labels),
  );
}

/** Incidents of the last 7 days, newest first: when (local time), how long, priority, who acknowledged, each linking its own timeline. */
function incidentList(incidents: readonly IncidentView[], reading: Reading): SafeHtml {
  const lang = reading.locale;
  const rows = incidents.map((i) => {
    const opened = localTime(Date.parse(i.openedAt), reading.timezone);
    const duration = age(i.durationSeconds * 1000);
    const when = i.resolvedAt
      ? t(lang, 'status.incidentLasted', { opened, duration })
      : t(lang, 'status.incidentOngoing', { opened, duration });
    const ack = i.ack ? t(lang, 'status.incidentAcked', { who: i.ack.by }) : t(lang, 'status.incidentNotAcked');
    const timeline = `/alerts/${encodeURIComponent(i.alertId)}?incident=${i.id}`;
    return html`<li class="incident ${i.priority}" data-incident="${i.alertId}" data-incident-id="${i.id}"><span class="badge ${i.priority}">${i.priority}</span> <a href="${timeline}">${i.alertname}</a> <span class="labels">${labelText(i.labels)}</span><br><span class="muted">${when} \u00b7 ${ack}</span></li>`;
  });
  return html`<ul class="incidents">${rows}</ul>`;
}

function silenceRow(s: SilenceView, now: number, lang: Locale): SafeHtml {
  const matchers = s.matchers.map(matcherText).join(', ');
  // The page lists pending silences too: one that has not started yet must not read as muting now.
  const startsAt = Date.parse(s.startsAt);
  const when =
    startsAt > now
      ? t(lang, 'status.silenceStarts', { starts: age(startsAt - now), lasts: age(Date.parse(s.endsAt) - startsAt) })
      : t(lang, 'status.silenceEnds', { ends: age(Date.parse(s.endsAt) - now) });
  const unreadable = s.unreadable
    ? html`<br><strong>${t(lang, 'status.silenceUnreadable', { problem: s.unreadable })}</strong>`
    : '';
  return html`<div class="card" data-silence-id="${s.id}"><span class="labels">{${matchers}}</span>${unreadable}<br>${s.reason} \u2014 ${s.createdBy}, ${when}</div>`;
}

function windowRow(w: MaintenanceView, now: number, lang: Locale): SafeHtml {
  const what =
    w.kind === 'one-shot'
      ? t(lang, 'status.windowUntil', { probes: w.probes.join(', '), count: w.probes.length })
      : (w.name ?? t(lang, 'status.windowRecurring'));
  const holds = w.matchers.length ? `{${w.matchers.map(matcherText).join(', ')}}` : t(lang, 'status.everyAlert');
  const atMost = t(lang, 'status.windowAtMost', { age: age(Date.parse(w.endsAt) - now) });
  const rollback = w.rollback ? html`<strong>${t(lang, 'status.windowRollback')}</strong>: ` : '';
  const unreadable = w.unreadable
    ? html`<br><strong>${t(lang, 'status.windowUnreadable', { problem: w.unreadable })}</strong>`
    : '';
  return html`<div class="card" data-window-id="${w.id}">${rollback}${what}${w.reason ? html` \u2014 ${w.reason}` : ''}${w.openedBy ? html` (${w.openedBy})` : ''}, ${atMost}<br><span class="labels">${t(lang, 'status.holdsBack', { what: holds })}</span>${unreadable}</div>`;
}

function labelText(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(' ');
}

function labelSuffix(labels: Readonly<Record<string, string>>): string {
  const text = labelText(labels);
  return text ? `{${text}}` : '';
}

/** A value as people read it: integers whole, others to three significant digits. */
function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(3)));
}

/** The login form shown instead of the page when reads need a token and the browser has none; `wrong` after a miss. */
export function renderLogin(lang: Locale, wrong = false): SafeHtml {
  return html`<header><h1>centinela</h1></header>
<main>
<p>${t(lang, 'status.loginNeeded')}</p>
${wrong ? html`<p class="error">${t(lang, 'status.wrongToken')}</p>` : ''}
<form method="post" action="/-/login">
<label>${t(lang, 'status.token')} <input type="password" name="token" autocomplete="current-password" required></label>
<button type="submit">${t(lang, 'status.show')}</button>
</form>
</main>`;
}

/**
 * The page's script, saying what it says in `lang`: refreshes the header, <main> and the tab's title every few
 * seconds, and acknowledges from the Ack forms through the API. A browser that has not logged in with the write token
 * is shown the login fields of the form it tapped; the login sets the cookie, and from then on Ack is one tap.
 * Errors are shown in the form that caused them.
 */
export function statusScript(lang: Locale): string {
  // The catalogue's {reason} stays for the script to fill in; `<` is escaped so no text can close a script element.
  const words = JSON.stringify({
    unreachable: t(lang, 'status.unreachable', { reason: '{reason}' }),
    ackFailed: t(lang, 'status.ackFailed', { reason: '{reason}' }),
    needLogin: t(lang, 'status.needLogin'),
    wrongToken: t(lang, 'status.wrongToken'),
  }).replace(/</g, '\\u003c');
  return `'use strict';
(() => {
  const words = ${words};
  // The message line sits outside <main>, so a refresh does not wipe it; a refresh error clears itself.
  const message = (text) => {
    const el = document.getElementById('message');
    if (el) { el.textContent = text; el.hidden = !text; }
  };
  // A form being typed in or sent is not replaced by a refresh; what the others hold (text, login fields, an error)
  // is carried over to the new page's form of the same alert.
  const forms = () => [...document.querySelectorAll('form.ack-form')];
  const busy = () => forms().some((f) => f.contains(document.activeElement) || f.dataset.sending);
  const save = () => new Map(forms().map((f) => [f.dataset.ack, {
    values: [...f.elements].filter((e) => e.name && e.type !== 'hidden').map((e) => [e.name, e.value]),
    error: f.querySelector('[data-ack-error]').hidden ? '' : f.querySelector('[data-ack-error]').textContent,
    login: f.querySelector('fieldset.login') ? !f.querySelector('fieldset.login').hidden : false,
  }]));
  const restore = (kept) => {
    for (const f of forms()) {
      const k = kept.get(f.dataset.ack);
      if (!k) continue;
      for (const [name, value] of k.values) if (f.elements[name] && f.elements[name].type !== 'hidden') f.elements[name].value = value;
      if (k.error) fail(f, k.error);
      if (k.login && f.querySelector('fieldset.login')) f.querySelector('fieldset.login').hidden = false;
    }
  };
  let refreshing = false;
  async function refresh(force) {
    if (refreshing || (!force && busy())) return;
    refreshing = true;
    try {
      const res = await fetch(location.pathname, { headers: { accept: 'text/html' }, cache: 'no-store' });
      if (!res.ok) throw new Error('status page answered ' + res.status);
      const doc = new DOMParser().parseFromString(await res.text(), 'text/html');
      const kept = save();
      for (const sel of ['header', 'main']) {
        const next = doc.querySelector(sel);
        const cur = document.querySelector(sel);
        if (next && cur) cur.replaceWith(next);
      }
      restore(kept);
      if (doc.title) document.title = doc.title;
      message('');
    } catch (err) {
      message(words.unreachable.replace('{reason}', err.message));
    } finally {
      refreshing = false;
    }
  }
  const fail = (form, text) => {
    const el = form.querySelector('[data-ack-error]');
    el.textContent = text;
    el.hidden = false;
  };
  const reasonOf = async (res) => {
    const body = await res.json().catch(() => ({}));
    return (body.error && body.error.message) || 'HTTP ' + res.status;
  };
  async function login(form) {
    const fields = form.querySelector('fieldset.login');
    const by = form.elements.by.value.trim();
    const token = form.elements.token.value;
    if (fields.hidden || !by || !token) {
      fields.hidden = false;
      (by ? form.elements.token : form.elements.by).focus();
      fail(form, words.needLogin);
      return false;
    }
    const res = await fetch('/-/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ token, by }),
    });
    if (res.status === 401) { fail(form, words.wrongToken); return false; }
    if (!res.ok) { fail(form, words.ackFailed.replace('{reason}', 'HTTP ' + res.status)); return false; }
    return true;
  }
  async function ack(form) {
    if (form.dataset.sending) return;
    form.dataset.sending = 'yes';
    const button = form.querySelector('button');
    button.disabled = true;
    try {
      form.querySelector('[data-ack-error]').hidden = true;
      if (document.querySelector('main').dataset.canAck !== 'yes' && !(await login(form))) return;
      const res = await fetch('/api/v1/alerts/' + encodeURIComponent(form.dataset.ack) + '/ack', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-centinela-page': 'ack' },
        body: JSON.stringify({ by: form.elements.by.value.trim(), comment: form.elements.comment.value.trim() || undefined }),
      });
      if (!res.ok) { fail(form, words.ackFailed.replace('{reason}', await reasonOf(res))); return; }
      delete form.dataset.sending;
      await refresh(true);
    } catch (err) {
      fail(form, words.ackFailed.replace('{reason}', err.message));
    } finally {
      delete form.dataset.sending;
      button.disabled = false;
    }
  }
  document.addEventListener('submit', (event) => {
    const form = event.target.closest('form.ack-form');
    if (!form) return;
    event.preventDefault();
    ack(form);
  });
  setInterval(() => refresh(false), ${REFRESH_SECONDS * 1000});
})();
`;
}
