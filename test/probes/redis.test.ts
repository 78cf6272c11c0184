// The redis probe against the machine's Redis (6379, own key prefix) and throwaway redis-servers of its own:
// evictions, rejected connections, a restart, a password, TLS, a frozen server; plus targets that hang or talk junk.
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { redisProbe } from '../../src/config/probes.js';
import type { Probe } from '../../src/probes/probe.js';
import redis from '../../src/probes/redis.js';
import { probeConformance } from '../support/conformance.js';
import { fakeTimeout, handled, makeTestProbe, sampleValue, type TestProbe } from '../support/probe-runs.js';
import { sharedRedisUrl, startRedisServer, type TestRedisServer } from '../support/redis.js';
import { freePort, startTcpTarget } from '../support/tcp-target.js';
import { makeSelfSignedCert } from '../support/tls-cert.js';

const prefix = `centinela-test:${randomBytes(6).toString('hex')}:`;
const probes: Probe[] = [];
const servers: TestRedisServer[] = [];
const clients: Redis[] = [];

probeConformance(redis, ({ host, port, secret }) => ({
  url: `redis://:${encodeURIComponent(secret)}@${host}:${port}`,
}));

afterEach(async () => {
  await Promise.all(probes.splice(0).map((p) => p.close?.()));
  for (const c of clients.splice(0)) c.disconnect();
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});
afterAll(async () => {
  const shared = new Redis(sharedRedisUrl);
  const keys = await shared.keys(`${prefix}*`);
  if (keys.length > 0) await shared.del(...keys);
  shared.disconnect();
});

function makeProbe(url: string, keys: Record<string, unknown> = {}): TestProbe {
  const made = makeTestProbe(redis, { url, ...keys }, new FakeClock());
  probes.push(made.probe);
  return made;
}

async function server(options: Parameters<typeof startRedisServer>[0] = {}): Promise<TestRedisServer> {
  const started = await startRedisServer(options);
  servers.push(started);
  return started;
}

function client(url: string, options: { password?: string } = {}): Redis {
  const c = new Redis(url, { ...options, lazyConnect: true });
  c.on('error', () => {});
  clients.push(c);
  return c;
}

async function infoField(c: Redis, field: string): Promise<number> {
  const text = await c.info();
  return Number(new RegExp(`^${field}:(.*)\\r$`, 'm').exec(text)?.[1]);
}

describe('redis probe on the machine’s Redis', () => {
  it('reports memory, clients (a real blocked one), uptime and role; rates from the second run', async () => {
    const admin = client(sharedRedisUrl);
    const blocked = client(sharedRedisUrl);
    const probe = makeProbe(sharedRedisUrl);
    const popping = handled(blocked.blpop(`${prefix}queue`, 0));
    // The BLPOP is blocked once the server counts it; each poll is a round trip.
    for (let i = 0; i < 10_000 && (await infoField(admin, 'blocked_clients')) === 0; i++);

    const first = await probe.runUp();
    expect(sampleValue(first.samples, 'blocked_clients')).toBeGreaterThanOrEqual(1);
    expect(sampleValue(first.samples, 'connected_clients')).toBeGreaterThanOrEqual(3);
    expect(sampleValue(first.samples, 'used_memory_bytes')).toBeGreaterThan(100_000);
    expect(sampleValue(first.samples, 'uptime_seconds')).toBeGreaterThanOrEqual(0);
    expect(sampleValue(first.samples, 'role_master')).toBe(1);
    expect(sampleValue(first.samples, 'ping_seconds')).toBe(0);
    expect(sampleValue(first.samples, 'rejected_connections_per_second')).toBeUndefined();
    expect(sampleValue(first.samples, 'evicted_keys_per_second')).toBeUndefined();
    const [, maxmemory] = (await admin.config('GET', 'maxmemory')) as [string, string];
    expect(sampleValue(first.samples, 'memory_used_percent') === undefined).toBe(maxmemory === '0');

    await admin.lpush(`${prefix}queue`, 'wake up');
    await popping;
    await probe.clock.advance(15_000);
    const second = await probe.runUp();
    expect(sampleValue(second.samples, 'rejected_connections_per_second')).toBeGreaterThanOrEqual(0);
    expect(sampleValue(second.samples, 'evicted_keys_per_second')).toBeGreaterThanOrEqual(0);
    await admin.del(`${prefix}queue`);
  });
});

describe('redis probe on a redis-server of its own', () => {
  it('turns evictions into a per-second rate and reports the share of maxmemory', async () => {
    const own = await server({ settings: { maxmemory: '2mb', 'maxmemory-policy': 'allkeys-random' } });
    const writer = client(own.url);
    const probe = makeProbe(own.url);
    await probe.runUp();
    const blob = 'x'.repeat(10_000);
    for (let i = 0; i < 400; i++) await writer.set(`${prefix}${i}`, blob);
    const evicted = await infoField(writer, 'evicted_keys');
    expect(evicted).toBeGreaterThan(0);

    await probe.clock.advance(20_000);
    const second = await probe.runUp();
    expect(sampleValue(second.samples, 'evicted_keys_per_second')).toBeCloseTo(evicted / 20, 9);
    const used = await infoField(writer, 'used_memory');
    const percent = sampleValue(second.samples, 'memory_used_percent') ?? 0;
    // used_memory moves by a few kB with client buffers between the probe's INFO and ours.
    expect(percent).toBeCloseTo((used / (2 * 1024 * 1024)) * 100, 0);
    expect(percent).toBeGreaterThan(50);
  });

  it('turns refused clients into a per-second rate; a restart shows as a reconnect and no negative rate', async () => {
    const own = await server({ settings: { maxclients: '1' } });
    const probe = makeProbe(own.url);
    await probe.runUp();
    // The probe holds the one client slot: each further connection is told so and closed.
    for (let i = 0; i < 3; i++) {
      const answer = await new Promise<string>((resolve) => {
        const socket = connect(own.port, '127.0.0.1');
        let text = '';
        socket.on('data', (d) => {
          text += d.toString();
        });
        socket.on('close', () => resolve(text));
        socket.on('error', () => {});
      });
      expect(answer).toMatch(/^-ERR max number of clients reached/);
    }
    await probe.clock.advance(10_000);
    const second = await probe.runUp();
    expect(sampleValue(second.samples, 'rejected_connections_per_second')).toBeCloseTo(0.3, 9);

    await own.stop();
    await probe.clock.advance(10_000);
    expect(await probe.run()).toEqual({ up: false, reason: `connection refused (127.0.0.1:${own.port})` });

    await server({ port: own.port, settings: { maxclients: '1' } });
    await probe.clock.advance(10_000);
    const restarted = await probe.runUp();
    // rejected_connections fell from 3 to 0: counted from zero, so the rate is 0, not negative.
    expect(sampleValue(restarted.samples, 'rejected_connections_per_second')).toBe(0);
    expect(sampleValue(restarted.samples, 'uptime_seconds')).toBeLessThanOrEqual(1);
  });

  it('a frozen server (SIGSTOP): the run ends when aborted, naming the command it waited for', async () => {
    const own = await server();
    const probe = makeProbe(own.url, { timeout: '1m' });
    await probe.runUp();
    process.kill(own.pid, 'SIGSTOP');
    try {
      const pending = handled(probe.run(fakeTimeout(probe.clock, 5_000)));
      await probe.clock.advance(5_000);
      expect(await pending).toEqual({
        up: false,
        reason: `timed out after 5s while waiting for PING from 127.0.0.1:${own.port}`,
      });
    } finally {
      process.kill(own.pid, 'SIGCONT');
    }
    // The next run opens a new connection to the thawed server.
    expect((await probe.run()).up).toBe(true);
  });
});

describe('redis probe with a password', () => {
  const password = `pw-${randomBytes(6).toString('hex')}`;

  it('no password: authentication required', async () => {
    const own = await server({ password });
    expect(await makeProbe(own.url).run()).toEqual({
      up: false,
      reason: 'authentication required: the server asks for a password and none is configured',
    });
  });

  it('a wrong password: authentication failed, and neither password is shown', async () => {
    const own = await server({ password });
    const wrong = `wrong-${randomBytes(6).toString('hex')}`;
    const result = await makeProbe(`redis://:${wrong}@127.0.0.1:${own.port}`).run();
    expect(result).toEqual({ up: false, reason: 'authentication failed: wrong password (or user)' });
    expect(JSON.stringify(result)).not.toContain(wrong);
    expect(JSON.stringify(result)).not.toContain(password);
  });

  it('a password the server does not ask for: up, and said in the probe’s log, not printed by ioredis', async () => {
    const own = await server();
    const logged: { level: number; msg: string; target: string }[] = [];
    const log = pino({ level: 'debug' }, { write: (line: string) => logged.push(JSON.parse(line)) });
    const warn = vi.spyOn(console, 'warn');
    try {
      const probe = makeTestProbe(redis, { url: `redis://:${password}@127.0.0.1:${own.port}` }, new FakeClock(), log);
      probes.push(probe.probe);
      await probe.runUp();
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
    expect(logged.map(({ level, msg, target }) => ({ level, msg, ...(target ? { target } : {}) }))).toEqual([
      { level: 40, msg: 'a password is configured, the server asks for none' },
    ]);
    expect(JSON.stringify(logged)).not.toContain(password);
  });

  it('the right password, in the URL or in `password:` (which wins over the URL’s)', async () => {
    const own = await server({ password });
    expect((await makeProbe(`redis://:${password}@127.0.0.1:${own.port}/0`).run()).up).toBe(true);
    expect((await makeProbe(own.url, { password }).run()).up).toBe(true);
    expect((await makeProbe(`redis://:stale@127.0.0.1:${own.port}`, { password }).run()).up).toBe(true);
    // With an ACL user name, and a database other than 0 (selected after AUTH).
    expect((await makeProbe(`redis://default:${password}@127.0.0.1:${own.port}/3`).run()).up).toBe(true);
    expect(await makeProbe(`redis://:${password}@127.0.0.1:${own.port}/99`).run()).toEqual({
      up: false,
      reason: `ERR DB index is out of range (127.0.0.1:${own.port})`,
    });
  });
});

describe('redis probe over TLS (rediss://)', () => {
  const cert = makeSelfSignedCert();
  afterAll(() => cert.remove());

  it('trusts the server with tls.ca_file, refuses its self-signed certificate without', async () => {
    const own = await server({ tls: { certFile: cert.certFile, keyFile: cert.keyFile } });
    expect(own.url).toBe(`rediss://127.0.0.1:${own.port}`);
    const trusted = await makeProbe(own.url, { tls: { ca_file: cert.certFile } }).runUp();
    expect(sampleValue(trusted.samples, 'role_master')).toBe(1);
    expect((await makeProbe(own.url, { tls: { insecure: true } }).run()).up).toBe(true);
    expect(await makeProbe(own.url).run()).toEqual({
      up: false,
      reason: `TLS certificate of 127.0.0.1:${own.port} not accepted: self-signed certificate`,
    });
  });
});

describe('redis probe when the target fails', () => {
  it('a closed port: connection refused', async () => {
    const port = await freePort();
    expect(await makeProbe(`redis://127.0.0.1:${port}`).run()).toEqual({
      up: false,
      reason: `connection refused (127.0.0.1:${port})`,
    });
  });

  it('a server that accepts and never answers: ends on abort, and leaves no socket open', async () => {
    const target = await startTcpTarget('hang');
    try {
      const probe = makeProbe(`redis://:hunter2@127.0.0.1:${target.port}`, { timeout: '1m' });
      const pending = handled(probe.run(fakeTimeout(probe.clock, 5_000)));
      await probe.clock.advance(5_000);
      expect(await pending).toEqual({
        up: false,
        reason: `timed out after 5s while connecting to 127.0.0.1:${target.port}`,
      });
      await target.untilNoConnections();
    } finally {
      await target.close();
    }
  });

  it('a server that accepts and closes at once: closed while connecting to it', async () => {
    const target = await startTcpTarget('junk-close', '');
    try {
      expect(await makeProbe(`redis://127.0.0.1:${target.port}`).run()).toEqual({
        up: false,
        reason: `connection closed by the server while connecting to 127.0.0.1:${target.port}`,
      });
    } finally {
      await target.close();
    }
  });

  it('a server that talks something else: named at once; one connection per run, no reconnect loop', async () => {
    const target = await startTcpTarget('junk');
    try {
      const probe = makeProbe(`redis://127.0.0.1:${target.port}`);
      const expected = {
        up: false,
        reason: `127.0.0.1:${target.port} answered something that is not Redis (Unknown RESP type 72 "H")`,
      };
      expect(await probe.run()).toEqual(expected);
      expect(await probe.run()).toEqual(expected);
      expect(target.accepted).toBe(2);
    } finally {
      await target.close();
    }
  });

  it('a URL of another scheme is refused when the configuration is read', () => {
    const parsed = redisProbe.safeParse({ name: 'cache', kind: 'redis', every: '30s', url: 'http://127.0.0.1:6379' });
    expect(parsed.error?.issues).toEqual([
      {
        code: 'custom',
        path: ['url'],
        message: 'must start with redis:// or rediss://. Write e.g. redis://redis:6379',
      },
    ]);
  });
});
