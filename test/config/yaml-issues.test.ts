// YAML syntax errors in the operator's words, each at its line and column with what to write instead; anchors,
// aliases and merge keys (<<) as YAML 1.1 defines them, with a problem in what they bring placed at them.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { problems, VALID } from '../support/config-fixtures.js';

const A = VALID.alerts;

const cases: [string, string, string][] = [
  [
    'a duplicate key',
    A.replace('    timeout: 5s', '    timeout: 5s\n    timeout: 6s'),
    '8:5  probes[0]: key "timeout" appears twice. Keep one.',
  ],
  [
    'an unclosed quote, at the quote that opened it',
    A.replace('op: "=="', 'op: "=='),
    '11:9  YAML: a value opened with " is never closed. Add the closing ".',
  ],
  [
    'a tab as indentation',
    A.replace('    every: 15s', '\tevery: 15s'),
    '6:1  YAML: tabs are not allowed as indentation. Indent with spaces.',
  ],
  [
    'a line indented less than the keys above it',
    A.replace('    every: 15s', '   every: 15s'),
    '6:1  YAML: this line is indented less than the keys above it. Line it up with them, or start a list entry with -.',
  ],
  [
    'a line indented more than the keys above it',
    A.replace('    kind: http', '     kind: http'),
    '3:11  YAML: a key: value is not allowed here. Check the indentation of this line and the next, or quote a value that holds ": ".',
  ],
  [
    'a map key out of line with the others',
    A.replace('    thresholds: { P0: 0 }', '  thresholds: { P0: 0 }'),
    '12:1  YAML: this line is not lined up with the others of its map or list. Indent it like the lines above it.',
  ],
  [
    'a key without its colon',
    A.replace('    every: 15s', '    every 15s'),
    '6:5  YAML: this line has no ": " after its key, so YAML reads on into the next line. Write key: value.',
  ],
  [
    'an unclosed {',
    A.replace('thresholds: { P0: 0 }', 'thresholds: { P0: 0'),
    '13:1  YAML: a [ or { opened above is not closed before this line. Close it with ] or }.',
  ],
  [
    'a value starting with a reserved character',
    A.replace('op: "=="', 'op: `==`'),
    '11:9  YAML: a value cannot start with ` unless it is quoted. Quote the value.',
  ],
  [
    'a value YAML reads as a tag',
    A.replace('op: "=="', 'op: !=='),
    '11:9  YAML: !== is read as a YAML tag, since it starts with !. Quote the value: "!==".',
  ],
  [
    'a bad escape in double quotes',
    A.replace('op: "=="', 'op: "\\q"'),
    '11:10  YAML: \\q is not an escape in a "double-quoted" value. Write \\\\ for a backslash, or use \'single quotes\'.',
  ],
  [
    'a # glued to a value',
    A.replace('op: "=="', 'op: "=="#x'),
    '11:13  YAML: a # starts a comment only after a space. Add a space before #, or quote the value.',
  ],
  [
    'an alias without an anchor, at the alias',
    A.replace('op: "=="', 'op: *eq'),
    '11:9  YAML: *eq names no anchor above it. Define &eq first, or quote a value starting with *.',
  ],
  ['two documents', `${A}---\nx: 1\n`, '13:1  YAML: the file holds more than one document (a --- line). Keep one.'],
];

describe('YAML errors', () => {
  it.each(cases)('%s', (_, alerts, line) => {
    expect(problems('c', { ...VALID, alerts })).toBe(
      `c/alerts.yaml:${line}\n1 problem in 1 file; nothing was started.`,
    );
  });
});

describe('anchors, aliases and merge keys', () => {
  const probe = (name: string, extra = '') =>
    `  - name: ${name}\n    kind: http\n    url: http://api:8000/${name}\n    every: 15s\n    timeout: 5s\n${extra}`;

  it('merges keys as YAML 1.1 does: written keys win, and of a list of maps the earlier one', () => {
    const alerts =
      `probes:\n  - &base\n    name: api_health\n    kind: http\n    url: http://api:8000/health\n` +
      `    every: 15s\n    timeout: 5s\n    labels: &team { team: api }\n` +
      `  - <<: [{ every: 1m, labels: { team: web } }, *base]\n    name: api_ready\n` +
      `rules:\n  - name: ApiDown\n    sample: api_health.up\n    op: "=="\n    thresholds: { P0: 0 }\n` +
      `    labels: { <<: *team, owner: ops }\n`;
    const { probes, rules } = parseConfig('c', { ...VALID, alerts }, {}).alerts;
    expect(probes.map((p) => [p.name, p.every, p.labels])).toEqual([
      ['api_health', 15_000, { team: 'api' }],
      ['api_ready', 60_000, { team: 'web' }],
    ]);
    expect(rules[0]?.labels).toEqual({ team: 'api', owner: 'ops' });
  });

  it('places a problem in a merged or aliased value at the alias or merge that brought it', () => {
    const alerts =
      `probes:\n${probe('api_health', '    labels: &bad { team: [api] }\n')}` +
      `${probe('api_ready', '    labels: *bad\n')}` +
      `  - <<: &slow { every: soon, timout: 5s }\n    name: web\n    kind: http\n    url: http://web/\n` +
      `  - { <<: *slow, name: web2, kind: http, url: "http://web2/" }\n`;
    expect(problems('c', { ...VALID, alerts })).toBe(
      [
        'c/alerts.yaml:7:26  probes[0].labels.team: expected a string, not a list.',
        'c/alerts.yaml:13:13  probes[1].labels.team: expected a string, not a list.',
        'c/alerts.yaml:14:24  probes[2].every: "soon" is not a duration. Write 90s, 5m or 1h30m.',
        'c/alerts.yaml:14:30  probes[2]: unknown key "timout". Did you mean "timeout"?',
        'c/alerts.yaml:18:11  probes[3].every: "soon" is not a duration. Write 90s, 5m or 1h30m.',
        'c/alerts.yaml:18:11  probes[3]: unknown key "timout". Did you mean "timeout"?',
        '6 problems in 1 file; nothing was started.',
      ].join('\n'),
    );
  });

  it('never quotes a value from the environment that an alias or a merge copies', () => {
    const alerts =
      'probes:\n  - name: api_health\n    kind: http\n    url: http://api:8000/health\n' +
      '    every: &every ${EVERY}\n    timeout: 5s\n' +
      '  - <<: { kind: http, url: "http://web/", timeout: "${TIMEOUT}" }\n    name: web\n    every: *every\n';
    expect(problems('c', { ...VALID, alerts }, { EVERY: 'hunter2-S3cr3t', TIMEOUT: '31337.25' })).toBe(
      [
        'c/alerts.yaml:5:19  probes[0].every: the value filled in from ${EVERY} is not a duration. Write 90s, 5m or 1h30m.',
        'c/alerts.yaml:7:52  probes[1].timeout: the value filled in from ${TIMEOUT} is not a duration. ' +
          'Write 90s, 5m or 1h30m.',
        'c/alerts.yaml:9:12  probes[1].every: the value filled in from ${EVERY} is not a duration. Write 90s, 5m or 1h30m.',
        '3 problems in 1 file; nothing was started.',
      ].join('\n'),
    );
  });

  it('tells a merge of an alias with no anchor at the alias, and reads on (the reproducer of issue 13)', () => {
    const alerts = '<<: *ws\n  - name: ApiLatencyHigh\n    <<: *disk_full\n';
    expect(problems('c', { ...VALID, alerts })).toBe(
      [
        'c/alerts.yaml:1:5  YAML: *ws names no anchor above it. Define &ws first, or quote a value starting with *.',
        'c/alerts.yaml:2:1  YAML: a key: value is not allowed here. Check the indentation of this line and the next, ' +
          'or quote a value that holds ": ".',
        '2 problems in 1 file; nothing was started.',
      ].join('\n'),
    );
  });

  it('tells a merge of a list at the alias, not at the top of the file', () => {
    const alerts = `${VALID.alerts}    group_by: &by [alertname]\n<<: *by\n`;
    expect(problems('c', { ...VALID, alerts })).toBe(
      'c/alerts.yaml:14:5  YAML: << merges the keys of a map, and *by is a list of values, not of maps. ' +
        'Write <<: *name with &name on a map, or <<: [*a, *b].\n1 problem in 1 file; nothing was started.',
    );
  });
});
