// YAML syntax errors in the operator's words, each at its line and column with what to write instead.
import { describe, expect, it } from 'vitest';
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
