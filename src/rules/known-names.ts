// What a silence or a maintenance window may name: the alert names and probes of the loaded configuration. A matcher
// on `alertname` or `probe` that no such name satisfies holds back nothing — `alertname=ApiDwn` looks like a silence
// and silences nothing — so it is refused with the closest name, unless the caller forces it (a rule still to come).
import { didYouMean } from '../did-you-mean.js';
import { type Matcher, matchesAll } from '../matchers.js';
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

/** How to go ahead anyway, said after every refusal of a name. */
const FORCE_HINT = 'To create it anyway, force it ("force": true in the API, --force on the centinela command line)';

/** AlertingError UNKNOWN_NAME, `<noun>: <each problem> <how to force it>`, when `matchers` name an unknown alert or probe. */
export function refuseUnknownNames(noun: string, matchers: readonly Matcher[], known: KnownNames): void {
  const problems = unknownNames(matchers, known);
  if (problems.length > 0) throw new AlertingError('UNKNOWN_NAME', `${noun}: ${problems.join(' ')} ${FORCE_HINT}`);
}

/**
 * One problem per matcher on `alertname` or `probe` (with `=` or `=~`) that names what no known name is, with the
 * closest name for a plain name, or the names there are when none is close.
 */
function unknownNames(matchers: readonly Matcher[], known: KnownNames): string[] {
  const names = { alertname: [...new Set(known.kinds.map((k) => k.alertname))], probe: [...known.probes] };
  return matchers.flatMap((m) => {
    const unknown = unknownName(m, names);
    if (!unknown) return [];
    const all = names[unknown.label];
    return [
      `${m.label}${m.op}"${m.value}" ${unknown.why}.${unknown.closest || ` Known: ${all.join(', ') || 'none'}.`}`,
    ];
  });
}

/** The labels whose values are names the configuration defines. */
export type NamedLabel = 'alertname' | 'probe';

/** A regex that only lists names (`ApiDown|PostgresDown`): no metacharacter but `|`, so each alternative is a name. */
const ALTERNATIVES = /^[^.*+?^${}()[\]\\|]+(\|[^.*+?^${}()[\]\\|]+)*$/;

/**
 * For a matcher on `alertname` or `probe` that names what none of `names` is: its label, why, after the matcher
 * (`matches no alert: no rule is named so`, `no rule is named "PostgresDwn"`), the same without any written name
 * (`unquoted`, for a value that must not be quoted) and the closest of `hints` to a name it gives (` Did you mean
 * "ApiDown"?`, or empty). A plain `=`, and a `=~` that lists names, are checked name by name; any other `=~` only
 * needs to match one of `names`. Undefined for any other matcher. The config check and the API's refusal share it.
 */
export function unknownName(
  m: Matcher,
  names: Readonly<Record<NamedLabel, readonly string[]>>,
  hints = names,
): { label: NamedLabel; why: string; unquoted: string; closest: string } | undefined {
  if ((m.label !== 'alertname' && m.label !== 'probe') || (m.op !== '=' && m.op !== '=~')) return undefined;
  const label = m.label;
  const what = label === 'alertname' ? 'rule' : 'probe';
  if (m.op === '=~' && ALTERNATIVES.test(m.value)) {
    const listed = [...new Set(m.value.split('|'))];
    const missing = listed.filter((name) => !names[label].includes(name));
    if (missing.length === 0) return undefined;
    const first = missing[0] as string;
    const also =
      missing.length > 1
        ? ` (nor ${missing
            .slice(1)
            .map((n) => JSON.stringify(n))
            .join(', ')})`
        : '';
    const unquoted = missing.length === listed.length ? 'matches no alert' : `lists a name no ${what} has`;
    return {
      label,
      why: `${unquoted}: no ${what} is named ${JSON.stringify(first)}${also}`,
      unquoted,
      closest: didYouMean(first, hints[label]),
    };
  }
  if (names[label].some((name) => matchesAll([m], { [label]: name }))) return undefined;
  const why =
    m.op === '=' ? `matches no alert: no ${what} is named so` : `matches no alert: no ${what}'s name matches it`;
  return { label, why, unquoted: why, closest: m.op === '=' ? didYouMean(m.value, hints[label]) : '' };
}
