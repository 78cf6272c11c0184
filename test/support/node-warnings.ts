// Node warnings a piece of code raises (process.emitWarning, e.g. the yaml library's), seen by tests and bench/fuzz.ts
// instead of printed.

/** Node warnings emitted while `fn` ran (they are emitted on a later tick, so one turn is awaited). */
export async function warningsDuring(fn: () => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  const record = (w: Error) => seen.push(`${w.name}: ${w.message}`);
  process.on('warning', record);
  try {
    await fn();
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', record);
  }
  return seen;
}
