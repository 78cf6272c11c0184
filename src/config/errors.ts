// Configuration problems: the one error type the loader throws, and how problems are told to the operator
// (`config/alerts.yaml:41:12  rules[3].for: "5 minutes" is not a duration. Write 90s, 5m or 1h30m.`).

/** A key in a path through the configuration: a map key or a list index. */
export type PathKey = string | number;

/** True when `path` is `prefix` or lies below it. */
export function isUnder(path: readonly PathKey[], prefix: readonly PathKey[]): boolean {
  return prefix.length <= path.length && prefix.every((k, i) => k === path[i]);
}

/** One problem, placed where the operator must fix it. */
export interface ConfigIssue {
  /** The file as the operator names it: the config folder as given, joined with the file name. */
  file: string;
  /** 1-based; 0 when the problem is the whole file (it is missing or unreadable). */
  line: number;
  col: number;
  /** JavaScript-style path to the value, e.g. `rules[3].thresholds`; empty for the file itself. */
  path: string;
  message: string;
}

/**
 * A problem found before positions are known. `path` is what the message shows; `at` is where to point
 * (defaults to `path`); `atKey` points at the key of `at`'s last element instead of its value.
 */
export interface Finding {
  path: readonly PathKey[];
  message: string;
  at?: readonly PathKey[];
  atKey?: boolean;
}

/** The configuration is invalid; `issues` holds every problem found, in file order. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'CONFIG_INVALID';
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    const sorted = sortIssues(issues);
    super(formatConfigError(sorted));
    this.issues = sorted;
  }
}

/** Every issue on its own line, then `N problems in M files; nothing was started.` */
export function formatConfigError(issues: readonly ConfigIssue[]): string {
  const lines = issues.map(formatConfigIssue);
  const files = new Set(issues.map((i) => i.file)).size;
  lines.push(
    `${issues.length} ${issues.length === 1 ? 'problem' : 'problems'} in ${files} ${files === 1 ? 'file' : 'files'}; nothing was started.`,
  );
  return lines.join('\n');
}

/** One issue as one line: `config/alerts.yaml:41:12  rules[3].for: "5 minutes" is not a duration. Write …`. */
export function formatConfigIssue(issue: ConfigIssue): string {
  const where = issue.line > 0 ? `${issue.file}:${issue.line}:${issue.col}` : issue.file;
  return `${where}  ${issue.path ? `${issue.path}: ` : ''}${sentence(issue.message)}`;
}

/** `rules[3].thresholds`, `levels.P0.contacts[1]`, `match_labels["com.docker.compose.project"]`. */
export function formatPath(path: readonly PathKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) out += out === '' ? key : `.${key}`;
    else out += `[${JSON.stringify(key)}]`;
  }
  return out;
}

/** `a`, `a or b`, `a, b or c` — for the lists of what may be written. */
export function joinOr(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`;
}

/** Messages end with a period unless they already end a sentence. */
function sentence(message: string): string {
  return /[.?!]$/.test(message) ? message : `${message}.`;
}

function sortIssues(issues: readonly ConfigIssue[]): ConfigIssue[] {
  const fileOrder = [...new Set(issues.map((i) => i.file))];
  return [...issues].sort(
    (a, b) => fileOrder.indexOf(a.file) - fileOrder.indexOf(b.file) || a.line - b.line || a.col - b.col,
  );
}
