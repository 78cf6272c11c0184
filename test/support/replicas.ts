// Two `centinela run` processes on one PostgreSQL database (issue 18): the test database of the file, a new world
// per test, the pair spawned on it, and everything killed, closed and emptied after each test.
import { afterAll, afterEach, beforeAll } from 'vitest';
import { systemClock } from '../../src/clock.js';
import type { Env } from '../../src/config/env.js';
import { type DaemonProcess, spawnCentinela, spawnDaemon, startWorld, usePostgresState, type World } from './daemon.js';
import { createTestDatabase, type TestDatabase } from './pg.js';

/** What a test of two replicas gets (see replicaPerTest). */
export interface ReplicaTest {
  /** The file's test database (its schema emptied after each test). */
  readonly db: TestDatabase;
  /** Starts this test's world on the system clock (the processes keep real time); closed after the test. */
  world(extra: Env): Promise<World>;
  /** Spawns the active (first) and, once it runs, the standby, serving; both killed after the test. */
  pair(w: World): Promise<{ active: DaemonProcess; standby: DaemonProcess }>;
  /** A process the test spawned itself, killed after the test like the pair. */
  track(d: DaemonProcess): DaemonProcess;
}

/** Registers the hooks of a file of two-replica tests. */
export function replicaPerTest(): ReplicaTest {
  let db: TestDatabase | undefined;
  let world: World | undefined;
  const daemons: DaemonProcess[] = [];
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db?.drop());
  afterEach(async () => {
    for (const d of daemons.splice(0)) {
      d.kill('SIGKILL');
      await d.exited;
    }
    await world?.close();
    world = undefined;
    const client = await t.db.connect();
    await client.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
    await client.end();
  });
  const t: ReplicaTest = {
    get db() {
      if (!db) throw new Error('replicaPerTest: the database is made in beforeAll');
      return db;
    },
    async world(extra) {
      world = await startWorld(extra, systemClock);
      return world;
    },
    async pair(w) {
      const env = { ...w.env, ...usePostgresState(w, t.db.url) };
      const active = await spawnDaemon(w, env);
      daemons.push(active);
      const standby = await spawnCentinela(w.configDir, env, { until: /^standby: .* serves reads/, within: 40_000 });
      daemons.push(standby);
      return { active, standby };
    },
    track(d) {
      daemons.push(d);
      return d;
    },
  };
  return t;
}
