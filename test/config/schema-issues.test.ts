// Zod issues told as the operator reads them, on small schemas of their own.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Filled } from '../../src/config/env.js';
import { secret, secretUrl } from '../../src/config/primitives.js';
import { Quoting } from '../../src/config/quoting.js';
import { defaultMessages, describeIssues } from '../../src/config/schema-issues.js';

function told(schema: z.ZodType, data: unknown, filled: Filled[] = []) {
  const result = schema.safeParse(data, { error: defaultMessages });
  if (result.success) throw new Error('expected a failure');
  return describeIssues(result.error.issues, schema, data, new Quoting(schema, data, filled)).map((f) => ({
    path: f.path.join('.'),
    message: f.message,
    ...(f.atKey ? { at: f.at?.join('.') } : {}),
  }));
}

describe('describeIssues', () => {
  it('does not call a key missing when a refinement names a key left to its default', () => {
    const schema = z.strictObject({ every: z.number(), window: z.number().default(300) }).superRefine((v, ctx) => {
      if (v.window <= v.every) ctx.addIssue({ code: 'custom', path: ['window'], message: 'must be longer than every' });
    });
    expect(told(schema, { every: 600 })).toEqual([{ path: 'window', message: 'must be longer than every' }]);
  });

  it('names what a wrong type should be and what it got', () => {
    const schema = z.strictObject({
      n: z.number(),
      list: z.array(z.string()),
      flag: z.boolean(),
      map: z.record(z.string(), z.string()),
    });
    expect(told(schema, { n: 'x', list: 'a', flag: 'yes', map: [1] })).toEqual([
      { path: 'n', message: 'expected a number, not "x". Write a number such as 0.5' },
      {
        path: 'list',
        message: 'expected a list, not "a". Write a list: [a, b], or one "- item" per line below the key',
      },
      { path: 'flag', message: 'expected true or false, not "yes"' },
      { path: 'map', message: 'expected a map (key: value), not a list' },
    ]);
  });

  it('never quotes a secret or a value from the environment, and names each by what it is', () => {
    const schema = z.strictObject({
      token: secret,
      port: z.number().int().min(1).max(65535),
      top: z.number().max(100),
      db: secretUrl.refine((u) => u.reveal().startsWith('postgres:'), { message: 'must start with postgres://' }),
      hook: secretUrl,
    });
    const data = {
      token: 5,
      port: 'hunter2',
      top: 101,
      db: 'mysql://app:hunter2@db:5432/app?sslmode=require',
      hook: 'hunter2 is no url',
    };
    const filled = [
      { path: ['port'], vars: ['PORT'], source: '${PORT}' },
      { path: ['top'], vars: ['TOP', 'MAX'], source: '${TOP}${MAX}' },
    ];
    expect(told(schema, data, filled)).toEqual([
      { path: 'token', message: 'expected a string (usually ${ENV_VAR}), not a number' },
      {
        path: 'port',
        message: 'expected a number, not a string (filled in from ${PORT}). Write a whole number from 1 to 65535',
      },
      { path: 'top', message: 'the value filled in from ${TOP} and ${MAX} must be at most 100' },
      { path: 'db', message: '"mysql://app:xxxxx@db:5432/…" must start with postgres://' },
      {
        path: 'hook',
        message: 'the value (not shown: it may hold a secret) is not a URL. Write scheme://host:port/path',
      },
    ]);
  });

  it('shows a URL with its credentials replaced wherever it is quoted', () => {
    const schema = z.strictObject({ target: z.string().regex(/^https:/, { message: 'must start with https:' }) });
    expect(told(schema, { target: 'http://ops:hunter2@api:8000/x' })).toEqual([
      { path: 'target', message: '"http://ops:xxxxx@api:8000/x" must start with https:' },
    ]);
  });

  it('tells limits and allowed values', () => {
    const schema = z.strictObject({
      top: z.number().int().min(0).max(100),
      contacts: z.array(z.string()).min(1),
      mode: z.enum(['a', 'b']),
      n: z.number().int(),
    });
    expect(told(schema, { top: 101, contacts: [], mode: 'c', n: 1.5 })).toEqual([
      { path: 'top', message: '101 must be at most 100' },
      { path: 'contacts', message: 'needs at least 1 entry' },
      { path: 'mode', message: '"c" is not allowed. Use a or b' },
      { path: 'n', message: 'expected a whole number, not 1.5. Write a whole number such as 5' },
    ]);
  });

  it('merges the branches of a plain union into one expectation', () => {
    const schema = z.strictObject({
      to: z.union([z.enum(['P0', 'P1']), z.literal('none')]),
      runbook: z.union([z.string(), z.array(z.string())]),
    });
    expect(told(schema, { to: 'P9', runbook: 5 })).toEqual([
      { path: 'to', message: 'expected P0, P1 or none, not "P9"' },
      { path: 'runbook', message: 'expected a string or a list, not 5' },
    ]);
  });

  it('follows the union branch the value went furthest into', () => {
    const schema = z.strictObject({ logs: z.union([z.literal(false), z.strictObject({ keep: z.number() })]) });
    expect(told(schema, { logs: { keep: 'all' } })).toEqual([
      { path: 'logs.keep', message: 'expected a number, not "all". Write a number such as 0.5' },
    ]);
  });

  it('points at a bad record key', () => {
    const schema = z.strictObject({
      labels: z.record(z.string().regex(/^[a-z]+$/, { message: 'use a-z' }), z.string()),
    });
    expect(told(schema, { labels: { 'Bad-Key': 'x' } })).toEqual([
      { path: 'labels', message: 'key "Bad-Key": use a-z', at: 'labels.Bad-Key' },
    ]);
  });

  it('lists the allowed keys when no unknown key is close to one', () => {
    const schema = z.strictObject({ host: z.string().optional(), port: z.number().optional() });
    expect(told(schema, { banana: 1 })).toEqual([
      { path: '', message: 'unknown key "banana". Use host or port.', at: 'banana' },
    ]);
  });
});
