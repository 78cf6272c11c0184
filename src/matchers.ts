// Label matchers, Prometheus' way: the shape, their written form (`{ route: "=~/api/.*", status: "!=200" }`) in the
// config, the API and the store, and the one function every part of centinela matches labels with (rules, silences,
// inhibitions, windows, the metrics probe's series selection). A leaf: it imports only shared types.
import { z } from 'zod';
import { type Labels, labelValue } from './types.js';

/** How a label matcher compares: Prometheus' `=`, `!=`, `=~`, `!~`. */
export type MatchOp = '=' | '!=' | '=~' | '!~';
export interface Matcher {
  label: string;
  op: MatchOp;
  value: string;
  /** For =~ and !~: anchored like Prometheus (the whole value must match). */
  regex?: RegExp;
}

/**
 * True when every matcher holds for `labels`, with PromQL's semantics: a missing label matches as the empty string,
 * and regexes are anchored (`matchers` below compiles them so). Rules, silences, inhibitions, windows and the metrics
 * probe's series selection all match through this.
 */
export function matchesAll(matchers: readonly Matcher[], labels: Labels): boolean {
  for (const m of matchers) {
    const v = labelValue(labels, m.label);
    switch (m.op) {
      case '=':
        if (v !== m.value) return false;
        break;
      case '!=':
        if (v === m.value) return false;
        break;
      case '=~':
        if (!m.regex?.test(v)) return false;
        break;
      case '!~':
        if (m.regex?.test(v)) return false;
        break;
    }
  }
  return true;
}

/**
 * `schema` over a map keyed by names from outside, refusing a key "__proto__": JSON.parse, YAML and computed keys
 * keep it as a key like any other, and a zod record would leave it out without a word (a matcher so dropped would
 * widen what it selects).
 */
export function withoutProto<T extends z.ZodType>(what: string, schema: T) {
  // Typed by the schema's input, so that a pipe into it type-checks as into the schema itself.
  return z.preprocess((v: z.input<T>, ctx) => {
    if (typeof v === 'object' && v !== null && Object.hasOwn(v, '__proto__')) {
      ctx.addIssue({
        code: 'custom',
        input: v,
        message: `"__proto__" is not ${what} centinela takes: JavaScript objects give that name a meaning of their own. Rename it`,
      });
    }
    return v;
  }, schema);
}

const matcherValue = z.string({ error: 'expected a string: value, !=value, =~regex or !~regex' });

/**
 * Label matchers as a map, `{ route: "=~/api/.*", status: "!=200", container: grupo_gad_api }`.
 * A plain value is equality; `!=`, `=~`, `!~` prefixes mean what they mean in PromQL.
 */
export const matchers = withoutProto(
  'a label name',
  z.record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/), matcherValue).transform((map, ctx) => {
    const out: Matcher[] = [];
    for (const [label, raw] of Object.entries(map)) {
      const op = (['=~', '!~', '!='] as const).find((p) => raw.startsWith(p)) ?? '=';
      const value = op === '=' ? raw : raw.slice(op.length);
      if (op === '=~' || op === '!~') {
        try {
          out.push({ label, op, value, regex: new RegExp(`^(?:${value})$`) });
        } catch (err) {
          // V8 writes the pattern into its message; only the reason after it is kept, so no value is quoted.
          const reason = (err as Error).message.split(': ').at(-1);
          ctx.addIssue({ code: 'custom', path: [label], message: `is not a regular expression (${reason})` });
        }
      } else {
        out.push({ label, op, value });
      }
    }
    return out;
  }),
);

/**
 * Parses matchers written as the configuration writes them (`{ route: "=~/api/.*", status: "!=200" }`), for
 * matchers that arrive at run time (silences from the API). Returns the problems instead of throwing.
 */
export function parseMatchers(map: unknown): { matchers: Matcher[] } | { problems: string[] } {
  const parsed = matchers.safeParse(map);
  if (parsed.success) return { matchers: parsed.data };
  return {
    problems: parsed.error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)),
  };
}

const MATCHER_TEXT = /^([a-zA-Z_][a-zA-Z0-9_]*)(=~|!~|!=|=)(.*)$/s;

/**
 * One matcher as a command line or a query string writes it, amtool's way (`alertname=ApiDown`, `route=~/api/.*`,
 * `status!=200`, or quoted: `b=""`, `route=~"/api/\d+"`), as an entry of the map form (`["route", "=~/api/.*"]`);
 * undefined when the text is no matcher.
 */
export function matcherEntry(text: string): [label: string, value: string] | undefined {
  const m = MATCHER_TEXT.exec(text);
  if (!m) return undefined;
  const [, label = '', op = '=', written = ''] = m;
  const value = unquoted(written);
  return [label, op === '=' ? value : `${op}${value}`];
}

/**
 * A matcher's value as amtool and PromQL write it: in double quotes, with `\"`, `\\` and `\n` escaped (`""` is the
 * empty value, which an absent label matches: without this, `b=""` matched a b of two quote marks), or bare, as it
 * is. Another backslash stays with what follows it, as amtool leaves it, so a quoted regex's `\d` needs no doubling. A
 * value that does not both open and close with an unescaped quote is bare.
 */
export function unquoted(written: string): string {
  const closed = /^"(?:[^"\\]|\\.)*"$/s.test(written);
  return closed ? written.slice(1, -1).replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c)) : written;
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
