// Push heartbeats end to end: the daemon (fake clock, temp SQLite) with a heartbeat probe and its rule, pinged over
// its HTTP API. A silent job pages within period + grace and a ping resolves it; the secret URL works without the
// write token and is checked; an unknown name is 404; a flood is refused with 429 and never breaks the daemon; a
// failure's body is kept, bounded, as the probe's detail; the secret appears in no answer.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PING_DETAIL_MAX } from '../../src/engine/heartbeat-pings.js';
import { type Daemon, hookEvents, startDaemon, startWorld, type World, WRITE_TOKEN } from '../support/daemon.js';

// Punctuation a URL path takes as written (not / ? # % or a backslash, which check refuses): the secret URL works with it unencoded.
const SECRET = "backup-secret-!$&'()*+,;=:@-0123456789";
let world: World;
let d: Daemon;
const auth = { authorization: `Bearer ${WRITE_TOKEN}` };

beforeAll(async () => {
  world = await startWorld({ BACKUP_HEARTBEAT_SECRET: SECRET });
  const file = join(world.configDir, 'alerts.yaml');
  const yaml = readFileSync(file, 'utf8')
    .replace(
      'probes:\n',
      'probes:\n  - name: backup\n    kind: heartbeat\n    every: 15s\n    expect_every: 2m\n    grace: 30s\n' +
        '    secret: ${BACKUP_HEARTBEAT_SECRET}\n',
    )
    .replace(
      'rules:\n',
      'rules:\n  - name: BackupHeartbeatMissing\n    sample: backup.overdue\n    op: ">="\n    thresholds: { P2: 1 }\n' +
        '    summary: "backup silent for {{ value }}"\n    diagnose: [backup]\n',
    );
  writeFileSync(file, yaml);
  d = await startDaemon(world);
});

afterAll(async () => {
  await d.close();
  await world.close();
});

const ping = (url: string, opts: { headers?: Record<string, string>; payload?: string } = {}) =>
  d.app.server.inject({ method: 'POST', url, headers: opts.headers, payload: opts.payload });
const missing = () => hookEvents(world.hook).filter((e) => e.endsWith(' BackupHeartbeatMissing'));

describe('push heartbeats', () => {
  it('pages when the job is silent past period + grace, counting from when centinela first saw it', async () => {
    await d.advance(2 * 60_000 + 20_000);
    expect(missing()).toEqual([]);
    const waited = await d.advanceUntil(
      () => missing().length > 0,
      30_000,
      () => `no page (${hookEvents(world.hook)})`,
    );
    // The probe runs every 15 s: the page comes at most one run after the deadline (2m30s).
    expect(2 * 60_000 + 20_000 + waited).toBeLessThanOrEqual(2 * 60_000 + 30_000 + 15_000);
    expect(missing()).toEqual(['firing BackupHeartbeatMissing']);
  });

  it('records a ping through the secret URL without the token, and the alert resolves at once', async () => {
    const res = await ping(`/api/v1/heartbeats/backup/${SECRET}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      heartbeat: {
        name: 'backup',
        at: new Date(d.clock.now()).toISOString(),
        ok: true,
        lastOkAt: new Date(d.clock.now()).toISOString(),
      },
    });
    expect(res.body).not.toContain(SECRET);
    await d.advanceUntil(
      () => missing().length > 1,
      5_000,
      () => 'the ping did not resolve the alert',
    );
    expect(missing()).toEqual(['firing BackupHeartbeatMissing', 'resolved BackupHeartbeatMissing']);
  });

  it('refuses a wrong secret, no token, and an unknown name, each with its code', async () => {
    await d.advance(2_000);
    const wrong = await ping('/api/v1/heartbeats/backup/not-the-secret-at-all');
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().error).toEqual({ code: 'UNAUTHORIZED', message: 'wrong secret for heartbeat "backup"' });
    expect((await ping('/api/v1/heartbeats/backup')).json().error.code).toBe('UNAUTHORIZED');
    const unknown = await ping('/api/v1/heartbeats/nightly', { headers: auth });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error).toEqual({
      code: 'HEARTBEAT_NOT_FOUND',
      message: 'no heartbeat probe "nightly". Heartbeats: backup',
    });
    expect((await ping(`/api/v1/heartbeats/nightly/${SECRET}`)).json().error.code).toBe('HEARTBEAT_NOT_FOUND');
    // A probe that is not a heartbeat is not one either.
    expect((await ping('/api/v1/heartbeats/api_health', { headers: auth })).json().error.code).toBe(
      'HEARTBEAT_NOT_FOUND',
    );
  });

  it('records one ping of a flood per second, answers the rest 429, and keeps serving', async () => {
    await d.advance(2_000);
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        ping(i % 2 ? `/api/v1/heartbeats/backup/${SECRET}` : '/api/v1/heartbeats/backup', { headers: auth }),
      ),
    );
    const statuses = answers.map((a) => a.statusCode);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 429)).toHaveLength(199);
    const limited = answers.find((a) => a.statusCode === 429);
    expect(limited?.headers['retry-after']).toBe('1');
    expect(limited?.json().error.code).toBe('RATE_LIMITED');
    await d.advance(1_000);
    expect((await ping('/api/v1/heartbeats/backup', { headers: auth })).statusCode).toBe(200);
    expect((await d.app.server.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });

  it('keeps the body of a /fail, cut to its bound, as the detail of the probe', async () => {
    await d.advance(2_000);
    const body = `pg_dump: error: connection refused\n${'x'.repeat(5_000)}`;
    const res = await ping(`/api/v1/heartbeats/backup/${SECRET}/fail`, {
      headers: { 'content-type': 'text/plain' },
      payload: body,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().heartbeat.ok).toBe(false);
    await d.advance(1_000);
    const result = d.app.probeStats().get('backup')?.lastResult;
    const detail = result?.up ? result.detail : '';
    expect(detail).toContain('the last ping was a failure: pg_dump: error: connection refused\nxxx');
    expect(detail).toContain(`… (cut at ${PING_DETAIL_MAX} characters)`);
    expect(detail?.length).toBeLessThan(PING_DETAIL_MAX + 200);
  });
});
