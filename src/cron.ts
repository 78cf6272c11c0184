// Next fire times of a cron expression in a timezone, computed from an instant we are given (never from the real
// time), so the Clock owns the wait: node-cron parses and matches, this file only walks forward.
import cron, { type ParsedFields, type ScheduledTask } from 'node-cron';

const DAY_S = 86_400;
const HOUR_S = 3_600;
/** How far ahead to look before declaring that an expression never fires (Feb 30, or Feb 29 on a Monday is 28 years). */
const HORIZON_MS = 100 * 366 * DAY_S * 1000;

/**
 * The schedule `expression` stands for, as text to compare: the same for every way of writing it (SUN, 0 or 7 for
 * Sunday, names of months, a step of 1, a seconds field of 0, a list in any order). An expression that is none (refused
 * where it is configured) is its fields as written.
 */
export function scheduleKey(expression: string): string {
  const written = expression.trim().split(/\s+/).join(' ');
  try {
    if (!cron.validate(expression)) return written;
    const { second, minute, hour, dayOfMonth, month, dayOfWeek } = cron.parse(expression);
    const sorted = (xs: (number | string)[]) => [...xs].sort((a, b) => String(a).localeCompare(String(b)));
    return JSON.stringify([second, minute, hour, dayOfMonth, month, dayOfWeek].map(sorted));
  } catch {
    return written;
  }
}

/**
 * A parsed cron expression (five or six fields, names and nicknames as node-cron accepts them) bound to a timezone.
 * Local times that do not exist when clocks go forward never fire; a local time that happens twice when clocks go
 * back fires twice (each instant matches), which is harmless for a probe.
 */
export class CronSchedule {
  readonly #fields: Pick<ParsedFields, 'second' | 'minute' | 'hour'>;
  /** Matches the day part only (day of month incl. L/LW, month, day of week incl. 5L and 1#2), at any time of day. */
  readonly #day: ScheduledTask;
  readonly #local: Intl.DateTimeFormat;

  /** Throws node-cron's message when `expression` is not a cron expression, or RangeError for an unknown timezone. */
  constructor(
    readonly expression: string,
    readonly timezone?: string,
  ) {
    this.#local = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    const { second, minute, hour, dayOfMonth, month, dayOfWeek } = cron.parse(expression);
    const ascending = (xs: number[]) => [...xs].sort((a, b) => a - b);
    this.#fields = { second: ascending(second), minute: ascending(minute), hour: ascending(hour) };
    // A task is never started: node-cron's own timers use the real time, so it serves only as a matcher.
    this.#day = cron.createTask(`* * * ${dayOfMonth.join(',')} ${month.join(',')} ${dayOfWeek.join(',')}`, () => {}, {
      timezone,
    });
  }

  /** The first fire time strictly after `after` (epoch ms, whole seconds), or undefined when there is none. */
  next(after: number): number | undefined {
    let t = (Math.floor(after / 1000) + 1) * 1000;
    const { second, minute, hour } = this.#fields;
    while (t <= after + HORIZON_MS) {
      const { h, m, s } = this.#timeOfDay(t);
      if (!this.#day.match(new Date(t))) {
        // Skip to the local midnight, an hour short of it when far away, so a 23-hour day (clocks forward) cannot
        // make us jump past the next day's first hour; the next turn covers the rest.
        const left = DAY_S - (h * HOUR_S + m * 60 + s);
        t += (left > HOUR_S ? left - HOUR_S : left) * 1000;
      } else if (!hour.includes(h)) {
        t += (HOUR_S - (m * 60 + s)) * 1000;
      } else if (!minute.includes(m)) {
        const later = minute.find((x) => x > m);
        t += later === undefined ? (60 - s) * 1000 : ((later - m) * 60 - s) * 1000;
      } else if (!second.includes(s)) {
        const later = second.find((x) => x > s);
        t += ((later ?? 60) - s) * 1000;
      } else {
        return t;
      }
    }
    return undefined;
  }

  /** Releases node-cron's registration of the matcher. */
  close(): void {
    this.#day.destroy();
  }

  #timeOfDay(t: number): { h: number; m: number; s: number } {
    let h = 0;
    let m = 0;
    let s = 0;
    for (const part of this.#local.formatToParts(t)) {
      if (part.type === 'hour') h = Number(part.value);
      else if (part.type === 'minute') m = Number(part.value);
      else if (part.type === 'second') s = Number(part.value);
    }
    return { h, m, s };
  }
}
