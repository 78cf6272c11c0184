// Turns zod's issues into the operator's: what is wrong at which path, and what to write instead.
import { z } from 'zod';
import { didYouMean, type Finding, joinOr, type PathKey } from './errors.js';
import { secret, secretUrl } from './primitives.js';
import { PLANNED_KINDS } from './probes.js';

type Issue = z.core.$ZodIssue;

const PRIORITY_KEYS = ['P0', 'P1', 'P2', 'P3'];

/**
 * Messages for the issues whose schema gives none; pass it to `safeParse` as `error`. Values are not quoted
 * here: `describeIssues` adds them where it knows the value is not a secret.
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
 * One finding per zod issue (one per unknown key), with the message the operator reads. `filled` lists the
 * paths whose values came from the environment: like secrets, they are never quoted back.
 */
export function describeIssues(
  issues: readonly Issue[],
  root: z.ZodType,
  data: unknown,
  filled: readonly (readonly PathKey[])[] = [],
): Finding[] {
  const out: Finding[] = [];
  const unknownKeyAt = new Set(issues.filter((i) => i.code === 'unrecognized_keys').map((i) => pathId(i.path)));
  for (const issue of issues) {
    // A refinement over an object with unknown keys only repeats the problem ("needs at least one priority").
    if (issue.code === 'custom' && unknownKeyAt.has(pathId(issue.path))) continue;
    describe(issue, [], root, data, filled, out);
  }
  return out;
}

function describe(
  issue: Issue,
  prefix: readonly PathKey[],
  root: z.ZodType,
  data: unknown,
  filled: readonly (readonly PathKey[])[],
  out: Finding[],
): void {
  const path = [...prefix, ...(issue.path as PathKey[])];
  const value = valueAt(data, path);
  const parent = path.slice(0, -1);
  const last = path.at(-1);
  const quotable = !isSecret(root, path, data) && !filled.some((f) => startsWith(path, f));
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
    const kinds = options.map(String).filter((o) => !PLANNED_KINDS.has(o));
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
        const options = ('options' in issue ? (issue.options ?? []) : [])
          .map(String)
          .filter((o) => !PLANNED_KINDS.has(o));
        const shown = quotable ? show(value) : 'this value';
        const hint = typeof value === 'string' ? didYouMean(value, options) : '';
        out.push({ path, message: `${shown} is not a known ${issue.discriminator}.${hint} Use ${joinOr(options)}.` });
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
        const got = quotable ? show(value) : describeType(value);
        const message = allowed.length > 0 ? `expected ${joinOr([...new Set(allowed)])}, not ${got}` : issue.message;
        out.push({ path, message });
        return;
      }
      // The branch that got furthest into the value is the one the operator meant.
      const depth = (b: readonly Issue[]) => Math.max(...b.map((i) => i.path.length));
      const best = [...branches].sort((a, b) => depth(b) - depth(a) || a.length - b.length)[0] ?? [];
      for (const inner of best) describe(inner, path, root, data, filled, out);
      return;
    }
    case 'invalid_key': {
      const inner = issue.issues[0]?.message ?? 'is not allowed';
      out.push({ path: parent, message: `key "${String(last)}": ${inner}`, at: path, atKey: true });
      return;
    }
    case 'invalid_type':
      out.push({ path, message: insertGot(issue.message, quotable ? show(value) : describeType(value)) });
      return;
    default:
      out.push({
        path,
        message:
          quotable && /^(is|must) /.test(issue.message) && isPrimitive(value)
            ? `${show(value)} ${issue.message}`
            : issue.message,
      });
  }
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

function describeType(value: unknown): string {
  if (value === null || value === undefined) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'boolean') return String(value);
  return `a ${typeof value}`;
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return describeType(value);
}

function isPrimitive(value: unknown): boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

function valueAt(data: unknown, path: readonly PathKey[]): unknown {
  let v = data;
  for (const key of path) {
    if (v === null || typeof v !== 'object' || !Object.hasOwn(v, key)) return undefined;
    v = (v as Record<PathKey, unknown>)[key];
  }
  return v;
}

function startsWith(path: readonly PathKey[], prefix: readonly PathKey[]): boolean {
  return prefix.length <= path.length && prefix.every((k, i) => k === path[i]);
}

function pathId(path: readonly PropertyKey[]): string {
  return JSON.stringify(path.map(String));
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

/** Optional, default and nullable wrappers off; stops at pipes so `secret` keeps its identity. */
function unwrapOptional(s: z.ZodType): z.ZodType {
  let cur = s;
  while (cur instanceof z.ZodOptional || cur instanceof z.ZodDefault || cur instanceof z.ZodNullable) {
    cur = cur.unwrap() as z.ZodType;
  }
  return cur;
}

/** Down to the schema that checks the value's shape: wrappers and pipes off, the matching union branch chosen. */
function resolve(s: z.ZodType | undefined, value: unknown): z.ZodType | undefined {
  let cur = s;
  for (let guard = 0; cur && guard < 20; guard++) {
    cur = unwrapOptional(cur);
    if (cur instanceof z.ZodPipe) cur = cur.in as z.ZodType;
    else if (cur instanceof z.ZodUnion) cur = pickBranch(cur, value);
    else return cur;
  }
  return cur;
}

function pickBranch(union: z.ZodUnion, value: unknown): z.ZodType | undefined {
  const options = union.options as readonly z.ZodType[];
  const disc = union instanceof z.ZodDiscriminatedUnion ? union.def.discriminator : undefined;
  if (disc !== undefined) {
    const tag = valueAt(value, [disc]);
    return options.find((o) => discriminatorValues(o, disc).has(tag));
  }
  return options.find((o) => {
    const r = resolve(o, value);
    if (Array.isArray(value)) return r instanceof z.ZodArray;
    if (value !== null && typeof value === 'object') return r instanceof z.ZodObject || r instanceof z.ZodRecord;
    return false;
  });
}

function discriminatorValues(s: z.ZodType, key: string): Set<unknown> {
  const cur = unwrapOptional(s);
  if (cur instanceof z.ZodObject) {
    const field = cur.shape[key] as z.ZodType | undefined;
    const lit = field && unwrapOptional(field);
    return lit instanceof z.ZodLiteral ? new Set(lit.values) : new Set();
  }
  if (cur instanceof z.ZodUnion) {
    return new Set((cur.options as readonly z.ZodType[]).flatMap((o) => [...discriminatorValues(o, key)]));
  }
  return new Set();
}

/** The schema of the value at `path`, following the data through unions; undefined when the path leaves it. */
function schemaAt(root: z.ZodType, path: readonly PathKey[], data: unknown): z.ZodType | undefined {
  let s: z.ZodType | undefined = root;
  let value = data;
  for (const key of path) {
    const r = resolve(s, value);
    if (r instanceof z.ZodObject) s = r.shape[key] as z.ZodType | undefined;
    else if (r instanceof z.ZodArray) s = r.element as z.ZodType;
    else if (r instanceof z.ZodRecord) s = r.valueType as z.ZodType;
    else return undefined;
    value = valueAt(value, [key]);
  }
  return s;
}

/** The keys the object at `path` allows. */
function keysAt(root: z.ZodType, path: readonly PathKey[], data: unknown): string[] {
  const s = resolve(schemaAt(root, path, data), valueAt(data, path));
  return s instanceof z.ZodObject ? Object.keys(s.shape) : [];
}

/** True when the value at `path` is a Secret (a password, a token, a URL that may carry credentials). */
function isSecret(root: z.ZodType, path: readonly PathKey[], data: unknown): boolean {
  const s = schemaAt(root, path, data);
  const leaf = s && unwrapOptional(s);
  return leaf === secret || leaf === secretUrl;
}
