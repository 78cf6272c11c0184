// No message quotes a value that came from the environment, whatever its type. Every key of the three files, found
// by walking the schemas through every kind and format, is filled from ${LEAK} in turn in a configuration that uses
// them all (test/fixtures/config/every-key), with markers of each type; the loader's messages never hold a marker,
// and every problem the value causes names the variable instead. (secret-messages.test.ts: secrets in the file.)
// Probes and channels too: each place a probe or channel reaches (a URL, a host, a path, a bucket, a container) is
// filled from ${LEAK} with a marked value it cannot reach, the probe is run once (a page is sent on the channel), and
// its reason, detail and "cannot measure" never hold it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { z } from 'zod';
import { systemClock } from '../../src/clock.js';
import { ConfigError, isUnder, type PathKey } from '../../src/config/errors.js';
import { CONFIG_FILES, parseConfig } from '../../src/config/load.js';
import type { FileKey } from '../../src/config/references.js';
import { resolve, unwrapOptional, valueAt } from '../../src/config/schema-walk.js';
import { deliver } from '../../src/notifiers/index.js';
import { recipient } from '../../src/notifiers/notifier.js';
import { checkProbes } from '../../src/probes/guarded-run.js';
import { page } from '../support/notifier-conformance.js';
import { type SmtpAnswer, type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';

const FILES = Object.keys(CONFIG_FILES) as FileKey[];
const BASE = Object.fromEntries(
  FILES.map((f) => [f, parse(readFileSync(join('test/fixtures/config/every-key', `${f}.yaml`), 'utf8'))]),
) as Record<FileKey, unknown>;

const probes = (BASE.alerts as { probes: unknown[] }).probes;
/** What the base leaves out (a heartbeat probe, centinela's own heartbeat, a PostgreSQL state) added, for their keys. */
const PLANNED: { file: FileKey; under: PathKey[]; data: unknown }[] = [
  {
    file: 'alerts',
    under: ['probes', probes.length],
    data: {
      ...(BASE.alerts as object),
      probes: [
        ...probes,
        { name: 'nightly', kind: 'heartbeat', expect_every: '1d', grace: '1h', secret: 'abcdefghijklmnopqrstuvwx' },
      ],
    },
  },
  {
    file: 'centinela',
    under: ['heartbeat'],
    data: { ...(BASE.centinela as object), heartbeat: { url: 'https://hc-ping.com/x', every: '1m' } },
  },
  {
    file: 'centinela',
    under: ['state'],
    data: {
      ...(BASE.centinela as object),
      state: {
        kind: 'postgres',
        url: 'postgres://centinela@db:5432/centinela',
        pool: { max_connections: 4, connect_timeout: '5s', idle_timeout: '30s' },
        lease: '10s',
        unreachable_hold: '1m',
        history: { runs: 90, step: '1m', keep: '24h' },
      },
    },
  },
];

/** A name; a bad regex, template and name at once; a number; a negative whole number; a long duration. */
const MARKERS = ['hunter2-S3cr3t', '=~[hunter2 S3cr3t: {{ x }}', '31337.25', '-31337', '31337d'];
const MARKED = /hunter2|31337/;

/** The schema that checks a value's shape: wrappers and transforms off, a preprocess's target kept. */
function inner(schema: z.ZodType): z.ZodType {
  let s = unwrapOptional(schema);
  while (s instanceof z.ZodPipe) s = unwrapOptional((s.in instanceof z.ZodTransform ? s.out : s.in) as z.ZodType);
  return s;
}

/** The keys of an object, or those every option of a union has with the very same schema (`name`, `every`…). */
function keysOf(schema: z.ZodType): Map<string, z.ZodType> {
  const s = inner(schema);
  if (s instanceof z.ZodObject) return new Map(Object.entries(s.shape as Record<string, z.ZodType>));
  if (!(s instanceof z.ZodUnion)) return new Map();
  const [first, ...rest] = (s.options as z.ZodType[]).map(keysOf);
  return new Map([...(first ?? [])].filter(([k, v]) => rest.every((o) => o.get(k) === v)));
}

function discriminated(
  s: z.ZodType,
): { disc: string; options: z.ZodType[]; tag: (o: z.ZodType) => unknown } | undefined {
  if (!(s instanceof z.ZodDiscriminatedUnion)) return undefined;
  const disc = s.def.discriminator;
  const tag = (o: z.ZodType): unknown => {
    const lit = keysOf(o).get(disc) ?? keysOf((inner(o) as z.ZodUnion).options?.[0] as z.ZodType).get(disc);
    return [...((lit && inner(lit)) as z.ZodLiteral).values][0];
  };
  return { disc, options: s.options as z.ZodType[], tag };
}

/** Every leaf key under `schema`, named like `alerts.probes[] (kind: http).url`; shared keys once, without a tag. */
function leaves(
  schema: z.ZodType,
  where: string,
  out: Set<string>,
  skip: ReadonlySet<string> = new Set(),
): Set<string> {
  const s = inner(schema);
  const union = discriminated(s);
  if (union) {
    const shared = keysOf(s);
    for (const [k, child] of shared) if (!skip.has(k)) leaves(child, `${where}.${k}`, out);
    for (const o of union.options) leaves(o, `${where} (${union.disc}: ${union.tag(o)})`, out, new Set(shared.keys()));
  } else if (s instanceof z.ZodUnion) {
    for (const o of s.options as z.ZodType[]) leaves(o, where, out, skip);
  } else if (s instanceof z.ZodObject) {
    for (const [k, child] of keysOf(s)) if (!skip.has(k)) leaves(child, `${where}.${k}`, out);
  } else if (s instanceof z.ZodArray) leaves(s.element as z.ZodType, `${where}[]`, out);
  else if (s instanceof z.ZodRecord) leaves(s.valueType as z.ZodType, `${where}.*`, out);
  else out.add(where);
  return out;
}

/** The leaf name (as `leaves` gives it) of the value at `path` in `value`, checked by `schema`. */
function leafAt(schema: z.ZodType, where: string, path: readonly PathKey[], value: unknown): string {
  const s = inner(schema);
  const [key, ...rest] = path;
  if (key === undefined) return where;
  const at = (v: unknown, k: PathKey) => (v as Record<PathKey, unknown>)[k];
  const union = discriminated(s);
  if (union) {
    const shared = keysOf(s).get(String(key));
    if (shared) return leafAt(shared, `${where}.${key}`, rest, at(value, key));
    const option = union.options.find((o) => union.tag(o) === at(value, union.disc)) as z.ZodType;
    return leafAt(option, `${where} (${union.disc}: ${union.tag(option)})`, path, value);
  }
  if (s instanceof z.ZodUnion) return leafAt(resolve(s, value) as z.ZodType, where, path, value);
  if (s instanceof z.ZodObject)
    return leafAt(keysOf(s).get(String(key)) as z.ZodType, `${where}.${key}`, rest, at(value, key));
  if (s instanceof z.ZodArray) return leafAt(s.element as z.ZodType, `${where}[]`, rest, at(value, key));
  return leafAt((s as z.ZodRecord).valueType as z.ZodType, `${where}.*`, rest, at(value, key));
}

/** The path of every scalar in `value`. */
function scalars(value: unknown, at: PathKey[] = []): PathKey[][] {
  if (Array.isArray(value)) return value.flatMap((v, i) => scalars(v, [...at, i]));
  if (value !== null && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => scalars(v, [...at, k]));
  return [at];
}

function setAt(root: unknown, path: readonly PathKey[], v: unknown): unknown {
  const [head, ...rest] = path;
  if (head === undefined) return v;
  const copy = Array.isArray(root) ? [...root] : { ...(root as object) };
  (copy as Record<PathKey, unknown>)[head] = setAt((root as Record<PathKey, unknown>)[head], rest, v);
  return copy;
}

/** The three files as text, with `file`'s value `data` filled from ${LEAK} at `path`. */
function leakAt(file: FileKey, data: unknown, path: readonly PathKey[]): Record<string, string> {
  return Object.fromEntries(FILES.map((f) => [f, stringify(f === file ? setAt(data, path, '${LEAK}') : BASE[f])]));
}

interface Case {
  file: FileKey;
  leaf: string;
  path: PathKey[];
  /** The file's value the key is filled in. */
  data: unknown;
  /** The problems of the files without the value from the environment (only the planned ones, if any). */
  base: Partial<Record<FileKey, unknown>>;
}

const CASES: Case[] = [
  ...FILES.flatMap((file) => scalars(BASE[file]).map((path) => ({ file, path, data: BASE[file], base: {} }))),
  ...PLANNED.flatMap(({ file, under, data }) =>
    scalars(data)
      .filter((path) => isUnder(path, under))
      .map((path) => ({ file, path, data, base: { [file]: data } })),
  ),
].map((c) => ({ ...c, leaf: leafAt(CONFIG_FILES[c.file].schema, c.file, c.path, c.data) }));

/** The loader's problems, one a line, for the base files with `over` in place of some. */
function problems(over: Partial<Record<FileKey, unknown>>, env: Record<string, string> = {}): string[] {
  const texts = Object.fromEntries(FILES.map((f) => [f, stringify(over[f] ?? BASE[f])]));
  try {
    parseConfig('c', texts, env);
    return [];
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).message.split('\n').slice(0, -1);
  }
}

describe('values from the environment in messages', () => {
  it('fills every key of the three files, through every kind and format', () => {
    const all = FILES.flatMap((f) => [...leaves(CONFIG_FILES[f].schema, f, new Set())]);
    expect(new Set(CASES.map((c) => c.leaf))).toEqual(new Set(all));
    expect(problems({})).toEqual([]);
  });

  it.each(CASES.map((c) => [`${c.file}:${c.path.join('.')}`, c] as const))(
    '%s: never quoted; the problem it makes names its variable',
    (_, c) => {
      const before = new Set(problems(c.base));
      for (const marker of MARKERS) {
        const after = problems({ ...c.base, [c.file]: setAt(c.data, c.path, '${LEAK}') }, { LEAK: marker });
        for (const line of after) expect(line).not.toMatch(MARKED);
        const made = after.filter((line) => !before.has(line));
        // What follows from it may not name it (a rule naming a probe whose name is refused), but one problem does.
        if (made.length > 0)
          expect(
            made.some((line) => line.includes('${LEAK}')),
            made.join('\n'),
          ).toBe(true);
      }
    },
  );
});

/** The keys whose values a probe reaches besides URLs and paths: a host, a bucket or prefix, a container. */
const REACHED = /^(hosts|server_name|bucket|prefix|container|containers|services)$/;

/** A marked value of the same form as `original` that no probe can reach; undefined for a value a probe does not reach. */
function unreachable(original: string, key: PathKey | undefined): string | undefined {
  if (original.startsWith('unix://')) return 'unix:///nonexistent/hunter2-S3cr3t.sock';
  const url = URL.canParse(original) && original.includes('//') ? new URL(original) : undefined;
  if (url) {
    url.hostname = 'hunter2-s3cr3t.invalid';
    return url.toString();
  }
  if (original.startsWith('/')) return `/nonexistent/hunter2-S3cr3t${original === '/' ? '' : original}`;
  return typeof key === 'string' && REACHED.test(key) ? 'hunter2-s3cr3t.invalid' : undefined;
}

/** Every value under probes that a probe reaches, with the marked one to fill it with. */
const PROBE_CASES = CASES.flatMap((c) => {
  if (c.file !== 'alerts' || c.path[0] !== 'probes' || Object.keys(c.base).length > 0) return [];
  const original = valueAt(c.data, c.path);
  const parent = c.path.at(-1) === 0 || typeof c.path.at(-1) === 'number' ? c.path.at(-2) : c.path.at(-1);
  const marker = typeof original === 'string' ? unreachable(original, parent) : undefined;
  return marker ? [{ ...c, marker }] : [];
});

describe('values from the environment in probe reasons', () => {
  it('covers a URL, a host and a path of every probe that reaches one', () => {
    const kinds = new Set(PROBE_CASES.map((c) => (valueAt(c.data, c.path.slice(0, 2)) as { kind: string }).kind));
    expect([...kinds].sort()).toEqual(
      [
        'caddy_access_log',
        'disk',
        'docker',
        'host',
        'http',
        'metrics',
        'postgres',
        'redis',
        's3',
        'tls',
        'websocket',
        'ws_stats',
      ].sort(),
    );
  });

  it.each(PROBE_CASES.map((c) => [`${c.path.join('.')} = ${c.marker}`, c] as const))(
    "%s: the probe's reason names the key, never the value",
    async (_, c) => {
      const config = parseConfig('c', leakAt('alerts', c.data, c.path), { LEAK: c.marker });
      const probe = config.alerts.probes[c.path[1] as number];
      if (!probe) throw new Error(`no probe at ${c.path.join('.')}`);
      const [outcome] = await checkProbes([{ ...probe, timeout: 3_000 }], {
        clock: systemClock,
        log: pino({ level: 'silent' }),
        intervalMs: 10,
      });
      const { result } = outcome as NonNullable<typeof outcome>;
      const told = [result.up ? result.cannotMeasure : result.reason, result.detail].join('\n');
      expect(told).not.toMatch(/hunter2|s3cr3t/i);
    },
  );

  it('names the key and the variable where the value would have been', async () => {
    const probes = (BASE.alerts as { probes: unknown[] }).probes;
    const i = probes.findIndex((p) => (p as { kind: string }).kind === 'postgres');
    const config = parseConfig('c', leakAt('alerts', BASE.alerts, ['probes', i, 'url']), {
      LEAK: 'postgres://app@hunter2-s3cr3t.invalid:5432/app',
    });
    const [outcome] = await checkProbes([config.alerts.probes[i] as NonNullable<(typeof config.alerts.probes)[0]>], {
      clock: systemClock,
      log: pino({ level: 'silent' }),
      intervalMs: 10,
    });
    expect(outcome?.result).toMatchObject({ up: false, reason: expect.stringContaining('<url from ${LEAK}>') });
  });
});

/** Every host or URL a channel sends to, with the marked one to fill it with. */
const CHANNEL_CASES = CASES.flatMap((c) => {
  if (c.file !== 'escalation' || c.path[0] !== 'channels' || Object.keys(c.base).length > 0) return [];
  const original = valueAt(c.data, c.path);
  const key = c.path.at(-1);
  if (typeof original !== 'string') return [];
  const marker = key === 'host' ? 'hunter2-s3cr3t.invalid' : unreachable(original, key);
  return marker && !original.startsWith('/') ? [{ ...c, marker }] : [];
});

describe('values from the environment in delivery failures', () => {
  it('covers the SMTP host and the URL of every webhook format', () => {
    expect(CHANNEL_CASES.map((c) => c.path.slice(1).join('.')).sort()).toEqual(
      [
        'email.smtp.host',
        'generic.url',
        'ntfy.server',
        'ntfy_basic.server',
        'pagerduty.url',
        'pushover.api_url',
        'slack.url',
        'teams.url',
        'telegram.api_url',
        'twilio.api_url',
      ].sort(),
    );
  });

  it.each(CHANNEL_CASES.map((c) => [`${c.path.join('.')} = ${c.marker}`, c] as const))(
    '%s: the failure names the key, never the value',
    async (_, c) => {
      const config = parseConfig('c', leakAt('escalation', c.data, c.path), { LEAK: c.marker });
      const channel = config.escalation.channels[c.path[1] as string];
      if (!channel) throw new Error(`no channel at ${c.path.join('.')}`);
      const n = page('n-env', 'ApiDown');
      const delivery = await deliver(n, channel, {
        signal: AbortSignal.timeout(5_000),
        log: pino({ level: 'silent' }),
        now: () => n.at,
      });
      expect(delivery).toMatchObject({ ok: false, reason: expect.stringContaining('${LEAK}') });
      expect(JSON.stringify(delivery)).not.toMatch(/hunter2|s3cr3t/i);
    },
  );
});

describe('addresses from the environment that an SMTP server writes back in its refusal', () => {
  let smtp: SmtpSink;
  beforeAll(async () => {
    smtp = await startSmtpSink();
  });
  afterAll(() => smtp.close());

  const cases: [string, PathKey[], string, Extract<SmtpAnswer, object>][] = [
    [
      "the contact's email",
      ['contacts', 'cto', 'email'],
      'cto-hunter2-S3cr3t@example.org',
      { reply: 550, message: '5.1.1 Recipient address rejected', at: 'rcpt', echo: true },
    ],
    [
      'smtp.from in a display form',
      ['channels', 'email', 'smtp', 'from'],
      'centinela <alerts-hunter2-S3cr3t@example.org>',
      { reply: 553, message: '5.7.1 Sender address rejected: not owned by user', at: 'mail', echo: true },
    ],
  ];
  it.each(cases)('%s: the failure names the key, never the address', async (_, path, value, answer) => {
    const data = BASE.escalation as { channels: Record<string, unknown> };
    const email = {
      kind: 'email',
      smtp: { host: '127.0.0.1', port: smtp.port, security: 'none', from: 'c@example.org' },
    };
    const config = parseConfig('c', leakAt('escalation', { ...data, channels: { ...data.channels, email } }, path), {
      LEAK: value,
    });
    const refusedBefore = smtp.refused;
    smtp.script(answer);
    const n = { ...page('n-env', 'ApiDown'), contact: recipient('cto', config.escalation.contacts.cto) };
    const channel = config.escalation.channels.email;
    if (!channel) throw new Error('no email channel');
    const delivery = await deliver(n, channel, {
      signal: AbortSignal.timeout(5_000),
      log: pino({ level: 'silent' }),
      now: () => n.at,
    });
    // The server did write the address back; the failure names where it came from instead.
    expect(smtp.refused).toBe(refusedBefore + 1);
    expect(delivery).toMatchObject({
      ok: false,
      reason: expect.stringContaining(`from \${LEAK}>>: ${answer.message}`),
    });
    expect(JSON.stringify(delivery)).not.toMatch(/hunter2|s3cr3t/i);
  });
});
