// Causes confirm before symptoms page. An alert that a declared inhibition source could explain (ApiDown explains
// WebSocketDown; DbContainerDown explains DbDown) does not fire while that source is still
// confirming, or while the source's probe has not looked since the symptom began: it stays pending, bounded by the
// source's confirmation window. If the source fires, the symptom fires held back by it and the source's page lists
// it; if the source clears or its window passes, the symptom fires and pages on its own. Pure: no clock, no store.
import type { InhibitConfig } from '../config/schema.js';
import { matchesAll } from '../matchers.js';
import { type Entry, matchableLabels } from './alert.js';
import { equalKey } from './inhibit.js';
import type { AlertKind } from './known-names.js';
import type { Rule } from './rule.js';
import { couldMatch } from './silences.js';

/** One inhibition rule whose target a rule's alerts can be, with the rules whose alerts can be its source. */
export interface CauseLink {
  inhibit: InhibitConfig;
  sources: readonly Rule[];
}

/** How often a probe runs and how long a run may take, for the confirmation window of the rules over it. */
export interface ProbeTiming {
  /** Undefined for a cron probe. */
  every: number | undefined;
  timeout: number;
  /** How long a run's samples keep describing the past (alerting.ts lookback): a metrics probe's window. */
  lookback: number;
}

/** What the check reads of the evaluation in progress. */
export interface CauseLookup {
  /** The instances of a rule, as they stand in this evaluation. */
  instancesOf(rule: string): Iterable<Entry>;
  /** When the probe last brought a run to the rules (evaluation time), if since this process started. */
  lastLooked(probe: string): number | undefined;
  timing(probe: string): ProbeTiming | undefined;
  /** The inhibitions that could hold back a rule's alerts, and their causes (for chains of causes). */
  linksOf(rule: string): readonly CauseLink[];
}

/** The verdict for one pending alert: keep waiting, and which cause probes have not looked yet. */
export interface CauseWait {
  wait: boolean;
  /** Probes of possible causes that have not run since the alert went pending: run them now. */
  ask: string[];
}

/** For each rule, the inhibitions whose target its alerts can be, and the rules that can be their source. */
export function causeLinks(rules: readonly Rule[], inhibit: readonly InhibitConfig[]): Map<string, CauseLink[]> {
  const kinds = new Map<string, AlertKind>(
    rules.map((r) => [
      r.name,
      { alertname: r.name, labels: { ...r.labels, alertname: r.name }, open: 'any', priorities: priorities(r) },
    ]),
  );
  const could = (matchers: InhibitConfig['source'], rule: Rule) => {
    const kind = kinds.get(rule.name) as AlertKind;
    return kind.priorities.some((p) => matchers.every((m) => couldMatch(m, kind, p)));
  };
  const links = new Map<string, CauseLink[]>();
  for (const target of rules) {
    for (const rule of inhibit) {
      if (!could(rule.target, target)) continue;
      const sources = rules.filter((s) => s !== target && s.probe !== '' && could(rule.source, s));
      if (sources.length > 0) links.set(target.name, [...(links.get(target.name) ?? []), { inhibit: rule, sources }]);
    }
  }
  return links;
}

/**
 * For each rule that can be a cause, the probes of the rules whose alerts it can explain: when the cause starts
 * pending, they are asked to run, so the symptoms it holds back are known (and listed in its page) when it fires.
 * The cause's own probe is not among them: its run has just looked (it is what made the cause pending), and another
 * run at once would be one more failed check counted toward the cause's `after_failures`, unpaced by `retry_every`.
 */
export function symptomProbes(rules: readonly Rule[], links: ReadonlyMap<string, CauseLink[]>): Map<string, string[]> {
  const probes = new Map<string, Set<string>>();
  for (const target of rules) {
    for (const { sources } of links.get(target.name) ?? []) {
      for (const s of sources) {
        if (s.probe !== target.probe) probes.set(s.name, (probes.get(s.name) ?? new Set()).add(target.probe));
      }
    }
  }
  return new Map([...probes].map(([name, set]) => [name, [...set]]));
}

/**
 * The longest a symptom waits for `source` to confirm, from when the symptom went pending: the source's probe is
 * asked to run at once, then needs `after_failures` runs `retry_every` (or its interval) apart and its `for`, and each
 * run may take the probe's timeout.
 */
export function confirmationWindow(source: Rule, timing: ProbeTiming | undefined): number {
  const timeout = timing?.timeout ?? 0;
  const step = source.retryEvery ?? timing?.every ?? 0;
  return Math.max(source.for, (source.afterFailures - 1) * step) + 2 * timeout;
}

/**
 * Whether the pending alert `target` (already confirmed on its own, or about to be) must keep waiting for a cause,
 * at `now`. A firing cause ends the wait (the alert fires held back by it); a pending cause, or a cause's probe that
 * has not looked since the alert went pending, keeps it waiting until that cause's confirmation window has passed.
 */
export function awaitCause(target: Entry, links: readonly CauseLink[], look: CauseLookup, now: number): CauseWait {
  const since = target.inst.pendingSince ?? now;
  const labels = matchableLabels(target);
  let wait = false;
  const ask = new Set<string>();
  for (const { inhibit, sources } of links) {
    if (!matchesAll(inhibit.target, labels)) continue;
    const key = equalKey(inhibit.equal, labels);
    for (const source of sources) {
      // A cause that started pending after the symptom gets its whole window from its own start.
      let pendingSince: number | undefined;
      for (const e of look.instancesOf(source.name)) {
        const l = matchableLabels(e);
        if (!matchesAll(inhibit.source, l) || equalKey(inhibit.equal, l) !== key) continue;
        if (e.inst.state === 'firing') return { wait: false, ask: [] };
        if (e.inst.state === 'pending') pendingSince = Math.max(pendingSince ?? since, e.inst.pendingSince ?? since);
      }
      const pending = pendingSince !== undefined;
      const start = pendingSince ?? since;
      if (now >= start + confirmationWindow(source, look.timing(source.probe)) + chainWindow(source, look)) continue;
      const looked = (look.lastLooked(source.probe) ?? Number.NEGATIVE_INFINITY) >= since;
      if (!looked) ask.add(source.probe);
      if (pending || !looked) wait = true;
    }
  }
  return { wait, ask: [...ask] };
}

/**
 * How long a cause may itself wait for its own causes (ApiDown for the API's container): the longest window among
 * them, one step up the chain, so a symptom does not give up on a cause that is waiting in turn.
 */
function chainWindow(source: Rule, look: CauseLookup): number {
  let longest = 0;
  for (const { sources } of look.linksOf(source.name)) {
    for (const s of sources) longest = Math.max(longest, confirmationWindow(s, look.timing(s.probe)));
  }
  return longest;
}

function priorities(rule: Rule) {
  return rule.levels.map((l) => l.priority);
}
