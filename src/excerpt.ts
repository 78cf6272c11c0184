// How a long text from outside reads in a message: its start, marked where it was cut, so that a 500 KB page, metric
// name or regex never ends up whole in a reason, an error or a log line (and from there in the API and the pages).
// Characters are code points: 😀 is one character, though JavaScript counts two UTF-16 units for it.

/** The most characters a message quotes of one thing it was given. */
export const EXCERPT_CHARS = 200;

/** How many characters (code points) `text` has; a lone surrogate counts as one. */
export function characters(text: string): number {
  let count = text.length;
  for (let i = 0; i < text.length - 1; i++) {
    if (isHigh(text.charCodeAt(i)) && isLow(text.charCodeAt(i + 1))) {
      count--;
      i++;
    }
  }
  return count;
}

/** The first `max` characters of `text`: a character of two UTF-16 units is kept whole or left out. */
export function head(text: string, max: number): string {
  const end = cutAt(text, max, () => 1);
  return end === undefined ? text : text.slice(0, end);
}

/**
 * `text` when it has at most `max` characters; else its first `max`, then `…` and how many characters it had:
 * `aaaa… (524288 characters)`. `length` is that of the whole when `text` is only its start.
 */
export function excerpt(text: string, max = EXCERPT_CHARS, length?: number): string {
  if (text.length <= max) return text;
  const end = cutAt(text, max, () => 1);
  return end === undefined ? text : `${text.slice(0, end)}… (${length ?? characters(text)} characters)`;
}

/**
 * `text` in double quotes, escaped as JSON.stringify escapes it, with at most `max` characters shown between the
 * quotes: escapes count as shown (5,000 `"` show 100 of them as `\"`), and one is never split. A cut is marked as
 * excerpt marks it, with the characters of `text`, inside the quotes: `"\"\"… (5000 characters)"`.
 */
export function quoted(text: string, max = EXCERPT_CHARS): string {
  const end = cutAt(text, max, escapedWidth);
  if (end === undefined) return JSON.stringify(text);
  return `${JSON.stringify(text.slice(0, end)).slice(0, -1)}… (${characters(text)} characters)"`;
}

/**
 * `text`, or its start marked as excerpt marks it, so that it takes at most `max` characters once written as a JSON
 * string, quotes included, as JSON.stringify writes it and String.length counts it (`\"` two, `\u0001` six, 😀 two).
 */
export function jsonExcerpt(text: string, max: number): string {
  if (JSON.stringify(text).length <= max) return text;
  const mark = `… (${characters(text)} characters)`;
  const end = cutAt(text, max - 2 - mark.length, (code) => (code > 0xffff ? 2 : escapedWidth(code))) ?? text.length;
  return `${text.slice(0, end)}${mark}`;
}

/** Most names a message lists: a config of 600 probes listed whole made 20 KB answers (issue 13 review r13s). */
export const NAMES_SHOWN = 10;

/**
 * The first NAMES_SHOWN of `names`, each as `show` writes it, joined by commas, then how many more:
 * `a, b, c and 597 more`. By default a name is cut to the width EXCERPT_CHARS takes in JSON: names a source sent
 * may be of control characters, six wide each (review r13t).
 */
export function firstOf(
  names: readonly string[],
  show: (name: string) => string = (name) => jsonExcerpt(name, EXCERPT_CHARS + 2),
): string {
  const shown = names.slice(0, NAMES_SHOWN).map(show).join(', ');
  return names.length > NAMES_SHOWN ? `${shown} and ${names.length - NAMES_SHOWN} more` : shown;
}

/**
 * Where `text` is cut to show at most `max` characters, each code point taking `width(code point)` of them: the
 * UTF-16 index of the first code point left out, or undefined when the whole fits.
 */
function cutAt(text: string, max: number, width: (code: number) => number): number | undefined {
  let shown = 0;
  for (let i = 0; i < text.length; ) {
    const code = text.codePointAt(i) as number;
    shown += width(code);
    if (shown > max) return i;
    i += code > 0xffff ? 2 : 1;
  }
  return undefined;
}

/** How many characters JSON.stringify writes for one code point inside a string: `\"`, `\n`, `\u0001`, or itself. */
function escapedWidth(code: number): number {
  if (code === 0x22 || code === 0x5c || (code >= 0x08 && code <= 0x0d && code !== 0x0b)) return 2;
  if (code < 0x20 || (code >= 0xd800 && code <= 0xdfff)) return 6; // a control character, a lone surrogate
  return 1;
}

function isHigh(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLow(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
