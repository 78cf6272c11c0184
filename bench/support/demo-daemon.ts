// The demo in-process on the system clock, for benches that time an incident end to end: demo/config against a
// demo target, paging a demo sink, with a fresh daemon and state file per trial (repeated incidents of one alert in
// one state would rightly be held as flapping).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { type DemoSink, type ReceivedPage, startDemoSink } from '../../demo/sink.js';
import { type DemoTarget, startDemoTarget } from '../../demo/target.js';
import { startDaemon } from '../../src/cli/run.js';
import { systemClock } from '../../src/clock.js';

export interface DemoBench {
  target: DemoTarget;
  sink: DemoSink;
  /** Starts a daemon over demo/config with a state file of its own; close it at the end of the trial. */
  daemon(): Promise<{ close(): Promise<void> }>;
  /** The generic-webhook pages (the pager's hook) that carry an `event` (firing, resolved, …), in order. */
  pages(event: string): ReceivedPage[];
  close(): Promise<void>;
}

export async function startDemoBench(): Promise<DemoBench> {
  const target = await startDemoTarget();
  const sink = await startDemoSink(() => systemClock.now());
  const dir = mkdtempSync(join(tmpdir(), 'centinela-bench-'));
  let trials = 0;
  return {
    target,
    sink,
    daemon: () =>
      startDaemon('demo/config', {
        env: {
          DEMO_TARGET_URL: target.url,
          DEMO_SINK_URL: sink.url,
          DEMO_LISTEN: '127.0.0.1:0',
          DEMO_STATE: join(dir, `state-${trials++}.db`),
        },
        log: pino({ level: 'silent' }),
      }),
    pages: (event) => sink.pages.filter((p) => p.hook === 'console' && p.events.some((e) => e.event === event)),
    close: async () => {
      await Promise.all([target.close(), sink.close()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
