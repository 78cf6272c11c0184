// Self-signed certificates made by the machine's openssl into a temp folder, for TLS targets in tests.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A key and its self-signed certificate, as PEM text and as files. */
export interface TestCert {
  key: string;
  cert: string;
  keyFile: string;
  certFile: string;
  /** Deletes the temp folder. */
  remove(): void;
}

/**
 * A P-256 key and a certificate for `commonName` valid `days` days from now, with subjectAltName entries
 * (`DNS:localhost`, `IP:127.0.0.1` by default).
 */
export function makeSelfSignedCert(
  options: { commonName?: string; altNames?: string[]; days?: number } = {},
): TestCert {
  const dir = mkdtempSync(join(tmpdir(), 'centinela-cert-'));
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  const altNames = options.altNames ?? ['DNS:localhost', 'IP:127.0.0.1'];
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      String(options.days ?? 30),
      '-subj',
      `/CN=${options.commonName ?? 'localhost'}`,
      '-addext',
      `subjectAltName=${altNames.join(',')}`,
    ],
    { stdio: 'pipe' },
  );
  return {
    key: readFileSync(keyFile, 'utf8'),
    cert: readFileSync(certFile, 'utf8'),
    keyFile,
    certFile,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
