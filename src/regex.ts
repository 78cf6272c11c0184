// The regular expressions people write (matchers of silences, inhibitions, windows and rules; a probe's body_regex,
// log pattern and error_status) and centinela runs over what alerts, targets and logs hold. They are compiled by
// re2js, a JavaScript port of RE2: its syntax is the one Prometheus and Alertmanager take (Go's regexp), and it
// matches in time linear in the input. V8's own engine backtracks: `(a+)+b` against 28 a's held the event loop over a
// second, doubling with each one more, so a silence, or a target answering what a pattern meets badly, could stop
// every probe and page. A leaf: it imports only re2js.
import { RE2JS, RE2JSSyntaxException } from 're2js';

/**
 * A compiled regular expression: `test` looks for it anywhere in the input, `testExact` matches the whole input;
 * `programSize` is its instructions, the factor of its time per character at worst.
 */
export type Regex = Pick<RE2JS, 'test' | 'testExact' | 'programSize'>;

/**
 * The most instructions a regex compiles to. RE2's time is linear in the input, with the program's size as the factor
 * when its automaton cannot be cached: `(?:.{1000}){90}` (90,000 instructions) took 75 s over 100,000 characters.
 * Counted repetitions multiply the size (`.{1000}` is 1,002); a list of a hundred alert names is some 500, and 204
 * groups `(A|B)` are 614.
 */
export const REGEX_PROGRAM_MAX = 2000;

/** What RE2 refuses that other engines take, and so what a regex written for V8 or PCRE most often trips on. */
const NOT_IN_RE2 = new Set(['invalid or unsupported Perl syntax', 'invalid escape sequence', 'invalid named capture']);

/**
 * `source` compiled, or what is wrong with it in words that quote none of it (a regex can come from the environment).
 * `ignoreCase` is the flag; `(?i)` in the pattern does the same, as in Prometheus.
 */
export function compileRegex(source: string, options: { ignoreCase?: boolean } = {}): Regex | { problem: string } {
  try {
    const regex = RE2JS.compile(source, options.ignoreCase ? RE2JS.CASE_INSENSITIVE : 0);
    const size = regex.programSize();
    if (size > REGEX_PROGRAM_MAX) {
      return {
        problem: `is too large a regular expression: it compiles to ${size} instructions, and one takes at most ${REGEX_PROGRAM_MAX} (a counted repetition {n} repeats what it follows n times). Write it smaller`,
      };
    }
    return regex;
  } catch (err) {
    if (!(err instanceof RE2JSSyntaxException)) throw err;
    const hint = NOT_IN_RE2.has(err.error)
      ? '; regexes are RE2 syntax, as in Prometheus and Alertmanager, which has no lookahead, lookbehind nor backreference'
      : '';
    return { problem: `is not a regular expression (${err.error}${hint})` };
  }
}
