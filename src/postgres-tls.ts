// The TLS parameters of a postgres:// URL (sslmode, sslrootcert, sslcert, sslkey, sslpassword) honoured as libpq
// honours them, for node-postgres, which reads them its own way: it checks the certificate and the host for every
// sslmode but disable (so sslmode=require fails on a self-signed certificate), and prints a SECURITY WARNING on the
// terminal about it. The state store and the postgres probe connect through here; node-postgres never sees these
// parameters, nor reads libpq's environment variables for them (PGSSLMODE, PGSSLNEGOTIATION). What libpq does and
// node-postgres cannot (falling back between an encrypted and a plain connection: allow, prefer) is refused with what
// to write instead, as are libpq's TLS parameters not honoured here, rather than left out without a word. So are the
// URL's other parameters but the session's options and application_name: node-postgres reads each as its own option,
// over the URL's host, port and user and over the settings centinela gives it.
import { readFileSync } from 'node:fs';
import { type ConnectionOptions, createSecureContext } from 'node:tls';
import { CERTIFICATE_FAILURES } from './certificate-failures.js';

/** libpq's sslmodes that node-postgres can honour. */
const MODES = new Set(['disable', 'require', 'verify-ca', 'verify-full']);

/**
 * The parameters read here and taken out of the URL node-postgres reads (which would otherwise override the options
 * given beside it: sslnegotiation=direct makes it verify-full).
 */
const READ = ['sslmode', 'sslrootcert', 'sslcert', 'sslkey', 'sslpassword', 'sslnegotiation'] as const;

/** The URL parameters that name a file: the CA certificates, the client certificate and its key. */
const FILE_PARAMS = ['sslrootcert', 'sslcert', 'sslkey'] as const;
export type TlsFileParam = (typeof FILE_PARAMS)[number];

/** libpq's TLS parameters that are not honoured: the server's revocation lists, client certificate modes, versions. */
const NOT_HONOURED = ['sslcrl', 'sslcrldir', 'sslcertmode', 'ssl_min_protocol_version', 'ssl_max_protocol_version'];

/** The parameters a URL may have besides its TLS ones: what the session passes to the server at start-up. */
const SESSION_PARAMS = new Set(['options', 'application_name', 'fallback_application_name']);

/** The TLS parameters, read here or refused in words of their own. */
const TLS_PARAMS = new Set<string>([...READ, 'ssl', 'requiressl']);

/**
 * Parameters naming a part the URL has its own place for. node-postgres takes host, port, user and password over the
 * URL's own (?port=99999 left its connection unsettled, ?port=5432 on a URL naming another went to 5432) and ignores
 * hostaddr, dbname and database, which libpq takes.
 */
const URL_PARTS = new Set(['host', 'hostaddr', 'port', 'user', 'password', 'dbname', 'database']);

/**
 * libpq's other parameters, which node-postgres ignores, and node-postgres's own, which would stand in for the
 * connection settings centinela gives (timeouts, the lease) or change how it reads the server (binary, encoding,
 * replication): none is honoured.
 */
const OTHER_KNOWN = new Set([
  ...NOT_HONOURED,
  'passfile',
  'require_auth',
  'channel_binding',
  'connect_timeout',
  'client_encoding',
  'keepalives',
  'keepalives_idle',
  'keepalives_interval',
  'keepalives_count',
  'tcp_user_timeout',
  'replication',
  'gssencmode',
  'sslcompression',
  'sslsni',
  'requirepeer',
  'krbsrvname',
  'gsslib',
  'gssdelegation',
  'service',
  'target_session_attrs',
  'load_balance_hosts',
  'statement_timeout',
  'lock_timeout',
  'idle_in_transaction_session_timeout',
  'query_timeout',
  'connectionTimeoutMillis',
  'keepAlive',
  'binary',
  'uselibpqcompat',
]);

/** A URL whose TLS parameters cannot be honoured, or a file one of them names that cannot be read. */
export class PostgresTlsError extends Error {
  override readonly name = 'PostgresTlsError';
  readonly code = 'POSTGRES_TLS';
}

/** node-postgres's options for a URL: the URL without its TLS parameters, and how to connect. */
export interface PostgresConnection {
  connectionString: string;
  /** false: no TLS; else the options of Node's tls.connect. Given, it keeps node-postgres from reading PGSSLMODE. */
  ssl: false | ConnectionOptions;
  /** How TLS starts. Given, it keeps node-postgres from reading PGSSLNEGOTIATION (and quoting it in an error). */
  sslnegotiation: 'postgres' | 'direct';
}

/** The URL's parameters, the last of each name winning, as libpq and node-postgres take them. */
function paramsOf(url: URL): Map<string, string> {
  return new Map(url.searchParams.entries());
}

/**
 * What in the parameters of `url` cannot be honoured, as the rest of a sentence about the URL, naming parameters and
 * libpq's keywords but quoting nothing of the URL; undefined when every one can. Reads no file. A URL takes libpq's
 * TLS parameters (as libpq reads them, below) and the session's options and application_name; a parameter that names
 * a part of the URL, or that neither libpq nor centinela honours, is refused: node-postgres reads every parameter of a
 * URL as its own option, over the URL's parts and centinela's settings.
 */
export function postgresUrlProblem(url: string): string | undefined {
  const params = paramsOf(new URL(url));
  for (const name of params.keys()) {
    if (SESSION_PARAMS.has(name) || TLS_PARAMS.has(name)) continue;
    if (URL_PARTS.has(name)) {
      return (
        `has ${name} as a parameter, a part the URL has its own place for, which node-postgres would take over the ` +
        "URL's own or ignore. Write the host, port, user, password and database in their places " +
        `(postgres://user:password@host:port/database) and leave ${name} out`
      );
    }
    if (OTHER_KNOWN.has(name)) return `has ${name}, which centinela does not honour. Leave it out`;
    return (
      "has a parameter that neither libpq nor centinela knows. Leave it out: a URL takes libpq's TLS parameters " +
      '(sslmode, sslrootcert, sslcert, sslkey, sslpassword, sslnegotiation), options and application_name'
    );
  }
  return postgresTlsProblem(params);
}

/** What in the TLS parameters `params` of a URL cannot be honoured, as postgresUrlProblem words it. */
function postgresTlsProblem(params: Map<string, string>): string | undefined {
  if (params.has('ssl')) {
    return (
      "has ssl, node-postgres's own parameter, which libpq does not know. Write sslmode=require to encrypt, or " +
      "sslmode=verify-full to check the server's certificate too"
    );
  }
  const mode = params.get('sslmode');
  if (params.has('requiressl')) {
    // libpq 15 reads requiressl=1 as sslmode=require; node-postgres ignores it and would connect unencrypted.
    return mode === undefined
      ? 'has requiressl, the old spelling of sslmode that libpq 15 read as require (1) or prefer (0). Write ' +
          'sslmode=require instead to encrypt, or sslmode=disable'
      : 'has requiressl beside sslmode, which says the same. Leave requiressl out';
  }
  const rootcert = params.get('sslrootcert');
  if (mode === 'allow' || mode === 'prefer') {
    return (
      `has sslmode=${mode}, which falls back between an encrypted and an unencrypted connection, and centinela's ` +
      'PostgreSQL client cannot. Write sslmode=require to always encrypt (the certificate unchecked), or ' +
      'sslmode=disable'
    );
  }
  if (mode === 'no-verify') {
    return "has sslmode=no-verify, node-postgres's own, which libpq does not know. Write sslmode=require: it encrypts without checking the certificate";
  }
  if (mode !== undefined && !MODES.has(mode)) {
    return 'has an sslmode libpq does not know. Write disable, require, verify-ca or verify-full';
  }
  const named = FILE_PARAMS.filter((p) => params.has(p));
  if (mode === undefined && named.length > 0 && rootcert !== 'system') {
    return (
      `has ${named.join(' and ')} without sslmode, which libpq would take as prefer (refused: it falls back to an ` +
      'unencrypted connection). Write sslmode=verify-full, verify-ca or require'
    );
  }
  if (rootcert === 'system' && mode !== undefined && mode !== 'verify-full') {
    return (
      `has sslrootcert=system with sslmode=${mode}: the system's CAs are taken with verify-full alone, as libpq ` +
      'takes them, since anyone can get a certificate from a public CA. Write sslmode=verify-full'
    );
  }
  if (mode === 'verify-ca' && rootcert === undefined) {
    return (
      "has sslmode=verify-ca without sslrootcert, and centinela does not read libpq's default ~/.postgresql/root.crt. " +
      "Give the server's CA as sslrootcert=/path/to/ca.pem, or write sslmode=verify-full to check it against the " +
      'public CAs and its host name'
    );
  }
  if (params.has('sslcert') !== params.has('sslkey')) {
    return (
      `has ${params.has('sslcert') ? 'sslcert without sslkey' : 'sslkey without sslcert'}, and centinela does not ` +
      "read libpq's default files under ~/.postgresql. Write both"
    );
  }
  const negotiation = params.get('sslnegotiation');
  if (negotiation !== undefined && negotiation !== 'postgres' && negotiation !== 'direct') {
    return 'has an sslnegotiation that is neither postgres nor direct. Write one of those, or leave it out';
  }
  if (negotiation === 'direct' && (mode ?? 'disable') === 'disable') {
    return 'has sslnegotiation=direct, which starts with TLS, without TLS asked for. Write sslmode=require, verify-ca or verify-full';
  }
  return undefined;
}

/** The files the TLS parameters of `url` name, each with its parameter (none when sslmode is disable: none is read). */
export function postgresTlsFiles(url: string): { param: TlsFileParam; path: string }[] {
  const params = paramsOf(new URL(url));
  if ((params.get('sslmode') ?? 'disable') === 'disable' && params.get('sslrootcert') !== 'system') return [];
  return FILE_PARAMS.flatMap((param) => {
    const path = params.get(param);
    return path === undefined || path === 'system' ? [] : [{ param, path }];
  });
}

/**
 * node-postgres's options for `url`, its TLS parameters as libpq takes them: disable (or no sslmode) no TLS; require
 * encrypts without checking the certificate, unless sslrootcert is given, which makes it verify-ca; verify-ca checks
 * the certificate's chain up to sslrootcert, not its host; verify-full checks the chain and the host, against
 * sslrootcert, or the public CAs Node trusts when it is left out or `system`. sslcert and sslkey (sslpassword its
 * passphrase) are the client's certificate. The files are read now. Throws PostgresTlsError for what
 * postgresTlsProblem refuses, and for a file that cannot be read, naming its parameter and never its path.
 */
export function postgresConnection(url: string): PostgresConnection {
  const parsed = new URL(url);
  const params = paramsOf(parsed);
  const problem = postgresUrlProblem(url);
  if (problem) throw new PostgresTlsError(`the URL ${problem}`);
  let connectionString = url;
  if (READ.some((p) => params.has(p))) {
    for (const p of READ) parsed.searchParams.delete(p);
    connectionString = parsed.toString();
  }
  const sslnegotiation = params.get('sslnegotiation') === 'direct' ? 'direct' : 'postgres';
  const rootcert = params.get('sslrootcert');
  const mode = params.get('sslmode') ?? (rootcert === 'system' ? 'verify-full' : 'disable');
  if (mode === 'disable') return { connectionString, ssl: false, sslnegotiation };
  const ssl: ConnectionOptions = {};
  if (rootcert !== undefined && rootcert !== 'system') ssl.ca = readTlsFile('sslrootcert', rootcert);
  if (mode === 'require' && ssl.ca === undefined) ssl.rejectUnauthorized = false;
  // verify-ca, and require with a CA given: the chain is checked (rejectUnauthorized, Node's default), the host not.
  else if (mode !== 'verify-full') ssl.checkServerIdentity = () => undefined;
  const cert = params.get('sslcert');
  const key = params.get('sslkey');
  if (cert !== undefined && key !== undefined) {
    ssl.cert = readTlsFile('sslcert', cert);
    ssl.key = readTlsFile('sslkey', key);
    const passphrase = params.get('sslpassword');
    if (passphrase !== undefined) ssl.passphrase = passphrase;
    const unusable = keyPairProblem(ssl.cert, ssl.key, passphrase);
    if (unusable) throw new PostgresTlsError(`the URL ${unusable}`);
  }
  return { connectionString, ssl, sslnegotiation };
}

/**
 * node-postgres's options for a postgres probe whose `tls` block says how to connect (its URL has no TLS parameter,
 * the config refuses both): the URL as it is and the block's connect options.
 */
export function postgresConnectionWith(url: string, ssl: ConnectionOptions): PostgresConnection {
  return { connectionString: url, ssl, sslnegotiation: 'postgres' };
}

/**
 * What stops the client certificate that the TLS parameters of `url` name (sslcert, sslkey and sslpassword) from being
 * presented, as the rest of a sentence about the URL, naming parameters and quoting nothing; undefined when there is
 * none or Node's TLS takes it. Reads the two files; one that cannot be read is left to postgresFilesProblem.
 */
export function clientCertificateProblem(url: string): string | undefined {
  const files = new Map(postgresTlsFiles(url).map((f) => [f.param, f.path]));
  const cert = files.get('sslcert');
  const key = files.get('sslkey');
  if (cert === undefined || key === undefined) return undefined;
  let pems: { cert: string; key: string };
  try {
    pems = { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') };
  } catch {
    return undefined;
  }
  return keyPairProblem(pems.cert, pems.key, paramsOf(new URL(url)).get('sslpassword'));
}

/**
 * Why Node's TLS refuses `cert` with `key` (decrypted with `passphrase`), which it would do at every connection,
 * where the error says only "the connection failed": a key that is not the certificate's, an encrypted key without
 * sslpassword or with one that does not decrypt it.
 */
function keyPairProblem(cert: string, key: string, passphrase: string | undefined): string | undefined {
  try {
    createSecureContext({ cert, key, ...(passphrase === undefined ? {} : { passphrase }) });
    return undefined;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'ERR_OSSL_X509_KEY_VALUES_MISMATCH') {
      return (
        'names as sslkey a key that is not the one of the certificate sslcert names ' +
        '(ERR_OSSL_X509_KEY_VALUES_MISMATCH). Point sslkey at the key the certificate was made with'
      );
    }
    if (code === 'ERR_OSSL_BAD_DECRYPT' && passphrase === undefined) {
      return (
        'names as sslkey an encrypted key, and has no sslpassword to decrypt it (ERR_OSSL_BAD_DECRYPT). Write its ' +
        'passphrase as sslpassword in the URL'
      );
    }
    if (code === 'ERR_OSSL_BAD_DECRYPT') {
      return (
        "has an sslpassword that does not decrypt the key sslkey names (ERR_OSSL_BAD_DECRYPT). Write that key's " +
        'passphrase as sslpassword'
      );
    }
    return (
      `names as sslcert and sslkey a certificate and key Node's TLS cannot use (${typeof code === 'string' ? code : 'no code'}). ` +
      'Point them at the client certificate and its key in PEM'
    );
  }
}

function readTlsFile(param: TlsFileParam, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new PostgresTlsError(
      `the file the URL's ${param} names cannot be read (${code}). Restore it, or point ${param} at a PEM file ` +
        'centinela can read',
      { cause: err },
    );
  }
}

/**
 * Why TLS failed a connection made with the TLS parameters of the URL at `key` (state.url, a probe's url), with what
 * to change: the server's certificate refused by the sslmode, or the client certificate refused by the server, or
 * missing where pg_hba.conf asks for one; undefined for another failure. Quotes nothing of the URL, of a certificate
 * or of the server's words.
 */
export function tlsRefusal(err: unknown, key: string): string | undefined {
  const { code, message = '' } = err as { code?: unknown; message?: unknown };
  if (typeof code !== 'string') return undefined;
  return serverCertificateRefusal(code, key) ?? clientCertificateRefusal(code, String(message), key);
}

/** What a TLS alert from the server says of the client certificate, and what to do. */
interface ClientCertificateAlert {
  says?: string;
  fix: string;
}

/**
 * The TLS alerts a server sends about the client certificate it was given, by the alert's name in Node's code
 * (ERR_SSL_<prefix>_ALERT_<name>). The prefix is OpenSSL's and changes with its version: 3.2 renamed its "sslv3 alert"
 * reasons "ssl/tls alert" (Node 24's OpenSSL 3.5 says ERR_SSL_SSL/TLS_ALERT_CERTIFICATE_EXPIRED, a Node built on an
 * older shared OpenSSL ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED), so the name alone is matched. What each says is
 * what PostgreSQL's OpenSSL sends it for (ssl_x509err2alert): certificate_expired for a certificate past its end (or
 * an expired revocation list), bad_certificate for one not valid yet (or a key or digest too weak for it),
 * unsupported_certificate for one whose purpose is not a client's.
 */
const CLIENT_CERTIFICATE_ALERTS: ReadonlyMap<string, ClientCertificateAlert> = new Map([
  [
    'UNKNOWN_CA',
    {
      says: "no CA in the server's ssl_ca_file signed it",
      fix: 'Give a certificate one of those CAs signed, or add its CA to ssl_ca_file on the server',
    },
  ],
  ['CERTIFICATE_EXPIRED', { says: "it has expired (or the server's ssl_crl_file has)", fix: 'Renew it' }],
  ['CERTIFICATE_REVOKED', { says: "it is revoked (the server's ssl_crl_file)", fix: 'Give another' }],
  [
    'BAD_CERTIFICATE',
    {
      says: "it is not valid yet (its start is ahead of the server's clock), or its key or signature is too weak",
      fix: 'Check the clocks of the server and of where it was made, or give one valid now with a stronger key',
    },
  ],
  [
    'UNSUPPORTED_CERTIFICATE',
    {
      says: 'it is not for a TLS client: its extendedKeyUsage lacks clientAuth',
      fix: 'Give one made with extendedKeyUsage=clientAuth, or with no extendedKeyUsage',
    },
  ],
  ['CERTIFICATE_UNKNOWN', { fix: "Give a certificate a CA in the server's ssl_ca_file signed" }],
]);

/** The name of the TLS alert in Node's `code` for one (ERR_SSL_SSL/TLS_ALERT_CERTIFICATE_EXPIRED: CERTIFICATE_EXPIRED). */
const ALERT_CODE = /^ERR_SSL_(?:SSLV3|SSL\/TLS|TLSV1)_ALERT_([A-Z_]+)$/;

/** Why the server refused the client certificate, or wants one, by Node's `code` or PostgreSQL's 28000 and words. */
function clientCertificateRefusal(code: string, message: string, key: string): string | undefined {
  const alert = CLIENT_CERTIFICATE_ALERTS.get(ALERT_CODE.exec(code)?.[1] ?? '');
  if (alert) {
    const told = `the server refused the client certificate ${key}'s sslcert names (${code})`;
    return `${told}${alert.says ? `: ${alert.says}` : ''}. ${alert.fix}`;
  }
  // PostgreSQL's words (28000) when pg_hba.conf's clientcert or cert method wants a certificate none was given for,
  // and when the cert method (or clientcert=verify-full) finds the certificate's name is not the user's; each said
  // only then. Read, never quoted: they name the user. In another lc_messages they are not found, and the 28000 is
  // told with both causes by its reader. Not any text with "certificate" in it: a database may be named so, and a
  // role "requires a valid client certificate", quoted in another refusal; so the whole sentence is matched, or its
  // start, which a quoted name cannot be.
  if (code !== '28000') return undefined;
  if (message === 'connection requires a valid client certificate') {
    return (
      `the server asks for a client certificate (28000: clientcert, or the cert method, in pg_hba.conf) and ${key} ` +
      "gives none. Write sslcert=/path/to/client.crt&sslkey=/path/to/client.key in it, a certificate the server's " +
      'ssl_ca_file signed'
    );
  }
  if (!/^certificate (authentication|validation \(clientcert=verify-full\)) failed for user /.test(message)) {
    return undefined;
  }
  return (
    `the server took the client certificate ${key}'s sslcert names, but not for this user (28000: the cert method, ` +
    "or clientcert=verify-full, in pg_hba.conf wants the certificate's CN to be the user name). Give a certificate " +
    "whose CN is the user, or map the name in the server's pg_ident.conf"
  );
}

/** Why a connection refused the server's certificate, by Node's `code`, with what to change in the URL at `key`. */
function serverCertificateRefusal(code: string, key: string): string | undefined {
  const failure = CERTIFICATE_FAILURES.get(code);
  if (!failure) return undefined;
  const unchecked = 'or write sslmode=require without sslrootcert to encrypt without checking it';
  const told = `the server's certificate ${failure.says} (${code})`;
  switch (failure.failed) {
    case 'host':
      return (
        `${told}, and ${key}'s sslmode=verify-full checks that. Write the host as the certificate names it, or ` +
        'sslmode=verify-ca to check its CA alone'
      );
    case 'trust':
      return (
        `${told}, and ${key}'s sslmode checks it. Give the CA that signed it (a self-signed certificate is its ` +
        `own CA) as sslrootcert=/path/to/ca.pem in ${key}, ${unchecked}`
      );
    case 'validity':
      return `${told}, and ${key}'s sslmode checks it. Replace it on the server, ${unchecked}`;
  }
}

/** libpq's environment variables for TLS, which centinela does not read (the URL says it all). */
const LIBPQ_TLS_ENV = [
  'PGSSLMODE',
  'PGREQUIRESSL',
  'PGSSLROOTCERT',
  'PGSSLCERT',
  'PGSSLKEY',
  'PGSSLCRL',
  'PGSSLCRLDIR',
  'PGSSLCERTMODE',
  'PGSSLMINPROTOCOLVERSION',
  'PGSSLMAXPROTOCOLVERSION',
  'PGSSLNEGOTIATION',
];

/**
 * What in `env` makes the TLS of `url` other than libpq's, as the rest of a sentence about the URL naming the
 * variables and quoting none: a URL without sslmode connects unencrypted here, where libpq reads PGSSLMODE (or tries
 * TLS with the other variables), so a deployment that set TLS in the environment would lose it without a word.
 * PGSSLMODE=disable, unencrypted for libpq too, is no problem.
 */
export function postgresEnvProblem(url: string, env: Readonly<Record<string, string | undefined>>): string | undefined {
  const params = paramsOf(new URL(url));
  if (params.has('sslmode') || params.get('sslrootcert') === 'system' || env.PGSSLMODE === 'disable') return undefined;
  const set = LIBPQ_TLS_ENV.filter((name) => (name === 'PGREQUIRESSL' ? env[name]?.startsWith('1') : env[name]));
  if (set.length === 0) return undefined;
  return (
    `has no sslmode, so centinela connects unencrypted, and ${set.join(', ')} ${set.length > 1 ? 'are' : 'is'} set ` +
    'in the environment, which libpq reads for TLS and centinela does not. Write the TLS in the URL: sslmode=require ' +
    '(verify-ca or verify-full with sslrootcert) to encrypt, or sslmode=disable not to'
  );
}
