// What holds alerts back right now: active silences, open maintenance windows and firing inhibition sources.

import type { InhibitConfig } from '../config/schema.js';
import { type Matcher, matchesAll } from '../matchers.js';
import { type Entry, type Hold, matchableLabels } from './alert.js';
import { inhibitions } from './inhibit.js';

/**
 * Silences in force and windows open at this evaluation, and the inhibition rules. A window with a `budget` (ms, a
 * deploy's downtime budget) holds an alert only until it has been firing that long at `now`.
 */
export interface HoldSources {
  now: number;
  silences: readonly { id: string; matchers: readonly Matcher[] }[];
  windows: readonly { id: string; matchers: readonly Matcher[]; budget?: number | undefined }[];
  inhibit: readonly InhibitConfig[];
}

/**
 * For each of `entries`, what holds it back; for each inhibiting source, the firing alerts it holds (its page lists
 * them). Matchers see the alert's labels plus `priority`, so a silence can say `priority: P3`.
 */
export function computeHolds(
  entries: readonly Entry[],
  sources: HoldSources,
): { holds: Map<string, Hold[]>; inhibits: Map<string, string[]> } {
  const alerts = entries.map((e) => ({
    id: e.id,
    labels: matchableLabels(e),
    firing: e.inst.state === 'firing',
    firingFor: e.inst.state === 'firing' ? sources.now - (e.inst.activeSince ?? e.inst.since) : 0,
  }));
  const inhibited = inhibitions(sources.inhibit, alerts);
  const holds = new Map<string, Hold[]>();
  const inhibits = new Map<string, string[]>();
  for (const a of alerts) {
    const by = inhibited.get(a.id) ?? [];
    if (a.firing) for (const s of by) inhibits.set(s, [...(inhibits.get(s) ?? []), a.id]);
    holds.set(a.id, [
      ...sources.silences.filter((s) => matchesAll(s.matchers, a.labels)).map((s) => hold('silenced', s.id)),
      ...sources.windows
        .filter((w) => matchesAll(w.matchers, a.labels) && !(w.budget !== undefined && a.firingFor > w.budget))
        .map((w) => hold('maintenance', w.id)),
      ...by.map((id) => hold('inhibited', id)),
    ]);
  }
  return { holds, inhibits };
}

const hold = (kind: Hold['kind'], id: string): Hold => ({ kind, id });

/**
 * What an instance brings to inhibition as a source: its labels (as matchers see them) while it fires and matches a
 * rule's source, or undefined. Two evaluations that give the same for an instance hold its targets alike.
 */
export function inhibitingAs(e: Entry, inhibit: readonly InhibitConfig[]): string | undefined {
  if (e.inst.state !== 'firing' || inhibit.length === 0) return undefined;
  const labels = matchableLabels(e);
  return inhibit.some((r) => matchesAll(r.source, labels)) ? JSON.stringify(labels) : undefined;
}

/**
 * The holds one evaluation works with: those it starts from (the last committed ones, never changed here) and its own
 * changes on top. An evaluation that touches a few instances of many open ones so costs what it touches: copying every
 * hold per evaluation was most of the rules' time in a flood of new alerts with 15,000 open.
 */
export class DraftHolds {
  readonly #base: ReadonlyMap<string, Hold[]>;
  /** Set here; undefined: dropped. */
  readonly #changes = new Map<string, Hold[] | undefined>();

  /** Holds starting from `base`, or from none (a full computation: what it does not set, nothing holds). */
  constructor(base: ReadonlyMap<string, Hold[]> = new Map()) {
    this.#base = base;
  }

  get(id: string): Hold[] | undefined {
    return this.#changes.has(id) ? this.#changes.get(id) : this.#base.get(id);
  }

  has(id: string): boolean {
    return this.get(id) !== undefined;
  }

  set(id: string, holds: Hold[]): void {
    this.#changes.set(id, holds);
  }

  delete(id: string): void {
    this.#changes.set(id, undefined);
  }

  /** The ids set or dropped here. */
  changed(): IterableIterator<string> {
    return this.#changes.keys();
  }

  /**
   * The holds once committed: `current` (the holds committed last) changed in place when it is what these started
   * from, so a commit costs the changes; otherwise a new map. Call once, when the evaluation commits.
   */
  commit(current: Map<string, Hold[]>): Map<string, Hold[]> {
    const into = this.#base === current ? current : new Map(this.#base);
    for (const [id, holds] of this.#changes) {
      if (holds === undefined) into.delete(id);
      else into.set(id, holds);
    }
    return into;
  }
}

/**
 * Holds of the last evaluation updated with `computed`, holds computed again for `recomputed` ids (which include every
 * inhibiting source): their holds and their place in each source's `inhibits` are replaced; `dropped` ids (no longer
 * looked at) are forgotten. A source's list keeps the recomputed alerts first, in the order they were computed.
 */
export function mergeHolds(
  previous: { holds: ReadonlyMap<string, Hold[]>; inhibits: ReadonlyMap<string, string[]> },
  computed: { holds: Map<string, Hold[]>; inhibits: Map<string, string[]> },
  recomputed: ReadonlySet<string>,
  dropped: Iterable<string>,
): { holds: DraftHolds; inhibits: Map<string, string[]> } {
  const holds = new DraftHolds(previous.holds);
  for (const id of dropped) holds.delete(id);
  for (const [id, h] of computed.holds) holds.set(id, h);
  const inhibits = new Map<string, string[]>();
  for (const source of new Set([...previous.inhibits.keys(), ...computed.inhibits.keys()])) {
    const kept = (previous.inhibits.get(source) ?? []).filter((id) => !recomputed.has(id));
    const list = [...(computed.inhibits.get(source) ?? []), ...kept];
    if (list.length > 0) inhibits.set(source, list);
  }
  return { holds, inhibits };
}

/** Holds computed for every instance looked at, as a draft: what it does not name, nothing holds. */
export function freshHolds(computed: { holds: Map<string, Hold[]>; inhibits: Map<string, string[]> }): {
  holds: DraftHolds;
  inhibits: Map<string, string[]>;
} {
  const holds = new DraftHolds();
  for (const [id, h] of computed.holds) holds.set(id, h);
  return { holds, inhibits: computed.inhibits };
}
