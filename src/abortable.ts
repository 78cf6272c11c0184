// Stops waiting on a client library call that takes no AbortSignal (pg, ioredis) when the caller's signal aborts.

/**
 * Settles as `work` does, unless `signal` aborts first: then `onAbort` runs (it should destroy the connection, so a
 * hung server keeps no socket open) and the promise rejects with the signal's reason. A rejection of `work` after
 * the abort is swallowed: nobody is waiting for it any more.
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal, onAbort?: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const abort = () => {
      onAbort?.();
      reject(signal.reason);
    };
    if (signal.aborted) {
      work.catch(() => {});
      abort();
      return;
    }
    signal.addEventListener('abort', abort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', abort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', abort);
        reject(err);
      },
    );
  });
}
