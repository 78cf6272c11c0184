// The status page at `/`: firing alerts with who was paged and an Ack button, probes with their last values,
// active silences and maintenance windows. Server-rendered, no build step, readable on a phone, refreshes itself.

import { age } from '../duration.js';
import type { AlertView, DeliveryView, MaintenanceView, ProbeView, SilenceView, StatusView } from './api-shapes.js';
import { html, type SafeHtml } from './html.js';

/** How often the page refreshes itself (the script fetches `/` again and swaps <main>). */
export const REFRESH_SECONDS = 5;

/** The page body for a status view; `now` (epoch ms) is used for ages. */
export function renderStatus(view: StatusView, now: number): SafeHtml {
  const firing = view.alerts.filter((a) => a.state === 'firing');
  const pending = view.alerts.filter((a) => a.state === 'pending');
  const down = view.probes.filter((p) => p.up === false);
  return html`<header>
<h1>centinela</h1>
<p>${firing.length} firing · ${pending.length} pending · ${down.length} of ${view.probes.length} probes down · updated <time datetime="${view.generatedAt}">${view.generatedAt.slice(11, 19)} UTC</time></p>
</header>
<p id="message" role="status" class="error" hidden></p>
<main data-generated-at="${view.generatedAt}">
<section id="alerts" aria-label="Alerts">
<h2>Firing alerts</h2>
${firing.length ? firing.map((a) => alertCard(a, now)) : html`<p class="muted">Nothing is firing.</p>`}
${pending.length ? html`<h2>Pending</h2>${pending.map((a) => alertCard(a, now))}` : ''}
</section>
<section id="probes" aria-label="Probes">
<h2>Probes</h2>
${view.probes.length ? probeList(view.probes, now) : html`<p class="muted">No probes configured.</p>`}
</section>
<section id="silences" aria-label="Silences">
<h2>Silences</h2>
${view.silences.length ? view.silences.map((s) => silenceRow(s, now)) : html`<p class="muted">No active or upcoming silences.</p>`}
</section>
<section id="windows" aria-label="Maintenance windows">
<h2>Maintenance windows</h2>
${view.windows.length ? view.windows.map((w) => windowRow(w, now)) : html`<p class="muted">No open maintenance windows.</p>`}
</section>
</main>
<footer>API: <a href="/api/v1/alerts">/api/v1/alerts</a> · metrics: <a href="/metrics">/metrics</a> · health: <a href="/readyz">/readyz</a></footer>`;
}

function alertCard(a: AlertView, now: number): SafeHtml {
  const since = a.activeSince ? html`for ${age(now - Date.parse(a.activeSince))}` : 'pending';
  const suppressed = a.suppressedBy.map((s) => html` <span class="badge">${s.kind}</span>`);
  const ack = a.ack
    ? html`<p class="ack" data-acked="true">Acknowledged by ${a.ack.by} ${age(now - Date.parse(a.ack.at))} ago${a.ack.comment ? html` — ${a.ack.comment}` : ''}</p>`
    : a.state === 'firing'
      ? html`<p><button type="button" data-ack="${a.id}" aria-label="Acknowledge ${a.alertname}">Ack</button></p>`
      : '';
  return html`<article class="card ${a.priority}" data-alert-id="${a.id}" data-state="${a.state}">
<h3><span class="badge ${a.priority}">${a.priority}</span> ${a.alertname}${a.flapping ? html` <span class="badge">flapping</span>` : ''}${suppressed}</h3>
<p>${a.summary}</p>
<p class="muted">${since} · value ${formatValue(a.value)} (${a.op} ${formatValue(a.threshold)}) · paged: ${a.paged.length ? a.paged.join(', ') : 'nobody yet'}</p>
${a.notDelivered ? html`<p class="undelivered" data-undelivered="true">Not delivered: no page has reached anyone yet</p>` : ''}
${a.deliveries.length ? html`<ul class="deliveries">${a.deliveries.map(deliveryLine)}</ul>` : ''}
<p class="labels">${labelText(a.labels)}</p>
${ack}
</article>`;
}

/** `cto · email: sent`, `cto · ops_webhook: failing, 4 attempts: ENOTFOUND smtp`. */
function deliveryLine(x: DeliveryView): SafeHtml {
  const attempts = x.status === 'failing' || x.status === 'given-up' ? `, ${x.attempts} attempts` : '';
  return html`<li class="delivery ${x.status}" data-delivery="${x.status}">${x.contact} · ${x.channel}: ${x.status}${attempts}${x.lastError ? html`: ${x.lastError}` : ''}</li>`;
}

/** One line per probe: name, kind, state and age, then the reason it is down and its last values. */
function probeList(probes: ProbeView[], now: number): SafeHtml {
  const rows = probes.map((p) => {
    const state =
      p.up === undefined
        ? html`<span class="badge">waiting</span>`
        : p.up
          ? html`<span class="badge up">up</span>`
          : html`<span class="badge down">down</span>`;
    const values = p.samples
      .slice(0, 8)
      .map((s) => html`<span class="value">${s.name}${labelSuffix(s.labels)} = ${formatValue(s.value)}</span> `);
    const more = p.samples.length > 8 ? html`<span class="muted">+${p.samples.length - 8} more on /metrics</span>` : '';
    return html`<li class="probe" data-probe="${p.name}">
<div><strong>${p.name}</strong> <span class="muted">${p.kind}</span> ${state} <span class="muted">${p.lastRunAt ? html`${age(now - Date.parse(p.lastRunAt))} ago` : ''}</span></div>
${p.up === false && p.reason ? html`<div class="reason">${p.reason}</div>` : ''}
${values.length ? html`<div class="labels">${values}${more}</div>` : ''}
</li>`;
  });
  return html`<ul class="probes">${rows}</ul>`;
}

function silenceRow(s: SilenceView, now: number): SafeHtml {
  const matchers = s.matchers.map((m) => `${m.label}${m.op}"${m.value}"`).join(', ');
  // The page lists pending silences too: one that has not started yet must not read as muting now.
  const startsAt = Date.parse(s.startsAt);
  const when =
    startsAt > now
      ? `starts in ${age(startsAt - now)}, lasts ${age(Date.parse(s.endsAt) - startsAt)}`
      : `ends in ${age(Date.parse(s.endsAt) - now)}`;
  return html`<div class="card" data-silence-id="${s.id}"><span class="labels">{${matchers}}</span><br>${s.reason} — ${s.createdBy}, ${when}</div>`;
}

function windowRow(w: MaintenanceView, now: number): SafeHtml {
  const what = w.kind === 'one-shot' ? `until ${w.probes.join(', ')} pass again` : (w.name ?? 'recurring');
  const holds = w.matchers.length
    ? `{${w.matchers.map((m) => `${m.label}${m.op}"${m.value}"`).join(', ')}}`
    : 'every alert';
  // A rollback is told apart at a glance: the deploy before it failed.
  const rollback = w.rollback ? html`<strong class="rollback">rollback</strong> ` : '';
  return html`<div class="card" data-window-id="${w.id}">${rollback}${what}${w.reason ? html` — ${w.reason}` : ''}${w.openedBy ? html` (${w.openedBy})` : ''}, at most ${age(Date.parse(w.endsAt) - now)} more<br><span class="labels">holds back ${holds}</span></div>`;
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

/** The login form shown instead of the page when reads need a token and the browser has none. */
export function renderLogin(error?: string): SafeHtml {
  return html`<header><h1>centinela</h1></header>
<main>
<p>This server needs its read token to show the status page.</p>
${error ? html`<p class="error">${error}</p>` : ''}
<form method="post" action="/-/login">
<label>Token <input type="password" name="token" autocomplete="current-password" required></label>
<button type="submit">Show status</button>
</form>
</main>`;
}

/**
 * The page's script: refreshes <main> every few seconds, and acknowledges through the API. It asks for the write
 * token (and a name for the record) once per browser session, keeping them in sessionStorage.
 */
export const STATUS_SCRIPT = `'use strict';
(() => {
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
      message('Cannot reach centinela: ' + err.message + '. Retrying.', 'refresh');
    } finally {
      refreshing = false;
    }
  }
  async function ack(button) {
    let token = sessionStorage.getItem('centinela.token');
    if (!token) {
      token = prompt('Write token (server.write_token) to acknowledge alerts:');
      if (!token) return;
      sessionStorage.setItem('centinela.token', token);
    }
    let by = sessionStorage.getItem('centinela.by');
    if (!by) {
      by = prompt('Your name, for the record:') || 'status page';
      sessionStorage.setItem('centinela.by', by);
    }
    button.disabled = true;
    const res = await fetch('/api/v1/alerts/' + encodeURIComponent(button.dataset.ack) + '/ack', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer ' + token },
      body: JSON.stringify({ by, comment: 'from the status page' }),
    }).catch((err) => ({ ok: false, status: 0, json: async () => ({ error: { message: err.message } }) }));
    if (res.status === 401) sessionStorage.removeItem('centinela.token');
    if (!res.ok) {
      const body = await res.json().catch(() => ({}));
      message('Ack failed: ' + ((body.error && body.error.message) || 'HTTP ' + res.status));
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
