// Label matchers that arrive at run time (silences, windows from the API) and their written form; matching itself
// is `matchesAll` beside the Matcher type in config/primitives.ts.
import { type Matcher, matchers as matcherSchema } from '../config/primitives.js';

/**
 * Parses matchers written as the configuration writes them (`{ route: "=~/api/.*", status: "!=200" }`), for
 * matchers that arrive at run time (silences from the API). Returns the problems instead of throwing.
 */
export function parseMatchers(map: unknown): { matchers: Matcher[] } | { problems: string[] } {
  const parsed = matcherSchema.safeParse(map);
  if (parsed.success) return { matchers: parsed.data };
  return {
    problems: parsed.error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)),
  };
}

/** The written form of matchers again (`=~regex`, `!=value`, plain value), for storing and showing them. */
export function formatMatchers(matchers: readonly Matcher[]): Record<string, string> {
  return Object.fromEntries(matchers.map((m) => [m.label, m.op === '=' ? m.value : `${m.op}${m.value}`]));
}

/**
 * Matchers read back from the store, where they were written after being checked. A row edited by hand into
 * nonsense yields a matcher that matches nothing, so it can neither silence nor hold back every alert.
 */
export function storedMatchers(map: Record<string, string>): Matcher[] {
  const parsed = parseMatchers(map);
  return 'matchers' in parsed ? parsed.matchers : [{ label: '__unreadable__', op: '=', value: '\0' }];
}
