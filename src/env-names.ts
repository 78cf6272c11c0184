// How a message names a value that came from the environment instead of quoting it, for the config's checks and
// for what the running parts say (a probe's reasons, the API's refusals): by its key and variables.

/** A value filled in from the environment: its key under its entry (`url`, `tls.ca_file`) and its variables. */
export interface EnvValue {
  /** Keys and indices, as config/errors.ts PathKey: a leaf does not reach up into config/. */
  path: readonly (string | number)[];
  /** `url`, `backups[0].glob`: how a reason names it. */
  key: string;
  /** `${DB_HOST}`, `${A} and ${B}`. */
  vars: string;
}

/** An entry of the config as loaded (a probe, rule, channel, contact): with the values of it from the environment. */
export interface FromEnv {
  readonly fromEnv?: readonly EnvValue[];
}

/** `<server.listen from ${CENTINELA_LISTEN}>`. */
export function envName({ key, vars }: EnvValue): string {
  return `<${key} from ${vars}>`;
}

/** The entries whose name came from the environment: each such name, and how a message names it instead. */
export function envNamed(entries: readonly ({ name: string } & FromEnv)[]): ReadonlyMap<string, string> {
  const out = new Map<string, string>();
  for (const { name, fromEnv } of entries) {
    const env = fromEnv?.find((v) => v.path.length === 1 && v.path[0] === 'name');
    if (env) out.set(name, envName(env));
  }
  return out;
}

/**
 * How messages name some names: `shown` to list them, `hints` to offer as "Did you mean", `withheld` what names one
 * that came from the environment.
 */
export interface NamesInMessages {
  shown: readonly string[];
  hints: readonly string[];
  withheld: ReadonlyMap<string, string>;
}

/** `names` as messages give them: one `withheld` (envNamed) by its variable, and never as a hint. */
export function namesInMessages(names: readonly string[], withheld: ReadonlyMap<string, string>): NamesInMessages {
  return { shown: names.map((n) => withheld.get(n) ?? n), hints: names.filter((n) => !withheld.has(n)), withheld };
}

/** The names of config entries (probes) as messages give them. */
export function entryNames(entries: readonly ({ name: string } & FromEnv)[]): NamesInMessages {
  return namesInMessages(
    entries.map((e) => e.name),
    envNamed(entries),
  );
}
