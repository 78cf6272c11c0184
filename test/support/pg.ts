// A throwaway PostgreSQL database per test file: `t_<random>` on PGHOST:PGPORT (127.0.0.1:5432), user postgres;
// and, for what the machine's server cannot show (password auth, 200+ connections), a throwaway cluster of its own.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { expect } from 'vitest';
import { freePort } from './tcp-target.js';

const run = promisify(execFile);

/** Where the machine's PostgreSQL listens; PGHOST / PGPORT override the defaults. */
export const pgHost = process.env.PGHOST ?? '127.0.0.1';
export const pgPort = Number(process.env.PGPORT ?? 5432);

/** A database created for one test file. */
export interface TestDatabase {
  name: string;
  /** postgres://postgres@host:port/name */
  url: string;
  /** A URL for the same database as another user. */
  urlFor(user: string, password?: string): string;
  /** A client connected as postgres to this database; closed by drop(). */
  connect(): Promise<pg.Client>;
  /** Creates a role (`<name>_<suffix>`) dropped with the database; returns its name. */
  createRole(suffix: string, options: string): Promise<string>;
  /** Closes the clients made by connect(), drops the database (forcing out other sessions) and the roles. */
  drop(): Promise<void>;
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ host: pgHost, port: pgPort, user: 'postgres', database: 'postgres' });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Creates `t_<random>` and returns it; call drop() in afterAll. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `t_${randomBytes(6).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  const clients: pg.Client[] = [];
  const roles: string[] = [];
  const urlFor = (user: string, password?: string) => {
    const auth = password === undefined ? user : `${user}:${encodeURIComponent(password)}`;
    return `postgres://${auth}@${pgHost}:${pgPort}/${name}`;
  };
  return {
    name,
    url: urlFor('postgres'),
    urlFor,
    async connect() {
      const client = new pg.Client({ host: pgHost, port: pgPort, user: 'postgres', database: name });
      // A session killed by the drop must not crash the test run.
      client.on('error', () => {});
      await client.connect();
      clients.push(client);
      return client;
    },
    async createRole(suffix, options) {
      const role = `${name}_${suffix}`;
      await admin((c) => c.query(`CREATE ROLE ${role} ${options}`));
      roles.push(role);
      return role;
    },
    async drop() {
      await Promise.allSettled(clients.map((c) => c.end()));
      await admin(async (c) => {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        for (const role of roles) await c.query(`DROP ROLE IF EXISTS ${role}`);
      });
    },
  };
}

/** Polls the outbox of a PostgreSQL state store in `db` until `n` rows are delivered; fails after 20 s. */
export async function waitForDelivered(db: TestDatabase, n: number): Promise<void> {
  const client = await db.connect();
  const delivered = async () =>
    Number((await client.query(`SELECT count(*) AS n FROM outbox WHERE state = 'delivered'`)).rows[0].n);
  const deadline = Date.now() + 20_000;
  while ((await delivered()) < n) {
    if (Date.now() > deadline) throw new Error(`fewer than ${n} delivered rows in PostgreSQL after 20 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await client.end();
}

/**
 * One real deadlock between the open sessions `a` and `b`: each takes one of the rows 1 and 2 of `table` (id, balance)
 * and then the other's, and PostgreSQL cancels one of them (40P01, after 10 ms instead of the default 1 s). Both
 * transactions are rolled back and both sessions' counters flushed, so the next read of pg_stat_database counts one
 * more deadlock and two more rollbacks.
 */
export async function deadlock(a: pg.Client, b: pg.Client, table: string): Promise<void> {
  for (const c of [a, b]) {
    await c.query("SET deadlock_timeout = '10ms'");
    await c.query('BEGIN');
  }
  await a.query(`UPDATE ${table} SET balance = 1 WHERE id = 1`);
  await b.query(`UPDATE ${table} SET balance = 1 WHERE id = 2`);
  const crossed = await Promise.allSettled([
    a.query(`UPDATE ${table} SET balance = 2 WHERE id = 2`),
    b.query(`UPDATE ${table} SET balance = 2 WHERE id = 1`),
  ]);
  const victims = crossed.filter((r) => r.status === 'rejected');
  expect(victims).toHaveLength(1);
  expect((victims[0] as PromiseRejectedResult).reason.code).toBe('40P01');
  for (const c of [a, b]) {
    await c.query('ROLLBACK');
    // Sessions send their counters to the shared statistics at most once a second; this makes them do it now.
    await c.query('SELECT pg_stat_force_next_flush()');
  }
}

/** A PostgreSQL server started for one test file or bench, with password (scram) auth on TCP. */
export interface ThrowawayCluster {
  port: number;
  /** The superuser `postgres`'s password. */
  password: string;
  /** postgres://user:password@127.0.0.1:port/database */
  url(user: string, password: string | undefined, database: string): string;
  /** Runs SQL as postgres in the `postgres` database. */
  admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T>;
  /** Stops the server at once and deletes its files. */
  stop(): Promise<void>;
}

/** A server's TLS for a throwaway cluster, PEM text: its certificate and key, and the CA its clients' certificates are checked against. */
export interface ClusterTls {
  cert: string;
  key: string;
  clientCa?: string;
  /** Lines put first in pg_hba.conf, as `hostssl all alice 127.0.0.1/32 scram-sha-256 clientcert=verify-ca`. */
  hba?: readonly string[];
}

/**
 * initdb + pg_ctl start of the machine's PostgreSQL binaries in a temporary folder, `settings` as -c options
 * (e.g. max_connections), with ssl on when `tls` is given. As root the tools run as the `postgres` user, since initdb
 * refuses root.
 */
export async function startThrowawayCluster(
  settings: Record<string, string> = {},
  tls?: ClusterTls,
): Promise<ThrowawayCluster> {
  const { stdout } = await run('pg_config', ['--bindir']);
  const bin = stdout.trim();
  const dir = await mkdtemp(join(tmpdir(), 'centinela-pg-'));
  const password = randomBytes(12).toString('hex');
  const asRoot = process.getuid?.() === 0;
  const { stdout: uid } = asRoot ? await run('id', ['-u', 'postgres']) : { stdout: '' };
  const { stdout: gid } = asRoot ? await run('id', ['-g', 'postgres']) : { stdout: '' };
  const owned = async (path: string) => {
    if (asRoot) await chown(path, Number(uid), Number(gid));
  };
  const tool = (name: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', join(bin, name), ...args]) : run(join(bin, name), args);
  await owned(dir);
  await writeFile(join(dir, 'pw'), password);
  await owned(join(dir, 'pw'));
  const data = join(dir, 'data');
  await tool('initdb', [
    '-D',
    data,
    '-U',
    'postgres',
    '--auth-host=scram-sha-256',
    '--auth-local=trust',
    `--pwfile=${join(dir, 'pw')}`,
    '--no-sync',
    '-E',
    'UTF8',
  ]);
  const port = await freePort();
  const options = [`-p ${port}`, `-k ${dir}`, '-c listen_addresses=127.0.0.1', '-c fsync=off'];
  if (tls) {
    // The server refuses a key file others may read.
    const file = async (name: string, pem: string) => {
      await writeFile(join(dir, name), pem, { mode: 0o600 });
      await owned(join(dir, name));
      return join(dir, name);
    };
    options.push('-c ssl=on', `-c ssl_cert_file=${await file('server.crt', tls.cert)}`);
    options.push(`-c ssl_key_file=${await file('server.key', tls.key)}`);
    if (tls.clientCa) options.push(`-c ssl_ca_file=${await file('client-ca.crt', tls.clientCa)}`);
    if (tls.hba) {
      const hba = join(data, 'pg_hba.conf');
      await writeFile(hba, `${tls.hba.join('\n')}\n${await readFile(hba, 'utf8')}`);
    }
  }
  for (const [key, value] of Object.entries(settings)) options.push(`-c ${key}=${value}`);
  await tool('pg_ctl', ['-D', data, '-o', options.join(' '), '-l', join(dir, 'log'), '-w', 'start']);
  const url = (user: string, pw: string | undefined, database: string) =>
    `postgres://${user}${pw === undefined ? '' : `:${encodeURIComponent(pw)}`}@127.0.0.1:${port}/${database}`;
  return {
    port,
    password,
    url,
    async admin(fn) {
      const client = new pg.Client(url('postgres', password, 'postgres'));
      await client.connect();
      try {
        return await fn(client);
      } finally {
        await client.end();
      }
    },
    async stop() {
      await tool('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}
