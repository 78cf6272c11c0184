// The guard every scheduled probe run passes through (timeout, a throw caught, secrets scrubbed, samples named), and
// the one-off checks of `centinela probe` and `centinela verify`, which run each probe once (twice for rates).
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { configScrubber } from '../config/env-values.js';
import type { ProbeConfig } from '../config/probes.js';
import { formatDuration } from '../duration.js';
import { excerpt } from '../excerpt.js';
import type { Sample } from '../types.js';
import { createProbe, probeKind } from './index.js';
import { abortReason } from './net-failure.js';
import { type Probe, type ProbeResult, sample } from './probe.js';

/** How long a probe may take to return after its signal fired before the run is given up on without it. */
export const ABANDON_AFTER_MS = 1_000;

/** One guarded run. */
export interface RunOutcome {
  /**
   * The probe's verdict, with every secret of its config scrubbed from reason, detail and cannotMeasure, and every
   * value that came from the environment named by its key instead; then each cut to its longest (REASON_CHARS,
   * DETAIL_CHARS).
   */
  result: ProbeResult;
  /** `<probe>.<sample>` with the probe's labels, then `<probe>.up` and `<probe>.duration_seconds`. */
  samples: Sample[];
  startedAt: number;
  durationMs: number;
}

/**
 * Runs `probe` once under `config.timeout` (its signal aborts with "timed out after 5s"); `signal` aborts it from
 * outside (stop, reload) with that signal's reason. Never rejects: a probe that throws, or that ignores its signal
 * for ABANDON_AFTER_MS, yields `up: false` with the reason.
 */
export async function runGuarded(
  config: ProbeConfig,
  probe: Probe,
  deps: { clock: Clock; log: Logger; signal?: AbortSignal },
): Promise<RunOutcome> {
  const { clock, log } = deps;
  const scrub = configScrubber(config, { urlPaths: false });
  const startedAt = clock.now();
  const abort = new AbortController();
  const timedOut = new DOMException(`timed out after ${formatDuration(config.timeout)}`, 'TimeoutError');
  const cancelTimeout = clock.setTimeout(() => abort.abort(timedOut), config.timeout);
  const fromOutside = () => abort.abort(deps.signal?.reason);
  deps.signal?.addEventListener('abort', fromOutside, { once: true });
  if (deps.signal?.aborted) fromOutside();
  const giveUp = abandonAfterAbort(abort.signal, clock);
  let result: ProbeResult;
  try {
    result = await Promise.race([probe.run({ signal: abort.signal, clock, log }), giveUp.promise]);
  } catch (err) {
    const reason =
      err instanceof ProbeAbandoned
        ? err.message
        : abort.signal.aborted
          ? abortReason(abort.signal)
          : `probe failed: ${messageOf(err)}`;
    result = { up: false, reason };
    if (!abort.signal.aborted) log.error({ reason: scrub(reason) }, 'probe threw');
  } finally {
    cancelTimeout();
    giveUp.cancel();
    deps.signal?.removeEventListener('abort', fromOutside);
  }
  const durationMs = clock.now() - startedAt;
  const clean = scrubResult(result, scrub);
  return { result: clean, samples: nameSamples(config, clean, durationMs), startedAt, durationMs };
}

/** A probe's outcome in a one-off check. */
export interface CheckOutcome extends RunOutcome {
  config: ProbeConfig;
  /** How many runs it took (2 for kinds whose samples are rates between runs). */
  runs: number;
}

/**
 * Runs each probe once, concurrently; a kind with `needsTwoRuns` runs again `intervalMs` later (unless its first run
 * was down) and reports the second run. Probes are created here and closed before returning.
 */
export async function checkProbes(
  configs: readonly ProbeConfig[],
  deps: { clock: Clock; log: Logger; intervalMs: number },
): Promise<CheckOutcome[]> {
  return Promise.all(
    configs.map(async (config) => {
      const log = deps.log.child({ probe: config.name });
      const probe = createProbe(config, { log, clock: deps.clock });
      try {
        let outcome = await runGuarded(config, probe, { clock: deps.clock, log });
        if (!probeKind(config.kind)?.needsTwoRuns || !outcome.result.up) return { config, runs: 1, ...outcome };
        await deps.clock.sleep(deps.intervalMs);
        outcome = await runGuarded(config, probe, { clock: deps.clock, log });
        return { config, runs: 2, ...outcome };
      } finally {
        await probe.close?.().catch((err: unknown) => log.warn({ reason: messageOf(err) }, 'probe did not close'));
      }
    }),
  );
}

/** The run was given up on: its probe did not return after its signal fired. */
class ProbeAbandoned extends Error {
  override readonly name = 'ProbeAbandoned';
}

/** A promise that rejects ABANDON_AFTER_MS after `signal` aborts, for a probe that does not stop when asked. */
function abandonAfterAbort(signal: AbortSignal, clock: Clock): { promise: Promise<never>; cancel(): void } {
  let cancelTimer = () => {};
  let onAbort = () => {};
  const promise = new Promise<never>((_, reject) => {
    onAbort = () => {
      cancelTimer = clock.setTimeout(
        () => reject(new ProbeAbandoned(`${abortReason(signal)}; the probe did not stop when asked`)),
        ABANDON_AFTER_MS,
      );
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
  return {
    promise,
    cancel() {
      signal.removeEventListener('abort', onAbort);
      cancelTimer();
    },
  };
}

function nameSamples(config: ProbeConfig, result: ProbeResult, durationMs: number): Sample[] {
  const base = config.labels ?? {};
  // The probe's own labels win: they tell its series apart, a static label must not merge them.
  const samples = (result.samples ?? []).map((s) =>
    sample(`${config.name}.${s.name}`, s.value, { ...base, ...s.labels }),
  );
  samples.push(
    sample(`${config.name}.up`, result.up ? 1 : 0, { ...base }),
    sample(`${config.name}.duration_seconds`, durationMs / 1000, { ...base }),
  );
  return samples;
}

/**
 * The longest reason or cannot-measure reason a run reports, whatever the probe put in it: each probe quotes its target
 * in excerpts (src/excerpt.ts), and this holds for a message that quotes one by other means (a driver's error).
 */
const REASON_CHARS = 2_000;
/** The longest detail: it lists more (slow queries, log lines, notes), each bounded where it is written. */
const DETAIL_CHARS = 16_000;

/** `result` with every secret scrubbed from its texts, each then cut to its length. */
function scrubResult(result: ProbeResult, scrub: (text: string) => string): ProbeResult {
  // Scrubbed, then cut: a secret cut in half first would no longer be found whole.
  const clean = { ...result };
  if (clean.detail !== undefined) clean.detail = excerpt(scrub(clean.detail), DETAIL_CHARS);
  if (clean.up) {
    if (clean.cannotMeasure !== undefined) clean.cannotMeasure = excerpt(scrub(clean.cannotMeasure), REASON_CHARS);
  } else {
    clean.reason = excerpt(scrub(clean.reason), REASON_CHARS);
  }
  return clean;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
