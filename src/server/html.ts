// Server-rendered HTML: an escaping template tag and the page shell shared by the status page and the ack-link pages.
import type { Locale } from '../locale/locale.js';
import { escapeHtml } from '../notifiers/html.js';

/** Markup that is already safe to emit; only `html` and `page` produce it. */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

function render(value: unknown): string {
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === undefined || value === null || value === false) return '';
  return escapeHtml(String(value));
}

/**
 * Template tag that escapes every interpolated value unless it is SafeHtml (or an array of them), so nothing a
 * target, a label or a config file says can become markup.
 */
export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += render(values[i]) + (strings[i + 1] ?? '');
  return new SafeHtml(out);
}

/** Content-Security-Policy for our pages: our own script and stylesheet only, no inline code, no framing. */
export const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** A whole page in `lang`: phone-friendly viewport, the shared stylesheet, optional script. */
export function page(opts: {
  lang: Locale;
  title: string;
  body: SafeHtml;
  script?: string;
  noscriptRefresh?: number;
}): string {
  return html`<!doctype html>
<html lang="${opts.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${opts.title}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/centinela.css">
${opts.noscriptRefresh ? html`<noscript><meta http-equiv="refresh" content="${opts.noscriptRefresh}"></noscript>` : ''}
${opts.script ? html`<script src="${opts.script}" defer></script>` : ''}
</head>
<body>
${opts.body}
</body>
</html>
`.value;
}

/** The stylesheet of every page: readable on a phone, no framework. */
export const STYLESHEET = `
:root { color-scheme: light dark; --bg: #fafafa; --fg: #1d1d1f; --muted: #6b6b70; --card: #fff; --line: #e2e2e6;
  --p0: #c62828; --p1: #ef6c00; --p2: #f9a825; --p3: #1565c0; --ok: #2e7d32; }
@media (prefers-color-scheme: dark) { :root { --bg: #141416; --fg: #ececef; --muted: #9a9aa2; --card: #1e1e22; --line: #333338; } }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: var(--bg); color: var(--fg); }
header, main, footer { max-width: 60rem; margin: 0 auto; padding: 0.75rem 1rem; }
header h1 { font-size: 1.25rem; margin: 0; }
header p, footer, .muted { color: var(--muted); font-size: 0.875rem; }
header p:last-child { margin-bottom: 0; }
/* What opens a page or a column starts at its top, not 1.5rem down. */
#alerts > h2:first-child, main.timeline-page > .card:first-child { margin-top: 0; }
.card > h2:first-child { margin-top: 0; }
h2 { font-size: 1.05rem; margin: 1.5rem 0 0.5rem; }
.card { background: var(--card); border: 1px solid var(--line); border-left: 6px solid var(--line); border-radius: 8px; padding: 0.75rem; margin: 0.5rem 0; }
.card.P0 { border-left-color: var(--p0); } .card.P1 { border-left-color: var(--p1); }
.card.P2 { border-left-color: var(--p2); } .card.P3 { border-left-color: var(--p3); }
.card h3 { font-size: 1rem; margin: 0 0 0.25rem; overflow-wrap: anywhere; }
.badge { display: inline-block; font-size: 0.75rem; font-weight: 600; padding: 0.05rem 0.45rem; border-radius: 999px; background: var(--line); }
.badge.P0 { background: var(--p0); color: #fff; } .badge.P1 { background: var(--p1); color: #fff; }
.badge.P2 { background: var(--p2); color: #000; } .badge.P3 { background: var(--p3); color: #fff; }
.badge.up { background: var(--ok); color: #fff; } .badge.down { background: var(--p0); color: #fff; }
.labels { font-family: ui-monospace, monospace; font-size: 0.8rem; color: var(--muted); overflow-wrap: anywhere; }
ul.probes { list-style: none; margin: 0; padding: 0; }
li.probe { padding: 0.45rem 0; border-bottom: 1px solid var(--line); overflow-wrap: anywhere; }
li.probe .reason { font-size: 0.85rem; margin-top: 0.15rem; }
li.probe .value { display: inline-block; margin-right: 0.6rem; }
button { font: inherit; padding: 0.45rem 1rem; border-radius: 6px; border: 1px solid var(--line); background: var(--p0); color: #fff; cursor: pointer; }
button:disabled { opacity: 0.5; }
.ack { color: var(--ok); font-weight: 600; }
.undelivered { color: var(--p0); font-weight: 700; }
ul.deliveries { list-style: none; margin: 0.25rem 0; padding: 0; font-size: 0.85rem; overflow-wrap: anywhere; }
li.delivery.failing, li.delivery.given-up { color: var(--p0); } li.delivery.queued { color: var(--muted); }
ul.contacts { list-style: none; margin: 0.25rem 0 0; padding: 0; font-size: 0.9rem; overflow-wrap: anywhere; }
li.contact.reached { color: var(--ok); } li.contact.failing, li.contact.given-up { color: var(--p0); font-weight: 600; }
details.deliveries summary { font-size: 0.8rem; color: var(--muted); cursor: pointer; }
.error { color: var(--p0); font-weight: 600; }
a { color: inherit; }
.card h3 a { text-decoration: none; } .card h3 a:hover { text-decoration: underline; }
.badge.held { background: var(--muted); color: var(--bg); }
form.ack-form { margin: 0.5rem 0 0; }
form.ack-form .ack-row { display: flex; gap: 0.5rem; }
form.ack-form .ack-row input { flex: 1; min-width: 0; }
input { font: inherit; padding: 0.4rem 0.5rem; border-radius: 6px; border: 1px solid var(--line); background: var(--bg); color: var(--fg); }
fieldset.login { border: 1px solid var(--line); border-radius: 6px; margin: 0 0 0.5rem; padding: 0.5rem; display: grid; gap: 0.4rem; }
fieldset.login label { display: grid; gap: 0.15rem; font-size: 0.85rem; }
fieldset.login legend { font-size: 0.85rem; color: var(--muted); }
fieldset[hidden] { display: none; }
.history { margin: 0.35rem 0 0.15rem; }
svg.runs { display: block; width: 100%; height: 20px; }
rect.run.up { fill: var(--ok); } rect.run.down { fill: var(--p0); } rect.run.none { fill: var(--line); }
.uptime { display: block; text-align: right; }
li.probe .reason dl.kv { margin-top: 0.1rem; }
/* A key takes what it needs up to 60 % of the width and wraps beyond (connections{state="idle in transaction (aborted)"});
   the value keeps the rest and wraps only where it must, so neither pushes the page wider than a phone. */
dl.kv { display: grid; grid-template-columns: fit-content(60%) minmax(0, 1fr); gap: 0 0.75rem; margin: 0.25rem 0 0; font-size: 0.85rem; }
dl.kv div { display: contents; }
dl.kv dt { color: var(--muted); font-family: ui-monospace, monospace; overflow-wrap: anywhere; min-width: 0; }
dl.kv dd { margin: 0; font-variant-numeric: tabular-nums; overflow-wrap: anywhere; min-width: 0; }
.signals { display: grid; grid-template-columns: repeat(auto-fill, minmax(14rem, 1fr)); gap: 0.5rem; }
figure.signal { margin: 0; background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 0.5rem; min-width: 0; }
figure.signal figcaption { display: flex; justify-content: space-between; gap: 0.5rem; font-size: 0.8rem; }
figure.signal figcaption .labels { overflow-wrap: anywhere; min-width: 0; }
figure.signal figcaption strong { white-space: nowrap; }
figure.signal figcaption strong.stale { color: var(--p0); white-space: normal; }
.card figure.signal { margin: 0.4rem 0; }
svg.spark { display: block; width: 100%; height: 64px; }
svg.spark line.grid { stroke: var(--line); stroke-width: 1; vector-effect: non-scaling-stroke; }
.axis { display: flex; justify-content: space-between; font-size: 0.7rem; color: var(--muted); font-variant-numeric: tabular-nums; }
svg.spark polyline.line { fill: none; stroke: var(--fg); stroke-width: 1.5; vector-effect: non-scaling-stroke; }
svg.spark circle.dot { fill: var(--fg); }
svg.spark line.threshold { stroke-width: 1; stroke-dasharray: 4 3; vector-effect: non-scaling-stroke; }
line.threshold.P0 { stroke: var(--p0); } line.threshold.P1 { stroke: var(--p1); }
line.threshold.P2 { stroke: var(--p2); } line.threshold.P3 { stroke: var(--p3); }
.thresholds { margin: 0.15rem 0 0; font-size: 0.75rem; }
ul.incidents { list-style: none; margin: 0; padding: 0; }
li.incident { padding: 0.4rem 0; border-bottom: 1px solid var(--line); font-size: 0.9rem; overflow-wrap: anywhere; }
ol.timeline { list-style: none; margin: 0; padding: 0 0 0 1rem; border-left: 2px solid var(--line); }
ol.timeline li { margin: 0 0 0.6rem; position: relative; overflow-wrap: anywhere; }
ol.timeline li::before { content: ""; position: absolute; left: -1.4rem; top: 0.45rem; width: 0.6rem; height: 0.6rem; border-radius: 50%; background: var(--muted); }
ol.timeline li.state-firing::before, ol.timeline li.failed::before, ol.timeline li.failover::before { background: var(--p0); }
ol.timeline li.delivered::before, ol.timeline li.ack::before, ol.timeline li.state-resolved::before { background: var(--ok); }
ol.timeline time { display: block; font-variant-numeric: tabular-nums; color: var(--muted); font-size: 0.8rem; }
/* The step's kind is a class; an acknowledgement reads as the other steps, its dot says it is good news. */
ol.timeline li.ack { color: inherit; font-weight: inherit; }
pre.diagnosis { white-space: pre-wrap; overflow-wrap: anywhere; font-size: 0.8rem; background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 0.5rem; }
/* Phone: one column, what is broken first. Desktop: alerts (and their recent past) first, probes and signals beside. */
main.console { display: flex; flex-direction: column; }
main.console .column { display: contents; }
#alerts { order: 1; } #probes { order: 2; } #signals { order: 3; } #incidents { order: 4; } #silences { order: 5; } #windows { order: 6; }
@media (min-width: 900px) {
  body:has(main.console) > header, body:has(main.console) > footer, main.console { max-width: 90rem; }
  #probes > h2:first-child { margin-top: 0; }
  main.console { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 0 1.5rem; align-items: start; }
  main.console .column { display: block; }
}
`;
