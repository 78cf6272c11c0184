// ${VAR} and ${VAR:-default} in configuration values, filled in from the environment on parsed YAML scalars,
// never by text replacement: positions stay true and a value from the environment cannot inject YAML.
import { type Document, isMap, isScalar, isSeq, type Node } from 'yaml';
import type { Finding, PathKey } from './errors.js';

/** The environment as the loader sees it; main.ts passes process.env, tests pass a plain object. */
export type Env = Readonly<Record<string, string | undefined>>;

const REFERENCE = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s;

/**
 * The text with every `${NAME}` / `${NAME:-default}` replaced and `$${` turned into a literal `${`.
 * Like the shell, `:-` also applies when the variable is set but empty. Problems are listed, not thrown;
 * an unresolved reference becomes the empty string so checking can go on.
 */
export function interpolate(text: string, env: Env): { value: string; problems: string[] } {
  const problems: string[] = [];
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
    if (!m || m[2]?.includes('${')) {
      problems.push(
        `"\${${inner}}" is not a variable reference. Write \${NAME} or \${NAME:-default} (a default cannot hold \${ or })`,
      );
      continue;
    }
    const name = m[1] as string;
    const fallback = m[2];
    const set = Object.hasOwn(env, name) ? env[name] : undefined;
    if (fallback !== undefined && (set === undefined || set === '')) value += fallback;
    else if (set !== undefined) value += set;
    else problems.push(`\${${name}} is not set in the environment. Set it or write \${${name}:-default}`);
  }
  return { value, problems };
}

/**
 * Fills in every string scalar of `doc` (values only, never keys) in place — the document is the loader's own,
 * freshly parsed. Returns the problems found and the paths of the values that came from the environment.
 */
export function fillEnv(doc: Document, env: Env): { findings: Finding[]; filled: PathKey[][] } {
  const findings: Finding[] = [];
  const filled: PathKey[][] = [];
  const walk = (node: unknown, path: PathKey[]): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        walk(pair.value, [...path, key]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => {
        walk(item, [...path, index]);
      });
    } else if (isScalar(node) && typeof node.value === 'string' && node.value.includes('$')) {
      const { value, problems } = interpolate(node.value, env);
      if (value !== node.value) filled.push(path);
      node.value = value;
      for (const message of problems) findings.push({ path, message });
    }
  };
  walk(doc.contents as Node | null, []);
  return { findings, filled };
}
