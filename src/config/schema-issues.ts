// Turns zod's issues into the operator's: what is wrong at which path, and what to write instead.
import { z } from 'zod';
import { didYouMean } from '../did-you-mean.js';
import { type Finding, joinOr, type PathKey } from './errors.js';
import type { Quoting } from './quoting.js';
import { keysAt, numberWords, resolve, schemaAt, valueAt } from './schema-walk.js';

type Issue = z.core.$ZodIssue;

const PRIORITY_KEYS = ['P0', 'P1', 'P2', 'P3'];

/**
 * Messages for the issues whose schema gives none; pass it to `safeParse` as `error`. Values are not quoted
 * here: `describeIssues` names them, quoting only what is not a secret and did not come from the environment.
 */
export const defaultMessages: z.core.$ZodErrorMap = (iss) => {
  switch (iss.code) {
    case 'invalid_type':
      return `expected ${typeWord(iss.expected)}`;
    case 'too_small':
      if (iss.origin === 'array') return `needs at least ${iss.minimum} ${iss.minimum === 1 ? 'entry' : 'entries'}`;
      if (iss.origin === 'string') return iss.minimum === 1 ? 'must not be empty' : `needs ${iss.minimum}+ characters`;
      return `must be ${iss.inclusive ? 'at least' : 'more than'} ${iss.minimum}`;
    case 'too_big':
      if (iss.origin === 'array') return `holds at most ${iss.maximum} entries`;
      if (iss.origin === 'string') return `must be at most ${iss.maximum} characters`;
      return `must be ${iss.inclusive ? 'at most' : 'less than'} ${iss.maximum}`;
    case 'invalid_value':
      return `is not allowed. Use ${joinOr(iss.values.map(String))}`;
    case 'invalid_format':
      return iss.pattern ? `must match ${iss.pattern}` : `is not a valid ${iss.format}`;
    case 'not_multiple_of':
      return `must be a multiple of ${iss.divisor}`;
    default:
      return undefined;
  }
};

/**
 * One finding per zod issue (one per unknown key), with the message the operator reads; `quoting` says which values
 * it may quote back (never a secret, nor a value from the environment, which is named by its variables).
 */
export function describeIssues(issues: readonly Issue[], root: z.ZodType, data: unknown, quoting: Quoting): Finding[] {
  const out: Finding[] = [];
  const unknownKeyAt = new Set(issues.filter((i) => i.code === 'unrecognized_keys').map((i) => pathId(i.path)));
  for (const issue of issues) {
    // A refinement over an object with unknown keys only repeats the problem ("needs at least one priority").
    if (issue.code === 'custom' && unknownKeyAt.has(pathId(issue.path))) continue;
    describe(issue, [], { root, data, quoting }, out);
  }
  return out;
}

interface Context {
  root: z.ZodType;
  data: unknown;
  quoting: Quoting;
}

function describe(issue: Issue, prefix: readonly PathKey[], ctx: Context, out: Finding[]): void {
  const { root, data, quoting } = ctx;
  const path = [...prefix, ...(issue.path as PathKey[])];
  const value = valueAt(data, path);
  const parent = path.slice(0, -1);
  const last = path.at(-1);
  const container = valueAt(data, parent);
  // Only these codes say "no value"; a refinement may name a key left to its default, which is not missing.
  const absentCodes = ['invalid_type', 'invalid_value', 'invalid_union'];
  if (
    absentCodes.includes(issue.code) &&
    typeof last === 'string' &&
    container !== null &&
    typeof container === 'object' &&
    !Array.isArray(container) &&
    !Object.hasOwn(container, last)
  ) {
    // A required key that is absent: say which, and what it takes when the schema's message tells.
    const options = issue.code === 'invalid_union' && 'options' in issue ? (issue.options ?? []) : [];
    const kinds = options.map(String);
    const hint = kinds.length > 0 ? ` Use ${joinOr(kinds)}.` : (/ (Use|Write) .*$/.exec(issue.message)?.[0] ?? '');
    out.push({ path: parent, message: `missing key "${last}".${hint}` });
    return;
  }
  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = keysAt(root, path, data);
      for (const key of issue.keys) {
        const fix = sameSet(allowed, PRIORITY_KEYS)
          ? ` Use ${joinOr(PRIORITY_KEYS)}.`
          : didYouMean(key, allowed) || (allowed.length > 0 ? ` Use ${joinOr(allowed)}.` : '');
        out.push({ path, message: `unknown key "${key}".${fix}`, at: [...path, key], atKey: true });
      }
      return;
    }
    case 'invalid_union': {
      if (issue.discriminator !== undefined) {
        // An optional discriminator (state's kind) lists undefined among its options: it is no value to write.
        const options = ('options' in issue ? (issue.options ?? []) : []).filter((o) => o != null).map(String);
        const hint = typeof value === 'string' && quoting.quotable(path) ? didYouMean(value, options) : '';
        out.push({
          path,
          message: `${quoting.subject(value, path)} is not a known ${issue.discriminator}.${hint} Use ${joinOr(options)}.`,
        });
        return;
      }
      const branches = issue.errors;
      const atRoot = branches.every((b) => b.every((i) => i.path.length === 0));
      if (atRoot) {
        const allowed = branches.flat().flatMap((i) => {
          if (i.code === 'invalid_value') return i.values.map(String);
          if (i.code === 'invalid_type') return [typeWord(i.expected)];
          return [];
        });
        const message =
          allowed.length > 0
            ? `expected ${joinOr([...new Set(allowed)])}, not ${quoting.got(value, path)}`
            : issue.message;
        out.push({ path, message });
        return;
      }
      // The branch that got furthest into the value is the one the operator meant.
      const depth = (b: readonly Issue[]) => b.reduce((d, i) => Math.max(d, i.path.length), -Infinity);
      const best = [...branches].sort((a, b) => depth(b) - depth(a) || a.length - b.length)[0] ?? [];
      for (const inner of best) describe(inner, path, ctx, out);
      return;
    }
    case 'invalid_key': {
      const inner = issue.issues[0]?.message ?? 'is not allowed';
      out.push({ path: parent, message: `key "${String(last)}": ${inner}`, at: path, atKey: true });
      return;
    }
    case 'invalid_type': {
      const message = insertGot(issue.message, quoting.got(value, path));
      const hint = issue.message.includes('. ') ? undefined : writeHint(issue.expected, path, ctx);
      out.push({ path, message: hint ? `${message}. ${hint}` : message });
      return;
    }
    default:
      out.push({
        path,
        message:
          /^(is|must) /.test(issue.message) && isPrimitive(value)
            ? `${quoting.subject(value, path)} ${issue.message}`
            : issue.message,
      });
  }
}

/** What to write when the schema's own message does not say. */
function writeHint(expected: string, path: readonly PathKey[], ctx: Context): string | undefined {
  const s = resolve(schemaAt(ctx.root, path, ctx.data), undefined);
  if (s instanceof z.ZodNumber) return `Write ${numberWords(s)}`;
  if (expected === 'array') return 'Write a list: [a, b], or one "- item" per line below the key';
  return undefined;
}

/** `expected a duration. Write …` + got → `expected a duration, not 5. Write …`. */
function insertGot(message: string, got: string): string {
  const stop = message.indexOf('. ');
  return stop === -1 ? `${message}, not ${got}` : `${message.slice(0, stop)}, not ${got}${message.slice(stop)}`;
}

function typeWord(expected: string): string {
  const words: Record<string, string> = {
    string: 'a string',
    number: 'a number',
    int: 'a whole number',
    boolean: 'true or false',
    object: 'a map (key: value)',
    record: 'a map (key: value)',
    array: 'a list',
    null: 'an empty value',
  };
  return words[expected] ?? expected;
}

function isPrimitive(value: unknown): boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

function pathId(path: readonly PropertyKey[]): string {
  return JSON.stringify(path.map(String));
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}
