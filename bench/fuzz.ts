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
// index (fast-check's `path`) and shrunk in the worker after the run, a hang's input is replayed in a fresh worker
// only to be shown.
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
  kind: 'progress' | 'done' | 'input';
  done: number;
  crashes: number;
  examples: Crash[];
  /** Inputs that finished but took longer than hangMs. */
  slow: { ms: number; input: string; error?: string }[];
  slowCount: number;
  outcomes: Record<string, number>;
  /** Mode show: the input, as fast-check prints it. */
  input?: string;
}

/** How many crash examples are kept and shrunk: the first of each distinct message, up to this many. */
const EXAMPLES = 3;
/** How much of an input a report shows. */
const SHOWN = 600;
/** Shared memory: [0] 1 while an input runs, [1] its batch, [2] its index; float [2] its start (epoch ms). */
const RUNNING = 0;
const BATCH = 1;
const INDEX = 2;

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
    // Replays one input only to say what it was: posted before it runs, since it may never finish.
    await fc.check(
      fc.asyncProperty(arbitrary, async (input) => {
        port.postMessage({ kind: 'input', input: show(input) } satisfies Partial<Report>);
        await run.check(input);
      }),
      { seed: job.seed + (job.at?.batch ?? 0), path: String(job.at?.index ?? 0) },
    );
    await run.close();
    return;
  }

  const report: Report = { kind: 'progress', done: 0, crashes: 0, examples: [], slow: [], slowCount: 0, outcomes: {} };
  const messages = new Set<string>();
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
        Atomics.store(ints, RUNNING, 1);
        let error: string | undefined;
        try {
          const outcome = await run.check(input);
          report.outcomes[outcome] = (report.outcomes[outcome] ?? 0) + 1;
        } catch (err) {
          error = describeThrow(err);
          report.crashes++;
          const first = error.split('\n')[0] as string;
          if (report.examples.length < EXAMPLES && !messages.has(first)) {
            messages.add(first);
            report.examples.push({ batch: b, index, error });
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
        if (now() - lastPost > 1000) {
          lastPost = now();
          port.postMessage(report);
        }
        return true;
      }),
      { seed: job.seed + b, numRuns: runs },
    );
  }
  port.postMessage(report);

  for (const crash of report.examples) {
    const replay = await fc.check(
      fc.asyncProperty(arbitrary, async (input) => {
        await run.check(input);
      }),
      { seed: job.seed + crash.batch, path: String(crash.index), interruptAfterTimeLimit: 60_000 },
    );
    crash.minimal = replay.failed ? show(replay.counterexample?.[0]) : '(passed when replayed alone)';
    if (replay.failed && replay.errorInstance) crash.error = describeThrow(replay.errorInstance);
  }
  await run.close();
  port.postMessage({ ...report, kind: 'done' });
}

/** The totals of one target over its workers. */
interface Totals {
  done: number;
  crashes: number;
  examples: Crash[];
  slowCount: number;
  slow: Report['slow'];
  killed: { batch: number; index: number; input: string }[];
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

/** The input a hang was on, replayed in a fresh worker that says what it is and is stopped after `killMs`. */
async function hangingInput(job: Omit<Job, 'shared'>, at: { batch: number; index: number }, killMs: number) {
  let input = '(not shown: the replay did not start in time)';
  const w = startWorker({ ...job, mode: 'show', at }, (r) => {
    if (r.kind === 'input' && r.input) input = r.input;
  });
  const timer = setTimeout(() => void w.worker.terminate(), killMs);
  await w.exited;
  clearTimeout(timer);
  return input;
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
    const watch = setInterval(() => {
      if (Atomics.load(w.ints, RUNNING) === 1 && now() - (w.floats[2] as number) > options.killMs) {
        killedAt = { batch: Atomics.load(w.ints, BATCH), index: Atomics.load(w.ints, INDEX) };
        void w.worker.terminate();
      }
    }, 100);
    const failure = await w.exited;
    clearInterval(watch);
    const r = latest as Report | undefined;
    totals.done = base.done + (r?.done ?? 0);
    totals.crashes = base.crashes + (r?.crashes ?? 0);
    totals.examples = [...base.examples, ...(r?.examples ?? [])];
    totals.slowCount = base.slowCount + (r?.slowCount ?? 0);
    totals.slow = [...base.slow, ...(r?.slow ?? [])];
    totals.outcomes = { ...base.outcomes };
    for (const [k, v] of Object.entries(r?.outcomes ?? {})) totals.outcomes[k] = (totals.outcomes[k] ?? 0) + v;
    if (killedAt) {
      totals.done++; // the input it was stopped on
      totals.killed.push({ ...killedAt, input: await hangingInput(job, killedAt, options.killMs) });
      nextBatch = killedAt.batch + 1;
    } else if (failure || r?.kind !== 'done') {
      // The worker died (an uncaught exception or unhandled rejection: the daemon would have died too).
      totals.crashes++;
      totals.examples.push({ batch: -1, index: -1, error: `the worker died: ${describeThrow(failure)}` });
      if (totals.examples.filter((e) => e.batch === -1).length > 5) break;
      nextBatch += Math.ceil((r?.done ?? 1) / options.batch) + 1;
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
  for (const k of totals.killed) console.log(`    never finished, stopped: ${k.input}`);
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

if (isMainThread) await main(process.argv.slice(2));
else await work(workerData as Job);
