// Turns probe schedules into runs: `every` or `cron`, a timeout per run, never two runs of one probe at once,
// start times spread with jitter, re-runs on demand, reload without losing state, and a bounded stop.
//
// Timing rules:
// - `every: T`: runs at start + phase + k·T. The phase is a fraction of min(T, 30 s) fixed by the probe's name, so
//   200 probes spread over up to 30 s instead of firing in one millisecond, and a restart keeps each probe's place.
// - `cron`: the expression's fire times in `timezone`, each plus a phase of a fraction of min(gap, 5 s), where gap is
//   the time between its first two fire times (a "run at 03:00" stays near 03:00).
// - A run that falls due while the previous one is still in flight is skipped and counted, never queued.
// - `runSoon(name, ms)` adds one run `ms` from now unless a run is due sooner anyway; the schedule goes on as before.
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from './clock.js';
import type { ProbeConfig } from './config/probes.js';
import { isPlainObject, Secret } from './config/secret.js';
import { CronSchedule } from './cron.js';
import { runGuarded } from './probes/guarded-run.js';
import { createProbe } from './probes/index.js';
import type { Probe, ProbeDeps, ProbeResult } from './probes/probe.js';
import type { HeartbeatReader, Sample } from './types.js';

const EVERY_SPREAD_MS = 30_000;
const CRON_SPREAD_MS = 5_000;

/** When a run was due, when it started and how long it took. */
export interface RunTiming {
  scheduledAt: number;
  startedAt: number;
  durationMs: number;
}

/** Receives every finished run: the result, its named samples (up and duration included), the start time. */
export type OnResult = (probe: string, result: ProbeResult, samples: Sample[], at: number, timing: RunTiming) => void;

export interface SchedulerOptions {
  clock: Clock;
  log: Logger;
  onResult: OnResult;
  /** IANA timezone for cron expressions; the host's when omitted. */
  timezone?: string;
  /** Makes a probe from its config: the registry's createProbe unless a test brings scripted probes. */
  createProbe?: (config: ProbeConfig, deps: ProbeDeps) => Probe;
  /** The pushed pings heartbeat probes read (the state store's). */
  heartbeats?: HeartbeatReader;
}

/** Counters of one probe since it was (re)created. */
export interface ProbeStats {
  runs: number;
  /** Runs not started because the previous one was still in flight. */
  skips: number;
  /** Runs that ended `up: false`. */
  failures: number;
  running: boolean;
  lastResult?: ProbeResult;
  lastRunAt?: number;
  lastDurationMs?: number;
  nextRunAt?: number;
}

interface Entry {
  config: ProbeConfig;
  fingerprint: string;
  probe: Probe;
  log: Logger;
  /** Fraction of the spread window for this probe, fixed by its name. */
  phaseFraction: number;
  cron?: CronSchedule;
  next?: { slot: number; at: number; cancel: () => void };
  soon?: { at: number; cancel: () => void };
  inFlight?: { done: Promise<void>; abort: AbortController };
  stats: Omit<ProbeStats, 'running' | 'nextRunAt'>;
  retired: boolean;
}

/** Runs a set of probes on their schedules until stopped; see the timing rules at the top of this file. */
export class Scheduler {
  readonly #options: SchedulerOptions;
  #entries = new Map<string, Entry>();
  readonly #closing = new Set<Promise<void>>();
  #started = false;

  constructor(probes: readonly ProbeConfig[], options: SchedulerOptions) {
    this.#options = options;
    for (const config of unique(probes)) this.#entries.set(config.name, this.#entry(config));
  }

  /** Schedules every probe's first run. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    for (const entry of this.#entries.values()) this.#scheduleFirst(entry);
  }

  /**
   * Applies a new probe list: a probe whose config is unchanged keeps its instance, state, counters and schedule;
   * a changed one is replaced (its run in flight is aborted and its result dropped); a removed one is closed.
   */
  reload(probes: readonly ProbeConfig[]): void {
    const next = new Map<string, Entry>();
    for (const config of unique(probes)) {
      const old = this.#entries.get(config.name);
      if (old && old.fingerprint === fingerprint(config)) {
        next.set(config.name, old);
        continue;
      }
      const entry = this.#entry(config);
      next.set(config.name, entry);
      if (this.#started) this.#scheduleFirst(entry);
    }
    for (const [name, old] of this.#entries) {
      if (next.get(name) !== old) this.#retire(old, 'aborted: probe configuration replaced');
    }
    this.#entries = next;
  }

  /**
   * Asks for a run of `name` within `delayMs` (rules confirm a breach with `retry_every`). False when no such probe
   * is scheduled. A run already due sooner, or a pending earlier request, makes this a no-op.
   */
  runSoon(name: string, delayMs: number): boolean {
    const entry = this.#entries.get(name);
    if (!entry || !this.#started) return false;
    const at = this.#options.clock.now() + Math.max(0, delayMs);
    if ((entry.next && entry.next.at <= at) || (entry.soon && entry.soon.at <= at)) return true;
    entry.soon?.cancel();
    const cancel = this.#options.clock.setTimeout(() => {
      entry.soon = undefined;
      this.#fire(entry, at);
    }, at - this.#options.clock.now());
    entry.soon = { at, cancel };
    return true;
  }

  /** A snapshot of every probe's counters, by probe name. */
  stats(): Map<string, ProbeStats> {
    const out = new Map<string, ProbeStats>();
    for (const [name, e] of this.#entries) {
      out.set(name, { ...e.stats, running: e.inFlight !== undefined, nextRunAt: e.next?.at });
    }
    return out;
  }

  /**
   * Stops scheduling, waits up to `boundMs` for the runs in flight (their results are delivered), then aborts the
   * rest (their results are dropped: they say nothing about the target) and closes every probe.
   */
  async stop(boundMs: number): Promise<void> {
    this.#started = false;
    const entries = [...this.#entries.values()];
    for (const entry of entries) cancelTimers(entry);
    const inFlight = entries.flatMap((e) => (e.inFlight ? [e.inFlight.done] : []));
    if (inFlight.length > 0) {
      if (boundMs > 0) {
        const bound = new AbortController();
        await Promise.race([Promise.all(inFlight), this.#options.clock.sleep(boundMs, bound.signal).catch(() => {})]);
        bound.abort();
      }
      const stopping = new DOMException('aborted: centinela is stopping', 'AbortError');
      for (const entry of entries) entry.inFlight?.abort.abort(stopping);
      await Promise.all(inFlight);
    }
    for (const entry of entries) this.#retire(entry, 'aborted: centinela is stopping');
    this.#entries = new Map();
    await Promise.all(this.#closing);
  }

  #entry(config: ProbeConfig): Entry {
    const { clock } = this.#options;
    const log = this.#options.log.child({ probe: config.name });
    const entry: Entry = {
      config,
      fingerprint: fingerprint(config),
      probe: (this.#options.createProbe ?? createProbe)(config, { log, clock, heartbeats: this.#options.heartbeats }),
      log,
      phaseFraction: createHash('sha256').update(config.name).digest().readUInt32BE(0) / 2 ** 32,
      stats: { runs: 0, skips: 0, failures: 0 },
      retired: false,
    };
    if (config.cron !== undefined) {
      try {
        entry.cron = new CronSchedule(config.cron, this.#options.timezone);
      } catch (err) {
        log.error(
          { cron: config.cron, reason: (err as Error).message },
          'cron expression not usable; probe not scheduled',
        );
      }
    }
    return entry;
  }

  #scheduleFirst(entry: Entry): void {
    const now = this.#options.clock.now();
    const { every, cron } = entry.config;
    if (cron !== undefined) {
      if (!entry.cron) return; // not usable: logged when the entry was made
      const first = entry.cron.next(now);
      if (first === undefined) {
        entry.log.error({ cron }, 'cron expression never fires; probe not scheduled');
        return;
      }
      const gap = (entry.cron.next(first) ?? first + CRON_SPREAD_MS) - first;
      this.#scheduleAt(entry, first, first + Math.floor(entry.phaseFraction * Math.min(gap, CRON_SPREAD_MS)));
    } else if (every !== undefined) {
      const at = now + Math.floor(entry.phaseFraction * Math.min(every, EVERY_SPREAD_MS));
      this.#scheduleAt(entry, at, at);
    } else {
      entry.log.warn('probe has neither every nor cron; it runs only when asked');
    }
  }

  /** Arms the regular timer for `slot` (the unjittered fire time), firing at `at`. */
  #scheduleAt(entry: Entry, slot: number, at: number): void {
    const { clock } = this.#options;
    const cancel = clock.setTimeout(() => {
      entry.next = undefined;
      this.#fire(entry, at);
      this.#scheduleAfter(entry, slot, at);
    }, at - clock.now());
    entry.next = { slot, at, cancel };
  }

  #scheduleAfter(entry: Entry, slot: number, at: number): void {
    if (!this.#started || entry.retired) return;
    const now = this.#options.clock.now();
    const { every } = entry.config;
    if (entry.cron) {
      // Slots missed while the process was stalled are not made up: the next one after now.
      const nextSlot = entry.cron.next(Math.max(slot, now - (at - slot)));
      if (nextSlot !== undefined) this.#scheduleAt(entry, nextSlot, nextSlot + (at - slot));
    } else if (every !== undefined) {
      const behind = Math.max(0, Math.ceil((now - at - every) / every));
      const nextAt = at + (behind + 1) * every;
      this.#scheduleAt(entry, nextAt, nextAt);
    }
  }

  #fire(entry: Entry, scheduledAt: number): void {
    if (entry.inFlight) {
      entry.stats.skips++;
      entry.log.warn({ skips: entry.stats.skips }, 'run skipped: the previous run is still in flight');
      return;
    }
    const { clock, onResult } = this.#options;
    const abort = new AbortController();
    const done = runGuarded(entry.config, entry.probe, { clock, log: entry.log, signal: abort.signal }).then(
      (outcome) => {
        entry.inFlight = undefined;
        const { stats } = entry;
        stats.runs++;
        if (!outcome.result.up) stats.failures++;
        stats.lastResult = outcome.result;
        stats.lastRunAt = outcome.startedAt;
        stats.lastDurationMs = outcome.durationMs;
        if (entry.retired || abort.signal.aborted) return;
        const timing = { scheduledAt, startedAt: outcome.startedAt, durationMs: outcome.durationMs };
        try {
          onResult(entry.config.name, outcome.result, outcome.samples, outcome.startedAt, timing);
        } catch (err) {
          entry.log.error({ reason: (err as Error).message }, 'onResult threw');
        }
      },
    );
    entry.inFlight = { done, abort };
  }

  /** Takes `entry` off the schedule, aborts its run in flight with `why`, and closes its probe after that run. */
  #retire(entry: Entry, why: string): void {
    if (entry.retired) return;
    entry.retired = true;
    cancelTimers(entry);
    entry.cron?.close();
    entry.inFlight?.abort.abort(new DOMException(why, 'AbortError'));
    const closing = (entry.inFlight?.done ?? Promise.resolve())
      .then(() => entry.probe.close?.())
      .catch((err: unknown) => entry.log.warn({ reason: (err as Error).message }, 'probe did not close'))
      .finally(() => this.#closing.delete(closing));
    this.#closing.add(closing);
  }
}

function cancelTimers(entry: Entry): void {
  entry.next?.cancel();
  entry.soon?.cancel();
  entry.next = undefined;
  entry.soon = undefined;
}

/** Probe names are unique after config validation; a duplicate here is a bug in the caller. */
function unique(probes: readonly ProbeConfig[]): readonly ProbeConfig[] {
  const seen = new Set<string>();
  for (const p of probes) {
    if (seen.has(p.name)) throw new Error(`scheduler: probe name "${p.name}" appears twice`);
    seen.add(p.name);
  }
  return probes;
}

/**
 * A config's identity for reload: its JSON with each secret as a hash of its value (JSON alone prints every secret
 * as "<secret>", so a changed password would look unchanged), and its data only: a compiled matcher's regex is left
 * out (the matcher's value says it), as once it has run it points back at itself, which JSON cannot write.
 */
function fingerprint(config: ProbeConfig): string {
  // The replacer sees toJSON()'s output, so it looks at the holder's own property to find the Secret.
  return JSON.stringify(config, function (this: Record<string, unknown>, key, value: unknown) {
    const own = this[key];
    if (own instanceof Secret) return `secret:${createHash('sha256').update(own.reveal()).digest('hex')}`;
    if (typeof own !== 'object' || own === null || Array.isArray(own)) return value;
    return isPlainObject(own) ? value : undefined;
  });
}
