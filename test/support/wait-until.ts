// Waiting on real I/O in tests (a sink receiving): polls a condition, fails with a message after a deadline.

/** Resolves once `done()` is true; rejects with `what()` after `within` ms of real time. */
export async function waitUntil(
  done: () => boolean | Promise<boolean>,
  within: number,
  what: () => string,
): Promise<void> {
  const deadline = Date.now() + within;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`${what()} after ${within} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Polls until `check` resolves true (each poll a real request), failing after 20 s with `what`. */
export async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  let ok = false;
  const poll = () => {
    check().then(
      (v) => {
        ok = v;
        if (!ok) setTimeout(poll, 200);
      },
      () => setTimeout(poll, 200),
    );
  };
  poll();
  await waitUntil(
    () => ok,
    20_000,
    () => what,
  );
}
