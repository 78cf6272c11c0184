// What a silence or a maintenance window may name: the alert names and probes of the loaded configuration. A matcher
// on `alertname` or `probe` that no such name satisfies holds back nothing — `alertname=ApiDwn` looks like a silence
// and silences nothing — and a negative one holds back everything (`alertname!=ApiDwn`), so either is refused with the
// closest name, unless the caller forces it (a rule still to come).
import { didYouMean } from '../did-you-mean.js';
import { type NamesInMessages, namesInMessages } from '../env-names.js';
import { excerpt, firstOf, quoted } from '../excerpt.js';
import { MATCHER_VALUE_MAX, type Matcher, matcherText } from '../matchers.js';
import { compileRegex, type Regex } from '../regex.js';
import type { Labels, Priority } from '../types.js';
import { AlertingError } from './errors.js';

/**
 * An alert that can exist, known before any instance does: its name, the labels whose values are known, the
 * labels that may take any value (`any` for a rule: its samples bring labels), and the priorities it can have.
 */
export interface AlertKind {
  alertname: string;
  /** How a message names it when its name came from the environment (`<name from ${RULE}>`): never quoted. */
  shownAs?: string;
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
  /** How a refusal lists them and which it offers as "Did you mean". */
  probeNames: NamesInMessages;
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
  const withheld = new Map(known.kinds.flatMap((k) => (k.shownAs ? [[k.alertname, k.shownAs] as const] : [])));
  const alertnames = namesInMessages(names.alertname, withheld);
  const hints = { alertname: alertnames.hints, probe: known.probeNames.hints };
  const listed = { alertname: alertnames.shown, probe: known.probeNames.shown };
  return matchers.flatMap((m) => {
    const unknown = unknownName(m, names, hints);
    if (!unknown) return [];
    // The value in an excerpt: a 1 KB regex is told by its start and its length.
    const shown = matcherText({ ...m, value: excerpt(m.value) });
    return [`${shown} ${unknown.why}.${unknown.closest || ` Known: ${firstOf(listed[unknown.label]) || 'none'}.`}`];
  });
}

/** The labels whose values are names the configuration defines. */
export type NamedLabel = 'alertname' | 'probe';

/** An alternative that is a plain name: no metacharacter. */
const PLAIN = /^[^.*+?^${}()[\]\\|]*$/;

/**
 * Most a regex's spreading costs: each group spread costs the alternatives it adds, and at least 1, so `(a|b)(c|d)…`
 * gives at most 64 more alternatives and `(D)(D)…` has at most 64 groups spread; past it a group stays as written.
 */
const MOST_SPREAD = 64;

/** A `(`, `)` or `|` of a regex that is not escaped nor in a character class, with the depth of groups outside it. */
interface RegexMark {
  at: number;
  ch: '(' | ')' | '|';
  depth: number;
}

/** The marks of `regex`, in order: where it opens and closes groups and separates alternatives. */
function regexMarks(regex: string): RegexMark[] {
  const out: RegexMark[] = [];
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

/** A group being read: where it opens, its alternatives before the last `|`, and the one being read (once per way). */
interface OpenGroup {
  open: number;
  done: string[];
  current: string[];
}

/**
 * The alternatives whose union a regex is, each as it would be written alone, with the anchors at its ends taken off
 * (the match is anchored anyway), so `^(ApiDown|Api.*)$` gives ApiDown and Api.*. A group is spread out
 * (`Api(Down|Dwn)` gives ApiDown and ApiDwn) unless a quantifier follows it (`Api(Down|Up)?`), it is not a plain group
 * (a named group, flags `(?i:…)`) or `most` (MOST_SPREAD) is spent: then it stays in its alternative as written, and
 * that is checked as a regex. A regex that sets flags for what follows (`(?i)apidown|postgresdown`) is one
 * alternative: apart, the others would lose them.
 *
 * One pass over the regex's marks: a group's alternatives are known when it closes, and spread into the one around it
 * there, so the work is the regex's length times the (bounded) number of alternatives, however many groups it has.
 */
function alternatives(regex: string, most = MOST_SPREAD): string[] {
  if (/\(\?[a-zA-Z-]+\)/.test(regex)) return [regex];
  let left = most;
  const whole: OpenGroup = { open: -1, done: [], current: [''] };
  const open: OpenGroup[] = [whole];
  let from = 0;
  const add = (g: OpenGroup, text: string) => {
    if (text) g.current = g.current.map((c) => c + text);
  };
  for (const mark of regexMarks(regex)) {
    const inside = open.at(-1) ?? whole;
    add(inside, regex.slice(from, mark.at));
    from = mark.at + 1;
    if (mark.ch === '(') {
      if (regex.startsWith('(?:', mark.at)) from = mark.at + 3;
      open.push({ open: mark.at, done: [], current: [''] });
    } else if (mark.ch === '|') {
      for (const c of inside.current) inside.done.push(c);
      inside.current = [''];
    } else if (open.length > 1) {
      open.pop();
      const outer = open.at(-1) ?? whole;
      const options = [...inside.done, ...inside.current];
      const cost = Math.max(1, outer.current.length * (options.length - 1));
      const plain = regex.startsWith('(?:', inside.open) || regex[inside.open + 1] !== '?';
      if (plain && !/[?*+{]/.test(regex[mark.at + 1] ?? '') && cost <= left) {
        left -= cost;
        outer.current = outer.current.flatMap((c) => options.map((o) => c + o));
      } else {
        add(outer, regex.slice(inside.open, mark.at + 1));
      }
    }
  }
  if (open.length > 1) return [regex];
  add(whole, regex.slice(from));
  return [...whole.done, ...whole.current].map(unanchored);
}

/** `alternative` without the anchors at its ends. */
function unanchored(alternative: string): string {
  let start = 0;
  while (alternative[start] === '^') start++;
  let end = alternative.length;
  while (end > start && alternative[end - 1] === '$' && !escaped(alternative, end - 1)) end--;
  return alternative.slice(start, end);
}

/** True when the character at `at` follows an odd number of backslashes. */
function escaped(text: string, at: number): boolean {
  let n = 0;
  while (at - n - 1 >= 0 && text[at - n - 1] === '\\') n++;
  return n % 2 === 1;
}

/**
 * The alternatives of `regex` that none of `names` satisfies, each with whether it is a plain name; the regex as one
 * alternative when one alone does not compile.
 */
function unmatched(regex: Regex | undefined, value: string, names: readonly string[]) {
  const spread = [...new Set(alternatives(value))];
  // Spreading copies what is around a group into each alternative, and each that is no plain name is compiled: past
  // MATCHER_VALUE_MAX characters of those in all, the alternatives of the regex unspread are checked instead, so the
  // check compiles no more than a matcher may hold.
  const compiled = spread.reduce((n, text) => (PLAIN.test(text) ? n : n + text.length), 0);
  const alone = compiled <= MATCHER_VALUE_MAX ? spread : [...new Set(alternatives(value, 0))];
  const leaves = alone.map((text) => {
    if (PLAIN.test(text)) return { text, plain: true, matches: (n: string) => n === text };
    const re = compileRegex(text);
    return 'problem' in re ? undefined : { text, plain: false, matches: (n: string) => re.testExact(n) };
  });
  const whole = { text: value, plain: false, matches: (n: string) => regex?.testExact(n) === true };
  const checked = leaves.every((l) => l !== undefined) ? leaves : [whole];
  return { all: checked.length, missing: checked.filter((l) => !names.some((n) => l.matches(n))) };
}

/** Most alternatives a message names after the first: a long list says how many more. */
const MOST_SHOWN = 5;

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
    l.plain ? `no ${what} is named ${quoted(l.text)}` : `no ${what}'s name matches ${quoted(l.text)}`;
  const shown = rest.slice(0, MOST_SHOWN).map((l) => quoted(l.text));
  const more = rest.length > MOST_SHOWN ? ` and ${rest.length - MOST_SHOWN} more` : '';
  const also = rest.length > 0 ? ` (nor ${shown.join(', ')}${more})` : '';
  const misspelt = missing.find((l) => l.plain);
  return {
    label,
    why: `${unquoted}: ${says(first)}${also}`,
    unquoted,
    closest: misspelt ? didYouMean(misspelt.text, hints[label]) : '',
  };
}
