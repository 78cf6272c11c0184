// Label matchers, Prometheus' way: the shape; their written forms, the map (`{ route: "=~/api/.*", status: "!=200" }`)
// of the config and the API, the list (`[{ label, op, value }]`) of the API and the store, and the text amtool writes
// (`route=~"/api/.*"`) of the command line, queries and what is shown; and the one function every part of centinela
// matches labels with (rules, silences, inhibitions, windows, the metrics probe's series selection). A leaf: it
// imports only shared types, the regex compiler and excerpt.
import { z } from 'zod';
import { excerpt, quoted } from './excerpt.js';
import { compileRegex, type Regex } from './regex.js';
import { type Labels, labelValue } from './types.js';

/** How a label matcher compares: Prometheus' `=`, `!=`, `=~`, `!~`. */
export type MatchOp = '=' | '!=' | '=~' | '!~';
export interface Matcher {
  label: string;
  op: MatchOp;
  value: string;
  /** For =~ and !~: RE2, matched against the whole value (`testExact`), as Prometheus anchors it. */
  regex?: Regex;
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
        if (!m.regex?.testExact(v)) return false;
        break;
      case '!~':
        if (m.regex?.testExact(v)) return false;
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
      ctx.addIssue({ code: 'custom', input: v, message: protoRefused(what) });
    }
    return v;
  }, schema);
}

const protoRefused = (what: string) =>
  `"__proto__" is not ${what} centinela takes: JavaScript objects give that name a meaning of their own. Rename it`;

const matcherValue = z.string({ error: 'expected a string: value, !=value, =~regex or !~regex' });
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A matcher without its compiled regex: how the store keeps one and the API shows and takes one. */
export type MatcherFields = Pick<Matcher, 'label' | 'op' | 'value'>;

/**
 * Matchers as the store holds them: the list form; rows written before it hold the map form, read as they were read
 * then (a value `=~x` is a regex).
 */
export type StoredMatchers = readonly MatcherFields[] | Readonly<Record<string, string>> | NotJson;

/** A row's matchers that are not JSON at all (edited by hand, or damaged): its text. */
export interface NotJson {
  notJson: string;
}

/** A row's matchers as the store reads them: the JSON written, or its text when that is not JSON. */
export function storedJson(text: string): StoredMatchers {
  try {
    return JSON.parse(text);
  } catch {
    return { notJson: text };
  }
}

/**
 * The longest value a matcher takes, after its operator: 1024 characters, room for a list of some thirty alert names
 * (real silences and inhibitions name a few, well under 200 characters). Matchers are checked, compiled and run in the
 * event loop, where a 60 KB regex held the daemon for minutes; a regex's program is bounded besides
 * (REGEX_PROGRAM_MAX). Alertmanager sets no limit, but its matchers do not share a loop with the probes.
 */
export const MATCHER_VALUE_MAX = 1024;

/**
 * The matcher with its regex compiled (RE2, as Prometheus reads it; matched against the whole value), or what is
 * wrong with it: too long (the bound above), or no regex RE2 takes within its bounds (src/regex.ts). A label
 * "__proto__" is refused as in the map form, where it cannot be a key: a matcher on it would be dropped on its way.
 * Every form of matchers (config, API, CLI, store) is read through this.
 */
export function compiledMatcher({ label, op, value }: MatcherFields): Matcher | { problem: string } {
  if (label === '__proto__') return { problem: protoRefused('a label name') };
  if (value.length > MATCHER_VALUE_MAX) {
    return {
      problem: `is too long: its value has ${value.length} characters, and a matcher's (after its =~, != or !~) has at most ${MATCHER_VALUE_MAX}. Shorten it, or split it into several silences, windows or rules`,
    };
  }
  if (op === '=' || op === '!=') return { label, op, value };
  // Matched whole by testExact, never wrapped in an anchoring group: a `)` that closes nothing is RE2's to refuse.
  const regex = compileRegex(value);
  return 'problem' in regex ? regex : { label, op, value, regex };
}

/** compiledMatcher over `fields`; each problem is an issue at `path(i)`, where the form being read has it. */
function compiled(fields: readonly MatcherFields[], ctx: z.RefinementCtx, path: (i: number) => PropertyKey[]) {
  const out: Matcher[] = [];
  fields.forEach((f, i) => {
    const m = compiledMatcher(f);
    if ('problem' in m) ctx.addIssue({ code: 'custom', path: path(i), message: m.problem });
    else out.push(m);
  });
  return out;
}

/** One entry of the map form as a matcher's fields: a value's leading `=~`, `!~` or `!=` is its operator. */
function mapEntry(label: string, raw: string): MatcherFields {
  const op = (['=~', '!~', '!='] as const).find((p) => raw.startsWith(p)) ?? '=';
  return { label, op, value: op === '=' ? raw : raw.slice(op.length) };
}

/**
 * Label matchers as a map, `{ route: "=~/api/.*", status: "!=200", container: grupo_gad_api }`.
 * A plain value is equality; `!=`, `=~`, `!~` prefixes mean what they mean in PromQL, so a value to equal that starts
 * with one is written as a regex matching it alone (`shard: "=~=~x"`; `.`, `*`, `\` and the like escaped with `\`),
 * or, in the API, in the list form.
 */
export const matchers = withoutProto(
  'a label name',
  z.record(z.string().regex(LABEL_NAME), matcherValue).transform((map, ctx) => {
    const fields = Object.entries(map).map(([label, raw]) => mapEntry(label, raw));
    return compiled(fields, ctx, (i) => [fields[i]?.label ?? i]);
  }),
);

/**
 * Label matchers as a list, `[{ "label": "shard", "op": "=", "value": "=~x" }]`: the shape the API answers with, and
 * the form in which any value is just a value (the map form reads a leading `=~` as an operator). One per label, as
 * in the map form.
 */
export const matcherList = z
  .array(
    z.strictObject({
      label: z.string().regex(LABEL_NAME, { message: 'is not a label name: letters, digits and _, not first a digit' }),
      op: z.enum(['=', '!=', '=~', '!~'], { message: 'must be =, !=, =~ or !~' }),
      value: z.string(),
    }),
  )
  .transform((list, ctx) => {
    list.forEach((m, i) => {
      if (list.findIndex((n) => n.label === m.label) < i) {
        ctx.addIssue({
          code: 'custom',
          path: [i, 'label'],
          message: `repeats the label ${quoted(m.label)}: give one matcher per label`,
        });
      }
    });
    return compiled(list, ctx, (i) => [i]);
  });

/** Label matchers as the API takes them: the map form, or the list form (where a value may start with `=~`). */
export const eitherForm = z.unknown().transform((written, ctx): Matcher[] => {
  // Not a union: its refusal would say "Invalid input", where the form written gives each problem at its place.
  const parsed = (Array.isArray(written) ? matcherList : matchers).safeParse(written);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) ctx.addIssue(issue as Parameters<typeof ctx.addIssue>[0]);
  return z.NEVER;
});

/**
 * Parses matchers in either form, for matchers that arrive at run time or from the store. Returns the problems
 * instead of throwing.
 */
export function parseMatchers(written: unknown): { matchers: Matcher[] } | { problems: string[] } {
  const parsed = eitherForm.safeParse(written);
  if (parsed.success) return { matchers: parsed.data };
  return {
    problems: parsed.error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)),
  };
}

const MATCHER_TEXT = /^([a-zA-Z_][a-zA-Z0-9_]*)(=~|!~|!=|=)(.*)$/s;

/**
 * One matcher as a command line or a query string writes it, amtool's way (`alertname=ApiDown`, `route=~/api/.*`,
 * `status!=200`, or quoted: `b=""`, `route=~"/api/\d+"`, `shard="=~x"`, whose value is the text `=~x`), or what is
 * wrong with it.
 */
export function readMatcher(text: string): { matcher: MatcherFields } | { problem: string } {
  const m = MATCHER_TEXT.exec(text);
  if (!m) return { problem: 'is not a matcher: write label=value, label!=value, label=~regex or label!~regex' };
  const [, label = '', op = '=', written = ''] = m;
  const value = unquoted(written);
  if (value === undefined) {
    return {
      problem:
        'is not quoted right: a quote mark does not pair. Write the value whole in double quotes, a quote inside it as \\" (shard="a\\"b")',
    };
  }
  return { matcher: { label, op: op as MatchOp, value } };
}

/**
 * What a matcher's value shows as an escape, as Go's %q does: control and format characters (a bell, \r, ESC, a
 * right-to-left mark), line and paragraph separators, and a lone surrogate. Printed raw they ring, rewrite the line or
 * turn it around on a terminal, and hide in a page.
 */
const UNSEEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;
const ESCAPE = /^\\(?:(["\\n])|x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4}))/;
/** What matcherText writes otherwise than as it is. */
const SHOWN_OTHERWISE = new RegExp(`["\\\\]|${UNSEEN.source}`, 'gu');

/** The escape a quoted value has at `at` (a backslash), as readMatcher reads it: its length and what it stands for. */
function escapeAt(text: string, at: number): { length: number; char: string } | undefined {
  const m = ESCAPE.exec(text.slice(at, at + 6));
  if (!m) return undefined;
  const [all, c, x, u] = m;
  if (c) return { length: 2, char: c === 'n' ? '\n' : c };
  const char = String.fromCharCode(Number.parseInt(x ?? u ?? '', 16));
  // Only what matcherText escapes is read as an escape: a regex's \x2e stays a \x2e, not a dot.
  return UNSEEN.test(char) ? { length: all.length, char } : undefined;
}

/**
 * A matcher's value as amtool and PromQL write it: in double quotes, with `\"`, `\\` and `\n` escaped (`""` is the
 * empty value, which an absent label matches: without this, `b=""` matched a b of two quote marks), and a character
 * matcherText escapes written `\x07` or `\u200f`; or bare, as it is. Another backslash stays with what follows it, as
 * amtool leaves it, so a quoted regex's `\d` needs no doubling. Undefined when a quote mark does not pair, as amtool
 * refuses it: one opened and never closed (`"1`), one inside the quotes unescaped, or one in a bare value.
 */
export function unquoted(written: string): string | undefined {
  if (!written.includes('"')) return written;
  if (!/^"(?:[^"\\]|\\.)*"$/s.test(written)) return undefined;
  return written.slice(1, -1).replace(/\\(?:x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|.)/gs, (e) => escapeAt(e, 0)?.char ?? e);
}

/** `\x07` below U+0080, `\u200f` above: each UTF-16 unit of `c` (a character past U+FFFF is two). */
function hexEscaped(c: string): string {
  let out = '';
  for (let i = 0; i < c.length; i++) {
    const code = c.charCodeAt(i);
    out += code < 0x80 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  }
  return out;
}

/**
 * A matcher as amtool and PromQL write it, `shard="a\"b"`, its value quoted: a quote mark and a newline are escaped,
 * a character UNSEEN holds is written as its code (`\x07`, `\x1b`, `\u200f`), and a backslash is doubled where
 * readMatcher would read it with what follows, so that the text prints as it reads and reads back as the same
 * matcher (a regex's `\d` stays as written).
 */
export function matcherText(m: { label: string; op: string; value: string }): string {
  const v = m.value;
  const value = v.replace(SHOWN_OTHERWISE, (c: string, at: number) => {
    if (c === '"') return '\\"';
    if (c === '\n') return '\\n';
    if (c !== '\\') return hexEscaped(c);
    // Before an escape, at the end, or before what is written as an escape (which starts with a backslash).
    const next = v.codePointAt(at + 1);
    const doubled = escapeAt(v, at) || next === undefined || UNSEEN.test(String.fromCodePoint(next));
    return doubled ? '\\\\' : '\\';
  });
  return `${m.label}${m.op}"${value}"`;
}

/** Matchers as amtool and PromQL write a selector, `{alertname="ApiDown",shard=~"1|2"}`. */
export function selectorText(matchers: readonly { label: string; op: string; value: string }[]): string {
  return `{${matchers.map(matcherText).join(',')}}`;
}

/** A matcher's fields alone, as the store keeps them and the API shows them. */
export function matcherFields(matchers: readonly Matcher[]): MatcherFields[] {
  return matchers.map((m) => ({ label: m.label, op: m.op, value: m.value }));
}

/**
 * The map form of matchers read from the map form (the config's), to compare them by. Only the list form carries a
 * value to equal that starts with an operator; such a one is written as the regex that matches it alone, so the map
 * still reads back as matchers matching what these match.
 */
export function formatMatchers(matchers: readonly Matcher[]): Record<string, string> {
  return Object.fromEntries(
    matchers.map((m) => {
      if (m.op !== '=') return [m.label, `${m.op}${m.value}`];
      const ambiguous = ['=~', '!~', '!='].some((p) => m.value.startsWith(p));
      return [m.label, ambiguous ? `=~${m.value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}` : m.value];
    }),
  );
}

/** A stored row's matchers that no longer read: what is wrong, and the matchers as stored (values cut) to show. */
export interface Unreadable {
  problem: string;
  stored: { label: string; op: string; value: string }[];
}

/**
 * Matchers read back from the store, where they were written after being checked. A row that no longer reads (one
 * written by a version that took what this one refuses: a lookahead V8 ran, a value past a bound added since; or one
 * edited by hand into nonsense) gives a matcher that matches nothing, so that it can neither silence nor hold back
 * every alert, and `unreadable` says why, in words that quote no value.
 */
export function storedMatchers(stored: StoredMatchers): { matchers: Matcher[]; unreadable?: Unreadable } {
  const none: Matcher[] = [{ label: '__unreadable__', op: '=', value: '\0' }];
  if (!Array.isArray(stored) && typeof (stored as Partial<NotJson>).notJson === 'string') {
    const text = (stored as NotJson).notJson;
    return {
      matchers: none,
      unreadable: {
        problem: 'the row does not hold JSON (edited by hand, or damaged)',
        stored: [{ label: '', op: '', value: excerpt(text) }],
      },
    };
  }
  const parsed = parseMatchers(stored);
  if ('matchers' in parsed) return { matchers: parsed.matchers };
  return {
    matchers: none,
    unreadable: { problem: parsed.problems.join('; '), stored: storedFields(stored) },
  };
}

/** Whatever a row's matchers hold, as text fields to show, each value cut to an excerpt. */
function storedFields(stored: unknown): Unreadable['stored'] {
  const text = (v: unknown) => (typeof v === 'string' ? v : (JSON.stringify(v) ?? ''));
  const entries: unknown[] = Array.isArray(stored)
    ? stored
    : Object.entries(stored ?? {}).map(([label, raw]) =>
        typeof raw === 'string' ? mapEntry(label, raw) : { label, value: raw },
      );
  return entries.map((e) => {
    const f = (typeof e === 'object' && e !== null ? e : { value: e }) as Record<string, unknown>;
    return { label: text(f.label), op: typeof f.op === 'string' ? f.op : '=', value: excerpt(text(f.value)) };
  });
}
