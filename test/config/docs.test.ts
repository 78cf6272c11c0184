// docs/configuration.md documents every key of the schema: a key added to src/config without a line here fails.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CONFIG_FILES } from '../../src/config/load.js';

const DOC = readFileSync('docs/configuration.md', 'utf8');

interface Key {
  /** The heading that documents the object the key belongs to (`kind: http`), or undefined for the file section. */
  context: string | undefined;
  key: string;
}

function unwrap(s: z.ZodType): z.ZodType {
  let cur = s;
  for (;;) {
    if (cur instanceof z.ZodOptional || cur instanceof z.ZodDefault || cur instanceof z.ZodNullable)
      cur = cur.unwrap() as z.ZodType;
    else if (cur instanceof z.ZodPipe) cur = cur.in as z.ZodType;
    else return cur;
  }
}

/** The discriminator value of a union option (`kind: http`), following nested discriminated unions down. */
function tag(option: z.ZodType, disc: string): string | undefined {
  const o = unwrap(option);
  if (o instanceof z.ZodObject) {
    const lit = unwrap(o.shape[disc] as z.ZodType);
    return lit instanceof z.ZodLiteral ? `${disc}: ${[...lit.values][0]}` : undefined;
  }
  return undefined;
}

function shapeKeys(s: z.ZodType): string[] {
  const o = unwrap(s);
  if (o instanceof z.ZodObject) return Object.keys(o.shape);
  if (o instanceof z.ZodUnion) {
    const all = (o.options as z.ZodType[]).map(shapeKeys);
    return all.reduce((a, b) => a.filter((k) => b.includes(k)));
  }
  return [];
}

/** Every key of the schema with the heading that must document it. Keys every union option shares belong above. */
function keys(schema: z.ZodType, context: string | undefined, skip: readonly string[], out: Key[]): Key[] {
  const s = unwrap(schema);
  if (s instanceof z.ZodObject) {
    for (const [key, value] of Object.entries(s.shape)) {
      if (skip.includes(key)) continue;
      out.push({ context, key });
      // A kind's own keys belong under its heading; what nests below them (tls options, expect) may be anywhere.
      keys(value as z.ZodType, undefined, [], out);
    }
  } else if (s instanceof z.ZodArray) keys(s.element as z.ZodType, context, skip, out);
  else if (s instanceof z.ZodRecord) keys(s.valueType as z.ZodType, context, skip, out);
  else if (s instanceof z.ZodUnion) {
    const options = s.options as z.ZodType[];
    const disc = s instanceof z.ZodDiscriminatedUnion ? s.def.discriminator : undefined;
    const shared = disc ? shapeKeys(s) : [];
    // Shared keys are documented once, with the object that holds the union (probes: name, every, cron...).
    for (const key of shared) if (!skip.includes(key)) out.push({ context, key });
    for (const option of options) {
      const inner = disc ? (tag(option, disc) ?? context) : context;
      keys(option, inner, disc ? [...shared, ...skip] : skip, out);
    }
  }
  return out;
}

/** The text from the heading holding `title` to the next heading of the same or a higher level. */
function section(text: string, title: string): string {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => /^#+ /.test(l) && l.includes(title));
  if (start === -1) return '';
  const level = (lines[start] as string).indexOf(' ');
  const end = lines.findIndex((l, i) => i > start && /^#+ /.test(l) && l.indexOf(' ') <= level);
  return lines.slice(start, end === -1 ? undefined : end).join('\n');
}

describe('docs/configuration.md', () => {
  for (const { name, schema } of Object.values(CONFIG_FILES)) {
    it(`documents every key of ${name} in its section`, () => {
      const file = section(DOC, `## ${name}`);
      expect(file, `no "## ${name}" section`).not.toBe('');
      const documents = (text: string, key: string) =>
        text.includes(`\`${key}\``) || new RegExp(`^#+ ${key}( |$)`, 'm').test(text);
      const missing = keys(schema, undefined, [], [])
        .filter(({ context, key }) => !documents(context ? section(file, `\`${context}\``) : file, key))
        .map(({ context, key }) => `${context ?? name}: ${key}`);
      expect([...new Set(missing)]).toEqual([]);
    });
  }

  it('documents each probe kind and each channel kind and format under its own heading', () => {
    for (const heading of ['kind: http', 'kind: metrics', 'kind: heartbeat', 'kind: email', 'format: pagerduty']) {
      expect(section(DOC, `\`${heading}\``), heading).not.toBe('');
    }
  });
});
