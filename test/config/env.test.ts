// ${VAR} interpolation: shell-like defaults, escapes, and problems that name the variable.

import { describe, expect, it } from 'vitest';
import { LineCounter, parseDocument } from 'yaml';
import { fillEnv, interpolate } from '../../src/config/env.js';

describe('interpolate', () => {
  const env = { HOST: 'db', EMPTY: '', PORT: '5432' };

  it.each([
    ['postgres://${HOST}:${PORT}/x', 'postgres://db:5432/x'],
    ['${MISSING:-smtp}', 'smtp'],
    ['${EMPTY:-fallback}', 'fallback'],
    ['${EMPTY}', ''],
    ['${HOST:-other}', 'db'],
    ['${MISSING:-}', ''],
    ['${MISSING:-http://api:8000}/health', 'http://api:8000/health'],
    ['price $5 and $$ stay', 'price $5 and $$ stay'],
    ['literal $${HOST} stays', 'literal ${HOST} stays'],
    ['no references', 'no references'],
  ])('%s → %s', (text, value) => {
    expect(interpolate(text, env)).toEqual({ value, problems: [] });
  });

  it('names an unset variable and how to give it a default', () => {
    expect(interpolate('${API_URL}/health', env)).toEqual({
      value: '/health',
      problems: ['${API_URL} is not set in the environment. Set it or write ${API_URL:-default}'],
    });
  });

  it('does not take inherited properties for variables', () => {
    expect(interpolate('${constructor}', {}).problems).toEqual([
      '${constructor} is not set in the environment. Set it or write ${constructor:-default}',
    ]);
  });

  it('reports references it cannot read', () => {
    expect(interpolate('${ HOST }', env).problems).toEqual([
      '"${ HOST }" is not a variable reference. Write ${NAME} or ${NAME:-default} (a default cannot hold ${ or })',
    ]);
    expect(interpolate('${A:-${B}}', env).problems).toHaveLength(1);
    expect(interpolate('x ${HOST', env).problems).toEqual([
      '"${HOST" has no closing }. Write ${NAME} or ${NAME:-default}, or $${ for a literal ${',
    ]);
  });
});

describe('fillEnv', () => {
  it('fills values in place, keeps them strings, leaves keys alone and lists what came from the environment', () => {
    const doc = parseDocument('port: ${PORT}\nflag: ${FLAG}\n${KEY}: 1\nlist: [a, "${HOST}"]\nnum: 5\n', {
      lineCounter: new LineCounter(),
    });
    const { findings, filled } = fillEnv(doc, { PORT: '5432', FLAG: 'true', HOST: 'db' });
    expect(findings).toEqual([]);
    expect(doc.toJS()).toEqual({ port: '5432', flag: 'true', '${KEY}': 1, list: ['a', 'db'], num: 5 });
    expect(filled).toEqual([['port'], ['flag'], ['list', 1]]);
  });

  it('cannot inject YAML through a value', () => {
    const doc = parseDocument('url: ${URL}\n');
    fillEnv(doc, { URL: 'x\nevil: true' });
    expect(doc.toJS()).toEqual({ url: 'x\nevil: true' });
  });

  it('places each problem at its path', () => {
    const doc = parseDocument('probes:\n  - url: ${A}${B}\n');
    expect(fillEnv(doc, {}).findings.map((f) => f.path)).toEqual([
      ['probes', 0, 'url'],
      ['probes', 0, 'url'],
    ]);
  });
});
