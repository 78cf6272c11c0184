// `centinela test [FILE...] [--config DIR]`: runs rule unit tests (like `promtool test rules`) against the rules of a
// configuration folder, on a fake clock (by default the folder's own tests/*.yaml); prints a diff for every
// expectation that does not hold and exits 1.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Command } from 'commander';
import type { Config } from '../config/schema.js';
import { parseRuleTests, runRuleTests } from '../engine/rule-tests.js';
import { type Reading, readingOf } from '../locale/locale.js';
import { type CommandRun, type ConfigCommandDeps, configOption, loadOrReport, shellRun } from './config-command.js';

/** The `test` command. */
export function testCommand(deps: ConfigCommandDeps): Command {
  return new Command('test')
    .description('run rule unit tests: sample series over time in, expected alerts out (see docs/rules.md)')
    .argument(
      '[files...]',
      'test files (YAML), or folders of them (their *.yaml); default: the tests folder of the configuration folder',
    )
    .addOption(configOption())
    .option(
      '--json',
      'print JSON: { files: [{ file, ok, checks, failures: [{ where, diff }] }, or { file, problems } or { file, unreadable }], checks, failed, invalid }',
    )
    .addHelpText(
      'after',
      '\nWithout files, runs <configuration folder>/tests/*.yaml (e.g. config/tests/*.yaml).' +
        '\nExit status: 0 every expectation held; 1 one did not, a file or the configuration is invalid, ' +
        'or there is no test file to run.',
    )
    .action(async (files: string[], opts: { config?: string; json?: boolean }) => {
      process.exitCode = await runTests({ ...shellRun(deps, opts.config), files, json: opts.json ?? false });
    });
}

/** What one test file came to: its checks and the ones that failed, or why it could not run. */
type FileOutcome =
  | { file: string; ok: boolean; checks: number; failures: { where: string; diff: string[] }[] }
  | { file: string; ok: false; problems: string[] }
  | { file: string; ok: false; unreadable: string };

/**
 * Loads the rules, runs each file (none given: the configuration folder's tests/*.yaml) and prints PASS/FAIL with
 * diffs, or with `json` one JSON document of every file's outcome; resolves to the exit status.
 */
export async function runTests(opts: CommandRun & { files: readonly string[]; json?: boolean }): Promise<number> {
  const folder = join(opts.dir, 'tests');
  const found = opts.files.length > 0 ? await testFilesOf(opts.files) : await testFilesIn(folder);
  if ('problem' in found) {
    opts.err(
      opts.files.length > 0
        ? `No test files: ${found.problem}. Give test files or folders that hold *.yaml.`
        : `No test files: none given, and ${found.problem}. Give files (centinela test FILE...) or put them in ${folder}.`,
    );
    return 1;
  }
  const { files } = found;
  const config = await loadOrReport(opts);
  if (!config) return 1;
  const outcomes: FileOutcome[] = [];
  for (const file of files) {
    const outcome = await runFile(file, config.alerts, readingOf(config.centinela));
    outcomes.push(outcome);
    if (!opts.json) printOutcome(opts, outcome);
  }
  const checks = outcomes.reduce((n, o) => n + ('checks' in o ? o.checks : 0), 0);
  const failed = outcomes.reduce((n, o) => n + ('failures' in o ? o.failures.length : 0), 0);
  const invalid = outcomes.filter((o) => !('checks' in o)).length;
  if (opts.json) {
    opts.out(JSON.stringify({ files: outcomes, checks, failed, invalid }, null, 2));
  } else {
    const summary = `${files.length} ${files.length === 1 ? 'file' : 'files'}, ${checks} checks: ${checks - failed} passed, ${failed} failed${invalid > 0 ? `, ${invalid} ${invalid === 1 ? 'file' : 'files'} invalid` : ''}`;
    opts.out(`\n${summary}`);
  }
  return failed > 0 || invalid > 0 ? 1 : 0;
}

/** Reads, parses and runs one test file against the rules, whose alerts read as `reading` says. */
async function runFile(file: string, alerts: Config['alerts'], reading: Reading): Promise<FileOutcome> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    return { file, ok: false, unreadable: (err as NodeJS.ErrnoException).code ?? (err as Error).message };
  }
  const parsed = parseRuleTests(text, alerts, file);
  if ('problems' in parsed) return { file, ok: false, problems: parsed.problems };
  const results = await runRuleTests(parsed.file, alerts, reading);
  const failures = results.filter((r) => !r.ok).map((r) => ({ where: r.where, diff: r.diff }));
  return { file, ok: failures.length === 0, checks: results.length, failures };
}

/** PASS, FAIL with a diff per failed check (on out), or ERROR with the problems (on err). */
function printOutcome(opts: CommandRun, o: FileOutcome): void {
  if ('unreadable' in o) {
    opts.err(`ERROR ${o.file}: cannot be read (${o.unreadable})`);
    return;
  }
  if ('problems' in o) {
    opts.err([`ERROR ${o.file}:`, ...o.problems.map((p) => `  ${p}`)].join('\n'));
    return;
  }
  if (o.ok) {
    opts.out(`PASS ${o.file} (${o.checks} checks)`);
    return;
  }
  const out = [`FAIL ${o.file}`];
  for (const f of o.failures) {
    out.push(`  ${f.where}:`, '    (- expected, + got)');
    for (const l of f.diff) out.push(`    ${l}`);
  }
  opts.out(out.join('\n'));
}

/** `<folder>/*.yaml`, sorted, or why there are none (the problem completes "none given, and …"). */
/** The files given, a folder among them standing for its *.yaml (a file that cannot be read is reported when run). */
async function testFilesOf(given: readonly string[]): Promise<{ files: string[] } | { problem: string }> {
  const files: string[] = [];
  for (const path of given) {
    const isFolder = await stat(path).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (!isFolder) {
      files.push(path);
      continue;
    }
    const found = await testFilesIn(path);
    if ('problem' in found) return found;
    for (const file of found.files) files.push(file);
  }
  return { files };
}

async function testFilesIn(folder: string): Promise<{ files: string[] } | { problem: string }> {
  let names: string[];
  try {
    names = await readdir(folder);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return {
      problem:
        code === 'ENOENT' ? `${folder} does not exist` : `${folder} cannot be read (${code ?? (err as Error).message})`,
    };
  }
  const files = names
    .filter((n) => n.endsWith('.yaml'))
    .sort()
    .map((n) => join(folder, n));
  return files.length > 0 ? { files } : { problem: `${folder} holds no *.yaml` };
}
