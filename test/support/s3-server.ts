// A loopback stand-in for S3-compatible storage that implements exactly what the s3 probe calls, ListObjectsV2
// (path-style, paged at 1000 keys with a continuation token), and checks each request's AWS Signature V4 against its
// one key pair, computed here from the specification rather than by the SDK under test. No npm S3 server does both
// on Node 24: s3rver 3.7 does not check a V4 signature and pages with DES tokens that Node 24's OpenSSL refuses, and
// @20minutes/s3rver 5 refuses the current SDK's valid signatures.
import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The one key pair the stand-in accepts. */
export const S3_KEYS = { accessKeyId: 'AKIACENTINELATEST', secretAccessKey: 'centinela-test-secret-key' } as const;
export const S3_REGION = 'us-east-1';
const PAGE = 1_000;

export interface S3Object {
  key: string;
  size: number;
  /** Last modification, epoch ms (S3 keeps whole seconds). */
  modified: number;
}

export interface S3Server {
  endpoint: string;
  /** Objects by bucket; a bucket absent here answers NoSuchBucket. */
  buckets: Map<string, S3Object[]>;
  /** Every request, as `METHOD url STATUS`. */
  requests: string[];
  close(): Promise<void>;
}

const rfc3986 = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const hmac = (key: string | Buffer, s: string) => createHmac('sha256', key).update(s).digest();
const xmlText = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The S3 error code for `req`'s Signature V4 with S3_KEYS, or undefined when it is right. */
export function signatureProblem(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization ?? '';
  const m =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(
      auth,
    );
  if (!m) return 'AccessDenied';
  const [, keyId, day = '', region = '', signed = '', signature] = m;
  if (keyId !== S3_KEYS.accessKeyId) return 'InvalidAccessKeyId';
  if (region !== S3_REGION || !signed.split(';').includes('host')) return 'AuthorizationHeaderMalformed';
  const [path = '/', query = ''] = (req.url ?? '/').split('?', 2);
  const canonicalQuery = query
    .split('&')
    .filter(Boolean)
    .map((pair) => pair.split('=', 2).map((p) => rfc3986(decodeURIComponent(p))))
    .map(([k = '', v = '']) => `${k}=${v}`)
    .sort()
    .join('&');
  const headers = signed
    .split(';')
    .map(
      (h) =>
        `${h}:${String(req.headers[h] ?? '')
          .trim()
          .replace(/\s+/g, ' ')}\n`,
    )
    .join('');
  const payload = String(req.headers['x-amz-content-sha256'] ?? '');
  const canonical = [req.method, path, canonicalQuery, headers, signed, payload].join('\n');
  const toSign = [
    'AWS4-HMAC-SHA256',
    String(req.headers['x-amz-date'] ?? ''),
    `${day}/${region}/s3/aws4_request`,
    sha256(canonical),
  ].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${S3_KEYS.secretAccessKey}`, day), region), 's3'), 'aws4_request');
  return hmac(key, toSign).toString('hex') === signature ? undefined : 'SignatureDoesNotMatch';
}

const MESSAGES: Record<string, [number, string]> = {
  AccessDenied: [403, 'Access Denied'],
  InvalidAccessKeyId: [403, 'The AWS Access Key Id you provided does not exist in our records.'],
  AuthorizationHeaderMalformed: [400, 'The authorization header is malformed.'],
  SignatureDoesNotMatch: [
    403,
    'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
  ],
  NoSuchBucket: [404, 'The specified bucket does not exist'],
  NotImplemented: [501, 'A header or query you provided implies functionality that is not implemented.'],
};

function fail(res: ServerResponse, code: string): number {
  const [status, message] = MESSAGES[code] ?? [500, 'We encountered an internal error. Please try again.'];
  res.writeHead(status, { 'content-type': 'application/xml' });
  res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`);
  return status;
}

/** ListObjectsV2 of `objects`, as S3 answers it: keys in UTF-8 binary order, a page at a time. */
function listPage(res: ServerResponse, bucket: string, objects: S3Object[], query: URLSearchParams): number {
  const prefix = query.get('prefix') ?? '';
  const token = query.get('continuation-token');
  const after = token === null ? '' : Buffer.from(token, 'base64url').toString('utf8');
  const max = Math.min(Number(query.get('max-keys') ?? PAGE), PAGE);
  const matching = objects
    .filter((o) => o.key.startsWith(prefix) && o.key > after)
    .sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
  const page = matching.slice(0, max);
  const truncated = matching.length > max;
  const last = page.at(-1)?.key ?? '';
  const contents = page
    .map(
      (o) =>
        `<Contents><Key>${xmlText(o.key)}</Key><LastModified>${new Date(Math.floor(o.modified / 1000) * 1000).toISOString()}</LastModified>` +
        `<ETag>"${sha256(o.key).slice(0, 32)}"</ETag><Size>${o.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`,
    )
    .join('');
  res.writeHead(200, { 'content-type': 'application/xml' });
  res.end(
    `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
      `<Name>${xmlText(bucket)}</Name><Prefix>${xmlText(prefix)}</Prefix><KeyCount>${page.length}</KeyCount>` +
      `<MaxKeys>${max}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${contents}` +
      (token === null ? '' : `<ContinuationToken>${xmlText(token)}</ContinuationToken>`) +
      (truncated ? `<NextContinuationToken>${Buffer.from(last).toString('base64url')}</NextContinuationToken>` : '') +
      '</ListBucketResult>',
  );
  return 200;
}

export async function startS3Server(): Promise<S3Server> {
  const buckets = new Map<string, S3Object[]>();
  const requests: string[] = [];
  const handle = (req: IncomingMessage, res: ServerResponse): number => {
    const problem = signatureProblem(req);
    if (problem) return fail(res, problem);
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const bucket = /^\/([^/]+)\/?$/.exec(url.pathname)?.[1];
    if (req.method !== 'GET' || !bucket || url.searchParams.get('list-type') !== '2')
      return fail(res, 'NotImplemented');
    const objects = buckets.get(decodeURIComponent(bucket));
    return objects ? listPage(res, bucket, objects, url.searchParams) : fail(res, 'NoSuchBucket');
  };
  const http: Server = createServer((req, res) => {
    req.resume().on('end', () => requests.push(`${req.method} ${req.url} ${handle(req, res)}`));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    buckets,
    requests,
    async close() {
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    },
  };
}
