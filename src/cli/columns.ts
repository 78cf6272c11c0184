// Aligned columns for the commands that print tables (`probe`, `alerts`), as `amtool` and `kubectl get` print them.

/** Each row as one line: every cell but the last padded to its column's widest cell, cells two spaces apart. */
export function alignColumns(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const r of rows) for (const [col, cell] of r.entries()) widths[col] = Math.max(widths[col] ?? 0, cell.length);
  return rows.map((r) =>
    r.map((cell, col) => (col === r.length - 1 ? cell : cell.padEnd(widths[col] ?? 0))).join('  '),
  );
}
