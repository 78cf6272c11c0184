// Whatever is wrong with a secret (a password, a token, a URL that may carry credentials), no message quotes it:
// every key the schemas mark as a secret is found by walking them, and each is fed bad values.
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../../src/config/errors.js';
import { CONFIG_FILES, parseConfig } from '../../src/config/load.js';
import { secrets } from '../../src/config/primitives.js';
import type { FileKey } from '../../src/config/references.js';
import { unwrapOptional } from '../../src/config/schema-walk.js';
import { VALID } from '../support/config-fixtures.js';

interface SecretKey {
  file: FileKey;
  /** Where it is, with the kind/format that leads there: `probes[].url (kind: postgres)`. */
  where: string;
  /** The smallest file that puts `value` at this key. */
  build: (value: unknown) => unknown;
}

/** Every secret key under `schema`; `build` wraps a value into the document that leads to `schema`. */
function secretKeys(
  file: FileKey,
  schema: z.ZodType,
  where: string,
  build: (v: unknown) => unknown,
  out: SecretKey[],
): SecretKey[] {
  const s = unwrapOptional(schema);
  if (secrets.get(s)) {
    out.push({ file, where, build });
  } else if (s instanceof z.ZodPipe) {
    secretKeys(file, s.in as z.ZodType, where, build, out);
  } else if (s instanceof z.ZodObject) {
    for (const [key, child] of Object.entries(s.shape)) {
      secretKeys(file, child as z.ZodType, `${where}.${key}`, (v) => build({ [key]: v }), out);
    }
  } else if (s instanceof z.ZodArray) {
    secretKeys(file, s.element as z.ZodType, `${where}[]`, (v) => build([v]), out);
  } else if (s instanceof z.ZodRecord) {
    secretKeys(file, s.valueType as z.ZodType, `${where}.x`, (v) => build({ x: v }), out);
  } else if (s instanceof z.ZodUnion) {
    const disc = s instanceof z.ZodDiscriminatedUnion ? s.def.discriminator : undefined;
    for (const option of s.options as z.ZodType[]) {
      const tag = disc === undefined ? undefined : tagOf(option, disc);
      const wrap = (v: unknown) => build(tag === undefined ? v : { [disc as string]: tag, ...(v as object) });
      secretKeys(file, option, tag === undefined ? where : `${where} (${disc}: ${tag})`, wrap, out);
    }
  }
  return out;
}

/** The discriminator value that selects `option`, looking through nested unions (a webhook's formats). */
function tagOf(option: z.ZodType, disc: string): unknown {
  const o = unwrapOptional(option);
  if (o instanceof z.ZodObject) {
    const lit = unwrapOptional(o.shape[disc] as z.ZodType);
    return lit instanceof z.ZodLiteral ? [...lit.values][0] : undefined;
  }
  if (o instanceof z.ZodUnion) return tagOf((o.options as z.ZodType[])[0] as z.ZodType, disc);
  return undefined;
}

const KEYS = (Object.keys(CONFIG_FILES) as FileKey[]).flatMap((file) =>
  secretKeys(file, CONFIG_FILES[file].schema, file, (v) => v, []),
);

const BAD = [
  'mysql://ops:hunter2@db:5432/app',
  'https://hooks.example.org/services/T0/B0/hunter2',
  'https://hunter2@hooks.example.org/x?token=hunter2',
  'http//ops:hunter2@api:8000',
  'hunter2',
  'hunter2 with spaces: and a colon',
];

function messageFor(file: FileKey, text: string, env: Record<string, string> = {}): string {
  try {
    parseConfig('c', { ...VALID, [file]: text }, env);
    return '';
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).message;
  }
}

describe('secrets in messages', () => {
  it('finds every secret key of the three files, through unions and refinements', () => {
    const where = KEYS.map((k) => k.where);
    expect(where).toEqual(
      expect.arrayContaining([
        'alerts.probes[] (kind: http).url',
        'alerts.probes[] (kind: http).headers.x',
        'alerts.probes[] (kind: postgres).url',
        'alerts.probes[] (kind: redis).url',
        'alerts.probes[] (kind: redis).password',
        'escalation.channels.x (kind: email).smtp.password',
        'escalation.channels.x (kind: webhook) (format: generic).url',
        'escalation.channels.x (kind: webhook) (format: generic).signing_secret',
        'escalation.channels.x (kind: webhook) (format: pagerduty).routing_key',
        'escalation.channels.x (kind: webhook) (format: telegram).bot_token',
        'escalation.ack.link_secret',
        'centinela.server.write_token',
        'centinela.server.read_token',
        'centinela.heartbeat.url',
      ]),
    );
  });

  it.each(KEYS.map((k) => [k.where, k] as const))('%s: a bad value never shows', (_, key) => {
    for (const bad of BAD) {
      const message = messageFor(key.file, stringify(key.build(bad)));
      expect(message).not.toContain('hunter2');
      const fromEnv = messageFor(key.file, stringify(key.build('${LEAK}')), { LEAK: bad });
      expect(fromEnv).not.toContain('hunter2');
    }
  });

  it('still says what is wrong with it and what to write', () => {
    const alerts = stringify({ probes: [{ name: 'db', kind: 'postgres', every: '30s', url: BAD[0] }] });
    expect(messageFor('alerts', alerts)).toBe(
      'c/alerts.yaml:5:10  probes[0].url: "mysql://ops:xxxxx@db:5432/…" must start with postgres:// or postgresql://. ' +
        'Write e.g. postgres://user:${PASSWORD}@db:5432/app.\n1 problem in 1 file; nothing was started.',
    );
  });
});
