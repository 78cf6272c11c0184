// Matching the probes' patterns (an http probe's body_regex, a docker probe's logs.pattern) over what a target sent,
// without holding the event loop. re2js's time is the text's length times, at worst, the pattern's instructions: a
// text of 1 MiB and a pattern near the 2000 instructions allowed took ~28 s. Texts cheap by that measure are matched
// in the loop, which turns between them (the shipped config's `error` over log lines: no thread is started); a dearer
// one goes to one worker thread (pattern-worker.ts), started the first time it is needed and shared by every probe,
// one request at a time in the order asked, while every other probe, the HTTP server and the scheduler go on. A
// request ends with its probe's run: when the run's signal fires, the worker is terminated (a running match cannot be
// interrupted otherwise) and the next request starts a new one.
import { setImmediate as loopTurn } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { compileRegex, type Regex } from '../regex.js';
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
 * The most matching done in the event loop between two of its turns, in instructions times characters. re2js costs
 * ~15 ns each over a long text whose DFA it gives up (~60 ns without V8's JIT, the daemon's flags), but up to ~350 ns
 * over short ones that defeat its DFA (`.*a.{150}.*` over 1,270 characters of a and c, review r13h): ~10 ms at that
 * worst on average, a single call up to ~40 ms when re2js clears its DFA cache (review r13j).
 */
export const IN_LOOP_COST = 30_000;

/** Whether texts are matched in the loop by a pattern of `size` instructions: each one's cost is within IN_LOOP_COST. */
export function matchedInLoop(size: number, texts: readonly string[]): boolean {
  return texts.every((text) => size * text.length <= IN_LOOP_COST);
}

/** The patterns compiled in this thread, by their flag and source. */
const compiledHere = new Map<string, Regex | { problem: string }>();

/**
 * The indices of `texts` that `pattern` is found in: in the loop when they are cheap (matchedInLoop), else in the
 * worker thread. Rejects with PatternUnfinished when `signal` fires first, with an Error when the pattern cannot be
 * compiled (src/regex.ts took it when the config was loaded, so only a pattern from elsewhere can) or the thread fails.
 */
export async function matchingIndices(
  pattern: Pattern,
  texts: readonly string[],
  signal: AbortSignal,
): Promise<number[]> {
  if (signal.aborted) throw unfinished(signal, false);
  const key = `${pattern.ignoreCase ? 'i' : '-'}${pattern.source}`;
  let regex = compiledHere.get(key);
  if (!regex) {
    regex = compileRegex(pattern.source, { ignoreCase: pattern.ignoreCase ?? false });
    compiledHere.set(key, regex);
  }
  if ('problem' in regex) throw new Error(`the pattern ${regex.problem}`);
  const size = regex.programSize();
  return matchedInLoop(size, texts) ? inLoop(regex, size, texts, signal) : inThread(pattern, texts, signal);
}

/** matchingIndices in the loop, which turns whenever IN_LOOP_COST has been matched since it last did. */
async function inLoop(regex: Regex, size: number, texts: readonly string[], signal: AbortSignal): Promise<number[]> {
  const matched: number[] = [];
  let cost = 0;
  for (const [i, text] of texts.entries()) {
    cost += size * text.length;
    if (cost > IN_LOOP_COST) {
      await loopTurn();
      if (signal.aborted) throw unfinished(signal, true);
      cost = size * text.length;
    }
    if (regex.test(text)) matched.push(i);
  }
  return matched;
}

/** matchingIndices in the worker thread. */
function inThread(pattern: Pattern, texts: readonly string[], signal: AbortSignal): Promise<number[]> {
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
