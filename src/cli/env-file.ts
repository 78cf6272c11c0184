// The application's env file (`.env.production`) as Docker Compose and python-dotenv read it: `KEY=value` lines,
// `export ` allowed, `#` comments, values in single quotes (literal), double quotes (with \n, \" and \\) or bare (a
// ` #` starts a comment). Each entry keeps its line, so a check can point at it without quoting the value.

/** One variable of the file and the line it is on (1-based). */
export interface EnvEntry {
  key: string;
  value: string;
  line: number;
}

/** The file's variables in order, and its lines that are no `KEY=value` (each as `line N: what to write`). */
export interface EnvFile {
  entries: EnvEntry[];
  problems: { line: number; message: string }[];
}

const ASSIGNMENT = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/;

/** Parses the text of an env file; never throws. */
export function parseEnvFile(text: string): EnvFile {
  const entries: EnvEntry[] = [];
  const problems: EnvFile['problems'] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = (lines[i] ?? '').trim();
    if (raw === '' || raw.startsWith('#')) continue;
    const m = ASSIGNMENT.exec(raw);
    if (!m) {
      problems.push({ line: i + 1, message: 'is not KEY=value. Write e.g. ENVIRONMENT=production, or # a comment' });
      continue;
    }
    const value = unquote(m[2] ?? '');
    if (value === undefined) {
      problems.push({ line: i + 1, message: `${m[1]}: its quote is not closed on this line. Close it` });
      continue;
    }
    entries.push({ key: m[1] as string, value, line: i + 1 });
  }
  return { entries, problems };
}

/** The value as the application sees it; undefined when a quote is not closed. */
function unquote(rest: string): string | undefined {
  const quote = rest[0];
  if (quote === "'" || quote === '"') {
    const end = rest.indexOf(quote, 1);
    if (quote === "'") return end < 0 ? undefined : rest.slice(1, end);
    // In double quotes a backslash escapes the next character.
    let out = '';
    for (let i = 1; i < rest.length; i++) {
      const c = rest[i];
      if (c === '"') return out;
      if (c === '\\' && i + 1 < rest.length) {
        const next = rest[++i] as string;
        out += next === 'n' ? '\n' : next;
      } else out += c;
    }
    return undefined;
  }
  const comment = rest.search(/\s#/);
  return (comment < 0 ? rest : rest.slice(0, comment)).trim();
}

/** The last value of `key` (a later line wins, as in Compose), with its line. */
export function lookup(file: EnvFile, key: string): EnvEntry | undefined {
  return file.entries.findLast((e) => e.key === key);
}
