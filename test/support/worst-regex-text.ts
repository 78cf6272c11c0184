// The worst text for the worst pattern the probes may carry (src/regex.ts allows 2000 instructions): the tests of the
// pattern thread (src/probes/pattern-match.ts) and bench/regex.ts use both.

/**
 * 1,998 instructions. Over worstRegexText both literals are present (no prefilter skips it) and no match exists; its
 * DFA would need a state per set of a's among the last 2,000 characters, so re2js gives its cache up and runs the
 * NFA, at a cost of the program's size per character: ~28 s over 1 MiB.
 */
export const WORST_PATTERN = 'a.{999}.{995}b';

/** `chars` characters: one b, then a's and c's in a fixed pseudo-random order (the same text every run). */
export function worstRegexText(chars: number): string {
  const out = ['b'];
  let x = 12_345;
  for (let i = 1; i < chars; i++) {
    x = (x * 1_103_515_245 + 12_345) & 0x7fffffff;
    out.push((x >> 8) % 2 === 0 ? 'a' : 'c');
  }
  return out.join('');
}
