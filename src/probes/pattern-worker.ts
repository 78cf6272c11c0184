// The thread the probes' patterns (an http probe's body_regex, a docker probe's logs.pattern) run in, started by
// pattern-match.ts. re2js is linear in the text but its factor is the pattern's size: a pattern near the 2000
// instructions src/regex.ts allows held the event loop ~28 s over a 1 MiB body. Here it holds only this thread, which
// the caller terminates when its probe's run is stopped (a running match cannot be interrupted otherwise).
//
// It runs as it is from src/ (Node strips its types) and bundled from dist/, so it imports only packages: a path of
// src/ exists there only as .ts. One message asks which of `texts` a pattern is found in; each pattern is compiled
// once. Patterns were checked when the config was loaded (src/regex.ts), so a compile error here means the two
// disagree; it is answered in words that quote none of the pattern.
import { parentPort } from 'node:worker_threads';
import { RE2JS, RE2JSSyntaxException } from 're2js';

/** A request: which of `texts` `source` is found in. */
export interface PatternAsk {
  source: string;
  ignoreCase: boolean;
  texts: readonly string[];
}

/** The answer: the indices of the texts it is found in, or why the pattern could not be compiled. */
export type PatternAnswer = { matched: number[] } | { problem: string };

const compiled = new Map<string, RE2JS>();

function answer({ source, ignoreCase, texts }: PatternAsk): PatternAnswer {
  const key = `${ignoreCase ? 'i' : '-'}${source}`;
  let regex = compiled.get(key);
  if (!regex) {
    try {
      regex = RE2JS.compile(source, ignoreCase ? RE2JS.CASE_INSENSITIVE : 0);
    } catch (err) {
      const why = err instanceof RE2JSSyntaxException ? err.error : 'it cannot be compiled';
      return { problem: `is not a regular expression here (${why})` };
    }
    compiled.set(key, regex);
  }
  const matched: number[] = [];
  for (const [i, text] of texts.entries()) if (regex.test(text)) matched.push(i);
  return { matched };
}

parentPort?.on('message', (ask: PatternAsk) => parentPort?.postMessage(answer(ask)));
