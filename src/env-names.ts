// How a message names a value that came from the environment instead of quoting it, for the config's checks and
// for what the running parts say (a probe's reasons, the API's refusals): by its key and variables.
import type { EnvValue, FromEnv } from './config/env-values.js';

/** `<server.listen from ${CENTINELA_LISTEN}>`. */
export function envName({ key, vars }: EnvValue): string {
  return `<${key} from ${vars}>`;
}

/** How messages name some entries (probes): `shown` to list them, `hints` to offer as "Did you mean". */
export interface NamesInMessages {
  shown: readonly string[];
  hints: readonly string[];
}

/** Entries' names as messages give them: one that came from the environment by its variable, and never as a hint. */
export function namesInMessages(entries: readonly ({ name: string } & FromEnv)[]): NamesInMessages {
  const shown: string[] = [];
  const hints: string[] = [];
  for (const { name, fromEnv } of entries) {
    const env = fromEnv?.find((v) => v.path.length === 1 && v.path[0] === 'name');
    shown.push(env ? envName(env) : name);
    if (!env) hints.push(name);
  }
  return { shown, hints };
}
