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
.error { color: var(--p0); font-weight: 600; }
`;
