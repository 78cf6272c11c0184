// maskSql: literals become ?, identifiers, parameters and comments stay, the text is cut to 200 characters.
import { describe, expect, it } from 'vitest';
import { maskSql } from '../../src/probes/sql-mask.js';

describe('maskSql', () => {
  it.each([
    [
      "SELECT * FROM users WHERE email = 'ana@example.com' AND id = 42",
      'SELECT * FROM users WHERE email = ? AND id = ?',
    ],
    ["SELECT 'it''s', 3.14, .5, 1e-3, 2E+10", 'SELECT ?, ?, ?, ?, ?'],
    ["SELECT E'line\\n\\'quoted\\'', 'plain\\' || 1", 'SELECT ?, ? || ?'],
    ["SELECT B'0101', X'1F', N'text', U&'d\\0061t', e'x'", 'SELECT ?, ?, ?, ?, ?'],
    ['SELECT $$ a $ b $$, $fn$ body $$ still $fn$', 'SELECT ?, ?'],
    ['SELECT pg_sleep(5)', 'SELECT pg_sleep(?)'],
    ['SELECT 0x1F, 0o17, 0b101, 1_000_000', 'SELECT ?, ?, ?, ?'],
    [
      'SELECT t1.col2, "Order 42".x FROM t1 JOIN "Order 42" ON true',
      'SELECT t1.col2, "Order 42".x FROM t1 JOIN "Order 42" ON true',
    ],
    ['SELECT * FROM t WHERE a = $1 AND b = $2', 'SELECT * FROM t WHERE a = $1 AND b = $2'],
    [
      'SELECT 1 -- keep 2 comments\nFROM t /* id 3 /* nested 4 */ */ WHERE x > -7',
      'SELECT ? -- keep 2 comments FROM t /* id 3 /* nested 4 */ */ WHERE x > -?',
    ],
    ["ALTER ROLE app PASSWORD 's3cr3t-Pa55'", 'ALTER ROLE app PASSWORD ?'],
    ['SELECT foo$bar$ FROM x', 'SELECT foo$bar$ FROM x'],
    ['SELECT arr[1:2], x::numeric(10,2)', 'SELECT arr[?:?], x::numeric(?,?)'],
    ["INSERT INTO t VALUES ('unterminated, 42", 'INSERT INTO t VALUES (?'],
    ['SELECT $body$ never closed', 'SELECT ?'],
    ['SELECT  a,\n\t\tb\r\n  FROM   t', 'SELECT a, b FROM t'],
    ['SELECT ñandú_1 FROM café2', 'SELECT ñandú_1 FROM café2'],
    ['', ''],
  ])('%j → %j', (query, masked) => {
    expect(maskSql(query)).toBe(masked);
  });

  it('cuts the masked text at maxLength and marks the cut', () => {
    const query = `SELECT ${Array.from({ length: 100 }, (_, i) => `col_${i}`).join(', ')} FROM t WHERE id = 12345`;
    const masked = maskSql(query);
    expect(masked).toHaveLength(201);
    expect(masked.endsWith('…')).toBe(true);
    expect(masked.slice(0, 200)).toBe(query.slice(0, 200));
    expect(maskSql('SELECT 1', 200)).toBe('SELECT ?');
    expect(maskSql("SELECT 'abc' FROM t", 8)).toBe('SELECT ?…');
  });

  it('masks before cutting, so a long literal costs one character', () => {
    const query = `SELECT '${'x'.repeat(500)}' AS v`;
    expect(maskSql(query)).toBe('SELECT ? AS v');
  });
});
