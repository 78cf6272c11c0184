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
