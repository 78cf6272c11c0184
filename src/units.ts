// How numbers with units read for people, in templates, pages and command output: 0.63, 7 min, 1.5 GiB. The units
// here are the template filters (`{{ value | percent }}`), and a rule's value is shown in the unit its summary uses.
import { type Locale, t } from './locale/locale.js';

/** Two significant digits below 10, whole numbers above: 0.634 → 0.63, 1.25 → 1.3, 92.4 → 92, 1234 → 1234. */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 10 || Number.isInteger(n)) return String(Math.round(n));
  return String(Number(n.toPrecision(2)));
}

/** Seconds as people say them: `45 s`, `7 min`, `2 h 5 min`, `3 d 4 h`. */
export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return String(seconds);
  const s = Math.round(Math.abs(seconds));
  const sign = seconds < 0 ? '-' : '';
  if (s < 60) return Math.abs(seconds) < 10 ? `${sign}${formatNumber(Math.abs(seconds))} s` : `${sign}${s} s`;
  if (s < 3_600) return `${sign}${Math.round(s / 60)} min`;
  const minutes = Math.round(s / 60);
  if (minutes < 24 * 60) {
    const h = Math.floor(minutes / 60);
    const m = minutes % 60;
    return m === 0 ? `${sign}${h} h` : `${sign}${h} h ${m} min`;
  }
  const hours = Math.round(s / 3_600);
  const d = Math.floor(hours / 24);
  const h = hours % 24;
  return h === 0 ? `${sign}${d} d` : `${sign}${d} d ${h} h`;
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** Bytes in binary units: `900 B`, `12 KiB`, `1.5 GiB`. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  let n = Math.abs(bytes);
  let unit = 0;
  while (n >= 1024 && unit < BYTE_UNITS.length - 1) {
    n /= 1024;
    unit++;
  }
  return `${bytes < 0 ? '-' : ''}${formatNumber(n)} ${BYTE_UNITS[unit]}`;
}

/**
 * A time-until this far off (10⁶ hours, over a century) is never: what the disk probe's hours_until_full reports when
 * the disk is not filling up, so that an alert on it sees the good side.
 */
export const NEVER_HOURS = 1_000_000;

/** A length of time given in `scale` seconds (hours: 3600), or never (in `locale`) from NEVER_HOURS on. */
function formatLength(n: number, scale: number, locale: Locale): string {
  return n * scale >= NEVER_HOURS * 3_600 ? t(locale, 'unit.never') : formatSeconds(n * scale);
}

/**
 * How a number reads in each unit: the template filters, and the values of a page and an all-clear. Digits and unit
 * symbols are the same in every language; a word (never) is in the reader's `locale`.
 */
export const UNITS = {
  /** 0.634 → `0.63 s` (a value in seconds, such as a latency). */
  seconds: (n: number) => `${formatNumber(n)} s`,
  /** 420 → `7 min` (an age or a length of time, in seconds). */
  duration: (n: number) => formatSeconds(n),
  /** 92.4 → `92 %` (a value already in percent). */
  percent: (n: number) => `${formatNumber(n)} %`,
  /** 1610612736 → `1.5 GiB`. */
  bytes: (n: number) => formatBytes(n),
  /** 5.5 → `5 h 30 min` (a time-until in hours); `never` from NEVER_HOURS on. */
  hours: (n: number, locale: Locale) => formatLength(n, 3_600, locale),
  /** 20.5 → `20 d 12 h` (a time-until in days). */
  days: (n: number, locale: Locale) => formatLength(n, 86_400, locale),
  /** 160 → `160/s` (a rate). */
  per_second: (n: number) => `${formatNumber(n)}/s`,
  /** 1500 → `1500/min` (a rate per minute, such as requests from one client IP). */
  per_minute: (n: number) => `${formatNumber(n)}/min`,
} satisfies Record<string, (n: number, locale: Locale) => string>;

/**
 * How a rule's value reads: a unit of UNITS, `number` (shown bare: a count), or `state` (a 0/1 such as `up` that no
 * template shows: the page says it in words, and the all-clear shows no numbers for it).
 */
export type Unit = keyof typeof UNITS | 'number' | 'state';

/** `value` in `unit`, read in `locale`; a `state` or `number` as a bare number. */
export function formatValue(value: number, unit: Unit | undefined, locale: Locale): string {
  return unit === undefined || unit === 'number' || unit === 'state' ? formatNumber(value) : UNITS[unit](value, locale);
}

/** Sample-name endings that say a unit, most specific first (`_per_second` before `_second…`). */
const NAME_UNITS: readonly [string, Unit][] = [
  ['_bytes', 'bytes'],
  ['_percent', 'percent'],
  ['_per_second', 'per_second'],
  ['_per_minute', 'per_minute'],
  ['_seconds', 'seconds'],
  ['hours_until_full', 'hours'],
  ['_hours', 'hours'],
  ['_days', 'days'],
];

/**
 * The unit a sample's name says by Prometheus' naming convention (`free_bytes`, `cpu_percent`, `latency_seconds`),
 * for showing a probe's values as people read them (80824832000 → 75 GiB); `number` when the name says none.
 */
export function unitOfName(name: string): Unit {
  return NAME_UNITS.find(([ending]) => name.endsWith(ending))?.[1] ?? 'number';
}
