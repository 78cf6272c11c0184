// Which values of a probe's, channel's or contact's config came from the environment, and the scrubber that names them by key
// (and hides its secrets) wherever its reasons, details or log lines would quote them: a host that came from
// ${DB_HOST} becomes `<url from ${DB_HOST}>`, as the configuration's own messages name such a value by its variables.
import { dirname } from 'node:path';
import { type EnvValue, envName, type FromEnv } from '../env-names.js';
import type { Filled } from './env.js';
import { formatPath, isUnder, type PathKey } from './errors.js';
import { valueAt } from './schema-walk.js';
import { Secret, scrubberFor } from './secret.js';

/** The values of the entry at `under` (a probe: `['probes', 2]`) that came from the environment, keyed below it. */
export function envValuesUnder(filled: readonly Filled[], under: readonly PathKey[]): EnvValue[] {
  return filled
    .filter((f) => f.path.length > under.length && isUnder(f.path, under))
    .map((f) => {
      const path = f.path.slice(under.length);
      const names = [...new Set(f.vars)].map((v) => `\${${v}}`);
      const vars = names.length === 1 ? (names[0] as string) : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
      return { path, key: formatPath(path), vars };
    });
}

/** The name of the value at `path` when one of `values` says it came from the environment; else undefined. */
export function envNameAt(values: readonly EnvValue[] | undefined, path: readonly PathKey[]): string | undefined {
  const key = formatPath(path);
  const from = values?.find((v) => v.key === key);
  return from && envName(from);
}

/**
 * What the messages of a probe or channel (reasons, details, log lines) must not hold, taken out of a text: its
 * secrets, as `<secret>` (`urlPaths` as scrubberFor takes it), and its values that came from the environment, named
 * by their key.
 */
export function configScrubber(config: FromEnv, opts: { urlPaths: boolean }): (text: string) => string {
  const secrets = scrubberFor(config, opts);
  const env = envScrubberFor(config);
  return (text) => env(secrets(text));
}

/**
 * Replaces, in a text, every form in which a reason may quote a value of `config` that came from the environment
 * (`fromEnv`) by the key it is written at: the value whole, a URL's host and host name, a path's folder. A form is
 * replaced where it stands as a whole token only, so a short host name does not mangle ordinary words.
 */
function envScrubberFor(config: FromEnv): (text: string) => string {
  const forms: { form: string; as: string }[] = [];
  for (const env of config.fromEnv ?? []) {
    const { path, key, vars } = env;
    const raw = valueAt(config, path);
    const value = raw instanceof Secret ? raw.reveal() : raw;
    if (typeof value !== 'string' || value === '') continue;
    const named = envName(env);
    forms.push({ form: value, as: named });
    const url = URL.parse(value);
    if (url?.host) {
      forms.push({ form: url.host, as: named });
      forms.push({ form: url.hostname.replace(/^\[(.*)\]$/, '$1'), as: named });
    } else if (url && url.pathname !== '') {
      forms.push({ form: url.pathname, as: named }); // unix:///var/run/docker.sock
    }
    // What a receiver refusing it writes back: the address of a display form (`centinela <alerts@example.org>`), a
    // phone number without its spaces and dashes (`+593 99 123 4567` → `+593991234567`).
    for (const [, address] of value.matchAll(/<([^<>\s]+@[^<>\s]+)>/g))
      forms.push({ form: address as string, as: named });
    if (/^\+?[\d\s().-]{7,}$/.test(value)) forms.push({ form: value.replace(/[\s().-]/g, ''), as: named });
    if (!url && value.includes('/')) {
      const folder = dirname(value);
      if (folder !== '/' && folder !== '.') forms.push({ form: folder, as: `<the folder of ${key} from ${vars}>` });
    }
  }
  // Longest first: a URL is replaced whole before its host.
  const steps = forms
    .filter((f) => f.form.length > 0)
    .sort((a, b) => b.form.length - a.form.length)
    .map(({ form, as }) => {
      const escaped = form.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      const token = new RegExp(`(?<![\\p{L}\\p{N}_-])${escaped}(?![\\p{L}\\p{N}_-])`, 'giu');
      return (text: string) => text.replace(token, () => as);
    });
  return (text) => steps.reduce((out, step) => step(out), text);
}
