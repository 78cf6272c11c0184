import type { ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock, systemClock } from '../../src/clock.js';
import { type HttpProbeConfig, probeConfig } from '../../src/config/probes.js';
import { runGuarded } from '../../src/probes/guarded-run.js';
import http from '../../src/probes/http.js';
import type { ProbeResult } from '../../src/probes/probe.js';
import { probeConformance } from '../support/conformance.js';
import { type HttpTarget, hang, startHttpTarget } from '../support/http-target.js';
import { makeSelfSignedCert, type TestCert } from '../support/tls-cert.js';
import { WORST_PATTERN, worstRegexText } from '../support/worst-regex-text.js';

const log = pino({ level: 'silent' });

function configOf(input: Record<string, unknown>): HttpProbeConfig {
  return probeConfig.parse({ name: 'api_health', kind: 'http', every: '10s', ...input }) as HttpProbeConfig;
}

async function runOnce(input: Record<string, unknown>): Promise<ProbeResult> {
  const probe = http.create(configOf(input), { log, clock: systemClock });
  try {
    return await probe.run({ signal: new AbortController().signal, clock: systemClock, log });
  } finally {
    await probe.close?.();
  }
}

/** A run of a probe that the test stops, with its signal's reason, when it chooses. */
function startRun(input: Record<string, unknown>): {
  result: Promise<ProbeResult>;
  ended(): boolean;
  stop(reason: unknown): void;
} {
  const probe = http.create(configOf(input), { log, clock: systemClock });
  const abort = new AbortController();
  let ended = false;
  const result = probe.run({ signal: abort.signal, clock: systemClock, log }).finally(() => {
    ended = true;
    return probe.close?.();
  });
  return { result, ended: () => ended, stop: (reason) => abort.abort(reason) };
}

probeConformance(http, ({ url, secret }) => ({ url, headers: { authorization: `Bearer ${secret}` } }));

describe('http probe', () => {
  let target: HttpTarget;
  beforeAll(async () => {
    target = await startHttpTarget({
      routes: {
        '/api/v1/health': { json: { status: 'healthy', environment: 'production', checks: { db: { ok: true } } } },
        '/degraded': { json: { status: 'degraded' } },
        '/down': { status: 503, body: `Service Unavailable ${'x'.repeat(300)}` },
        '/html': { body: '<html>oops</html>' },
        '/hang': hang,
        '/a': { status: 302, headers: { location: '/b' } },
        '/b': { status: 302, headers: { location: '/api/v1/health' } },
        '/loop-a': { status: 302, headers: { location: '/loop-b?token=t0p-s3cret' } },
        '/loop-b': { status: 307, headers: { location: '/loop-a' } },
        '/to-ftp': { status: 301, headers: { location: 'ftp://files.example/health' } },
        '/to-nowhere': { status: 302, headers: { location: 'http://[not-a-host/health' } },
      },
    });
  });
  afterAll(() => target.close());

  it('is up when the status and the JSON fields are as expected, with the status code as a sample', async () => {
    const result = await runOnce({
      url: `${target.url}/api/v1/health`,
      expect: { json: { status: 'healthy', 'checks.db.ok': true } },
    });
    expect(result).toMatchObject({ up: true, samples: [{ name: 'status_code', labels: {}, value: 200 }] });
  });

  it('names the JSON field, what it was and what was expected', async () => {
    const result = await runOnce({ url: `${target.url}/degraded`, expect: { json: { status: 'healthy' } } });
    expect(result).toMatchObject({ up: false, reason: 'JSON field status was "degraded", expected "healthy"' });
    expect(result.samples).toEqual([{ name: 'status_code', labels: {}, value: 200 }]);
  });

  it('shows the start of a field nested deeper than JSON.stringify recurses, instead of throwing (found by fuzzing)', async () => {
    const depth = 20_000;
    target.route('/deep', { body: `{"status":${'['.repeat(depth)}${']'.repeat(depth)}}` });
    const result = await runOnce({ url: `${target.url}/deep`, expect: { json: { status: 'healthy' } } });
    expect(result).toMatchObject({
      up: false,
      reason: `JSON field status was ${'['.repeat(80)}… (${2 * depth} characters), expected "healthy"`,
    });
  });

  it('names a missing JSON field, every failing field at once', async () => {
    const result = await runOnce({
      url: `${target.url}/api/v1/health`,
      expect: { json: { 'checks.cache.ok': true, environment: 'staging' } },
    });
    expect(result).toMatchObject({
      up: false,
      reason:
        'JSON field checks.cache.ok is missing, expected true; JSON field environment was "production", expected "staging"',
    });
  });

  it('says the body is not JSON when JSON fields are expected', async () => {
    const result = await runOnce({ url: `${target.url}/html`, expect: { json: { status: 'healthy' } } });
    expect(result.up).toBe(false);
    if (!result.up) expect(result.reason).toBe('body is not valid JSON: <html>oops</html>');
  });

  it('says where a body is not JSON without quoting JSON.parse, a binary one not shown, a long one cut with its length', async () => {
    const json = { json: { status: 'ok' } };
    // JSON.parse's own message quotes the body: `Unexpected token '\ufffd', "\ufffd\ufffd\ufffd"... is not valid JSON`.
    target.route('/binary', { body: Buffer.alloc(10_000, 0xff) });
    expect(await runOnce({ url: `${target.url}/binary`, expect: json })).toMatchObject({
      up: false,
      reason: 'body is not valid JSON (its body is binary: not shown)',
    });
    target.route('/long', { body: `{"status" "ok", ${'x'.repeat(5000)}}` });
    expect(await runOnce({ url: `${target.url}/long`, expect: json })).toMatchObject({
      reason: `body is not valid JSON (at line 1, column 11): {"status" "ok", ${'x'.repeat(184)}… (5017 bytes)`,
    });
    target.route('/half', { body: '{"status":' });
    expect(await runOnce({ url: `${target.url}/half`, expect: json })).toMatchObject({
      reason: 'body is not valid JSON (it ends early): {"status":',
    });
    target.route('/empty', { body: '' });
    expect(await runOnce({ url: `${target.url}/empty`, expect: json })).toMatchObject({
      reason: 'body is not valid JSON (it is empty)',
    });
  });

  it('gives an unexpected status with the first 200 bytes of the body, cut so', async () => {
    const result = await runOnce({ url: `${target.url}/down` });
    expect(result).toMatchObject({
      up: false,
      reason: `status 503: Service Unavailable ${'x'.repeat(200 - 'Service Unavailable '.length)}… (more than 200 bytes)`,
      samples: [{ name: 'status_code', value: 503 }],
    });
  });

  it('accepts status codes and classes as listed', async () => {
    expect((await runOnce({ url: `${target.url}/down`, expect: { status: [503] } })).up).toBe(true);
    expect((await runOnce({ url: `${target.url}/down`, expect: { status: ['5xx'] } })).up).toBe(true);
    expect((await runOnce({ url: `${target.url}/nowhere`, expect: { status: ['2xx', 301] } })).up).toBe(false);
  });

  it('checks the body against a regular expression', async () => {
    expect((await runOnce({ url: `${target.url}/html`, expect: { body_regex: 'oo+ps' } })).up).toBe(true);
    const result = await runOnce({ url: `${target.url}/html`, expect: { body_regex: 'healthy' } });
    expect(result).toMatchObject({ up: false, reason: 'body does not match /healthy/' });
    expect((await runOnce({ url: `${target.url}/html`, expect: { body_regex: '(?i)OOPS' } })).up).toBe(true);
  });

  it('matches a body_regex that backtracks exponentially in time linear in the body (V8 would not finish)', async () => {
    // (a+)+$ over a run of a's that ends in "!" is 2^n steps for a backtracking engine, for every start.
    target.route('/as', { body: `${'a'.repeat(100_000)}!` });
    const result = await runOnce({ url: `${target.url}/as`, expect: { body_regex: '(a+)+$' } });
    expect(result).toMatchObject({ up: false, reason: 'body does not match /(a+)+$/' });
    expect((await runOnce({ url: `${target.url}/as`, expect: { body_regex: '(x+x+)+y|(a+)+!' } })).up).toBe(true);
  });

  it('matches a body_regex off the event loop, and one the run stops is cut short in words, the next run a new thread', async () => {
    // The worst pattern the 2000-instruction bound allows, over 1 MiB that defeats RE2's DFA cache: ~28 s of re2js
    // (bench/regex.ts). The probe's run is stopped from here, so no timer decides; the match is never let finish.
    // The body is a little longer than max_body_bytes (1 MiB): the probe closes the connection once it has read
    // 1 MiB, and the target's socket closes after the probe has handed the body to the pattern thread.
    const body = worstRegexText(1_048_576 + 1024);
    let cut!: () => void;
    const bodyCut = new Promise<void>((resolve) => {
      cut = resolve;
    });
    target.route('/worst', (req, res) => {
      req.socket.once('close', () => cut());
      res.writeHead(200, { 'content-type': 'text/plain' }).end(body);
    });
    const worst = startRun({ url: `${target.url}/worst`, expect: { body_regex: WORST_PATTERN } });
    await bodyCut;
    // Another probe's run meanwhile: its pattern waits behind (one thread, in order) or is matched after.
    const behind = startRun({ url: `${target.url}/html`, expect: { body_regex: 'oo+ps' } });
    // While the body is matched, this loop still answers an HTTP request: the test's own, to the same target.
    const answered = await fetch(`${target.url}/html`).then((r) => r.text());
    expect(answered).toBe('<html>oops</html>');
    expect(worst.ended()).toBe(false);
    worst.stop(new DOMException('timed out after 10s', 'TimeoutError'));
    expect(await worst.result).toMatchObject({
      up: false,
      reason:
        'body_regex did not finish matching the body (1048576 bytes) before the run was stopped (timed out after 10s): ' +
        'write it smaller, without long counted repetitions, or lower max_body_bytes',
    });
    // The thread was terminated; the run behind it, and the next, are matched by another.
    expect(await behind.result).toMatchObject({ up: true });
    expect((await runOnce({ url: `${target.url}/html`, expect: { body_regex: 'oo+ps' } })).up).toBe(true);
    expect(await runOnce({ url: `${target.url}/html`, expect: { body_regex: 'healthy' } })).toMatchObject({
      up: false,
      reason: 'body does not match /healthy/',
    });
  });

  it('refuses a body_regex that is not a regular expression when the config is read', () => {
    const withBodyRegex = (body_regex: string) =>
      probeConfig.safeParse({ name: 'x', kind: 'http', every: '1m', url: target.url, expect: { body_regex } });
    const parsed = withBodyRegex('"status": ("ok"');
    expect(parsed.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['expect.body_regex', 'is not a regular expression (missing closing )). Write e.g. "status":\\s*"ok"'],
    ]);
    const large = withBodyRegex('.{1000}x.{1000}');
    expect(large.error?.issues.map((i) => i.message)).toEqual([
      expect.stringMatching(
        /^is too large a regular expression: it compiles to \d+ instructions, .* Write it smaller$/,
      ),
    ]);
  });

  it('sends the method, the headers (secrets revealed only on the wire) and the body', async () => {
    target.route('POST /echo', { status: 201, body: 'created' });
    const result = await runOnce({
      url: `${target.url}/echo`,
      method: 'POST',
      headers: { Authorization: 'Bearer tok-123', 'Content-Type': 'application/json' },
      body: '{"ping":1}',
    });
    expect(result.up).toBe(true);
    const seen = target.requests.at(-1);
    expect(seen).toMatchObject({ method: 'POST', path: '/echo', body: '{"ping":1}' });
    expect(seen?.headers).toMatchObject({ authorization: 'Bearer tok-123', 'content-type': 'application/json' });
  });

  it('asks for no Content-Encoding and names one sent anyway where the body is checked, not as invalid text', async () => {
    const gzipped = gzipSync('{"status":"healthy"}');
    target.route('/gzip', { headers: { 'content-encoding': 'gzip' }, body: gzipped });
    const checked = await runOnce({ url: `${target.url}/gzip`, expect: { json: { status: 'healthy' } } });
    expect(checked).toMatchObject({
      up: false,
      reason:
        'the body is in Content-Encoding "gzip", which centinela did not ask for (it sends Accept-Encoding: ' +
        'identity) and does not decode: have the target answer uncompressed',
    });
    expect(target.requests.at(-1)?.headers['accept-encoding']).toBe('identity');
    // A probe of the status alone reads nothing of the body: it is up.
    expect(await runOnce({ url: `${target.url}/gzip` })).toMatchObject({ up: true });
    // An unexpected status shows no compressed bytes as its body's start.
    target.route('/gzip-503', { status: 503, headers: { 'content-encoding': 'gzip' }, body: gzipped });
    expect(await runOnce({ url: `${target.url}/gzip-503` })).toMatchObject({
      up: false,
      reason: 'status 503 (its body is in Content-Encoding "gzip", not decoded: not shown)',
    });
    // Nor do the same bytes without the header, nor other binary; text cut in a character at 200 bytes is text.
    target.route('/bytes-503', { status: 503, body: gzipped });
    expect(await runOnce({ url: `${target.url}/bytes-503` })).toMatchObject({
      up: false,
      reason: 'status 503 (its body is binary: not shown)',
    });
    target.route('/nul-503', { status: 503, body: 'error\u0000\u0001 in frame' });
    expect(await runOnce({ url: `${target.url}/nul-503` })).toMatchObject({
      reason: 'status 503 (its body is binary: not shown)',
    });
    // Its length is the Content-Length when there is one (only the first 201 bytes are read).
    const text = `${'a'.repeat(199)}ñ and more`;
    target.route('/text-503', { status: 503, body: text, headers: { 'content-length': `${Buffer.byteLength(text)}` } });
    expect(await runOnce({ url: `${target.url}/text-503` })).toMatchObject({
      reason: `status 503: ${'a'.repeat(199)}… (210 bytes)`,
    });
  });

  it("sends the URL's path and query as configured, with GET when no method is given", async () => {
    target.route('/search', { body: 'ok' });
    expect((await runOnce({ url: `${target.url}/search?q=a%20b&n=1` })).up).toBe(true);
    expect(target.requests.at(-1)).toMatchObject({ method: 'GET', path: '/search?q=a%20b&n=1' });
  });

  it('turns credentials in the URL into Basic auth', async () => {
    target.route('/private', { body: 'ok' });
    const url = new URL(`${target.url}/private`);
    url.username = 'ops';
    url.password = 'p@ss word';
    expect((await runOnce({ url: url.toString() })).up).toBe(true);
    const auth = target.requests.at(-1)?.headers.authorization ?? '';
    expect(Buffer.from(auth.replace(/^Basic /, ''), 'base64').toString()).toBe('ops:p@ss word');
  });

  it('follows redirects up to max_redirects, and says when there are more', async () => {
    const url = `${target.url}/a`;
    const json = { status: 'healthy' };
    expect(await runOnce({ url, max_redirects: 2, expect: { json } })).toMatchObject({ up: true });
    expect(await runOnce({ url, max_redirects: 1 })).toEqual({
      up: false,
      reason: `more than 1 redirect; ${target.url}/b redirects again`,
    });
    expect(await runOnce({ url, max_redirects: 0 })).toMatchObject({ up: false, reason: 'status 302' });
  });

  it('names a redirect loop and where it closes (URL redacted), not undici’s advice to its API users', async () => {
    expect(await runOnce({ url: `${target.url}/loop-a`, max_redirects: 10 })).toEqual({
      up: false,
      reason: `redirect loop at ${target.url}/loop-b?token=xxxxx`,
    });
  });

  it('says which redirect it cannot follow: a Location that is no URL, or not http(s)', async () => {
    expect(await runOnce({ url: `${target.url}/to-nowhere`, max_redirects: 3 })).toEqual({
      up: false,
      reason: `cannot follow the redirect from ${target.url}/to-nowhere: its Location "http://[not-a-host/health" is no URL`,
    });
    expect(await runOnce({ url: `${target.url}/to-ftp`, max_redirects: 3 })).toEqual({
      up: false,
      reason:
        `cannot follow the redirect from ${target.url}/to-ftp: ` +
        'Invalid URL protocol: the URL must start with `http:` or `https:`.',
    });
  });

  it('says connection refused with the host and port', async () => {
    const closed = await startHttpTarget();
    await closed.close();
    const result = await runOnce({ url: `http://127.0.0.1:${closed.port}/health` });
    expect(result).toEqual({ up: false, reason: `connection refused (127.0.0.1:${closed.port})` });
  });

  it('says DNS lookup failed with the host name', async () => {
    const result = await runOnce({ url: 'http://centinela-no-such-host.invalid/health' });
    expect(result).toEqual({ up: false, reason: 'DNS lookup failed for centinela-no-such-host.invalid' });
  });

  it('times out through the run edge with the configured timeout in the reason', async () => {
    const clock = new FakeClock();
    const config = configOf({ url: `${target.url}/hang`, timeout: '5s' });
    const probe = http.create(config, { log, clock });
    const before = target.requests.length;
    const outcome = runGuarded(config, probe, { clock, log });
    while (target.requests.length === before) await new Promise((resolve) => setImmediate(resolve));
    await clock.advance(5_000);
    expect((await outcome).result).toEqual({ up: false, reason: 'timed out after 5s' });
    await probe.close?.();
  });

  it('reads at most max_body_bytes of a 100 MB body and closes the connection', async () => {
    const total = 100 * 1024 * 1024;
    let written = 0;
    let closed: () => void = () => {};
    const serverDone = new Promise<void>((resolve) => {
      closed = resolve;
    });
    target.route('/huge', (_req, res: ServerResponse) => {
      const chunk = Buffer.alloc(64 * 1024, 'a');
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(total) });
      const pump = () => {
        while (written < total && !res.destroyed) {
          written += chunk.length;
          if (!res.write(chunk)) return; // wait for 'drain': only what the client takes is written
        }
        if (written >= total) res.end();
      };
      res.on('drain', pump);
      res.on('close', () => closed());
      pump();
    });
    const result = await runOnce({ url: `${target.url}/huge`, max_body_bytes: 65_536, expect: { body_regex: '^a+$' } });
    expect(result).toMatchObject({ up: true, detail: 'status 200, 65536 bytes (cut at max_body_bytes)' });
    await serverDone;
    // What the server could write is bounded by the cap plus the socket buffers of both ends, not by the body.
    expect(written).toBeLessThan(16 * 1024 * 1024);
  });

  it('refuses JSON checks on a body cut at max_body_bytes', async () => {
    const result = await runOnce({
      url: `${target.url}/api/v1/health`,
      max_body_bytes: 10,
      expect: { json: { status: 'healthy' } },
    });
    expect(result).toMatchObject({
      up: false,
      reason: 'body is larger than max_body_bytes (10); its JSON fields cannot be checked',
    });
  });

  describe('over TLS', () => {
    let cert: TestCert;
    let https: HttpTarget;
    beforeAll(async () => {
      cert = makeSelfSignedCert();
      https = await startHttpTarget({ tls: cert, routes: { '/health': { json: { status: 'healthy' } } } });
    });
    afterAll(async () => {
      await https.close();
      cert.remove();
    });

    it('does not accept a self-signed certificate by default', async () => {
      const result = await runOnce({ url: `${https.url}/health` });
      expect(result.up).toBe(false);
      if (!result.up) {
        expect(result.reason).toBe(`TLS certificate of 127.0.0.1:${https.port} not accepted: self-signed certificate`);
      }
    });

    it('accepts it with insecure or with its CA in ca_file', async () => {
      expect((await runOnce({ url: `${https.url}/health`, tls: { insecure: true } })).up).toBe(true);
      expect((await runOnce({ url: `${https.url}/health`, tls: { ca_file: cert.certFile } })).up).toBe(true);
    });

    it('checks the certificate against server_name', async () => {
      const result = await runOnce({
        url: `${https.url}/health`,
        tls: { ca_file: cert.certFile, server_name: 'other.example' },
      });
      expect(result.up).toBe(false);
      if (!result.up)
        expect(result.reason).toMatch(/^TLS certificate of 127\.0\.0\.1:\d+ not accepted: .*other\.example/);
    });

    it('names an unreadable ca_file', async () => {
      const result = await runOnce({ url: `${https.url}/health`, tls: { ca_file: '/nonexistent/ca.pem' } });
      expect(result.up).toBe(false);
      if (!result.up)
        expect(result.reason).toMatch(
          /^cannot read tls\.ca_file \(ENOENT\)\. Restore the file, or point the key at a PEM file centinela can read/,
        );
    });
  });
});
