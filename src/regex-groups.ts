// Where a JavaScript regex opens and closes groups and separates alternatives, read in one pass: what the matchers'
// nesting bound (matchers.ts) and the spreading of a regex into the names it lists (rules/known-names.ts) both need.

/** A `(`, `)` or `|` of a regex that is not escaped nor in a character class, with the depth of groups outside it. */
export interface RegexMark {
  at: number;
  ch: '(' | ')' | '|';
  depth: number;
}

/** The marks of `regex`, in order. */
export function regexMarks(regex: string): RegexMark[] {
  const out: RegexMark[] = [];
  let depth = 0;
  let inClass = false;
  for (let at = 0; at < regex.length; at++) {
    const ch = regex[at];
    if (ch === '\\') at++;
    else if (inClass) inClass = ch !== ']';
    else if (ch === '[') inClass = true;
    else if (ch === '(') out.push({ at, ch, depth: depth++ });
    else if (ch === ')') out.push({ at, ch, depth: --depth });
    else if (ch === '|') out.push({ at, ch, depth });
  }
  return out;
}

/** How deep `regex` nests groups: 0 for none, 1 for `(a|b)`, 2 for `(a(b))`. */
export function groupDepth(regex: string): number {
  let most = 0;
  for (const m of regexMarks(regex)) if (m.ch === '(') most = Math.max(most, m.depth + 1);
  return most;
}
