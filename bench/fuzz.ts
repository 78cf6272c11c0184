// Bench: the fuzz targets of test/support/fuzz-targets.ts (the property tests' own generators and checks), a million
// inputs each. Prints per target: inputs, crashes (a check that failed: an unexpected throw, a 5xx, a malformed
// result; the first few with their input shrunk by fast-check), hangs (an input that took longer than --hang-ms,
// or that never finished and was stopped after --kill-ms), the rate, and where the inputs went (parsed, refused, 400…).
//
//   npx tsx bench/fuzz.ts [--count 1000000] [--target exposition,config] [--hang-ms 1000] [--kill-ms 10000]
//                         [--seed N] [--batch 1000] [--seconds S]   (or: npm run bench -- fuzz --count 10000)
//
// --seconds stops a target's run (at the end of a batch) after S seconds and prints what it reached.
//
// Each target runs in a worker thread, so that an input stuck in a loop is seen from outside (the worker writes
// which input it is on and since when into shared memory), the worker stopped and a new one started on the next
// batch. Inputs are drawn in batches of --batch with seeds seed, seed+1, …; a crash is replayed from its seed and
// index (fast-check's `path`) and shrunk in the worker after the run. An input that never finishes is asked of the
// stuck worker itself before it is stopped (it answers when the input waits on something rather than looping), then
// replayed alone in a fresh worker, which shows it if the stuck worker could not and says whether it hangs again
// alone (it may hang only after the inputs before it).
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import fc from 'fast-check';
import { describeThrow, FUZZ_TARGETS, type FuzzRun } from '../test/support/fuzz-targets.js';

/** What a worker is asked to do. */
interface Job {
  mode: 'run' | 'show';
  target: string;
  /** First batch's seed; batch b is drawn with seed + b. */
  seed: number;
  firstBatch: number;
  /** Inputs to run (mode run). */
  count: number;
  batch: number;
  hangMs: number;
  /** Epoch ms after which no new batch is started (--seconds). */
  deadline: number;
  /** Mode show: the input at this batch and index. */
  at?: { batch: number; index: number };
  shared: SharedArrayBuffer;
}

/** One failed check, where to find its input again, and (after shrinking) the smallest input fast-check found. */
interface Crash {
  batch: number;
  index: number;
  error: string;
  minimal?: string;
}

/** What a worker reports, every second and at its end. */
interface Report {
  kind: 'progress' | 'done' | 'input' | 'finished';
  done: number;
  crashes: number;
  examples: Crash[];
  /** Inputs that finished but took longer than hangMs. */
  slow: { ms: number; input: string; error?: string }[];
  slowCount: number;
  outcomes: Record<string, number>;
  /** Kind input: the input running (asked of a stuck worker, or posted by mode show before it runs it). */
  input?: string;
  /** Kind input, asked of a stuck worker: which input that is, since the one found stuck may have ended meanwhile. */
  at?: { batch: number; index: number };
  /** Kind finished (mode show): how long the replayed input took. */
  ms?: number;
}

/** How many crash examples are kept and shrunk: the first of each distinct message, up to this many. */
const EXAMPLES = 3;
/** How much of an input a report shows. */
const SHOWN = 600;
/**
 * Shared memory: [0] 1 while an input runs, [1] its batch, [2] its index, [3] inputs done, [6] crashes; float [2]
 * the input's start (epoch ms). The counts are read when a worker is stopped: its last report may be a second old.
 */
const RUNNING = 0;
const BATCH = 1;
const INDEX = 2;
const DONE = 3;
const CRASHES = 6;

const show = (value: unknown) => {
  const text = fc.stringify(value);
  return text.length > SHOWN ? `${text.slice(0, SHOWN)}… (${text.length} characters)` : text;
};
const now = () => performance.timeOrigin + performance.now();

/** The worker: starts the target, runs the job's inputs batch by batch, reports, shrinks the first crashes. */
async function work(job: Job): Promise<void> {
  const port = parentPort as NonNullable<typeof parentPort>;
  const target = FUZZ_TARGETS[job.target] as (typeof FUZZ_TARGETS)[string];
  const ints = new Int32Array(job.shared);
  const floats = new Float64Array(job.shared);
  const run = (await target.start()) as FuzzRun<unknown>;
  const arbitrary = target.arbitrary as fc.Arbitrary<unknown>;

  if (job.mode === 'show') {
    // Replays one input alone: posted before it runs, since it may never finish, and how long it took if it did.
    await fc.check(
      fc.asyncProperty(arbitrary, async (input) => {
        port.postMessage({ kind: 'input', input: show(input) } satisfies Partial<Report>);
        const started = now();
        try {
          await run.check(input);
        } finally {
          port.postMessage({ kind: 'finished', ms: now() - started } satisfies Partial<Report>);
        }
      }),
      // numRuns 1: from `path` on, fast-check would go on to the next inputs (100 by default) and report those.
      { seed: job.seed + (job.at?.batch ?? 0), path: String(job.at?.index ?? 0), numRuns: 1 },
    );
    await run.close();
    return;
  }

  const report: Report = { kind: 'progress', done: 0, crashes: 0, examples: [], slow: [], slowCount: 0, outcomes: {} };
  const messages = new Set<string>();
  // The input running, shown when the main thread finds it stuck and asks (only an input that waits lets this run).
  let current: unknown;
  // With the report as it stands: the last one posted may be a second old, and the worker is stopped next.
  const answer = () =>
    port.postMessage({
      ...report,
      kind: 'input',
      input: show(current),
      at: { batch: Atomics.load(ints, BATCH), index: Atomics.load(ints, INDEX) },
    } satisfies Report);
  port.on('message', answer);
  let lastPost = now();
  for (let b = job.firstBatch; report.done < job.count && now() < job.deadline; b++) {
    let index = 0;
    const runs = Math.min(job.batch, job.count - report.done);
    await fc.check(
      fc.asyncProperty(arbitrary, async (input) => {
        const started = now();
        Atomics.store(ints, BATCH, b);
        Atomics.store(ints, INDEX, index);
        floats[2] = started;
        current = input;
        Atomics.store(ints, RUNNING, 1);
        let error: string | undefined;
        try {
          const outcome = await run.check(input);
          report.outcomes[outcome] = (report.outcomes[outcome] ?? 0) + 1;
        } catch (err) {
          error = describeThrow(err);
          report.crashes++;
          Atomics.store(ints, CRASHES, report.crashes);
          const first = error.split('\n')[0] as string;
          if (report.examples.length < EXAMPLES && !messages.has(first)) {
            messages.add(first);
            report.examples.push({ batch: b, index, error });
            // Posted at once: a worker stopped on a later input in a loop could not say it any more.
            port.postMessage(report);
          }
        }
        Atomics.store(ints, RUNNING, 0);
        const ms = now() - started;
        if (ms > job.hangMs) {
          report.slowCount++;
          if (report.slow.length < EXAMPLES) report.slow.push({ ms, input: show(input), ...(error ? { error } : {}) });
        }
        index++;
        report.done++;
        Atomics.store(ints, DONE, report.done);
        if (now() - lastPost > 1000) {
          lastPost = now();
          port.postMessage(report);
        }
        return true;
      }),
      { seed: job.seed + b, numRuns: runs },
    );
  }
  port.off('message', answer);
  port.postMessage(report);

  for (const crash of report.examples) {
    const replay = await fc.check(
      fc.asyncProperty(arbitrary, async (input) => {
        await run.check(input);
      }),
      { seed: job.seed + crash.batch, path: String(crash.index), numRuns: 1, interruptAfterTimeLimit: 60_000 },
    );
    crash.minimal = replay.failed ? show(replay.counterexample?.[0]) : '(passed when replayed alone)';
    if (replay.failed && replay.errorInstance) crash.error = describeThrow(replay.errorInstance);
  }
  await run.close();
  port.postMessage({ ...report, kind: 'done' });
}

/** An input that never finished: what it was, and what it did when replayed alone. */
interface Stuck {
  batch: number;
  index: number;
  input: string;
  /** The stuck worker answered with its input (it was waiting, not looping). */
  answered: boolean;
  alone: string;
}

/** The totals of one target over its workers. */
interface Totals {
  done: number;
  crashes: number;
  examples: Crash[];
  slowCount: number;
  slow: Report['slow'];
  killed: Stuck[];
  outcomes: Record<string, number>;
}

/** Starts a worker for `job`; `onReport` gets its messages; resolves when it exits (or is stopped). */
function startWorker(job: Omit<Job, 'shared'>, onReport: (r: Report) => void) {
  const shared = new SharedArrayBuffer(32);
  const worker = new Worker(new URL(import.meta.url), { workerData: { ...job, shared } satisfies Job });
  worker.on('message', onReport);
  const exited = new Promise<Error | undefined>((resolve) => {
    let failure: Error | undefined;
    worker.on('error', (err) => {
      failure = err;
    });
    worker.on('exit', () => resolve(failure));
  });
  return { worker, ints: new Int32Array(shared), floats: new Float64Array(shared), exited };
}

/** How long a stuck worker has to answer which input it is on, and a replay's worker to start its target. */
const ANSWER_MS = 2000;
const START_MS = 120_000;

/**
 * The input a hang was on, replayed alone in a fresh worker: what it is (posted before it runs) and whether it
 * finished, each input given `killMs` from when it starts, its target's start not counted.
 */
async function replayAlone(job: Omit<Job, 'shared'>, at: { batch: number; index: number }, killMs: number) {
  let input: string | undefined;
  let alone = `the replay did not start within ${START_MS / 1000} s`;
  const w = startWorker({ ...job, mode: 'show', at }, (r) => {
    if (r.kind === 'input' && r.input) {
      input = r.input;
      alone = `hangs again alone (stopped after ${killMs} ms)`;
      clearTimeout(timer);
      timer = setTimeout(() => void w.worker.terminate(), killMs);
    } else if (r.kind === 'finished') {
      alone = `finished alone in ${(r.ms ?? 0).toFixed(0)} ms`;
    }
  });
  let timer = setTimeout(() => void w.worker.terminate(), START_MS);
  await w.exited;
  clearTimeout(timer);
  return { input, alone };
}

/** Asks a stuck worker which input it is on; undefined when it does not answer (a loop holds it). */
function askInput(w: ReturnType<typeof startWorker>): Promise<Report | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      w.worker.off('message', onMessage);
      resolve(undefined);
    }, ANSWER_MS);
    const onMessage = (r: Report) => {
      if (r.kind !== 'input') return;
      clearTimeout(timer);
      w.worker.off('message', onMessage);
      resolve(r);
    };
    w.worker.on('message', onMessage);
    w.worker.postMessage('which');
  });
}

/** Runs `count` inputs of one target; a worker on an input longer than killMs is stopped and the run goes on. */
async function fuzzTarget(
  name: string,
  options: { count: number; seed: number; batch: number; hangMs: number; killMs: number; seconds: number },
): Promise<Totals> {
  const totals: Totals = { done: 0, crashes: 0, examples: [], slowCount: 0, slow: [], killed: [], outcomes: {} };
  let nextBatch = 0;
  let lastLine = now();
  const started = now();
  const deadline = started + options.seconds * 1000;
  while (totals.done < options.count && now() < deadline) {
    const base = { ...totals, outcomes: { ...totals.outcomes } };
    const job = {
      mode: 'run' as const,
      target: name,
      seed: options.seed,
      firstBatch: nextBatch,
      count: options.count - totals.done,
      batch: options.batch,
      hangMs: options.hangMs,
      deadline,
    };
    let latest: Report | undefined;
    const w = startWorker(job, (r) => {
      if (r.kind === 'input') return;
      latest = r;
      if (now() - lastLine > 60_000) {
        lastLine = now();
        const done = base.done + r.done;
        const rate = Math.round(done / ((now() - started) / 1000));
        const hangs = base.slowCount + r.slowCount + base.killed.length;
        console.log(
          `  ${name}: ${done.toLocaleString('en')} inputs, ${base.crashes + r.crashes} crashes, ${hangs} hangs, ${rate}/s`,
        );
      }
    });
    let killedAt: { batch: number; index: number } | undefined;
    let liveInput: string | undefined;
    let asking = false;
    const runningAt = () => ({ batch: Atomics.load(w.ints, BATCH), index: Atomics.load(w.ints, INDEX) });
    const same = (a: { batch: number; index: number }, b: { batch: number; index: number } | undefined) =>
      b !== undefined && a.batch === b.batch && a.index === b.index;
    const watch = setInterval(() => {
      if (killedAt || asking) return;
      if (Atomics.load(w.ints, RUNNING) !== 1 || now() - (w.floats[2] as number) <= options.killMs) return;
      const stuck = runningAt();
      asking = true;
      void askInput(w).then((answer) => {
        asking = false;
        // The input found stuck may have ended while the worker was asked (a slow one, not a hang): the worker goes
        // on, and is watched again. The answer, or the shared memory when a loop kept it from answering, says so.
        if (!same(stuck, answer?.at ?? runningAt()) || Atomics.load(w.ints, RUNNING) !== 1) return;
        killedAt = stuck;
        liveInput = answer?.input;
        if (answer) latest = answer;
        void w.worker.terminate();
      });
    }, 100);
    const failure = await w.exited;
    clearInterval(watch);
    const r = latest as Report | undefined;
    totals.done = base.done + Atomics.load(w.ints, DONE);
    totals.crashes = base.crashes + Atomics.load(w.ints, CRASHES);
    totals.examples = [...base.examples, ...(r?.examples ?? [])];
    totals.slowCount = base.slowCount + (r?.slowCount ?? 0);
    totals.slow = [...base.slow, ...(r?.slow ?? [])];
    totals.outcomes = { ...base.outcomes };
    for (const [k, v] of Object.entries(r?.outcomes ?? {})) totals.outcomes[k] = (totals.outcomes[k] ?? 0) + v;
    if (killedAt) {
      totals.done++; // the input it was stopped on
      const replay = await replayAlone(job, killedAt, options.killMs);
      totals.killed.push({
        ...killedAt,
        input: liveInput ?? replay.input ?? '(not shown: the worker was looping and the replay did not start)',
        answered: liveInput !== undefined,
        alone: replay.alone,
      });
      nextBatch = killedAt.batch + 1;
    } else if (failure || r?.kind !== 'done') {
      // The worker died (an uncaught exception or unhandled rejection: the daemon would have died too).
      totals.crashes++;
      totals.examples.push({ batch: -1, index: -1, error: `the worker died: ${describeThrow(failure)}` });
      if (totals.examples.filter((e) => e.batch === -1).length > 5) break;
      nextBatch += Math.ceil(Math.max(Atomics.load(w.ints, DONE), 1) / options.batch) + 1;
    }
  }
  return totals;
}

function print(name: string, totals: Totals, seconds: number, options: { hangMs: number; count: number }): void {
  const n = (x: number) => x.toLocaleString('en');
  const hangs = totals.slowCount + totals.killed.length;
  const short = totals.done < options.count ? ` (stopped at --seconds, short of ${n(options.count)})` : '';
  console.log(
    `${name}: ${n(totals.done)} inputs in ${seconds.toFixed(0)} s, ${n(Math.round(totals.done / seconds))} inputs/s${short}`,
  );
  console.log(`  crashes: ${n(totals.crashes)}`);
  for (const c of totals.examples) {
    console.log(`    ${c.error}`);
    if (c.minimal) console.log(`      smallest input: ${c.minimal}`);
  }
  console.log(`  hangs (over ${options.hangMs} ms): ${n(hangs)}`);
  for (const s of totals.slow) console.log(`    ${s.ms.toFixed(0)} ms: ${s.input}`);
  for (const k of totals.killed) {
    const held = k.answered ? 'waiting' : 'looping or unanswered';
    console.log(`    never finished (${held}; batch ${k.batch}, index ${k.index}; ${k.alone}): ${k.input}`);
  }
  const outcomes = Object.entries(totals.outcomes).sort(([, a], [, b]) => b - a);
  const total = outcomes.reduce((sum, [, v]) => sum + v, 0);
  const shown = outcomes.slice(0, 12).map(([k, v]) => `${k} ${((100 * v) / total).toFixed(1)}%`);
  console.log(`  outcomes: ${shown.join(', ')}${outcomes.length > 12 ? `, and ${outcomes.length - 12} more` : ''}`);
}

async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      count: { type: 'string', default: '1000000' },
      target: { type: 'string', default: Object.keys(FUZZ_TARGETS).join(',') },
      'hang-ms': { type: 'string', default: '1000' },
      'kill-ms': { type: 'string', default: '10000' },
      seed: { type: 'string', default: String(Math.floor(Math.random() * 2 ** 30)) },
      batch: { type: 'string', default: '1000' },
      seconds: { type: 'string', default: 'Infinity' },
    },
  });
  const names = values.target.split(',');
  const unknown = names.filter((t) => !(t in FUZZ_TARGETS));
  if (unknown.length > 0) {
    console.error(`no fuzz target ${unknown.join(', ')}. Targets: ${Object.keys(FUZZ_TARGETS).join(', ')}`);
    process.exit(1);
  }
  const options = {
    count: Number(values.count),
    seed: Number(values.seed),
    batch: Number(values.batch),
    hangMs: Number(values['hang-ms']),
    killMs: Number(values['kill-ms']),
    seconds: Number(values.seconds),
  };
  console.log(
    `fuzz: ${options.count.toLocaleString('en')} inputs per target, seed ${options.seed}, ` +
      `hang bound ${options.hangMs} ms (stopped after ${options.killMs} ms), ${availableParallelism()} cores`,
  );
  for (const name of names) {
    const started = now();
    const totals = await fuzzTarget(name, options);
    print(name, totals, (now() - started) / 1000, options);
  }
}

// A worker's work is not awaited at the top level: a worker stopped on a stuck input would print Node's "unsettled
// top-level await" warning. A rejection still ends the worker with an error the main thread reads.
if (isMainThread) await main(process.argv.slice(2));
else void work(workerData as Job);
