// Loads a configuration folder: YAML with positions → ${VAR} from the environment → strict schemas →
// cross-references. Every problem of every file is collected and thrown at once as one ConfigError.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Document, isMap, isScalar, isSeq, LineCounter, parseDocument, type YAMLError } from 'yaml';
import type { z } from 'zod';
import { type Env, fillEnv } from './env.js';
import { ConfigError, type ConfigIssue, type Finding, formatPath, type PathKey } from './errors.js';
import { type CheckedFiles, checkReferences, type FileKey, withDefaultEscalation } from './references.js';
import { alertsFile, type Config, centinelaFile, escalationFile } from './schema.js';
import { defaultMessages, describeIssues } from './schema-issues.js';

/** The files of a configuration folder; centinela.yaml may be left out (its defaults apply). */
export const CONFIG_FILES = {
  alerts: { name: 'alerts.yaml', schema: alertsFile, required: true },
  escalation: { name: 'escalation.yaml', schema: escalationFile, required: true },
  centinela: { name: 'centinela.yaml', schema: centinelaFile, required: false },
} as const satisfies Record<FileKey, { name: string; schema: z.ZodType; required: boolean }>;

const KEYS = Object.keys(CONFIG_FILES) as FileKey[];

const NOT_FOUND =
  'not found. centinela reads alerts.yaml and escalation.yaml from the folder given by --config DIR, ' +
  'else CENTINELA_CONFIG, else ./config';

/** Where a configuration comes from: the folder as the operator named it, and the environment for ${VAR}. */
export interface LoadOptions {
  dir: string;
  env: Env;
}

/** Reads and checks the folder; resolves to the whole configuration or rejects with a ConfigError, nothing else. */
export async function loadConfig({ dir, env }: LoadOptions): Promise<Config> {
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
  return build(dir, texts, env, unreadable);
}

/** The same checks over file contents already in memory (tests, and the files a reload was given). */
export function parseConfig(dir: string, texts: Partial<Record<FileKey, string>>, env: Env): Config {
  return build(dir, texts, env, []);
}

function build(dir: string, texts: Partial<Record<FileKey, string>>, env: Env, issues: ConfigIssue[]): Config {
  const parsed: CheckedFiles = {};
  const places = new Map<FileKey, { file: string; doc: Document; lines: LineCounter }>();
  const envPaths = new Map<FileKey, (readonly PathKey[])[]>();
  for (const key of KEYS) {
    const { name, schema, required } = CONFIG_FILES[key];
    const file = join(dir, name);
    const text = texts[key];
    if (text === undefined) {
      if (required && !issues.some((i) => i.file === file)) {
        issues.push({ file, line: 0, col: 0, path: '', message: NOT_FOUND });
      }
      if (!required) parsed.centinela = centinelaFile.parse({});
      continue;
    }
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false, merge: true });
    places.set(key, { file, doc, lines });
    // An unknown tag is only a warning to yaml, but `status: !=200` would silently become `status: "200"`.
    const broken = [...doc.errors, ...doc.warnings.filter((w) => w.code === 'TAG_RESOLVE_FAILED')];
    if (broken.length > 0) {
      const seen = new Set<number>(); // one mistake often yields several errors at the same place
      for (const error of broken) {
        if (!seen.has(error.pos[0])) issues.push(yamlIssue(file, text, doc, lines, error));
        seen.add(error.pos[0]);
      }
      continue;
    }
    const fromEnv = fillEnv(doc, env);
    const unresolved = fromEnv.findings.map((f) => f.path);
    envPaths.set(key, unresolved);
    const place = (f: Finding) => position(file, doc, lines, f);
    issues.push(...fromEnv.findings.map(place));
    let data: unknown;
    try {
      data = doc.toJS({ maxAliasCount: 1000 }) ?? {};
    } catch (err) {
      issues.push({ file, line: 1, col: 1, path: '', message: `cannot be read: ${(err as Error).message}` });
      continue;
    }
    const result = schema.safeParse(data, { error: defaultMessages });
    if (result.success) {
      (parsed as Record<FileKey, unknown>)[key] = result.data;
    } else {
      const findings = describeIssues(result.error.issues, schema, data, fromEnv.filled);
      issues.push(...findings.filter((f) => !under(f, unresolved)).map(place));
    }
  }

  for (const finding of checkReferences(parsed)) {
    const at = places.get(finding.file);
    if (at && !under(finding, envPaths.get(finding.file) ?? []))
      issues.push(position(at.file, at.doc, at.lines, finding));
  }
  if (issues.length > 0) throw new ConfigError(issues);
  const { alerts, escalation, centinela } = parsed;
  if (!alerts || !escalation || !centinela) throw new ConfigError(issues); // unreachable: a file that failed left an issue
  return { dir, alerts, escalation: withDefaultEscalation(escalation), centinela };
}

/** A problem at a value whose ${VAR} did not resolve is that one problem, not a second one about the blank left. */
function under(finding: Finding, unresolved: readonly (readonly PathKey[])[]): boolean {
  const path = finding.at ?? finding.path;
  return unresolved.some((u) => u.length <= path.length && u.every((k, i) => k === path[i]));
}

function position(file: string, doc: Document, lines: LineCounter, finding: Finding): ConfigIssue {
  const offset = offsetOf(doc, finding.at ?? finding.path, finding.atKey ?? false);
  const { line, col } = lines.linePos(offset);
  return { file, line, col, path: formatPath(finding.path), message: finding.message };
}

/** Where the node at `path` starts (its key when `atKey`), or the nearest ancestor that exists in the text. */
function offsetOf(doc: Document, path: readonly PathKey[], atKey: boolean): number {
  if (atKey && path.length > 0) {
    const map = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true);
    if (isMap(map)) {
      const pair = map.items.find((p) => isScalar(p.key) && String(p.key.value) === String(path.at(-1)));
      const range = isScalar(pair?.key) ? pair.key.range : undefined;
      if (range) return range[0];
    }
  }
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
    if (range) return range[0];
  }
  return 0;
}

function yamlIssue(file: string, text: string, doc: Document, lines: LineCounter, error: YAMLError): ConfigIssue {
  let { line, col } = lines.linePos(error.pos[0]);
  const at = (message: string, path: PathKey[] = []) => ({ file, line, col, path: formatPath(path), message });
  switch (error.code) {
    case 'DUPLICATE_KEY': {
      const where = keyAt(doc, error.pos[0]);
      return at(`key ${where ? `"${String(where.key)}" ` : ''}appears twice. Keep one`, where?.path);
    }
    case 'MULTIPLE_DOCS':
      return at('holds more than one YAML document (---). Keep one');
    case 'TAG_RESOLVE_FAILED':
      return at(`YAML: ${error.message}. A value starting with ! is a YAML tag; quote it, e.g. "!=200"`);
    case 'TAB_AS_INDENT':
      return at('YAML: tabs are not allowed as indentation. Indent with spaces');
    case 'BLOCK_AS_IMPLICIT_KEY':
    case 'MULTILINE_IMPLICIT_KEY':
      return at(
        'YAML: a key: value is not allowed here. Check the indentation of this line and the next, or quote a value that holds ": "',
      );
    case 'MISSING_CHAR': {
      // yaml reports an unclosed quote at the end of the text; point at the line that opened it instead.
      const quote = /closing (["'])/.exec(error.message)?.[1];
      if (quote) {
        const opened = openingQuoteLine(text, quote, line);
        if (opened !== undefined) ({ line, col } = opened);
        return at(`YAML: a value opened with ${quote} is never closed. Add the closing ${quote}`);
      }
      return at(`YAML: ${error.message}`);
    }
    default:
      return at(`YAML: ${error.message}`);
  }
}

/** The last line at or before `before` holding an odd number of `quote` characters, and the column of its last one. */
function openingQuoteLine(text: string, quote: string, before: number): { line: number; col: number } | undefined {
  const all = text.split('\n');
  for (let n = Math.min(before, all.length) - 1; n >= 0; n--) {
    const content = all[n] ?? '';
    if (content.split(quote).length % 2 === 0) return { line: n + 1, col: content.lastIndexOf(quote) + 1 };
  }
  return undefined;
}

/** The map path and key whose key node starts at `offset` (where yaml reports a duplicate key). */
function keyAt(doc: Document, offset: number): { path: PathKey[]; key: unknown } | undefined {
  const walk = (node: unknown, path: PathKey[]): { path: PathKey[]; key: unknown } | undefined => {
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? pair.key.value : pair.key;
        if (isScalar(pair.key) && pair.key.range?.[0] === offset) return { path, key };
        const found = walk(pair.value, [...path, String(key)]);
        if (found) return found;
      }
    } else if (isSeq(node)) {
      for (const [i, item] of node.items.entries()) {
        const found = walk(item, [...path, i]);
        if (found) return found;
      }
    }
    return undefined;
  };
  return walk(doc.contents, []);
}
