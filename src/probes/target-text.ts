// How a value of what a target sent reads in a probe's reason: short and safe for any document JSON.parse returns. The
// rest of what a target sends is quoted through excerpt() (src/excerpt.ts).
import { characters, excerpt, head } from '../excerpt.js';

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
  let count = 0; // characters of text
  // Appends and tells whether there is room for more; past `max` characters nothing is written any more.
  const put = (s: string): boolean => {
    const part = head(s, max + 1 - count);
    text += part;
    count += characters(part);
    return count <= max;
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
        if ((!first && !put(',')) || !put(`${JSON.stringify(head(key, max))}:`) || !write(item)) return false;
        first = false;
      }
      return put('}');
    }
    if (typeof v === 'string') return put(JSON.stringify(head(v, max)));
    return put(scalar(v));
  };
  write(value);
  return count > max ? excerpt(text, max, jsonLength(value)) : text;
}

function scalar(v: unknown): string {
  return typeof v === 'number' ? (Number.isFinite(v) ? String(v) : 'null') : String(v);
}

/** How many characters showJson's whole text of `value` has, counted without writing it and without recursing. */
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
        length += characters(JSON.stringify(key)) + 1;
        rest.push(item);
      }
    } else {
      length += typeof v === 'string' ? characters(JSON.stringify(v)) : scalar(v).length;
    }
  }
  return length;
}
