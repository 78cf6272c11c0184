// Finding the schema of a value by its path through a file, following the data through unions: what keys an
// object allows, whether a value is a secret, what a list entry or map value must be on its own, and what a number
// key takes, in words.
import { z } from 'zod';
import type { PathKey } from './errors.js';
import { secrets } from './primitives.js';

/** Optional, default and nullable wrappers off; pipes stay, so a marked schema keeps its identity. */
export function unwrapOptional(s: z.ZodType): z.ZodType {
  let cur = s;
  while (cur instanceof z.ZodOptional || cur instanceof z.ZodDefault || cur instanceof z.ZodNullable) {
    cur = cur.unwrap() as z.ZodType;
  }
  return cur;
}

/** Down to the schema that checks the value's shape: wrappers and pipes off, the matching union branch chosen. */
export function resolve(s: z.ZodType | undefined, value: unknown): z.ZodType | undefined {
  let cur = s;
  for (let guard = 0; cur && guard < 20; guard++) {
    cur = unwrapOptional(cur);
    if (cur instanceof z.ZodPipe) cur = cur.in as z.ZodType;
    else if (cur instanceof z.ZodUnion) cur = pickBranch(cur, value);
    else return cur;
  }
  return cur;
}

/** The schema of the value at `path`, following the data through unions; undefined when the path leaves it. */
export function schemaAt(root: z.ZodType, path: readonly PathKey[], data: unknown): z.ZodType | undefined {
  let s: z.ZodType | undefined = root;
  let value = data;
  for (const key of path) {
    s = childSchema(resolve(s, value), key);
    value = valueAt(value, [key]);
  }
  return s;
}

/** The schema of `key` inside a value checked by `s` (an object's field, a list's entry, a map's value). */
export function childSchema(s: z.ZodType | undefined, key: PathKey): z.ZodType | undefined {
  if (s instanceof z.ZodObject) return Object.hasOwn(s.shape, key) ? (s.shape[key] as z.ZodType) : undefined;
  if (s instanceof z.ZodArray) return s.element as z.ZodType;
  if (s instanceof z.ZodRecord) return s.valueType as z.ZodType;
  return undefined;
}

/** The keys the object at `path` allows. */
export function keysAt(root: z.ZodType, path: readonly PathKey[], data: unknown): string[] {
  const s = resolve(schemaAt(root, path, data), valueAt(data, path));
  return s instanceof z.ZodObject ? Object.keys(s.shape) : [];
}

/**
 * True when the value at `path` is a secret (a password, a token, a URL that may carry credentials): its schema is
 * one registered in `secrets`, or derived from one (a refinement keeps the mark through zod's parent link).
 */
export function isSecretAt(root: z.ZodType, path: readonly PathKey[], data: unknown): boolean {
  const s = schemaAt(root, path, data);
  return s !== undefined && secrets.get(unwrapOptional(s)) !== undefined;
}

/** The value at `path` in plain data, or undefined when the path leaves it. */
export function valueAt(data: unknown, path: readonly PathKey[]): unknown {
  let v = data;
  for (const key of path) {
    if (v === null || typeof v !== 'object' || !Object.hasOwn(v, key)) return undefined;
    v = (v as Record<PathKey, unknown>)[key];
  }
  return v;
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

/** `a whole number from 1 to 65535`, `a whole number such as 5`, `a number such as 0.5`: what a number key takes. */
export function numberWords(schema: z.ZodNumber): string {
  const what = schema.isInt ? 'a whole number' : 'a number';
  const { minValue: min, maxValue: max } = schema;
  const small = (n: number | null): n is number => n !== null && Math.abs(n) < 1e15;
  if (small(min) && small(max)) return `${what} from ${min} to ${max}`;
  return `${what} such as ${schema.isInt ? 5 : 0.5}`;
}
