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
 * An alert a source may send that the config does not name, known before it is first sent: any alert name but
 * `except` (the config's alert names, which are AlertKinds), any labels, at the priorities the source can map to.
 */
export interface SourceAnyKind {
  source: string;
  except: ReadonlySet<string>;
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
 * One problem per matcher on `alertname` or `probe` (with `=` or `=~`) that no known name satisfies, with the closest
 * name for a plain `=`, or the names there are when none is close.
 */
function unknownNames(matchers: readonly Matcher[], known: KnownNames): string[] {
  const names = { alertname: [...new Set(known.kinds.map((k) => k.alertname))], probe: [...known.probes] };
  return matchers.flatMap((m) => {
    const unknown = unknownName(m, names);
    if (!unknown) return [];
    const all = names[unknown.label];
    return [
      `${m.label}${m.op}"${m.value}" matches no alert: ${unknown.why}.${unknown.closest || ` Known: ${all.join(', ') || 'none'}.`}`,
    ];
  });
}

/** The labels whose values are names the configuration defines. */
export type NamedLabel = 'alertname' | 'probe';

/**
 * For a matcher on `alertname` or `probe` with `=` or `=~` that none of `names` satisfies: its label, why (`no rule is named so`,
 * `no probe's name matches it`) and, for a plain `=`, the closest of `hints` (` Did you mean "ApiDown"?`, or empty).
 * Undefined for any other matcher. The config check and the API's refusal share it.
 */
export function unknownName(
  m: Matcher,
  names: Readonly<Record<NamedLabel, readonly string[]>>,
  hints = names,
): { label: NamedLabel; why: string; closest: string } | undefined {
  if ((m.label !== 'alertname' && m.label !== 'probe') || (m.op !== '=' && m.op !== '=~')) return undefined;
  const label = m.label;
  if (names[label].some((name) => matchesAll([m], { [label]: name }))) return undefined;
  const what = label === 'alertname' ? 'rule' : 'probe';
  return m.op === '='
    ? { label, why: `no ${what} is named so`, closest: didYouMean(m.value, hints[label]) }
    : { label, why: `no ${what}'s name matches it`, closest: '' };
}
