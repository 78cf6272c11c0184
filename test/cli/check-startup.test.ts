// `check` answers for what `run` meets when it starts: a PostgreSQL state store it cannot reach, a listen address that
// is not this host's, and files the probes and channels read that are not there, each at its file:line:col, quoting nothing that came from the environment or
// from the URL.

import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { openDb } from '../../src/store/sqlite-db.js';
import { checked, configFolder, VALID_ESCALATION } from '../support/cli.js';
import { createTestDatabase, pgHost, pgPort } from '../support/pg.js';
import { freePort } from '../support/tcp-target.js';
import { makeSelfSignedCert, type TestCert } from '../support/tls-cert.js';

/** A CA certificate, PEM, for the ca_file keys that must be there. */
let pem: TestCert;
beforeAll(() => {
  pem = makeSelfSignedCert();
});
afterAll(() => pem.remove());

const VALID_ALERTS = `probes:
  - name: api_health
    kind: http
    url: http://api:8000/api/v1/health
    every: 15s
    timeout: 5s
    tls:
      ca_file: \${CA_FILE}
  - name: certs
    kind: tls
    hosts: [api.example.org]
    every: 1h
    ca_file: CA_WRITTEN
rules:
  - name: ApiDown
    sample: api_health.up
    op: "=="
    thresholds: { P0: 0 }
`;

const POSTGRES_STATE = `server:
  listen: 127.0.0.1:0
state:
  kind: postgres
  url: \${STATE_URL}
  pool:
    connect_timeout: 1s
`;

describe('check of a PostgreSQL state store', () => {
  let dir: string;
  let ca: string;
  let silent: Server;
  let closing: Server;
  let sslOnly: Server;
  const sockets: Socket[] = [];
  const port = (server: Server) => (server.address() as { port: number }).port;
  beforeAll(async () => {
    dir = configFolder(VALID_ALERTS.replace('CA_WRITTEN', '${CA_FILE}'));
    ca = join(dir, 'ca.pem');
    writeFileSync(ca, pem.cert);
    writeFileSync(join(dir, 'centinela.yaml'), POSTGRES_STATE);
    // Takes connections and never answers: the login waits until connect_timeout.
    silent = createServer((s) => sockets.push(s));
    // Closes each connection at once, as a service that is not PostgreSQL may.
    closing = createServer((s) => s.destroy());
    // Answers the start-up as PostgreSQL 15 does where pg_hba.conf has only hostssl lines (the machine's server is
    // not to be reconfigured): an ErrorResponse, FATAL 28000, naming the host, user and database.
    sslOnly = createServer((s) => {
      s.once('data', () => {
        const text =
          'no pg_hba.conf entry for host "127.0.0.1", user "postgres", database "hunter2_S3cr3t", no encryption';
        const fields = Buffer.from(`SFATAL\0VFATAL\0C28000\0M${text}\0\0`);
        const head = Buffer.alloc(5);
        head.write('E');
        head.writeInt32BE(fields.length + 4, 1);
        s.end(Buffer.concat([head, fields]));
      });
    });
    for (const server of [silent, closing, sslOnly]) {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    }
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    for (const server of [silent, closing, sslOnly]) await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  const at = 'centinela.yaml:5:8  state.url: cannot connect to PostgreSQL: ';
  const fix =
    ". Check its host, port, user, password and database, and that PostgreSQL takes centinela's connections from here.";

  it('connects and passes a database that is there', async () => {
    const url = `postgres://postgres@${pgHost}:${pgPort}/postgres`;
    expect(await checked(dir, { STATE_URL: url, CA_FILE: ca })).toMatchObject({ code: 0 });
  });

  it('refuses a state store a newer centinela wrote, in the words run refuses it in, changing nothing', async () => {
    const db = await createTestDatabase();
    try {
      const known = MIGRATIONS.at(-1)?.version ?? 0;
      const client = await db.connect();
      await client.query(`CREATE TABLE centinela_meta (key TEXT PRIMARY KEY, value BIGINT NOT NULL)`);
      await client.query(`INSERT INTO centinela_meta VALUES ('schema_version', ${known})`);
      expect(await checked(dir, { STATE_URL: db.url, CA_FILE: ca })).toMatchObject({ code: 0 });
      await client.query(`UPDATE centinela_meta SET value = 99 WHERE key = 'schema_version'`);
      const { code, told } = await checked(dir, { STATE_URL: db.url, CA_FILE: ca });
      expect(code).toBe(1);
      expect(told).toBe(
        `${dir}/centinela.yaml:5:8  state.url: the database holds a state store at schema version 99, this ` +
          `centinela knows up to ${known}. Run the newer centinela or restore a backup.\n` +
          '1 problem in 1 file; nothing was started.',
      );
      expect((await client.query('SELECT value FROM centinela_meta')).rows).toEqual([{ value: '99' }]);
    } finally {
      await db.drop();
    }
  });

  it.each([
    [
      'refused',
      async () => `postgres://postgres:hunter2-S3cr3t@127.0.0.1:${await freePort()}/postgres`,
      `the connection was refused (ECONNREFUSED): nothing listens at its host and port${fix}`,
    ],
    [
      'a host name that does not resolve',
      async () => `postgres://postgres@hunter2-S3cr3t.invalid:${pgPort}/postgres`,
      `its host name does not resolve (ENOTFOUND)${fix}`,
    ],
    [
      'a role the server refuses',
      async () => `postgres://hunter2_S3cr3t@${pgHost}:${pgPort}/postgres`,
      'the server refused the login (28000): the role does not exist or may not log in, no line of pg_hba.conf lets ' +
        'it in, or pg_hba.conf asks for a client certificate state.url does not give (or one whose CN is not the ' +
        "user). Check the user and the sslcert of state.url, and the server's pg_hba.conf.",
    ],
    [
      'a database that does not exist',
      async () => `postgres://postgres@${pgHost}:${pgPort}/hunter2_S3cr3t`,
      'the database does not exist (3D000). Create it, or name the right one in state.url.',
    ],
    [
      'a server that does not answer',
      async () => `postgres://postgres@127.0.0.1:${port(silent)}/hunter2_S3cr3t`,
      `no answer within pool.connect_timeout (1s)${fix}`,
    ],
    [
      'SSL asked of a server without it',
      // The machine's PostgreSQL runs with ssl off.
      async () => `postgres://postgres@${pgHost}:${pgPort}/hunter2_S3cr3t?sslmode=verify-full`,
      'the server takes no SSL connections (its ssl is off) and state.url asks for SSL (sslmode). Turn ssl on in ' +
        'PostgreSQL, or write sslmode=disable in state.url where the network is trusted.',
    ],
    [
      'a server that requires SSL',
      async () => `postgres://postgres@127.0.0.1:${port(sslOnly)}/hunter2_S3cr3t`,
      'the server takes no connection without SSL from here (28000: no pg_hba.conf line lets this host, user and ' +
        'database in unencrypted). If it requires SSL, write sslmode=require in state.url (sslmode=verify-full ' +
        "checks the server's certificate too); else add a line for centinela's connections to pg_hba.conf.",
    ],
    [
      'a server that closes the connection at start-up',
      async () => `postgres://postgres@127.0.0.1:${port(closing)}/hunter2_S3cr3t`,
      'the server closed the connection during start-up without answering (Connection terminated unexpectedly): ' +
        'what listens at its host and port may not be PostgreSQL (a proxy, another service), or it is shutting ' +
        'down. Check its host and port.',
    ],
  ])('refuses %s at state.url, quoting nothing of the URL', async (_, url, why) => {
    const { code, told } = await checked(dir, { STATE_URL: await url(), CA_FILE: ca });
    expect(code).toBe(1);
    expect(told).toBe(`${dir}/${at}${why}\n1 problem in 1 file; nothing was started.`);
    expect(told).not.toMatch(/hunter2|S3cr3t/);
  });
});

describe('check of the SQLite state file', () => {
  let dir: string;
  let tmp: string;
  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'centinela-state-'));
    dir = configFolder(VALID_ALERTS.replace('CA_WRITTEN', '${CA_FILE}'));
    writeFileSync(join(dir, 'ca.pem'), pem.cert);
    writeFileSync(join(dir, 'centinela.yaml'), 'server:\n  listen: 127.0.0.1:0\nstate:\n  path: ${STATE}\n');
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(tmp, { recursive: true, force: true });
  });
  const env = (state: string) => ({ STATE: state, CA_FILE: join(dir, 'ca.pem') });

  it('refuses a state file a newer centinela wrote, in the words run refuses it in, reading it without a change', async () => {
    const path = join(tmp, 'newer.db');
    openDb(path).close();
    const raw = new Database(path);
    raw.pragma('user_version = 99');
    raw.close();
    const before = readFileSync(path);
    const { code, told } = await checked(dir, env(path));
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(readdirSync(tmp)).toEqual(['newer.db']);
    // What run says when it opens the file.
    let refused = '';
    try {
      openDb(path).close();
    } catch (err) {
      refused = (err as Error).message;
    }
    expect(refused).toMatch(/^state store is at schema version 99, /);
    expect(code).toBe(1);
    expect(told).toBe(
      `${dir}/centinela.yaml:4:9  state.path: the value filled in from \${STATE} is a ${refused.replace(/^state store is /, 'state store ')}.\n` +
        '1 problem in 1 file; nothing was started.',
    );
  });

  it('refuses a state file whose newer version is only in its -wal, as run does, and ignores a write torn there', async () => {
    // A newer centinela killed after it migrated, before a checkpoint: its header is in the -wal file alone.
    const live = join(tmp, 'live.db');
    openDb(live).close();
    const writer = new Database(live);
    writer.pragma('wal_autocheckpoint = 0');
    writer.pragma('user_version = 99');
    const crashed = mkdtempSync(join(tmp, 'crashed-'));
    const path = join(crashed, 'state.db');
    copyFileSync(live, path);
    copyFileSync(`${live}-wal`, `${path}-wal`);
    writer.close();
    // The database file's own header still says this version.
    expect(readFileSync(path).readInt32BE(60)).toBe(MIGRATIONS.at(-1)?.version);
    const before = [readFileSync(path), readFileSync(`${path}-wal`)];
    const { code, told } = await checked(dir, env(path));
    expect(code).toBe(1);
    expect(told).toMatch(/state\.path: the value filled in from \$\{STATE\} is a state store at schema version 99, /);
    // Nothing made or changed beside it: no -shm, the -wal as it was.
    expect(readdirSync(crashed)).toEqual(['state.db', 'state.db-wal']);
    expect([readFileSync(path), readFileSync(`${path}-wal`)]).toEqual(before);
    // run, through SQLite, reads the same version there (on a copy: opening it changes the files).
    const copy = join(mkdtempSync(join(tmp, 'copy-')), 'state.db');
    copyFileSync(path, copy);
    copyFileSync(`${path}-wal`, `${copy}-wal`);
    expect(() => openDb(copy)).toThrow(/^state store is at schema version 99, /);
    // The commit frame torn by a crash (a byte of its page not as written, so its checksum fails): the write never
    // happened, for SQLite as for check.
    const wal = readFileSync(`${path}-wal`);
    wal.writeUInt8(wal.readUInt8(wal.length - 1) ^ 0xff, wal.length - 1);
    writeFileSync(`${path}-wal`, wal);
    expect(await checked(dir, env(path))).toMatchObject({ code: 0 });
    openDb(path).close();
  });

  it('passes a state file of this version, and one not made yet (run makes it), creating nothing', async () => {
    const current = join(tmp, 'current.db');
    openDb(current).close();
    expect(await checked(dir, env(current))).toMatchObject({ code: 0 });
    expect(await checked(dir, env(join(tmp, 'later.db')))).toMatchObject({ code: 0 });
    expect(existsSync(join(tmp, 'later.db'))).toBe(false);
  });
});

describe('check of the files probes and channels read', () => {
  let dir: string;
  let tmp: string;
  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'centinela-ca-'));
    writeFileSync(join(tmp, 'ca.pem'), pem.cert);
    dir = configFolder(
      VALID_ALERTS.replace('CA_WRITTEN', join(tmp, 'gone.pem')),
      VALID_ESCALATION.replace(
        'smtp: { host: smtp.example.org, from: centinela@example.org }',
        'smtp: { host: smtp.example.org, from: centinela@example.org, tls: { ca_file: "${SMTP_CA}" } }',
      ),
    );
    writeFileSync(join(dir, 'centinela.yaml'), `state:\n  path: ${join(tmp, 'state.db')}\n`);
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(tmp, { recursive: true, force: true });
  });

  it('refuses a ca_file that does not exist or is a folder, each at its place, an environment value unquoted', async () => {
    const env = { CA_FILE: join(tmp, 'hunter2-S3cr3t.pem'), SMTP_CA: tmp };
    const { code, told } = await checked(dir, env);
    expect(code).toBe(1);
    expect(told.split('\n')).toEqual([
      `${dir}/alerts.yaml:8:16  probes[0].tls.ca_file: the value filled in from \${CA_FILE} does not exist. ` +
        'Write the path of a file centinela can read.',
      `${dir}/alerts.yaml:13:14  probes[1].ca_file: "${join(tmp, 'gone.pem')}" does not exist. ` +
        'Write the path of a file centinela can read.',
      `${dir}/escalation.yaml:12:82  channels.email.smtp.tls.ca_file: the value filled in from \${SMTP_CA} is a ` +
        'folder. Write the path of the file in it.',
      '3 problems in 2 files; nothing was started.',
    ]);
    expect(told).not.toContain('hunter2');
  });

  it('refuses a ca_file with no PEM certificate in it, or one that does not parse, an environment value unquoted', async () => {
    const der = join(tmp, 'hunter2-ca.der');
    writeFileSync(der, Buffer.from(pem.cert.split('\n').slice(1, -2).join(''), 'base64'));
    writeFileSync(join(tmp, 'gone.pem'), pem.key);
    const broken = join(tmp, 'broken.pem');
    writeFileSync(broken, `${pem.cert}-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n`);
    const { code, told } = await checked(dir, { CA_FILE: der, SMTP_CA: broken });
    const fix = 'Point it at the CA certificate in PEM (from DER: openssl x509 -inform der -in ca.der -out ca.pem).';
    expect(code).toBe(1);
    expect(told.split('\n')).toEqual([
      `${dir}/alerts.yaml:8:16  probes[0].tls.ca_file: the value filled in from \${CA_FILE} holds no PEM certificate ` +
        `(-----BEGIN CERTIFICATE----- … -----END CERTIFICATE-----). ${fix}`,
      `${dir}/alerts.yaml:13:14  probes[1].ca_file: "${join(tmp, 'gone.pem')}" holds no PEM certificate ` +
        `(-----BEGIN CERTIFICATE----- … -----END CERTIFICATE-----). ${fix}`,
      `${dir}/escalation.yaml:12:82  channels.email.smtp.tls.ca_file: the value filled in from \${SMTP_CA} holds a ` +
        `PEM certificate that does not parse (certificate 2 of 2). ${fix}`,
      '3 problems in 2 files; nothing was started.',
    ]);
    expect(told).not.toContain('hunter2');
  });

  it('refuses a ca_file that is a device, not a file', async () => {
    const { told } = await checked(dir, { CA_FILE: '/dev/zero', SMTP_CA: join(tmp, 'ca.pem') });
    expect(told).toContain(
      'probes[0].tls.ca_file: the value filled in from ${CA_FILE} is not a regular file (a device, a pipe or a socket).',
    );
  });

  it('passes files that are there', async () => {
    writeFileSync(join(tmp, 'gone.pem'), pem.cert);
    const ca = join(tmp, 'ca.pem');
    expect(await checked(dir, { CA_FILE: ca, SMTP_CA: ca })).toMatchObject({ code: 0 });
  });
});

describe('check of server.listen', () => {
  let dir: string;
  beforeAll(() => {
    dir = configFolder(VALID_ALERTS.replace('CA_WRITTEN', '${CA_FILE}'));
    writeFileSync(join(dir, 'ca.pem'), pem.cert);
    writeFileSync(join(dir, 'centinela.yaml'), 'server:\n  listen: ${LISTEN}\nstate:\n  path: ":memory:"\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const env = (listen: string) => ({ LISTEN: listen, CA_FILE: join(dir, 'ca.pem') });

  // Every address, loopback (all of 127.0.0.0/8 binds on Linux), a name for it, and each of this host's interfaces
  // (but link-local ones, which bind only with their interface named).
  const own = Object.values(networkInterfaces())
    .flat()
    .flatMap((a) => (a && !a.scopeid ? [a.family === 'IPv6' ? `[${a.address}]:0` : `${a.address}:0`] : []));
  it.each(['0.0.0.0:0', '[::]:0', ':0', 'localhost:0', '127.0.0.2:0', ...own])('passes %s', async (listen) => {
    expect(await checked(dir, env(listen))).toMatchObject({ code: 0 });
  });

  // A link-local address of this host binds only with its own interface named, by name or by index; on another one
  // (lo) the bind fails with EADDRNOTAVAIL, and check says so as run would.
  const linkLocal = Object.entries(networkInterfaces()).flatMap(([name, list = []]) =>
    list.filter((a) => a.scopeid).map((a) => ({ name, address: a.address, index: a.scopeid })),
  );
  it.each(linkLocal.flatMap((a) => [`[${a.address}%${a.name}]:0`, `[${a.address}%${a.index}]:0`]))(
    'passes %s, a link-local address with its interface',
    async (listen) => {
      expect(await checked(dir, env(listen))).toMatchObject({ code: 0 });
    },
  );

  it.each([
    '10.254.254.254:9810',
    '[fd00::dead:beef]:9810',
    '[fe80::dead:beef%lo]:9810',
    ...linkLocal.filter((a) => a.name !== 'lo').map((a) => `[${a.address}%lo]:9810`),
  ])('refuses %s, an address not of this host, as run would, quoting nothing', async (listen) => {
    const { code, told } = await checked(dir, env(listen));
    expect(code).toBe(1);
    expect(told).toBe(
      `${dir}/centinela.yaml:2:11  server.listen: the value filled in from \${LISTEN} cannot be listened on: its ` +
        "address is not one of this host's (EADDRNOTAVAIL). Write an address of this host, such as 0.0.0.0:9810.\n" +
        '1 problem in 1 file; nothing was started.',
    );
  });

  it('refuses a link-local address without its interface, which the system refuses to bind (EINVAL)', async () => {
    const { code, told } = await checked(dir, env('[fe80::1]:9810'));
    expect(code).toBe(1);
    expect(told).toBe(
      `${dir}/centinela.yaml:2:11  server.listen: the value filled in from \${LISTEN} cannot be listened on: a ` +
        'link-local address (fe80::/10) binds only with its interface named (EINVAL). Write it with its interface, ' +
        'such as [fe80::1%eth0]:9810, or another address of this host.\n1 problem in 1 file; nothing was started.',
    );
  });
});
