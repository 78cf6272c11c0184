// How a value from a target's JSON reads in a probe's reason: short, and safe for any document JSON.parse returns.

/**
 * `value` as JSON, cut to `max` characters. Only what is shown is written: a 1 MiB string or a body of `[[[[…`
 * nested 20,000 deep costs `max` characters of work, not a JSON.stringify of the whole (which throws RangeError past
 * its recursion limit, and took half of a fuzzed probe's time). A number beyond a double's range (`1e400`, which
 * JSON.parse reads as Infinity) says so; inside an array or object it reads `null`, as JSON.stringify writes it.
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
    if (typeof v === 'number') return put(Number.isFinite(v) ? String(v) : 'null');
    return put(String(v));
  };
  write(value);
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
