// Durations as written in the config: 500ms, 15s, 5m, 1h30m, 1d — one or more number+unit parts, largest unit first.

const UNITS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000, ms: 1 } as const;
const ORDER = ['d', 'h', 'm', 's', 'ms'] as const;
const PART = /(\d+(?:\.\d+)?)(ms|d|h|m|s)/y;

/**
 * The longest duration centinela takes: 100 years. Far past any interval, silence or window anyone means, and where
 * every end it gives is still a date (`99999999999d` is not: nothing could show or store it).
 */
export const LONGEST_DURATION_MS = 36_500 * UNITS.d;

/** Milliseconds for a duration string, or undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  if (s === '') return undefined;
  PART.lastIndex = 0;
  let total = 0;
  let lastRank = -1;
  while (PART.lastIndex < s.length) {
    const m = PART.exec(s);
    if (!m) return undefined;
    const unit = m[2] as keyof typeof UNITS;
    const rank = ORDER.indexOf(unit);
    if (rank <= lastRank) return undefined; // "5m1h" or "5m5m": units must go from largest to smallest, once each
    lastRank = rank;
    total += Number(m[1]) * UNITS[unit];
  }
  return Math.round(total);
}

/** The shortest config spelling of a duration: 90000 → "1m30s". */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = Math.round(ms);
  let out = '';
  for (const unit of ORDER) {
    const n = Math.floor(rest / UNITS[unit]);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * UNITS[unit];
    }
  }
  return out;
}

/** A span as a person reads it, to the unit that matters: "45 s", "12 min", "3 h", "2 d". */
export function age(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return `${s} s`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min`;
  if (s < 36 * 3600) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} d`;
}
