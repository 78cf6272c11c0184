// `centinela test FILE... [--config DIR]`: runs rule unit tests (like `promtool test rules`) against the rules of a
// configuration folder, on a fake clock; prints a diff for every expectation that does not hold and exits 1.
import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { type CheckResult, parseRuleTests, runRuleTests } from '../rules/rule-tests.js';
import { type CommandRun, type ConfigCommandDeps, configOption, loadOrReport, shellRun } from './config-command.js';

/** The `test` command. */
export function testCommand(deps: ConfigCommandDeps): Command {
  return new Command('test')
    .description('run rule unit tests: sample series over time in, expected alerts out (see docs/rules.md)')
    .argument('<files...>', 'test files (YAML), e.g. config/tests/*.yaml')
    .addOption(configOption())
    .addHelpText(
      'after',
      '\nExit status: 0 every expectation held; 1 one did not, or a file or the configuration is invalid.',
    )
    .action(async (files: string[], opts: { config?: string }) => {
      process.exitCode = await runTests({ ...shellRun(deps, opts.config), files });
    });
}

/** Loads the rules, runs each file and prints PASS/FAIL with diffs; resolves to the exit status. */
export async function runTests(opts: CommandRun & { files: readonly string[] }): Promise<number> {
  const config = await loadOrReport(opts);
  if (!config) return 1;
  const { alerts } = config;
  let checks = 0;
  let failed = 0;
  let broken = 0;
  for (const file of opts.files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      opts.err(`ERROR ${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
      broken++;
      continue;
    }
    const parsed = parseRuleTests(text, alerts);
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
  const summary = `${opts.files.length} ${opts.files.length === 1 ? 'file' : 'files'}, ${checks} checks: ${checks - failed} passed, ${failed} failed${broken > 0 ? `, ${broken} ${broken === 1 ? 'file' : 'files'} invalid` : ''}`;
  opts.out(`\n${summary}`);
  return failed > 0 || broken > 0 ? 1 : 0;
}

function formatFailure(file: string, bad: readonly CheckResult[]): string {
  const out = [`FAIL ${file}`];
  for (const r of bad) {
    out.push(`  ${r.where}:`, '    (- expected, + got)');
    for (const l of r.diff) out.push(`    ${l}`);
  }
  return out.join('\n');
}
