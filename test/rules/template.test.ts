import { describe, expect, it } from 'vitest';
import { alertsFile } from '../../src/config/schema.js';
import { compileRules } from '../../src/rules/rule.js';
import { compileTemplate, TemplateError } from '../../src/rules/template.js';

const vars = {
  value: 0.634,
  threshold: 0.5,
  clear_threshold: undefined,
  op: '>',
  priority: 'P1',
  alertname: 'ApiLatencyHigh',
  probe: 'api_metrics',
  for: 300,
  clear_for: 0,
  active_for: 420,
  labels: { route: '/api/v1/tasks', container: 'grupo_gad_api' },
};

describe('templates', () => {
  it.each([
    ['p95 {{ value | seconds }} over {{ threshold | seconds }}', 'p95 0.63 s over 0.5 s'],
    ['{{ labels.container }} at {{ priority }}', 'grupo_gad_api at P1'],
    ['for {{ active_for | duration }}', 'for 7 min'],
    ['{{value|percent}}', '0.63 %'],
    ['plain {{ value }}', 'plain 0.63'],
    ['{{ labels.missing }}', '<no value>'],
    ['{{ clear_threshold }}', '<no value>'],
    ['no placeholders at all', 'no placeholders at all'],
    ['{{ alertname }}: {{ op }} {{ threshold }} on {{ probe }}', 'ApiLatencyHigh: > 0.5 on api_metrics'],
  ])('%s → %s', (text, expected) => {
    expect(compileTemplate(text).render(vars, 'en')).toBe(expected);
  });

  it.each([
    [92.4, 'percent', '92 %'],
    [7, 'percent', '7 %'],
    [0.0042, 'seconds', '0.0042 s'],
    [12.5, 'seconds', '13 s'],
    [45, 'duration', '45 s'],
    [3.2, 'duration', '3.2 s'],
    [420, 'duration', '7 min'],
    [7500, 'duration', '2 h 5 min'],
    [7200, 'duration', '2 h'],
    [273_600, 'duration', '3 d 4 h'],
    [900, 'bytes', '900 B'],
    [12_288, 'bytes', '12 KiB'],
    [1_610_612_736, 'bytes', '1.5 GiB'],
  ])('%d | %s → %s', (value, filter, expected) => {
    expect(compileTemplate(`{{ value | ${filter} }}`).render({ ...vars, value }, 'en')).toBe(expected);
  });

  it.each([
    [1, 'es', '1 query activa, 1 línea'],
    [0, 'es', '0 queries activas, 0 líneas'],
    [3, 'es', '3 queries activas, 3 líneas'],
    [1, 'en', '1 query activa, 1 línea'],
  ] as const)('a word agrees with the value: %d in %s → %s', (value, locale, expected) => {
    const text = '{{ value }} {{ value:query activa|queries activas }}, {{ value }} {{ value : línea|líneas }}';
    expect(compileTemplate(text).render({ ...vars, value }, locale)).toBe(expected);
    // Only the number shows the value's unit: the word is not a second way of showing it.
    expect(compileTemplate('{{ value:line|lines }} {{ value | percent }}').unitOf('value')).toBe('percent');
  });

  it.each([
    ['{{ labels.route:line|lines }}', 'a word can agree only with a number'],
    ['{{ alertname:line|lines }}', 'a word can agree only with a number'],
    ['{{ value:|lines }}', 'write the word for one and for the others'],
    ['{{ valeu }}', 'unknown variable "valeu" in {{ valeu }}. Use value, threshold'],
    [
      '{{ value | second }}',
      'unknown filter "second" in {{ value | second }}. Use seconds, duration, percent, bytes, hours, days, per_second',
    ],
    ['{{ value | round(2) }}', '(filters take no arguments)'],
    ['{{ }}', 'an empty placeholder in {{ }}'],
    ['value {{ value', '"{{" at character 7 is never closed with "}}"'],
    ['value }} x', '"}}" at character 7 has no opening "{{"'],
    ['{{ labels.route | seconds }}', 'labels are text'],
    ['{{ value | seconds | percent }}', 'use one filter'],
    ['{{ process.env.SECRET }}', 'unknown variable "process.env.SECRET"'],
    // Object's own machinery, refused by name wherever it appears in the path.
    ['{{ labels.constructor }}', '{{ labels.constructor }}: "constructor" cannot be read in a template'],
    ['{{ labels.__proto__ }}', '{{ labels.__proto__ }}: "__proto__" cannot be read in a template'],
    ['{{ labels.prototype }}', '"prototype" cannot be read in a template'],
    ['{{ constructor }}', '"constructor" cannot be read in a template'],
    ['{{ value.constructor.name }}', '"constructor" cannot be read in a template'],
    ['{{ __proto__ | seconds }}', '"__proto__" cannot be read in a template'],
    // Filters are looked up as own names: the prototype's functions are not filters and are never called.
    ['{{ value | constructor }}', 'unknown filter "constructor"'],
    ['{{ value | toString }}', 'unknown filter "toString"'],
    ['{{ value | hasOwnProperty }}', 'unknown filter "hasOwnProperty"'],
    ['{{ value | __defineGetter__ }}', 'unknown filter "__defineGetter__"'],
    ['{{ value | valueOf }}', 'unknown filter "valueOf"'],
  ])('%s is refused: %s', (text, message) => {
    expect(() => compileTemplate(text)).toThrow(TemplateError);
    expect(() => compileTemplate(text)).toThrow(message);
  });

  it.each(['toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', '__defineGetter__', 'toLocaleString'])(
    'labels.%s is a label the instance does not have: <no value>, not the prototype',
    (name) => {
      expect(compileTemplate(`{{ labels.${name} }}`).render(vars, 'en')).toBe('<no value>');
      // A label of that name that the instance does have is shown like any other.
      expect(compileTemplate(`{{ labels.${name} }}`).render({ ...vars, labels: { [name]: 'own' } }, 'en')).toBe('own');
    },
  );

  it('reports a prototype path at the rule and key it is in, like any template problem', () => {
    const { rules, issues } = compileRules(
      alertsFile.parse({
        probes: [{ name: 'api', kind: 'http', url: 'http://api:8000/health', every: '15s', timeout: '5s' }],
        rules: [
          { name: 'Fine', sample: 'api.up', op: '==', thresholds: { P0: 0 }, summary: '{{ labels.container }}' },
          {
            name: 'Sneaky',
            sample: 'api.up',
            op: '==',
            thresholds: { P0: 0 },
            summary: 'c={{ labels.constructor }}',
            description: '{{ value | toString }}',
          },
        ],
      }),
    );
    expect(rules.map((r) => r.name)).toEqual(['Fine']);
    expect(issues).toEqual([
      {
        path: ['rules', 1, 'summary'],
        message: expect.stringContaining('{{ labels.constructor }}: "constructor" cannot be read in a template'),
        unquoted: 'is not a template centinela can read: the problem starts at character 3',
      },
      {
        path: ['rules', 1, 'description'],
        message: expect.stringContaining('unknown filter "toString"'),
        unquoted: 'is not a template centinela can read: the problem starts at character 1',
      },
    ]);
  });

  it('renders label values as text, never as template syntax', () => {
    const t = compileTemplate('{{ labels.route }}');
    expect(t.render({ ...vars, labels: { route: '{{ value }}' } }, 'en')).toBe('{{ value }}');
  });
});
