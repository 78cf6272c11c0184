// The S3 probe against a loopback stand-in of S3-compatible storage that checks each request's Signature V4
// (test/support/s3-server.ts): objects under a prefix with set modification times, read on a FakeClock.
import { once } from 'node:events';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { probeConfig } from '../../src/config/probes.js';
import s3 from '../../src/probes/s3.js';
import { fakeTimeout, handled, makeTestProbe, sampleValue } from '../support/probe-runs.js';
import { S3_KEYS, type S3Server, startS3Server } from '../support/s3-server.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-12-06T12:00:00Z');
let server: S3Server;

beforeAll(async () => {
  server = await startS3Server();
  server.buckets.set('grupogad-backups', [
    { key: 'prod/backup_20261122.sql.gz', size: 40_000, modified: NOW - 14 * DAY },
    { key: 'prod/backup_20261129.sql.gz', size: 42_000, modified: NOW - 7 * DAY - 10 * 3_600_000 },
    { key: 'prod/pre_deploy_20261205.sql.gz', size: 43_000, modified: NOW - DAY },
    { key: 'prod/', size: 0, modified: NOW }, // a folder marker, as consoles create them
    { key: 'staging/backup_20261205.sql.gz', size: 9_000, modified: NOW - DAY },
  ]);
  // More than a page of ListObjectsV2 (1000 keys): the newest is on the second page.
  server.buckets.set(
    'many',
    Array.from({ length: 1_005 }, (_, i) => ({
      key: `k/${String(i).padStart(4, '0')}`,
      size: 10,
      modified: NOW - DAY - (1_005 - i) * 60_000,
    })),
  );
});
afterAll(async () => {
  await server?.close();
});

const keys = (extra: Record<string, unknown> = {}) => ({
  bucket: 'grupogad-backups',
  prefix: 'prod/',
  endpoint: server.endpoint,
  path_style: true,
  access_key_id: S3_KEYS.accessKeyId,
  secret_access_key: S3_KEYS.secretAccessKey,
  ...extra,
});
const probeOf = (extra: Record<string, unknown> = {}) => makeTestProbe(s3, keys(extra), new FakeClock(NOW));

describe('s3 probe', () => {
  it('counts the objects under the prefix and measures the newest, with signed ListObjectsV2 requests', async () => {
    const t = probeOf({ exclude: 'pre_deploy_*.sql.gz' });
    const before = server.requests.length;
    const r = await t.runUp();
    expect(r.cannotMeasure).toBeUndefined();
    expect(sampleValue(r.samples, 'objects')).toBe(2);
    expect(sampleValue(r.samples, 'total_bytes')).toBe(82_000);
    expect(sampleValue(r.samples, 'newest_size_bytes')).toBe(42_000);
    expect(sampleValue(r.samples, 'newest_age_seconds')).toBe(7 * 86_400 + 10 * 3_600);
    expect(r.detail).toBe(
      's3://grupogad-backups/prod/: 2 objects, newest prod/backup_20261129.sql.gz (41 KiB, 7 d 10 h old)',
    );
    expect(server.requests.slice(before)).toEqual(['GET /grupogad-backups/?list-type=2&prefix=prod%2F 200']);
    await t.probe.close?.();
  });

  it('counts every object of the prefix when exclude is absent: the pre-deploy dump is the newest', async () => {
    const r = await probeOf().runUp();
    expect(sampleValue(r.samples, 'objects')).toBe(3);
    expect(sampleValue(r.samples, 'newest_age_seconds')).toBe(86_400);
    expect(sampleValue(r.samples, 'newest_size_bytes')).toBe(43_000);
  });

  it('follows the continuation token past the first page of 1000 keys', async () => {
    const before = server.requests.length;
    const r = await probeOf({ bucket: 'many', prefix: 'k/' }).runUp();
    expect(sampleValue(r.samples, 'objects')).toBe(1_005);
    expect(sampleValue(r.samples, 'newest_age_seconds')).toBe(86_400 + 60);
    expect(server.requests.slice(before)).toEqual([
      'GET /many/?list-type=2&prefix=k%2F 200',
      `GET /many/?continuation-token=${Buffer.from('k/0999').toString('base64url')}&list-type=2&prefix=k%2F 200`,
    ]);
  });

  it('cannot measure past max_objects, since the newest may not be listed yet', async () => {
    const r = await probeOf({ bucket: 'many', prefix: 'k/', max_objects: 1000 }).runUp();
    expect(r.samples).toEqual([]);
    expect(r.cannotMeasure).toBe(
      's3://many/k/ holds more than 1000 objects, so the newest may be among those not listed; narrow prefix or raise max_objects',
    );
  });

  it('reports an empty prefix as 0 objects, with no age or size', async () => {
    const r = await probeOf({ prefix: 'nothing-here/' }).runUp();
    expect(r.samples.map((s) => [s.name, s.value])).toEqual([
      ['objects', 0],
      ['total_bytes', 0],
    ]);
    expect(r.detail).toBe('s3://grupogad-backups/nothing-here/: no objects');
  });

  it('says what to fix when the service refuses: no such bucket, a wrong secret, an unknown key id', async () => {
    const noBucket = await probeOf({ bucket: 'grupogad-backup' }).runUp();
    expect(noBucket.cannotMeasure).toBe(
      's3://grupogad-backup/prod/: the service answered 404 NoSuchBucket (The specified bucket does not exist); check the bucket name and the region or endpoint',
    );
    const wrongSecret = await probeOf({ secret_access_key: 'wrong-secret-value-0123' }).runUp();
    expect(wrongSecret.cannotMeasure).toMatch(
      /^s3:\/\/grupogad-backups\/prod\/: the service answered 403 SignatureDoesNotMatch \(.*\); the secret access key does not belong to the access key id$/,
    );
    expect(wrongSecret.cannotMeasure).not.toContain('wrong-secret-value');
    const wrongId = await probeOf({ access_key_id: 'AKIANOTKNOWN' }).runUp();
    expect(wrongId.cannotMeasure).toMatch(/403 InvalidAccessKeyId .*; the access key id is not known to the service$/);
  });

  it('is down, with the reason, when the service cannot be reached or does not answer in time', async () => {
    const closed = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const { port } = s.address() as AddressInfo;
        s.close(() => resolve(port));
      });
    });
    const refused = await probeOf({ endpoint: `http://127.0.0.1:${closed}` }).run();
    expect(refused).toEqual({ up: false, reason: `connection refused (127.0.0.1:${closed})` });

    const silent: Server = createServer(() => {}).listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const t = probeOf({ endpoint: `http://127.0.0.1:${(silent.address() as AddressInfo).port}` });
    const run = handled(t.run(fakeTimeout(t.clock, 60_000)));
    await once(silent, 'connection');
    await t.clock.advance(60_000);
    expect(await run).toEqual({ up: false, reason: 'timed out after 1m' });
    silent.close();
  });

  it('is off, asking nothing, when the bucket is empty', async () => {
    const before = server.requests.length;
    const r = await probeOf({ bucket: '', access_key_id: '', secret_access_key: '' }).runUp();
    expect(r).toEqual({ up: true, samples: [], detail: 'off: no bucket is set' });
    expect(server.requests.length).toBe(before);
  });

  it('needs both keys when a bucket is set, and takes none when it is not', () => {
    const base = { name: 'offsite', kind: 's3', every: '1h' };
    const parsed = probeConfig.safeParse({ ...base, bucket: 'b', access_key_id: '' });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['access_key_id', 'is needed when bucket is set: a key that may list the bucket (s3:ListBucket) is enough'],
      ['secret_access_key', 'is needed when bucket is set: a key that may list the bucket (s3:ListBucket) is enough'],
    ]);
    expect(probeConfig.safeParse({ ...base, bucket: '' }).success).toBe(true);
    expect(probeConfig.safeParse({ ...base, ...keys(), endpoint: 'minio:9000' }).error?.issues[0]?.message).toBe(
      'is not an http:// or https:// URL. Write e.g. https://s3.example.org or http://minio:9000',
    );
  });
});
