// How a long text from outside reads in a message: its start, marked where it was cut, so that a 500 KB page, metric
// name or regex never ends up whole in a reason, an error or a log line (and from there in the API and the pages).

/** The most characters a message quotes of one thing it was given. */
export const EXCERPT_CHARS = 200;

/**
 * `text` when it has at most `max` characters; else its first `max` (a character of two UTF-16 units is not split),
 * then `…` and how long it was: `aaaa… (524288 characters)`. `length` is that of the whole when `text` is only its
 * start.
 */
export function excerpt(text: string, max = EXCERPT_CHARS, length = text.length): string {
  if (text.length <= max) return text;
  const code = text.charCodeAt(max - 1);
  const end = code >= 0xd800 && code <= 0xdbff ? max - 1 : max;
  return `${text.slice(0, end)}… (${length} characters)`;
}
