// The off-site backup check: the objects under a prefix of an S3-compatible bucket (the runbook's backup_storage:
// "S3 compatible"), their count and the newest one's age and size, listed with ListObjectsV2 through the AWS SDK.
// The SDK is loaded at the first run of a probe whose bucket is set, so a daemon without one never holds it.
import { basename, matchesGlob } from 'node:path';
import type { ListObjectsV2CommandOutput, S3Client } from '@aws-sdk/client-s3';
import type { S3ProbeConfig } from '../config/probes.js';
import { loadPackage } from '../load-package.js';
import type { Sample } from '../types.js';
import { formatBytes, formatSeconds } from '../units.js';
import { abortReason, describeFailure, type Endpoint, endpointOf } from './net-failure.js';
import { defineProbe, type ProbeResult, sample } from './probe.js';

/** One listed object: its key, size in bytes and last modification (epoch ms). */
export interface ListedObject {
  key: string;
  size: number;
  modified: number;
}

/** The S3 error codes a person can act on, with what to do. */
const ADVICE: Record<string, string> = {
  NoSuchBucket: 'check the bucket name and the region or endpoint',
  AccessDenied: 'the key needs s3:ListBucket on the bucket',
  InvalidAccessKeyId: 'the access key id is not known to the service',
  SignatureDoesNotMatch: 'the secret access key does not belong to the access key id',
  PermanentRedirect: 'the bucket is in another region: set region to it',
  AuthorizationHeaderMalformed: 'the region does not match the bucket: set region to the bucket’s',
};

/** An answer of the service (an S3 error document), as opposed to a failed connection. */
function serviceError(err: unknown): { code: string; message: string; status?: number } | undefined {
  const e = err as { name?: unknown; message?: unknown; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  if (typeof status !== 'number' || typeof e.name !== 'string') return undefined;
  return { code: e.name, message: typeof e.message === 'string' ? e.message : '', status };
}

/** Where the client connects: the endpoint's host and port, or AWS's regional S3 endpoint. */
function endpointFor(cfg: S3ProbeConfig): Endpoint {
  return cfg.endpoint === undefined
    ? { host: `s3.${cfg.region}.amazonaws.com`, port: 443 }
    : endpointOf(new URL(cfg.endpoint));
}

export default defineProbe({
  kind: 's3',
  create(cfg: S3ProbeConfig) {
    const { bucket } = cfg;
    const at = endpointFor(cfg);
    const where = `s3://${bucket}/${cfg.prefix}`;
    let client: S3Client | undefined;

    async function s3(): Promise<{ client: S3Client; sdk: typeof import('@aws-sdk/client-s3') }> {
      const sdk = await loadPackage('@aws-sdk/client-s3', () => import('@aws-sdk/client-s3'));
      client ??= new sdk.S3Client({
        region: cfg.region,
        ...(cfg.endpoint !== undefined ? { endpoint: cfg.endpoint } : {}),
        forcePathStyle: cfg.path_style,
        credentials: {
          accessKeyId: cfg.access_key_id?.reveal() ?? '',
          secretAccessKey: cfg.secret_access_key?.reveal() ?? '',
        },
        // Checksums only where S3 requires them: several S3-compatible services refuse the newer default ones.
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      });
      return { client, sdk };
    }

    /** Every object under the prefix, page by page; undefined past max_objects. */
    async function list(signal: AbortSignal): Promise<ListedObject[] | undefined> {
      const { client, sdk } = await s3();
      const found: ListedObject[] = [];
      let token: string | undefined;
      do {
        const page: ListObjectsV2CommandOutput = await client.send(
          new sdk.ListObjectsV2Command({
            Bucket: bucket,
            ...(cfg.prefix ? { Prefix: cfg.prefix } : {}),
            ...(token ? { ContinuationToken: token } : {}),
          }),
          { abortSignal: signal },
        );
        for (const o of page.Contents ?? []) {
          if (o.Key === undefined || o.Key.endsWith('/')) continue; // a folder marker, not a backup
          if (cfg.exclude !== undefined && matchesGlob(basename(o.Key), cfg.exclude)) continue;
          found.push({ key: o.Key, size: o.Size ?? 0, modified: o.LastModified?.getTime() ?? 0 });
          if (found.length > cfg.max_objects) return undefined;
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return found;
    }

    return {
      async run({ signal, clock }): Promise<ProbeResult> {
        if (bucket === undefined) return { up: true, samples: [], detail: 'off: no bucket is set' };
        let objects: ListedObject[] | undefined;
        try {
          objects = await list(signal);
        } catch (err) {
          if (signal.aborted) return { up: false, reason: abortReason(signal) };
          const answer = serviceError(err);
          if (!answer) return { up: false, reason: describeFailure(err, signal, at) };
          const advice = ADVICE[answer.code];
          const text = `${where}: the service answered ${answer.status} ${answer.code}${answer.message ? ` (${answer.message})` : ''}`;
          return { up: true, samples: [], cannotMeasure: advice ? `${text}; ${advice}` : text };
        }
        if (objects === undefined) {
          return {
            up: true,
            samples: [],
            cannotMeasure: `${where} holds more than ${cfg.max_objects} objects, so the newest may be among those not listed; narrow prefix or raise max_objects`,
          };
        }
        const samples: Sample[] = [
          sample('objects', objects.length),
          sample(
            'total_bytes',
            objects.reduce((sum, o) => sum + o.size, 0),
          ),
        ];
        const newest = objects.reduce<ListedObject | undefined>(
          (a, o) => (a && a.modified >= o.modified ? a : o),
          undefined,
        );
        if (!newest) return { up: true, samples, detail: `${where}: no objects` };
        const ageSeconds = Math.max(0, (clock.now() - newest.modified) / 1000);
        samples.push(sample('newest_age_seconds', ageSeconds), sample('newest_size_bytes', newest.size));
        return {
          up: true,
          samples,
          detail:
            `${where}: ${objects.length} objects, newest ${newest.key} ` +
            `(${formatBytes(newest.size)}, ${formatSeconds(ageSeconds)} old)`,
        };
      },
      async close() {
        client?.destroy();
      },
    };
  },
});
