// How problems are told: the line format, the closing count, paths and suggestions.
import { describe, expect, it } from 'vitest';
import { ConfigError, formatConfigError, formatPath, joinOr } from '../../src/config/errors.js';
import { didYouMean } from '../../src/did-you-mean.js';

describe('formatConfigError', () => {
  it('writes file:line:col, two spaces, the path and a sentence; then the count', () => {
    expect(
      formatConfigError([
        {
          file: 'config/alerts.yaml',
          line: 41,
          col: 12,
          path: 'rules[3].for',
          message: '"5 minutes" is not a duration. Write 90s, 5m or 1h30m',
        },
      ]),
    ).toBe(
      'config/alerts.yaml:41:12  rules[3].for: "5 minutes" is not a duration. Write 90s, 5m or 1h30m.\n' +
        '1 problem in 1 file; nothing was started.',
    );
  });

  it('counts problems and files in the plural, and leaves out what a whole-file problem lacks', () => {
    expect(
      formatConfigError([
        { file: 'a.yaml', line: 1, col: 1, path: '', message: 'YAML: broken.' },
        { file: 'b.yaml', line: 0, col: 0, path: '', message: 'not found' },
        { file: 'b.yaml', line: 0, col: 0, path: '', message: 'Did you mean it?' },
      ]),
    ).toBe(
      'a.yaml:1:1  YAML: broken.\nb.yaml  not found.\nb.yaml  Did you mean it?\n3 problems in 2 files; nothing was started.',
    );
  });
});

describe('ConfigError', () => {
  it('has a stable name and code, and sorts issues by file, then line and column', () => {
    const error = new ConfigError([
      { file: 'a', line: 9, col: 1, path: '', message: 'm' },
      { file: 'b', line: 1, col: 1, path: '', message: 'm' },
      { file: 'a', line: 2, col: 7, path: '', message: 'm' },
      { file: 'a', line: 2, col: 3, path: '', message: 'm' },
    ]);
    expect([error.name, error.code]).toEqual(['ConfigError', 'CONFIG_INVALID']);
    expect(error.issues.map((i) => `${i.file}:${i.line}:${i.col}`)).toEqual(['a:2:3', 'a:2:7', 'a:9:1', 'b:1:1']);
    expect(error.message).toBe(formatConfigError(error.issues));
  });
});

describe('formatPath', () => {
  it.each([
    [['rules', 3, 'thresholds'], 'rules[3].thresholds'],
    [['levels', 'P0', 'contacts', 1], 'levels.P0.contacts[1]'],
    [
      ['probes', 0, 'match_labels', 'com.docker.compose.project'],
      'probes[0].match_labels["com.docker.compose.project"]',
    ],
    [[], ''],
  ])('%j → %s', (path, text) => {
    expect(formatPath(path)).toBe(text);
  });
});

describe('didYouMean', () => {
  it('suggests a close candidate, ignoring case, and nothing for a far one', () => {
    expect(didYouMean('timout', ['timeout', 'every'])).toBe(' Did you mean "timeout"?');
    expect(didYouMean('Evrey', ['timeout', 'every'])).toBe(' Did you mean "every"?');
    expect(didYouMean('tiemout', ['timeout'])).toBe(' Did you mean "timeout"?');
    expect(didYouMean('banana', ['timeout', 'every'])).toBe('');
    expect(didYouMean('x', [])).toBe('');
  });
});

describe('joinOr', () => {
  it('joins like a sentence', () => {
    expect([joinOr([]), joinOr(['a']), joinOr(['a', 'b']), joinOr(['a', 'b', 'c'])]).toEqual([
      '',
      'a',
      'a or b',
      'a, b or c',
    ]);
  });
});
