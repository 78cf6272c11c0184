// Checks one configuration file against its schema: the whole file is checked for the messages; and when it fails, each list entry and map value is checked on its own, so the entries
// that are right still reach the cross-reference pass in the same run.
import { z } from 'zod';
import type { Finding, PathKey } from './errors.js';
import { name } from './primitives.js';
import type { Quoting } from './quoting.js';
import type { Names } from './references.js';
import { defaultMessages, describeIssues } from './schema-issues.js';
import { childSchema, resolve } from './schema-walk.js';

/** What the schema made of one file. */
export interface Validated {
  /** Every problem the schema found. */
  findings: Finding[];
  /**
   * The parsed file when it passed whole; else what survived (a list keeps a refused entry's place as undefined,
   * a map leaves it out, any other field refused is left out), or undefined when the file is not a map at all.
   */
  value: Record<string, unknown> | undefined;
  /** True when `value` is the whole file, parsed. */
  complete: boolean;
  /** The names each collection defines, refused entries included; a collection that is not one is left out. */
  names: Names;
}

/**
 * Checks `data` (the file's plain value, ${VAR} filled in) against `schema`. `collections` are the fields whose
 * entries are checked one by one when the file fails; `quoting` says which values the messages may quote.
 */
export function validateFile(
  schema: z.ZodType,
  collections: readonly string[],
  data: unknown,
  quoting: Quoting,
): Validated {
  const result = schema.safeParse(data, { error: defaultMessages });
  const names = namesIn(schema, collections, data);
  if (result.success) return { findings: [], value: result.data as Record<string, unknown>, complete: true, names };
  const findings = describeIssues(result.error.issues, schema, data, quoting);
  return { findings, value: salvage(schema, collections, data), complete: false, names };
}

/** The file with each field checked on its own, and each entry of a collection on its own. */
function salvage(
  schema: z.ZodType,
  collections: readonly string[],
  data: unknown,
): Record<string, unknown> | undefined {
  const file = resolve(schema, data);
  if (!isMap(data) || file === undefined) return undefined;
  const out: [string, unknown][] = [];
  for (const field of fieldsOf(file)) {
    const fieldSchema = childSchema(file, field);
    if (!fieldSchema) continue;
    const raw = Object.hasOwn(data, field) ? data[field] : undefined;
    const value = collections.includes(field) && raw !== undefined ? entries(fieldSchema, raw) : undefined;
    if (value !== undefined) out.push([field, value]);
    else {
      const whole = fieldSchema.safeParse(raw);
      if (whole.success) out.push([field, whole.data]);
    }
  }
  return Object.fromEntries(out);
}

/** A collection's entries that pass on their own: a list keeps each refused one's place as undefined. */
function entries(fieldSchema: z.ZodType, raw: unknown): unknown {
  const s = resolve(fieldSchema, raw);
  const parse = (k: PathKey, v: unknown) => {
    const entry = childSchema(s, k);
    if (!entry) return undefined;
    const r = entry.safeParse(v);
    return r.success ? r.data : undefined;
  };
  if (Array.isArray(raw)) return s instanceof z.ZodArray ? raw.map((v, i) => parse(i, v)) : undefined;
  if (!isMap(raw) || !(s instanceof z.ZodRecord || s instanceof z.ZodObject)) return undefined;
  const kept = Object.entries(raw).flatMap(([k, v]) => {
    const parsed = s instanceof z.ZodRecord && !(s.keyType as z.ZodType).safeParse(k).success ? undefined : parse(k, v);
    return parsed === undefined ? [] : [[k, parsed] as const];
  });
  return Object.fromEntries(kept);
}

/**
 * The names each collection defines as written, refused entries included: a list's entries by their `name`
 * (undefined where there is none, so indices hold), a map's keys the schema allows.
 */
function namesIn(schema: z.ZodType, collections: readonly string[], data: unknown): Names {
  const file = resolve(schema, data);
  const out: Names = {};
  if (!isMap(data)) return out;
  for (const field of collections) {
    const raw = Object.hasOwn(data, field) ? data[field] : undefined;
    const fieldSchema = childSchema(file, field);
    const s = resolve(fieldSchema, raw);
    if (raw === undefined) {
      // Left out, a collection is its default (none); a required one is missing, and so are its names.
      if (fieldSchema?.safeParse(undefined).success) out[field] = [];
    } else if (Array.isArray(raw) && s instanceof z.ZodArray) {
      out[field] = raw.map((e: unknown) =>
        isMap(e) && name.safeParse(e.name).success ? (e.name as string) : undefined,
      );
    } else if (isMap(raw) && s instanceof z.ZodRecord) {
      out[field] = Object.keys(raw).filter((k) => (s.keyType as z.ZodType).safeParse(k).success);
    } else if (isMap(raw) && s instanceof z.ZodObject) {
      out[field] = Object.keys(raw).filter((k) => childSchema(s, k) !== undefined);
    }
  }
  return out;
}

function fieldsOf(s: z.ZodType): string[] {
  return s instanceof z.ZodObject ? Object.keys(s.shape) : [];
}

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
