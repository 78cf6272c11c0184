// The median the bench scripts report: for an even count of trials, the mean of the two middle values (of two trials,
// their mean, not the larger).

/** The median of `xs`; NaN for none. */
export function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const upper = sorted[mid];
  if (upper === undefined) return Number.NaN;
  const lower = sorted[mid - 1];
  return sorted.length % 2 === 0 && lower !== undefined ? (lower + upper) / 2 : upper;
}
