// Whatever text it is given, the loader returns a configuration or throws a ConfigError, never anything else.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ConfigError } from '../../src/config/errors.js';
import { parseConfig } from '../../src/config/load.js';
import type { FileKey } from '../../src/config/references.js';
import { VALID } from '../support/config-fixtures.js';
import { SHIPPED_ENV } from '../support/shipped-env.js';

const SHIPPED: Record<FileKey, string> = {
  alerts: readFileSync('config/alerts.yaml', 'utf8'),
  escalation: readFileSync('config/escalation.yaml', 'utf8'),
  centinela: readFileSync('config/centinela.yaml', 'utf8'),
};

/** Runs the loader; fails the property when it throws anything but a ConfigError with issues. */
function loadsOrExplains(texts: Partial<Record<FileKey, string>>, env: Record<string, string> = SHIPPED_ENV): boolean {
  try {
    parseConfig('config', texts, env);
    return true;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    expect(err.issues.length).toBeGreaterThan(0);
    for (const i of err.issues) expect(i.line === 0 || (i.line >= 1 && i.col >= 1)).toBe(true);
    return true;
  }
}

const key = fc.constantFrom<FileKey>('alerts', 'escalation', 'centinela');
const yamlish = fc.stringMatching(/^[a-z0-9 :\-[\]{},"'&*!|>#\n$.%@`~?]{0,200}$/);
const scalar = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom('${UNSET}', '${X:-1}', '5m', 'P5', '__proto__', 'constructor', '=~(', '!=x'),
);
const value = fc.oneof(
  scalar,
  fc.array(scalar, { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), scalar, { maxKeys: 3 }),
);

/** Every path into a parsed YAML value, so a mutation can land anywhere. */
function paths(v: unknown, at: (string | number)[] = []): (string | number)[][] {
  const out = [at];
  if (Array.isArray(v)) for (const [i, x] of v.entries()) out.push(...paths(x, [...at, i]));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...at, k]));
  return out;
}

function setAt(root: unknown, path: (string | number)[], v: unknown): unknown {
  if (path.length === 0) return v;
  const [head, ...rest] = path as [string | number, ...(string | number)[]];
  const copy = Array.isArray(root) ? [...root] : { ...(root as Record<string, unknown>) };
  (copy as Record<string | number, unknown>)[head] = setAt((root as Record<string | number, unknown>)[head], rest, v);
  return copy;
}

describe('the loader never throws anything but ConfigError', () => {
  it('for random YAML-like text in any file', () => {
    fc.assert(
      fc.property(key, yamlish, (k, text) => loadsOrExplains({ ...SHIPPED, [k]: text })),
      { numRuns: 150 },
    );
  });

  it('for random edits of the shipped text: a character deleted, inserted or a line dropped', () => {
    const edit = fc.record({
      file: key,
      at: fc.nat(),
      kind: fc.constantFrom('delete', 'insert', 'drop-line'),
      char: fc.constantFrom(' ', ':', '-', '"', "'", '\n', '[', '{', '}', '#', '&', '*', '!', '$', 'x', '\t'),
    });
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 4 }), (edits) => {
        const texts = { ...SHIPPED };
        for (const e of edits) {
          const t = texts[e.file];
          const i = e.at % (t.length + 1);
          if (e.kind === 'delete') texts[e.file] = t.slice(0, i) + t.slice(i + 1);
          else if (e.kind === 'insert') texts[e.file] = t.slice(0, i) + e.char + t.slice(i);
          else {
            const lines = t.split('\n');
            lines.splice(e.at % lines.length, 1);
            texts[e.file] = lines.join('\n');
          }
        }
        return loadsOrExplains(texts);
      }),
      { numRuns: 80 },
    );
  });

  it('for random values put anywhere in the shipped configuration', () => {
    const parsed = {
      alerts: parse(SHIPPED.alerts),
      escalation: parse(SHIPPED.escalation),
      centinela: parse(SHIPPED.centinela),
    };
    const where = {
      alerts: paths(parsed.alerts),
      escalation: paths(parsed.escalation),
      centinela: paths(parsed.centinela),
    };
    fc.assert(
      fc.property(key, fc.nat(), value, (k, n, v) => {
        const path = where[k][n % where[k].length] as (string | number)[];
        return loadsOrExplains({ ...SHIPPED, [k]: stringify(setAt(parsed[k], path, v)) });
      }),
      { numRuns: 100 },
    );
  });

  it('for anchors, aliases and merge keys put together at random', () => {
    const line = fc
      .tuple(
        fc.constantFrom('', '  ', '    '),
        fc.constantFrom('', '- '),
        fc.constantFrom('', 'a: ', 'probes: ', 'labels: ', '<<: ', '*x: ', '? '),
        fc.constantFrom('', '&x ', '&y '),
        fc.constantFrom('', '*x', '*y', '[*x, *y]', '{ b: *x }', '{ <<: *y }', '[1]', '1', '${UNSET}', '[k]'),
      )
      .map((parts) => parts.join(''));
    // The smallest valid files beside it, so the runs go to the YAML being read.
    fc.assert(
      fc.property(key, fc.array(line, { maxLength: 8 }), (k, lines) =>
        loadsOrExplains({ ...VALID, [k]: lines.join('\n') }),
      ),
      { numRuns: 300 },
    );
  });

  it('for random environments', () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.constantFrom('API_URL', 'SMTP_HOST', 'CTO_EMAIL', 'REDIS_PASSWORD', 'PUBLIC_HOST', 'CENTINELA_PUBLIC_URL'),
          fc.string({ maxLength: 30 }),
        ),
        (env) => loadsOrExplains(SHIPPED, { ...SHIPPED_ENV, ...env }),
      ),
      { numRuns: 30 },
    );
  });
});
