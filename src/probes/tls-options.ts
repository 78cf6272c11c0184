// The probes' `tls:` block (insecure, ca_file, server_name) as Node TLS connect options, for undici, ws and node:tls.
import { readFile } from 'node:fs/promises';
import { type ConnectionOptions, checkServerIdentity, rootCertificates } from 'node:tls';

/** The keys of a probe's `tls:` block, as src/config/probes.ts parses them. */
export interface TlsConfig {
  insecure?: boolean;
  ca_file?: string;
  server_name?: string;
}

/**
 * Connect options for `tlsConfig`: `ca_file` adds to the public roots (it does not replace them), `server_name` sets
 * SNI and the name checked on the certificate. Throws an Error naming `ca_file` (not its path) when it cannot be read.
 */
export async function tlsConnectOptions(tlsConfig: TlsConfig | undefined): Promise<ConnectionOptions> {
  const options: ConnectionOptions = { rejectUnauthorized: !tlsConfig?.insecure };
  if (tlsConfig?.ca_file) {
    let pem: string;
    try {
      pem = await readFile(tlsConfig.ca_file, 'utf8');
    } catch (err) {
      // Named by its key, never by its path, which may have come from the environment (check refuses it missing).
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      const message = `cannot read tls.ca_file (${code}). Restore the file, or point the key at a PEM file centinela can read`;
      throw Object.assign(new Error(message, { cause: err }), { code: 'CA_FILE_UNREADABLE' });
    }
    options.ca = [...rootCertificates, pem];
  }
  const name = tlsConfig?.server_name;
  if (name) {
    options.servername = name;
    // The name checked on the certificate is the one configured whatever a client does with servername: pg sets it
    // to the URL's host after copying these options, so a postgres probe checked the URL's host instead.
    options.checkServerIdentity = (_host, cert) => checkServerIdentity(name, cert);
  }
  return options;
}
