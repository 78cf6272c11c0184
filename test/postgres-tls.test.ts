// A postgres:// URL's TLS parameters as libpq reads them (src/postgres-tls.ts), against a real PostgreSQL with ssl on
// (a throwaway cluster whose certificate is self-signed, for localhost only, and which takes client certificates):
// what each sslmode connects to in the state store, in check, in run and in the postgres probe, and what is refused
// and in which words, none quoting the URL, its password or a file's path.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { FakeClock } from '../src/clock.js';
import { postgresConnection, postgresEnvProblem, postgresUrlProblem } from '../src/postgres-tls.js';
import postgres from '../src/probes/postgres.js';
import { openPostgresStore, type PostgresStore } from '../src/store/postgres.js';
import { centinela, checked, configFolder } from './support/cli.js';
import { startWorld, usePostgresState } from './support/daemon.js';
import { warningsDuring } from './support/node-warnings.js';
import { startThrowawayCluster, type ThrowawayCluster } from './support/pg.js';
import { makeTestProbe } from './support/probe-runs.js';
import { pgOptions } from './support/stores.js';
import { makeSelfSignedCert, makeSignedCert, type TestCert } from './support/tls-cert.js';

/** In the password and in every file's path: no message may show it. */
const SECRET = 'hunter2-S3cr3t';

/** An alerts.yaml with one postgres probe, db, with `keys` besides its name and kind, and a rule on it. */
const dbProbeAlerts = (...keys: string[]) =>
  ['probes:', '  - name: db', '    kind: postgres', ...keys.map((k) => `    ${k}`), '    every: 30s']
    .concat(['rules:', '  - name: DbDown', '    sample: db.up', '    op: "=="', '    thresholds: { P0: 0 }', ''])
    .join('\n');

/** A config folder whose state.url is ${STATE_URL} and whose probe db's url is ${PROBE_URL}; the caller removes it. */
function urlsFromEnvConfig(): string {
  const dir = configFolder(dbProbeAlerts('url: ${PROBE_URL}'));
  writeFileSync(
    join(dir, 'centinela.yaml'),
    'server:\n  listen: 127.0.0.1:0\nstate:\n  kind: postgres\n  url: ${STATE_URL}\n',
  );
  return dir;
}

describe('the TLS parameters centinela refuses, at load, with what to write', () => {
  const url = (query: string) => `postgres://centinela:${SECRET}@db.internal:5432/state?${query}`;
  it.each([
    [
      'sslmode=prefer',
      "has sslmode=prefer, which falls back between an encrypted and an unencrypted connection, and centinela's PostgreSQL client cannot. Write sslmode=require to always encrypt (the certificate unchecked), or sslmode=disable",
    ],
    [
      'sslmode=allow',
      "has sslmode=allow, which falls back between an encrypted and an unencrypted connection, and centinela's PostgreSQL client cannot. Write sslmode=require to always encrypt (the certificate unchecked), or sslmode=disable",
    ],
    [
      'sslmode=no-verify',
      "has sslmode=no-verify, node-postgres's own, which libpq does not know. Write sslmode=require: it encrypts without checking the certificate",
    ],
    [`sslmode=${SECRET}`, 'has an sslmode libpq does not know. Write disable, require, verify-ca or verify-full'],
    [
      'ssl=true',
      "has ssl, node-postgres's own parameter, which libpq does not know. Write sslmode=require to encrypt, or sslmode=verify-full to check the server's certificate too",
    ],
    ['sslmode=verify-full&sslcrl=/etc/crl.pem', 'has sslcrl, which centinela does not honour. Leave it out'],
    // node-postgres reads every parameter as its own option, over the URL's parts and the settings centinela gives.
    ...['host', 'hostaddr', 'port', 'user', 'password', 'dbname', 'database'].map((name) => [
      `sslmode=require&${name}=${SECRET}`,
      `has ${name} as a parameter, a part the URL has its own place for, which node-postgres would take over the URL's own or ignore. Write the host, port, user, password and database in their places (postgres://user:password@host:port/database) and leave ${name} out`,
    ]),
    ...['statement_timeout', 'query_timeout', 'binary', 'client_encoding', 'replication', 'connect_timeout'].map(
      (name) => [`${name}=${SECRET}`, `has ${name}, which centinela does not honour. Leave it out`],
    ),
    [
      `${SECRET}=1`,
      "has a parameter that neither libpq nor centinela knows. Leave it out: a URL takes libpq's TLS parameters (sslmode, sslrootcert, sslcert, sslkey, sslpassword, sslnegotiation), options and application_name",
    ],
    [
      `sslrootcert=/${SECRET}/ca.pem`,
      'has sslrootcert without sslmode, which libpq would take as prefer (refused: it falls back to an unencrypted connection). Write sslmode=verify-full, verify-ca or require',
    ],
    [
      'sslmode=require&sslrootcert=system',
      "has sslrootcert=system with sslmode=require: the system's CAs are taken with verify-full alone, as libpq takes them, since anyone can get a certificate from a public CA. Write sslmode=verify-full",
    ],
    [
      'sslmode=verify-ca',
      "has sslmode=verify-ca without sslrootcert, and centinela does not read libpq's default ~/.postgresql/root.crt. Give the server's CA as sslrootcert=/path/to/ca.pem, or write sslmode=verify-full to check it against the public CAs and its host name",
    ],
    [
      `sslmode=require&sslcert=/${SECRET}.crt`,
      "has sslcert without sslkey, and centinela does not read libpq's default files under ~/.postgresql. Write both",
    ],
    [
      `sslmode=require&sslnegotiation=${SECRET}`,
      'has an sslnegotiation that is neither postgres nor direct. Write one of those, or leave it out',
    ],
    [
      'sslnegotiation=direct',
      'has sslnegotiation=direct, which starts with TLS, without TLS asked for. Write sslmode=require, verify-ca or verify-full',
    ],
    // libpq 15 encrypts with it; node-postgres ignored it and connected unencrypted.
    [
      'requiressl=1',
      'has requiressl, the old spelling of sslmode that libpq 15 read as require (1) or prefer (0). Write sslmode=require instead to encrypt, or sslmode=disable',
    ],
    ['sslmode=require&requiressl=1', 'has requiressl beside sslmode, which says the same. Leave requiressl out'],
  ])('%s', (query, problem) => {
    expect(postgresUrlProblem(url(query))).toBe(problem);
    expect(problem).not.toContain(SECRET);
    expect(() => postgresConnection(url(query))).toThrow(`the URL ${problem}`);
  });

  it.each([
    '',
    'sslmode=disable',
    'sslmode=require',
    'sslmode=verify-full',
    'sslrootcert=system',
    'sslmode=verify-full&sslrootcert=system',
    'sslmode=verify-ca&sslrootcert=/etc/ca.pem',
    'sslmode=require&sslcert=/etc/c.crt&sslkey=/etc/c.key&sslpassword=x',
    'sslmode=require&sslnegotiation=direct',
    'application_name=centinela',
    'fallback_application_name=centinela&options=-c%20search_path%3Dpublic',
  ])('takes ?%s', (query) => {
    expect(postgresUrlProblem(url(query))).toBeUndefined();
  });

  it('leaves what it honours out of the URL node-postgres reads, and gives a URL without them as it is', () => {
    const { connectionString, ssl } = postgresConnection(url('sslmode=require&application_name=centinela'));
    expect(connectionString).toBe(`postgres://centinela:${SECRET}@db.internal:5432/state?application_name=centinela`);
    expect(ssl).toEqual({ rejectUnauthorized: false });
    // No sslmode: no TLS, said to node-postgres, which would otherwise read PGSSLMODE with its own meaning; and how TLS
    // starts, which it would otherwise read from PGSSLNEGOTIATION.
    expect(postgresConnection(url(''))).toEqual({ connectionString: url(''), ssl: false, sslnegotiation: 'postgres' });
    // sslnegotiation=direct left in the URL made node-postgres check the certificate whatever the sslmode.
    expect(postgresConnection(url('sslmode=require&sslnegotiation=direct'))).toEqual({
      connectionString: `postgres://centinela:${SECRET}@db.internal:5432/state`,
      ssl: { rejectUnauthorized: false },
      sslnegotiation: 'direct',
    });
  });

  it('node-postgres reads neither PGSSLMODE nor PGSSLNEGOTIATION (nor quotes them) beside what it is given', () => {
    vi.stubEnv('PGSSLMODE', 'verify-full');
    vi.stubEnv('PGSSLNEGOTIATION', SECRET); // "Invalid sslnegotiation value: …" when read
    try {
      expect(new pg.Client(postgresConnection(url(''))).ssl).toBe(false);
      expect(new pg.Client(postgresConnection(url('sslmode=require'))).ssl).toEqual({ rejectUnauthorized: false });
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe('check, run and probe refuse a ?host= or ?port= that node-postgres took over the URL', () => {
  let dir: string;
  beforeAll(() => {
    dir = urlsFromEnvConfig();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('at the URL, in the same words, quoting nothing of it', async () => {
    const part = (name: string) =>
      `has ${name} as a parameter, a part the URL has its own place for, which node-postgres would take over the ` +
      "URL's own or ignore. Write the host, port, user, password and database in their places " +
      `(postgres://user:password@host:port/database) and leave ${name} out.`;
    // ?port=99999 left the connection unsettled (exit 13, no word); ?port=5432 on a URL naming port 1 went to 5432;
    // ?host= made check speak of a host the URL does not name.
    const env = {
      STATE_URL: `postgres://postgres:${SECRET}@127.0.0.1:1/postgres?port=5432`,
      PROBE_URL: `postgres://postgres@127.0.0.1/postgres?host=${SECRET}-host.invalid`,
    };
    const lines = [
      `${dir}/alerts.yaml:4:10  probes[0].url: the value filled in from \${PROBE_URL} is a URL that ${part('host')}`,
      `${dir}/centinela.yaml:5:8  state.url: the value filled in from \${STATE_URL} is a URL that ${part('port')}`,
      '2 problems in 2 files; nothing was started.',
    ];
    const { code, told } = await checked(dir, env);
    expect({ code, told: told.split('\n') }).toEqual({ code: 1, told: lines });
    const run = await centinela(['run', '--config', dir], env);
    expect(run).toEqual({ code: 1, stdout: '', stderr: expect.stringContaining(lines.join('\n')) });
    const probe = await centinela(['probe', '--config', dir], env);
    expect(probe).toEqual({ code: 1, stdout: '', stderr: expect.stringContaining(lines[0] ?? '') });
    for (const out of [told, run.stderr, probe.stderr]) expect(out).not.toContain(SECRET);
  });
});

describe("libpq's TLS variables in the environment, which centinela does not read", () => {
  const url = (query: string) => `postgres://centinela:${SECRET}@db.internal:5432/state${query ? `?${query}` : ''}`;
  const unencrypted = (variables: string) =>
    `has no sslmode, so centinela connects unencrypted, and ${variables} set in the environment, which libpq reads ` +
    'for TLS and centinela does not. Write the TLS in the URL: sslmode=require (verify-ca or verify-full with ' +
    'sslrootcert) to encrypt, or sslmode=disable not to';

  it.each([
    ['PGSSLMODE=require, no sslmode', '', { PGSSLMODE: 'require' }, unencrypted('PGSSLMODE is')],
    ['PGSSLMODE of any value but disable', '', { PGSSLMODE: SECRET }, unencrypted('PGSSLMODE is')],
    ['PGREQUIRESSL=1', 'application_name=x', { PGREQUIRESSL: '1' }, unencrypted('PGREQUIRESSL is')],
    [
      'PGSSLROOTCERT and PGSSLCERT',
      '',
      { PGSSLROOTCERT: `/${SECRET}/ca.pem`, PGSSLCERT: `/${SECRET}/c.crt` },
      unencrypted('PGSSLROOTCERT, PGSSLCERT are'),
    ],
    ['PGSSLMODE=disable, unencrypted for libpq too', '', { PGSSLMODE: 'disable', PGSSLCERT: '/c.crt' }, undefined],
    ['PGREQUIRESSL=0, which libpq ignores', '', { PGREQUIRESSL: '0' }, undefined],
    [
      'an sslmode in the URL, which libpq reads before them',
      'sslmode=require',
      { PGSSLMODE: 'verify-full' },
      undefined,
    ],
    ['sslrootcert=system, verify-full', 'sslrootcert=system', { PGSSLMODE: 'require' }, undefined],
    ['none set', '', { PGHOST: 'db', PGSSLMODE: '' }, undefined],
  ])('%s', (_, query, env, problem) => {
    expect(postgresEnvProblem(url(query), env)).toBe(problem);
  });
});

describe('against a PostgreSQL with ssl on and a self-signed certificate', () => {
  let server: TestCert;
  let other: TestCert;
  let client: TestCert;
  /** Signed by `client`, the CA the server checks client certificates against, and expired yesterday. */
  let expired: TestCert;
  /** Signed by `client` too: valid from tomorrow, and one for servers alone (extendedKeyUsage serverAuth). */
  let notYet: TestCert;
  let serverOnly: TestCert;
  let cluster: ThrowawayCluster;
  let files: string;
  /** The server's certificate, its own CA, where no message may show its path. */
  let serverCa: string;
  /**
   * Under `files`: the client certificate the server takes, its key, that key encrypted with KEY_PASSPHRASE, and a
   * certificate and key the server does not take.
   */
  const pair = { cert: '', key: '', encryptedKey: '', otherCert: '', otherKey: '' };
  const KEY_PASSPHRASE = `${SECRET}-passphrase`;
  beforeAll(async () => {
    // For localhost alone: at 127.0.0.1 its host does not match.
    server = makeSelfSignedCert({ altNames: ['DNS:localhost'] });
    other = makeSelfSignedCert({ commonName: 'another CA' });
    client = makeSelfSignedCert({ commonName: 'centinela' });
    expired = makeSignedCert(client, { commonName: 'postgres', days: -1 });
    notYet = makeSignedCert(client, { commonName: 'postgres', days: 30, startsIn: 1 });
    serverOnly = makeSignedCert(client, { commonName: 'postgres', days: 30, extendedKeyUsage: 'serverAuth' });
    cluster = await startThrowawayCluster(
      {},
      {
        cert: server.cert,
        key: server.key,
        clientCa: client.cert,
        // needs_cert must show a client certificate besides its password; by_cert logs in by one whose CN is its name.
        hba: [
          'hostssl all needs_cert 127.0.0.1/32 scram-sha-256 clientcert=verify-ca',
          'hostssl all by_cert 127.0.0.1/32 cert',
          // dave's password and a certificate whose CN is dave: another CN fails as a wrong password (28P01).
          'hostssl all dave 127.0.0.1/32 scram-sha-256 clientcert=verify-full',
          // Its refusal names the database: words with "certificate" in them that are about no certificate.
          'host certificates all 127.0.0.1/32 reject',
        ],
      },
    );
    await cluster.admin(async (c) => {
      for (const role of ['needs_cert', 'by_cert', 'dave'])
        await c.query(`CREATE ROLE ${role} LOGIN SUPERUSER PASSWORD '${cluster.password}'`);
    });
    files = mkdtempSync(join(tmpdir(), `centinela-${SECRET}-`));
    serverCa = join(files, 'server-ca.pem');
    writeFileSync(serverCa, server.cert);
    for (const [name, pem] of [
      ['cert', client.cert],
      ['key', client.key],
      ['otherCert', other.cert],
      ['otherKey', other.key],
    ] as const) {
      pair[name] = join(files, `${name}.pem`);
      writeFileSync(pair[name], pem);
    }
    pair.encryptedKey = join(files, 'encrypted-key.pem');
    execFileSync('openssl', [
      'pkey',
      '-in',
      pair.key,
      '-aes256',
      '-passout',
      `pass:${KEY_PASSPHRASE}`,
      '-out',
      pair.encryptedKey,
    ]);
  });
  afterAll(async () => {
    await cluster?.stop();
    for (const cert of [server, other, client, expired, notYet, serverOnly]) cert?.remove();
    rmSync(files, { recursive: true, force: true });
  });

  /** The cluster's `postgres` database as `user` (the superuser by default) at `host`, with `query`. */
  const url = (host: string, query: string, user = 'postgres') =>
    `${cluster.url(user, cluster.password, 'postgres').replace('127.0.0.1', host)}${query ? `?${query}` : ''}`;
  /** The query of a client certificate `cert` with `key`, and `more`. */
  const clientCert = (cert: string, key: string, more = '') => `sslmode=require&sslcert=${cert}&sslkey=${key}${more}`;

  /** Neither the password nor a path of the files (all under a folder named with SECRET) is in `text`. */
  const quotesNothing = (text: string) => {
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(cluster.password);
  };

  /** Whether the sessions other than the asker's, of client backends, are encrypted; and their client certificate. */
  const sessions = () =>
    cluster.admin(async (c) => {
      const { rows } = await c.query(
        `SELECT s.ssl, s.client_dn FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)
         WHERE a.backend_type = 'client backend' AND a.pid <> pg_backend_pid()`,
      );
      return rows as { ssl: boolean; client_dn: string | null }[];
    });

  const SELF_SIGNED =
    "the server's certificate is self-signed (DEPTH_ZERO_SELF_SIGNED_CERT), and state.url's sslmode checks it. Give " +
    'the CA that signed it (a self-signed certificate is its own CA) as sslrootcert=/path/to/ca.pem in state.url, or ' +
    'write sslmode=require without sslrootcert to encrypt without checking it';
  const OTHER_HOST =
    "the server's certificate is not for the host connected to (ERR_TLS_CERT_ALTNAME_INVALID), and state.url's " +
    'sslmode=verify-full checks that. Write the host as the certificate names it, or sslmode=verify-ca to check its ' +
    'CA alone';

  const KEY_MISMATCH =
    'names as sslkey a key that is not the one of the certificate sslcert names ' +
    '(ERR_OSSL_X509_KEY_VALUES_MISMATCH). Point sslkey at the key the certificate was made with';
  const NO_PASSPHRASE =
    'names as sslkey an encrypted key, and has no sslpassword to decrypt it (ERR_OSSL_BAD_DECRYPT). Write its ' +
    'passphrase as sslpassword in the URL';
  const WRONG_PASSPHRASE =
    "has an sslpassword that does not decrypt the key sslkey names (ERR_OSSL_BAD_DECRYPT). Write that key's " +
    'passphrase as sslpassword';
  const UNKNOWN_CA = (key: string) =>
    `the server refused the client certificate ${key}'s sslcert names (ERR_SSL_TLSV1_ALERT_UNKNOWN_CA): no CA in ` +
    "the server's ssl_ca_file signed it. Give a certificate one of those CAs signed, or add its CA to ssl_ca_file on " +
    'the server';
  // Node 24's OpenSSL (3.5) names the alert ssl/tls, where OpenSSL before 3.2 said sslv3.
  const EXPIRED = (key: string) =>
    `the server refused the client certificate ${key}'s sslcert names (ERR_SSL_SSL/TLS_ALERT_CERTIFICATE_EXPIRED): ` +
    "it has expired (or the server's ssl_crl_file has). Renew it";
  // What PostgreSQL's OpenSSL sends for a certificate not valid yet (bad_certificate), and for one not for clients.
  const NOT_YET = (key: string) =>
    `the server refused the client certificate ${key}'s sslcert names (ERR_SSL_SSL/TLS_ALERT_BAD_CERTIFICATE): it ` +
    "is not valid yet (its start is ahead of the server's clock), or its key or signature is too weak. Check the " +
    'clocks of the server and of where it was made, or give one valid now with a stronger key';
  const NOT_CLIENT = (key: string) =>
    `the server refused the client certificate ${key}'s sslcert names (ERR_SSL_SSL/TLS_ALERT_UNSUPPORTED_CERTIFICATE): ` +
    'it is not for a TLS client: its extendedKeyUsage lacks clientAuth. Give one made with ' +
    'extendedKeyUsage=clientAuth, or with no extendedKeyUsage';
  const NO_CLIENT_CERT = (key: string) =>
    `the server asks for a client certificate (28000: clientcert, or the cert method, in pg_hba.conf) and ${key} ` +
    "gives none. Write sslcert=/path/to/client.crt&sslkey=/path/to/client.key in it, a certificate the server's " +
    'ssl_ca_file signed';
  const NOT_THIS_USER = (key: string) =>
    `the server took the client certificate ${key}'s sslcert names, but not for this user (28000: the cert method, ` +
    "or clientcert=verify-full, in pg_hba.conf wants the certificate's CN to be the user name). Give a certificate " +
    "whose CN is the user, or map the name in the server's pg_ident.conf";
  /** clientcert=verify-full with a password method: a CN that is not the user fails as a wrong password (28P01). */
  const CN_OR_PASSWORD =
    "the client certificate's CN is not the user (clientcert=verify-full in pg_hba.conf, which PostgreSQL tells as a " +
    'failed password)';
  const STORE_REFUSED_LOGIN =
    'the server refused the login (28000): the role does not exist or may not log in, no line of pg_hba.conf lets it ' +
    'in, or pg_hba.conf asks for a client certificate state.url does not give (or one whose CN is not the user). ' +
    "Check the user and the sslcert of state.url, and the server's pg_hba.conf";
  /** A role named as PostgreSQL's sentence for a missing client certificate, in a URL. */
  const NAMED_AS_REFUSAL = encodeURIComponent('connection requires a valid client certificate');
  const STORE_CN_OR_PASSWORD =
    `authentication failed (28P01): the server refused the user or password, or ${CN_OR_PASSWORD}. Check those of ` +
    'state.url, and the CN of the certificate its sslcert names';

  describe('the state store', () => {
    const opened: PostgresStore[] = [];
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((s) => s.close()));
      // A closed pool's sessions leave pg_stat_activity a moment later: the next test must not count them.
      await expect.poll(sessions).toEqual([]);
    });
    const open = async (u: string) => {
      const store = await openPostgresStore(pgOptions(u));
      opened.push(store);
      return store;
    };
    const refusal = (u: string) =>
      openPostgresStore(pgOptions(u)).then(
        () => 'opened',
        (err: Error) => err.message,
      );

    // node-postgres prints it once per process (the first test here would be the one to see it), on the terminal
    // for check, in the log for run: it never sees an sslmode.
    it('connects with sslmode=require without the SECURITY WARNING node-postgres raises for it', async () => {
      expect(await warningsDuring(() => open(url('127.0.0.1', 'sslmode=require')).then(() => {}))).toEqual([]);
    });

    it.each([
      ['sslmode=require: encrypted, the certificate unchecked', '127.0.0.1', 'sslmode=require'],
      ['sslmode=verify-ca with its CA: encrypted, the host unchecked', '127.0.0.1', 'sslmode=verify-ca&sslrootcert=CA'],
      ['sslmode=require with its CA: as verify-ca', '127.0.0.1', 'sslmode=require&sslrootcert=CA'],
      ['sslmode=verify-full with its CA, at the host it is for', 'localhost', 'sslmode=verify-full&sslrootcert=CA'],
    ])('%s', async (_, host, query) => {
      await open(url(host, query.replace('CA', serverCa)));
      expect(await sessions()).toEqual([{ ssl: true, client_dn: null }]);
    });

    it('sslmode=disable, or none: unencrypted', async () => {
      await open(url('127.0.0.1', 'sslmode=disable'));
      await open(url('127.0.0.1', ''));
      expect(await sessions()).toEqual([
        { ssl: false, client_dn: null },
        { ssl: false, client_dn: null },
      ]);
    });

    it('sslcert and sslkey: the client certificate is presented', async () => {
      await open(url('127.0.0.1', `sslmode=require&sslcert=${client.certFile}&sslkey=${client.keyFile}`));
      expect(await sessions()).toEqual([{ ssl: true, client_dn: '/CN=centinela' }]);
    });

    it('sslpassword: the encrypted key is decrypted with it, and the certificate presented', async () => {
      const passphrase = encodeURIComponent(KEY_PASSPHRASE);
      await open(
        url('127.0.0.1', clientCert(pair.cert, pair.encryptedKey, `&sslpassword=${passphrase}`), 'needs_cert'),
      );
      expect(await sessions()).toEqual([{ ssl: true, client_dn: '/CN=centinela' }]);
    });

    it('refuses a client certificate it cannot present, the server refuses, or pg_hba.conf wants and is not given', async () => {
      const told = [
        await refusal(url('127.0.0.1', clientCert(pair.cert, pair.otherKey))),
        await refusal(url('127.0.0.1', clientCert(pair.cert, pair.encryptedKey))),
        await refusal(url('127.0.0.1', clientCert(pair.cert, pair.encryptedKey, `&sslpassword=${SECRET}`))),
        await refusal(url('127.0.0.1', clientCert(pair.otherCert, pair.otherKey))),
        await refusal(url('127.0.0.1', clientCert(expired.certFile, expired.keyFile))),
        await refusal(url('127.0.0.1', clientCert(notYet.certFile, notYet.keyFile))),
        await refusal(url('127.0.0.1', clientCert(serverOnly.certFile, serverOnly.keyFile))),
        await refusal(url('127.0.0.1', 'sslmode=require', 'needs_cert')),
        await refusal(url('127.0.0.1', clientCert(pair.cert, pair.key), 'by_cert')),
        await refusal(url('127.0.0.1', 'sslmode=disable').replace('/postgres?', '/certificates?')),
        await refusal(url('127.0.0.1', clientCert(pair.cert, pair.key), 'dave')),
        // The reject line quotes the user, whose name is PostgreSQL's sentence for a missing certificate.
        await refusal(url('127.0.0.1', 'sslmode=disable', NAMED_AS_REFUSAL).replace('/postgres?', '/certificates?')),
      ];
      expect(told).toEqual([
        `state store (postgres): cannot connect (the URL ${KEY_MISMATCH})`,
        `state store (postgres): cannot connect (the URL ${NO_PASSPHRASE})`,
        `state store (postgres): cannot connect (the URL ${WRONG_PASSPHRASE})`,
        `state store (postgres): cannot connect (${UNKNOWN_CA('state.url')})`,
        `state store (postgres): cannot connect (${EXPIRED('state.url')})`,
        `state store (postgres): cannot connect (${NOT_YET('state.url')})`,
        `state store (postgres): cannot connect (${NOT_CLIENT('state.url')})`,
        `state store (postgres): cannot connect (${NO_CLIENT_CERT('state.url')})`,
        `state store (postgres): cannot connect (${NOT_THIS_USER('state.url')})`,
        `state store (postgres): cannot connect (${STORE_REFUSED_LOGIN})`,
        `state store (postgres): cannot connect (${STORE_CN_OR_PASSWORD})`,
        `state store (postgres): cannot connect (${STORE_REFUSED_LOGIN})`,
      ]);
      quotesNothing(told.join('\n'));
    });

    it('refuses a certificate its sslmode checks, in words that say what to write, never the URL or a path', async () => {
      const otherCa = join(files, 'other-ca.pem');
      writeFileSync(otherCa, other.cert);
      const told = [
        await refusal(url('127.0.0.1', 'sslmode=verify-full')),
        await refusal(url('127.0.0.1', `sslmode=require&sslrootcert=${otherCa}`)),
        await refusal(url('127.0.0.1', `sslmode=verify-full&sslrootcert=${serverCa}`)),
        await refusal(url('127.0.0.1', `sslmode=verify-full&sslrootcert=${join(files, 'gone.pem')}`)),
      ];
      expect(told).toEqual([
        `state store (postgres): cannot connect (${SELF_SIGNED})`,
        `state store (postgres): cannot connect (${SELF_SIGNED})`,
        `state store (postgres): cannot connect (${OTHER_HOST})`,
        "state store (postgres): cannot connect (the file the URL's sslrootcert names cannot be read (ENOENT). " +
          'Restore it, or point sslrootcert at a PEM file centinela can read)',
      ]);
      quotesNothing(told.join('\n'));
    });
  });

  describe('check and run', () => {
    let dir: string;
    beforeAll(() => {
      dir = urlsFromEnvConfig();
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('check passes what connects: require, and verify-full with the CA at the host it is for', async () => {
      const probe = url('127.0.0.1', 'sslmode=require');
      for (const state of [
        url('127.0.0.1', 'sslmode=require'),
        url('localhost', `sslmode=verify-full&sslrootcert=${serverCa}`),
      ]) {
        expect(await checked(dir, { STATE_URL: state, PROBE_URL: probe })).toEqual({
          code: 0,
          told: expect.any(String),
        });
      }
    });

    it('check refuses a mode it cannot honour and a file that is not there, each at its place', async () => {
      const { code, told } = await checked(dir, {
        STATE_URL: url('127.0.0.1', 'sslmode=prefer'),
        PROBE_URL: url('127.0.0.1', `sslmode=verify-ca&sslrootcert=${join(files, 'gone.pem')}`),
      });
      expect(code).toBe(1);
      expect(told.split('\n')).toEqual([
        `${dir}/centinela.yaml:5:8  state.url: the value filled in from \${STATE_URL} is a URL that has sslmode=prefer, which ` +
          "falls back between an encrypted and an unencrypted connection, and centinela's PostgreSQL client cannot. " +
          'Write sslmode=require to always encrypt (the certificate unchecked), or sslmode=disable.',
        `${dir}/alerts.yaml:4:10  probes[0].url: the value filled in from \${PROBE_URL} names as sslrootcert a file ` +
          'that does not exist. Write the path of a file centinela can read.',
        '2 problems in 2 files; nothing was started.',
      ]);
      quotesNothing(told);
    });

    it('check refuses a file that holds no certificate, or no key, where the URL names one', async () => {
      const { code, told } = await checked(dir, {
        STATE_URL: url('127.0.0.1', `sslmode=require&sslcert=${client.certFile}&sslkey=${client.certFile}`),
        PROBE_URL: url('127.0.0.1', `sslmode=verify-ca&sslrootcert=${client.keyFile}`),
      });
      expect(code).toBe(1);
      expect(told.split('\n')).toEqual([
        `${dir}/centinela.yaml:5:8  state.url: the value filled in from \${STATE_URL} names as sslkey a file that ` +
          "holds no PEM private key (-----BEGIN PRIVATE KEY----- …). Point it at the client certificate's key in PEM.",
        `${dir}/alerts.yaml:4:10  probes[0].url: the value filled in from \${PROBE_URL} names as sslrootcert a file ` +
          'that holds no PEM certificate (-----BEGIN CERTIFICATE----- … -----END CERTIFICATE-----). Point it at the ' +
          'CA certificate in PEM (from DER: openssl x509 -inform der -in ca.der -out ca.pem).',
        '2 problems in 2 files; nothing was started.',
      ]);
      expect(told).not.toContain(client.certFile);

      // The advice names the file the parameter is for.
      const sslcert = await checked(dir, {
        STATE_URL: url('127.0.0.1', clientCert(pair.key, pair.key)),
        PROBE_URL: url('127.0.0.1', 'sslmode=require'),
      });
      expect(sslcert.told.split('\n')[0]).toBe(
        `${dir}/centinela.yaml:5:8  state.url: the value filled in from \${STATE_URL} names as sslcert a file that ` +
          'holds no PEM certificate (-----BEGIN CERTIFICATE----- … -----END CERTIFICATE-----). Point it at the ' +
          'client certificate in PEM (from DER: openssl x509 -inform der -in client.der -out client.pem).',
      );
    });

    it("check and run refuse a client key that is not the certificate's, or that they cannot decrypt, at its place", async () => {
      const env = {
        STATE_URL: url('127.0.0.1', clientCert(pair.cert, pair.otherKey)),
        PROBE_URL: url('127.0.0.1', clientCert(pair.cert, pair.encryptedKey)),
      };
      const { code, told } = await checked(dir, env);
      expect(code).toBe(1);
      expect(told.split('\n')).toEqual([
        `${dir}/centinela.yaml:5:8  state.url: the value filled in from \${STATE_URL} ${KEY_MISMATCH}.`,
        `${dir}/alerts.yaml:4:10  probes[0].url: the value filled in from \${PROBE_URL} ${NO_PASSPHRASE}.`,
        '2 problems in 2 files; nothing was started.',
      ]);
      quotesNothing(told);
      // run reads the config as check does: it stops before anything starts, in the same words.
      const run = await centinela(['run', '--config', dir], env);
      expect(run).toEqual({ code: 1, stdout: '', stderr: expect.stringContaining(told) });

      const wrong = await checked(dir, {
        STATE_URL: url('127.0.0.1', clientCert(pair.cert, pair.encryptedKey, `&sslpassword=${SECRET}`)),
        PROBE_URL: url('127.0.0.1', clientCert(pair.cert, pair.encryptedKey, `&sslpassword=${KEY_PASSPHRASE}`)),
      });
      expect(wrong.told.split('\n')).toEqual([
        `${dir}/centinela.yaml:5:8  state.url: the value filled in from \${STATE_URL} ${WRONG_PASSPHRASE}.`,
        '1 problem in 1 file; nothing was started.',
      ]);
      quotesNothing(wrong.told);
    });

    it('check refuses a certificate either side refuses, or one the server wants, at state.url; run in the same words', async () => {
      const refused = {
        [SELF_SIGNED]: url('127.0.0.1', 'sslmode=verify-full'),
        [UNKNOWN_CA('state.url')]: url('127.0.0.1', clientCert(pair.otherCert, pair.otherKey)),
        [EXPIRED('state.url')]: url('127.0.0.1', clientCert(expired.certFile, expired.keyFile)),
        [NOT_YET('state.url')]: url('127.0.0.1', clientCert(notYet.certFile, notYet.keyFile)),
        [NOT_CLIENT('state.url')]: url('127.0.0.1', clientCert(serverOnly.certFile, serverOnly.keyFile)),
        [NO_CLIENT_CERT('state.url')]: url('127.0.0.1', 'sslmode=require', 'needs_cert'),
        [STORE_CN_OR_PASSWORD]: url('127.0.0.1', clientCert(pair.cert, pair.key), 'dave'),
      };
      const world = await startWorld();
      try {
        const stateUrl = usePostgresState(world, '');
        for (const [words, state] of Object.entries(refused)) {
          const { code, told } = await checked(dir, {
            STATE_URL: state,
            PROBE_URL: url('127.0.0.1', 'sslmode=require'),
          });
          expect(code).toBe(1);
          expect(told).toBe(
            `${dir}/centinela.yaml:5:8  state.url: cannot connect to PostgreSQL: ${words}.\n` +
              '1 problem in 1 file; nothing was started.',
          );
          quotesNothing(told);
          // run stops at once instead of waiting as the standby.
          const env = { ...world.env, ...stateUrl, STATE_URL: state };
          const run = await centinela(['run', '--config', world.configDir], env);
          expect(run).toEqual({
            code: 1,
            stdout: '',
            stderr:
              `centinela run: state store (postgres): cannot connect (${words}). ` +
              `Check state.url (${world.configDir}/centinela.yaml) and that PostgreSQL takes centinela's connections\n`,
          });
        }
      } finally {
        await world.close();
      }
    });

    it("check and run refuse a URL without sslmode when libpq's TLS variables are set, at its place", async () => {
      const env = { STATE_URL: url('127.0.0.1', ''), PROBE_URL: url('127.0.0.1', ''), PGSSLMODE: 'require' };
      const { code, told } = await checked(dir, env);
      expect(code).toBe(1);
      const unencrypted =
        'has no sslmode, so centinela connects unencrypted, and PGSSLMODE is set in the environment, which libpq ' +
        'reads for TLS and centinela does not. Write the TLS in the URL: sslmode=require (verify-ca or verify-full ' +
        'with sslrootcert) to encrypt, or sslmode=disable not to.';
      expect(told.split('\n')).toEqual([
        `${dir}/centinela.yaml:5:8  state.url: the value filled in from \${STATE_URL} ${unencrypted}`,
        `${dir}/alerts.yaml:4:10  probes[0].url: the value filled in from \${PROBE_URL} ${unencrypted}`,
        '2 problems in 2 files; nothing was started.',
      ]);
      const run = await centinela(['run', '--config', dir], env);
      expect(run).toEqual({ code: 1, stdout: '', stderr: expect.stringContaining(told) });
      // With the sslmode in the URL, libpq would not read PGSSLMODE either.
      const written = { ...env, STATE_URL: url('127.0.0.1', 'sslmode=disable') };
      expect((await checked(dir, written)).told).not.toContain('state.url');
    });
  });

  describe('the postgres probe', () => {
    const probe = (u: string) => makeTestProbe(postgres, { url: u }, new FakeClock());

    it('is up with sslmode=require, and with verify-full and the CA at the host it is for', async () => {
      await probe(url('127.0.0.1', 'sslmode=require')).runUp();
      await probe(url('localhost', `sslmode=verify-full&sslrootcert=${serverCa}`)).runUp();
    });

    it("checks the certificate against its tls block's server_name, not the URL's host", async () => {
      const withTls = (host: string, serverName: string) =>
        makeTestProbe(
          postgres,
          { url: url(host, ''), tls: { ca_file: serverCa, server_name: serverName } },
          new FakeClock(),
        );
      await withTls('127.0.0.1', 'localhost').runUp();
      const wrong = await withTls('localhost', 'db.internal').run();
      expect(wrong).toMatchObject({ up: false });
      expect(wrong.up === false && wrong.reason).toContain('db.internal');
    });

    it('is down with what to write when its sslmode does not accept the certificate, or a file is not there', async () => {
      const results = await Promise.all([
        probe(url('127.0.0.1', 'sslmode=verify-full')).run(),
        probe(url('127.0.0.1', `sslmode=verify-full&sslrootcert=${serverCa}`)).run(),
        probe(url('127.0.0.1', `sslmode=verify-full&sslrootcert=${join(files, 'gone.pem')}`)).run(),
      ]);
      expect(results).toEqual([
        { up: false, reason: `127.0.0.1:${cluster.port}: ${SELF_SIGNED.replaceAll('state.url', 'url')}` },
        { up: false, reason: `127.0.0.1:${cluster.port}: ${OTHER_HOST.replaceAll('state.url', 'url')}` },
        {
          up: false,
          reason:
            "the file the URL's sslrootcert names cannot be read (ENOENT). Restore it, or point sslrootcert at a PEM " +
            'file centinela can read',
        },
      ]);
      quotesNothing(JSON.stringify(results));
    });

    it('is down in the same words when its client certificate cannot be presented, is refused, or is wanted', async () => {
      const results = await Promise.all([
        probe(url('127.0.0.1', clientCert(pair.cert, pair.otherKey))).run(),
        probe(url('127.0.0.1', clientCert(pair.otherCert, pair.otherKey))).run(),
        probe(url('127.0.0.1', clientCert(expired.certFile, expired.keyFile))).run(),
        probe(url('127.0.0.1', clientCert(notYet.certFile, notYet.keyFile))).run(),
        probe(url('127.0.0.1', clientCert(serverOnly.certFile, serverOnly.keyFile))).run(),
        probe(url('127.0.0.1', 'sslmode=require', 'needs_cert')).run(),
        probe(url('127.0.0.1', clientCert(pair.cert, pair.key), 'by_cert')).run(),
        probe(url('127.0.0.1', clientCert(pair.cert, pair.key), 'dave')).run(),
        probe(url('127.0.0.1', 'sslmode=disable', NAMED_AS_REFUSAL).replace('/postgres?', '/certificates?')).run(),
      ]);
      const at = `127.0.0.1:${cluster.port}`;
      expect(results).toEqual([
        { up: false, reason: `the URL ${KEY_MISMATCH}` },
        { up: false, reason: `${at}: ${UNKNOWN_CA('url')}` },
        { up: false, reason: `${at}: ${EXPIRED('url')}` },
        { up: false, reason: `${at}: ${NOT_YET('url')}` },
        { up: false, reason: `${at}: ${NOT_CLIENT('url')}` },
        { up: false, reason: `${at}: ${NO_CLIENT_CERT('url')}` },
        { up: false, reason: `${at}: ${NOT_THIS_USER('url')}` },
        { up: false, reason: `authentication failed for the user of url, or ${CN_OR_PASSWORD}` },
        {
          up: false,
          reason:
            'not allowed to connect (28000): the role does not exist or may not log in, no line of pg_hba.conf lets ' +
            'this host, user and database in, or pg_hba.conf asks for a client certificate url does not give (or one ' +
            "whose CN is not the user). Check the user of url and the server's pg_hba.conf",
        },
      ]);
      quotesNothing(JSON.stringify(results));
    });
  });
});

describe('the probe with a tls block', () => {
  it('refuses TLS parameters in its url beside it: one place says how to connect', async () => {
    const dir = configFolder(
      dbProbeAlerts(
        'url: postgres://watcher:${DB_PASSWORD}@db:5432/app?sslmode=verify-full',
        'tls: { ca_file: /etc/ssl/certs/ca-certificates.crt }',
      ),
    );
    try {
      const { code, told } = await checked(dir, { DB_PASSWORD: SECRET });
      expect(code).toBe(1);
      expect(told).toContain(
        'probes[0].tls: is given, and url has TLS parameters (sslmode, sslrootcert, …) too. Write the TLS of the ' +
          'connection in one of them: sslmode=verify-full&sslrootcert=/path/to/ca.pem in url, or tls alone.',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
