// The application's env file as Compose reads it: quoting, comments, export, later lines winning, and lines that are
// not assignments reported by line.
import { describe, expect, it } from 'vitest';
import { lookup, parseEnvFile } from '../../src/cli/env-file.js';

describe('parseEnvFile', () => {
  it.each([
    ['KEY=value', 'value'],
    ['KEY = value ', 'value'],
    ['export KEY=value', 'value'],
    ['KEY=value # a comment', 'value'],
    ['KEY=a#b', 'a#b'],
    ["KEY='single # quoted \\n'", 'single # quoted \\n'],
    ['KEY="double \\"quoted\\"\\nline" # comment', 'double "quoted"\nline'],
    ['KEY=', ''],
    ['KEY=postgresql+asyncpg://u:p@db:5432/x?ssl=require', 'postgresql+asyncpg://u:p@db:5432/x?ssl=require'],
  ])('%s reads as %j', (line, value) => {
    expect(parseEnvFile(line)).toEqual({ entries: [{ key: 'KEY', value, line: 1 }], problems: [] });
  });

  it('skips blank lines and comments, keeps line numbers, and a later line wins', () => {
    const file = parseEnvFile('\uFEFF# Security\r\n\r\nSECRET_KEY=one\n  # again\nSECRET_KEY=two\n');
    expect(file.entries.map((e) => [e.key, e.line])).toEqual([
      ['SECRET_KEY', 3],
      ['SECRET_KEY', 5],
    ]);
    expect(lookup(file, 'SECRET_KEY')).toMatchObject({ value: 'two', line: 5 });
    expect(lookup(file, 'REDIS_URL')).toBeUndefined();
  });

  it('reports each line that is no assignment, and an unclosed quote, without its value', () => {
    const file = parseEnvFile('ENVIRONMENT=production\nthis is not one\n1KEY=x\nKEY="never closed\nKEY=\'open');
    expect(file.entries).toHaveLength(1);
    expect(file.problems).toEqual([
      { line: 2, message: 'is not KEY=value. Write e.g. ENVIRONMENT=production, or # a comment' },
      { line: 3, message: 'is not KEY=value. Write e.g. ENVIRONMENT=production, or # a comment' },
      { line: 4, message: 'KEY: its quote is not closed on this line. Close it' },
      { line: 5, message: 'KEY: its quote is not closed on this line. Close it' },
    ]);
  });
});
