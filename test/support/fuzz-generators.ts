// The inputs of the fuzz suites, as fast-check arbitraries: what targets send (Prometheus expositions in both text
// formats, JSON bodies), what operators write (configuration YAML and environments) and what callers send the API.
// The property tests draw a few hundred of each; bench/fuzz.ts draws a million from the very same generators.
//
// Each generator mixes near-valid input (real shapes with one thing off, where the bugs hide) with raw noise, and
// keeps the pieces small and few so that an input is cheap to run and its shrunk counterexample readable.
import fc from 'fast-check';
import { stringify } from 'yaml';
import type { FileKey } from '../../src/config/references.js';

// ---------------------------------------------------------------------------------------------------------------
// Numbers as text: what a target or an operator may write where a number goes.

/** Number literals a parser must read, or refuse clearly: huge, tiny, signed zero, special values and near misses. */
export const ODD_NUMBERS = [
  '0',
  '-0',
  '+1',
  '1e400',
  '-1e400',
  '1e-400',
  '4.9e-324',
  '1.7976931348623157e308',
  '9007199254740993',
  '123456789012345678901234567890',
  '0.1',
  '.5',
  '5.',
  '1E+3',
  'NaN',
  'nan',
  '+Inf',
  '-Inf',
  'inf',
  'Infinity',
  '-infinity',
  '0x1F',
  '0b1',
  '0o7',
  '1_000',
  '',
  '1e',
  'e5',
  '--1',
  '+-1',
  '1.2.3',
  '١٢٣',
  '１',
  '1\u00a0',
] as const;

const finiteText = fc.oneof(
  fc.integer().map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => d.toExponential()),
);

/** A number as a target or a file writes it: mostly plain, sometimes odd. */
export const numberText = fc.oneof({ weight: 3, arbitrary: finiteText }, fc.constantFrom(...ODD_NUMBERS));

// ---------------------------------------------------------------------------------------------------------------
// Prometheus expositions (text 0.0.4 and OpenMetrics 1.0).

/** A few names repeated often, so that series repeat (duplicates) and the parser's name cache is exercised. */
const METRIC_NAMES = [
  'up',
  'http_requests_total',
  'http_request_duration_seconds_bucket',
  'http_request_duration_seconds_sum',
  'go_gc_duration_seconds',
  'a',
  'a_',
  'a:b',
  '_',
] as const;
/** UTF-8 names, which Prometheus 3 writes quoted in both formats. */
const QUOTED_NAMES = [
  'go.gc_duration_seconds',
  'métrica',
  '名前',
  'with space',
  'with"quote',
  'with\\backslash',
  'new\nline',
  '🔥',
  '{',
  '',
] as const;
const LABEL_NAMES = ['le', 'code', 'method', 'quantile', 'job', '__name__', '__proto__', 'constructor', 'a'] as const;

const plainMetricName = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...METRIC_NAMES) },
  fc.stringMatching(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,12}$/),
);
const labelName = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...LABEL_NAMES) },
  fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,8}$/),
);

/** Backslash, quote and newline escaped, as both formats write them between quotes. */
const escapeQuoted = (text: string) => text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** A name between quotes, escaped as the formats escape it (or, sometimes, not). */
const quoted = (names: fc.Arbitrary<string>) =>
  fc.tuple(names, fc.boolean()).map(([n, escaped]) => (escaped ? `"${escapeQuoted(n)}"` : `"${n}"`));
const anyQuotedName = quoted(fc.oneof(fc.constantFrom(...QUOTED_NAMES), fc.string({ maxLength: 8 })));

const labelValue = fc
  .oneof(
    { weight: 12, arbitrary: fc.constantFrom('200', '500', '0.5', '+Inf', 'GET', '', 'x') },
    { weight: 4, arbitrary: fc.string({ maxLength: 12, unit: 'grapheme' }) },
    { weight: 4, arbitrary: fc.string({ maxLength: 6, unit: 'binary' }) },
    { weight: 4, arbitrary: fc.constantFrom('\\', '\\\\', '\\"', '\\n', '\\t', '\\x', '"', '\n', 'a\\') },
    // Now and then a value longer than the parser's 64 KiB block, so that a line spans blocks.
    { weight: 1, arbitrary: fc.nat({ max: 70_000 }).map((n) => 'v'.repeat(n)) },
  )
  .chain((v) => fc.boolean().map((escaped) => (escaped ? escapeQuoted(v) : v)));

const blank = fc.constantFrom(' ', ' ', ' ', '\t', '  ', '');
const labelPair = fc
  .tuple(fc.oneof({ weight: 4, arbitrary: labelName }, anyQuotedName), blank, labelValue, blank)
  .map(([n, b1, v, b2]) => `${n}${b1}=${b2}"${v}"`);
const labelList = fc
  .tuple(fc.array(labelPair, { maxLength: 4 }), fc.constantFrom(',', ', ', ' ,'), fc.boolean())
  .map(([pairs, sep, trailing]) => `${pairs.join(sep)}${trailing && pairs.length > 0 ? ',' : ''}`);

const timestampText = fc.oneof(
  fc.constant(''),
  numberText.map((t) => ` ${t}`),
);
const exemplar = fc.oneof(
  { weight: 4, arbitrary: fc.constant('') },
  fc.constantFrom(' # {trace_id="abc"} 0.05', ' # {} 1 1.5', ' #', ' # garbage'),
);

/** `name{labels} value [timestamp] [# exemplar]`, or the quoted form `{"name",labels} value`. */
const sampleLine = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .tuple(plainMetricName, fc.option(labelList), blank, numberText, timestampText, exemplar)
      .map(([n, labels, b, v, ts, ex]) => `${n}${labels === null ? '' : `${b}{${labels}}`} ${v}${ts}${ex}`),
  },
  fc
    .tuple(anyQuotedName, labelList, numberText, timestampText)
    .map(([n, labels, v, ts]) => `{${n}${labels ? `,${labels}` : ''}} ${v}${ts}`),
);

const TYPES = ['counter', 'gauge', 'histogram', 'summary', 'untyped', 'unknown', 'info', 'stateset', 'gaugehistogram'];
const commentLine = fc.oneof(
  fc
    .tuple(
      fc.constantFrom('HELP', 'TYPE', 'UNIT', 'EOF', 'help', 'TYPE', 'TYPE'),
      fc.oneof(plainMetricName, anyQuotedName, fc.constant('')),
      fc.oneof(fc.constantFrom(...TYPES, 'Counter', '', 'histogram extra'), fc.string({ maxLength: 10 })),
    )
    .map(([keyword, name, rest]) => `# ${keyword} ${name} ${rest}`.trimEnd()),
  fc.constantFrom('#', '# ', '#TYPE a counter', '# EOF', '# EOF ', '# just a comment'),
);

/** Text from the characters the grammar cares about. */
const grammarNoise = fc.stringMatching(/^[a-z_{}"=,# \t\\.:0-9eE+\-é]{0,40}$/);

const expositionLine = fc.oneof(
  { weight: 8, arbitrary: sampleLine },
  { weight: 3, arbitrary: commentLine },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', '\t', '\r') },
  { weight: 2, arbitrary: grammarNoise },
);

/** Lines a real exporter writes: valid names, escaped values, numbers Go's ParseFloat reads, known types. */
const wellFormedLine = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(
        fc.oneof(
          { weight: 3, arbitrary: plainMetricName },
          fc.constantFrom(...QUOTED_NAMES.filter((n) => n)).map((n) => `"${escapeQuoted(n)}"`),
        ),
        fc.uniqueArray(
          fc.tuple(
            fc.oneof(
              { weight: 4, arbitrary: labelName.filter((n) => n !== '__proto__') },
              fc.constantFrom('"label.with.dots"', '"ñ"'),
            ),
            fc.string({ maxLength: 12, unit: 'grapheme' }).map(escapeQuoted),
          ),
          { maxLength: 3, selector: ([n]) => n },
        ),
        fc.oneof({ weight: 6, arbitrary: finiteText }, fc.constantFrom('NaN', '+Inf', '-Inf')),
        fc.option(fc.integer({ min: 0, max: 2 ** 45 }), { freq: 4 }),
      )
      .map(([name, labels, value, ts]) => {
        const pairs = labels.map(([k, v]) => `${k}="${v}"`);
        const tail = ` ${value}${ts === null ? '' : ` ${ts}`}`;
        if (name.startsWith('"')) return `{${[name, ...pairs].join(',')}}${tail}`;
        return `${name}${pairs.length > 0 ? `{${pairs.join(',')}}` : ''}${tail}`;
      }),
  },
  fc.tuple(plainMetricName, fc.constantFrom(...TYPES)).map(([name, type]) => `# TYPE ${name} ${type}`),
  plainMetricName.map((name) => `# HELP ${name} Some help, with "quotes" and \\ too.`),
);

/** Where raw bytes go into an encoded body: at a fraction of its length. */
const byteSplice = fc.record({
  at: fc.double({ min: 0, max: 1, noNaN: true }),
  bytes: fc.uint8Array({ maxLength: 4 }),
});

/** One exposition as a target sends it: the body's bytes cut into chunks, and the format its content type says. */
export interface ExpositionInput {
  /** The body, as chunks the way a socket delivers them (cut anywhere, inside a UTF-8 sequence too). */
  chunks: Uint8Array[];
  openMetrics: boolean;
  /** A small line limit, sometimes, so that the limit's check runs across chunk boundaries. */
  maxLineLength?: number;
}

/** Cuts `bytes` at the given fractions of its length. */
function cut(bytes: Uint8Array, at: readonly number[]): Uint8Array[] {
  const points = [...new Set(at.map((f) => Math.floor(f * bytes.length)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const p of points) {
    if (p > from) out.push(bytes.subarray(from, p));
    from = Math.max(from, p);
  }
  out.push(bytes.subarray(from));
  return out;
}

export const exposition: fc.Arbitrary<ExpositionInput> = fc
  .record({
    // Half the bodies as an exporter writes them, so that the checks after a successful parse run as often.
    lines: fc.oneof(fc.array(wellFormedLine, { maxLength: 12 }), fc.array(expositionLine, { maxLength: 12 })),
    /** Lines repeated later (a series twice), by index. */
    repeats: fc.array(fc.nat(), { maxLength: 2 }),
    openMetrics: fc.boolean(),
    eof: fc.constantFrom('# EOF\n', '# EOF\n', '# EOF', '# EOF', '', '# EOF\nafter 1\n'),
    newline: fc.constantFrom('\n', '\n', '\r\n'),
    finalNewline: fc.boolean(),
    splices: fc.oneof({ weight: 4, arbitrary: fc.constant([]) }, fc.array(byteSplice, { maxLength: 2 })),
    cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 4 }),
    // fc.option's freq is how rarely it gives null: one body in 16 gets a small line limit, not fifteen.
    maxLineLength: fc.oneof({ weight: 15, arbitrary: fc.constant(null) }, fc.integer({ min: 1, max: 200 })),
  })
  .map((r) => {
    const lines = [...r.lines];
    for (const i of r.repeats) if (lines.length > 0) lines.push(lines[i % lines.length] as string);
    let text = lines.join(r.newline) + (r.finalNewline && lines.length > 0 ? r.newline : '');
    if (r.openMetrics) text += r.eof;
    let bytes: Uint8Array = Buffer.from(text);
    for (const s of r.splices) {
      const at = Math.floor(s.at * bytes.length);
      bytes = Buffer.concat([bytes.subarray(0, at), s.bytes, bytes.subarray(at)]);
    }
    return {
      chunks: cut(bytes, r.cuts),
      openMetrics: r.openMetrics,
      ...(r.maxLineLength === null ? {} : { maxLineLength: r.maxLineLength }),
    };
  });

/** The metric names a metrics probe may be configured with: those the exposition generator writes most. */
export const PROBED_METRICS = [
  'up',
  'http_requests_total',
  'http_request_duration_seconds',
  'a',
  'go.gc_duration_seconds',
];

/** Two scrapes of one metrics probe: its configured items and the two bodies the target answers. */
export interface MetricsScrapeInput {
  items: {
    gauges: { metric: string; as: string; by?: string[] }[];
    rates: { metric: string; as: string; by?: string[] }[];
    histograms: { metric: string; as: string; by?: string[] }[];
  };
  scrapes: { body: Buffer; contentType: string }[];
}

const probedItem = (as: string) =>
  fc.record(
    { metric: fc.constantFrom(...PROBED_METRICS), as: fc.constant(as), by: fc.subarray([...LABEL_NAMES]) },
    { requiredKeys: ['metric', 'as'] },
  );

export const metricsScrapes: fc.Arbitrary<MetricsScrapeInput> = fc.record({
  items: fc.record({
    gauges: fc.array(probedItem('g'), { maxLength: 1 }),
    rates: fc.array(probedItem('r'), { maxLength: 1 }),
    histograms: fc.array(probedItem('h'), { maxLength: 1 }),
  }),
  scrapes: fc.array(
    fc.record({
      body: exposition.map((e) => Buffer.concat(e.chunks)),
      contentType: fc.constantFrom(
        'text/plain; version=0.0.4; charset=utf-8',
        'application/openmetrics-text; version=1.0.0; charset=utf-8',
        'text/plain',
        'application/json',
      ),
    }),
    { minLength: 2, maxLength: 2 },
  ),
});

// ---------------------------------------------------------------------------------------------------------------
// JSON bodies from targets.

/** A JSON value written as text, with number literals JSON.parse reads oddly (1e400 is Infinity). */
const jsonText: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom('null', 'true', 'false', '""', '{}', '[]'),
    numberText.filter((t) => /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(t)),
    fc.string({ maxLength: 12, unit: 'grapheme' }).map((s) => JSON.stringify(s)),
    fc.constantFrom(
      '"2026-01-01T00:00:00Z"',
      '"2026-01-01 00:00:00"',
      '"+275760-09-13T00:00:00Z"',
      '"2026-13-45T99:99"',
    ),
    fc.array(tie('value'), { maxLength: 3 }).map((items) => `[${items.join(',')}]`),
    fc
      .array(fc.tuple(fc.constantFrom('a', 'status', '__proto__', 'level', ''), tie('value')), { maxLength: 3 })
      .map((pairs) => `{${pairs.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`),
  ),
})).value;

/** A JSON value nested `depth` deep (as arrays or objects), which recursive code cannot walk. */
const deepJson = fc
  .tuple(fc.integer({ min: 1, max: 20_000 }), fc.boolean())
  .map(([depth, objects]) =>
    objects ? `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}` : `${'['.repeat(depth)}${']'.repeat(depth)}`,
  );

/** What to put in a field of a JSON document a probe reads: a fitting value, an odd one or a deep one. */
const fieldValue = fc.oneof({ weight: 6, arbitrary: jsonText }, { weight: 1, arbitrary: deepJson });

/** A JSON object with some of `fields` (and maybe others), written as text, duplicate keys and all. */
function jsonObject(fields: readonly string[], good: fc.Arbitrary<string>): fc.Arbitrary<string> {
  const pair = fc.tuple(
    fc.constantFrom(...fields, 'extra', '__proto__'),
    fc.oneof({ weight: 2, arbitrary: good }, fieldValue),
  );
  return fc
    .array(pair, { maxLength: fields.length + 2 })
    .map((pairs) => `{${pairs.map(([k, v]) => `"${k}":${v}`).join(',')}}`);
}

/** A body as a target sends it: JSON text, damaged or not, with a status code. */
export interface JsonBodyInput {
  status: number;
  body: string;
}

const damage = fc.oneof(
  { weight: 12, arbitrary: fc.constant((s: string) => s) },
  fc.constantFrom<(s: string) => string>(
    (s) => s.slice(0, Math.floor(s.length / 2)),
    (s) => `\ufeff${s}`,
    (s) => `${s} trailing`,
    (s) => s.replace(/:/, ''),
    () => 'x'.repeat(70_000),
    () => '',
  ),
);

const jsonBody = (document: fc.Arbitrary<string>): fc.Arbitrary<JsonBodyInput> =>
  fc.record({
    status: fc.oneof({ weight: 8, arbitrary: fc.constant(200) }, fc.constantFrom(204, 301, 401, 500, 503)),
    body: fc.tuple(fc.oneof({ weight: 4, arbitrary: document }, jsonText), damage).map(([text, d]) => d(text)),
  });

const count = fc.oneof(
  fc.nat().map(String),
  numberText.filter((t) => /^-?\d/.test(t)),
);

/** /ws/stats as the API writes it (runbook: active_connections, total_messages_sent, total_broadcasts, last_broadcast_at). */
export const wsStatsBodies: fc.Arbitrary<JsonBodyInput[]> = fc.array(
  jsonBody(
    jsonObject(
      ['active_connections', 'total_messages_sent', 'total_broadcasts', 'last_broadcast_at'],
      fc.oneof(count, fc.constantFrom('"2026-01-01T00:00:00Z"', '"2026-01-01T00:00:00.5+02:00"', 'null', '12')),
    ),
  ),
  { minLength: 1, maxLength: 2 },
);

/** An http probe's `expect.json` (dotted paths to expected values) and the body it is checked against. */
export interface HttpJsonInput {
  expect: Record<string, string | number | boolean | null>;
  response: JsonBodyInput;
}

const JSON_PATHS = [
  'status',
  'checks.db.status',
  'a.0',
  'a',
  '__proto__',
  'constructor',
  'a..b',
  'length',
  'status.length',
];
export const httpJsonBodies: fc.Arbitrary<HttpJsonInput> = fc.record({
  expect: fc.dictionary(
    fc.constantFrom(...JSON_PATHS),
    fc.oneof(fc.constantFrom('healthy', 'ok', ''), fc.integer(), fc.boolean(), fc.constant(null)),
    { minKeys: 1, maxKeys: 3 },
  ),
  response: jsonBody(
    jsonObject(['status', 'checks', 'a', 'length'], fc.constantFrom('"healthy"', '{"db":{"status":"ok"}}')),
  ),
});

// ---------------------------------------------------------------------------------------------------------------
// Configuration: YAML of every shape, edits of real files, values anywhere, anchors and merge keys, environments.

/** Which of the three files an input changes. */
export const configFile = fc.constantFrom<FileKey>('alerts', 'escalation', 'centinela');

/** Text from the characters YAML's grammar turns on. */
export const yamlish = fc.stringMatching(/^[a-z0-9 :\-[\]{},"'&*!|>#\n$.%@`~?]{0,200}$/);

/** A YAML scalar of any kind, the keys and values the schemas are picky about included. */
export const yamlScalar = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom('${UNSET}', '${X:-1}', '5m', 'P5', '__proto__', 'constructor', '=~(', '!=x'),
);
export const yamlValue = fc.oneof(
  yamlScalar,
  fc.array(yamlScalar, { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), yamlScalar, { maxKeys: 3 }),
);

/** One edit of a file's text: a character deleted or inserted, or a line dropped, at a position taken modulo. */
export interface TextEdit {
  file: FileKey;
  at: number;
  kind: 'delete' | 'insert' | 'drop-line';
  char: string;
}
export const textEdits: fc.Arbitrary<TextEdit[]> = fc.array(
  fc.record({
    file: configFile,
    at: fc.nat(),
    kind: fc.constantFrom('delete', 'insert', 'drop-line'),
    char: fc.constantFrom(' ', ':', '-', '"', "'", '\n', '[', '{', '}', '#', '&', '*', '!', '$', 'x', '\t'),
  }),
  { minLength: 1, maxLength: 4 },
);

/** `texts` with `edits` applied. */
export function applyEdits(texts: Record<FileKey, string>, edits: readonly TextEdit[]): Record<FileKey, string> {
  const out = { ...texts };
  for (const e of edits) {
    const t = out[e.file];
    const i = e.at % (t.length + 1);
    if (e.kind === 'delete') out[e.file] = t.slice(0, i) + t.slice(i + 1);
    else if (e.kind === 'insert') out[e.file] = t.slice(0, i) + e.char + t.slice(i);
    else {
      const lines = t.split('\n');
      lines.splice(e.at % lines.length, 1);
      out[e.file] = lines.join('\n');
    }
  }
  return out;
}

/** Lines of anchors, aliases and merge keys put together at random. */
export const anchorLines = fc.array(
  fc
    .tuple(
      fc.constantFrom('', '  ', '    '),
      fc.constantFrom('', '- '),
      fc.constantFrom('', 'a: ', 'probes: ', 'labels: ', '<<: ', '*x: ', '? '),
      fc.constantFrom('', '&x ', '&y '),
      fc.constantFrom('', '*x', '*y', '[*x, *y]', '{ b: *x }', '{ <<: *y }', '[1]', '1', '${UNSET}', '[k]'),
    )
    .map((parts) => parts.join('')),
  { maxLength: 8 },
);

/** YAML constructs of every kind: tags, directives, documents, block scalars, complex keys, odd scalars. */
const YAML_PIECES = [
  '!!binary aGVsbG8=',
  '!!set { a, b }',
  '!!omap [ a: 1 ]',
  '!!timestamp 2026-01-01',
  '!!int "12"',
  '!!float .inf',
  '!custom x',
  '!<tag:yaml.org,2002:str> x',
  '!!map [1]',
  '!!seq {a: 1}',
  '!!null x',
  '!!bool maybe',
  '|\n  block\n  text',
  '>-\n  folded',
  '|+2\n    kept\n',
  '? [a, b]\n: c',
  '? |\n  k\n: v',
  '&a [*a]',
  '*nowhere',
  '.inf',
  '-.Inf',
  '.nan',
  '0x1F',
  '0o17',
  '1_000',
  '1e400',
  '-0',
  'yes',
  'off',
  '~',
  '"\\u0000\\x07\\ud800"',
  "'it''s'",
  '{ a: 1, a: 2 }',
  '[a, [b, [c, [d]]]]',
  '{ ? a }',
  '"unterminated',
  '\t- tab',
  '@reserved',
  '`reserved',
  '% not a directive',
] as const;
const yamlPiece = fc.constantFrom(...YAML_PIECES);
const YAML_KEYS = [
  'probes',
  'rules',
  'name',
  'kind',
  'url',
  'every',
  'levels',
  'contacts',
  'server',
  'labels',
  '<<',
  'x',
];

/** A file made of YAML constructs, with directives and document markers around them. */
export const yamlShapes = fc
  .tuple(
    fc.constantFrom('', '%YAML 1.1\n---\n', '%YAML 1.2\n%TAG ! tag:x,2026:\n---\n', '--- !!map\n', '\ufeff', '---\n'),
    fc.array(
      fc.tuple(
        fc.constantFrom('', '  ', '- ', '  - '),
        fc.constantFrom(...YAML_KEYS),
        fc.oneof(
          yamlPiece,
          yamlScalar.map((v) => stringify(v).trimEnd()),
        ),
      ),
      { maxLength: 6 },
    ),
    fc.constantFrom('', '\n...\n', '\n---\nsecond: doc\n', '\r\n', '\n'),
  )
  .map(([head, entries, tail]) => head + entries.map(([i, k, v]) => `${i}${k}: ${v}`).join('\n') + tail);

/** Variables the environment generators fill, and values every one of them may take. */
export const ENV_NAMES = ['API_URL', 'SMTP_HOST', 'CTO_EMAIL', 'REDIS_PASSWORD', 'PUBLIC_HOST', 'LEAK'] as const;
export const randomEnv = fc.dictionary(fc.constantFrom(...ENV_NAMES), fc.string({ maxLength: 30 }));

/**
 * Values that must never come back in a message, whatever key they are put in: each holds MARK (or is a number
 * holding 31337), in the shapes YAML and the schemas read differently.
 */
export const ENV_MARK = 'ZQXJ';
export const markedEnvValue = fc.oneof(
  fc.constantFrom(
    'ZQXJ-s3cr3t',
    '31337',
    '-31337',
    '31337.25',
    '31337d',
    'ZQXJ5m',
    '[ZQXJ, 1]',
    '{ZQXJ: 1}',
    'ZQXJ\nsecond line',
    '"ZQXJ"',
    '=~[ZQXJ',
    '{{ ZQXJ }}',
    'http://ZQXJ:pw@host:99999/x',
    'ZQXJ@',
    '127.0.0.1:31337999',
    ' ZQXJ ',
  ),
  fc.tuple(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 })).map(([a, b]) => `${a}ZQXJ${b}`),
);
/** Whether `text` shows one of the marked values (or its number). */
export const showsMarked = (text: string) => text.includes(ENV_MARK) || text.includes('31337');

/** How `${LEAK}` is written where it goes: alone, with a default, inside other text, or broken. */
export const envReference = fc.constantFrom(
  '${LEAK}',
  '${LEAK:-5m}',
  'x${LEAK}y',
  '${LEAK}${LEAK}',
  '$${LEAK}',
  '${LEAK',
);

/** Every path into a parsed YAML value, so that a value can be put anywhere. */
export function paths(v: unknown, at: (string | number)[] = []): (string | number)[][] {
  const out = [at];
  if (Array.isArray(v)) for (const [i, x] of v.entries()) out.push(...paths(x, [...at, i]));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...at, k]));
  return out;
}

/** A copy of `root` with `v` at `path`. */
export function setAt(root: unknown, path: readonly (string | number)[], v: unknown): unknown {
  const [head, ...rest] = path;
  if (head === undefined) return v;
  const copy = Array.isArray(root) ? [...root] : { ...(root as object) };
  (copy as Record<string | number, unknown>)[head] = setAt((root as Record<string | number, unknown>)[head], rest, v);
  return copy;
}

/** How many times a piece repeats: at the bounds of a matcher (64 spread, 1024 characters) and far past them. */
const pieceCount = fc.oneof(
  fc.constantFrom(1, 6, 7, 63, 64, 65, 204, 205, 340, 341, 2500),
  fc.integer({ min: 0, max: 3000 }),
);
/**
 * How deep groups nest: within a matcher's 1024 characters (512 at most), at RE2's nesting bound (1000) and far past
 * it, where V8's compiler overflowed (~30,000).
 */
const groupDepth = fc.oneof(fc.constantFrom(32, 505, 512, 999, 1000, 30_000), fc.nat({ max: 1000 }));

/**
 * A matcher's value that is costly to read, compile or spread into names: many groups of one alternative, many of
 * other shapes, groups inside groups, long alternations. Issue 13 review r13c's D1 and D2 were such values
 * (`=~Api(D)(D)…` overflowed the stack of the name check, `(A|B)…` and `(((…)))` held the loop for seconds to minutes).
 */
export const heavyMatcherValue = fc
  .tuple(
    fc.constantFrom('=~', '!~', ''),
    fc.oneof(
      fc.tuple(fc.constantFrom('(D)', '()', '(?:D)'), pieceCount).map(([piece, n]) => `Api${piece.repeat(n)}`),
      fc
        .tuple(fc.constantFrom('(A|B)', '(?:Api|Db)', '(a)?', '[(]', '\\(', '(?=A)', 'Api.*|', 'ApiDwn|'), pieceCount)
        .map(([piece, n]) => `Api${piece.repeat(n)}`),
      groupDepth.map((d) => `${'('.repeat(d)}ApiDown${')'.repeat(d)}`),
      fc
        .tuple(groupDepth, pieceCount)
        .map(([d, n]) => `${'(?:A|'.repeat(Math.min(d, 40))}B${')'.repeat(Math.min(d, 40))}`.repeat(Math.min(n, 40))),
    ),
  )
  .map(([op, value]) => `${op}${value}`);

/** Where a configuration holds matchers on alert names: an inhibition's target, a recurring window, a rule's match. */
export const MATCHER_PLACES = ['inhibit', 'maintenance', 'rule'] as const;

/**
 * One configuration to load, as a change to a base (which base is the target's choice): `text` replaces one file;
 * `edits` damage the files; `value` puts a value at a path of a file (`at` is taken modulo the number of paths);
 * `leak` puts a reference to ${LEAK} at a path, with a marked value in the environment; `env` loads the files in a
 * random environment; `matcher` puts a heavy matcher value where the configuration holds matchers.
 */
export type ConfigInput =
  | { kind: 'text'; file: FileKey; text: string }
  | { kind: 'edits'; edits: TextEdit[] }
  | { kind: 'value'; file: FileKey; at: number; value: unknown }
  | { kind: 'leak'; file: FileKey; at: number; reference: string; leak: string }
  | { kind: 'env'; env: Record<string, string> }
  | { kind: 'matcher'; place: (typeof MATCHER_PLACES)[number]; value: string };

/** The inputs of each kind, so that a test can run one kind alone. */
export const configInputs: { [K in ConfigInput['kind']]: fc.Arbitrary<Extract<ConfigInput, { kind: K }>> } = {
  text: fc.record({
    kind: fc.constant('text'),
    file: configFile,
    text: fc.oneof(
      yamlish,
      yamlShapes,
      anchorLines.map((lines) => lines.join('\n')),
    ),
  }),
  edits: fc.record({ kind: fc.constant('edits'), edits: textEdits }),
  value: fc.record({ kind: fc.constant('value'), file: configFile, at: fc.nat(), value: yamlValue }),
  leak: fc.record({
    kind: fc.constant('leak'),
    file: configFile,
    at: fc.nat(),
    reference: envReference,
    leak: markedEnvValue,
  }),
  env: fc.record({ kind: fc.constant('env'), env: randomEnv }),
  matcher: fc.record({
    kind: fc.constant('matcher'),
    place: fc.constantFrom(...MATCHER_PLACES),
    value: heavyMatcherValue,
  }),
};

export const configInput: fc.Arbitrary<ConfigInput> = fc.oneof(
  configInputs.text,
  configInputs.edits,
  configInputs.value,
  { weight: 2, arbitrary: configInputs.leak },
  configInputs.env,
  configInputs.matcher,
);

// ---------------------------------------------------------------------------------------------------------------
// API requests.

/** Where an id comes from: made up, or the last one the server gave (the runner fills it in). */
export const LAST_SILENCE = '<last-silence>';
export const LAST_WINDOW = '<last-window>';
export const FIRST_ALERT = '<first-alert>';
export const HEARTBEAT = 'nightly';
export const HEARTBEAT_SECRET = 'fuzz-heartbeat-secret-0123456789';

const idText = fc.oneof(
  fc.constantFrom(LAST_SILENCE, LAST_WINDOW, FIRST_ALERT, 'x', '0', '-1', '%', '%E0%A4%A', '..', '%2F', 'a%00b'),
  fc.string({ maxLength: 10 }).map(encodeURIComponent),
  fc.nat({ max: 3000 }).map((n) => 'i'.repeat(n)),
);

/** A duration as a caller writes one. */
const durationText = fc.oneof(
  fc.constantFrom('10m', '1h', '0s', '-5m', '1h30m', '99999999999d', '1e400s', '5 minutes', '', '1.5h', 'P1D'),
  fc.nat().map((n) => `${n}s`),
  fc.integer(),
);
const timeText = fc.oneof(
  fc.constantFrom('2026-05-01T14:00:00Z', '2099-01-01T00:00:00+02:00', '2000-01-01T00:00:00Z', '2026-02-30T00:00:00Z'),
  fc.constantFrom('+275760-09-13T00:00:00Z', '9999-12-31T23:59:59.999999999Z', 'now', '', '2026-05-01'),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
);
const matcherMap = fc.dictionary(
  fc.constantFrom('alertname', 'service', 'probe', 'priority', '', '__proto__', 'a b'),
  fc.oneof(
    fc.constantFrom('ApiDown', 'ApiLatencyHigh', '=~Api.*', '!=x', '=~(', '!~', '=~'),
    fc.string({ maxLength: 10 }),
    fc.integer(),
    heavyMatcherValue,
  ),
  { maxKeys: 3 },
);
/** Any JSON value, for a field that gets the wrong type. */
const anyJson = fc.jsonValue({ maxDepth: 2 });
const field = <T>(good: fc.Arbitrary<T>) => fc.oneof({ weight: 5, arbitrary: good }, anyJson);

/** Who and why, as an operator writes them. */
const words = fc.oneof(fc.constantFrom('ana', 'deploy 4.2', 'ñandú 東京'), fc.string({ minLength: 1, maxLength: 20 }));

/** A silence as a caller means it (taken more often than not), or one with any field missing or of any value. */
const silenceBody = fc.oneof(
  fc.record({
    matchers: fc.constantFrom({ alertname: 'ApiDown' }, { service: 'api' }, { alertname: '=~Api.*', service: '!=db' }),
    for: fc.constantFrom('10m', '30m', '1h', '2h'),
    by: words,
    reason: words,
  }),
  fc.record(
    {
      matchers: field(fc.oneof(matcherMap, fc.array(fc.string({ maxLength: 20 }), { maxLength: 2 }))),
      for: field(durationText),
      startsAt: field(timeText),
      endsAt: field(timeText),
      by: field(words),
      reason: field(words),
      extra: anyJson,
    },
    { requiredKeys: [] },
  ),
);
const maintenanceBody = fc.oneof(
  fc.record(
    {
      probes: fc.constantFrom(['api_health'], ['api_metrics', 'api_health']),
      match: fc.constantFrom({ service: 'api' }, {}),
      max: fc.constantFrom('10m', '1h', '3h'),
      settle: fc.constantFrom('1m', '2m'),
      reason: words,
      by: words,
    },
    { requiredKeys: ['probes', 'max', 'reason'] },
  ),
  fc.record(
    {
      probes: field(fc.array(fc.constantFrom('api_health', 'api_metrics', 'nope', '', 'a b'), { maxLength: 3 })),
      match: field(matcherMap),
      max: field(durationText),
      settle: field(durationText),
      reason: field(words),
      by: field(words),
    },
    { requiredKeys: [] },
  ),
);
const byBody = fc.record(
  { by: field(fc.string({ maxLength: 20 })), comment: field(fc.string()) },
  { requiredKeys: [] },
);

/** The body as sent: a JSON document (as text, maybe damaged), a form, raw text or nothing, and its content type. */
export type RequestBody =
  | { json: unknown }
  | { raw: string; contentType?: string }
  | { none: true; contentType?: string };

const anyBody = (document: fc.Arbitrary<unknown>): fc.Arbitrary<RequestBody> =>
  fc.oneof(
    { weight: 8, arbitrary: document.map((json) => ({ json })) },
    { weight: 2, arbitrary: anyJson.map((json) => ({ json })) },
    fc.record({
      raw: fc.oneof(
        fc.constantFrom('{', '{"by":', 'null', '[]', '"x"', '{"__proto__":{"by":1}}', '{"by":"a","by":"b"}'),
        fc.string({ maxLength: 30 }),
        fc.nat({ max: 70_000 }).map((n) => `{"reason":"${'r'.repeat(n)}"}`),
      ),
      contentType: fc.constantFrom(
        'application/json',
        'application/json; charset=latin1',
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data',
        'application/vnd.api+json',
        '',
      ),
    }),
    fc.record(
      { none: fc.constant(true as const), contentType: fc.constantFrom('application/json', '') },
      { requiredKeys: ['none'] },
    ),
  );

/** One request to the API: the route's path (ids filled in by the runner), its body, and whether it carries the token. */
export interface ApiRequest {
  method: string;
  path: string;
  body: RequestBody;
  token: 'write' | 'read' | 'none' | 'wrong';
  /** For POST /-/reload: edits to the running alerts.yaml and escalation.yaml before the call. */
  reload?: TextEdit[];
}

const route = (method: string, path: fc.Arbitrary<string>, body: fc.Arbitrary<RequestBody>) =>
  fc.record({ method: fc.constant(method), path, body }) as fc.Arbitrary<Omit<ApiRequest, 'token'>>;

export const apiRequest: fc.Arbitrary<ApiRequest> = fc
  .tuple(
    fc.oneof(
      { weight: 4, arbitrary: route('POST', fc.constant('/api/v1/silences'), anyBody(silenceBody)) },
      {
        weight: 2,
        arbitrary: route(
          'POST',
          idText.map((id) => `/api/v1/silences/${id}/expire`),
          anyBody(byBody),
        ),
      },
      { weight: 4, arbitrary: route('POST', fc.constant('/api/v1/maintenance'), anyBody(maintenanceBody)) },
      {
        weight: 2,
        arbitrary: route(
          'POST',
          idText.map((id) => `/api/v1/maintenance/${id}/end`),
          anyBody(byBody),
        ),
      },
      {
        weight: 2,
        arbitrary: route(
          'POST',
          idText.map((id) => `/api/v1/alerts/${id}/ack`),
          anyBody(byBody),
        ),
      },
      {
        weight: 2,
        arbitrary: route(
          'POST',
          fc
            .tuple(
              fc.oneof(fc.constant(HEARTBEAT), idText),
              fc.constantFrom('', `/${HEARTBEAT_SECRET}`, '/wrong-secret', '/fail', `/${HEARTBEAT_SECRET}/fail`),
            )
            .map(([name, rest]) => `/api/v1/heartbeats/${name}${rest}`),
          anyBody(fc.string({ maxLength: 40 })),
        ),
      },
      {
        weight: 1,
        arbitrary: route(
          'POST',
          idText.map((t) => `/ack/${t}`),
          anyBody(byBody),
        ),
      },
      {
        weight: 1,
        arbitrary: route(
          'POST',
          fc.constant('/-/login'),
          fc.oneof(
            fc
              .oneof(
                fc.constantFrom('token=fuzz-read-token', 'token=', 'token=%', 'token=a&token=b', 'x=1'),
                fc.string(),
              )
              .map((raw) => ({ raw, contentType: 'application/x-www-form-urlencoded' })),
            anyBody(fc.record({ token: anyJson }, { requiredKeys: [] })),
          ),
        ),
      },
      {
        weight: 1,
        arbitrary: fc
          .tuple(
            fc.constantFrom('PUT', 'PATCH', 'DELETE', 'POST', 'GET'),
            fc.constantFrom('/api/v1/silences', '/api/v1/x', '/-/reload', '/'),
          )
          .chain(([method, path]) => route(method, fc.constant(path), anyBody(anyJson))),
      },
    ),
    fc.oneof(
      { weight: 16, arbitrary: fc.constant('write' as const) },
      fc.constantFrom('read' as const, 'none' as const, 'wrong' as const),
    ),
  )
  .map(([r, token]) => ({ ...r, token }));

/** Well-formed silences and windows (forced or not) whose matcher on a name is a heavy regex. */
export const heavyMatcherRequest: fc.Arbitrary<ApiRequest> = fc
  .tuple(fc.constantFrom('alertname', 'probe'), heavyMatcherValue, fc.boolean(), fc.boolean())
  .map(([label, value, force, window]) => ({
    method: 'POST',
    path: window ? '/api/v1/maintenance' : '/api/v1/silences',
    body: {
      json: window
        ? { probes: ['api_health'], match: { [label]: value }, max: '10m', reason: 'fuzz', force }
        : { matchers: { [label]: value }, for: '10m', by: 'fuzz', reason: 'fuzz', force },
    },
    token: 'write',
  }));

/** A reload with the running config's alerts.yaml and escalation.yaml edited, or left as they are. */
export const reloadRequest: fc.Arbitrary<ApiRequest> = fc
  .tuple(
    fc.option(
      textEdits.map((edits) => edits.filter((e) => e.file !== 'centinela')),
      { freq: 4 },
    ),
    fc.constantFrom('write', 'read'),
  )
  .map(([edits, token]) => ({
    method: 'POST',
    path: '/-/reload',
    body: { none: true },
    token: token as ApiRequest['token'],
    ...(edits ? { reload: edits } : {}),
  }));

/** Requests to the API, reloads among them. */
export const apiInput: fc.Arbitrary<ApiRequest> = fc.oneof(
  { weight: 12, arbitrary: apiRequest },
  reloadRequest,
  heavyMatcherRequest,
);
