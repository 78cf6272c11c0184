// Matching the probes' patterns (an http probe's body_regex, a docker probe's logs.pattern) over what a target sent,
// off the event loop: in one worker thread (pattern-worker.ts), started the first time a pattern is matched (a config
// without one never starts it) and shared by every probe, one request at a time in the order asked. A text of 1 MiB
// and a pattern near the 2000 instructions allowed took ~28 s of re2js; run here, every other probe, the HTTP server
// and the scheduler go on meanwhile. A request ends with its probe's run: when the run's signal fires, the worker is
// terminated (a running match cannot be interrupted otherwise) and the next request starts a new one.
import { Worker } from 'node:worker_threads';
import { abortReason } from './net-failure.js';
import type { PatternAnswer, PatternAsk } from './pattern-worker.js';

/** A pattern as the config gives it. */
export interface Pattern {
  source: string;
  ignoreCase?: boolean;
}

/**
 * The run was stopped before the pattern had matched: `started` tells whether it was being matched, or still waited
 * for the patterns of other probes asked before it. The message is the run's signal's reason.
 */
export class PatternUnfinished extends Error {
  override readonly name = 'PatternUnfinished';
  constructor(
    message: string,
    readonly started: boolean,
  ) {
    super(message);
  }
}

interface Request {
  ask: PatternAsk;
  signal: AbortSignal;
  resolve(matched: number[]): void;
  reject(err: Error): void;
}

// Built from src/ (tsx, vitest) this module is a .ts file with the worker's .ts beside it; bundled, a chunk in dist/
// with dist/pattern-worker.js beside it (scripts/bundle.ts).
const WORKER_URL = new URL(
  import.meta.url.endsWith('.ts') ? './pattern-worker.ts' : './pattern-worker.js',
  import.meta.url,
);

const queue: Request[] = [];
let worker: Worker | undefined;
let current: Request | undefined;

/**
 * The indices of `texts` that `pattern` is found in, matched in the worker thread. Rejects with PatternUnfinished
 * when `signal` fires first, with an Error when the worker cannot compile the pattern (src/regex.ts took it when the
 * config was loaded, so only a disagreement of the two can) or fails.
 */
export function matchingIndices(pattern: Pattern, texts: readonly string[], signal: AbortSignal): Promise<number[]> {
  if (signal.aborted) return Promise.reject(unfinished(signal, false));
  return new Promise<number[]>((resolve, reject) => {
    const onAbort = () => stop(request);
    const request: Request = {
      ask: { source: pattern.source, ignoreCase: pattern.ignoreCase ?? false, texts },
      signal,
      resolve: (matched) => {
        signal.removeEventListener('abort', onAbort);
        resolve(matched);
      },
      reject: (err) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    };
    queue.push(request);
    signal.addEventListener('abort', onAbort, { once: true });
    next();
  });
}

function unfinished(signal: AbortSignal, started: boolean): PatternUnfinished {
  return new PatternUnfinished(abortReason(signal), started);
}

/** Sends the first request waiting when none is being matched. */
function next(): void {
  if (current) return;
  const request = queue.shift();
  if (!request) {
    worker?.unref(); // idle: it keeps no process alive
    return;
  }
  current = request;
  worker ??= start();
  worker.ref();
  worker.postMessage(request.ask);
}

function start(): Worker {
  const started = new Worker(WORKER_URL);
  started.on('message', (answer: PatternAnswer) => {
    if (worker !== started) return; // a terminated thread's last answer: its request was failed already
    const request = current;
    current = undefined;
    if (request) {
      if ('problem' in answer) request.reject(new Error(`the pattern ${answer.problem}`));
      else request.resolve(answer.matched);
    }
    next();
  });
  // An error thrown in the worker (out of memory, a failed start) ends it; the request it held fails with it.
  started.on('error', (err) => drop(started, new Error(`the pattern thread failed: ${err.message}`)));
  started.on('exit', (code) => drop(started, new Error(`the pattern thread exited (code ${code})`)));
  return started;
}

/** Forgets `ended` (an exit after an error is the same end) and fails the request it held. */
function drop(ended: Worker, err: Error): void {
  if (worker !== ended) return;
  worker = undefined;
  const request = current;
  current = undefined;
  request?.reject(err);
  next();
}

/** `request`'s signal fired: taken out of the queue, or, being matched, its worker terminated. */
function stop(request: Request): void {
  if (current !== request) {
    const at = queue.indexOf(request);
    if (at < 0) return; // answered already
    queue.splice(at, 1);
    request.reject(unfinished(request.signal, false));
    return;
  }
  const ended = worker;
  worker = undefined;
  current = undefined;
  request.reject(unfinished(request.signal, true));
  void ended?.terminate();
  next();
}
