// The history the status page draws: each probe run and the values the rules watch go into the store's rings in the
// loop's unit of work, and come back as each probe's last runs and uptime and each watched series' last hour.
import { matchesAll } from '../matchers.js';
import type { Alerting } from '../rules/alerting.js';
import { canonicalLabels, probeOf, type Rule, watchesUp } from '../rules/rule.js';
import { type RunView, SIGNAL_SPAN_MS, type SignalView } from '../server/api-shapes.js';
import type { HistorySize, HistoryStore, SeriesStep } from '../store/store.js';
import type { Labels, Priority, ProbeRun, Sample } from '../types.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Uptime reaches back a week; so do the points of a series no longer seen before they are forgotten. */
const WEEK = 7 * DAY;

/** A rule's reading of one sample name: its matchers and its levels (the fast path is a second reading). */
interface Watch {
  rule: Rule;
  levels: readonly { priority: Priority; threshold: number }[];
}

const iso = (ms: number) => new Date(ms).toISOString();

/** `api_metrics.error_percent[["route","/x"]]`: a sample name and its labels, as the store keys a series. */
export function seriesKey(name: string, labels: Labels): string {
  return `${name}${canonicalLabels(labels)}`;
}

function parseKey(key: string): { name: string; labels: Labels } {
  const at = key.indexOf('[');
  return { name: key.slice(0, at), labels: Object.fromEntries(JSON.parse(key.slice(at)) as [string, string][]) };
}

/** Records history in the loop and reads it back for the status page. */
export class History {
  readonly #store: HistoryStore;
  readonly #size: () => HistorySize;
  /** The rules that watch each sample name; a probe's `up` among them, so a state card can draw its whole last hour. */
  #watches = new Map<string, Watch[]>();
  #prunedAt = Number.NEGATIVE_INFINITY;
  /** The step under way of each watched series, by key. */
  readonly #open = new Map<string, SeriesStep>();
  /** Series keys (null: not watched) by sample name and labels as written (#keyIfWatched). */
  readonly #keys = new Map<string, string | null>();

  constructor(store: HistoryStore, alerting: Alerting, size: () => HistorySize) {
    this.#store = store;
    this.#size = size;
    this.setAlerting(alerting);
  }

  /** Takes the rules of a new config: the series they watch from now on. */
  setAlerting(alerting: Alerting): void {
    const watches = new Map<string, Watch[]>();
    const add = (sample: string, w: Watch) => watches.set(sample, [...(watches.get(sample) ?? []), w]);
    for (const rule of alerting.rules) {
      add(rule.sample, { rule, levels: rule.levels });
      if (rule.fast) add(rule.fast.sample, { rule, levels: rule.fast.levels });
    }
    this.#watches = watches;
    this.#keys.clear();
  }

  /**
   * Writes the runs, and the steps of watched series that are over, pruning once an hour; called inside the loop's
   * unit of work. The step under way of each series is kept here, so a series costs one write per step, not per run.
   */
  record(runs: readonly ProbeRun[]): void {
    if (runs.length === 0) return;
    const size = this.#size();
    const over: SeriesStep[] = [];
    for (const run of runs) {
      const bucket = Math.floor(run.at / size.step) * size.step;
      for (const s of run.samples) {
        const key = Number.isFinite(s.value) ? this.#keyIfWatched(s) : undefined;
        if (key !== undefined) this.#add(key, bucket, s.value, over);
      }
    }
    const latest = runs.reduce((max, r) => Math.max(max, r.at), Number.NEGATIVE_INFINITY);
    const prune = latest - this.#prunedAt >= HOUR;
    if (prune) {
      for (const step of this.#takeOpen((step) => step.bucket < latest - size.step)) over.push(step);
      this.#keys.clear();
    }
    const recorded = runs.map((run) => ({
      probe: run.probe,
      at: run.at,
      up: run.up,
      durationMs: 1000 * (run.samples.find((s) => s.name === `${run.probe}.duration_seconds`)?.value ?? 0),
    }));
    this.#store.record(recorded, over, size);
    if (prune) {
      this.#store.prune(latest - WEEK);
      this.#prunedAt = latest;
    }
  }

  /** Writes every step under way (a clean stop); call inside a unit of work. */
  flush(): void {
    this.#store.record(
      [],
      this.#takeOpen(() => true),
      this.#size(),
    );
  }

  /** Adds a value to its series' step under way; a later step closes the one under way into `over`. */
  #add(key: string, bucket: number, value: number, over: SeriesStep[]): void {
    const open = this.#open.get(key);
    if (open && open.bucket === bucket) {
      open.lo = Math.min(open.lo, value);
      open.hi = Math.max(open.hi, value);
      open.last = value;
      return;
    }
    // A value of an earlier step than the one under way (a run that finished late) is dropped.
    if (open && open.bucket > bucket) return;
    if (open) over.push(open);
    this.#open.set(key, { series: key, bucket, lo: value, hi: value, last: value });
  }

  /** Removes and returns the steps under way that `which` picks: those of series no longer seen, or all. */
  #takeOpen(which: (step: SeriesStep) => boolean): SeriesStep[] {
    const taken = [...this.#open.values()].filter(which);
    for (const step of taken) this.#open.delete(step.series);
    return taken;
  }

  /** Places in a probe's bar of last runs: the ring's size. */
  runSlots(): number {
    return this.#size().runs;
  }

  /** A probe's last runs, oldest first, and its uptime percent over a day and a week (absent with no runs). */
  probe(name: string, now: number): { runs: RunView[]; uptime: { day?: number; week?: number } } {
    const runs = this.#store
      .recentRuns(name, this.#size().runs)
      .map((r) => ({ at: iso(r.at), up: r.up, durationSeconds: r.durationMs / 1000 }));
    const percent = (since: number) => {
      const { runs: n, up } = this.#store.uptime(name, since);
      return n > 0 ? (100 * up) / n : undefined;
    };
    const day = percent(now - DAY);
    const week = percent(now - WEEK);
    return { runs, uptime: { ...(day !== undefined ? { day } : {}), ...(week !== undefined ? { week } : {}) } };
  }

  /** Each watched series with points in the last hour, by sample name and labels, with its rules' thresholds. */
  signals(now: number): SignalView[] {
    const since = now - SIGNAL_SPAN_MS;
    const size = this.#size();
    const underWay = [...this.#open.values()].filter((step) => step.bucket >= since);
    const keys = [...new Set([...this.#store.seriesKeys(since), ...underWay.map((step) => step.series)])].sort();
    return keys.flatMap((key) => {
      const { name, labels } = parseKey(key);
      const watching = this.#watching({ name, labels, value: 0 });
      if (watching.length === 0) return [];
      const open = this.#open.get(key);
      const steps = [...this.#store.points(key, since), ...(open && open.bucket >= since ? [open] : [])];
      // The worst value of each step for the rules' direction: the highest under `>` rules, the lowest under `<` ones
      // and for a probe's `up` (0 when a run of the step was down).
      const up = watching.some((w) => watchesUp(w.rule));
      const low = up || watching.every((w) => w.rule.op === '<' || w.rule.op === '<=');
      const points = steps.map((p) => ({ at: iso(p.bucket), value: low ? p.lo : p.hi }));
      const thresholds = watching.flatMap((w) =>
        w.levels.map((l) => ({ alertname: w.rule.name, priority: l.priority, op: w.rule.op, value: l.threshold })),
      );
      // A probe's `up` is a state; any other rule watches a number, drawn as one even when its templates print no value.
      const unit = up ? 'state' : (watching.map((w) => w.rule.unit).find((u) => u !== 'state') ?? 'number');
      return [{ sample: name, probe: probeOf(name), labels, unit, stepSeconds: size.step / 1000, points, thresholds }];
    });
  }

  /**
   * The series key of a sample a rule watches, else undefined. Remembered by the labels as the probe wrote them (no
   * sort), since the same series come back at every run; forgotten at each prune and config change.
   */
  #keyIfWatched(s: Sample): string | undefined {
    if (!this.#watches.has(s.name)) return undefined;
    const seen = `${s.name}${JSON.stringify(s.labels)}`;
    let key = this.#keys.get(seen);
    if (key === undefined) {
      key = this.#watching(s).length > 0 ? seriesKey(s.name, s.labels) : null;
      this.#keys.set(seen, key);
    }
    return key ?? undefined;
  }

  /** The rules that watch this sample (its name, and labels their matchers accept). */
  #watching(s: Sample): Watch[] {
    return (this.#watches.get(s.name) ?? []).filter((w) => matchesAll(w.rule.matchers, s.labels));
  }
}
