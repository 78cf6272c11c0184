import { brotliCompressSync } from 'node:zlib';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { probeConfig, type WsStatsProbeConfig } from '../../src/config/probes.js';
import type { Probe } from '../../src/probes/probe.js';
import wsStats from '../../src/probes/ws-stats.js';
import { probeConformance } from '../support/conformance.js';
import { type HttpTarget, startHttpTarget } from '../support/http-target.js';

const log = pino({ level: 'silent' });

probeConformance(wsStats, ({ url }) => ({ url }));

describe('ws_stats probe', () => {
  let target: HttpTarget;
  let clock: FakeClock;
  let probe: Probe;
  const run = () => probe.run({ signal: new AbortController().signal, clock, log });
  const stats = (over: Record<string, unknown> = {}) =>
    target.route('/ws/stats', {
      json: {
        active_connections: 10,
        total_messages_sent: 1500,
        total_broadcasts: 50,
        last_broadcast_at: '2026-01-01T00:00:00Z',
        ...over,
      },
    });

  beforeAll(async () => {
    target = await startHttpTarget();
  });
  const made: Probe[] = [];
  afterAll(async () => {
    await Promise.all(made.map((p) => p.close?.()));
    await target.close();
  });

  const fresh = () => {
    clock = new FakeClock(Date.UTC(2026, 0, 1, 0, 0, 30));
    const config = probeConfig.parse({ name: 'ws', kind: 'ws_stats', every: '30s', url: `${target.url}/ws/stats` });
    probe = wsStats.create(config as WsStatsProbeConfig, { log, clock });
    made.push(probe);
  };

  it('gives the counters and the age of the last broadcast, rates from the second run on', async () => {
    fresh();
    stats();
    expect(await run()).toEqual({
      up: true,
      samples: [
        { name: 'active_connections', labels: {}, value: 10 },
        { name: 'total_messages_sent', labels: {}, value: 1500 },
        { name: 'total_broadcasts', labels: {}, value: 50 },
        { name: 'seconds_since_last_broadcast', labels: {}, value: 30 },
      ],
    });
    await clock.advance(10_000);
    stats({ active_connections: 12, total_messages_sent: 1700, total_broadcasts: 55 });
    const second = await run();
    expect(second.samples).toEqual([
      { name: 'active_connections', labels: {}, value: 12 },
      { name: 'total_messages_sent', labels: {}, value: 1700 },
      { name: 'messages_per_second', labels: {}, value: 20 },
      { name: 'total_broadcasts', labels: {}, value: 55 },
      { name: 'broadcasts_per_second', labels: {}, value: 0.5 },
      { name: 'seconds_since_last_broadcast', labels: {}, value: 40 },
    ]);
  });

  it('counts a counter that went down as a restart from zero', async () => {
    fresh();
    stats();
    await run();
    await clock.advance(10_000);
    stats({ total_messages_sent: 30, total_broadcasts: 2 });
    const samples = (await run()).samples ?? [];
    expect(samples.find((s) => s.name === 'messages_per_second')?.value).toBe(3);
    expect(samples.find((s) => s.name === 'broadcasts_per_second')?.value).toBe(0.2);
  });

  it('reads a time without a zone as UTC', async () => {
    fresh();
    stats({ last_broadcast_at: '2025-12-31T23:59:00.123456' });
    const age = (await run()).samples?.find((s) => s.name === 'seconds_since_last_broadcast')?.value;
    expect(age).toBeCloseTo(89.877, 3);
  });

  it('takes a time a little ahead (clock skew) as just now, and cannot measure one further in the future', async () => {
    fresh();
    const ageOf = (result: Awaited<ReturnType<typeof run>>) =>
      result.samples?.find((s) => s.name === 'seconds_since_last_broadcast')?.value;
    // The clock reads 2026-01-01T00:00:30Z: 60 s ahead is the most taken.
    stats({ last_broadcast_at: '2026-01-01T00:01:30Z' });
    const skewed = await run();
    expect(skewed.up && skewed.cannotMeasure).toBeUndefined();
    expect(ageOf(skewed)).toBe(0);
    stats({ last_broadcast_at: '2026-01-01T00:05:00Z' });
    const ahead = await run();
    expect(ahead).toMatchObject({
      up: true,
      cannotMeasure:
        '/ws/stats: last_broadcast_at is "2026-01-01T00:05:00Z", 270 s in the future (more than the 60 s of clock ' +
        "skew allowed), so the age of the last broadcast cannot be told: check the clocks of the API's host and of " +
        "centinela's",
    });
    expect(ageOf(ahead)).toBeUndefined();
    // Nor is it taken as the last broadcast seen: a null after it counts from the one before (00:01:30), not 0 s.
    await clock.advance(120_000);
    stats({ last_broadcast_at: null });
    expect(ageOf(await run())).toBe(60);
  });

  it('names a Content-Encoding it did not ask for instead of calling the body invalid JSON', async () => {
    fresh();
    target.route('/ws/stats', {
      headers: { 'content-type': 'application/json', 'content-encoding': 'br' },
      body: brotliCompressSync('{"active_connections": 1}'),
    });
    expect(await run()).toEqual({
      up: false,
      reason:
        'the body is in Content-Encoding "br", which centinela did not ask for (it sends Accept-Encoding: ' +
        'identity) and does not decode: have the target answer uncompressed',
    });
    expect(target.requests.at(-1)?.headers['accept-encoding']).toBe('identity');
  });

  it('cannot measure a time of the wrong type, instead of guessing an age from it', async () => {
    fresh();
    for (const [value, shown] of [
      [12, '12'],
      [Date.UTC(2026, 0, 1) / 1000 - 60, '1767225540'],
      [true, 'true'],
      ['2026-01-01', '"2026-01-01"'],
      ['2026-02-30T23:00:00Z', '"2026-02-30T23:00:00Z"'],
      ['2027-02-29 10:00:00', '"2027-02-29 10:00:00"'],
    ] as const) {
      stats({ last_broadcast_at: value });
      const result = await run();
      expect(result).toMatchObject({
        up: true,
        cannotMeasure: `/ws/stats: last_broadcast_at is ${shown}, not an ISO 8601 time like "2025-10-16T12:30:45Z"`,
      });
      expect(result.samples?.map((s) => s.name)).not.toContain('seconds_since_last_broadcast');
    }
  });

  it('cannot measure numbers beyond the range of a double, and says so instead of "null"', async () => {
    fresh();
    const body =
      '{"active_connections": 1e400, "total_messages_sent": -1e400, "total_broadcasts": 5, "last_broadcast_at": 1e999}';
    target.route('/ws/stats', { headers: { 'content-type': 'application/json' }, body });
    expect(await run()).toEqual({
      up: true,
      samples: [{ name: 'total_broadcasts', labels: {}, value: 5 }],
      cannotMeasure:
        '/ws/stats: active_connections is a number beyond the range of a double (±1.8e308), not a count; ' +
        'total_messages_sent is a number beyond the range of a double (±1.8e308), not a count; ' +
        'last_broadcast_at is a number beyond the range of a double (±1.8e308), not an ISO 8601 time like ' +
        '"2025-10-16T12:30:45Z"',
    });
  });

  it('cannot measure a field nested deeper than JSON.stringify recurses, and shows its start (found by fuzzing)', async () => {
    fresh();
    // Under the 64 KiB cap, yet deeper than JSON.stringify can recurse.
    const objects = `${'{"a":'.repeat(6_000)}1${'}'.repeat(6_000)}`;
    const arrays = `${'['.repeat(8_000)}${']'.repeat(8_000)}`;
    const body = `{"active_connections":${objects},"total_messages_sent":1,"total_broadcasts":1,"last_broadcast_at":${arrays}}`;
    target.route('/ws/stats', { headers: { 'content-type': 'application/json' }, body });
    expect(await run()).toEqual({
      up: true,
      samples: [
        { name: 'total_messages_sent', labels: {}, value: 1 },
        { name: 'total_broadcasts', labels: {}, value: 1 },
      ],
      cannotMeasure:
        // Cut as every reason cuts what a target sent, with the length of the whole.
        `/ws/stats: active_connections is ${'{"a":'.repeat(20)}… (${objects.length} characters), not a count; ` +
        `last_broadcast_at is ${'['.repeat(100)}… (${arrays.length} characters), not an ISO 8601 time like ` +
        '"2025-10-16T12:30:45Z"',
    });
  });

  it('counts no broadcast yet (null) from the first run that found none, without calling it a measurement problem', async () => {
    fresh();
    stats({ last_broadcast_at: null });
    const first = await run();
    expect(first).toEqual({
      up: true,
      samples: [
        { name: 'active_connections', labels: {}, value: 10 },
        { name: 'total_messages_sent', labels: {}, value: 1500 },
        { name: 'total_broadcasts', labels: {}, value: 50 },
        { name: 'seconds_since_last_broadcast', labels: {}, value: 0 },
      ],
      detail:
        'no broadcast yet (last_broadcast_at is null); none seen since centinela began watching, at 2026-01-01T00:00:30.000Z',
    });
    await clock.advance(20 * 60_000);
    const later = await run();
    expect(later.samples?.find((s) => s.name === 'seconds_since_last_broadcast')?.value).toBe(1200);
    expect(later.up && later.cannotMeasure).toBeUndefined();
  });

  it('counts null after a broadcast it saw (the API restarted and forgot it) from that broadcast', async () => {
    fresh();
    stats({ last_broadcast_at: '2026-01-01T00:00:00Z' });
    await run();
    await clock.advance(60_000);
    stats({ last_broadcast_at: null, total_messages_sent: 0, total_broadcasts: 0 });
    const restarted = await run();
    expect(restarted.samples?.find((s) => s.name === 'seconds_since_last_broadcast')?.value).toBe(90);
    expect(restarted.up && restarted.detail).toBe(
      'no broadcast yet (last_broadcast_at is null); the last one seen was at 2026-01-01T00:00:00.000Z',
    );
    // Broadcasting again: the age is the new broadcast's, and a later null counts from it.
    await clock.advance(60_000);
    stats({ last_broadcast_at: '2026-01-01T00:02:00Z' });
    expect((await run()).samples?.find((s) => s.name === 'seconds_since_last_broadcast')?.value).toBe(30);
    await clock.advance(60_000);
    stats({ last_broadcast_at: null });
    expect((await run()).samples?.find((s) => s.name === 'seconds_since_last_broadcast')?.value).toBe(90);
  });

  it('names missing and malformed fields as cannot-measure while keeping the rest', async () => {
    fresh();
    target.route('/ws/stats', {
      json: { active_connections: 3, total_messages_sent: '12', last_broadcast_at: 'yesterday' },
    });
    expect(await run()).toEqual({
      up: true,
      samples: [{ name: 'active_connections', labels: {}, value: 3 }],
      cannotMeasure:
        '/ws/stats: total_messages_sent is "12", not a count; total_broadcasts is missing; ' +
        'last_broadcast_at is "yesterday", not an ISO 8601 time like "2025-10-16T12:30:45Z"',
    });
  });

  it('is down with a precise reason for a non-JSON answer, a non-object and an error status', async () => {
    fresh();
    target.route('/ws/stats', { body: '{"active_connections": 10,' });
    const notJson = await run();
    expect(notJson.up).toBe(false);
    if (!notJson.up) expect(notJson.reason).toMatch(/^answer is not valid JSON \(.+\)$/);
    target.route('/ws/stats', { json: [1, 2] });
    expect(await run()).toEqual({
      up: false,
      reason: 'answer is not a JSON object like {"active_connections": 10, ...}',
    });
    target.route('/ws/stats', { status: 500, body: 'Internal Server Error' });
    expect(await run()).toEqual({ up: false, reason: 'status 500: Internal Server Error' });
  });
});
