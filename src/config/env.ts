// ${VAR}, ${VAR:-default} and ${VAR:?what to set} in configuration values, filled in from the environment on parsed
// YAML scalars, never by text replacement: positions stay true and a value from the environment cannot inject YAML. A
// value that is one whole ${VAR} becomes a number or true/false where the schema wants one.
import { type Document, isMap, isScalar, isSeq, type Node } from 'yaml';
import { z } from 'zod';
import type { Finding, PathKey } from './errors.js';
import { numberWords, resolve, schemaAt, valueAt } from './schema-walk.js';
import type { YamlPlaces } from './yaml-places.js';

/** The environment as the loader sees it; main.ts passes process.env, tests pass a plain object. */
export type Env = Readonly<Record<string, string | undefined>>;

const REFERENCE = /^([A-Za-z_][A-Za-z0-9_]*)(?::([-?])(.*))?$/s;

/**
 * The text with every `${NAME}` / `${NAME:-default}` / `${NAME:?hint}` replaced and `$${` turned into a literal `${`.
 * Like the shell, `:-` also applies when the variable is set but empty, and `:?` refuses an empty value as an unset
 * one, with the hint (written in the file) as the fix. Problems are listed, not thrown; an unresolved reference
 * becomes the empty string so checking can go on.
 */
export function interpolate(text: string, env: Env): { value: string; problems: string[]; vars: string[] } {
  const problems: string[] = [];
  const vars: string[] = [];
  let value = '';
  let i = 0;
  while (i < text.length) {
    const dollar = text.indexOf('$', i);
    if (dollar === -1) {
      value += text.slice(i);
      break;
    }
    value += text.slice(i, dollar);
    if (text.startsWith('$${', dollar)) {
      value += '${';
      i = dollar + 3;
      continue;
    }
    if (!text.startsWith('${', dollar)) {
      value += '$';
      i = dollar + 1;
      continue;
    }
    const close = text.indexOf('}', dollar + 2);
    if (close === -1) {
      problems.push(
        `"${text.slice(dollar)}" has no closing }. Write \${NAME} or \${NAME:-default}, or $\${ for a literal \${`,
      );
      break;
    }
    const inner = text.slice(dollar + 2, close);
    i = close + 1;
    const m = REFERENCE.exec(inner);
    if (!m || m[3]?.includes('${')) {
      problems.push(
        `"\${${inner}}" is not a variable reference. Write \${NAME}, \${NAME:-default} or \${NAME:?hint} (a default or hint cannot hold \${ or })`,
      );
      continue;
    }
    const name = m[1] as string;
    const [, , operator, word] = m;
    vars.push(name);
    const set = Object.hasOwn(env, name) ? env[name] : undefined;
    const empty = set === undefined || set === '';
    if (operator === '-' && empty) value += word;
    else if (operator === '?' && empty)
      problems.push(`\${${name}} is not set in the environment${word ? `: ${word}` : '. Set it'}`);
    else if (set !== undefined) value += set;
    else problems.push(`\${${name}} is not set in the environment. Set it or write \${${name}:-default}`);
  }
  return { value, problems, vars };
}

/** A value that came from the environment: where it is, the variables it was filled from, its text in the file. */
export interface Filled {
  path: PathKey[];
  vars: string[];
  source: string;
}

/** A scalar filled in from the environment: the variables it names, its text in the file, what did not resolve. */
interface Filling {
  vars: string[];
  source: string;
  problems: string[];
}

/**
 * Fills in every string scalar of `doc` (values only, never keys) in place — the document is the loader's own,
 * freshly parsed — and returns what each scalar that named a variable was filled from. `placeFillings` tells where
 * they land in the data.
 */
export function fillEnv(doc: Document, env: Env): Map<Node, Filling> {
  const fillings = new Map<Node, Filling>();
  const walk = (node: unknown): void => {
    if (isMap(node)) {
      for (const pair of node.items) walk(pair.value);
    } else if (isSeq(node)) {
      for (const item of node.items) walk(item);
    } else if (isScalar(node) && typeof node.value === 'string' && node.value.includes('$')) {
      const { value, problems, vars } = interpolate(node.value, env);
      if (vars.length > 0 || problems.length > 0) fillings.set(node, { vars, source: node.value, problems });
      node.value = value;
    }
  };
  walk(doc.contents);
  return fillings;
}

/**
 * The filled values at every data path they land on, through aliases and merges, and a finding per problem at the
 * path where its scalar is written. For a document toJS could read.
 */
export function placeFillings(
  fillings: ReadonlyMap<Node, Filling>,
  places: YamlPlaces,
): { findings: Finding[]; filled: Filled[]; unresolved: PathKey[][] } {
  const findings: Finding[] = [];
  const filled: Filled[] = [];
  const unresolved: PathKey[][] = [];
  for (const [node, paths] of places.pathsOf(new Set(fillings.keys()))) {
    const { vars, source, problems } = fillings.get(node) as Filling;
    const [written] = paths as [PathKey[]];
    for (const message of problems) findings.push({ path: written, message });
    if (problems.length > 0) for (const path of paths) unresolved.push(path);
    if (vars.length > 0) for (const path of paths) filled.push({ path, vars, source });
  }
  return { findings, filled, unresolved };
}

const WHOLE = /^\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([-?])([^}]*))?\}$/;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const BOOLEAN: Readonly<Record<string, boolean>> = {
  true: true,
  True: true,
  TRUE: true,
  false: false,
  False: false,
  FALSE: false,
};

/**
 * Where `root` wants a number or true/false and the file wrote one whole `${VAR}` (`port: ${SMTP_PORT:-587}`),
 * turns the filled-in text of `data` into that type in place, as YAML would have read it from the file. Text that
 * is not one gives a finding; a value from the environment is never quoted in it, a default from the file is.
 */
export function coerceFilled(data: unknown, filled: readonly Filled[], root: z.ZodType, env: Env): Finding[] {
  const findings: Finding[] = [];
  for (const { path, source } of filled) {
    const whole = WHOLE.exec(source);
    const parent = valueAt(data, path.slice(0, -1));
    const key = path.at(-1);
    if (!whole || key === undefined || parent === null || typeof parent !== 'object') continue;
    const text = (parent as Record<PathKey, unknown>)[key];
    const want = resolve(schemaAt(root, path, data), text);
    if (typeof text !== 'string' || !(want instanceof z.ZodNumber || want instanceof z.ZodBoolean)) continue;
    const value = want instanceof z.ZodNumber ? (NUMBER.test(text.trim()) ? Number(text) : undefined) : BOOLEAN[text];
    if (value !== undefined) {
      (parent as Record<PathKey, unknown>)[key] = value;
      continue;
    }
    const name = whole[1] as string;
    const kind = want instanceof z.ZodNumber ? (want.isInt ? 'a whole number' : 'a number') : 'true or false';
    const what = want instanceof z.ZodNumber ? numberWords(want) : 'true or false';
    const set = Object.hasOwn(env, name) ? env[name] : undefined;
    let message: string;
    if (whole[2] === '-' && (set === undefined || set === '')) {
      message = `${source}: the default ${JSON.stringify(text)} is not ${kind}. Write ${what} after :-`;
    } else if (text === '') {
      message = `\${${name}} is empty, not ${kind}. Set ${name} to ${what}`;
    } else {
      message = `\${${name}} is not ${kind}. Set ${name} to ${what} (its value is not shown: it comes from the environment)`;
    }
    findings.push({ path, message });
  }
  return findings;
}
