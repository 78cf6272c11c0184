// `centinela test [FILE...] [--config DIR]`: runs rule unit tests (like `promtool test rules`) against the rules of a
// configuration folder, on a fake clock (by default the folder's own tests/*.yaml); prints a diff for every
// expectation that does not hold and exits 1.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command } from 'commander';
import { type CheckResult, parseRuleTests, runRuleTests } from '../engine/rule-tests.js';
import { type CommandRun, type ConfigCommandDeps, configOption, loadOrReport, shellRun } from './config-command.js';

/** The `test` command. */
export function testCommand(deps: ConfigCommandDeps): Command {
  return new Command('test')
    .description('run rule unit tests: sample series over time in, expected alerts out (see docs/rules.md)')
    .argument('[files...]', 'test files (YAML); default: every *.yaml in the tests folder of the configuration folder')
    .addOption(configOption())
    .addHelpText(
      'after',
      '\nWithout files, runs <configuration folder>/tests/*.yaml (e.g. config/tests/*.yaml).' +
        '\nExit status: 0 every expectation held; 1 one did not, a file or the configuration is invalid, ' +
        'or there is no test file to run.',
    )
    .action(async (files: string[], opts: { config?: string }) => {
      process.exitCode = await runTests({ ...shellRun(deps, opts.config), files });
    });
}

/**
 * Loads the rules, runs each file (none given: the configuration folder's tests/*.yaml) and prints PASS/FAIL with
 * diffs; resolves to the exit status.
 */
export async function runTests(opts: CommandRun & { files: readonly string[] }): Promise<number> {
  const folder = join(opts.dir, 'tests');
  const found = opts.files.length > 0 ? { files: opts.files } : await testFilesIn(folder);
  if ('problem' in found) {
    opts.err(
      `No test files: none given, and ${found.problem}. Give files (centinela test FILE...) or put them in ${folder}.`,
    );
    return 1;
  }
  const { files } = found;
  const config = await loadOrReport(opts);
  if (!config) return 1;
  const { alerts } = config;
  let checks = 0;
  let failed = 0;
  let broken = 0;
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      opts.err(`ERROR ${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
      broken++;
      continue;
    }
    const parsed = parseRuleTests(text, alerts, file);
    if ('problems' in parsed) {
      opts.err([`ERROR ${file}:`, ...parsed.problems.map((p) => `  ${p}`)].join('\n'));
      broken++;
      continue;
    }
    const results = await runRuleTests(parsed.file, alerts);
    checks += results.length;
    const bad = results.filter((r) => !r.ok);
    failed += bad.length;
    opts.out(bad.length === 0 ? `PASS ${file} (${results.length} checks)` : formatFailure(file, bad));
  }
  const summary = `${files.length} ${files.length === 1 ? 'file' : 'files'}, ${checks} checks: ${checks - failed} passed, ${failed} failed${broken > 0 ? `, ${broken} ${broken === 1 ? 'file' : 'files'} invalid` : ''}`;
  opts.out(`\n${summary}`);
  return failed > 0 || broken > 0 ? 1 : 0;
}

/** `<folder>/*.yaml`, sorted, or why there are none (the problem completes "none given, and …"). */
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

function formatFailure(file: string, bad: readonly CheckResult[]): string {
  const out = [`FAIL ${file}`];
  for (const r of bad) {
    out.push(`  ${r.where}:`, '    (- expected, + got)');
    for (const l of r.diff) out.push(`    ${l}`);
  }
  return out.join('\n');
}
