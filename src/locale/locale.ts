// The words and times people read: a message of the catalogue in their language (centinela.yaml `locale`), and an
// instant in their time zone (`timezone`) with its offset from UTC, so a time read at 3 a.m. is never ambiguous.
import { CATALOGUE, type MessageKey, type MessageParams } from './catalogue.js';

/** The languages of the catalogue. */
export const LOCALES = ['es', 'en'] as const;
export type Locale = (typeof LOCALES)[number];

/** How the pages of one configuration read: the people's language and their time zone (IANA). */
export interface Reading {
  locale: Locale;
  timezone: string;
}

/** The reading a centinela.yaml sets: its `locale` and `timezone`, and nothing else of the file. */
export const readingOf = ({ locale, timezone }: Reading): Reading => ({ locale, timezone });

/** What pages read as when nothing says otherwise: centinela.yaml's defaults. */
export const DEFAULT_READING: Reading = { locale: 'en', timezone: 'UTC' };

export type { MessageKey };

/** The arguments after the key: none for a message without placeholders, else a value for each. */
type ParamArgs<K extends MessageKey> = [keyof MessageParams<K>] extends [never] ? [] : [MessageParams<K>];

/**
 * Message `key` in `locale`, each `{name}` replaced by its value and each `{name:one|other}` by the form that agrees
 * with the number `name` in that language (1 activa, 2 activas). The text is read once, so a value holding braces
 * stays as it is.
 */
export function t<K extends MessageKey>(locale: Locale, key: K, ...params: ParamArgs<K>): string {
  const text: string = CATALOGUE[locale][key];
  const values = (params[0] ?? {}) as Record<string, string | number>;
  return text.replace(/\{(\w+)(?::([^{}|]*)\|([^{}]*))?\}/g, (whole, name: string, one?: string, other?: string) => {
    if (!(name in values)) return whole;
    if (one === undefined) return String(values[name]);
    return plural(locale, Number(values[name]), one, other ?? '');
  });
}

/** The form of a word that agrees with `n` in `locale`: `one` for 1 (1 línea), `other` for the rest (0, 2 líneas). */
export function plural(locale: Locale, n: number, one: string, other: string): string {
  return pluralRules(locale).select(n) === 'one' ? one : other;
}

const plurals = new Map<Locale, Intl.PluralRules>();

function pluralRules(locale: Locale): Intl.PluralRules {
  let rules = plurals.get(locale);
  if (!rules) {
    rules = new Intl.PluralRules(locale);
    plurals.set(locale, rules);
  }
  return rules;
}

/** True when `zone` is a time zone this runtime knows (an IANA name such as America/Guayaquil, or UTC). */
export function validTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

// One formatter per zone: building an Intl.DateTimeFormat costs far more than using one.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterOf(timezone: string): Intl.DateTimeFormat {
  let f = formatters.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'longOffset',
    });
    formatters.set(timezone, f);
  }
  return f;
}

/**
 * `08:15`: the time of day of `ms` on the clocks of `timezone`, for a place where the day and the zone's offset are
 * said nearby (a chart's axis, a card or a timeline step that gives the full time).
 */
export function clockTime(ms: number, timezone: string): string {
  return localTime(ms, timezone).slice(11, 16);
}

/**
 * `2026-12-04 08:15:03 (UTC−05:00)`: the instant `ms` (epoch ms) on the clocks of `timezone`, with that zone's offset
 * then (daylight saving included). The same digits in every language, so only the zone decides how it reads.
 */
export function localTime(ms: number, timezone: string): string {
  const parts: Partial<Record<Intl.DateTimeFormatPartTypes, string>> = {};
  for (const p of formatterOf(timezone).formatToParts(ms)) parts[p.type] = p.value;
  // `GMT-05:00`, or `GMT` alone at offset zero; written as UTC with a true minus sign.
  const offset = (parts.timeZoneName ?? 'GMT').replace(/^GMT/, '') || '+00:00';
  const { year, month, day, hour, minute, second } = parts;
  return `${year}-${month}-${day} ${hour}:${minute}:${second} (UTC${offset.replace('-', '−')})`;
}
