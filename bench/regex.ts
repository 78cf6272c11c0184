// Bench: the regular expressions people write (src/regex.ts, re2js) against V8's RegExp, which they replaced.
// Prints the median of the trials for each row, in milliseconds per match, with the load average; never asserts.
//
//   npx tsx bench/regex.ts [--trials 5]        (or: npm run bench -- regex)
//
// (a) Common probe patterns over a text of JSON log lines that holds what they look for at its very end (so both
//     engines read all of it), of 1 KiB, 64 KiB and 1 MiB: a literal, "status":\s*"ok", (?i)error|fatal|panic, 5..
// (b) The worst re2js allows: a.{999}.{995}b compiles to 1,998 instructions, close to REGEX_PROGRAM_MAX. Over a text
//     of a's and c's behind one b, both literals are present (no prefilter skips it) and no match exists; its DFA
//     would need a state per set of a's among the last 2,000 characters, so re2js gives its cache up and runs the
//     NFA, at a cost of the program's size per character. Also a.{999}b and a.{99}b, for the factor. 1 MiB is the
//     http probe's default max_body_bytes, the largest body a body_regex reads unless raised.
// (c) (a+)+b over 20 to 28 a's, review r13e's case: V8 backtracks, doubling with each a; re2js does not.
// (d) The probes' pattern thread (src/probes/pattern-match.ts), which body_regex and logs.pattern run in: how late a
//     1 ms interval timer of this thread fires at worst while the worst pattern is matched, in this thread (over
//     64 KiB; over 1 MiB it is (b)'s ~28 s) and in the pattern thread over 1 MiB, stopped after 3 s as a probe's
//     timeout stops it (the thread is terminated, the next call starts another), beside 3 s of nothing matched (what
//     the machine's other work makes a timer late by; the pattern thread takes one more core); then what a call costs
//     over matching in this thread, for "status":\s*"ok" over (a)'s text of 1 KiB and 1 MiB (the text is copied to the
//     thread), and the first call, which starts the thread.
import { parseArgs } from 'node:util';
import { RE2JS } from 're2js';
import { matchingIndices } from '../src/probes/pattern-match.js';
import { compileRegex, type Regex } from '../src/regex.js';
import { WORST_PATTERN, worstRegexText } from '../test/support/worst-regex-text.js';
import { median } from './support/median.js';
import { load } from './support/process-usage.js';

const { values } = parseArgs({ options: { trials: { type: 'string', default: '5' } } });
const trials = Number(values.trials);

const SIZES = [
  { name: '1 KiB', chars: 1024 },
  { name: '64 KiB', chars: 65_536 },
  { name: '1 MiB', chars: 1_048_576 },
];

/** A matcher as the probes call it: found anywhere in the text. */
type Test = (text: string) => boolean;

function re2(source: string): Test {
  const compiled = compileRegex(source);
  if ('problem' in compiled) throw new Error(`bench pattern ${source} ${compiled.problem}`);
  const regex: Regex = compiled;
  return (text) => regex.test(text);
}

function v8(source: string, flags = ''): Test {
  const regex = new RegExp(source, flags);
  return (text) => regex.test(text);
}

/**
 * Milliseconds per call of `test` on `text`: each trial calls it until 20 ms have passed (once at least), and the
 * median of the trials is kept. The answer must be `expected` every time, so a row never times the wrong thing.
 */
function msPerCall(test: Test, text: string, expected: boolean): number {
  const perTrial: number[] = [];
  for (let t = 0; t < trials; t++) {
    let calls = 0;
    const start = performance.now();
    let elapsed = 0;
    do {
      if (test(text) !== expected) throw new Error('a bench pattern gave the wrong answer');
      calls++;
      elapsed = performance.now() - start;
    } while (elapsed < 20);
    perTrial.push(elapsed / calls);
  }
  return median(perTrial);
}

const ms = (x: number): string => (x >= 100 ? x.toFixed(0) : x >= 1 ? x.toFixed(1) : x.toPrecision(2)).padStart(8);

console.log(`regex: median of ${trials} trials, ms per match; node ${process.version}; load average ${load()}`);

// (a)
const LINE = '{"level":"info","msg":"request served","path":"/api/v1/tasks","status":200,"ms":12}\n';
const TAIL = '{"status": "ok","environment":"production","level":"ERROR","code":503}\n';
/** `chars` characters of log lines with TAIL at the end: no 5, error, fatal, panic nor "ok" before it. */
const logText = (chars: number): string =>
  LINE.repeat(Math.ceil(chars / LINE.length)).slice(0, chars - TAIL.length) + TAIL;
/** Each pattern as re2js takes it, and as V8 does: V8 has no (?i), only the i flag. */
const COMMON: { source: string; v8: [string, string?] }[] = [
  { source: '"environment":"production"', v8: ['"environment":"production"'] },
  { source: '"status":\\s*"ok"', v8: ['"status":\\s*"ok"'] },
  { source: '(?i)error|fatal|panic', v8: ['error|fatal|panic', 'i'] },
  { source: '5..', v8: ['5..'] },
];
console.log('\n(a) common patterns, found at the end of a text of JSON log lines   re2js       V8   re2js/V8');
for (const size of SIZES) {
  const text = logText(size.chars);
  for (const p of COMMON) {
    const a = msPerCall(re2(p.source), text, true);
    const b = msPerCall(v8(...p.v8), text, true);
    console.log(`  ${size.name.padEnd(7)} ${p.source.padEnd(58)}${ms(a)} ${ms(b)} ${(a / b).toFixed(1).padStart(9)}`);
  }
}

// (b)
console.log('\n(b) the worst case: no match, both literals present (text: b, then a/c)   re2js       V8');
for (const source of [WORST_PATTERN, 'a.{999}b', 'a.{99}b']) {
  const size = RE2JS.compile(source).programSize();
  for (const s of SIZES) {
    const text = worstRegexText(s.chars);
    const a = msPerCall(re2(source), text, false);
    const b = msPerCall(v8(source), text, false);
    console.log(`  ${s.name.padEnd(7)} ${`${source} (${size} instructions)`.padEnd(62)}${ms(a)} ${ms(b)}`);
  }
}

// (c)
console.log("\n(c) (a+)+b over n a's (no match)                                      re2js       V8");
for (let n = 20; n <= 28; n++) {
  const text = 'a'.repeat(n);
  const a = msPerCall(re2('(a+)+b'), text, false);
  const b = msPerCall(v8('(a+)+b'), text, false);
  console.log(`  n = ${String(n).padEnd(67)}${ms(a)} ${ms(b)}`);
}
// (d)
/** The most a 1 ms interval timer of this thread fired late, in ms, while `work` ran. */
async function maxLateness(work: () => unknown): Promise<number> {
  let worst = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last - 1);
    last = now;
  }, 1);
  await new Promise((resolve) => setTimeout(resolve, 20)); // the timer runs before the work starts
  last = performance.now();
  await work();
  await new Promise((resolve) => setTimeout(resolve, 20)); // and sees the end of a work that held this thread
  clearInterval(timer);
  return worst;
}

/** Milliseconds per call of `call`, awaiting each: the median of the trials of 20 calls; each must answer true. */
async function msPerAsyncCall(call: () => Promise<boolean>): Promise<number> {
  const perTrial: number[] = [];
  for (let t = 0; t < trials; t++) {
    const start = performance.now();
    for (let i = 0; i < 20; i++) if (!(await call())) throw new Error('a bench pattern gave the wrong answer');
    perTrial.push((performance.now() - start) / 20);
  }
  return median(perTrial);
}

const inThread = re2(WORST_PATTERN);
const small = worstRegexText(65_536);
const large = worstRegexText(1_048_576);
const lateIdle: number[] = [];
const lateInThread: number[] = [];
const lateInWorker: number[] = [];
for (let t = 0; t < trials; t++) {
  lateIdle.push(await maxLateness(() => new Promise((resolve) => setTimeout(resolve, 3_000))));
  lateInThread.push(await maxLateness(() => inThread(small)));
  lateInWorker.push(
    await maxLateness(() =>
      matchingIndices({ source: WORST_PATTERN }, [large], AbortSignal.timeout(3_000)).then(
        () => {
          throw new Error('the worst pattern finished within 3 s');
        },
        (err: unknown) => {
          if ((err as Error).name !== 'PatternUnfinished') throw err;
        },
      ),
    ),
  );
}
console.log('\n(d) the pattern thread: ms the loop fired late at worst while the worst pattern ran        ms');
console.log(`  nothing matched, 3 s (the machine's load alone)                         ${ms(median(lateIdle))}`);
console.log(`  in this thread, 64 KiB                                                  ${ms(median(lateInThread))}`);
console.log(`  in the pattern thread, 1 MiB, stopped after 3 s                         ${ms(median(lateInWorker))}`);
const common = '"status":\\s*"ok"';
console.log("    ms per call, found at the end of (a)'s text                          this thread   pattern thread");
const stopNever = new AbortController().signal;
for (const size of [SIZES[0], SIZES[2]]) {
  if (!size) continue;
  const text = logText(size.chars);
  const here = msPerCall(re2(common), text, true);
  const there = await msPerAsyncCall(
    async () => (await matchingIndices({ source: common }, [text], stopNever)).length === 1,
  );
  console.log(`  ${size.name.padEnd(7)} ${common.padEnd(58)}${ms(here)}      ${ms(there)}`);
}
// The first call after a stop starts a thread (the last stop above terminated one; the calls since started another).
const starts: number[] = [];
for (let t = 0; t < trials; t++) {
  await matchingIndices({ source: WORST_PATTERN }, [large], AbortSignal.timeout(1)).catch(() => {});
  const start = performance.now();
  await matchingIndices({ source: common }, ['"status": "ok"'], stopNever);
  starts.push(performance.now() - start);
}
console.log(
  `  the first call, which starts the thread                                              ${ms(median(starts))}`,
);
console.log(`\nload average after: ${load()}`);
