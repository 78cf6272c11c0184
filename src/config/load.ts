// Loads a configuration folder: YAML with positions → ${VAR} from the environment → strict schemas →
// cross-references → whether the state file can be opened where state.path says. Every problem of every file is
// collected and thrown at once as one ConfigError: each stage checks whatever the one before could read, leaving out
// only what an earlier problem makes unreliable.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { postgresPortProblem } from '../postgres-env.js';
import { postgresEnvProblem } from '../postgres-tls.js';
import { coerceFilled, type Env, type Filled, fillEnv, placeFillings } from './env.js';
import { envValuesUnder } from './env-values.js';
import { ConfigError, type ConfigIssue, type Finding, formatPath, isUnder, type PathKey } from './errors.js';
import { checkPublicUrl } from './public-url.js';
import { Quoting } from './quoting.js';
import {
  type CheckedFiles,
  checkReferences,
  type DefinedNames,
  type FileKey,
  type Names,
  withDefaultEscalation,
} from './references.js';
import { alertsFile, type Config, centinelaFile, escalationFile, type PostgresState } from './schema.js';
import { filesRead, listenProblem, postgresFilesProblem, readFileProblem } from './startup.js';
import { statePathProblem } from './state-path.js';
import { validateFile } from './validate.js';
import { type Damage, unreadable, yamlProblems } from './yaml-issues.js';
import { YamlPlaces } from './yaml-places.js';

/**
 * The files of a configuration folder; centinela.yaml may be left out (its defaults apply). `collections` are the
 * fields whose entries are checked one by one, so one broken entry does not hide the others' cross-references.
 */
export const CONFIG_FILES = {
  alerts: {
    name: 'alerts.yaml',
    schema: alertsFile,
    required: true,
    collections: ['probes', 'rules', 'inhibit', 'maintenance', 'sources'],
  },
  escalation: {
    name: 'escalation.yaml',
    schema: escalationFile,
    required: true,
    collections: ['levels', 'contacts', 'channels'],
  },
  centinela: { name: 'centinela.yaml', schema: centinelaFile, required: false, collections: [] },
} as const satisfies Record<
  FileKey,
  { name: string; schema: z.ZodType; required: boolean; collections: readonly string[] }
>;

const KEYS = Object.keys(CONFIG_FILES) as FileKey[];

const NOT_FOUND =
  'not found. centinela reads alerts.yaml and escalation.yaml from the folder given by --config DIR, ' +
  'else CENTINELA_CONFIG, else ./config';

/** Where a configuration comes from: the folder as the operator named it, and the environment for ${VAR}. */
export interface LoadOptions {
  dir: string;
  env: Env;
  /**
   * Also check what `run` meets when it starts (startup.ts): the state file at state.path can be opened,
   * server.listen's host name resolves, the files probes and channels read (tls.ca_file) are there. For `run` and
   * for `check`, which answers for it. The one-shot commands (probe, verify, test, notify-test) neither open the
   * store nor listen, so an operator may run them as another user, or on another host.
   */
  startup?: boolean;
  /**
   * With `startup`, for `check` and `run`'s reloads: tries the PostgreSQL state store of state.url as `run` would
   * reach it, resolving to what failed (a sentence that quotes nothing of the URL), else undefined. `run` reaches it
   * itself at start.
   */
  reach?: (state: PostgresState) => Promise<string | undefined>;
  /**
   * With `startup`: what the state store says of a SQLite state file at schema version `version` (a newer one than
   * it knows: store/migrations.ts newerSchema), else undefined. Given by `check` and `run`, which may use the store.
   */
  newerSchema?: (version: number) => string | undefined;
}

/** Reads and checks the folder; resolves to the whole configuration or rejects with a ConfigError, nothing else. */
export async function loadConfig({ dir, env, startup = false, reach, newerSchema }: LoadOptions): Promise<Config> {
  const texts: Partial<Record<FileKey, string>> = {};
  const unreadable: ConfigIssue[] = [];
  for (const key of KEYS) {
    const file = join(dir, CONFIG_FILES[key].name);
    try {
      texts[key] = await readFile(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' && !CONFIG_FILES[key].required) continue;
      const message = code === 'ENOENT' ? NOT_FOUND : `cannot be read (${code ?? (err as Error).message})`;
      unreadable.push({ file, line: 0, col: 0, path: '', message });
    }
  }
  const built = build(dir, texts, env, unreadable);
  if (startup) {
    for (const issue of await startupProblems(dir, built, env, { reach, newerSchema })) built.issues.push(issue);
  }
  for (const issue of environmentProblems(dir, built, env)) built.issues.push(issue);
  return finish(dir, built);
}

/** The same checks over file contents already in memory (tests, and the files a reload was given). */
export function parseConfig(dir: string, texts: Partial<Record<FileKey, string>>, env: Env): Config {
  return finish(dir, build(dir, texts, env, []));
}

/** One file as read: where its values are written, what YAML could not read, which values did not resolve. */
interface Place {
  file: string;
  nodes: YamlPlaces;
  lines: LineCounter;
  damage: Damage[];
  unresolved: (readonly PathKey[])[];
  /** The values filled in from the environment. */
  filled: readonly Filled[];
  /** What the messages about its values may quote. */
  quoting: Quoting;
}

/** What the files made: every problem so far, the files that passed whole, where each file's values are written. */
interface Built {
  issues: ConfigIssue[];
  complete: Partial<Record<FileKey, unknown>>;
  places: Map<FileKey, Place>;
}

function build(dir: string, texts: Partial<Record<FileKey, string>>, env: Env, issues: ConfigIssue[]): Built {
  const checked: Record<string, unknown> = {};
  const complete: Partial<Record<FileKey, unknown>> = {};
  const names: Record<string, Names> = {};
  const places = new Map<FileKey, Place>();
  for (const key of KEYS) {
    const { name, schema, required, collections } = CONFIG_FILES[key];
    const file = join(dir, name);
    const text = texts[key];
    if (text === undefined) {
      if (required && !issues.some((i) => i.file === file)) {
        issues.push({ file, line: 0, col: 0, path: '', message: NOT_FOUND });
      }
      if (!required) checked[key] = complete[key] = centinelaFile.parse({});
      continue;
    }
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false, merge: true });
    const yaml = yamlProblems(file, text, doc, lines);
    for (const issue of yaml.issues) issues.push(issue);
    const fillings = fillEnv(doc, env);
    let data: unknown;
    try {
      data = doc.toJS({ maxAliasCount: 1000 }) ?? {};
    } catch (err) {
      const { message, offset } = unreadable(doc, err as Error);
      issues.push({ file, ...lines.linePos(offset), path: '', message });
      continue;
    }
    const nodes = new YamlPlaces(doc);
    const fromEnv = placeFillings(fillings, nodes);
    // An unset ${VAR} is told as such, not also as "empty, not a whole number".
    const resolved = fromEnv.filled.filter((f) => !fromEnv.unresolved.some((u) => isUnder(f.path, u)));
    const coerced = coerceFilled(data, resolved, schema, env);
    const envFindings = [...fromEnv.findings, ...coerced];
    // A problem at a value whose ${VAR} did not resolve is that one problem, not a second one about what was left.
    const unresolved = [...fromEnv.unresolved, ...coerced.map((f) => f.path)];
    const quoting = new Quoting(schema, data, fromEnv.filled);
    const place: Place = { file, nodes, lines, damage: yaml.damage, unresolved, filled: fromEnv.filled, quoting };
    places.set(key, place);
    const result = validateFile(schema, collections, data, quoting);
    for (const f of envFindings) if (!damaged(place, f)) issues.push(position(place, f));
    for (const f of result.findings) if (!stale(place, f)) issues.push(position(place, f));
    checked[key] = result.value;
    names[key] = knownNames(place, result.names);
    if (result.complete) complete[key] = result.value;
  }

  // Each file's value was built by its schema (entry by entry when it failed), so it has the checked shape.
  const files = checked as CheckedFiles;
  // Every file checked has its place: a file is checked only once it was read.
  const quoting = (key: FileKey) => (places.get(key) as Place).quoting;
  const links =
    files.escalation && files.centinela
      ? checkPublicUrl(files.escalation, files.centinela, () => quoting('centinela'))
      : [];
  for (const finding of [...checkReferences(files, quoting, names as DefinedNames), ...links]) {
    const place = places.get(finding.file);
    if (place && !stale(place, finding)) issues.push(position(place, finding));
  }
  return { issues, complete, places };
}

/**
 * The configuration the files make, or a ConfigError with every problem found. Each probe, rule, channel and contact knows
 * which of its values came from the environment, so that its reasons name them by key (env-values.ts).
 */
function finish(dir: string, { issues, complete, places }: Built): Config {
  if (issues.length > 0) throw new ConfigError(issues);
  const { alerts, escalation, centinela } = complete as Partial<Pick<Config, FileKey>>;
  if (!alerts || !escalation || !centinela) throw new ConfigError(issues); // unreachable: a file that failed left an issue
  const withEnv = <T extends object>(key: FileKey, value: T, under: PathKey[]): T => {
    const fromEnv = envValuesUnder(places.get(key)?.filled ?? [], under);
    return fromEnv.length > 0 ? { ...value, fromEnv } : value;
  };
  const probes = alerts.probes.map((probe, i) => withEnv('alerts', probe, ['probes', i]));
  const rules = alerts.rules.map((rule, i) => withEnv('alerts', rule, ['rules', i]));
  const channels = Object.fromEntries(
    Object.entries(escalation.channels).map(([name, c]) => [name, withEnv('escalation', c, ['channels', name])]),
  );
  const contacts = Object.fromEntries(
    Object.entries(escalation.contacts).map(([name, c]) => [name, withEnv('escalation', c, ['contacts', name])]),
  );
  const fileEnv = (key: FileKey) => envValuesUnder(places.get(key)?.filled ?? [], []);
  return {
    dir,
    alerts: { ...alerts, probes, rules },
    escalation: withDefaultEscalation({ ...escalation, channels, contacts }),
    centinela,
    fromEnv: { alerts: fileEnv('alerts'), escalation: fileEnv('escalation'), centinela: fileEnv('centinela') },
  };
}

/**
 * The problems `run` would meet starting with the files that passed whole, each placed where its value is written:
 * the state store (its SQLite file, or with `reach` its PostgreSQL database), the listen address, the files read.
 */
async function startupProblems(
  dir: string,
  { complete, places }: Built,
  env: Env,
  { reach, newerSchema }: Pick<LoadOptions, 'reach' | 'newerSchema'>,
): Promise<ConfigIssue[]> {
  const out: ConfigIssue[] = [];
  const at = placer(dir, places, out);
  // A file with problems of its own is not checked further: its values are in doubt.
  const centinela = complete.centinela as Config['centinela'] | undefined;
  if (centinela) {
    const { state, server } = centinela;
    if (state.kind === 'postgres') {
      // The URL is a secret: what failed is told without it. What it is made of is looked at before connecting.
      const url = state.url.reveal();
      const problem = postgresFilesProblem(url) ?? postgresUrlEnvProblem(url, env);
      if (problem) at('centinela', ['state', 'url'], problem, url);
      else at('centinela', ['state', 'url'], await reach?.(state));
    } else at('centinela', ['state', 'path'], statePathProblem(state.path, newerSchema), state.path);
    const listen = `${server.listen.host}:${server.listen.port}`;
    at('centinela', ['server', 'listen'], await listenProblem(server.listen), listen);
  }
  for (const key of ['alerts', 'escalation'] as const) {
    for (const file of filesRead(complete[key])) at(key, file.at, readFileProblem(file), file.path);
  }
  const alerts = complete.alerts as Config['alerts'] | undefined;
  alerts?.probes.forEach((probe, i) => {
    if (probe.kind !== 'postgres') return;
    const url = probe.url.reveal();
    at('alerts', ['probes', i, 'url'], postgresFilesProblem(url), url);
  });
  return out;
}

/**
 * What in `env` keeps a postgres probe's url from connecting as written, for every command that runs probes (the
 * one-shot ones too: node-postgres reads the environment wherever it runs): libpq's TLS variables that a URL without
 * sslmode would leave unencrypted, a PGPORT that is not a port where the URL has none.
 */
function environmentProblems(dir: string, { complete, places }: Built, env: Env): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  const at = placer(dir, places, out);
  const alerts = complete.alerts as Config['alerts'] | undefined;
  alerts?.probes.forEach((probe, i) => {
    if (probe.kind !== 'postgres') return;
    const url = probe.url.reveal();
    // With a tls block, the URL has no sslmode and the block says how to connect.
    const problem = (probe.tls ? undefined : postgresEnvProblem(url, env)) ?? postgresPortProblem(url, env);
    at('alerts', ['probes', i, 'url'], problem, url);
  });
  return out;
}

/** What in `env` keeps the PostgreSQL URL `url` from connecting as written (TLS variables, PGPORT). */
function postgresUrlEnvProblem(url: string, env: Env): string | undefined {
  return postgresEnvProblem(url, env) ?? postgresPortProblem(url, env);
}

/**
 * A function that adds to `out` a `problem` about the value at `path` of a file, after the value as it may be quoted
 * (with `value` left out, on its own), placed where the value is written.
 */
function placer(dir: string, places: Built['places'], out: ConfigIssue[]) {
  return (key: FileKey, path: PathKey[], problem: string | undefined, value?: string) => {
    if (problem === undefined) return;
    const place = places.get(key);
    if (!place) {
      // centinela.yaml left out: the problem is with a default, which may be quoted.
      const file = join(dir, CONFIG_FILES[key].name);
      const message = value === undefined ? problem : `the default ${JSON.stringify(value)} ${problem}`;
      out.push({ file, line: 0, col: 0, path: formatPath(path), message });
      return;
    }
    const message = value === undefined ? problem : `${place.quoting.subject(value, path)} ${problem}`;
    const finding = { path, message };
    if (!stale(place, finding)) out.push(position(place, finding));
  };
}

/** A finding about a value that did not resolve from the environment, or that YAML may have misread. */
function stale(place: Place, finding: Finding): boolean {
  const path = finding.at ?? finding.path;
  return place.unresolved.some((u) => isUnder(path, u)) || damaged(place, finding);
}

/** True when a YAML error makes the value the finding is about unreliable. */
function damaged(place: Place, finding: Finding): boolean {
  const path = finding.at ?? finding.path;
  const end = place.nodes.span(path, finding.atKey ?? false)[1];
  return place.damage.some((d) => ('from' in d ? end > d.from || path[0] === d.field : isUnder(path, d.under)));
}

/**
 * The names of the collections YAML read in full. Past a structural error a collection may have lost entries
 * (swallowed by an unclosed quote, say), and names lost with them must not turn into "no probe X".
 */
function knownNames(place: Place, names: Names): Names {
  const out: Names = {};
  for (const [field, list] of Object.entries(names)) {
    const end = place.nodes.span([field], false)[1];
    // A duplicate or mistagged key above an entry's name, or the name itself, leaves the names in doubt too.
    const atNames = (u: readonly PathKey[]) =>
      u.length === 0 || (u[0] === field && (u.length <= 2 || (u.length === 3 && u[2] === 'name')));
    if (!place.damage.some((d) => ('from' in d ? end > d.from || field === d.field : atNames(d.under)))) {
      out[field] = list;
    }
  }
  return out;
}

function position(place: Place, finding: Finding): ConfigIssue {
  const { line, col } = place.lines.linePos(place.nodes.span(finding.at ?? finding.path, finding.atKey ?? false)[0]);
  return { file: place.file, line, col, path: formatPath(finding.path), message: finding.message };
}
