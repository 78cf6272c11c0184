// Client packages loaded at first use: the module when it loads, and a clear error naming the package and the fix
// when it cannot (not installed, or broken), which a probe run and a delivery report as their reason.
import { describe, expect, it } from 'vitest';
import { loadPackage, PackageLoadError } from '../src/load-package.js';
import { describeFailure } from '../src/probes/net-failure.js';

const at = { host: '127.0.0.1', port: 8000 };

describe('loadPackage', () => {
  it('gives the package', async () => {
    const { Redis } = await loadPackage('ioredis', () => import('ioredis'));
    expect(typeof Redis).toBe('function');
  });

  it('names a package that is not installed, and says how to get it back', async () => {
    const missing = 'centinela-no-such-package';
    const err = await loadPackage(missing, () => import(missing)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PackageLoadError);
    expect((err as PackageLoadError).code).toBe('CENTINELA_PACKAGE_LOAD');
    expect((err as Error).message).toMatch(
      /^package "centinela-no-such-package" could not be loaded \(Cannot find (package|module) 'centinela-no-such-package'.*\); reinstall centinela's dependencies \(npm ci --omit=dev\)$/,
    );
    expect((err as Error).cause).toBeInstanceOf(Error);
  });

  it('names a package whose code throws as it loads', async () => {
    const broken = 'data:text/javascript,throw new Error("half-written build")';
    const err = await loadPackage('dockerode', () => import(broken)).catch((e: unknown) => e);
    expect((err as Error).message).toBe(
      `package "dockerode" could not be loaded (half-written build); reinstall centinela's dependencies (npm ci --omit=dev)`,
    );
  });

  it('is the reason of a network probe run, whatever the signal says: no target is to blame', () => {
    const err = new PackageLoadError('undici', new Error("Cannot find package 'undici'"));
    const aborted = AbortSignal.abort(new Error('timed out after 5s'));
    expect(describeFailure(err, aborted, at)).toBe(err.message);
    expect(describeFailure(err, new AbortController().signal, at)).toBe(err.message);
  });
});
