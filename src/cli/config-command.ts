// What the commands that read a configuration folder (check, probe, test, verify, notify-test, run) take from main,
// the --config option they all offer, how their bodies run (folder, output) and load it, and the one-shot logger.
import { Option } from 'commander';
import { type Logger, pino } from 'pino';
import { type Clock, systemClock } from '../clock.js';
import type { Env } from '../config/env.js';
import { ConfigError, joinOr } from '../config/errors.js';
import { type LoadOptions, loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { createLogger, isLogLevel, LOG_LEVELS, type LogLevel } from '../log.js';

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

/** What a command's body works with: the folder and environment to load, and where its output and problems go. */
export interface CommandRun {
  dir: string;
  env: Env;
  out: (text: string) => void;
  err: (text: string) => void;
}

/** The run of a command started from the shell: the folder --config names, stdout and stderr. */
export function shellRun(deps: ConfigCommandDeps, configFlag: string | undefined): CommandRun {
  return {
    dir: deps.configDir(configFlag),
    env: deps.env,
    out: (text) => console.log(text),
    err: (text) => console.error(text),
  };
}

/** The run's configuration, or undefined after printing every problem of it to `err`. */
export async function loadOrReport(run: CommandRun): Promise<Config | undefined> {
  const loaded = await loadOrIssues(run);
  if ('config' in loaded) return loaded.config;
  run.err(loaded.error.message);
  return undefined;
}

/**
 * The run's configuration, or the ConfigError that lists every problem of it (`check --json` prints them); `checks`
 * adds what `run` meets at its start (see LoadOptions).
 */
export async function loadOrIssues(
  run: Pick<CommandRun, 'dir' | 'env'>,
  checks: Pick<LoadOptions, 'startup' | 'reach' | 'newerSchema'> = {},
): Promise<{ config: Config } | { error: ConfigError }> {
  try {
    return { config: await loadConfig({ dir: run.dir, env: run.env, ...checks }) };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return { error: err };
  }
}

/** What is wrong with LOG_LEVEL, told without its value; undefined when it is unset or names a level. */
export function logLevelProblem(env: Env): string | undefined {
  const level = env.LOG_LEVEL;
  if (level === undefined || isLogLevel(level)) return undefined;
  return `LOG_LEVEL is not a level. Set it to ${joinOr(LOG_LEVELS)}, or leave it unset`;
}

/** The level LOG_LEVEL names, else `fallback` when it is unset; undefined, after saying so on stderr, when it names none. */
export function logLevel(env: Env, fallback: LogLevel): LogLevel | undefined {
  const problem = logLevelProblem(env);
  if (problem) {
    console.error(problem);
    return undefined;
  }
  return (env.LOG_LEVEL as LogLevel | undefined) ?? fallback;
}

/**
 * The logger of a one-shot command (probe, verify, notify-test): on stderr, so stdout stays the command's output;
 * at LOG_LEVEL, else warn (only what went wrong). Undefined, after saying so on stderr, when LOG_LEVEL names no level.
 */
export function commandLogger(
  deps: Pick<ConfigCommandDeps, 'env' | 'tty'>,
  clock: Clock = systemClock,
): Logger | undefined {
  const level = logLevel(deps.env, 'warn');
  if (!level) return undefined;
  return createLogger({ level, pretty: deps.tty.stderr, clock, destination: pino.destination(2) });
}
