// What the fuzz suites run their inputs through, and what must hold for every input: the property tests
// (test/**/*.property.test.ts, a few hundred runs) and bench/fuzz.ts (a million) share these targets.
//
// The property, whatever the input: the code returns a result or a clear, typed error (an ExpositionError naming
// its line, a probe result with its reason, a ConfigError with positions, a 4xx with a JSON error), never throws
// anything else, never emits a Node warning and never quotes a value from the environment. Hangs are the runner's
// to catch: a check that never settles is one.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type fc from 'fast-check';
import { parse, stringify } from 'yaml';
import { FakeClock } from '../../src/clock.js';
import { ConfigError } from '../../src/config/errors.js';
import { parseConfig } from '../../src/config/load.js';
import type { ProbeConfig } from '../../src/config/probes.js';
import type { FileKey } from '../../src/config/references.js';
import { ExpositionError, type ExpositionSample, parseExposition } from '../../src/probes/exposition.js';
import http from '../../src/probes/http.js';
import metrics from '../../src/probes/metrics.js';
import type { ProbeKind, ProbeResult } from '../../src/probes/probe.js';
import wsStats from '../../src/probes/ws-stats.js';
import { API_ERRORS } from '../../src/server/errors.js';
import { startDaemon, startWorld, WRITE_TOKEN } from './daemon.js';
import {
  type ApiRequest,
  apiInput,
  applyEdits,
  type ConfigInput,
  configInput,
  type ExpositionInput,
  exposition,
  FIRST_ALERT,
  HEARTBEAT,
  HEARTBEAT_SECRET,
  type HttpJsonInput,
  httpJsonBodies,
  type JsonBodyInput,
  LAST_SILENCE,
  LAST_WINDOW,
  type MetricsScrapeInput,
  metricsScrapes,
  paths,
  setAt,
  showsMarked,
  wsStatsBodies,
} from './fuzz-generators.js';
import { type HttpTarget, startHttpTarget } from './http-target.js';
import { warningsDuring } from './node-warnings.js';
import { makeTestProbe, type TestProbe } from './probe-runs.js';
import { SHIPPED_ENV } from './shipped-env.js';

/** A broken property: what the code did with an input that it must not do. */
export class FuzzViolation extends Error {
  override readonly name = 'FuzzViolation';
}

/**
 * A started target: `check` resolves when the input was handled as it must be, with a word for what became of it
 * (the bench counts them, to show where the inputs went), or rejects with why not.
 */
export interface FuzzRun<T> {
  check(input: T): Promise<string>;
  close(): Promise<void>;
}

/** One fuzz target: its inputs and how to start what runs them. */
export interface FuzzTarget<T> {
  name: string;
  arbitrary: fc.Arbitrary<T>;
  start(): Promise<FuzzRun<T>>;
}

/** How an unexpected throw reads: its class and message, cut short. */
export function describeThrow(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message.slice(0, 300)}`;
  return `a non-error value: ${String(err).slice(0, 300)}`;
}

function violation(condition: unknown, message: () => string): void {
  if (!condition) throw new FuzzViolation(message());
}

// ---------------------------------------------------------------------------------------------------------------
// The exposition parser.

type Parsed =
  | { ok: true; samples: [ExpositionSample, number][]; types: [string, string][]; lines: number; samplesCount: number }
  | { ok: false; line: number; message: string };

async function parseWhole(
  chunks: readonly Uint8Array[],
  input: ExpositionInput,
  select?: (name: string) => boolean,
): Promise<Parsed> {
  const samples: [ExpositionSample, number][] = [];
  const types: [string, string][] = [];
  try {
    const summary = await parseExposition(
      (async function* () {
        yield* chunks;
      })(),
      {
        ...(select ? { select } : {}),
        sample: (s, line) => samples.push([s, line]),
        type: (family, type) => types.push([family, type]),
      },
      { openMetrics: input.openMetrics, ...(input.maxLineLength ? { maxLineLength: input.maxLineLength } : {}) },
    );
    return { ok: true, samples, types, lines: summary.lines, samplesCount: summary.samples };
  } catch (err) {
    if (!(err instanceof ExpositionError)) throw new FuzzViolation(`parseExposition threw ${describeThrow(err)}`);
    return { ok: false, line: err.line, message: err.message };
  }
}

/** Which names the select() of the second parse keeps: a fixed half, so the property can say what must come out. */
const keptHalf = (name: string) => name.length % 2 === 0;

/**
 * The parser: an ExpositionError with a line inside the body or samples well formed; the same outcome whatever the
 * chunk boundaries; with select() keeping half the names, exactly those samples (when the whole body parses), or
 * an error no earlier than the whole parse's.
 */
export const expositionTarget: FuzzTarget<ExpositionInput> = {
  name: 'exposition',
  arbitrary: exposition,
  async start() {
    return {
      async check(input) {
        const whole = Buffer.concat(input.chunks);
        const lineCount = whole.toString('latin1').split('\n').length;
        const cut = await parseWhole(input.chunks, input);
        if (!cut.ok) {
          violation(
            cut.line >= 1 && cut.line <= lineCount,
            () => `error on line ${cut.line} of ${lineCount}: ${cut.message}`,
          );
          violation(cut.message.startsWith(`line ${cut.line}: `) && cut.message.length > 10, () => cut.message);
        } else {
          violation(cut.samplesCount === cut.samples.length, () => 'the summary counts other samples than were handed');
          for (const [s] of cut.samples) {
            violation(
              typeof s.name === 'string' && s.name.length > 0,
              () => `a sample without a name: ${JSON.stringify(s)}`,
            );
            violation(typeof s.value === 'number', () => `a sample value that is not a number: ${String(s.value)}`);
            violation(Object.getPrototypeOf(s.labels) === Object.prototype, () => 'labels with another prototype');
            for (const v of Object.values(s.labels))
              violation(typeof v === 'string', () => 'a label value not a string');
          }
        }
        const one = await parseWhole([whole], input);
        violation(
          isDeepStrictEqual(one, cut),
          () => `one chunk and ${input.chunks.length} chunks differ: ${brief(one)} / ${brief(cut)}`,
        );
        const half = await parseWhole(input.chunks, input, keptHalf);
        if (cut.ok) {
          violation(half.ok, () => `the whole body parses, yet keeping half the names fails: ${brief(half)}`);
          const wanted = cut.samples.filter(([s]) => keptHalf(s.name));
          violation(
            half.ok && isDeepStrictEqual(half.samples, wanted),
            () => 'keeping half the names changes their samples',
          );
        } else if (!half.ok) {
          violation(
            half.line >= cut.line,
            () => `keeping half the names fails earlier: ${half.message} / ${cut.message}`,
          );
        }
        return cut.ok ? 'parsed' : 'refused';
      },
      close: async () => {},
    };
  },
};

function brief(p: Parsed): string {
  return p.ok ? `${p.samples.length} samples, ${p.lines} lines` : p.message.slice(0, 200);
}

// ---------------------------------------------------------------------------------------------------------------
// Probes that read what a target sends.

/** A result of the documented shape: samples with a name and a number (never NaN), or a reason. */
function checkResult(result: ProbeResult, probe: string): void {
  violation(result && typeof result === 'object', () => `${probe} returned ${String(result)}`);
  if (result.up) {
    violation(Array.isArray(result.samples), () => `${probe}: up without samples`);
    for (const s of result.samples) {
      violation(typeof s.name === 'string' && s.name !== '', () => `${probe}: a sample without a name`);
      violation(
        typeof s.value === 'number' && !Number.isNaN(s.value),
        () => `${probe}: sample ${s.name} is ${s.value}`,
      );
    }
    violation(
      result.cannotMeasure === undefined || (typeof result.cannotMeasure === 'string' && result.cannotMeasure !== ''),
      () => `${probe}: an empty cannotMeasure`,
    );
  } else {
    violation(typeof result.reason === 'string' && result.reason !== '', () => `${probe}: down without a reason`);
  }
}

/** Runs `probe`, failing the property when it throws instead of returning a result. */
async function runProbe(run: () => Promise<ProbeResult>, probe: string): Promise<ProbeResult> {
  let result: ProbeResult;
  try {
    result = await run();
  } catch (err) {
    throw new FuzzViolation(`${probe} threw ${describeThrow(err)}`);
  }
  checkResult(result, probe);
  return result;
}

/** What became of a probe run, for the bench's tally. */
const verdict = (r: ProbeResult) => (!r.up ? 'down' : r.cannotMeasure ? 'cannot measure' : 'up');

/** How many probes of distinct configs a target keeps open for the next inputs of the same config. */
const KEPT_PROBES = 32;

/**
 * A loopback target whose one path answers what each input says, and a probe of `kind` with the keys `configOf`
 * gives (parsed by the real schema, on its own fake clock) to run against it. Inputs of one config share a probe,
 * as the runs of a scheduled probe do (its state between runs, its connection): that is also what makes a million
 * inputs affordable. The target forgets each request.
 */
async function probeOnTarget<T, K extends ProbeConfig['kind']>(
  kind: ProbeKind<K>,
  configOf: (url: string, input: T) => Record<string, unknown>,
  runs: (input: T, probe: TestProbe, target: HttpTarget) => Promise<string>,
): Promise<FuzzRun<T>> {
  const target = await startHttpTarget();
  const probes = new Map<string, TestProbe>();
  const probeFor = async (input: T) => {
    const config = configOf(`${target.url}/t`, input);
    const key = JSON.stringify(config);
    let probe = probes.get(key);
    if (!probe) {
      probe = makeTestProbe(kind, config, new FakeClock(Date.UTC(2026, 0, 1)));
      probes.set(key, probe);
      if (probes.size > KEPT_PROBES) {
        const [oldest, evicted] = probes.entries().next().value as [string, TestProbe];
        probes.delete(oldest);
        await evicted.probe.close?.();
      }
    }
    return probe;
  };
  return {
    async check(input) {
      try {
        return await runs(input, await probeFor(input), target);
      } finally {
        target.requests.length = 0;
      }
    },
    async close() {
      for (const p of probes.values()) await p.probe.close?.();
      await target.close();
    },
  };
}

const answer = (r: JsonBodyInput) => ({
  status: r.status,
  body: r.body,
  headers: { 'content-type': 'application/json' },
});

/** The metrics probe over two scrapes of generated bodies, both formats, with items naming what the bodies hold. */
export const metricsTarget: FuzzTarget<MetricsScrapeInput> = {
  name: 'metrics',
  arbitrary: metricsScrapes,
  start: () =>
    probeOnTarget(
      metrics,
      (url, input) => ({ url, window: '5m', ...input.items }),
      async (input, probe, target) => {
        let last = '';
        for (const scrape of input.scrapes) {
          target.route('/t', { body: scrape.body, headers: { 'content-type': scrape.contentType } });
          const result = await runProbe(() => probe.run(), 'metrics probe');
          last = verdict(result);
          const twice = await repeatedSeries(input, scrape);
          violation(
            twice === undefined || (result.up && result.cannotMeasure?.includes('twice')),
            () =>
              `metrics probe: the series ${twice} is in the scrape twice, yet ${JSON.stringify(result).slice(0, 300)}`,
          );
          await probe.clock.advance(15_000);
        }
        return last;
      },
    ),
};

/**
 * A series the probe reads (by the sample names its items select) that a scrape holds twice, when the body parses
 * as a whole: Prometheus refuses such a scrape, and so must the probe.
 */
async function repeatedSeries(
  input: MetricsScrapeInput,
  scrape: MetricsScrapeInput['scrapes'][number],
): Promise<string | undefined> {
  const read = new Set([
    ...input.items.histograms.map((h) => `${h.metric}_bucket`),
    ...input.items.rates.map((r) => r.metric),
    ...input.items.gauges.map((g) => g.metric),
  ]);
  const seen = new Set<string>();
  let twice: string | undefined;
  const parsed = await parseWhole([scrape.body], {
    chunks: [],
    openMetrics: scrape.contentType.startsWith('application/openmetrics-text'),
  });
  if (!parsed.ok) return undefined;
  for (const [s] of parsed.samples) {
    if (!read.has(s.name)) continue;
    const key = `${s.name}${JSON.stringify(Object.entries(s.labels).sort(([a], [b]) => (a < b ? -1 : 1)))}`;
    if (seen.has(key)) twice ??= key;
    seen.add(key);
  }
  return twice;
}

/** The ws_stats probe over one or two answers: never a throw; counts and ages are numbers ≥ 0, never guessed. */
export const wsStatsTarget: FuzzTarget<JsonBodyInput[]> = {
  name: 'ws_stats',
  arbitrary: wsStatsBodies,
  start: () =>
    probeOnTarget(
      wsStats,
      (url) => ({ url }),
      async (answers, probe, target) => {
        let last = '';
        for (const a of answers) {
          target.route('/t', answer(a));
          const result = await runProbe(() => probe.run(), 'ws_stats probe');
          last = verdict(result);
          if (result.up) {
            for (const s of result.samples) {
              violation(Number.isFinite(s.value) && s.value >= 0, () => `ws_stats: sample ${s.name} is ${s.value}`);
            }
            // A time gives an age, and so does null (no broadcast yet: counted from the last one seen or the first
            // run that found none); a value of any other type never does.
            const seen = parseObject(a.body)?.last_broadcast_at;
            violation(
              typeof seen === 'string' ||
                seen === null ||
                !result.samples.some((s) => s.name === 'seconds_since_last_broadcast'),
              () => `ws_stats: an age from last_broadcast_at ${JSON.stringify(seen)}`,
            );
          }
          await probe.clock.advance(30_000);
        }
        return last;
      },
    ),
};

/** `text` as a JSON object, or undefined. */
function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The http probe's expect.json against generated bodies: never a throw, and a reason whenever it is down. */
export const httpJsonTarget: FuzzTarget<HttpJsonInput> = {
  name: 'http_json',
  arbitrary: httpJsonBodies,
  start: () =>
    probeOnTarget(
      http,
      (url, input) => ({ url, expect: { status: [200], json: input.expect } }),
      async (input, probe, target) => {
        target.route('/t', answer(input.response));
        return verdict(await runProbe(() => probe.run(), 'http probe'));
      },
    ),
};

// ---------------------------------------------------------------------------------------------------------------
// The configuration loader.

const FILES: FileKey[] = ['alerts', 'escalation', 'centinela'];
const readFiles = (dir: string, optional: boolean) =>
  Object.fromEntries(
    FILES.map((f) => {
      try {
        return [f, readFileSync(join(dir, `${f}.yaml`), 'utf8')];
      } catch (err) {
        if (optional) return [f, ''];
        throw err;
      }
    }),
  ) as Record<FileKey, string>;

/** `alerts` (the small base's data) with `value` as a matcher on alertname at `place`. */
function withMatcher(alerts: unknown, { place, value }: Extract<ConfigInput, { kind: 'matcher' }>): unknown {
  const match = { alertname: value };
  if (place === 'inhibit') return setAt(alerts, ['inhibit'], [{ source: { alertname: 'ApiDown' }, target: match }]);
  if (place === 'maintenance') {
    return setAt(alerts, ['maintenance'], [{ name: 'nightly', cron: '0 2 * * 0', duration: '30m', match }]);
  }
  return setAt(alerts, ['rules', 0, 'match'], match);
}

/** The loader: a configuration or a ConfigError with issues at positions, no Node warning, no marked env value. */
export const configTarget: FuzzTarget<ConfigInput> = {
  name: 'config',
  arbitrary: configInput,
  async start() {
    const shipped = readFiles('config', false);
    // The shipped alerts.yaml (39 kB) takes the loader about 100 ms, test/fixtures/config/every-key 30 ms, the
    // smallest valid files 2 ms: edits, values and ${LEAK} go into the small base beside the shipped centinela.yaml,
    // so that a million inputs take hours, not weeks (test/config/shipped.test.ts checks the shipped files, and
    // env-messages.test.ts puts ${LEAK} in every key of every-key). The environment meets the shipped
    // escalation.yaml, which reads most of it. The shipped centinela.yaml needs SHIPPED_ENV to load at all.
    const valid = readFiles('test/fixtures/config/valid', true);
    const small = { ...valid, centinela: shipped.centinela };
    const smallData = Object.fromEntries(FILES.map((f) => [f, parse(small[f])])) as Record<FileKey, unknown>;
    const smallPaths = Object.fromEntries(FILES.map((f) => [f, paths(smallData[f])])) as Record<
      FileKey,
      (string | number)[][]
    >;
    const at = (file: FileKey, n: number) => smallPaths[file][n % smallPaths[file].length] ?? [];

    const textsOf = (input: ConfigInput): { texts: Partial<Record<FileKey, string>>; env: Record<string, string> } => {
      switch (input.kind) {
        case 'text':
          return { texts: { ...valid, [input.file]: input.text }, env: {} };
        case 'edits':
          return { texts: applyEdits(small, input.edits), env: { ...SHIPPED_ENV } };
        case 'value': {
          const path = at(input.file, input.at);
          return {
            texts: { ...small, [input.file]: stringify(setAt(smallData[input.file], path, input.value)) },
            env: { ...SHIPPED_ENV },
          };
        }
        case 'leak': {
          const text = stringify(setAt(smallData[input.file], at(input.file, input.at), input.reference));
          return { texts: { ...small, [input.file]: text }, env: { ...SHIPPED_ENV, LEAK: input.leak } };
        }
        case 'env':
          return { texts: { ...shipped, alerts: valid.alerts }, env: input.env };
        case 'matcher':
          return {
            texts: { ...small, alerts: stringify(withMatcher(smallData.alerts, input)) },
            env: { ...SHIPPED_ENV },
          };
      }
    };

    return {
      async check(input) {
        const { texts, env } = textsOf(input);
        let error: unknown;
        const warnings = await warningsDuring(async () => {
          try {
            parseConfig('config', texts, env);
          } catch (err) {
            error = err;
          }
        });
        violation(warnings.length === 0, () => `Node warned: ${warnings.join('; ')}`);
        if (error === undefined) return 'loaded';
        if (!(error instanceof ConfigError)) throw new FuzzViolation(`the loader threw ${describeThrow(error)}`);
        const { issues, message } = error;
        violation(issues.length > 0, () => 'a ConfigError without issues');
        for (const i of issues) {
          violation(i.line === 0 || (i.line >= 1 && i.col >= 1), () => `an issue at ${i.line}:${i.col}: ${i.message}`);
          violation(i.message.trim() !== '', () => 'an issue without a message');
        }
        if (env.LEAK !== undefined && showsMarked(env.LEAK) && !Object.values(texts).some((t) => t && showsMarked(t))) {
          violation(!showsMarked(message), () => `a value from the environment is quoted: ${message}`);
        }
        return 'refused';
      },
      close: async () => {},
    };
  },
};

// ---------------------------------------------------------------------------------------------------------------
// The HTTP API, on a real daemon listening on loopback.

/** A heartbeat probe added to the daemon fixture, so that pings reach a probe. */
const HEARTBEAT_PROBE = `
  - name: ${HEARTBEAT}
    kind: heartbeat
    every: 1m
    expect_every: 1d
    secret: ${HEARTBEAT_SECRET}
`;

/** The longest refusal: a few problems, each quoting at most an excerpt of what it is about. */
const ANSWER_MAX = 16_384;

/** Routes that answer HTML to a browser rather than JSON. */
const isPage = (path: string) => path.startsWith('/ack/') || path === '/' || path === '/-/login';

/**
 * Every POST of the API (silences, maintenance windows, acks, heartbeats, reload, the ack-link form) and other
 * methods and paths: never a 5xx; every refusal a JSON error with a documented code, its status and a message
 * (CONFIG_INVALID with its problems) no longer than ANSWER_MAX; no token or environment value in any answer.
 */
export const apiTarget: FuzzTarget<ApiRequest> = {
  name: 'api',
  arbitrary: apiInput,
  async start() {
    const world = await startWorld({ READ_TOKEN: 'fuzz-read-token' });
    const alertsFile = join(world.configDir, 'alerts.yaml');
    const escalationFile = join(world.configDir, 'escalation.yaml');
    const original = {
      alerts: readFileSync(alertsFile, 'utf8').replace(/^probes:\n/m, `probes:${HEARTBEAT_PROBE}`),
      escalation: readFileSync(escalationFile, 'utf8'),
      centinela: '',
    };
    const restore = () => {
      writeFileSync(alertsFile, original.alerts);
      writeFileSync(escalationFile, original.escalation);
    };
    restore();
    const daemon = await startDaemon(world);
    const server = daemon.app.server;
    await server.listen({ host: '127.0.0.1', port: 0 });
    const address = server.server.address();
    const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    // The tokens, and every value the fixture config reads from the environment (a reload's problems must name
    // the variable, never show its value).
    const secrets = Object.values(world.env).filter((v): v is string => typeof v === 'string' && v.length >= 8);
    const tokens = { write: WRITE_TOKEN, read: 'fuzz-read-token', wrong: 'not-the-token' } as const;
    const alerts = (await (
      await fetch(`${base}/api/v1/alerts`, { headers: { authorization: `Bearer ${WRITE_TOKEN}` } })
    ).json()) as {
      alerts: { id: string }[];
    };
    const last = { [LAST_SILENCE]: 'none', [LAST_WINDOW]: 'none', [FIRST_ALERT]: alerts.alerts[0]?.id ?? 'none' };

    const send = async (req: ApiRequest) => {
      const headers: Record<string, string> = {};
      if (req.token !== 'none') headers.authorization = `Bearer ${tokens[req.token]}`;
      let body: string | undefined;
      if ('json' in req.body) {
        headers['content-type'] = 'application/json';
        body = JSON.stringify(req.body.json) ?? 'null';
      } else {
        if (req.body.contentType) headers['content-type'] = req.body.contentType;
        if ('raw' in req.body) body = req.body.raw;
      }
      let path = req.path;
      for (const [placeholder, id] of Object.entries(last)) path = path.replaceAll(placeholder, id);
      const res = await fetch(`${base}${path}`, {
        method: req.method,
        headers,
        redirect: 'manual',
        ...(body === undefined || req.method === 'GET' ? {} : { body }),
      });
      return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text(), path };
    };

    return {
      async check(req) {
        if (req.reload) {
          const edited = applyEdits(original, req.reload);
          writeFileSync(alertsFile, edited.alerts);
          writeFileSync(escalationFile, edited.escalation);
        }
        let res: Awaited<ReturnType<typeof send>>;
        try {
          res = await send(req);
        } finally {
          if (req.reload) restore();
        }
        if (req.reload && res.status === 200) {
          // The edited config runs now: put the fixture back so the next inputs meet the same daemon.
          const back = await send({ method: 'POST', path: '/-/reload', body: { none: true }, token: 'write' });
          violation(
            back.status === 200,
            () => `reloading the fixture back answered ${back.status}: ${back.text.slice(0, 300)}`,
          );
        }
        const what = `${req.method} ${res.path} → ${res.status}`;
        violation(res.status < 500, () => `${what}: ${res.text.slice(0, 500)}`);
        for (const s of secrets)
          violation(!res.text.includes(s), () => `${what} shows a secret or an environment value`);
        if (isPage(res.path) && (res.type.startsWith('text/html') || res.status === 303)) return `${res.status} page`;
        let json: {
          error?: { code?: unknown; message?: unknown; details?: unknown };
          silence?: { id?: string };
          window?: { id?: string };
        };
        try {
          json = JSON.parse(res.text);
        } catch {
          throw new FuzzViolation(`${what} is not JSON: ${res.text.slice(0, 200)}`);
        }
        if (res.status >= 400) {
          // A refusal quotes excerpts: a 20 KB regex once gave a 1.3 MB 422 (issue 13 review r13c, D6).
          violation(res.text.length <= ANSWER_MAX, () => `${what} is ${res.text.length} characters long`);
          const code = String(json.error?.code);
          violation(code in API_ERRORS, () => `${what}: undocumented code ${code}`);
          violation(
            API_ERRORS[code as keyof typeof API_ERRORS]?.status === res.status,
            () => `${what} for code ${code}`,
          );
          violation(
            typeof json.error?.message === 'string' && json.error.message !== '',
            () => `${what} without a message`,
          );
          if (code === 'CONFIG_INVALID') {
            const problems = (json.error?.details as { problems?: unknown } | undefined)?.problems;
            violation(Array.isArray(problems) && problems.length > 0, () => `${what} without its problems`);
          }
        } else if (res.status === 201) {
          if (json.silence?.id) last[LAST_SILENCE] = json.silence.id;
          if (json.window?.id) last[LAST_WINDOW] = json.window.id;
        }
        return `${res.status}${json.error ? ` ${String(json.error.code)}` : ''}`;
      },
      async close() {
        await daemon.close();
        await world.close();
      },
    };
  },
};

/** Every target, by name, in the order the bench runs them. */
export const FUZZ_TARGETS: Record<string, FuzzTarget<never>> = Object.fromEntries(
  [expositionTarget, metricsTarget, wsStatsTarget, httpJsonTarget, configTarget, apiTarget].map((t) => [
    t.name,
    t as unknown as FuzzTarget<never>,
  ]),
);
