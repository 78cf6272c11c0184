import { describe, expect, it } from 'vitest';
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
    expect(compileTemplate(text).render(vars)).toBe(expected);
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
    expect(compileTemplate(`{{ value | ${filter} }}`).render({ ...vars, value })).toBe(expected);
  });

  it.each([
    ['{{ valeu }}', 'unknown variable "valeu" in {{ valeu }}. Use value, threshold'],
    ['{{ value | second }}', 'unknown filter "second" in {{ value | second }}. Use seconds, percent, duration, bytes'],
    ['{{ value | round(2) }}', '(filters take no arguments)'],
    ['{{ }}', 'an empty placeholder in {{ }}'],
    ['value {{ value', '"{{" at character 7 is never closed with "}}"'],
    ['value }} x', '"}}" at character 7 has no opening "{{"'],
    ['{{ labels.route | seconds }}', 'labels are text'],
    ['{{ value | seconds | percent }}', 'use one filter'],
    ['{{ constructor }}', 'unknown variable "constructor"'],
    ['{{ process.env.SECRET }}', 'unknown variable "process.env.SECRET"'],
  ])('%s is refused: %s', (text, message) => {
    expect(() => compileTemplate(text)).toThrow(TemplateError);
    expect(() => compileTemplate(text)).toThrow(message);
  });

  it('renders label values as text, never as template syntax', () => {
    const t = compileTemplate('{{ labels.route }}');
    expect(t.render({ ...vars, labels: { route: '{{ value }}' } })).toBe('{{ value }}');
  });
});
