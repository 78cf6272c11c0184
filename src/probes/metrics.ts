// The `metrics` probe: scrapes a Prometheus (0.0.4) or OpenMetrics exposition and computes what PromQL would over a
// window of its own scrapes: histogram quantiles, request rates, error percentages, and gauges.
//
// How a run computes, and where it differs from Prometheus:
// - Each successful scrape is stamped with clock.now(); exposition timestamps are ignored. The probe keeps, per
//   series its config asks for, the (time, value) points of the scrapes inside `window` (left-open, like a
//   Prometheus 3 range). A series missing from a scrape is dropped at once (Prometheus would keep its older points
//   until they leave the range); one that comes back starts over.
// - Rates are Prometheus' rate() (histogram.ts), with one deliberate difference: while the probe has watched for
//   less than `window` (since its first scrape, a gap with no successful scrape for a whole window, or the clock going
//   back), the range starts at that first scrape instead of `window` ago. Prometheus divides by the full window
//   there, so a fresh start or `centinela probe` (two scrapes 5 s apart) would report a fraction of the real rate. Once the
//   probe has watched a full window, the numbers are Prometheus' numbers for samples taken at the same instants.
// - histograms: histogram_quantile(q, sum by (le, <by>) (rate(<metric>_bucket{<match>}[window]))).
//   rates: sum by (<by>) (rate(<metric>{<match>}[window])).
//   error_rates: 100 × sum by (<by>) (rate of the series whose status label matches error_status, anchored)
//   / sum by (<by>) (rate of all of them); a group with traffic but no error series at all is 0 %, not "no data".
//   gauges: sum by (<by>) (<metric>{<match>}) from the last scrape.
// - An item with `window: scrape` computes the same over the last interval instead: each series' rate between the
//   last two scrapes, (v₁ − v₀) / (t₁ − t₀) with a reset counting from zero, like PromQL's irate(). A short,
//   noisy view that follows a change within one run, for a rule's fast path (docs/rules.md).
// - A value PromQL would give as NaN (no observations in the window, no requests, a NaN in the exposition) is not
//   emitted as a sample; the detail says which and why, so a rule sees "no data", never a NaN compared to a threshold.
// - The first scrape (or the first after a gap, or after the clock went back) yields only gauges; its detail says
//   "warming up", and that is not a cannotMeasure. A configured metric absent from the exposition, a series
//   selection that matches nothing, an exposition that does not parse, a selected series twice in one scrape
//   (Prometheus refuses that scrape too), a
//   body over max_body_bytes, more selected series than max_series, a label value too long for the regex of match
//   or the error_status that reads it, and a 401/403 are cannotMeasure with `up: true`:
//   the target answered, centinela cannot read it. No answer, or another non-2xx status, is `up: false`.
// - Bounded: the body is read up to max_body_bytes and parsed a block at a time with turns of the event loop in
//   between (exposition.ts); only the selected series are kept, at most max_series of them. Label values are matched
//   once (a run computes over what the scrape selected), in the parser's flush after each block: a regex's worst is
//   its instructions times the value's characters, so a series whose regexes would cost more than SERIES_COST
//   refuses the scrape, and the loop turns whenever IN_LOOP_COST has been matched since it last did.

import { setImmediate as loopTurn } from 'node:timers/promises';
import { type MetricsProbeConfig, probeRegex } from '../config/probes.js';
import { Secret } from '../config/secret.js';
import { formatDuration } from '../duration.js';
import { characters, EXCERPT_CHARS, excerpt, quoted } from '../excerpt.js';
import { type Matcher, matchesAll, selectorText } from '../matchers.js';
import type { Regex } from '../regex.js';
import { labelValue, type Sample } from '../types.js';
import {
  ExpositionError,
  type ExpositionHandler,
  type ExpositionSample,
  PLAIN_LABEL_NAME,
  PLAIN_METRIC_NAME,
  parseExposition,
  parseNumber,
} from './exposition.js';
import { type Bucket, bucketQuantile, type Point, type Range, rate } from './histogram.js';
import { answerPreview, encodedBody, HttpClient, PREVIEW_BYTES, readCapped } from './http-client.js';
import { describeFailure } from './net-failure.js';
import { IN_LOOP_COST } from './pattern-match.js';
import { defineProbe, type ProbeResult, sample } from './probe.js';

/** Prefer the classic format (no _created lines to skip); take OpenMetrics from servers that only speak it. */
const ACCEPT = 'text/plain;version=0.0.4;q=0.9,application/openmetrics-text;version=1.0.0;q=0.5,*/*;q=0.1';

/** What an item's rates are taken over: the probe's window, or the last interval between two scrapes. */
interface Span {
  /** How messages say it: `in the last 5m`. */
  text: string;
  rate(s: Series): number | undefined;
}

/**
 * `window: scrape`: the rate between a series' last two points, which are the last two scrapes (a series missing
 * from a scrape starts over, so its points come from consecutive successful scrapes).
 */
const LAST_INTERVAL: Span = {
  text: 'since the previous scrape',
  rate(s) {
    const last = s.points.slice(-2);
    if (last.length < 2) return undefined;
    return rate(last, { start: (last[0] as Point).t, end: (last[1] as Point).t });
  },
};

/** Series one configured item reads: a sample name and label matchers. */
interface Selection {
  /** Sample name in the exposition (`x_bucket` for a histogram). */
  sample: string;
  match: readonly Matcher[];
  /** `match` apart: its `=` and `!=` matchers, which cost little, and its regexes, which cost their size per character. */
  plain: readonly Matcher[];
  regexes: readonly Matcher[];
  /** error_rates: the status label and error_status, which the scrape matches too (isError). */
  status?: { label: string; regex: Regex };
  /** Family names a `# TYPE` line may give it: declared but without series yet is not "not found". */
  families: readonly string[];
  /** The name the config wrote, for messages. */
  metric: string;
}

interface Series {
  name: string;
  labels: Record<string, string>;
  /**
   * The selections that took it when it was read (the parse's sample()): a run reads them, never matching the labels
   * again.
   */
  selections: readonly Selection[];
  /** Those of them whose error_status its status matched (isError). */
  errors: readonly Selection[];
  points: Point[];
}

/** What one scrape saw of the selections. */
interface Scraped {
  /** By series key; `pairs` is the sorted labels as JSON, the key without the name; `line` where it was read. */
  current: Map<
    string,
    Pick<Series, 'name' | 'labels' | 'selections' | 'errors'> & { pairs: string; value: number; line: number }
  >;
  seen: Set<string>;
  declared: Set<string>;
  lines: number;
  bytes: number;
}

export default defineProbe({
  kind: 'metrics',
  needsTwoRuns: true,
  create(config) {
    // Our Accept first, so a header of the same name in the config wins.
    const client = new HttpClient({ ...config, headers: { accept: new Secret(ACCEPT), ...config.headers } });
    const histograms = config.histograms.map((h) => ({ ...h, selection: selectionOf(h, `${h.metric}_bucket`) }));
    const rates = config.rates.map((r) => ({ ...r, selection: selectionOf(r, r.metric) }));
    const errorRates = config.error_rates.map((e) => ({
      ...e,
      selection: selectionOf(e, e.metric, { label: e.status_label, regex: probeRegex(e.error_status) }),
    }));
    const gauges = config.gauges.map((g) => ({ ...g, selection: selectionOf(g, g.metric) }));
    const selections = [...histograms, ...rates, ...errorRates, ...gauges].map((i) => i.selection);
    const wanted = wantedOf(selections);
    const window = formatDuration(config.window);

    const history = new Map<string, Series>();
    /** Runs started, so that a run given up on (its timeout passed) stops at its next step once another started. */
    let runs = 0;
    let lastScrapeAt: number | undefined;
    let watchingSince = 0;

    return {
      async run({ signal, clock }): Promise<ProbeResult> {
        const now = clock.now(); // like Prometheus, a scrape is stamped with its start
        const mine = ++runs;
        const outcome = await scrape(client, wanted, config, signal);
        if (!('current' in outcome)) return outcome;
        // The history is changed a step at a time from here: a run stopped, or given up on while a newer one runs,
        // must not go on changing it (its older points after the newer run's read as a counter reset, review r13m).
        const goOn = () => {
          signal.throwIfAborted();
          if (mine !== runs) throw new Error('a newer run of this probe started');
        };
        goOn();
        // The clock going back (a wall clock stepped) also starts over: points of the old time after the new ones
        // made negative rates until they left the window (review r13p).
        const clockBack = lastScrapeAt !== undefined && lastScrapeAt > now;
        const warmingUp = lastScrapeAt === undefined || lastScrapeAt <= now - config.window || clockBack;
        const notes: string[] = [];
        if (warmingUp) {
          notes.push(
            lastScrapeAt === undefined
              ? 'warming up: first scrape'
              : clockBack
                ? 'warming up: the clock went back since the last scrape'
                : `warming up: no successful scrape in the ${window} before this one`,
          );
        }
        const pace = new Pace(goOn);
        await record(history, outcome.current, now, { window: config.window, warmingUp }, pace);
        // Only a scrape recorded whole counts as one: a run stopped inside record left some series with its point and
        // others without, and the next run, not warming up after it, summed the rates of the first alone (r13n); the
        // next run warms up instead, and starts those series over.
        if (warmingUp) watchingSince = now;
        lastScrapeAt = now;
        const range: Range = { start: Math.max(now - config.window, watchingSince), end: now };
        const windowed: Span = { text: `in the last ${window}`, rate: (s) => rate(s.points, range) };
        const spanOf = (item: { window?: 'scrape' | undefined }) =>
          item.window === 'scrape' ? LAST_INTERVAL : windowed;

        // The history holds this scrape's series now (record dropped the others).
        const bySelection = await seriesBySelection(history, pace);
        const problems = selections.flatMap((s) => missing(s, outcome, bySelection, notes));
        const series = (s: Selection) => bySelection.get(s) ?? [];
        let samples: Sample[] = [];
        if (!warmingUp) {
          for (const h of histograms)
            samples = samples.concat(await quantiles(h, series(h.selection), spanOf(h), notes, pace));
          for (const r of rates)
            samples = samples.concat(await sumBy(r, series(r.selection), spanOf(r).rate, notes, pace));
          for (const e of errorRates) {
            samples = samples.concat(await errorPercents(e, series(e.selection), spanOf(e), notes, pace));
          }
        }
        for (const g of gauges) {
          samples = samples.concat(await sumBy(g, series(g.selection), (s) => s.points.at(-1)?.v, notes, pace));
        }
        const detail = [
          `scraped ${outcome.lines} lines (${outcome.bytes} bytes), kept ${history.size} series`,
          ...capped(notes, 'notes'),
        ].join('; ');
        return problems.length > 0
          ? { up: true, samples, detail, cannotMeasure: capped(problems, 'problems').join('; ') }
          : { up: true, samples, detail };
      },
      close: () => client.close(),
    };
  },
});

/**
 * Notes (or problems) a run's detail (or cannotMeasure) shows at most: there can be one per series (no requests on
 * 10,000 paths) or per selection, and the text goes into the API, the status page and every page of the alert (a
 * 1.5 MB email before this cap).
 */
const MAX_NOTES = 10;

/** The first MAX_NOTES of `texts`, and how many more there are. */
function capped(texts: string[], what: string): string[] {
  if (texts.length <= MAX_NOTES) return texts;
  return [...texts.slice(0, MAX_NOTES), `and ${texts.length - MAX_NOTES} more ${what} like these`];
}

/**
 * Series a run's computation handles between two turns of the event loop. It is a few µs a series without JIT (a
 * group's key, a rate), but every item goes over its kept series: 200 gauges over 20,000 series held the loop 3 s,
 * one gauge by a label of each 20,000 series some 200 ms (review r13l).
 */
const PACE_SERIES = 500;

/**
 * Counts the series a run's computation handles, and turns the loop after each PACE_SERIES of them; after a turn,
 * `goOn` throws when the run must stop.
 */
class Pace {
  #since = 0;
  readonly #goOn: () => void;

  constructor(goOn: () => void) {
    this.#goOn = goOn;
  }

  /**
   * A turn of the loop when PACE_SERIES have been handled since the last one; else nothing to wait for. `series` is
   * what this one counts for: a series of 1,000 labels costs as much as fifty of five.
   */
  step(series = 1): Promise<void> | undefined {
    this.#since += series;
    if (this.#since < PACE_SERIES) return undefined;
    this.#since = 0;
    return loopTurn().then(this.#goOn);
  }
}

/** What handling a series whose labels are `pairs` (their JSON) counts for in Pace. */
const seriesWeight = (pairs: string) => 1 + Math.floor(pairs.length / 200);

/** Adds the note `make` writes, or only counts it past the MAX_NOTES shown: 20,000 groups of NaN wrote 20,000. */
function addNote(notes: string[], make: () => string): void {
  notes.push(notes.length < MAX_NOTES ? make() : '');
}

/** The kept series by the selections that took them: each item reads its own, not every series. */
async function seriesBySelection(history: Map<string, Series>, pace: Pace): Promise<Map<Selection, Series[]>> {
  const by = new Map<Selection, Series[]>();
  for (const s of history.values()) {
    for (const selection of s.selections) {
      const list = by.get(selection);
      if (list) list.push(s);
      else by.set(selection, [s]);
    }
    await pace.step();
  }
  return by;
}

function selectionOf(
  item: { metric: string; match?: Matcher[] | undefined },
  sample: string,
  status?: Selection['status'],
): Selection {
  const families = sample.endsWith('_total') ? [sample, sample.slice(0, -'_total'.length)] : [item.metric];
  const match = item.match ?? [];
  const plain = match.filter((m) => m.regex === undefined);
  const regexes = match.filter((m) => m.regex !== undefined);
  return { sample, match, plain, regexes, families, metric: item.metric, ...(status && { status }) };
}

/** Whether the status of a series `s` selected is an error by its error_status (bounded by matchingCost). */
function isError(s: Selection, labels: Record<string, string>): boolean {
  return s.status?.regex.testExact(labelValue(labels, s.status.label)) === true;
}

/** Refuses the scrape when `regex` (`what`, of `s`) over the value of `label` would cost more than SERIES_COST. */
function affordable(
  what: string,
  label: string,
  regex: Regex,
  s: Selection,
  labels: Record<string, string>,
  line: number,
): void {
  const size = regex.programSize();
  const { length } = labelValue(labels, label);
  if (size * length > SERIES_COST) {
    throw new ScrapeRefused(
      `is refused at line ${line}: the label ${label} is ${length} characters, and ${what} for ${s.metric} ` +
        `(${size} instructions) would take too long over it (at most ${Math.floor(SERIES_COST / size)} characters ` +
        'for it). Write the regex smaller',
    );
  }
}

/**
 * What matching one series may cost, in instructions times characters: the regexes of every selection its plain
 * matchers let through, over its labels. A series is matched in one go, so this bounds how long the loop waits on
 * matching: three times IN_LOOP_COST, for the dearest series re2js can be made to match some 27 ms of CPU, up to
 * ~90 ms when it clears its DFA cache (review r13k). Ten selections of ~107 instructions over 280
 * characters held it 100 ms a series (review r13j); one selection of 132 instructions over a 240-character route was
 * refused at IN_LOOP_COST, and six ordinary endpoint selections (54 instructions each over 182 characters, review
 * r13i) are within it.
 */
const SERIES_COST = 3 * IN_LOOP_COST;

/**
 * What one call of a regex costs whatever the text, in the same units: ~0.85 µs under the daemon's flags, for 6 or
 * 1994 instructions alike (review r13k). Priced at nothing, two hundred regexes over a missing label matched ~9,400
 * series between two turns of the loop: seven seconds.
 */
const REGEX_CALL_COST = 3;

/**
 * What the regexes of `selections` (of the series `name` on `line`, those its plain matchers let through) cost over
 * its labels; refuses the scrape when one regex (affordable, whose words go first) or all of them together would cost
 * more than SERIES_COST: forty selections of one metric each within the bound held the loop two seconds a series.
 */
function matchingCost(
  name: string,
  selections: readonly Selection[],
  labels: Record<string, string>,
  line: number,
): number {
  let cost = 0;
  for (const s of selections) {
    for (const m of s.regexes) {
      affordable(`match.${m.label}'s regex`, m.label, m.regex as Regex, s, labels, line);
      cost += (m.regex as Regex).programSize() * labelValue(labels, m.label).length + REGEX_CALL_COST;
    }
    if (s.status) {
      affordable("error_status's regex", s.status.label, s.status.regex, s, labels, line);
      cost += s.status.regex.programSize() * labelValue(labels, s.status.label).length + REGEX_CALL_COST;
    }
  }
  if (cost > SERIES_COST) {
    const withRegexes = selections.filter((s) => s.regexes.length > 0 || s.status).length;
    const which = withRegexes === 1 ? 'the selection' : `the ${withRegexes} selections`;
    throw new ScrapeRefused(
      `is refused at line ${line}: the regexes of ${which} of ${seriesText(name, {})} would take too long over its ` +
        `labels together (${cost} instructions times characters, at most ${SERIES_COST}). Write fewer or smaller ` +
        'regexes for it',
    );
  }
  return cost;
}

/** The selections by sample name (what the parser's select() looks up), and the family names that declare them. */
interface Wanted {
  bySample: Map<string, Selection[]>;
  families: Set<string>;
}

function wantedOf(selections: readonly Selection[]): Wanted {
  const bySample = new Map<string, Selection[]>();
  for (const s of selections) bySample.set(s.sample, [...(bySample.get(s.sample) ?? []), s]);
  return { bySample, families: new Set(selections.flatMap((s) => s.families)) };
}

/** A scrape centinela will not use, for the reason in the message (a limit, a duplicate series). */
class ScrapeRefused extends Error {}

/** The body's chunks, refusing the scrape once more than `max` bytes came (the rest is never read). */
async function* upTo(body: AsyncIterable<Uint8Array>, max: number): AsyncGenerator<Uint8Array> {
  let bytes = 0;
  for await (const chunk of body) {
    bytes += chunk.byteLength;
    if (bytes > max) {
      throw new ScrapeRefused(`is larger than max_body_bytes (${max}): reading stopped at ${bytes} bytes`);
    }
    yield chunk;
  }
}

/** One GET of the exposition, parsed into the series the selections want; or the run's result when it failed. */
async function scrape(
  client: HttpClient,
  wanted: Wanted,
  limits: Pick<MetricsProbeConfig, 'max_body_bytes' | 'max_series'>,
  signal: AbortSignal,
): Promise<Scraped | ProbeResult> {
  const scraped: Scraped = { current: new Map(), seen: new Set(), declared: new Set(), lines: 0, bytes: 0 };
  const at = `${client.endpoint.host}:${client.endpoint.port}`;
  const refused = (why: string): ProbeResult => ({
    up: true,
    samples: [],
    cannotMeasure: `exposition from ${at} ${why}`,
  });
  try {
    const response = await client.send({ signal });
    const { statusCode } = response;
    if (statusCode < 200 || statusCode > 299) {
      const { bytes } = await readCapped(response.body, PREVIEW_BYTES + 1);
      const reason = `status ${statusCode} from ${at}${answerPreview(response.headers, bytes)}`;
      // The target is up and refused us: that is a credentials problem to raise, not an outage.
      return statusCode === 401 || statusCode === 403
        ? { up: true, samples: [], cannotMeasure: reason }
        : { up: false, reason };
    }
    const encoded = encodedBody(response.headers);
    if (encoded) {
      await response.body.dump();
      return refused(`cannot be read: ${encoded}`);
    }
    const contentType = String(response.headers['content-type'] ?? '');
    const length = Number(response.headers['content-length']);
    if (length > limits.max_body_bytes) {
      await response.body.dump(); // reads a few KiB to keep the connection, or closes it
      return refused(`is ${length} bytes, more than max_body_bytes (${limits.max_body_bytes}); not read`);
    }
    const summary = await parseExposition(
      upTo(response.body, limits.max_body_bytes),
      scrapeHandler(scraped, wanted, limits.max_series, signal),
      { openMetrics: contentType.toLowerCase().startsWith('application/openmetrics-text') },
    );
    scraped.lines = summary.lines;
    scraped.bytes = summary.bytes;
    return scraped;
  } catch (err) {
    if (err instanceof ScrapeRefused && !signal.aborted) return refused(err.message);
    if (err instanceof ExpositionError && !signal.aborted) return refused(`does not parse: ${err.message}`);
    return { up: false, reason: describeFailure(err, signal, client.endpoint) };
  }
}

/** A series of a wanted name that the plain matchers let through, its regexes still to match. */
interface Candidate {
  sample: ExpositionSample;
  line: number;
  selections: Selection[];
}

/**
 * What looking at one selection for a series costs in the units of IN_LOOP_COST, about three regex calls: its plain
 * matchers and, when it takes the series, its regexes' list, its error_status and its place in the lists. Priced at
 * nothing, two hundred selections over a block's lines held the loop; at one call, twenty over 20,000 series ~100 ms.
 */
const SELECTION_COST = 10;

/**
 * The parser's handler for one scrape into `scraped`: the lines of the wanted names are matched in the parser's
 * flush (after each block), each series in one go (matchingCost bounds its regexes), and the loop turns between
 * series once IN_LOOP_COST has been spent since it last did.
 */
function scrapeHandler(
  scraped: Scraped,
  { bySample, families }: Wanted,
  maxSeries: number,
  signal: AbortSignal,
): ExpositionHandler {
  const pending: { sample: ExpositionSample; line: number }[] = [];
  return {
    select(name) {
      if (!bySample.has(name)) return false;
      scraped.seen.add(name);
      return true;
    },
    sample(sample, line) {
      pending.push({ sample, line });
    },
    type(family) {
      if (families.has(family)) scraped.declared.add(family);
    },
    async flush() {
      // A stopped run matches nothing more: its result is the stop (scrape's catch), never part of the series.
      signal.throwIfAborted();
      let spent = 0;
      for (const { sample, line } of pending.splice(0)) {
        const all = bySample.get(sample.name) ?? [];
        const selections = all.filter((s) => matchesAll(s.plain, sample.labels));
        const cost = all.length * SELECTION_COST + matchingCost(sample.name, selections, sample.labels, line);
        if (spent > 0 && spent + cost > IN_LOOP_COST) {
          await loopTurn();
          signal.throwIfAborted();
          spent = 0;
        }
        spent += cost;
        if (selections.length > 0) keep(scraped, { sample, line, selections }, maxSeries);
      }
    },
  };
}

/** Keeps `candidate` in `scraped` when its regexes select it; refuses a series twice, and one past `maxSeries`. */
function keep(
  scraped: Scraped,
  { sample: { name, labels, value }, line, selections: plain }: Candidate,
  maxSeries: number,
): void {
  const selections = plain.filter((s) => matchesAll(s.regexes, labels));
  if (selections.length === 0) return;
  const errors = selections.filter((s) => isError(s, labels));
  const pairs = JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const key = `${name}${pairs}`;
  const first = scraped.current.get(key);
  if (first) {
    throw new ScrapeRefused(
      `has the series ${seriesText(name, first.labels)} twice, on lines ${first.line} and ${line}; ` +
        'a scrape must hold each series once (Prometheus refuses it too)',
    );
  }
  if (scraped.current.size === maxSeries) {
    // Counting on would parse every line of the selected names to the end of the body, only for a number.
    throw new ScrapeRefused(
      `has more series of the configured metrics than max_series (${maxSeries}): the next one is on ` +
        `line ${line}. Narrow them with match or raise max_series`,
    );
  }
  // The config's copy of the name: the parser's strings may share memory with a whole block of the body.
  scraped.current.set(key, {
    name: (selections[0] as Selection).sample,
    labels,
    selections,
    errors,
    pairs,
    value,
    line,
  });
}

/** Adds this scrape's points, drops vanished series and points that left the window. */
async function record(
  history: Map<string, Series>,
  current: Scraped['current'],
  now: number,
  { window, warmingUp }: { window: number; warmingUp: boolean },
  pace: Pace,
): Promise<void> {
  for (const key of history.keys()) {
    if (!current.has(key)) history.delete(key);
    await pace.step(seriesWeight(key));
  }
  for (const [key, { name, pairs, value, selections, errors }] of current) {
    await pace.step(seriesWeight(pairs));
    let series = history.get(key);
    if (!series) {
      // Labels rebuilt from their JSON: the parser's label strings can be slices of a whole block of the body,
      // and keeping one would keep the block for as long as the series lives.
      const labels = Object.fromEntries(JSON.parse(pairs) as [string, string][]);
      series = { name, labels, selections, errors, points: [] };
      history.set(key, series);
    }
    const points = series.points;
    // A run that warms up starts every series over: a point older than it can only be one a run stopped inside
    // record left (no scrape counted since), and rate() would take it (review r13o).
    if (warmingUp) points.length = 0;
    // Two scrapes in the same millisecond would make a zero-length interval; the later value stands for both.
    if (points.at(-1)?.t === now) points.pop();
    points.push({ t: now, v: value });
    let stale = 0;
    while (stale < points.length && (points[stale] as Point).t <= now - window) stale++;
    if (stale > 0) points.splice(0, stale);
  }
}

/**
 * Why a selection cannot be measured, if it cannot (`matched`: the series of this scrape by the selections that took
 * them); a declared family with no series yet is only a note.
 */
function missing(s: Selection, scraped: Scraped, matched: ReadonlyMap<Selection, unknown>, notes: string[]): string[] {
  if (!scraped.seen.has(s.sample)) {
    if (s.families.some((f) => scraped.declared.has(f))) {
      notes.push(`${s.metric} is declared but has no series yet`);
      return [];
    }
    return [`metric ${s.metric} not found in exposition`];
  }
  return matched.has(s) ? [] : [`no series of ${s.metric} match ${selectorText(s.match)}`];
}

/** The quantiles of histogram `h` over `chosen`, its kept series. */
async function quantiles(
  h: MetricsProbeConfig['histograms'][number] & { selection: Selection },
  chosen: readonly Series[],
  span: Span,
  notes: string[],
  pace: Pace,
): Promise<Sample[]> {
  const groups = new Map<string, { labels: Record<string, string>; buckets: Map<number, number> }>();
  let badBounds = 0;
  for (const s of chosen) {
    await pace.step();
    const le = s.labels.le === undefined ? undefined : parseNumber(s.labels.le);
    if (le === undefined || Number.isNaN(le)) {
      badBounds++;
      continue;
    }
    const r = span.rate(s);
    if (r === undefined) continue;
    const group = groupOf(groups, h.by, s.labels, () => ({ buckets: new Map<number, number>() }));
    group.buckets.set(le, (group.buckets.get(le) ?? 0) + r);
  }
  if (badBounds > 0) notes.push(`${h.metric}: ignored ${badBounds} bucket series without a numeric le label`);
  if (groups.size === 0 && chosen.length > badBounds) notes.push(notYet(h.as, `${h.metric}_bucket`));
  const samples: Sample[] = [];
  for (const { labels, buckets } of groups.values()) {
    await pace.step();
    // Sorted once: bucketQuantile sorts a copy for each quantile, at once when it is sorted already.
    const list: Bucket[] = [...buckets]
      .map(([upperBound, count]) => ({ upperBound, count }))
      .sort((a, b) => a.upperBound - b.upperBound);
    const names = h.quantiles.map((q) => `${h.as}_${quantileName(q)}_seconds`);
    const values = h.quantiles.map((q) => bucketQuantile(q, list));
    if (values.every((v) => !Number.isNaN(v))) {
      for (const [i, value] of values.entries()) samples.push(sample(names[i] as string, value, labels));
      continue;
    }
    const inf = buckets.get(Number.POSITIVE_INFINITY);
    const why =
      inf === undefined
        ? 'it has no le="+Inf" bucket'
        : inf === 0
          ? `no observations ${span.text}`
          : Number.isNaN(inf)
            ? 'its +Inf bucket is NaN'
            : 'it has a single bucket';
    addNote(notes, () => `${seriesText(h.as, labels)}: ${why}, so no ${names.join(', ')} (histogram_quantile is NaN)`);
  }
  return samples;
}

/** sum by (<by>) of `measure` over `chosen`, the item's kept series, as samples named `as`. */
async function sumBy(
  item: { as: string; metric: string; by: string[]; selection: Selection },
  chosen: readonly Series[],
  measure: (s: Series) => number | undefined,
  notes: string[],
  pace: Pace,
): Promise<Sample[]> {
  const groups = new Map<string, { labels: Record<string, string>; sum: number }>();
  for (const s of chosen) {
    await pace.step();
    const value = measure(s);
    if (value !== undefined) groupOf(groups, item.by, s.labels, () => ({ sum: 0 })).sum += value;
  }
  if (groups.size === 0 && chosen.length > 0) notes.push(notYet(item.as, item.metric));
  return emit(
    item.as,
    [...groups.values()].map((g) => ({ labels: g.labels, value: g.sum })),
    notes,
    pace,
  );
}

/** The error percentages of `e` over `chosen`, its kept series. */
async function errorPercents(
  e: MetricsProbeConfig['error_rates'][number] & { selection: Selection },
  chosen: readonly Series[],
  span: Span,
  notes: string[],
  pace: Pace,
): Promise<Sample[]> {
  const groups = new Map<string, { labels: Record<string, string>; all: number; errors: number }>();
  for (const s of chosen) {
    await pace.step();
    const value = span.rate(s);
    if (value === undefined) continue;
    const group = groupOf(groups, e.by, s.labels, () => ({ all: 0, errors: 0 }));
    group.all += value;
    if (s.errors.includes(e.selection)) group.errors += value;
  }
  if (groups.size === 0 && chosen.length > 0) notes.push(notYet(e.as, e.metric));
  const values = [];
  for (const g of groups.values()) {
    await pace.step();
    if (g.all === 0) addNote(notes, () => `${seriesText(e.as, g.labels)}: no requests ${span.text}, so no error rate`);
    else values.push({ labels: g.labels, value: (100 * g.errors) / g.all });
  }
  return emit(e.as, values, notes, pace);
}

/** Samples named `name`, leaving out NaN values with a note. */
async function emit(
  name: string,
  values: { labels: Record<string, string>; value: number }[],
  notes: string[],
  pace: Pace,
): Promise<Sample[]> {
  const samples: Sample[] = [];
  for (const { labels, value } of values) {
    await pace.step();
    if (Number.isNaN(value)) {
      addNote(notes, () => `${seriesText(name, labels)} is NaN (a NaN in the exposition), not emitted`);
    } else samples.push(sample(name, value, labels));
  }
  return samples;
}

/** The note for series that exist but appeared in this scrape only (a new label value, a restarted target). */
function notYet(as: string, sample: string): string {
  return `${as}: no ${sample} series was in two scrapes of the window yet`;
}

/** The group of `labels` under `sum by (by)`: keyed by the by-labels' values; empty values are left out, as PromQL does. */
function groupOf<T extends object>(
  groups: Map<string, T & { labels: Record<string, string> }>,
  by: readonly string[],
  labels: Record<string, string>,
  init: () => T,
): T & { labels: Record<string, string> } {
  // labelValue: a label named like a property of every object (constructor, toString) is a label of the series only.
  const values = by.map((l) => labelValue(labels, l));
  const key = JSON.stringify(values);
  let group = groups.get(key);
  if (!group) {
    const kept: Record<string, string> = {};
    by.forEach((l, i) => {
      if (values[i]) kept[l] = values[i];
    });
    group = { ...init(), labels: kept };
    groups.set(key, group);
  }
  return group;
}

/** `0.95` → `p95`, `0.999` → `p99_9`. */
export function quantileName(q: number): string {
  return `p${String(Number((q * 100).toPrecision(12))).replace('.', '_')}`;
}

/** The characters of a label name a message shows at most. */
const LABEL_NAME_CHARS = 100;

/**
 * How a series reads in a message, as the exposition writes it: `name{label="value",…}`, and a name that is not a
 * plain one in quotes, the metric's then inside the braces: `{"go.gc_count","a.b"="v"}`. The labels are the target's:
 * they show at most EXCERPT_CHARS characters, counted as shown (an escape such as `\"` is two). A name or value is
 * cut inside its quotes, which still close; the labels past the budget are counted, not shown (`… and 32 more labels`).
 */
function seriesText(name: string, labels: Record<string, string>): string {
  const pairs = Object.entries(labels);
  const shown: string[] = PLAIN_METRIC_NAME.test(name) ? [] : [JSON.stringify(name)];
  let room = EXCERPT_CHARS;
  for (const [i, [k, v]] of pairs.entries()) {
    if (room <= 0) {
      const more = pairs.length - i;
      shown.push(`… and ${more} more ${more === 1 ? 'label' : 'labels'}`);
      break;
    }
    const nameRoom = Math.min(LABEL_NAME_CHARS, room);
    const label = PLAIN_LABEL_NAME.test(k) ? excerpt(k, nameRoom) : quoted(k, nameRoom - 2);
    // A cut text is longer than its room by its mark, which the budget leaves out.
    const labelChars = Math.min(characters(label), nameRoom);
    const valueRoom = Math.max(room - labelChars - 3, 0);
    const value = quoted(v, valueRoom);
    shown.push(`${label}=${value}`);
    room -= labelChars + 1 + Math.min(characters(value), valueRoom + 2) + 1;
  }
  const braces = shown.length > 0 ? `{${shown.join(',')}}` : '';
  return PLAIN_METRIC_NAME.test(name) ? `${name}${braces}` : braces;
}
