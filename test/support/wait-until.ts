// Waiting on real I/O in tests (a sink receiving): polls a condition, fails with a message after a deadline.

/** Resolves once `done()` is true; rejects with `what()` after `within` ms of real time. */
export async function waitUntil(done: () => boolean, within: number, what: () => string): Promise<void> {
  const deadline = Date.now() + within;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`${what()} after ${within} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
