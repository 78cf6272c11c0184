// A 100 ms timer standing in for the probe scheduler: how late it ran says whether the event loop kept probes' pace.

/** Starts the timer; `stop()` lets one more turn run (a timer due during the last piece of work reports) and ends it. */
export function watchTimer(everyMs = 100): { stop(): Promise<number> } {
  let lateMs = 0;
  let due = performance.now() + everyMs;
  const timer = setInterval(() => {
    lateMs = Math.max(lateMs, performance.now() - due);
    due = performance.now() + everyMs;
  }, everyMs);
  return {
    async stop() {
      await new Promise((resolve) => setTimeout(resolve, everyMs + 10));
      clearInterval(timer);
      return lateMs;
    },
  };
}
