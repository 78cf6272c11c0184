// What the commands that read a configuration folder (check, probe, test, verify, notify-test, run) take from main,
// the --config option they all offer, and the logger of the one-shot ones.
import { Option } from 'commander';
import { type Logger, pino } from 'pino';
import { type Clock, systemClock } from '../clock.js';
import type { Env } from '../config/env.js';
import { createLogger, isLogLevel, LOG_LEVELS } from '../log.js';

/** What main gives a command that reads the configuration folder. */
export interface ConfigCommandDeps {
  /** The folder: the --config flag, else CENTINELA_CONFIG, else ./config. */
  configDir(flag?: string): string;
  /** The environment, for ${VAR} in the configuration and LOG_LEVEL. */
  env: Env;
  /** Which outputs are terminals: log lines are readable there, JSON lines elsewhere. */
  tty: { stdout: boolean; stderr: boolean };
}

/** `-c, --config <dir>`, the same on every command that reads the configuration (one Option per command). */
export function configOption(): Option {
  return new Option('-c, --config <dir>', 'configuration folder (default: $CENTINELA_CONFIG, else ./config)');
}

/**
 * The logger of a one-shot command (probe, verify, notify-test): on stderr, so stdout stays the command's output;
 * at LOG_LEVEL, else warn (only what went wrong). Or, when LOG_LEVEL names no level, the problem to print.
 */
export function commandLogger(
  deps: Pick<ConfigCommandDeps, 'env' | 'tty'>,
  clock: Clock = systemClock,
): { log: Logger } | { problem: string } {
  const level = deps.env.LOG_LEVEL ?? 'warn';
  if (!isLogLevel(level)) {
    return { problem: `LOG_LEVEL "${level}" is not a level. Use ${LOG_LEVELS.join(', ')}` };
  }
  return { log: createLogger({ level, pretty: deps.tty.stderr, clock, destination: pino.destination(2) }) };
}
