import type { AddressInfo } from 'node:net';
import { createServer, type SecureContext, type Server, type TLSSocket } from 'node:tls';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { probeConfig, type TlsProbeConfig } from '../../src/config/probes.js';
import type { ProbeResult } from '../../src/probes/probe.js';
import tls from '../../src/probes/tls.js';
import { probeConformance } from '../support/conformance.js';
import { startHttpTarget } from '../support/http-target.js';
import { makeSelfSignedCert, type TestCert } from '../support/tls-cert.js';

const log = pino({ level: 'silent' });
const DAY_MS = 86_400_000;

probeConformance(tls, ({ host, port }) => ({ hosts: [`${host}:${port}`] }));

describe('tls probe', () => {
  let cert: TestCert;
  let server: Server;
  let port: number;
  /** When the certificate was made: its notAfter is 30 days after this, to the second. */
  let madeAt: number;
  /** Server names the server was sent (SNI). */
  const sni: string[] = [];

  beforeAll(async () => {
    madeAt = Date.now();
    cert = makeSelfSignedCert({ days: 30 });
    const SNICallback = (name: string, done: (err: Error | null, ctx?: SecureContext) => void) => {
      sni.push(name);
      done(null);
    };
    server = createServer({ key: cert.key, cert: cert.cert, SNICallback }, (socket: TLSSocket) => socket.end());
    server.on('tlsClientError', () => {});
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    cert.remove();
  });

  async function runAt(now: number, input: Record<string, unknown>): Promise<ProbeResult> {
    const clock = new FakeClock(now);
    const config = probeConfig.parse({ name: 'certs', kind: 'tls', every: '1h', ...input }) as TlsProbeConfig;
    return tls.create(config, { log, clock }).run({ signal: new AbortController().signal, clock, log });
  }
  const value = (result: ProbeResult, name: string) => result.samples?.find((s) => s.name === name)?.value;

  it('gives days until expiry, and a self-signed chain as not valid', async () => {
    const result = await runAt(madeAt, { hosts: [`127.0.0.1:${port}`] });
    expect(result.up).toBe(true);
    expect(result.samples?.map((s) => [s.name, s.labels])).toEqual([
      ['days_until_expiry', { host: `127.0.0.1:${port}` }],
      ['chain_valid', { host: `127.0.0.1:${port}` }],
      ['hostname_valid', { host: `127.0.0.1:${port}` }],
    ]);
    expect(Math.abs((value(result, 'days_until_expiry') ?? 0) - 30)).toBeLessThan(2_000 / DAY_MS);
    expect(value(result, 'chain_valid')).toBe(0);
    expect(value(result, 'hostname_valid')).toBe(1);
    expect(result.detail).toMatch(/chain (DEPTH_ZERO_SELF_SIGNED_CERT|self-signed certificate)/);
  });

  it('counts the chain valid when ca_file holds its issuer, and expiry goes negative once past', async () => {
    const result = await runAt(madeAt + 31 * DAY_MS, { hosts: [`127.0.0.1:${port}`], ca_file: cert.certFile });
    expect(value(result, 'chain_valid')).toBe(1);
    expect(value(result, 'days_until_expiry')).toBeCloseTo(-1, 3);
  });

  it('sends the host name as SNI and checks the certificate names it; server_name overrides both', async () => {
    sni.length = 0;
    const byName = await runAt(madeAt, { hosts: [`localhost:${port}`], ca_file: cert.certFile });
    expect(value(byName, 'hostname_valid')).toBe(1);
    const other = await runAt(madeAt, { hosts: [`127.0.0.1:${port}`], server_name: 'other.example' });
    expect(value(other, 'hostname_valid')).toBe(0);
    expect(other.detail).toContain("name Hostname/IP does not match certificate's altnames");
    expect(sni).toEqual(['localhost', 'other.example']);
  });

  it('is down naming the host that failed, keeping the samples of the others', async () => {
    const dead = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const result = await runAt(madeAt, { hosts: [`127.0.0.1:${port}`, `127.0.0.1:${dead}`, 'localhost:99999'] });
    expect(result).toMatchObject({
      up: false,
      reason: `127.0.0.1:${dead}: connection refused (127.0.0.1:${dead}); localhost:99999: not a host or host:port`,
    });
    expect(result.samples?.every((s) => s.labels.host === `127.0.0.1:${port}`)).toBe(true);
    expect(result.samples).toHaveLength(3);
  });

  it('refuses a host entry that is not host, host:port or [v6]:port when the config is read', () => {
    const parsed = probeConfig.safeParse({ name: 'certs', kind: 'tls', every: '1h', hosts: ['a:b:c', 'https://x/'] });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['hosts.0', 'is not a host. Write api.example.org, api.example.org:8443 or [2001:db8::1]:443'],
      ['hosts.1', 'is not a host. Write api.example.org, api.example.org:8443 or [2001:db8::1]:443'],
    ]);
    const v6 = probeConfig.safeParse({ name: 'certs', kind: 'tls', every: '1h', hosts: ['[::1]:8443', 'caddy'] });
    expect(v6.success).toBe(true);
  });

  it('says when the port does not speak TLS', async () => {
    const plain = await startHttpTarget();
    const result = await runAt(madeAt, { hosts: [`127.0.0.1:${plain.port}`] });
    await plain.close();
    expect(result).toMatchObject({
      up: false,
      reason:
        `127.0.0.1:${plain.port}: TLS handshake with 127.0.0.1:${plain.port} failed: ` +
        'the server does not speak TLS there (wrong version number)',
    });
  });

  it('names an unreadable ca_file', async () => {
    const result = await runAt(madeAt, { hosts: [`127.0.0.1:${port}`], ca_file: '/nonexistent/ca.pem' });
    expect(result.up).toBe(false);
    if (!result.up)
      expect(result.reason).toMatch(
        /^cannot read tls\.ca_file \(ENOENT\)\. Restore the file, or point the key at a PEM file centinela can read/,
      );
  });
});
