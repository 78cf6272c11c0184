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
 * Local times that do not exist when clocks go forward never fire. A local time that happens twice when clocks go
 * back fires once, at its first instant, as node-cron's own next-match does and as cron runs a job set for a fixed
 * hour: "0 2 * * *" is once a night, also the night 02:00 comes twice. A schedule on every hour fires in the repeated
 * hour too, as cron runs a job on every hour: that hour is an hour of its own.
 */
export class CronSchedule {
  readonly #fields: Pick<ParsedFields, 'second' | 'minute' | 'hour'>;
  /** Matches the day part only (day of month incl. L/LW, month, day of week incl. 5L and 1#2), at any time of day. */
  readonly #day: ScheduledTask;
  /** The last local date asked of #day, with its answer: the day part changes only at a local midnight. */
  #dayCache = { date: '', matches: false, offsetBefore: 0 };
  readonly #everyHour: boolean;
  readonly #local: Intl.DateTimeFormat;

  /** Throws node-cron's message when `expression` is not a cron expression, or RangeError for an unknown timezone. */
  constructor(
    readonly expression: string,
    readonly timezone?: string,
  ) {
    this.#local = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    const { second, minute, hour, dayOfMonth, month, dayOfWeek } = cron.parse(expression);
    const ascending = (xs: number[]) => [...xs].sort((a, b) => a - b);
    this.#fields = { second: ascending(second), minute: ascending(minute), hour: ascending(hour) };
    this.#everyHour = new Set(hour).size === 24;
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
      const local = this.#read(t);
      const { h, m, s } = local;
      const intoHour = m * 60 + s;
      const day = this.#dayOf(local.date, t);
      // Jumps go an hour short of where they aim when that is further than an hour, so a clock change on the way
      // (a 23-hour day, an hour that comes twice) cannot carry us past a fire time; the next turns step the rest.
      const toward = (seconds: number) => (seconds > HOUR_S ? seconds - HOUR_S : seconds) * 1000;
      if (!day.matches) {
        t += toward(DAY_S - (h * HOUR_S + intoHour));
      } else if (!hour.includes(h)) {
        const later = hour.find((x) => x > h);
        t += toward(later === undefined ? DAY_S - (h * HOUR_S + intoHour) : (later - h) * HOUR_S - intoHour);
      } else if (!minute.includes(m) || !second.includes(s)) {
        // Within an hour the offset holds (clocks change on the hour), so the next minute and second are sums.
        t += (this.#laterInHour(intoHour) - intoHour) * 1000;
      } else if (!this.#everyHour && this.#repeated(t, local.offset, day.offsetBefore)) {
        t += 1000;
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

  /** The day part's answer for the local `date` (read at `t`), and the offset a day before it: asked once a date. */
  #dayOf(date: string, t: number): { matches: boolean; offsetBefore: number } {
    if (this.#dayCache.date !== date) {
      const matches = this.#day.match(new Date(t));
      this.#dayCache = { date, matches, offsetBefore: matches ? this.#read(t - DAY_S * 1000).offset : 0 };
    }
    return this.#dayCache;
  }

  /** The first minute and second of the schedule in the hour after `intoHour` (seconds), or 3600: the next hour. */
  #laterInHour(intoHour: number): number {
    const { minute, second } = this.#fields;
    for (const m of minute) {
      if (m * 60 + 59 < intoHour) continue;
      for (const s of second) if (m * 60 + s > intoHour) return m * 60 + s;
    }
    return HOUR_S;
  }

  /**
   * Whether the local time at `t` (whose offset from UTC is `offset`) was already read earlier: clocks went back by a
   * shift since a day before its date (`before`, the offset then; at most one change a day), and `t` less that shift
   * reads the same, at that earlier offset.
   */
  #repeated(t: number, offset: number, before: number): boolean {
    const shift = before - offset;
    return shift > 0 && this.#read(t - shift).offset === before;
  }

  /** The local date (as text), time of day and offset from UTC (ms) at `t`, a whole second. */
  #read(t: number): { date: string; h: number; m: number; s: number; offset: number } {
    const f: Record<string, number> = {};
    for (const part of this.#local.formatToParts(t)) if (part.type !== 'literal') f[part.type] = Number(part.value);
    const { year = 0, month = 1, day = 1, hour: h = 0, minute: m = 0, second: s = 0 } = f;
    const offset = Date.UTC(year, month - 1, day, h, m, s) - t;
    return { date: `${year}-${month}-${day}`, h, m, s, offset };
  }
}
