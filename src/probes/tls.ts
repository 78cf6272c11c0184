// The `tls` probe: for each host Caddy serves, a TLS handshake with SNI and a look at the certificate presented:
// days until it expires, whether its chain verifies, whether it names the host.

import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { checkServerIdentity, connect, type PeerCertificate } from 'node:tls';
import { untilAborted } from '../abortable.js';
import type { TlsProbeConfig } from '../config/probes.js';
import type { Sample } from '../types.js';
import { abortReason, describeFailure, type Endpoint } from './net-failure.js';
import { defineProbe, type ProbeResult, sample } from './probe.js';
import { tlsConnectOptions } from './tls-options.js';

const DAY_MS = 86_400_000;

export default defineProbe({
  kind: 'tls',
  create(config) {
    return {
      async run({ signal, clock }): Promise<ProbeResult> {
        let ca: string[] | undefined;
        try {
          ca = (await tlsConnectOptions({ ca_file: config.ca_file })).ca as string[] | undefined;
        } catch (err) {
          return { up: false, reason: (err as Error).message };
        }
        const checks = await Promise.all(config.hosts.map((entry) => inspect(entry, config, ca, signal)));
        const samples: Sample[] = [];
        const failures: string[] = [];
        const detail: string[] = [];
        for (const check of checks) {
          if ('error' in check) {
            failures.push(`${check.entry}: ${check.error}`);
            continue;
          }
          const labels = { host: check.entry };
          const days = (check.expiresAt - clock.now()) / DAY_MS;
          samples.push(
            sample('days_until_expiry', days, labels),
            sample('chain_valid', check.chainError ? 0 : 1, labels),
            sample('hostname_valid', check.nameError ? 0 : 1, labels),
          );
          detail.push(
            `${check.entry}: ${check.subject}, issued by ${check.issuer}, expires ${new Date(check.expiresAt).toISOString()}` +
              ` (${days.toFixed(1)} days); chain ${check.chainError ?? 'verified'}; name ${check.nameError ?? 'matches'}`,
          );
        }
        if (failures.length > 0) return { up: false, reason: failures.join('; '), samples, detail: detail.join('\n') };
        return { up: true, samples, detail: detail.join('\n') };
      },
    };
  },
});

type HostCheck =
  | { entry: string; error: string }
  | { entry: string; expiresAt: number; subject: string; issuer: string; chainError?: string; nameError?: string };

/** `host`, `host:port` or `[v6]:port` → where to connect; undefined when it is none of these. */
function parseHost(entry: string): Endpoint | undefined {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry) ?? /^([^:[\]]+)(?::(\d+))?$/.exec(entry);
  const port = m?.[2] === undefined ? 443 : Number(m[2]);
  if (!m?.[1] || port < 1 || port > 65_535) return undefined;
  return { host: m[1], port };
}

/** One handshake; never rejects. The chain is judged against the public roots plus `ca_file`. */
async function inspect(
  entry: string,
  config: TlsProbeConfig,
  ca: string[] | undefined,
  signal: AbortSignal,
): Promise<HostCheck> {
  const at = parseHost(entry);
  if (!at) return { entry, error: 'not a host or host:port' };
  const name = config.server_name ?? at.host;
  // SNI carries names only: an IP address sends none (RFC 6066).
  const servername = config.server_name ?? (isIP(at.host) ? undefined : at.host);
  const socket = connect({ host: at.host, port: at.port, servername, ca, rejectUnauthorized: false });
  const handshake = new Promise<HostCheck>((resolve) => {
    socket.on('error', (err) => resolve({ entry, error: describeFailure(err, signal, at) }));
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate();
      if (!cert?.raw) {
        resolve({ entry, error: 'the server presented no certificate' });
        return;
      }
      const x509 = new X509Certificate(cert.raw);
      const nameError = checkServerIdentity(name, cert as PeerCertificate)?.message;
      resolve({
        entry,
        expiresAt: x509.validToDate.getTime(),
        subject: x509.subject.replace(/\n/g, ', '),
        issuer: x509.issuer.replace(/\n/g, ', '),
        chainError: socket.authorized ? undefined : String(socket.authorizationError ?? 'not verified'),
        nameError,
      });
    });
  });
  try {
    return await untilAborted(handshake, signal);
  } catch {
    // Only the abort rejects: the handshake resolves even when it fails.
    return { entry, error: abortReason(signal) };
  } finally {
    socket.destroy();
  }
}
