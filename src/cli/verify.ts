// `centinela verify [--config DIR] [--fail-on P1] [--json]`: the post-deploy check. Runs every probe once (rate-based
// kinds twice), looks at every rule ignoring `for` and `after_failures`, prints ✅ ⚠️ 🚨 per check like the
// runbook, and exits 1 when a probe is down or a rule breaches at --fail-on or more urgent.
import { Command } from 'commander';
import type { Logger } from 'pino';
import { type Clock, systemClock } from '../clock.js';
import { parseDuration } from '../duration.js';
import { readingOf } from '../locale/locale.js';
import { checkProbes } from '../probes/guarded-run.js';
import { compileAlerting } from '../rules/alerting.js';
import { type Verification, verifyRuns } from '../rules/verify.js';
import { type Labels, PRIORITIES, type Priority, type ProbeRun } from '../types.js';
import {
  type CommandRun,
  type ConfigCommandDeps,
  commandLogger,
  configOption,
  loadOrReport,
  shellRun,
} from './config-command.js';
import { DEFAULT_BACKUP_MAX_AGE, preDeploy } from './pre-deploy.js';

/** The runbook's 🚨 band is P1: by default a deploy fails on P1 and P0, and P2/P3 (⚠️) are shown, not fatal. */
export const DEFAULT_FAIL_ON: Priority = 'P1';

interface VerifyFlags {
  config?: string;
  failOn: string;
  json?: boolean;
  interval: string;
  preDeploy?: boolean;
  appEnv: string;
  backupMaxAge: string;
}

/** The `verify` command. */
export function verifyCommand(deps: ConfigCommandDeps): Command {
  return new Command('verify')
    .description('post-deploy check: run every probe once, look at every rule (ignoring for/after_failures), ✅ ⚠️ 🚨')
    .addOption(configOption())
    .option('--fail-on <priority>', 'fail when a rule breaches at this priority or a more urgent one', DEFAULT_FAIL_ON)
    .option('--json', 'print JSON instead of a table')
    .option('-i, --interval <duration>', 'time between the two runs of rate-based kinds', '5s')
    .option(
      '--pre-deploy',
      "the runbook's pre-deploy checklist instead: the env file (--app-env) has no CAMBIAR_POR placeholder and every " +
        'critical variable, and a recent backup is present',
    )
    .option('--app-env <file>', "the application's env file, for --pre-deploy", '.env.production')
    .option(
      '--backup-max-age <duration>',
      'for --pre-deploy: the newest backup must be younger',
      DEFAULT_BACKUP_MAX_AGE,
    )
    .addHelpText(
      'after',
      '\nExit status: 0 every probe is up and no rule breaches at --fail-on (default P1) or above;' +
        '\n1 a probe is down, a rule breaches at --fail-on or above, or the configuration or an option is invalid.' +
        '\nWith --pre-deploy: 0 every check of the list passed, 1 otherwise.',
    )
    .action(async (opts: VerifyFlags) => {
      if (opts.preDeploy) {
        process.exitCode = await preDeploy({
          ...shellRun(deps, opts.config),
          appEnv: opts.appEnv,
          backupMaxAge: opts.backupMaxAge,
          clock: systemClock,
          json: opts.json ?? false,
        });
        return;
      }
      const log = commandLogger(deps);
      process.exitCode = log
        ? await verify({
            ...shellRun(deps, opts.config),
            failOn: opts.failOn,
            json: opts.json ?? false,
            interval: opts.interval,
            clock: systemClock,
            log,
          })
        : 1;
    });
}

/** Loads the folder, runs the probes, checks the rules and prints; resolves to the exit status. */
export async function verify(opts: VerifyOptions & { json: boolean }): Promise<number> {
  const verdict = await verification(opts);
  if (!verdict) return 1;
  opts.out(opts.json ? JSON.stringify(verdict, null, 2) : formatVerification(verdict));
  return verdict.ok ? 0 : 1;
}

/** What verify is given: where it reads and reports, the priority that fails it, how long probes get between runs. */
export type VerifyOptions = CommandRun & {
  failOn: string;
  interval: string;
  clock: Clock;
  /** Where a probe that threw is logged (stderr for the command, so stdout stays the table or the JSON). */
  log: Logger;
};

/** Loads the folder, runs the probes and checks the rules: the verdict, or undefined after saying what stopped it. */
export async function verification(opts: VerifyOptions): Promise<Verification | undefined> {
  if (!(PRIORITIES as readonly string[]).includes(opts.failOn)) {
    opts.err(`--fail-on: "${opts.failOn}" is not a priority. Use P0, P1, P2 or P3`);
    return undefined;
  }
  const intervalMs = parseDuration(opts.interval);
  if (intervalMs === undefined) {
    opts.err(`--interval: "${opts.interval}" is not a duration. Write 500ms, 5s or 1m`);
    return undefined;
  }
  const config = await loadOrReport(opts);
  if (!config) return undefined;
  // The loader has reported every rule problem, so a loaded config compiles without issues.
  const { alerting } = compileAlerting(config.alerts, readingOf(config.centinela));
  try {
    const outcomes = await checkProbes(config.alerts.probes, { clock: opts.clock, log: opts.log, intervalMs });
    const runs: ProbeRun[] = outcomes.map(({ config: probe, result, samples, startedAt }) => ({
      probe: probe.name,
      up: result.up,
      samples,
      at: startedAt,
      ...(result.detail === undefined ? {} : { detail: result.detail }),
      ...(result.up
        ? result.cannotMeasure
          ? { cannotMeasure: result.cannotMeasure }
          : {}
        : { reason: result.reason }),
    }));
    return verifyRuns(runs, alerting, opts.failOn as Priority, opts.clock.now());
  } finally {
    for (const w of alerting.windows) w.close();
  }
}

/** The runbook-style table: one line per probe and per rule × series, then the verdict. */
export function formatVerification(v: Verification): string {
  const rows: [string, string, string][] = [
    ...v.probes.map((p): [string, string, string] => [
      p.mark,
      `probe ${p.probe}`,
      p.status === 'up' ? 'up' : `${p.status === 'down' ? 'DOWN' : 'cannot measure'}: ${p.reason ?? ''}`,
    ]),
    ...v.checks.map((c): [string, string, string] => [c.mark, `${c.rule}${formatLabels(c.labels)}`, c.text]),
  ];
  const width = rows.reduce((w, [, name]) => Math.max(w, name.length), 5);
  const lines = [`   ${'CHECK'.padEnd(width)}  RESULT`, ...rows.map(([m, n, t]) => `${m} ${n.padEnd(width)}  ${t}`)];
  const down = v.probes.filter((p) => p.status === 'down').length;
  const fatal =
    v.checks.filter((c) => c.mark === '🚨').length +
    v.probes.filter((p) => p.status !== 'down' && p.mark === '🚨').length;
  const count = (mark: string) => [...v.probes, ...v.checks].filter((x) => x.mark === mark).length;
  const tally = `✅ ${count('✅')}  ⚠️ ${count('⚠️')}  🚨 ${count('🚨')}`;
  const verdict = v.ok
    ? `PASSED: every probe is up and nothing breaches at ${v.failOn} or above`
    : `FAILED: ${down} ${down === 1 ? 'probe' : 'probes'} down, ${fatal} ${fatal === 1 ? 'check' : 'checks'} at ${v.failOn} or above`;
  return [...lines, '', `${verdict} (--fail-on ${v.failOn}).  ${tally}`].join('\n');
}

function formatLabels(labels: Labels): string {
  const pairs = Object.entries(labels).map(([k, val]) => `${k}=${JSON.stringify(val)}`);
  return pairs.length > 0 ? `{${pairs.join(', ')}}` : '';
}
