// One look at every rule over one set of probe runs, ignoring `for` and `after_failures`: the post-deploy check
// (`centinela verify`) that replaces the runbook's manual checklist. Pure: runs and rules in, marks out.

import { type Labels, outranks, type Priority, type ProbeRun } from '../types.js';
import { formatNumber } from '../units.js';
import { buildAlert } from './alert.js';
import type { Alerting } from './alerting.js';
import { alertLabels, observe, selects } from './rule.js';
import { inactive } from './state-machine.js';

/** ✅ fine, ⚠️ worth a look (below --fail-on, or not measured), 🚨 fails the verification. */
export type Mark = '✅' | '⚠️' | '🚨';

/** One probe's run. */
export interface ProbeCheck {
  probe: string;
  status: 'up' | 'down' | 'cannot-measure';
  reason?: string;
  mark: Mark;
}

/** One rule over one series (or over none: no data, no series). */
export interface RuleCheck {
  rule: string;
  /** The series' labels (without the rule's own). */
  labels: Labels;
  status: 'ok' | 'breach' | 'no-data' | 'no-series';
  value?: number;
  priority?: Priority;
  /** What it says: the alert's summary when breached, the value against the thresholds when not. */
  text: string;
  mark: Mark;
}

/** The verdict: fails when a probe is down or a rule breaches at `failOn` or more urgent. */
export interface Verification {
  ok: boolean;
  failOn: Priority;
  probes: ProbeCheck[];
  checks: RuleCheck[];
}

const atLeast = (p: Priority, failOn: Priority) => p === failOn || outranks(p, failOn);

/** Checks every probe run and every rule over it at `now`. */
export function verifyRuns(runs: readonly ProbeRun[], alerting: Alerting, failOn: Priority, now: number): Verification {
  const byProbe = new Map(runs.map((r) => [r.probe, r]));
  const cannotMeasure = alerting.evaluation.cannot_measure;
  const probes: ProbeCheck[] = runs.map((r) => {
    if (!r.up) return { probe: r.probe, status: 'down', reason: r.reason ?? 'down', mark: '🚨' };
    if (r.cannotMeasure !== undefined) {
      const mark = atLeast(cannotMeasure, failOn) ? '🚨' : '⚠️';
      return { probe: r.probe, status: 'cannot-measure', reason: r.cannotMeasure, mark };
    }
    return { probe: r.probe, status: 'up', mark: '✅' };
  });
  const checks: RuleCheck[] = [];
  for (const rule of alerting.rules) {
    const run = byProbe.get(rule.probe);
    if (!run) continue;
    const samples = run.up || rule.speaksForOutage ? run.samples.filter((s) => selects(rule, s.name, s.labels)) : [];
    if (samples.length === 0) {
      // A probe that failed, or could not measure, leaves its rules without data; an empty selection is fine.
      const noData = !run.up ? `probe ${run.probe} is down` : run.cannotMeasure && `probe ${run.probe} cannot measure`;
      checks.push(
        noData
          ? { rule: rule.name, labels: {}, status: 'no-data', text: `no data: ${noData}`, mark: '⚠️' }
          : { rule: rule.name, labels: {}, status: 'no-series', text: `no ${rule.sample} series`, mark: '✅' },
      );
    }
    const least = rule.levels.at(-1);
    for (const s of samples) {
      const obs = observe(rule, s.value);
      if (obs.kind !== 'breach') {
        const limit = least ? ` (${least.priority} when ${rule.op} ${formatNumber(least.threshold)})` : '';
        checks.push({
          rule: rule.name,
          labels: s.labels,
          status: 'ok',
          value: s.value,
          text: `${formatNumber(s.value)}${limit}`,
          mark: '✅',
        });
        continue;
      }
      const labels = alertLabels(rule, s.labels);
      const inst = {
        ...inactive(now),
        state: 'firing' as const,
        activeSince: now,
        priority: obs.priority,
        threshold: obs.threshold,
        value: obs.value,
      };
      const alert = buildAlert(rule, '', labels, inst, {
        suppressedBy: [],
        inhibits: [],
        details: new Map(),
        health: new Map(),
        now,
        external: () => undefined,
        deployOutput: () => undefined,
        reading: alerting.reading,
      });
      checks.push({
        rule: rule.name,
        labels: s.labels,
        status: 'breach',
        value: s.value,
        priority: obs.priority,
        text: `${obs.priority}: ${alert.summary}`,
        mark: atLeast(obs.priority, failOn) ? '🚨' : '⚠️',
      });
    }
  }
  const ok = probes.every((p) => p.mark !== '🚨') && checks.every((c) => c.mark !== '🚨');
  return { ok, failOn, probes, checks };
}
