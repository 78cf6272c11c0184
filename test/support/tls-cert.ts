// Certificates made by the machine's openssl into a temp folder, for TLS targets in tests: self-signed, or signed by
// one of those as a CA.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A key and its certificate, as PEM text and as files. */
export interface TestCert {
  key: string;
  cert: string;
  keyFile: string;
  certFile: string;
  /** Deletes the temp folder. */
  remove(): void;
}

/** openssl's options for a new P-256 key, unencrypted. */
const NEW_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/**
 * A P-256 key and a certificate for `commonName` valid `days` days from now, with subjectAltName entries
 * (`DNS:localhost`, `IP:127.0.0.1` by default).
 */
export function makeSelfSignedCert(
  options: { commonName?: string; altNames?: string[]; days?: number } = {},
): TestCert {
  const dir = mkdtempSync(join(tmpdir(), 'centinela-cert-'));
  const altNames = options.altNames ?? ['DNS:localhost', 'IP:127.0.0.1'];
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      ...NEW_KEY,
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-days',
      String(options.days ?? 30),
      '-subj',
      `/CN=${options.commonName ?? 'localhost'}`,
      '-addext',
      `subjectAltName=${altNames.join(',')}`,
    ],
    { stdio: 'pipe' },
  );
  return certIn(dir);
}

/**
 * A P-256 key and a certificate for `commonName` signed by `ca`, valid `days` days from now. A negative `days` makes
 * one that has already expired (it ends before it starts, now), for which a server sends the certificate_expired alert.
 * `startsIn` days makes it valid only from then (openssl ca, which sets the start date); `extendedKeyUsage` (OpenSSL's
 * words: serverAuth, clientAuth) what it is for.
 */
export function makeSignedCert(
  ca: TestCert,
  options: { commonName: string; days: number; startsIn?: number; extendedKeyUsage?: string },
): TestCert {
  const dir = mkdtempSync(join(tmpdir(), 'centinela-cert-'));
  const request = join(dir, 'request.pem');
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  const openssl = (args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  openssl(['req', '-new', ...NEW_KEY, '-keyout', key, '-out', request, '-subj', `/CN=${options.commonName}`]);
  const extensions = join(dir, 'extensions.cnf');
  writeFileSync(extensions, options.extendedKeyUsage ? `extendedKeyUsage=${options.extendedKeyUsage}\n` : '');
  if (options.startsIn === undefined) {
    const signer = ['-CA', ca.certFile, '-CAkey', ca.keyFile, '-extfile', extensions];
    openssl(['x509', '-req', '-in', request, ...signer, '-days', String(options.days), '-out', cert]);
    return certIn(dir);
  }
  const day = 86_400_000;
  const stamp = (ms: number) =>
    `${new Date(ms)
      .toISOString()
      .replace(/[-:T]|\.\d+/g, '')
      .slice(2)}`;
  const config = join(dir, 'ca.cnf');
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), '01\n');
  writeFileSync(
    config,
    ['[ca]', 'default_ca = c', '[c]', `database = ${dir}/index.txt`, `new_certs_dir = ${dir}`, `serial = ${dir}/serial`]
      .concat(['default_md = sha256', 'policy = p', '[p]', 'commonName = supplied', ''])
      .join('\n'),
  );
  const start = Date.now() + options.startsIn * day;
  openssl(
    ['ca', '-batch', '-notext', '-config', config, '-cert', ca.certFile, '-keyfile', ca.keyFile, '-in', request]
      .concat(['-out', cert, '-extfile', extensions, '-startdate', stamp(start)])
      .concat(['-enddate', stamp(start + options.days * day)]),
  );
  return certIn(dir);
}

/** The key.pem and cert.pem openssl wrote in `dir`. */
function certIn(dir: string): TestCert {
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  return {
    key: readFileSync(keyFile, 'utf8'),
    cert: readFileSync(certFile, 'utf8'),
    keyFile,
    certFile,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
