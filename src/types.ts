// The shapes modules exchange (see DESIGN.md): samples from probes, priorities, label sets.

/** Label names to values, e.g. `{ route: "/api/v1/tasks" }`. */
export type Labels = Readonly<Record<string, string>>;

/** One measurement: `api_metrics.latency_p95_seconds{route="/api/v1/tasks"} 0.31`. */
export interface Sample {
  name: string;
  labels: Labels;
  value: number;
}

/** Runbook severity levels, most urgent first. */
export const PRIORITIES = ['P0', 'P1', 'P2', 'P3'] as const;
export type Priority = (typeof PRIORITIES)[number];

/** True when `a` is more urgent than `b` (P0 outranks P1). */
export function outranks(a: Priority, b: Priority): boolean {
  return PRIORITIES.indexOf(a) < PRIORITIES.indexOf(b);
}
