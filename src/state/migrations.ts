// The state store's schema history, applied in order at open; a number, once shipped, never changes meaning.
// 1: alert instances, silences, maintenance windows (rules). 2: pages, acks, escalation timers, outbox (escalation).

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: Migration[] = [];
