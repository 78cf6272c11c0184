// A rules harness for tests: a config from plain objects (or the shipped config/), a FakeClock, a real SQLite store,
// and the engine's loop (paging nobody), so each evaluation commits the way the daemon's does. Real probes can feed
// it as the scheduler feeds the daemon.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Logger, pino } from 'pino';
import { expect } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config/load.js';
import type { ProbeConfig } from '../../src/config/probes.js';
import { type AlertsFile, alertsFile } from '../../src/config/schema.js';
import type { AlertRecord } from '../../src/engine/alerts-api.js';
import type { Evaluation, Evaluator } from '../../src/engine/evaluator.js';
import { Engine } from '../../src/engine/loop.js';
import { DEFAULT_READING, type Reading } from '../../src/locale/locale.js';
import { type Matcher, parseMatchers } from '../../src/matchers.js';
import { type RunOutcome, runGuarded } from '../../src/probes/guarded-run.js';
import { createProbe } from '../../src/probes/index.js';
import { compileAlerting } from '../../src/rules/alerting.js';
import { AlertingError } from '../../src/rules/errors.js';
import type { PostedAlert } from '../../src/rules/external.js';
import { openStore, type SqliteStore } from '../../src/store/sqlite.js';
import type { Db } from '../../src/store/sqlite-db.js';
import type { AlertEvent, Labels, ProbeRun, Sample } from '../../src/types.js';
import { SHIPPED_ENV, SHIPPED_READING } from './shipped-env.js';

const silent = pino({ level: 'silent' });

/** The AlertingError `fn` throws, for its code and message. */
export function refusal(fn: () => unknown): AlertingError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AlertingError) return err;
    throw err;
  }
  throw new Error('not refused');
}

/** An http probe config: the rules only need its name. */
export const probe = (name: string) => ({ name, kind: 'http', url: 'http://127.0.0.1:9/', every: '30s' });

/** A fresh state file in a temporary folder (a file, not :memory:, so a test can close and reopen it). */
export function tempStatePath(): string {
  return join(mkdtempSync(join(tmpdir(), 'centinela-rules-')), 'state.db');
}

/** A real probe feeding a harness: `run()` runs it once and hands the result to the harness's engine. */
export interface HarnessProbe {
  run(): Promise<RunOutcome>;
  close(): Promise<void>;
}

/** What a harness evaluates: alerts.yaml keys as plain objects, or an alerts file loaded from a config folder. */
export type HarnessConfig = Record<string, unknown> | { loaded: AlertsFile };

/** An evaluated config with a clock and a store; `run` and `tick` evaluate and commit like the daemon. */
export class RulesHarness {
  readonly clock: FakeClock;
  readonly path: string;
  store: SqliteStore;
  engine: Engine;
  readonly #alerts: AlertsFile;
  /** The language and time zone of centinela's own alerts: English and UTC unless a test says otherwise. */
  readonly #reading: Reading;
  last: Evaluation | undefined;

  readonly #log: Logger;

  /** `log`: the engine's logger (silent unless a test reads what it logs). */
  constructor(config: HarnessConfig, opts: { clock?: FakeClock; path?: string; reading?: Reading; log?: Logger } = {}) {
    this.#alerts = 'loaded' in config ? (config.loaded as AlertsFile) : alertsFile.parse(config);
    this.#log = opts.log ?? silent;
    this.#reading = opts.reading ?? DEFAULT_READING;
    this.clock = opts.clock ?? new FakeClock(Date.UTC(2026, 0, 5, 10, 0, 0));
    this.path = opts.path ?? tempStatePath();
    this.store = openStore(this.path);
    this.engine = this.#build();
  }

  /** The rules of config/ as shipped, with only the required environment set (`${VAR:-default}` takes its default). */
  static async shipped(opts: { clock?: FakeClock; path?: string } = {}): Promise<RulesHarness> {
    const { alerts } = await loadConfig({ dir: 'config', env: SHIPPED_ENV });
    return new RulesHarness({ loaded: alerts }, { reading: SHIPPED_READING, ...opts });
  }

  #build(): Engine {
    const { alerting, issues } = compileAlerting(this.#alerts, this.#reading);
    if (issues.length > 0) throw new Error(issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n'));
    return new Engine({ store: this.store, clock: this.clock, log: this.#log, alerting });
  }

  /** The SQLite handle under the store. */
  get db(): Db {
    return this.store.db;
  }

  /** The engine's evaluator. */
  get evaluator(): Evaluator {
    return this.engine.evaluator;
  }

  /** Closes the store and opens it again under a new engine, as a restart does. */
  restart(): void {
    this.close();
    this.store = openStore(this.path);
    this.engine = this.#build();
  }

  close(): void {
    this.engine.close();
    this.store.close();
  }

  /** Evaluates runs through the engine's loop; returns the events. */
  evaluate(runs: ProbeRun[]): AlertEvent[] {
    this.last = this.engine.evaluate(runs);
    return this.last.events;
  }

  /** One up run of `probeName` with `values` as unlabelled samples (`{ latency: 0.6 }` → `api.latency 0.6`). */
  run(probeName: string, values: Record<string, number>, extra: Partial<ProbeRun> = {}): AlertEvent[] {
    const samples = Object.entries(values).map(([name, value]) => ({
      name: `${probeName}.${name}`,
      labels: {},
      value,
    }));
    return this.runSamples(probeName, samples, extra);
  }

  /** One run with labelled samples; `<probe>.up` is added from `extra.up` (default up). */
  runSamples(probeName: string, samples: Sample[], extra: Partial<ProbeRun> = {}): AlertEvent[] {
    const up = extra.up ?? true;
    return this.evaluate([
      {
        probe: probeName,
        up,
        samples: [...samples, { name: `${probeName}.up`, labels: {}, value: up ? 1 : 0 }],
        at: this.clock.now(),
        ...extra,
      },
    ]);
  }

  /**
   * The probe `name` of this harness's config, with `where` in place of what points at production (url, endpoint,
   * paths: values as loaded, so a url is a Secret). Each `run()` goes through the scheduler's guard (its timeout on
   * this harness's clock) and the result is ingested by the engine as the daemon's scheduler hands it over. A restart
   * of the harness keeps the probe: take a new one to start its state (rates, growth) over, as a restarted daemon does.
   */
  probe(name: string, where: Record<string, unknown>): HarnessProbe {
    const configured = this.#alerts.probes.find((p) => p.name === name);
    if (!configured) throw new Error(`no probe "${name}" in the harness's config`);
    const config = { ...configured, ...where } as ProbeConfig;
    const probe = createProbe(config, { log: silent, clock: this.clock });
    return {
      run: async () => {
        const outcome = await runGuarded(config, probe, { clock: this.clock, log: silent });
        const { result, samples, startedAt, durationMs } = outcome;
        this.engine.ingest(name, result, samples, startedAt, { scheduledAt: startedAt, startedAt, durationMs });
        return outcome;
      },
      close: async () => probe.close?.(),
    };
  }

  /**
   * Expects `alertname` to resolve exactly one clear_for (its rule's) after the first run on the good side: runs
   * `probe` every `every` ms, the first of these runs being that one, and expects the alert still firing until
   * clear_for has passed since it, then resolved. `beforeRun` sets what the target shows at each run. Returns the
   * samples of the first good run.
   */
  async expectResolvedOneClearForLater(
    probe: HarnessProbe,
    every: number,
    alertname: string,
    labels: Labels = {},
    beforeRun: () => unknown = () => {},
  ): Promise<Sample[]> {
    const rule = this.#alerts.rules.find((r) => r.name === alertname);
    if (!rule) throw new Error(`no rule "${alertname}" in the harness's config`);
    const next = async () => {
      await this.advance(every);
      await beforeRun();
      return (await probe.run()).samples;
    };
    const first = await next();
    for (let since = every; since <= rule.clear_for; since += every) {
      expect(this.state(alertname, labels), `${alertname} ${(since - every) / 1000} s after the first good run`).toBe(
        'firing',
      );
      await next();
    }
    expect(this.state(alertname, labels), `${alertname} one clear_for after the first good run`).toBe('resolved');
    return first;
  }

  /** A failed run: only `<probe>.up 0`. */
  down(probeName: string, reason = 'connection refused'): AlertEvent[] {
    return this.runSamples(probeName, [], { up: false, reason });
  }

  /** Alerts received from `source` (the Alertmanager API's intake) through the engine's loop; returns the events. */
  receive(source: string, alerts: PostedAlert[]): AlertEvent[] {
    this.last = this.engine.receive(source, alerts);
    return this.last.events;
  }

  /** An evaluation without runs (silences, windows, holds). */
  tick(): AlertEvent[] {
    return this.evaluate([]);
  }

  async advance(ms: number): Promise<void> {
    await this.clock.advance(ms);
  }

  /** The instance of `alertname` with these sample labels, in any state. */
  alert(alertname: string, labels: Labels = {}): AlertRecord | undefined {
    return this.evaluator.api
      .listAlerts({ state: ['inactive', 'pending', 'firing', 'resolved'], alertname })
      .find((r) => Object.entries(labels).every(([k, v]) => r.alert.labels[k] === v));
  }

  /** The state of `alertname` (undefined when no instance exists). */
  state(alertname: string, labels: Labels = {}): string | undefined {
    return this.alert(alertname, labels)?.state;
  }
}

/** Events as short strings for table assertions: `firing ApiDown P0`, `priority-changed Lat P2→P1`. */
export function summarize(events: readonly AlertEvent[]): string[] {
  return events.map((e) => {
    const held = e.alert.suppressedBy.length > 0 ? ` held:${e.alert.suppressedBy.map((s) => s.kind).join(',')}` : '';
    const from = e.type === 'priority-changed' ? `${e.from}→` : '';
    return `${e.type} ${e.alert.alertname} ${from}${e.alert.priority}${held}`;
  });
}

/** Matchers written as the config and the API write them (`{ alertname: "=~Api.*" }`); throws on a bad one. */
export function m(map: Record<string, string>): Matcher[] {
  const parsed = parseMatchers(map);
  if (!('matchers' in parsed)) throw new Error(parsed.problems.join('; '));
  return parsed.matchers;
}
