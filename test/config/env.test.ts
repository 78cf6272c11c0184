// ${VAR} interpolation: shell-like defaults, escapes, and problems that name the variable.

import { describe, expect, it } from 'vitest';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { coerceFilled, fillEnv, interpolate, placeFillings } from '../../src/config/env.js';
import { YamlPlaces } from '../../src/config/yaml-places.js';

/** The document filled in from `env`, its data, and where the filled values landed. */
function filledIn(yaml: string, env: Record<string, string>) {
  const doc = parseDocument(yaml, { lineCounter: new LineCounter(), merge: true });
  const fillings = fillEnv(doc, env);
  const data = doc.toJS();
  return { doc, data, ...placeFillings(fillings, new YamlPlaces(doc)) };
}

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
    ['${HOST:?the database host}', 'db'],
    ['price $5 and $$ stay', 'price $5 and $$ stay'],
    ['literal $${HOST} stays', 'literal ${HOST} stays'],
    ['no references', 'no references'],
  ])('%s → %s', (text, value) => {
    expect(interpolate(text, env)).toMatchObject({ value, problems: [] });
  });

  it('lists the variables a text refers to, set or not, and not an escaped ${', () => {
    expect(interpolate('${HOST}:${PORT} ${MISSING:-x} $${LITERAL}', env).vars).toEqual(['HOST', 'PORT', 'MISSING']);
  });

  it('names an unset variable and how to give it a default', () => {
    expect(interpolate('${API_URL}/health', env)).toEqual({
      value: '/health',
      problems: ['${API_URL} is not set in the environment. Set it or write ${API_URL:-default}'],
      vars: ['API_URL'],
    });
  });

  it('refuses a ${VAR:?hint} unset or empty, with the hint written in the file as the fix', () => {
    const hint = 'the address phones reach centinela at, e.g. https://centinela.example.org';
    for (const name of ['PUBLIC_URL', 'EMPTY']) {
      expect(interpolate(`\${${name}:?${hint}}/ack`, env)).toEqual({
        value: '/ack',
        problems: [`\${${name}} is not set in the environment: ${hint}`],
        vars: [name],
      });
    }
    expect(interpolate('${EMPTY:?}', env).problems).toEqual(['${EMPTY} is not set in the environment. Set it']);
  });

  it('does not take inherited properties for variables', () => {
    expect(interpolate('${constructor}', {}).problems).toEqual([
      '${constructor} is not set in the environment. Set it or write ${constructor:-default}',
    ]);
  });

  it('reports references it cannot read', () => {
    expect(interpolate('${ HOST }', env).problems).toEqual([
      '"${ HOST }" is not a variable reference. Write ${NAME}, ${NAME:-default} or ${NAME:?hint} (a default or hint cannot hold ${ or })',
    ]);
    expect(interpolate('${A:-${B}}', env).problems).toHaveLength(1);
    expect(interpolate('${A:?set ${B}}', env).problems).toHaveLength(1);
    expect(interpolate('x ${HOST', env).problems).toEqual([
      '"${HOST" has no closing }. Write ${NAME} or ${NAME:-default}, or $${ for a literal ${',
    ]);
  });
});

describe('fillEnv', () => {
  it('fills values in place, keeps them strings, leaves keys alone and lists what came from the environment', () => {
    const { data, findings, filled } = filledIn(
      'port: ${PORT}\nflag: ${FLAG}\n${KEY}: 1\nlist: [a, "${HOST}"]\nnum: 5\n',
      {
        PORT: '5432',
        FLAG: 'true',
        HOST: 'db',
      },
    );
    expect(findings).toEqual([]);
    expect(data).toEqual({ port: '5432', flag: 'true', '${KEY}': 1, list: ['a', 'db'], num: 5 });
    expect(filled).toEqual([
      { path: ['port'], vars: ['PORT'], source: '${PORT}' },
      { path: ['flag'], vars: ['FLAG'], source: '${FLAG}' },
      { path: ['list', 1], vars: ['HOST'], source: '${HOST}' },
    ]);
  });

  it('cannot inject YAML through a value', () => {
    expect(filledIn('url: ${URL}\n', { URL: 'x\nevil: true' }).data).toEqual({ url: 'x\nevil: true' });
  });

  it('places each problem at its path', () => {
    expect(filledIn('probes:\n  - url: ${A}${B}\n', {}).findings.map((f) => f.path)).toEqual([
      ['probes', 0, 'url'],
      ['probes', 0, 'url'],
    ]);
  });

  it('knows a filled value wherever an alias or a merge puts it, and tells a problem once, where it is written', () => {
    const yaml =
      'a: &d { every: "${EVERY}", url: "${URL}" }\nb: *d\nc: { <<: *d, url: x }\nd: { <<: [{ n: "${N}" }, *d] }\n';
    const { filled, findings, unresolved } = filledIn(yaml, { EVERY: '5s', N: '1' });
    expect(filled.map((f) => f.path.join('.'))).toEqual([
      'a.every',
      'b.every',
      'c.every',
      'd.every',
      'a.url',
      'b.url',
      'd.url',
      'd.n',
    ]);
    expect(findings).toEqual([
      { path: ['a', 'url'], message: '${URL} is not set in the environment. Set it or write ${URL:-default}' },
    ]);
    expect(unresolved).toEqual([
      ['a', 'url'],
      ['b', 'url'],
      ['d', 'url'],
    ]);
  });
});

describe('coerceFilled', () => {
  const schema = z.strictObject({
    port: z.number().int().min(1).max(65535).default(587),
    ratio: z.number().optional(),
    insecure: z.boolean().default(false),
    name: z.string().optional(),
    items: z.array(z.strictObject({ keep: z.number().int() })).default([]),
  });

  /** The data and findings after filling `yaml` from `env` and coercing it against the schema above. */
  function coerced(yaml: string, env: Record<string, string>) {
    const { data, filled } = filledIn(yaml, env);
    const findings = coerceFilled(data, filled, schema, env).map((f) => `${f.path.join('.')}: ${f.message}`);
    return { data, findings };
  }

  it('turns one whole ${VAR} into the number or boolean the schema wants there, as YAML would', () => {
    const yaml =
      'port: ${PORT:-587}\nratio: "${RATIO}"\ninsecure: ${TLS_INSECURE:?true or false}\nname: ${N}\nitems: [{ keep: "${K}" }]\n';
    expect(coerced(yaml, { RATIO: '0.25', TLS_INSECURE: 'true', N: '42', K: '7' })).toEqual({
      data: { port: 587, ratio: 0.25, insecure: true, name: '42', items: [{ keep: 7 }] },
      findings: [],
    });
  });

  it('leaves text around a reference as text, for the schema to refuse', () => {
    expect(coerced('port: ${PORT}0\n', { PORT: '8' })).toEqual({ data: { port: '80' }, findings: [] });
  });

  it('says what the variable must hold without showing a value from the environment', () => {
    const { findings } = coerced('port: ${SMTP_PORT}\nratio: ${R}\ninsecure: ${I}\n', {
      SMTP_PORT: 'hunter2',
      R: '',
      I: 'yes',
    });
    expect(findings).toEqual([
      'port: ${SMTP_PORT} is not a whole number. Set SMTP_PORT to a whole number from 1 to 65535 ' +
        '(its value is not shown: it comes from the environment)',
      'ratio: ${R} is empty, not a number. Set R to a number such as 0.5',
      'insecure: ${I} is not true or false. Set I to true or false (its value is not shown: it comes from the environment)',
    ]);
    expect(findings.join('\n')).not.toContain('hunter2');
  });

  it('quotes a default, which is written in the file', () => {
    expect(coerced('port: ${SMTP_PORT:-five}\n', {}).findings).toEqual([
      'port: ${SMTP_PORT:-five}: the default "five" is not a whole number. Write a whole number from 1 to 65535 after :-',
    ]);
  });
});
