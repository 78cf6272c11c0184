// How what a target sent reads in a probe's reason: an excerpt, marked where it was cut, so that a 500 KB page, metric
// name or header never ends up whole in a reason (and from there in the API, the logs and the pages); and a value of
// its JSON, short and safe for any document JSON.parse returns.

/** The most characters a reason quotes of one thing a target sent. */
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

/**
 * `value` as JSON, cut to `max` characters and marked as excerpt marks a cut, with the length of the whole. Only what
 * is shown is written: a body of `[[[[…` nested 20,000 deep costs `max` characters of writing and a count of the
 * rest, not a JSON.stringify of the whole (which throws RangeError past its recursion limit, and took half of a
 * fuzzed probe's time). A number beyond a double's range (`1e400`, which JSON.parse reads as Infinity) says so;
 * inside an array or object it reads `null`, as JSON.stringify writes it.
 */
export function showJson(value: unknown, max: number): string {
  if (typeof value === 'number' && !Number.isFinite(value)) return 'a number beyond the range of a double (±1.8e308)';
  let text = '';
  // Appends and tells whether there is room for more; past `max` nothing is written any more.
  const put = (s: string): boolean => {
    text += s.slice(0, max + 1 - text.length);
    return text.length <= max;
  };
  const write = (v: unknown): boolean => {
    if (Array.isArray(v)) {
      if (!put('[')) return false;
      for (const [i, item] of v.entries()) if ((i > 0 && !put(',')) || !write(item ?? null)) return false;
      return put(']');
    }
    if (v !== null && typeof v === 'object') {
      if (!put('{')) return false;
      let first = true;
      for (const [key, item] of Object.entries(v)) {
        if (item === undefined) continue;
        if ((!first && !put(',')) || !put(`${JSON.stringify(key.slice(0, max))}:`) || !write(item)) return false;
        first = false;
      }
      return put('}');
    }
    if (typeof v === 'string') return put(JSON.stringify(v.slice(0, max)));
    return put(scalar(v));
  };
  write(value);
  return text.length > max ? excerpt(text, max, jsonLength(value)) : text;
}

function scalar(v: unknown): string {
  return typeof v === 'number' ? (Number.isFinite(v) ? String(v) : 'null') : String(v);
}

/** How long showJson's whole text of `value` is, counted without writing it and without recursing. */
function jsonLength(value: unknown): number {
  let length = 0;
  const rest: unknown[] = [value];
  while (rest.length > 0) {
    const v = rest.pop();
    if (Array.isArray(v)) {
      length += 2 + Math.max(0, v.length - 1);
      for (const item of v) rest.push(item ?? null);
    } else if (v !== null && typeof v === 'object') {
      const entries = Object.entries(v).filter(([, item]) => item !== undefined);
      length += 2 + Math.max(0, entries.length - 1);
      for (const [key, item] of entries) {
        length += JSON.stringify(key).length + 1;
        rest.push(item);
      }
    } else {
      length += typeof v === 'string' ? JSON.stringify(v).length : scalar(v).length;
    }
  }
  return length;
}
