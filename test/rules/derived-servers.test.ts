// Derived series read from servers come back to their good side when the fault ends, so the shipped rule over each one
// resolves (issue 11, item 3): counter rates, ages, and the metrics probe's window figures. A fault and its end are
// driven through the shipped probe pointed at a real server (PostgreSQL, a throwaway redis-server, loopback HTTP for
// /ws/stats and /metrics, a unix socket answering as the Docker Engine from recorded documents), and each run is
// handed to the shipped rules through the engine on a fake clock, as the scheduler hands it to the daemon.
import { connect, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FakeClock } from '../../src/clock.js';
import { Secret } from '../../src/config/secret.js';
import { type HttpTarget, startHttpTarget } from '../support/http-target.js';
import { TEXT_FORMAT } from '../support/metrics-target.js';
import { createTestDatabase, deadlock, type TestDatabase } from '../support/pg.js';
import { sampleValue } from '../support/probe-runs.js';
import { type RecordedEngine, startRecordedEngine } from '../support/recorded-docker-engine.js';
import { startRedisServer } from '../support/redis.js';
import { type HarnessProbe, RulesHarness } from '../support/rules.js';
import { waitUntil } from '../support/wait-until.js';

const SEC = 1_000;
const MIN = 60_000;

let h: RulesHarness;
let probe: HarnessProbe | undefined;
afterEach(async () => {
  await probe?.close();
  probe = undefined;
  h.close();
});

/** Runs `p` every `every` ms for `ms` of fake time (the first run `every` from now). */
async function runFor(p: HarnessProbe, every: number, ms: number): Promise<void> {
  for (let spent = 0; spent < ms; spent += every) {
    await h.advance(every);
    await p.run();
  }
}

/** The shipped rules, and the shipped probe `name` pointed at the test's server. */
async function shipped(name: string, where: Record<string, unknown>): Promise<HarnessProbe> {
  h = await RulesHarness.shipped();
  probe = h.probe(name, where);
  return probe;
}

describe('db.deadlocks_per_second (DbDeadlocks: over 0 P3, clear_for 30m)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
    const c = await db.connect();
    await c.query('CREATE TABLE account (id int PRIMARY KEY, balance int); INSERT INTO account VALUES (1, 0), (2, 0)');
  });
  afterAll(() => db.drop());

  it('comes back to 0 at the first run without a deadlock, and the alert resolves one clear_for later', async () => {
    const p = await shipped('db', { url: new Secret(db.url) });
    await p.run();
    await deadlock(await db.connect(), await db.connect(), 'account');
    await runFor(p, 30 * SEC, 30 * SEC);
    expect(h.state('DbDeadlocks')).toBe('firing');
    const calm = await h.expectResolvedOneClearForLater(p, 30 * SEC, 'DbDeadlocks');
    expect(sampleValue(calm, 'db.deadlocks_per_second')).toBe(0);
  });
});

describe('redis.rejected_connections_per_second (RedisRejectingConnections: over 0 P2, clear_for 10m)', () => {
  it('comes back to 0 at the first run without a rejection, and the alert resolves one clear_for later', async () => {
    // Room for the probe's connection and one more.
    const server = await startRedisServer({ settings: { maxclients: '2' } });
    const held: Socket[] = [];
    try {
      const p = await shipped('redis', { url: new Secret(server.url) });
      await p.run();
      const open = () => {
        const s = connect(server.port, '127.0.0.1');
        held.push(s);
        return s;
      };
      await new Promise((resolve) => open().once('connect', resolve));
      // The next run sees both clients (the probe's and this one): Redis is full from here on.
      await h.advance(30 * SEC);
      const full = await p.run();
      expect(sampleValue(full.samples, 'redis.connected_clients')).toBe(2);
      // For two minutes, three more clients before each run: Redis answers each with "max number of clients
      // reached" and closes it (read, so that the socket sees the end and closes too). A fault lasts longer than one
      // run, which also gives a cause that could explain it (RedisDown) the time to confirm or not.
      for (let run = 0; run < 4; run++) {
        const refused = [open().resume(), open().resume(), open().resume()];
        await waitUntil(
          () => refused.every((s) => s.closed),
          5_000,
          () => 'Redis did not refuse the clients beyond maxclients',
        );
        await runFor(p, 30 * SEC, 30 * SEC);
      }
      expect(h.state('RedisRejectingConnections')).toBe('firing');
      for (const s of held) s.destroy();
      const calm = await h.expectResolvedOneClearForLater(p, 30 * SEC, 'RedisRejectingConnections');
      expect(sampleValue(calm, 'redis.rejected_connections_per_second')).toBe(0);
    } finally {
      for (const s of held) s.destroy();
      await server.stop();
    }
  });
});

describe('ws_stats.seconds_since_last_broadcast (WebSocketBroadcasterStalled: over 300 P2, clear_for 1m)', () => {
  let api: HttpTarget;
  afterAll(() => api.close());

  it('is small again at the first run after a broadcast, and the alert resolves one clear_for later', async () => {
    api = await startHttpTarget();
    const p = await shipped('ws_stats', { url: new Secret(`${api.url}/ws/stats`) });
    const clock = h.clock;
    let lastBroadcast = clock.now() - 20 * MIN;
    let broadcasts = 50;
    api.route('GET /ws/stats', (_req, res) => {
      const stats = {
        active_connections: 10,
        total_messages_sent: 1500,
        total_broadcasts: broadcasts,
        last_broadcast_at: new Date(lastBroadcast).toISOString(),
      };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stats));
    });
    // Stalled for two minutes, then broadcasting again.
    await p.run();
    await runFor(p, 30 * SEC, 2 * MIN);
    expect(h.state('WebSocketBroadcasterStalled')).toBe('firing');
    // Broadcasting again: a broadcast just before every run.
    const broadcasting = await h.expectResolvedOneClearForLater(p, 30 * SEC, 'WebSocketBroadcasterStalled', {}, () => {
      lastBroadcast = clock.now();
      broadcasts++;
    });
    expect(sampleValue(broadcasting, 'ws_stats.seconds_since_last_broadcast')).toBe(0);
  });

  it('counts a broadcaster that never broadcast (null) as stalled, and fires again for a later stall', async () => {
    api = await startHttpTarget();
    const p = await shipped('ws_stats', { url: new Secret(`${api.url}/ws/stats`) });
    const clock = h.clock;
    let lastBroadcast: number | null = null;
    api.route('GET /ws/stats', (_req, res) => {
      const at = lastBroadcast === null ? null : new Date(lastBroadcast).toISOString();
      const stats = { active_connections: 10, total_messages_sent: 0, total_broadcasts: 0, last_broadcast_at: at };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stats));
    });
    // No broadcast since the API started: a stall from the first run that saw none.
    await p.run();
    await runFor(p, 30 * SEC, 4 * MIN);
    expect(h.state('WebSocketBroadcasterStalled')).toBeUndefined();
    await runFor(p, 30 * SEC, 3 * MIN);
    expect(h.alert('WebSocketBroadcasterStalled')).toMatchObject({ state: 'firing', alert: { priority: 'P2' } });
    // A broadcast resolves it one clear_for later.
    await h.expectResolvedOneClearForLater(p, 30 * SEC, 'WebSocketBroadcasterStalled', {}, () => {
      lastBroadcast = clock.now();
    });
    // The API restarts and forgets its last broadcast (null again), and nothing is broadcast any more: the age runs on
    // from the last broadcast seen, so the alert fires again once it passes 5 minutes.
    const restartedAt = clock.now();
    lastBroadcast = null;
    await runFor(p, 30 * SEC, 4 * MIN);
    expect(h.state('WebSocketBroadcasterStalled')).toBe('resolved');
    await runFor(p, 30 * SEC, 3 * MIN);
    const again = h.alert('WebSocketBroadcasterStalled');
    expect(again).toMatchObject({ state: 'firing', alert: { priority: 'P2' } });
    expect(again?.alert.activeSince).toBeGreaterThan(restartedAt + 5 * MIN);
  });
});

/**
 * The API as its /metrics shows it (the runbook's http_requests_total and http_request_duration_seconds): counters
 * that grow, between scrapes, with the traffic the test sets and the fake time that passes.
 */
function simulatedApi(target: HttpTarget, clock: FakeClock) {
  const bounds = [0.05, 0.1, 0.25, 0.5, 1, 2.5, Number.POSITIVE_INFINITY];
  const counts = { ok: 0, errors: 0, sum: 0, buckets: bounds.map(() => 0) };
  let traffic = { rps: 10, errorShare: 0, seconds: 0.04 };
  let at = clock.now();
  const catchUp = () => {
    const n = (traffic.rps * (clock.now() - at)) / 1000;
    at = clock.now();
    counts.errors += n * traffic.errorShare;
    counts.ok += n * (1 - traffic.errorShare);
    counts.sum += n * traffic.seconds;
    bounds.forEach((b, i) => {
      if (traffic.seconds <= b) counts.buckets[i] = (counts.buckets[i] ?? 0) + n;
    });
  };
  target.route('GET /metrics', (_req, res) => {
    catchUp();
    const le = (b: number) => (b === Number.POSITIVE_INFINITY ? '+Inf' : String(b));
    const lines = [
      '# TYPE http_requests_total counter',
      `http_requests_total{status="200"} ${counts.ok}`,
      `http_requests_total{status="500"} ${counts.errors}`,
      '# TYPE http_request_duration_seconds histogram',
      ...bounds.map((b, i) => `http_request_duration_seconds_bucket{le="${le(b)}"} ${counts.buckets[i]}`),
      `http_request_duration_seconds_sum ${counts.sum}`,
      `http_request_duration_seconds_count ${counts.ok + counts.errors}`,
    ];
    res.writeHead(200, { 'content-type': TEXT_FORMAT }).end(`${lines.join('\n')}\n`);
  });
  return {
    /** From now on the API serves this traffic. */
    set(next: Partial<typeof traffic>) {
      catchUp();
      traffic = { ...traffic, ...next };
    },
  };
}

describe('api_metrics window figures (every 15s over a 5m window)', () => {
  let api: HttpTarget;
  beforeAll(async () => {
    api = await startHttpTarget();
  });
  afterAll(() => api.close());

  // Each fault lasts 8 minutes, then the API is healthy.
  // A severe error rate or latency is paged by the rule's fast path (the last interval, three in a row) and resolves
  // at the first good interval, while the 5-minute window still holds the fault; that echo does not page again.
  it.each([
    ['error_percent', 'ApiErrorRateHigh', { errorShare: 0.2 }, { errorShare: 0 }],
    ['latency_p95_seconds', 'ApiLatencyHigh', { seconds: 0.8 }, { seconds: 0.04 }],
  ])(
    '%s: %s is confirmed within a minute and resolves at the first good interval',
    async (_, alert, fault, healthy) => {
      const p = await shipped('api_metrics', { url: new Secret(`${api.url}/metrics`) });
      const traffic = simulatedApi(api, h.clock);
      await runFor(p, 15 * SEC, MIN);
      traffic.set(fault);
      // Confirmed by the fast path after three intervals; it then waits for its causes (ApiDown, DbDown) to look,
      // whose probes do not run here, so it fires at the end of their confirmation windows.
      await runFor(p, 15 * SEC, MIN);
      expect(h.alert(alert)).toMatchObject({ state: 'pending', alert: { priority: 'P1' } });
      await runFor(p, 15 * SEC, 2 * MIN);
      expect(h.alert(alert)).toMatchObject({ state: 'firing', alert: { priority: 'P1' } });
      await runFor(p, 15 * SEC, 5 * MIN);
      traffic.set(healthy);
      // Resolved at the first good interval; the 5-minute window's echo only makes its own reading pending again.
      await runFor(p, 15 * SEC, 30 * SEC);
      expect(h.state(alert)).toBe('pending');
      await runFor(p, 15 * SEC, 10 * MIN);
      expect(h.state(alert)).not.toBe('firing');
    },
  );

  // The window drains for up to 5 minutes, then clear_for runs.
  it.each([['requests_per_second', 'TrafficAboveRunbookPeak', { rps: 100 }, { rps: 10 }, 13 * MIN]])(
    '%s: %s resolves once the window has drained and clear_for has passed',
    async (_, alert, fault, healthy, by) => {
      const p = await shipped('api_metrics', { url: new Secret(`${api.url}/metrics`) });
      const traffic = simulatedApi(api, h.clock);
      await runFor(p, 15 * SEC, MIN);
      traffic.set(fault);
      await runFor(p, 15 * SEC, 8 * MIN);
      expect(h.state(alert)).toBe('firing');
      traffic.set(healthy);
      await runFor(p, 15 * SEC, 5 * MIN);
      expect(h.state(alert)).toBe('firing');
      await runFor(p, 15 * SEC, by - 5 * MIN);
      expect(h.state(alert)).toBe('resolved');
    },
  );
});

describe('containers, derived between runs (recorded Engine answers over a unix socket)', () => {
  let engine: RecordedEngine;
  beforeAll(async () => {
    engine = await startRecordedEngine();
  });
  afterAll(() => engine.close());

  const where = () => ({ endpoint: engine.endpoint, containers: ['grupo_gad_api', 'grupo_gad_bot'] });

  it('restarts (ContainerRestarting: over 0 P2, clear_for 15m) is 0 at the first run without one', async () => {
    const p = await shipped('containers', where());
    const bot = engine.data.inspect.grupo_gad_bot as { RestartCount: number };
    await p.run();
    // A crash loop: a restart between each pair of runs for two minutes, then it stays up.
    for (let i = 0; i < 4; i++) {
      bot.RestartCount++;
      await runFor(p, 30 * SEC, 30 * SEC);
    }
    expect(h.state('ContainerRestarting', { container: 'grupo_gad_bot' })).toBe('firing');
    const up = await h.expectResolvedOneClearForLater(p, 30 * SEC, 'ContainerRestarting', {
      container: 'grupo_gad_bot',
    });
    expect(sampleValue(up, 'containers.restarts', { container: 'grupo_gad_bot', service: 'bot' })).toBe(0);
  });

  it('log_errors (ContainerLogErrors: over 5 P3, for 5m, clear_for 10m) is 0 at the first run without errors', async () => {
    engine.data.logs.grupo_gad_api = [];
    const p = await shipped('containers', where());
    const logs = engine.data.logs.grupo_gad_api;
    await p.run();
    let line = 0;
    /** Ten error lines written just before the next run, stamped with the fake clock. */
    const errors = async () => {
      const stamp = new Date(h.clock.now() + 30 * SEC).toISOString().replace('Z', '');
      for (let i = 0; i < 10; i++) {
        const ns = String(++line).padStart(9, '0');
        logs?.push({ stream: 'stderr', text: `${stamp.slice(0, 19)}.${ns}Z ERROR: database is locked\n` });
      }
      await runFor(p, 30 * SEC, 30 * SEC);
    };
    for (let i = 0; i < 12; i++) await errors();
    expect(h.state('ContainerLogErrors', { container: 'grupo_gad_api' })).toBe('firing');
    const calm = await h.expectResolvedOneClearForLater(p, 30 * SEC, 'ContainerLogErrors', {
      container: 'grupo_gad_api',
    });
    expect(sampleValue(calm, 'containers.log_errors', { container: 'grupo_gad_api', service: 'api' })).toBe(0);
  });
});
