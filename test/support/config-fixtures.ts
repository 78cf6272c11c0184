// The configuration fixtures of test/fixtures/config and the loader's error text for them, shared by the config tests.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { parseConfig } from '../../src/config/load.js';
import type { FileKey } from '../../src/config/references.js';

/** Where the fixtures are: one folder per problem, each replacing some files of `valid`. */
export const FIXTURES = 'test/fixtures/config';

/** The smallest valid configuration, the base each fixture starts from. */
export const VALID = { alerts: read('valid', 'alerts'), escalation: read('valid', 'escalation') };

function read(dir: string, key: FileKey): string {
  return readFileSync(join(FIXTURES, dir, `${key}.yaml`), 'utf8');
}

/** The fixture's own files over the valid base, as the loader would read them from `test/fixtures/config/<name>`. */
export function fixture(name: string): Partial<Record<FileKey, string>> {
  const texts: Partial<Record<FileKey, string>> = { ...VALID };
  for (const key of ['alerts', 'escalation', 'centinela'] as const) {
    if (existsSync(join(FIXTURES, name, `${key}.yaml`))) texts[key] = read(name, key);
  }
  return texts;
}

/** The ConfigError text for a set of files, or a failure when they load. */
export function problems(
  dir: string,
  texts: Partial<Record<FileKey, string>>,
  env: Record<string, string> = {},
): string {
  try {
    parseConfig(dir, texts, env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).message;
  }
  throw new Error(`${dir} loaded without a problem`);
}
