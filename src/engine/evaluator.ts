// The evaluator: probe runs → one observation per alert instance → the state machine → events for escalation, with
// every instance's state kept in the store. The decisions are the rules' pure functions (src/rules/); this class
// holds the working set in memory, reads silences and windows, and writes what changed.
//
// The engine's loop (src/engine/loop.ts) drives it: `evaluate(runs)` reads clock.now() once, computes and writes
// nothing; `commit()` inside the loop's unit of work writes the changed instances (only those), their history and
// the windows that moved, so rule state and the notifications it causes are saved together or not at all. Commit
// right after evaluate, with no await in between, and in the order the evaluations were made. If the unit of work
// rolls back, nothing is lost: the store's generation is then behind the evaluator's, and the next evaluate reloads
// from the store. On a config reload build a new Evaluator (state carries over through the store) and close() the
// old one.
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { matchesAll } from '../matchers.js';
import { type AlertContext, buildAlert, type Entry, type Hold } from '../rules/alert.js';
import type { HistoryEntry, StoredInstance, WindowRecord } from '../rules/alert-records.js';
import type { Alerting } from '../rules/alerting.js';
import { awaitCause, type CauseLookup } from '../rules/causes.js';
import {
  type ExternalAlert,
  type PostedAlert,
  receive,
  sourceKinds,
  sourceObservation,
  sourcePriority,
  sourceRule,
  sourceRuleName,
  splitSourceRuleName,
} from '../rules/external.js';
import { stepWithFast } from '../rules/fast-path.js';
import { trackFlapping } from '../rules/flapping.js';
import { computeHolds, DraftHolds, freshHolds, type HoldSources, inhibitingAs, mergeHolds } from '../rules/holds.js';
import type { AlertKind } from '../rules/known-names.js';
import { advanceWindow, healthy, type ProbeHealth } from '../rules/maintenance.js';
import { type Release, release } from '../rules/release.js';
import { alertId, alertLabels, compare, observe, type Rule, removedRule } from '../rules/rule.js';
import {
  blank,
  fire,
  type Instance,
  inactive,
  isActive,
  keepPending,
  type Observation,
  ready,
  samePersisted,
  sameTold,
  step,
  type Tell,
  tell,
} from '../rules/state-machine.js';
import type { AlertStore, Store } from '../store/store.js';
import {
  type AlertEvent,
  type Labels,
  labelValue,
  PRIORITIES,
  type Priority,
  type ProbeRun,
  type Sample,
} from '../types.js';
import { AlertsApi } from './alerts-api.js';
import { Silences, storedWindowMatchers, type UnreadableWarning, warnUnreadable } from './stored-silences.js';

const NO_DATA: Observation = { kind: 'no-data' };
/** What an instance never seen is, for the question whether it is open. */
const CLOSED = inactive(0);

/** History, and instances at rest with nothing open, are kept this long (then pruned, once a day). */
const RETENTION = 30 * 86_400_000;
const PRUNE_EVERY = 86_400_000;

/** What one evaluation decided; nothing is saved until `commit()`. */
/**
 * Alerts from sources resolved by their endsAt in one evaluation at most; the rest in the next ones, which the loop
 * makes at once: ten thousand alerts expiring together (Prometheus gone) must not hold probes and the API for seconds.
 */
const EXPIRE_SLICE = 100;

export interface Evaluation {
  now: number;
  events: AlertEvent[];
  /**
   * Probes that ran here and have, on a rule with retry_every, an unconfirmed breach or a firing alert that
   * after_successes resolves: `scheduler.runSoon(probe, every)`.
   */
  retry: { probe: string; every: number }[];
  /** Saves the evaluation; call inside the transaction that also enqueues the events' notifications. */
  commit(): void;
  /** Expired alerts from sources are left for the next evaluation (EXPIRE_SLICE): make it soon. */
  more?: boolean;
}

/** An evaluation of alerts received from a source: how many were taken, and how many refused (max_alerts). */
export interface Reception extends Evaluation {
  accepted: number;
  refused: number;
}

export interface EvaluatorOptions {
  store: Store;
  clock: Clock;
  alerting: Alerting;
  /** Told once of each stored silence or window whose matchers no longer read. */
  log: Logger;
}

interface Draft {
  now: number;
  /** Probes with a run in this evaluation. */
  ran: Set<string>;
  next: Map<string, Entry>;
  history: HistoryEntry[];
  windows: WindowRecord[];
  retry: Map<string, number>;
  holds: DraftHolds;
  inhibits: ReadonlyMap<string, string[]>;
  /** Alerts received from sources in this evaluation, by alert id. */
  received: Map<string, ExternalAlert>;
  /** Whether #expireReceived resolved every expired alert it had found (the next expiry is then found again at commit). */
  expiryLooked?: boolean;
  /** #expireReceived stopped at EXPIRE_SLICE with more to resolve. */
  moreToExpire?: boolean;
  /** How far into #expiring this evaluation took (see #expireReceived). */
  expiringTaken?: number;
  /** What the holds were computed from (see HoldBasis); set by #tellAll. */
  holdBasis?: HoldBasis;
  /** The instances #tellAll looked at (their release may have moved). */
  looked?: string[];
}

/**
 * What the last committed holds were computed from: the silences and windows in force (as one string), and the firing
 * inhibition sources. While both stay the same, only the instances an evaluation touches can change their holds.
 */
interface HoldBasis {
  signature: string;
  inhibitors: ReadonlySet<string>;
}

/** Evaluates runs against the rules and keeps every instance's state in the store. */
export class Evaluator {
  /** What the HTTP layer calls: alerts, silences, maintenance windows. */
  readonly api: AlertsApi;
  readonly #unitOfWork: Store['unitOfWork'];
  readonly #clock: Clock;
  readonly #alerting: Alerting;
  readonly #rulesByProbe = new Map<string, Rule[]>();
  readonly #rulesByName = new Map<string, Rule>();
  readonly #byRule = new Map<string, Map<string, Entry>>();
  readonly #stored = new Set<string>();
  /** Firing, or told firing, or flapping: their holds are looked at on every evaluation. */
  readonly #active = new Set<string>();
  readonly #identities = new Map<string, Map<string, { id: string; labels: Labels }>>();
  readonly #store: AlertStore;
  readonly #silences: Silences;
  readonly #unreadable: UnreadableWarning;
  readonly #entries = new Map<string, Entry>();
  readonly #details = new Map<string, string>();
  readonly #health = new Map<string, ProbeHealth>();
  /** When each probe last brought a run (evaluation time), for causes that must look before a symptom pages. */
  readonly #looked = new Map<string, number>();
  /**
   * Alerts kept pending for a cause (confirmed on their own, waiting for it: `awaitingCause`, stored with the
   * instance): re-checked every evaluation (see #releaseWaiting), also after a restart.
   */
  readonly #waiting = new Set<string>();
  /** Alerts whose hold ended: they wait for their probe before paging (see #releasing). */
  readonly #releases = new Map<string, Release>();
  /** Instances whose last tell was held back (told.held). */
  readonly #toldHeld = new Set<string>();
  /**
   * Of #toldHeld, those nothing holds any more or being released (#releases): what an evaluation must look at besides
   * what it touches. Kept at each commit for the instances it moved, so a part of a resolution does not walk every
   * alert held back (ten thousand silenced: each part of their resolution walked them all).
   */
  readonly #releasable = new Set<string>();
  /** The alerts received from sources whose instances are open, by alert id (kept in the store too). */
  readonly #external = new Map<string, ExternalAlert>();
  /** How many of #external each source has: counted at each receive, they cost a walk over every open alert. */
  readonly #openBySource = new Map<string, number>();
  #holds = new Map<string, Hold[]>();
  #inhibits: ReadonlyMap<string, string[]> = new Map();
  /** What #holds were computed from; undefined until an evaluation is committed after the store was (re)loaded. */
  #holdBasis: HoldBasis | undefined;
  /** No received alert's endsAt comes before this: until then, none can expire (-Infinity: look). */
  #nextExpiry = Number.NEGATIVE_INFINITY;
  /**
   * Open alerts from sources found expired by one walk over the open alerts, resolved EXPIRE_SLICE per evaluation from
   * #expiringTaken (as far as committed evaluations took) on: a part then costs what it resolves, where a walk per part
   * from the start cost every open alert again (ten thousand left open made each part of an expiry walk them all).
   */
  #expiring: string[] = [];
  #expiringTaken = 0;
  /** Active instances of rules removed from the config (see #resolveOrphans). */
  readonly #orphans = new Set<string>();
  /** Instances the last evaluation closed: looked at by it, not by the next one. */
  #closedLately: string[] = [];
  #generation = Number.NaN;
  #prunedAt = Number.NEGATIVE_INFINITY;

  constructor({ store, clock, alerting, log }: EvaluatorOptions) {
    this.#store = store.alerts;
    this.#unitOfWork = (fn) => store.unitOfWork(fn);
    this.#unreadable = warnUnreadable(log);
    this.#silences = new Silences(this.#store, alerting, () => this.#receivedKinds(), this.#unreadable);
    this.api = new AlertsApi({
      store: this.#store,
      silences: this.#silences,
      unreadable: this.#unreadable,
      alerting,
      clock,
      snapshot: () => {
        this.#syncWithStore();
        return {
          entries: this.#entries,
          holds: this.#holds,
          inhibits: this.#inhibits,
          details: this.#details,
          health: this.#health,
          external: this.#external,
        };
      },
    });
    this.#clock = clock;
    this.#alerting = alerting;
    const { cannotMeasure, healthNotBack, alertsRefused } = alerting.builtins;
    for (const rule of [...alerting.rules, cannotMeasure, healthNotBack, alertsRefused]) {
      this.#rulesByName.set(rule.name, rule);
      if (rule.probe) this.#rulesByProbe.set(rule.probe, [...(this.#rulesByProbe.get(rule.probe) ?? []), rule]);
    }
  }

  /** Evaluates `runs` (possibly none: a tick for silences, windows and holds) at the clock's now. */
  evaluate(runs: readonly ProbeRun[]): Evaluation {
    return this.#evaluate(this.#draft(), runs);
  }

  /**
   * Evaluates alerts received from `source` (alerts.yaml `sources`) at the clock's now: each is an instance of its
   * source's rule for its alertname, firing until its endsAt. A new alert past the source's max_alerts is refused, and
   * raises SourceAlertsRefused{source} at the highest priority refused, which resolves once the source has room.
   */
  receive(source: string, alerts: readonly PostedAlert[]): Reception {
    const config = this.#alerting.sources.get(source);
    if (!config) throw new Error(`rules: no source "${source}" in alerts.yaml`);
    const draft = this.#draft();
    let open = this.#openBySource.get(source) ?? 0;
    let accepted = 0;
    let refused = 0;
    let refusedTop: Priority | undefined;
    for (const posted of alerts) {
      const rule = this.#sourceRule(source, labelValue(posted.labels, 'alertname'));
      const { id, labels } = this.#identify(rule, posted.labels);
      const alert = receive(config, id, posted, draft.now);
      const known = this.#external.has(id) || draft.received.has(id);
      const e = this.#get(draft, id);
      // Prometheus resends a resolved alert for a while: one whose instance is closed already changes nothing.
      if (alert.endsAt <= draft.now && !(e && isActive(e.inst))) continue;
      if (!known && open >= config.max_alerts) {
        refused += 1;
        const priority = sourcePriority(config, posted.labels);
        if (refusedTop === undefined || PRIORITIES.indexOf(priority) < PRIORITIES.indexOf(refusedTop)) {
          refusedTop = priority;
        }
        continue;
      }
      if (!known) open += 1;
      accepted += 1;
      draft.received.set(id, alert);
      this.#observe(draft, rule, id, labels, sourceObservation(config, alert, draft.now));
    }
    // What stays open: the alerts this request resolves (endsAt passed) make room.
    let left = open;
    for (const a of draft.received.values()) if (a.endsAt <= draft.now) left -= 1;
    const refusal = refusedTop === undefined ? undefined : { refused, priority: refusedTop };
    this.#observeRefusals(draft, source, refusal, left);
    return { ...this.#evaluate(draft, []), accepted, refused };
  }

  #draft(): Draft {
    this.#syncWithStore();
    return {
      now: this.#clock.now(),
      ran: new Set(),
      next: new Map(),
      history: [],
      windows: [],
      retry: new Map(),
      holds: new DraftHolds(),
      inhibits: new Map(),
      received: new Map(),
    };
  }

  #evaluate(draft: Draft, runs: readonly ProbeRun[]): Evaluation {
    const { now } = draft;
    const base = this.#generation;
    for (const run of runs) this.#ingest(draft, run);
    this.#expireReceived(draft);
    this.#releaseWaiting(draft);
    const oneShot = this.#advanceWindows(draft);
    this.#resolveOrphans(draft);
    const events = this.#tellAll(draft, oneShot);
    let done = false;
    return {
      now,
      events,
      retry: [...draft.retry].map(([probe, every]) => ({ probe, every })),
      ...(draft.moreToExpire ? { more: true } : {}),
      commit: () => {
        if (done || this.#generation !== base) {
          throw new Error('rules: evaluation is stale; commit each evaluation once, in the order they were made');
        }
        done = true;
        this.#commit(draft);
      },
    };
  }

  /** Releases the recurring windows' cron matchers. */
  close(): void {
    for (const w of this.#alerting.windows) w.close();
  }

  #ingest(draft: Draft, run: ProbeRun): void {
    this.#looked.set(run.probe, draft.now);
    draft.ran.add(run.probe);
    const detail = run.cannotMeasure ?? run.reason ?? run.detail;
    // The detail of this run only: one from an earlier failure would be read as today's.
    if (detail === undefined) this.#details.delete(run.probe);
    else this.#details.set(run.probe, detail);
    const measured = run.up && run.cannotMeasure === undefined;
    const byName = new Map<string, Sample[]>();
    for (const s of run.samples) {
      const same = byName.get(s.name);
      if (same) same.push(s);
      else byName.set(s.name, [s]);
    }
    let breached = false;
    for (const rule of this.#rulesByProbe.get(run.probe) ?? []) {
      // No data: a failed run changes nothing for rules over its samples (see rules/state-machine.ts).
      if (!run.up && !rule.speaksForOutage) continue;
      const seen = new Set<string>();
      // The fast path's readings by instance (fast-path.ts); one it did not bring is clear when the run measured.
      const fast = new Map<string, { labels: Labels; obs: Observation }>();
      if (rule.fast) {
        for (const s of byName.get(rule.fast.sample) ?? []) {
          if (!matchesAll(rule.matchers, s.labels)) continue;
          const { id, labels } = this.#identify(rule, s.labels);
          const obs = observe({ op: rule.op, levels: rule.fast.levels, clearThreshold: undefined }, s.value);
          if (obs.kind === 'breach') breached = true;
          fast.set(id, { labels, obs });
        }
      }
      const fastOf = (id: string): Observation =>
        fast.get(id)?.obs ?? (measured ? { kind: 'clear', value: undefined } : { kind: 'no-data' });
      for (const s of byName.get(rule.sample) ?? []) {
        if (!matchesAll(rule.matchers, s.labels)) continue;
        const { id, labels } = this.#identify(rule, s.labels);
        seen.add(id);
        const obs = observe(rule, s.value);
        if (obs.kind === 'breach') breached = true;
        this.#observe(draft, rule, id, labels, obs, fastOf(id));
      }
      // A series gone from a run that measured has ended (container removed): it clears, as a stale series does.
      // A run that could not measure everything says so, and what it did not bring is no data, not gone.
      const gone: Observation = measured || rule.speaksForOutage ? { kind: 'clear', value: undefined } : NO_DATA;
      for (const [id, { labels, obs }] of fast) {
        if (seen.has(id)) continue;
        seen.add(id);
        this.#observe(draft, rule, id, labels, gone, obs);
      }
      if (!measured && !rule.speaksForOutage) continue;
      for (const e of this.#byRule.get(rule.name)?.values() ?? []) {
        const live = e.inst.state === 'pending' || e.inst.state === 'firing' || e.inst.flapping;
        if (live && !seen.has(e.id)) this.#observe(draft, rule, e.id, e.labels, gone, fastOf(e.id));
      }
    }
    const cm = this.#alerting.builtins.cannotMeasure;
    const { id, labels } = this.#identify(cm, { probe: run.probe });
    if (run.up && run.cannotMeasure !== undefined) {
      this.#observe(draft, cm, id, labels, { kind: 'breach', value: 1, threshold: 1, priority: this.#cannotMeasure });
    } else if (run.up && this.#get(draft, id)) {
      this.#observe(draft, cm, id, labels, { kind: 'clear', value: 0 });
    }
    this.#health.set(run.probe, { passing: measured && !breached, at: run.at });
  }

  get #cannotMeasure() {
    return this.#alerting.evaluation.cannot_measure;
  }

  /** Moves one-shot windows on; returns those still open. A window ending with health not back raises HealthNotBack. */
  #advanceWindows(draft: Draft): WindowRecord[] {
    const open: WindowRecord[] = [];
    const hnb = this.#alerting.builtins.healthNotBack;
    for (const w of this.#store.openWindows()) {
      const next = advanceWindow(w, this.#health, draft.now);
      if (next !== w) draft.windows.push(next);
      if (next.closedAt === undefined) open.push(next);
      if (next.outcome === 'unhealthy') {
        const { id, labels } = this.#identify(hnb, { window: next.id, probes: next.probes.join(',') });
        this.#observe(draft, hnb, id, labels, { kind: 'breach', value: 1, threshold: 1, priority: next.priority });
      }
    }
    for (const e of this.#byRule.get(hnb.name)?.values() ?? []) {
      const probes = (e.labels.probes ?? '').split(',');
      if (e.inst.state === 'firing' && healthy(probes, this.#health)) {
        this.#observe(draft, hnb, e.id, e.labels, { kind: 'clear', value: 0 });
      }
    }
    return open;
  }

  /**
   * SourceAlertsRefused{source}: fires (or rises) when a request had alerts refused, at the highest priority refused,
   * since a dropped alert may be a page; resolves at the first request that finds the source below its max_alerts.
   */
  #observeRefusals(
    draft: Draft,
    source: string,
    refusal: { refused: number; priority: Priority } | undefined,
    open: number,
  ) {
    const rule = this.#alerting.builtins.alertsRefused;
    const { id, labels } = this.#identify(rule, { source });
    const e = this.#get(draft, id);
    if (refusal) {
      // A lower priority refused later keeps the level already paged: the higher one may still be dropped.
      const priority =
        e &&
        isActive(e.inst) &&
        e.inst.priority &&
        PRIORITIES.indexOf(e.inst.priority) < PRIORITIES.indexOf(refusal.priority)
          ? e.inst.priority
          : refusal.priority;
      this.#observe(draft, rule, id, labels, { kind: 'breach', value: refusal.refused, threshold: 1, priority });
    } else if (e && isActive(e.inst) && open < (this.#alerting.sources.get(source)?.max_alerts ?? 0)) {
      this.#observe(draft, rule, id, labels, { kind: 'clear', value: 0 });
    }
  }

  /**
   * Open alerts from sources whose endsAt has passed without a resend resolve, EXPIRE_SLICE at a time: once the last
   * walk's finds are all taken and an endsAt has passed, one walk finds every expired alert, and each evaluation
   * resolves the next of them that still are (not resent meanwhile, nor resolved otherwise).
   */
  #expireReceived(draft: Draft): void {
    if (this.#expiringTaken >= this.#expiring.length) {
      if (draft.now < this.#nextExpiry) return;
      this.#expiring = [...this.#active].filter((id) => this.#expired(draft, id));
      this.#expiringTaken = 0;
    }
    let at = this.#expiringTaken;
    let resolved = 0;
    while (at < this.#expiring.length && resolved < EXPIRE_SLICE) {
      const id = this.#expiring[at++] as string;
      const e = this.#get(draft, id);
      if (!e || !isActive(e.inst) || !this.#expired(draft, id)) continue;
      this.#observe(draft, e.rule, id, e.labels, { kind: 'clear', value: undefined });
      resolved += 1;
    }
    draft.expiringTaken = at;
    if (at < this.#expiring.length) draft.moreToExpire = true;
    else draft.expiryLooked = true;
  }

  /** Whether the instance `id` is an alert of a configured source whose endsAt has passed, not received just now. */
  #expired(draft: Draft, id: string): boolean {
    const e = this.#get(draft, id);
    const source = e?.rule.source === undefined ? undefined : this.#alerting.sources.get(e.rule.source);
    if (!e || !source || draft.received.has(id)) return false;
    const alert = this.#external.get(id);
    return !alert || alert.endsAt <= draft.now;
  }

  /** The rule of `source`'s alerts named `alertname`, made once per evaluator and known by name from then on. */
  #sourceRule(source: string, alertname: string): Rule {
    const name = sourceRuleName(source, alertname);
    const known = this.#rulesByName.get(name);
    if (known) return known;
    const config = this.#alerting.sources.get(source);
    if (!config) return removedRule(name, this.#alerting.reading.locale);
    const rule = sourceRule(config, alertname);
    this.#rulesByName.set(name, rule);
    return rule;
  }

  /** The rule an instance stored under `name` belongs to: a configured rule, a source's, or one removed since. */
  #ruleNamed(name: string): Rule {
    const known = this.#rulesByName.get(name);
    if (known) return known;
    const bySource = splitSourceRuleName(name);
    return bySource
      ? this.#sourceRule(bySource.source, bySource.alertname)
      : removedRule(name, this.#alerting.reading.locale);
  }

  /** The alert names sources have sent that are open, as alerts a silence may name. */
  #receivedKinds(): AlertKind[] {
    const names = new Map<string, Set<string>>();
    for (const a of this.#external.values()) {
      const of = names.get(a.source) ?? new Set<string>();
      names.set(a.source, of);
      of.add(labelValue(a.labels, 'alertname'));
    }
    return [...names].flatMap(([source, alertnames]) => {
      const config = this.#alerting.sources.get(source);
      return config ? sourceKinds(config, alertnames) : [];
    });
  }

  /** Alerts of rules removed from the config resolve, so nobody keeps being paged for them. */
  #resolveOrphans(draft: Draft): void {
    for (const id of this.#orphans) {
      const e = this.#entries.get(id);
      if (!e || this.#rulesByName.get(e.rule.name) === e.rule) continue;
      const inst = step(e.inst, { kind: 'clear', value: undefined }, draft.now, e.rule);
      this.#put(draft, e, { ...inst, flapping: false, fast: undefined });
    }
  }

  /** One instance's observation by the rule, and by its fast path if it has one. */
  #observe(draft: Draft, rule: Rule, id: string, labels: Labels, obs: Observation, fast = NO_DATA): void {
    const prev = this.#get(draft, id);
    // A series that has never breached has no state worth keeping: it gets an instance when it first does.
    if (!prev && obs.kind !== 'breach' && fast.kind !== 'breach') return;
    const before = prev?.inst ?? inactive(draft.now);
    let inst = stepWithFast(before, obs, fast, draft.now, rule);
    // Only a breach kept back for a cause waits for one (confirmed or cleared, it no longer does: see step and fire).
    if (
      inst.state !== 'inactive' &&
      before.state !== inst.state &&
      this.#waitsForCause(draft, { id, rule, labels, inst })
    ) {
      inst = keepPending(inst, before);
    }
    if (obs.kind !== 'no-data' || fast.kind !== 'no-data') {
      const changed = (inst.state === 'firing') !== (before.state === 'firing');
      const flap = trackFlapping(inst, changed, draft.now, this.#alerting.evaluation.flapping);
      if (flap !== inst) inst = { ...inst, changes: flap.changes, flapping: flap.flapping };
    }
    // A possible cause starting: the probes of what it explains look now, so its page can list what it holds back.
    if (inst.state === 'pending' && before.state !== 'pending') {
      for (const probe of this.#alerting.symptomProbes.get(rule.name) ?? []) draft.retry.set(probe, 0);
    }
    // Confirming at retry_every's pace: a breach before it fires, and a recovery while it fires (after_successes).
    const confirming = inst.state === 'pending' || (inst.state === 'firing' && rule.afterSuccesses !== undefined);
    if (confirming && rule.retryEvery !== undefined) {
      draft.retry.set(rule.probe, Math.min(rule.retryEvery, draft.retry.get(rule.probe) ?? Number.POSITIVE_INFINITY));
    }
    if (inst !== before || !prev) this.#put(draft, prev ?? { id, rule, labels, inst }, inst);
  }

  /**
   * True when `e`, going pending or firing, must stay pending for a cause to confirm first (see rules/causes.ts);
   * asks the probes of causes that have not looked yet to run now.
   */
  #waitsForCause(draft: Draft, e: Entry): boolean {
    const links = this.#alerting.causes.get(e.rule.name);
    if (!links || e.inst.told.firing || e.inst.flapping) return false;
    const verdict = awaitCause(e, links, this.#causeLookup(draft), draft.now);
    for (const probe of verdict.ask) draft.retry.set(probe, 0);
    return e.inst.state === 'firing' && verdict.wait;
  }

  #causeLookup(draft: Draft): CauseLookup {
    return {
      instancesOf: (rule) => {
        const committed = [...(this.#byRule.get(rule)?.keys() ?? [])].map((id) => this.#get(draft, id) as Entry);
        const added = [...draft.next.values()].filter((e) => e.rule.name === rule && !this.#entries.has(e.id));
        return [...committed, ...added];
      },
      lastLooked: (probe) => this.#looked.get(probe),
      timing: (probe) => this.#alerting.probeTiming.get(probe),
      linksOf: (rule) => this.#alerting.causes.get(rule) ?? [],
    };
  }

  /** Alerts kept pending for a cause fire once it has fired, cleared, or had its window: checked every evaluation. */
  #releaseWaiting(draft: Draft): void {
    const waiting = new Set(this.#waiting);
    for (const [id, e] of draft.next) if (e.inst.awaitingCause) waiting.add(id);
    for (const id of waiting) {
      const e = this.#get(draft, id);
      if (
        !e?.inst.awaitingCause ||
        !ready(e.inst, draft.now, e.rule) ||
        this.#waitsForCause(draft, { ...e, inst: fire(e.inst, draft.now) })
      ) {
        continue;
      }
      const inst = fire(e.inst, draft.now);
      const flap = trackFlapping(inst, true, draft.now, this.#alerting.evaluation.flapping);
      this.#put(draft, e, { ...inst, changes: flap.changes, flapping: flap.flapping });
    }
  }

  /** True while a firing alert whose hold just ended is kept held for its probe's verdict (see rules/release.ts). */
  #releasing(draft: Draft, e: Entry, held: boolean): boolean {
    const probe = e.rule.probe;
    if (held || e.inst.state !== 'firing' || !e.inst.told.held || probe === '') {
      this.#releases.delete(e.id);
      return false;
    }
    const verdict = release(
      this.#releases.get(e.id),
      this.#fromCause(e),
      e.rule,
      this.#alerting.probeTiming.get(probe),
      {
        now: draft.now,
        ran: draft.ran.has(probe),
        breaching: breaching(e),
        lastLooked: this.#looked.get(probe),
      },
    );
    if (!verdict.held) {
      this.#releases.delete(e.id);
      return false;
    }
    this.#releases.set(e.id, verdict.release);
    const { ask } = verdict;
    if (ask !== undefined) draft.retry.set(probe, Math.min(ask, draft.retry.get(probe) ?? ask));
    return true;
  }

  /**
   * Whether `e`'s hold that just ended was an inhibition: as the last evaluation held it, or, when this process has not
   * seen it held (a restart), whether an inhibition could hold it at all.
   */
  #fromCause(e: Entry): boolean {
    const before = this.#holds.get(e.id);
    return before ? before.some((h) => h.kind === 'inhibited') : this.#alerting.causes.has(e.rule.name);
  }

  #put(draft: Draft, e: Entry, inst: Instance): void {
    const before = this.#get(draft, e.id)?.inst.state ?? 'inactive';
    if (inst.state !== before) {
      draft.history.push({
        alertId: e.id,
        at: draft.now,
        kind: 'state',
        what: inst.state,
        priority: inst.priority,
        value: inst.value,
        suppressedBy: [],
      });
    }
    draft.next.set(e.id, { ...e, inst });
  }

  #get(draft: Draft, id: string): Entry | undefined {
    return draft.next.get(id) ?? this.#entries.get(id);
  }

  /** Holds (silences, windows, inhibitions) of every instance that is or was firing, then what to tell. */
  #tellAll(draft: Draft, oneShot: readonly WindowRecord[]): AlertEvent[] {
    const now = draft.now;
    const windows = [
      ...this.#alerting.windows.filter((w) => w.at(now)?.open).map((w) => ({ id: w.name, matchers: w.matchers })),
      ...oneShot.map((w) => ({
        id: w.id,
        matchers: storedWindowMatchers(w, this.#unreadable).matchers,
        budget: w.budget,
      })),
    ];
    const sources: HoldSources = {
      now,
      silences: this.#silences.active(now),
      windows,
      inhibit: this.#alerting.inhibit,
    };
    const { candidates, holds, inhibits } = this.#holdsOf(draft, sources);
    draft.holds = holds;
    draft.inhibits = inhibits;
    draft.looked = candidates.map((e) => e.id);
    const pending: { e: Entry; tells: Tell[] }[] = [];
    for (const e of candidates) {
      const held = (holds.get(e.id) ?? []).length > 0;
      const releasing = this.#releasing(draft, e, held);
      // Still held by what held it while it is being released, so escalation, the API and `centinela test` see it so.
      if (releasing) holds.set(e.id, this.#holds.get(e.id) ?? []);
      const told = tell(e.inst, held || releasing);
      const current = sameTold(told.told, e.inst.told) ? e : { ...e, inst: { ...e.inst, told: told.told } };
      if (current !== e) draft.next.set(e.id, current);
      if (told.tells.length > 0) pending.push({ e: current, tells: told.tells });
    }
    // Alerts are built after every hold is known, so a source's `inhibits` is complete in its own page.
    return pending.flatMap(({ e, tells }) => {
      const ctx = this.#context(draft, e.id);
      return tells.map((t) => {
        draft.history.push({
          alertId: e.id,
          at: now,
          kind: 'told',
          what: t.type,
          priority: e.inst.priority,
          value: e.inst.value,
          suppressedBy: ctx.suppressedBy,
        });
        const alert = buildAlert(e.rule, e.id, e.labels, e.inst, ctx);
        return t.type === 'priority-changed'
          ? { type: t.type, at: now, alert, from: t.from }
          : { type: t.type, at: now, alert };
      });
    });
  }

  /**
   * The instances to look at and the holds of all. Only what fires, flaps or was told so can have something to tell;
   * those seen in this evaluation come first, in the order they were seen, so events follow the runs. When the
   * silences, windows and inhibition sources are those of the last evaluation (and no window's budget runs out with
   * time), an instance this evaluation did not touch keeps its holds and has nothing new to tell: only the touched
   * ones, and those being released (which wait on time and runs), are looked at, so a receive costs what it touches.
   */
  #holdsOf(
    draft: Draft,
    sources: HoldSources,
  ): { candidates: Entry[]; holds: DraftHolds; inhibits: Map<string, string[]> } {
    const signature = JSON.stringify([sources.silences, sources.windows]);
    const basis = this.#holdBasis;
    const touched: Entry[] = [];
    for (const [id, e] of draft.next) if (isActive(e.inst) || this.#active.has(id)) touched.push(e);
    const same =
      basis?.signature === signature &&
      sources.windows.every((w) => w.budget === undefined) &&
      touched.every((e) => {
        const before = this.#entries.get(e.id);
        return inhibitingAs(e, sources.inhibit) === (before && inhibitingAs(before, sources.inhibit));
      });
    if (!same) {
      const ids = new Set<string>(touched.map((e) => e.id));
      for (const id of this.#active) ids.add(id);
      const candidates: Entry[] = [];
      for (const id of ids) {
        const e = this.#get(draft, id);
        if (e) candidates.push(e);
      }
      const inhibitors = new Set<string>();
      for (const e of candidates) if (inhibitingAs(e, sources.inhibit) !== undefined) inhibitors.add(e.id);
      draft.holdBasis = { signature, inhibitors };
      return { candidates, ...freshHolds(computeHolds(candidates, sources)) };
    }
    draft.holdBasis = basis;
    const candidates = [...touched];
    const looked = new Set(touched.map((e) => e.id));
    // A firing alert told held that nothing holds any more is being released (see #releasing): time and runs decide.
    for (const id of this.#releasable) {
      const e = this.#get(draft, id);
      // (one being released still shows the hold it had: see #tellAll)
      const unheld = e?.inst.state === 'firing' && (this.#releases.has(id) || (this.#holds.get(id) ?? []).length === 0);
      if (e && unheld && !looked.has(id) && this.#active.has(id)) {
        looked.add(id);
        candidates.push(e);
      }
    }
    // Every firing source takes part, so the touched instances it holds are found.
    const recomputed = new Set(looked);
    const entries = [...candidates];
    for (const id of basis.inhibitors) {
      const e = this.#get(draft, id);
      if (e && !recomputed.has(id)) {
        recomputed.add(id);
        entries.push(e);
      }
    }
    const computed = computeHolds(entries, sources);
    return {
      candidates,
      ...mergeHolds({ holds: this.#holds, inhibits: this.#inhibits }, computed, recomputed, this.#closedLately),
    };
  }

  #context(draft: Draft, id: string): AlertContext {
    return {
      suppressedBy: draft.holds.get(id) ?? [],
      inhibits: draft.inhibits.get(id) ?? [],
      details: this.#details,
      health: this.#health,
      now: draft.now,
      deployOutput: (window) => this.#store.getWindow(window)?.output,
      reading: this.#alerting.reading,
      external: (alert) => draft.received.get(alert) ?? this.#external.get(alert),
    };
  }

  #commit(draft: Draft): void {
    const writes: StoredInstance[] = [];
    for (const e of draft.next.values()) {
      const old = this.#entries.get(e.id)?.inst;
      const changed = this.#stored.has(e.id) && old ? !samePersisted(old, e.inst) : !blank(e.inst);
      if (changed) writes.push({ id: e.id, rule: e.rule.name, labels: e.labels, inst: e.inst });
    }
    // A received alert is kept while its instance is open; one whose instance closed is forgotten.
    const received = [...draft.received.values()].filter((a) => isActive(this.#get(draft, a.id)?.inst ?? CLOSED));
    const closed: string[] = [];
    for (const e of draft.next.values()) {
      if (e.rule.source !== undefined && !isActive(e.inst) && this.#external.has(e.id)) closed.push(e.id);
    }
    const prune = draft.now - this.#prunedAt >= PRUNE_EVERY;
    const anything = writes.length > 0 || draft.history.length > 0 || draft.windows.length > 0;
    if (anything || received.length > 0 || closed.length > 0 || prune) {
      this.#unitOfWork(() => {
        this.#store.save(writes, draft.history, this.#generation + 1, draft.now);
        for (const w of draft.windows) this.#store.updateWindow(w);
        if (received.length > 0 || closed.length > 0) this.#store.saveExternal(received, closed);
        if (prune) this.#store.prune(draft.now - RETENTION);
      });
      this.#generation += 1;
    }
    for (const a of received) this.#keepExternal(a);
    for (const id of closed) this.#forgetExternal(id);
    if (draft.expiringTaken !== undefined) this.#expiringTaken = draft.expiringTaken;
    if (draft.expiryLooked) {
      this.#nextExpiry = Number.POSITIVE_INFINITY;
      for (const a of this.#external.values()) this.#nextExpiry = Math.min(this.#nextExpiry, a.endsAt);
    } else for (const a of received) this.#nextExpiry = Math.min(this.#nextExpiry, a.endsAt);
    for (const e of draft.next.values()) this.#remember(e);
    for (const w of writes) this.#stored.add(w.id);
    this.#holds = draft.holds.commit(this.#holds);
    // What this evaluation may have moved: holds it set or dropped, instances it changed, and those it looked at (their
    // release may have moved). Holds computed afresh look at every active instance, so this covers them too.
    for (const id of [...draft.holds.changed(), ...draft.next.keys(), ...(draft.looked ?? [])])
      this.#noteReleasable(id);
    this.#inhibits = draft.inhibits;
    this.#holdBasis = draft.holdBasis;
    this.#closedLately = [];
    for (const e of draft.next.values()) if (!isActive(e.inst) && draft.holds.has(e.id)) this.#closedLately.push(e.id);
    if (prune) {
      this.#prunedAt = draft.now;
      this.#generation = Number.NaN; // what was pruned leaves memory at the next evaluation, which reloads
    }
  }

  #remember(e: Entry): void {
    this.#entries.set(e.id, e);
    const ofRule = this.#byRule.get(e.rule.name) ?? new Map<string, Entry>();
    this.#byRule.set(e.rule.name, ofRule);
    ofRule.set(e.id, e);
    if (isActive(e.inst)) this.#active.add(e.id);
    else this.#active.delete(e.id);
    if (e.inst.awaitingCause) this.#waiting.add(e.id);
    else this.#waiting.delete(e.id);
    if (isActive(e.inst) && this.#rulesByName.get(e.rule.name) !== e.rule) this.#orphans.add(e.id);
    else this.#orphans.delete(e.id);
    if (e.inst.told.held) this.#toldHeld.add(e.id);
    else this.#toldHeld.delete(e.id);
  }

  /** Whether `id` is in #releasable, from its told, its holds and its release as committed. */
  #noteReleasable(id: string): void {
    const unheld = this.#toldHeld.has(id) && (this.#releases.has(id) || (this.#holds.get(id) ?? []).length === 0);
    if (unheld) this.#releasable.add(id);
    else this.#releasable.delete(id);
  }

  #keepExternal(a: ExternalAlert): void {
    if (!this.#external.has(a.id)) this.#openBySource.set(a.source, (this.#openBySource.get(a.source) ?? 0) + 1);
    this.#external.set(a.id, a);
  }

  #forgetExternal(id: string): void {
    const a = this.#external.get(id);
    if (!a) return;
    this.#external.delete(id);
    this.#openBySource.set(a.source, (this.#openBySource.get(a.source) ?? 1) - 1);
  }

  /** Reloads every instance when the store is not at the generation this evaluator last wrote (start, rollback). */
  #syncWithStore(): void {
    const generation = this.#store.generation();
    if (generation === this.#generation) return;
    this.#entries.clear();
    this.#byRule.clear();
    this.#stored.clear();
    this.#active.clear();
    this.#waiting.clear();
    this.#toldHeld.clear();
    this.#releasable.clear();
    this.#external.clear();
    this.#openBySource.clear();
    this.#orphans.clear();
    this.#nextExpiry = Number.NEGATIVE_INFINITY;
    this.#expiring = [];
    this.#expiringTaken = 0;
    this.#holdBasis = undefined;
    for (const a of this.#store.loadExternal()) this.#keepExternal(a);
    for (const s of this.#store.loadInstances()) {
      const rule = this.#ruleNamed(s.rule);
      this.#remember({ id: s.id, rule, labels: s.labels, inst: s.inst });
      this.#stored.add(s.id);
    }
    this.#generation = generation;
  }

  /** The id and alert labels of a rule's series; cached, as hashing every sample on every run adds up. */
  #identify(rule: Rule, sampleLabels: Labels): { id: string; labels: Labels } {
    let ofRule = this.#identities.get(rule.name);
    if (!ofRule) {
      ofRule = new Map();
      this.#identities.set(rule.name, ofRule);
    }
    const key = JSON.stringify(sampleLabels);
    let known = ofRule.get(key);
    if (!known) {
      // Series come and go (routes, containers); a rule that has seen very many starts its cache over.
      if (ofRule.size > 50_000) ofRule.clear();
      const labels = alertLabels(rule, sampleLabels);
      known = { id: alertId(rule.name, labels), labels };
      ofRule.set(key, known);
    }
    return known;
  }
}

/** Whether an instance's latest value is past the threshold of its priority (not merely in the band above clear). */
function breaching(e: Entry): boolean {
  const { value, threshold } = e.inst;
  return value !== undefined && threshold !== undefined && compare(e.rule.op, value, threshold);
}
