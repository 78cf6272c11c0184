// The registry is complete and consistent: every probe file is registered under its file name, has a test, and
// every registered kind is one the configuration language knows and `check` does not refuse.
import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { probeConfig } from '../../src/config/probes.js';
import { probeKinds } from '../../src/probes/index.js';

const probesDir = new URL('../../src/probes/', import.meta.url);
const testsDir = new URL('./', import.meta.url);
const fileOf = (kind: string) => `${kind.replace(/_/g, '-')}.ts`;
const configKinds = probeConfig.options.map((o) => o.shape.kind.value as string);

/** Each .ts file in src/probes/ with its default export when that export is a probe kind. */
const files = await Promise.all(
  readdirSync(probesDir)
    .filter((f) => f.endsWith('.ts'))
    .map(async (file) => {
      const exported: unknown = (await import(new URL(file, probesDir).href)).default;
      const isProbe =
        typeof exported === 'object' &&
        exported !== null &&
        typeof (exported as { kind?: unknown }).kind === 'string' &&
        typeof (exported as { create?: unknown }).create === 'function';
      return { file, probe: isProbe ? (exported as { kind: string }) : undefined };
    }),
);

describe('probe registry', () => {
  it('registers every file whose default export is a probe', () => {
    const unregistered = files.filter((f) => f.probe && !probeKinds.includes(f.probe as never)).map((f) => f.file);
    expect(unregistered, 'add these to the array in src/probes/index.ts').toEqual([]);
  });

  it('keeps each kind in the file named after it (_ written -)', () => {
    const misplaced = probeKinds
      .filter((kind) => files.find((f) => f.probe === kind)?.file !== fileOf(kind.kind))
      .map((kind) => kind.kind);
    expect(misplaced, 'src/probes/<kind>.ts must default-export the kind').toEqual([]);
  });

  it('has no file named after a kind that is not that kind', () => {
    const impostors = files
      .filter(
        (f) =>
          configKinds.some((k) => fileOf(k) === f.file) &&
          f.probe?.kind !== f.file.replace(/\.ts$/, '').replace(/-/g, '_'),
      )
      .map((f) => f.file);
    expect(impostors, 'a file named after a kind must default-export defineProbe({ kind })').toEqual([]);
  });

  it('has a test file for every probe', () => {
    const untested = files.filter(
      (f) => f.probe && !existsSync(new URL(f.file.replace(/\.ts$/, '.test.ts'), testsDir)),
    );
    expect(
      untested.map((f) => f.file),
      'add test/probes/<file>.test.ts',
    ).toEqual([]);
  });

  it('registers each kind once, only kinds of the configuration language', () => {
    const kinds = probeKinds.map((k) => k.kind);
    expect(new Set(kinds).size).toBe(kinds.length);
    expect(kinds.filter((k) => !configKinds.includes(k))).toEqual([]);
  });
});
