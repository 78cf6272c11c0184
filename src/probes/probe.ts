// What a probe is: a kind with a create() that returns something runnable. Probes know nothing of rules.
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { ProbeConfig } from '../config/probes.js';
import type { HeartbeatReader, Labels, Sample } from '../types.js';

/** What one run gets: its timeout as an AbortSignal, the clock, a logger tagged with the probe. */
export interface ProbeContext {
  signal: AbortSignal;
  clock: Clock;
  log: Logger;
}

/**
 * What one run yields. A target's failure is data, never a throw: `up: false` with a precise reason.
 * `cannotMeasure` says the target answered but a value could not be computed (auth error, missing histogram);
 * rules raise their "cannot measure" alert from it. Sample names here are relative (`latency_p95_seconds`);
 * the scheduler prefixes the probe name and adds `up` and `duration_seconds`.
 */
export type ProbeResult =
  | { up: true; samples: Sample[]; detail?: string; cannotMeasure?: string }
  | { up: false; reason: string; samples?: Sample[]; detail?: string };

/** What create() gets besides its config. */
export interface ProbeDeps {
  log: Logger;
  clock: Clock;
  /** The pings pushed to heartbeat probes, kept by the running daemon's state store; absent in one-off checks. */
  heartbeats?: HeartbeatReader;
}

/** A running probe instance; state between runs (previous counters) lives in its closure. */
export interface Probe {
  run(ctx: ProbeContext): Promise<ProbeResult>;
  close?(): Promise<void>;
}

/** One probe kind; its `kind` equals its file name and the YAML `kind:`. */
export interface ProbeKind<K extends ProbeConfig['kind']> {
  kind: K;
  /** Its samples are rates between runs, so a one-off check (`centinela probe`) runs it twice. */
  needsTwoRuns?: true;
  create(config: Extract<ProbeConfig, { kind: K }>, deps: ProbeDeps): Probe;
}

/** Declares a probe kind; the identity function, there for its type check. */
export const defineProbe = <K extends ProbeConfig['kind']>(p: ProbeKind<K>) => p;

/** One sample of a probe's result: its relative name, its value, and the labels that tell its series apart. */
export function sample(name: string, value: number, labels: Labels = {}): Sample {
  return { name, labels, value };
}
