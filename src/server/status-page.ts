// The status page at `/`: firing alerts with who was paged and an Ack button, probes with their last values,
// active silences and maintenance windows. Server-rendered, no build step, readable on a phone, refreshes itself.

import { age } from '../duration.js';
import { type Locale, localTime, type Reading, t } from '../locale/locale.js';
import type { AlertView, DeliveryView, MaintenanceView, ProbeView, SilenceView, StatusView } from './api-shapes.js';
import { html, type SafeHtml } from './html.js';

/** How often the page refreshes itself (the script fetches `/` again and swaps <main>). */
export const REFRESH_SECONDS = 5;

/** The page body for a status view, in the reader's language and time zone; `now` (epoch ms) is used for ages. */
export function renderStatus(view: StatusView, now: number, reading: Reading): SafeHtml {
  const lang = reading.locale;
  const firing = view.alerts.filter((a) => a.state === 'firing');
  const pending = view.alerts.filter((a) => a.state === 'pending');
  const down = view.probes.filter((p) => p.up === false);
  const counts = t(lang, 'status.counts', {
    firing: firing.length,
    pending: pending.length,
    down: down.length,
    probes: view.probes.length,
  });
  const card = (a: AlertView) => alertCard(a, now, lang);
  const none = (key: 'status.nothingFiring' | 'status.noProbes' | 'status.noSilences' | 'status.noWindows') =>
    html`<p class="muted">${t(lang, key)}</p>`;
  return html`<header>
<h1>centinela</h1>
<p>${counts} <time datetime="${view.generatedAt}">${localTime(Date.parse(view.generatedAt), reading.timezone)}</time></p>
</header>
<p id="message" role="status" class="error" hidden></p>
<main data-generated-at="${view.generatedAt}">
<section id="alerts" aria-label="${t(lang, 'status.alertsLabel')}">
<h2>${t(lang, 'status.firing')}</h2>
${firing.length ? firing.map(card) : none('status.nothingFiring')}
${pending.length ? html`<h2>${t(lang, 'status.pending')}</h2>${pending.map(card)}` : ''}
</section>
<section id="probes" aria-label="${t(lang, 'status.probes')}">
<h2>${t(lang, 'status.probes')}</h2>
${view.probes.length ? probeList(view.probes, now, lang) : none('status.noProbes')}
</section>
<section id="silences" aria-label="${t(lang, 'status.silences')}">
<h2>${t(lang, 'status.silences')}</h2>
${view.silences.length ? view.silences.map((s) => silenceRow(s, now, lang)) : none('status.noSilences')}
</section>
<section id="windows" aria-label="${t(lang, 'status.windows')}">
<h2>${t(lang, 'status.windows')}</h2>
${view.windows.length ? view.windows.map((w) => windowRow(w, now, lang)) : none('status.noWindows')}
</section>
</main>
<footer>API: <a href="/api/v1/alerts">/api/v1/alerts</a> · ${t(lang, 'status.metrics')}: <a href="/metrics">/metrics</a> · ${t(lang, 'status.health')}: <a href="/readyz">/readyz</a></footer>`;
}

function alertCard(a: AlertView, now: number, lang: Locale): SafeHtml {
  const since = a.activeSince
    ? t(lang, 'status.for', { age: age(now - Date.parse(a.activeSince)) })
    : t(lang, 'status.pendingState');
  const suppressed = a.suppressedBy.map((s) => html` <span class="badge">${s.kind}</span>`);
  const label = t(lang, 'page.acknowledgeAlert', { title: a.alertname });
  const ack = a.ack
    ? html`<p class="ack" data-acked="true">${t(lang, 'status.ackedBy', { who: a.ack.by, age: age(now - Date.parse(a.ack.at)) })}${a.ack.comment ? html` — ${a.ack.comment}` : ''}</p>`
    : a.state === 'firing'
      ? html`<p><button type="button" data-ack="${a.id}" aria-label="${label}">${t(lang, 'status.ack')}</button></p>`
      : '';
  const line = t(lang, 'status.line', {
    since,
    value: formatValue(a.value),
    op: a.op,
    threshold: formatValue(a.threshold),
    paged: a.paged.length ? a.paged.join(', ') : t(lang, 'status.nobodyYet'),
  });
  return html`<article class="card ${a.priority}" data-alert-id="${a.id}" data-state="${a.state}">
<h3><span class="badge ${a.priority}">${a.priority}</span> ${a.alertname}${a.flapping ? html` <span class="badge">${t(lang, 'status.flapping')}</span>` : ''}${suppressed}</h3>
<p>${a.summary}</p>
<p class="muted">${line}</p>
${a.notDelivered ? html`<p class="undelivered" data-undelivered="true">${t(lang, 'status.notDelivered')}</p>` : ''}
${a.deliveries.length ? html`<ul class="deliveries">${a.deliveries.map((x) => deliveryLine(x, lang))}</ul>` : ''}
<p class="labels">${labelText(a.labels)}</p>
${ack}
</article>`;
}

/** `cto · email: sent`, `cto · ops_webhook: failing, 4 attempts: ENOTFOUND smtp`. */
function deliveryLine(x: DeliveryView, lang: Locale): SafeHtml {
  const attempts =
    x.status === 'failing' || x.status === 'given-up' ? `, ${t(lang, 'status.attempts', { count: x.attempts })}` : '';
  const status = t(lang, `status.delivery.${x.status}`);
  return html`<li class="delivery ${x.status}" data-delivery="${x.status}">${x.contact} · ${x.channel}: ${status}${attempts}${x.lastError ? html`: ${x.lastError}` : ''}</li>`;
}

/** One line per probe: name, kind, state and age, then the reason it is down and its last values. */
function probeList(probes: ProbeView[], now: number, lang: Locale): SafeHtml {
  const rows = probes.map((p) => {
    const state =
      p.up === undefined
        ? html`<span class="badge">${t(lang, 'status.waiting')}</span>`
        : p.up
          ? html`<span class="badge up">${t(lang, 'status.up')}</span>`
          : html`<span class="badge down">${t(lang, 'status.down')}</span>`;
    const values = p.samples
      .slice(0, 8)
      .map((s) => html`<span class="value">${s.name}${labelSuffix(s.labels)} = ${formatValue(s.value)}</span> `);
    const more =
      p.samples.length > 8
        ? html`<span class="muted">${t(lang, 'status.moreOnMetrics', { count: p.samples.length - 8 })}</span>`
        : '';
    const ran = p.lastRunAt ? t(lang, 'status.ago', { age: age(now - Date.parse(p.lastRunAt)) }) : '';
    return html`<li class="probe" data-probe="${p.name}">
<div><strong>${p.name}</strong> <span class="muted">${p.kind}</span> ${state} <span class="muted">${ran}</span></div>
${p.up === false && p.reason ? html`<div class="reason">${p.reason}</div>` : ''}
${values.length ? html`<div class="labels">${values}${more}</div>` : ''}
</li>`;
  });
  return html`<ul class="probes">${rows}</ul>`;
}

function silenceRow(s: SilenceView, now: number, lang: Locale): SafeHtml {
  const matchers = s.matchers.map((m) => `${m.label}${m.op}"${m.value}"`).join(', ');
  // The page lists pending silences too: one that has not started yet must not read as muting now.
  const startsAt = Date.parse(s.startsAt);
  const when =
    startsAt > now
      ? t(lang, 'status.silenceStarts', { starts: age(startsAt - now), lasts: age(Date.parse(s.endsAt) - startsAt) })
      : t(lang, 'status.silenceEnds', { ends: age(Date.parse(s.endsAt) - now) });
  return html`<div class="card" data-silence-id="${s.id}"><span class="labels">{${matchers}}</span><br>${s.reason} — ${s.createdBy}, ${when}</div>`;
}

function windowRow(w: MaintenanceView, now: number, lang: Locale): SafeHtml {
  const what =
    w.kind === 'one-shot'
      ? t(lang, 'status.windowUntil', { probes: w.probes.join(', ') })
      : (w.name ?? t(lang, 'status.windowRecurring'));
  const holds = w.matchers.length
    ? `{${w.matchers.map((m) => `${m.label}${m.op}"${m.value}"`).join(', ')}}`
    : t(lang, 'status.everyAlert');
  const atMost = t(lang, 'status.windowAtMost', { age: age(Date.parse(w.endsAt) - now) });
  const rollback = w.rollback ? html`<strong>${t(lang, 'status.windowRollback')}</strong>: ` : '';
  return html`<div class="card" data-window-id="${w.id}">${rollback}${what}${w.reason ? html` — ${w.reason}` : ''}${w.openedBy ? html` (${w.openedBy})` : ''}, ${atMost}<br><span class="labels">${t(lang, 'status.holdsBack', { what: holds })}</span></div>`;
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
 * The page's script, saying what it says in `lang`: refreshes <main> every few seconds, and acknowledges through the
 * API. It asks for the write token (and a name for the record) once per browser session, keeping them in
 * sessionStorage.
 */
export function statusScript(lang: Locale): string {
  // The catalogue's {reason} stays for the script to fill in; `<` is escaped so no text can close a script element.
  const words = JSON.stringify({
    unreachable: t(lang, 'status.unreachable', { reason: '{reason}' }),
    askToken: t(lang, 'status.askToken'),
    askName: t(lang, 'status.askName'),
    comment: t(lang, 'status.ackComment'),
    ackFailed: t(lang, 'status.ackFailed', { reason: '{reason}' }),
  }).replace(/</g, '\\u003c');
  return `'use strict';
(() => {
  const words = ${words};
  // The message line sits outside <main>, so a refresh does not wipe an ack error; a refresh error clears itself.
  const message = (text, kind) => {
    const el = document.getElementById('message');
    if (el) { el.textContent = text; el.hidden = !text; el.dataset.kind = kind || ''; }
  };
  let refreshing = false;
  async function refresh() {
    if (refreshing) return;
    refreshing = true;
    try {
      const res = await fetch(location.pathname, { headers: { accept: 'text/html' }, cache: 'no-store' });
      if (!res.ok) throw new Error('status page answered ' + res.status);
      const doc = new DOMParser().parseFromString(await res.text(), 'text/html');
      for (const sel of ['header', 'main']) {
        const next = doc.querySelector(sel);
        const cur = document.querySelector(sel);
        if (next && cur) cur.replaceWith(next);
      }
      if (document.getElementById('message')?.dataset.kind === 'refresh') message('');
    } catch (err) {
      message(words.unreachable.replace('{reason}', err.message), 'refresh');
    } finally {
      refreshing = false;
    }
  }
  async function ack(button) {
    let token = sessionStorage.getItem('centinela.token');
    if (!token) {
      token = prompt(words.askToken);
      if (!token) return;
      sessionStorage.setItem('centinela.token', token);
    }
    let by = sessionStorage.getItem('centinela.by');
    if (!by) {
      by = prompt(words.askName) || 'status page';
      sessionStorage.setItem('centinela.by', by);
    }
    button.disabled = true;
    const res = await fetch('/api/v1/alerts/' + encodeURIComponent(button.dataset.ack) + '/ack', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer ' + token },
      body: JSON.stringify({ by, comment: words.comment }),
    }).catch((err) => ({ ok: false, status: 0, json: async () => ({ error: { message: err.message } }) }));
    if (res.status === 401) sessionStorage.removeItem('centinela.token');
    if (!res.ok) {
      const body = await res.json().catch(() => ({}));
      message(words.ackFailed.replace('{reason}', (body.error && body.error.message) || 'HTTP ' + res.status));
      button.disabled = false;
      return;
    }
    message('');
    await refresh();
  }
  document.addEventListener('click', (event) => {
    const button = event.target.closest('button[data-ack]');
    if (button) ack(button);
  });
  setInterval(refresh, ${REFRESH_SECONDS * 1000});
})();
`;
}
