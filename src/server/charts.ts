// The status page's pictures, as SVG written by the server (no script draws them): a bar of a probe's last runs, a
// bar of a probe's up over the last hour, and a sparkline of a watched series over the last hour with its thresholds. Colours come from the stylesheet's classes.
import { clockTime, type Locale, localTime, type Reading, t } from '../locale/locale.js';
import { formatValue } from '../units.js';
import type { RunView, SignalView } from './api-shapes.js';
import { html, type SafeHtml } from './html.js';

const RUN_WIDTH = 4;
const BAR_HEIGHT = 20;
const SPARK_WIDTH = 240;
const SPARK_HEIGHT = 64;
/** Room above and below the line, so a point at the edge of the range stays visible. */
const PAD = 3;

/** `0.1`, `12.5`, `240`: SVG coordinates with no more digits than a screen can show. */
const coord = (n: number) => String(Math.round(n * 10) / 10);

/** A bar of `slots` places: the last runs at the right end, green up, red down, each saying when and how long. */
export function runBar(runs: readonly RunView[], slots: number, lang: Locale, timezone: string): SafeHtml {
  const shown = runs.slice(-slots);
  const offset = slots - shown.length;
  const rects = shown.map((r, i) => {
    const title = t(lang, r.up ? 'chart.runUp' : 'chart.runDown', {
      time: localTime(Date.parse(r.at), timezone),
      seconds: formatValue(r.durationSeconds, 'seconds', lang),
    });
    return html`<rect class="run ${r.up ? 'up' : 'down'}" x="${(offset + i) * RUN_WIDTH}" y="0" width="${RUN_WIDTH - 1}" height="${BAR_HEIGHT}" rx="1"><title>${title}</title></rect>`;
  });
  // The places no run has filled yet, in grey, so a young probe's bar reads as young rather than short.
  const empty = Array.from(
    { length: offset },
    (_, i) =>
      html`<rect class="run none" x="${i * RUN_WIDTH}" y="0" width="${RUN_WIDTH - 1}" height="${BAR_HEIGHT}" rx="1"></rect>`,
  );
  const label = t(lang, 'chart.runsLabel', { count: shown.length, down: shown.filter((r) => !r.up).length });
  return html`<svg class="runs" data-runs="${shown.length}" viewBox="0 0 ${slots * RUN_WIDTH} ${BAR_HEIGHT}" preserveAspectRatio="none" role="img" aria-label="${label}">${empty}${rects}</svg>`;
}

/**
 * A series over [now − span, now]: its points as a line, each threshold as a dashed line in its priority's colour, a
 * faint line at each quarter of the span, and under it the local times of its start, middle and end (HTML, so the
 * text is not stretched with the picture). The vertical range takes in the points and every threshold, so a line
 * below its threshold is seen to be below it.
 */
export function sparkline(signal: SignalView, now: number, span: number, reading: Reading): SafeHtml {
  const lang = reading.locale;
  const values = signal.points.map((p) => p.value);
  const levels = signal.thresholds.map((th) => th.value);
  const all = [...values, ...levels];
  let lo = all.reduce((a, b) => Math.min(a, b), 0);
  let hi = all.reduce((a, b) => Math.max(a, b), Number.NEGATIVE_INFINITY);
  if (!(hi > lo)) {
    lo -= 1;
    hi += 1;
  }
  const x = (at: string) => ((Date.parse(at) - (now - span)) / span) * SPARK_WIDTH;
  const y = (v: number) => SPARK_HEIGHT - PAD - ((v - lo) / (hi - lo)) * (SPARK_HEIGHT - 2 * PAD);
  const line = signal.points.map((p) => `${coord(x(p.at))},${coord(y(p.value))}`).join(' ');
  const rules = signal.thresholds.map((th) => {
    const title = `${th.priority} ${th.op} ${formatValue(th.value, signal.unit, lang)} (${th.alertname})`;
    return html`<line class="threshold ${th.priority}" x1="0" x2="${SPARK_WIDTH}" y1="${coord(y(th.value))}" y2="${coord(y(th.value))}"><title>${title}</title></line>`;
  });
  const grid = [1, 2, 3].map(
    (q) =>
      html`<line class="grid" x1="${(q * SPARK_WIDTH) / 4}" x2="${(q * SPARK_WIDTH) / 4}" y1="0" y2="${SPARK_HEIGHT}"></line>`,
  );
  // A lone point draws no line: a dot shows it.
  const only = signal.points.length === 1 ? signal.points[0] : undefined;
  const label = t(lang, 'chart.sparkLabel', { count: signal.points.length });
  return html`<svg class="spark" data-points="${signal.points.length}" viewBox="0 0 ${SPARK_WIDTH} ${SPARK_HEIGHT}" preserveAspectRatio="none" role="img" aria-label="${label}">${grid}${rules}${signal.points.length > 1 ? html`<polyline class="line" points="${line}"></polyline>` : ''}${only ? html`<circle class="dot" cx="${coord(x(only.at))}" cy="${coord(y(only.value))}" r="2"></circle>` : ''}</svg>${timeAxis(now, span, reading)}`;
}

/**
 * A probe's `up` over [now − span, now], one place per step at its time: red where a run of the step was down, green
 * where all were up, nothing where none ran; under it the local times of its start, middle and end.
 */
export function stateBar(signal: SignalView, now: number, span: number, reading: Reading): SafeHtml {
  const lang = reading.locale;
  const step = (signal.stepSeconds * 1000 * SPARK_WIDTH) / span;
  const rects = signal.points.map((p) => {
    const at = Date.parse(p.at);
    const up = p.value > 0;
    const title = t(lang, up ? 'chart.stepUp' : 'chart.stepDown', { time: localTime(at, reading.timezone) });
    return html`<rect class="run ${up ? 'up' : 'down'}" x="${coord(((at - (now - span)) / span) * SPARK_WIDTH)}" y="0" width="${coord(step * 0.8)}" height="${BAR_HEIGHT}"><title>${title}</title></rect>`;
  });
  const down = signal.points.filter((p) => p.value <= 0).length;
  const label = t(lang, 'chart.stepsLabel', { count: signal.points.length, down });
  return html`<svg class="runs steps" data-steps="${signal.points.length}" viewBox="0 0 ${SPARK_WIDTH} ${BAR_HEIGHT}" preserveAspectRatio="none" role="img" aria-label="${label}">${rects}</svg>${timeAxis(now, span, reading)}`;
}

/** Under a picture of [now − span, now]: its start, middle and end in HH:MM on the reader's clock (the zone's offset is on the page's header). */
function timeAxis(now: number, span: number, reading: Reading): SafeHtml {
  const clock = (at: number) => clockTime(at, reading.timezone);
  return html`<div class="axis" aria-hidden="true"><span>${clock(now - span)}</span><span>${clock(now - span / 2)}</span><span>${clock(now)}</span></div>`;
}
