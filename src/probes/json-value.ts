// How a value from a target's JSON reads in a probe's reason: short, and safe for any document JSON.parse returns.

/**
 * `value` as JSON, cut to `max` characters. A number beyond a double's range (`1e400`, which JSON.parse reads as
 * Infinity and JSON.stringify would print as null) says so; an array or object nested deeper than JSON.stringify can
 * recurse (a 10 kB body of `[[[[…`) is named by its kind instead of throwing RangeError out of the probe.
 */
export function showJson(value: unknown, max: number): string {
  if (typeof value === 'number' && !Number.isFinite(value)) return 'a number beyond the range of a double (±1.8e308)';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    return `${Array.isArray(value) ? 'an array' : 'an object'} nested too deeply to show`;
  }
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
