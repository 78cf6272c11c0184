// `centinela probe [NAME...] [--config DIR] [--json] [--interval 5s]`: runs the named probes (or all) once, kinds
// whose samples are rates twice --interval apart, and prints every sample as a table or JSON. For a person
// checking a target, and for scripts (see the exit status in --help).
import { Command } from 'commander';
import type { Logger } from 'pino';
import { type Clock, systemClock } from '../clock.js';
import { didYouMean } from '../did-you-mean.js';
import { parseDuration } from '../duration.js';
import { entryNames } from '../env-names.js';
import { firstOf, quoted } from '../excerpt.js';
import { type CheckOutcome, checkProbes } from '../probes/guarded-run.js';
import type { Labels } from '../types.js';
import { alignColumns } from './columns.js';
import {
  type CommandRun,
  type ConfigCommandDeps,
  commandLogger,
  configOption,
  loadOrReport,
  shellRun,
} from './config-command.js';

/** Exit statuses, as --help states them. */
export const EXIT = { allUp: 0, cannotRun: 1, notAllUp: 2 } as const;

/** The `probe` command. */
export function probeCommand(deps: ConfigCommandDeps): Command {
  return new Command('probe')
    .description('run probes once and print their samples (kinds whose samples are rates run twice, --interval apart)')
    .argument('[names...]', 'probes to run, by name (default: every probe in the configuration)')
    .addOption(configOption())
    .option('--json', 'print JSON instead of a table')
    .option('-i, --interval <duration>', 'time between the two runs of rate-based kinds', '5s')
    .addHelpText(
      'after',
      '\nExit status: 0 every probe is up; 1 nothing was run (bad configuration, unknown probe name, bad --interval);' +
        '\n2 a probe is down or cannot measure (its reason is printed).',
    )
    .action(async (names: string[], opts: { config?: string; json?: boolean; interval: string }) => {
      const log = commandLogger(deps);
      process.exitCode = log
        ? await probe({
            ...shellRun(deps, opts.config),
            names,
            json: opts.json ?? false,
            interval: opts.interval,
            clock: systemClock,
            log,
          })
        : EXIT.cannotRun;
    });
}

/** Loads the folder, runs the probes and prints them; resolves to the exit status. */
export async function probe(
  opts: CommandRun & {
    names: readonly string[];
    json: boolean;
    interval: string;
    clock: Clock;
    /** Where a probe that threw is logged (stderr for the command, so stdout stays the table or the JSON). */
    log: Logger;
  },
): Promise<number> {
  const intervalMs = parseDuration(opts.interval);
  if (intervalMs === undefined) {
    opts.err(`--interval: "${opts.interval}" is not a duration. Write 500ms, 5s or 1m`);
    return EXIT.cannotRun;
  }
  const config = await loadOrReport(opts);
  if (!config) return EXIT.cannotRun;
  const { probes } = config.alerts;
  const defined = probes.map((p) => p.name);
  const unknown = opts.names.filter((n) => !defined.includes(n));
  if (unknown.length > 0) {
    const names = entryNames(probes);
    for (const n of unknown) {
      opts.err(
        `no probe named ${quoted(n)} in ${opts.dir}.${didYouMean(n, names.hints)} Defined: ${firstOf(names.shown) || 'none'}`,
      );
    }
    return EXIT.cannotRun;
  }
  const chosen = opts.names.length > 0 ? probes.filter((p) => opts.names.includes(p.name)) : probes;
  const outcomes = await checkProbes(chosen, { clock: opts.clock, log: opts.log, intervalMs });
  opts.out(opts.json ? JSON.stringify(outcomes.map(toJson), null, 2) : formatTable(outcomes));
  return outcomes.every((o) => o.result.up && !o.result.cannotMeasure) ? EXIT.allUp : EXIT.notAllUp;
}

/** The JSON shape of one probe's outcome. */
function toJson(o: CheckOutcome) {
  const { result } = o;
  return {
    probe: o.config.name,
    kind: o.config.kind,
    up: result.up,
    runs: o.runs,
    ...(result.up ? {} : { reason: result.reason }),
    ...(result.up && result.cannotMeasure ? { cannot_measure: result.cannotMeasure } : {}),
    ...(result.detail ? { detail: result.detail } : {}),
    samples: o.samples,
  };
}

/**
 * A table of every sample (PROBE, UP, SAMPLE, LABELS, VALUE), then one line per probe that is down, cannot measure
 * or has detail to show.
 */
export function formatTable(outcomes: readonly CheckOutcome[]): string {
  const rows = [['PROBE', 'UP', 'SAMPLE', 'LABELS', 'VALUE']];
  for (const o of outcomes) {
    for (const s of o.samples) {
      rows.push([o.config.name, o.result.up ? '1' : '0', s.name, formatLabels(s.labels), formatValue(s.value)]);
    }
  }
  const lines = alignColumns(rows);
  const notes: string[] = [];
  for (const o of outcomes) {
    const { name } = o.config;
    if (!o.result.up) notes.push(`${name}: DOWN: ${o.result.reason}`);
    else if (o.result.cannotMeasure) notes.push(`${name}: cannot measure: ${o.result.cannotMeasure}`);
    if (o.result.detail) notes.push(`${name}: ${o.result.detail.replace(/\n/g, `\n${' '.repeat(name.length + 2)}`)}`);
  }
  return [...lines, ...(notes.length > 0 ? ['', ...notes] : [])].join('\n');
}

/** `{route="/x", status="5xx"}`, or nothing for no labels. */
function formatLabels(labels: Labels): string {
  const pairs = Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return pairs.length > 0 ? `{${pairs.join(', ')}}` : '';
}

/** Integers as they are, other numbers to 6 significant digits. */
function formatValue(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
}
