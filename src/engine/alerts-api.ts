// The rules' side of the API: alerts with their history, silences, maintenance windows, as the HTTP layer reads and
// changes them. Plain methods over the store and the evaluator's last committed state; no HTTP here. Errors are
// AlertingError.
import type { Clock } from '../clock.js';
import { type Matcher, matchesAll, type Unreadable } from '../matchers.js';
import { activeSince, alertPriority, buildAlert, type Entry, type Hold, matchableLabels } from '../rules/alert.js';
import type { HistoryEntry, WindowRecord } from '../rules/alert-records.js';
import type { Alerting } from '../rules/alerting.js';
import { AlertingError } from '../rules/errors.js';
import type { ExternalAlert } from '../rules/external.js';
import { newWindow, type ProbeHealth, type WindowInput } from '../rules/maintenance.js';
import { lengthLimits, type Silence, type SilenceInput, type SilenceState } from '../rules/silences.js';
import type { AlertState } from '../rules/state-machine.js';
import type { AlertStore } from '../store/store.js';
import { type Alert, type Labels, labelValue, PRIORITIES, type Priority } from '../types.js';
import { type Silences, storedWindowMatchers, type UnreadableWarning } from './stored-silences.js';

/** What the last committed evaluation left, as the API reads it. */
export interface Snapshot {
  entries: ReadonlyMap<string, Entry>;
  holds: ReadonlyMap<string, Hold[]>;
  inhibits: ReadonlyMap<string, string[]>;
  details: ReadonlyMap<string, string>;
  health: ReadonlyMap<string, ProbeHealth>;
  /** The open alerts received from sources, by alert id. */
  external: ReadonlyMap<string, ExternalAlert>;
}

/** An alert instance with its state. */
export interface AlertRecord {
  alert: Alert;
  state: AlertState;
  /** When it entered `state` (for `resolved`: when it resolved). */
  since: number;
  /** For an open alert received from a source: the alert as it was last received. */
  received?: ExternalAlert;
  /** The labels its rule groups by (`group_by`) that it has, with their values. */
  group: Labels;
  /** The sample its rule watches and the probe whose runs write it. */
  watches: { probe: string; sample: string };
}

/** An alert instance with its history (state changes and what was told, newest first). */
export interface AlertDetail extends AlertRecord {
  history: HistoryEntry[];
}

/** Which alerts to list; by default the pending and firing ones, and any that flaps (it is never dropped). */
export interface AlertFilter {
  state?: AlertState[];
  priority?: Priority;
  alertname?: string;
  /** All must hold for the alert's labels plus `priority`, as for a silence. */
  matchers?: Matcher[];
}

/** A maintenance window as listed: recurring (from the config; its current or next occurrence) or one-shot. */
export type WindowView =
  | {
      kind: 'recurring';
      id: string;
      matchers: readonly Matcher[];
      reason: string | undefined;
      startsAt: number;
      endsAt: number;
      open: boolean;
    }
  | ({ kind: 'one-shot'; open: boolean } & Omit<WindowRecord, 'matchers'> & {
        /** Matching nothing when the stored ones no longer read (`unreadable`). */
        matchers: Matcher[];
        unreadable?: Unreadable;
      });

export interface AlertsApiDeps {
  store: AlertStore;
  silences: Silences;
  alerting: Alerting;
  clock: Clock;
  snapshot: () => Snapshot;
  /** Told of a stored window whose matchers no longer read. */
  unreadable: UnreadableWarning;
}

/** Alerts, silences and windows for the API and the status page. */
export class AlertsApi {
  readonly #d: AlertsApiDeps;

  constructor(deps: AlertsApiDeps) {
    this.#d = deps;
  }

  /** Alerts matching `filter`, most urgent first, then longest active first. */
  listAlerts(filter: AlertFilter = {}): AlertRecord[] {
    return this.firstAlerts(filter, Number.POSITIVE_INFINITY).records;
  }

  /**
   * The first `limit` alerts listAlerts lists for `filter`, and how many it lists of each priority: only those shown
   * are built (their texts rendered), so a page of a flood costs its length, not the flood's.
   */
  firstAlerts(filter: AlertFilter, limit: number): { records: AlertRecord[]; byPriority: Record<Priority, number> } {
    const states = filter.state ?? ['pending', 'firing'];
    const flappingToo = filter.state === undefined;
    const snap = this.#d.snapshot();
    const now = this.#d.clock.now();
    const byPriority: Record<Priority, number> = { P0: 0, P1: 0, P2: 0, P3: 0 };
    const matched: { e: Entry; rank: number; since: number }[] = [];
    for (const e of snap.entries.values()) {
      if (!states.includes(e.inst.state) && !(flappingToo && e.inst.flapping)) continue;
      if (filter.alertname !== undefined && labelValue(e.labels, 'alertname') !== filter.alertname) continue;
      const priority = alertPriority(e.rule, e.inst);
      if (filter.priority !== undefined && priority !== filter.priority) continue;
      if (filter.matchers && !matchesAll(filter.matchers, matchableLabels(e))) continue;
      byPriority[priority]++;
      matched.push({ e, rank: PRIORITIES.indexOf(priority), since: activeSince(e.inst) });
    }
    matched.sort((a, b) => a.rank - b.rank || a.since - b.since);
    return { records: matched.slice(0, limit).map((m) => this.#record(snap, m.e, now)), byPriority };
  }

  /** The name of each of these alerts that is known (an inhibiting alert a page does not list), by id. */
  alertNames(ids: Iterable<string>): Map<string, string> {
    const entries = this.#d.snapshot().entries;
    const names = new Map<string, string>();
    for (const id of ids) {
      const e = entries.get(id);
      if (e) names.set(id, labelValue(e.labels, 'alertname'));
    }
    return names;
  }

  /** One alert with its history, or undefined for an unknown id. */
  getAlert(id: string, historyLimit = 200): AlertDetail | undefined {
    const snap = this.#d.snapshot();
    const e = snap.entries.get(id);
    if (!e) return undefined;
    return { ...this.#record(snap, e, this.#d.clock.now()), history: this.#d.store.history(id, historyLimit) };
  }

  /** Creates a silence (AlertingError SILENCE_INVALID / SILENCE_TOO_LONG when refused). */
  createSilence(input: SilenceInput): Silence {
    return this.#d.silences.create(input, this.#d.clock.now());
  }

  listSilences(filter: { state?: SilenceState } = {}): Silence[] {
    return this.#d.silences.list(filter, this.#d.clock.now());
  }

  getSilence(id: string): Silence {
    return this.#d.silences.get(id, this.#d.clock.now());
  }

  /** Ends a silence now; it stays listed as expired. */
  expireSilence(id: string, by: string): Silence {
    return this.#d.silences.expire(id, by, this.#d.clock.now());
  }

  /**
   * Opens a one-shot window (a deploy); it closes by itself when its probes are healthy again. AlertingError when
   * refused (WINDOW_INVALID, UNKNOWN_NAME, WINDOW_TOO_LONG, WINDOW_OVERLAPS).
   */
  openWindow(input: WindowInput): WindowView {
    const { alerting, store } = this.#d;
    const record = newWindow(input, this.#d.clock.now(), {
      kinds: alerting.kinds,
      fromSources: alerting.fromSources,
      probes: alerting.probes,
      probeNames: alerting.probeNames,
      limits: lengthLimits(alerting.evaluation.window_max),
      open: store.openWindows(),
    });
    this.#d.store.addWindow(record);
    return this.#oneShotView(record);
  }

  /** One window by id: a one-shot window, or a recurring one by its name (AlertingError WINDOW_NOT_FOUND). */
  getWindow(id: string): WindowView {
    const w = this.#d.store.getWindow(id);
    if (w) return this.#oneShotView(w);
    const recurring = this.#d.alerting.windows.find((r) => r.name === id);
    const at = recurring?.at(this.#d.clock.now());
    if (!recurring || !at) throw new AlertingError('WINDOW_NOT_FOUND', `no maintenance window "${id}"`);
    return { kind: 'recurring', id, matchers: recurring.matchers, reason: recurring.reason, ...at };
  }

  /**
   * Keeps a deploy command's last output lines on a one-shot window, open or closed (HealthNotBack shows them);
   * `ended` records when the command finished, so the probes' next passing runs close the window.
   */
  recordOutput(id: string, output: string, ended: boolean): WindowView {
    this.#oneShot(id);
    this.#d.store.recordWindowOutput(id, output, ended ? this.#d.clock.now() : undefined);
    return this.#oneShotView(this.#oneShot(id));
  }

  /** Closes a one-shot window now. */
  closeWindow(id: string, by: string): WindowView {
    const w = this.#oneShot(id);
    if (w.closedAt !== undefined) {
      throw new AlertingError('WINDOW_CLOSED', `window "${id}" already closed (${w.outcome ?? 'closed'})`);
    }
    const closed: WindowRecord = { ...w, closedAt: this.#d.clock.now(), closedBy: by, outcome: 'closed' };
    this.#d.store.updateWindow(closed);
    return this.#oneShotView(closed);
  }

  /** Recurring windows (their current or next occurrence) and one-shot windows, open ones first. */
  listWindows(filter: { state?: 'open' | 'closed' } = {}): WindowView[] {
    const now = this.#d.clock.now();
    const views: WindowView[] = [];
    for (const w of this.#d.alerting.windows) {
      const at = w.at(now);
      if (at) views.push({ kind: 'recurring', id: w.name, matchers: w.matchers, reason: w.reason, ...at });
    }
    for (const w of this.#d.store.listWindows()) views.push(this.#oneShotView(w));
    const wanted = filter.state === undefined ? views : views.filter((v) => v.open === (filter.state === 'open'));
    return wanted.sort((a, b) => Number(b.open) - Number(a.open));
  }

  /** A one-shot window, or AlertingError WINDOW_NOT_FOUND (saying so when `id` is a recurring window). */
  #oneShot(id: string): WindowRecord {
    const w = this.#d.store.getWindow(id);
    if (w) return w;
    const recurring = this.#d.alerting.windows.some((r) => r.name === id);
    throw new AlertingError(
      'WINDOW_NOT_FOUND',
      recurring
        ? `"${id}" is a recurring window from alerts.yaml; change or remove it there`
        : `no maintenance window "${id}"`,
    );
  }

  #record(snap: Snapshot, e: Entry, now: number): AlertRecord {
    const alert = buildAlert(e.rule, e.id, e.labels, e.inst, {
      suppressedBy: snap.holds.get(e.id) ?? [],
      inhibits: snap.inhibits.get(e.id) ?? [],
      details: snap.details,
      health: snap.health,
      now,
      deployOutput: (window) => this.#d.store.getWindow(window)?.output,
      reading: this.#d.alerting.reading,
      external: (id) => snap.external.get(id),
    });
    const received = snap.external.get(e.id);
    const group: Record<string, string> = {};
    for (const l of e.rule.groupBy) if (Object.hasOwn(e.labels, l)) group[l] = labelValue(e.labels, l);
    const watches = { probe: e.rule.probe, sample: e.rule.sample };
    return { alert, state: e.inst.state, since: e.inst.since, group, watches, ...(received ? { received } : {}) };
  }

  #oneShotView(w: WindowRecord): WindowView {
    const { matchers, unreadable } = storedWindowMatchers(w, this.#d.unreadable);
    return { ...w, kind: 'one-shot', matchers, ...(unreadable ? { unreadable } : {}), open: w.closedAt === undefined };
  }
}
