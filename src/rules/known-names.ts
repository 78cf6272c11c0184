// What a silence or a maintenance window may name: the alert names and probes of the loaded configuration. A matcher
// on `alertname` or `probe` that no such name satisfies holds back nothing — `alertname=ApiDwn` looks like a silence
// and silences nothing — and a negative one holds back everything (`alertname!=ApiDwn`), so either is refused with the
// closest name, unless the caller forces it (a rule still to come).
import { didYouMean } from '../did-you-mean.js';
import { type Matcher, matcherText } from '../matchers.js';
import type { Labels, Priority } from '../types.js';
import { AlertingError } from './errors.js';

/**
 * An alert that can exist, known before any instance does: its name, the labels whose values are known, the
 * labels that may take any value (`any` for a rule: its samples bring labels), and the priorities it can have.
 */
export interface AlertKind {
  alertname: string;
  labels: Labels;
  open: readonly string[] | 'any';
  priorities: readonly Priority[];
}

/**
 * An alert a source may send, known before it is first sent: any alert name (a rule's of the config too: a source's
 * alert is its own instance, and a silence or window on the name holds both), any labels, at the priorities the source
 * can map to.
 */
export interface SourceAnyKind {
  source: string;
  priorities: readonly Priority[];
}

/** The names a new silence or window is checked against. */
export interface KnownNames {
  /** The alerts that can exist: the rules and centinela's own (CannotMeasure, HealthNotBack). */
  kinds: readonly AlertKind[];
  /** What each configured source may send besides: a length limit counts them; a name need not be one of them. */
  fromSources: readonly SourceAnyKind[];
  /** The configured probes. */
  probes: ReadonlySet<string>;
}

/**
 * AlertingError UNKNOWN_NAME, `<noun>: <each problem>`, when `matchers` name an unknown alert or probe. How to force
 * it is the API's to say: what works depends on where the request came from (amtool cannot force).
 */
export function refuseUnknownNames(noun: string, matchers: readonly Matcher[], known: KnownNames): void {
  const problems = unknownNames(matchers, known);
  if (problems.length > 0) throw new AlertingError('UNKNOWN_NAME', `${noun}: ${problems.join(' ')}`);
}

/**
 * One problem per matcher on `alertname` or `probe` that names what no known name is (see unknownName), with the
 * closest name for a plain name, or the names there are when none is close.
 */
function unknownNames(matchers: readonly Matcher[], known: KnownNames): string[] {
  const names = { alertname: [...new Set(known.kinds.map((k) => k.alertname))], probe: [...known.probes] };
  return matchers.flatMap((m) => {
    const unknown = unknownName(m, names);
    if (!unknown) return [];
    const all = names[unknown.label];
    return [`${matcherText(m)} ${unknown.why}.${unknown.closest || ` Known: ${all.join(', ') || 'none'}.`}`];
  });
}

/** The labels whose values are names the configuration defines. */
export type NamedLabel = 'alertname' | 'probe';

/** An alternative that is a plain name: no metacharacter. */
const PLAIN = /^[^.*+?^${}()[\]\\|]*$/;

/** Most alternatives a regex is spread into: past it a group stays one alternative, so `(a|b)(c|d)…` cannot blow up. */
const MOST_ALTERNATIVES = 64;

/**
 * The alternatives whose union a regex is, each as it would be written alone, with what it adds nothing by taken off
 * (the match is anchored anyway): anchors and a group around the whole, in each alternative too, so `^(ApiDown|Api.*)$`
 * gives ApiDown and Api.*. A group inside is spread out (`Api(Down|Dwn)` gives ApiDown and ApiDwn) unless a quantifier
 * follows it (`Api(Down|Up)?`), it is not a plain group (a lookaround, a named group) or the regex refers back to a
 * group (`\1`): then it stays in its alternative, which is checked as a regex.
 */
function alternatives(regex: string, budget = { left: MOST_ALTERNATIVES }): string[] {
  const bare = unwrapped(regex);
  const marks = structure(bare);
  const bars = marks.filter((t) => t.ch === '|' && t.depth === 0);
  if (bars.length > 0) {
    const cuts = [-1, ...bars.map((t) => t.at), bare.length];
    return cuts.slice(1).flatMap((end, i) => alternatives(bare.slice((cuts[i] as number) + 1, end), budget));
  }
  const variants = spreadGroup(bare, marks);
  if (!variants || variants.length - 1 > budget.left) return [bare];
  budget.left -= variants.length - 1;
  return variants.flatMap((v) => alternatives(v, budget));
}

/**
 * `regex` (no `|` outside groups) once for each alternative of its first plain group (`(…)` or `(?:…)`) that no
 * quantifier follows, with that alternative in place of the group; undefined when it has no such group or refers back
 * to a group, which the spreading would renumber.
 */
function spreadGroup(regex: string, marks: ReturnType<typeof structure>): string[] | undefined {
  if (/\\[1-9]|\\k</.test(regex)) return undefined;
  for (const [i, open] of marks.entries()) {
    if (open.ch !== '(' || open.depth !== 0) continue;
    const inner = regex.startsWith('(?:', open.at) ? open.at + 3 : regex[open.at + 1] === '?' ? -1 : open.at + 1;
    const close = marks.slice(i + 1).find((t) => t.ch === ')' && t.depth === 0);
    if (inner < 0 || !close || /^[?*+{]/.test(regex.slice(close.at + 1))) continue;
    const cuts = [
      inner - 1,
      ...marks.filter((t) => t.ch === '|' && t.depth === 1 && t.at > inner && t.at < close.at).map((t) => t.at),
      close.at,
    ];
    const before = regex.slice(0, open.at);
    const after = regex.slice(close.at + 1);
    return cuts.slice(1).map((end, j) => before + regex.slice((cuts[j] as number) + 1, end) + after);
  }
  return undefined;
}

/** `regex` without the anchors at its ends and the groups (`(…)`, `(?:…)`) around all of it. */
function unwrapped(regex: string): string {
  let v = regex;
  for (;;) {
    let next = v.startsWith('^') ? v.slice(1) : v;
    if (next.endsWith('$') && !escaped(next, next.length - 1)) next = next.slice(0, -1);
    const open = next.startsWith('(?:') ? 3 : next.startsWith('(') && !next.startsWith('(?') ? 1 : 0;
    if (open > 0 && structure(next).find((t) => t.ch === ')' && t.depth === 0)?.at === next.length - 1) {
      next = next.slice(open, -1);
    }
    if (next === v) return v;
    v = next;
  }
}

/** True when the character at `at` follows an odd number of backslashes. */
function escaped(text: string, at: number): boolean {
  let n = 0;
  while (at - n - 1 >= 0 && text[at - n - 1] === '\\') n++;
  return n % 2 === 1;
}

/**
 * Where `regex` opens and closes groups and separates alternatives: each `(`, `)` and `|` that is not escaped nor in
 * a character class, with the depth of groups outside it.
 */
function structure(regex: string): { at: number; ch: '(' | ')' | '|'; depth: number }[] {
  const out: { at: number; ch: '(' | ')' | '|'; depth: number }[] = [];
  let depth = 0;
  let inClass = false;
  for (let at = 0; at < regex.length; at++) {
    const ch = regex[at];
    if (ch === '\\') at++;
    else if (inClass) inClass = ch !== ']';
    else if (ch === '[') inClass = true;
    else if (ch === '(') out.push({ at, ch, depth: depth++ });
    else if (ch === ')') out.push({ at, ch, depth: --depth });
    else if (ch === '|') out.push({ at, ch, depth });
  }
  return out;
}

/**
 * The alternatives of `regex` that none of `names` satisfies, each with whether it is a plain name; the regex as one
 * alternative when one alone does not compile (a back-reference to a named group of another).
 */
function unmatched(regex: RegExp | undefined, value: string, names: readonly string[]) {
  const leaves = [...new Set(alternatives(value))].map((text) => {
    if (PLAIN.test(text)) return { text, plain: true, matches: (n: string) => n === text };
    try {
      const re = new RegExp(`^(?:${text})$`);
      return { text, plain: false, matches: (n: string) => re.test(n) };
    } catch {
      return undefined;
    }
  });
  const whole = { text: value, plain: false, matches: (n: string) => regex?.test(n) === true };
  const checked = leaves.every((l) => l !== undefined) ? leaves : [whole];
  return { all: checked.length, missing: checked.filter((l) => !names.some((n) => l.matches(n))) };
}

/**
 * For a matcher on `alertname` or `probe` that names what none of `names` is: its label, why, after the matcher
 * (`matches no alert: no rule is named so`, `lists a name no rule has: no rule is named "PostgresDwn"`), the same
 * without any written name (`unquoted`, for a value that must not be quoted) and the closest of `hints` to a name it
 * gives (` Did you mean "ApiDown"?`, or empty). A plain `=` is checked as a name; a `=~` alternative by alternative
 * (`^(ApiDown|Postgres.*)$`: ApiDown, Postgres.*), each of which must be a name of `names` or match one: an
 * alternative that matches none is a misspelling or dead weight. `!=` and `!~` are checked the same way, for the
 * opposite harm: what they name that no name is excludes nothing, and `alertname!=ApiDwn` matches every alert.
 * Undefined for a matcher on any other label. The config check and the API's refusal share it.
 */
export function unknownName(
  m: Matcher,
  names: Readonly<Record<NamedLabel, readonly string[]>>,
  hints = names,
): { label: NamedLabel; why: string; unquoted: string; closest: string } | undefined {
  if (m.label !== 'alertname' && m.label !== 'probe') return undefined;
  const label = m.label;
  const what = label === 'alertname' ? 'rule' : 'probe';
  const none = m.op === '!=' || m.op === '!~' ? 'matches every alert' : 'matches no alert';
  if (m.op === '=' || m.op === '!=') {
    if (names[label].includes(m.value)) return undefined;
    const why = `${none}: no ${what} is named so`;
    return { label, why, unquoted: why, closest: didYouMean(m.value, hints[label]) };
  }
  const { all, missing } = unmatched(m.regex, m.value, names[label]);
  const [first, ...rest] = missing;
  if (first === undefined) return undefined;
  if (all === 1 && !first.plain) {
    const why = `${none}: no ${what}'s name matches it`;
    return { label, why, unquoted: why, closest: '' };
  }
  const unquoted =
    missing.length === all
      ? none
      : missing.every((l) => l.plain)
        ? `lists a name no ${what} has`
        : `has an alternative no ${what}'s name matches`;
  const says = (l: { text: string; plain: boolean }) =>
    l.plain ? `no ${what} is named ${JSON.stringify(l.text)}` : `no ${what}'s name matches ${JSON.stringify(l.text)}`;
  const also = rest.length > 0 ? ` (nor ${rest.map((l) => JSON.stringify(l.text)).join(', ')})` : '';
  const misspelt = missing.find((l) => l.plain);
  return {
    label,
    why: `${unquoted}: ${says(first)}${also}`,
    unquoted,
    closest: misspelt ? didYouMean(misspelt.text, hints[label]) : '',
  };
}
