// What the commands that read a configuration folder (check, probe, test, verify, notify-test, run) take from main,
// and the --config option they all offer.
import { Option } from 'commander';
import type { Env } from '../config/env.js';

/** What main gives a command that reads the configuration folder. */
export interface ConfigCommandDeps {
  /** The folder: the --config flag, else CENTINELA_CONFIG, else ./config. */
  configDir(flag?: string): string;
  /** The environment, for ${VAR} in the configuration. */
  env: Env;
}

/** `-c, --config <dir>`, the same on every command that reads the configuration (one Option per command). */
export function configOption(): Option {
  return new Option('-c, --config <dir>', 'configuration folder (default: $CENTINELA_CONFIG, else ./config)');
}
