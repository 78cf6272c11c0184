// Masks the literals of a SQL text (numbers, quoted and dollar-quoted strings) so a query can be shown in a page
// without the values it carried (emails, tokens, a password in ALTER ROLE).

/** Prefixes that make the quoted string after them a literal too: E'…', B'…', X'…', N'…', U&'…'. */
const STRING_PREFIXES = new Set(['e', 'b', 'x', 'n', 'u&']);
const IDENT_START = /[A-Za-z_\u0080-\uffff]/;
const IDENT_PART = /[A-Za-z0-9_$\u0080-\uffff]/;
const DOLLAR_TAG = /\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/y;
const PARAMETER = /\$\d*/y;
const NUMBER = /(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)/y;

/**
 * The query with every literal replaced by `?`, whitespace runs collapsed to one space, cut to `maxLength`
 * characters (an ellipsis marks the cut). Identifiers (`t1`, `"Order 2"`), parameters (`$1`) and comments are
 * kept. A literal left open at the end (pg_stat_activity truncates long queries) is masked to the end.
 */
export function maskSql(query: string, maxLength = 200): string {
  const masked = maskLiterals(query).replace(/\s+/g, ' ').trim();
  return masked.length > maxLength ? `${masked.slice(0, maxLength)}…` : masked;
}

function maskLiterals(sql: string): string {
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const c = sql.charAt(i);
    const next = sql.charAt(i + 1);
    if (c === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      const stop = end === -1 ? sql.length : end;
      out += sql.slice(i, stop);
      i = stop;
    } else if (c === '/' && next === '*') {
      const stop = blockCommentEnd(sql, i);
      out += sql.slice(i, stop);
      i = stop;
    } else if (c === '"') {
      const stop = quotedEnd(sql, i, '"', false);
      out += sql.slice(i, stop);
      i = stop;
    } else if (c === "'") {
      out += '?';
      i = quotedEnd(sql, i, "'", false);
    } else if (c === '$') {
      const stop = dollarQuotedEnd(sql, i);
      if (stop === undefined) {
        // $1 (a parameter) or a lone $: kept as written.
        PARAMETER.lastIndex = i;
        const param = PARAMETER.exec(sql)?.[0] ?? c;
        out += param;
        i += param.length;
      } else {
        out += '?';
        i = stop;
      }
    } else if (IDENT_START.test(c)) {
      let stop = i + 1;
      while (stop < sql.length && IDENT_PART.test(sql.charAt(stop))) stop++;
      let word = sql.slice(i, stop);
      if (word.toLowerCase() === 'u' && sql.charAt(stop) === '&' && sql.charAt(stop + 1) === "'") {
        word = 'u&';
        stop++;
      }
      if (sql.charAt(stop) === "'" && STRING_PREFIXES.has(word.toLowerCase())) {
        out += '?';
        // Only E'…' strings treat a backslash as an escape.
        i = quotedEnd(sql, stop, "'", word.toLowerCase() === 'e');
      } else {
        out += word;
        i = stop;
      }
    } else if (/[0-9.]/.test(c)) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(sql);
      if (m && m[0] !== '.') {
        out += '?';
        i += m[0].length;
      } else {
        out += c;
        i++;
      }
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** Index just past the quote that closes the one at `start`; a doubled quote is an escaped quote. */
function quotedEnd(sql: string, start: number, quote: string, backslashEscapes: boolean): number {
  let i = start + 1;
  while (i < sql.length) {
    const c = sql.charAt(i);
    if (backslashEscapes && c === '\\') {
      i += 2;
    } else if (c === quote) {
      if (sql.charAt(i + 1) !== quote) return i + 1;
      i += 2;
    } else {
      i++;
    }
  }
  return sql.length;
}

/** Index just past a block comment; PostgreSQL lets them nest. */
function blockCommentEnd(sql: string, start: number): number {
  let depth = 0;
  let i = start;
  while (i < sql.length) {
    if (sql.startsWith('/*', i)) {
      depth++;
      i += 2;
    } else if (sql.startsWith('*/', i)) {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else {
      i++;
    }
  }
  return sql.length;
}

/** Index just past a $tag$…$tag$ string starting at `start`, or undefined when `start` opens none. */
function dollarQuotedEnd(sql: string, start: number): number | undefined {
  // A $ inside an identifier (foo$bar$) does not open a string.
  if (start > 0 && IDENT_PART.test(sql.charAt(start - 1))) return undefined;
  DOLLAR_TAG.lastIndex = start;
  const m = DOLLAR_TAG.exec(sql);
  if (!m) return undefined;
  const close = sql.indexOf(m[0], start + m[0].length);
  return close === -1 ? sql.length : close + m[0].length;
}
