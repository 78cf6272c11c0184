// A client package loaded at its first use, so the daemon keeps in memory only the clients its config uses: dockerode
// alone brings ssh2, gRPC and protobuf.js (about 5 MB of heap), nodemailer and ioredis 1 to 3 MB each.

/** A package that could not be loaded: not installed (an `npm ci` that left it out) or broken. */
export class PackageLoadError extends Error {
  override readonly name = 'PackageLoadError';
  readonly code = 'CENTINELA_PACKAGE_LOAD';

  constructor(pkg: string, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(`package "${pkg}" could not be loaded (${why}); reinstall centinela's dependencies (npm ci --omit=dev)`, {
      cause,
    });
  }
}

/**
 * The package `pkg`, through `load` (a literal `() => import('pkg')`, so that its types follow). Node keeps a loaded
 * module, so later calls cost a lookup. A failure throws PackageLoadError.
 */
export async function loadPackage<T>(pkg: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (err) {
    throw new PackageLoadError(pkg, err);
  }
}
