// Inhibition: while a source alert fires (API down), target alerts with equal labels (its latency, its error rate)
// are held back, and the source's page lists them. Pure: which alerts hold which, from labels and states.

import type { InhibitConfig } from '../config/schema.js';
import { matchesAll } from '../matchers.js';
import { type Labels, labelValue } from '../types.js';

/** An alert as inhibition sees it: its labels (with `priority`) and whether it fires. */
export interface Inhibitable {
  id: string;
  labels: Labels;
  firing: boolean;
}

/**
 * For every held alert, the ids of the firing sources holding it. An alert never holds itself back; a source
 * that is itself held still holds its targets (as in Alertmanager), so a muted root cause keeps its symptoms quiet.
 */
export function inhibitions(rules: readonly InhibitConfig[], alerts: readonly Inhibitable[]): Map<string, string[]> {
  const held = new Map<string, string[]>();
  for (const rule of rules) {
    const sources = new Map<string, string[]>();
    for (const a of alerts) {
      if (!a.firing || !matchesAll(rule.source, a.labels)) continue;
      const key = equalKey(rule.equal, a.labels);
      sources.set(key, [...(sources.get(key) ?? []), a.id]);
    }
    if (sources.size === 0) continue;
    for (const a of alerts) {
      if (!matchesAll(rule.target, a.labels)) continue;
      const by = (sources.get(equalKey(rule.equal, a.labels)) ?? []).filter((id) => id !== a.id);
      if (by.length === 0) continue;
      const current = held.get(a.id) ?? [];
      held.set(a.id, [...current, ...by.filter((id) => !current.includes(id))]);
    }
  }
  return held;
}

/** The values of the `equal` labels, as one comparable key. */
export function equalKey(equal: readonly string[], labels: Labels): string {
  return JSON.stringify(equal.map((l) => labelValue(labels, l)));
}
