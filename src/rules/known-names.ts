// What a silence or a maintenance window may name: the alert names and probes of the loaded configuration. A matcher
// on `alertname` or `probe` that no such name satisfies holds back nothing — `alertname=ApiDwn` looks like a silence
// and silences nothing — so it is refused with the closest name, unless the caller forces it (a rule still to come).
import { didYouMean } from '../did-you-mean.js';
import { type Matcher, matchesAll } from '../matchers.js';
import { AlertingError } from './errors.js';
import type { AlertKind } from './silences.js';

/** The names a new silence or window is checked against. */
export interface KnownNames {
  /** The alerts that can exist: the rules and centinela's own (CannotMeasure, HealthNotBack). */
  kinds: readonly AlertKind[];
  /** The configured probes. */
  probes: ReadonlySet<string>;
}

/** How to go ahead anyway, said after every refusal of a name. */
const FORCE_HINT = 'To create it anyway, force it ("force": true in the API, --force on the command line)';

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
  const names = {
    alertname: { what: 'rule', all: [...new Set(known.kinds.map((k) => k.alertname))] },
    probe: { what: 'probe', all: [...known.probes] },
  };
  const problems: string[] = [];
  for (const m of matchers) {
    if ((m.label !== 'alertname' && m.label !== 'probe') || (m.op !== '=' && m.op !== '=~')) continue;
    const { what, all } = names[m.label];
    if (all.some((name) => matchesAll([m], { [m.label]: name }))) continue;
    const how = m.op === '=' ? `no ${what} is named so` : `no ${what}'s name matches it`;
    const closest = m.op === '=' ? didYouMean(m.value, all) : '';
    problems.push(
      `${m.label}${m.op}"${m.value}" matches no alert: ${how}.${closest || ` Known: ${all.join(', ') || 'none'}.`}`,
    );
  }
  return problems;
}
