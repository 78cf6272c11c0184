// Bench: one postgres probe run against a server holding 200 client connections (a tenth running slow queries, a
// twentieth idle in transaction, the rest idle), as a role with only pg_monitor. Every run opens a session of its
// own and destroys it (the probe keeps its pool, not the session), so the wall time per run includes a real connect;
// it prints that time and the connect part of it (connect_seconds), the client CPU per run, and the load the probe
// adds to the server as pg_stat_statements counts it: statements, rows and execution time per run. Starting the
// backend for each session is server work pg_stat_statements does not see; the connect time shows it from outside.
// The same with no extra connections, for comparison.
//
//   npx tsx bench/postgres.ts [--connections 200] [--runs 50]
//
// It uses PGHOST:PGPORT (127.0.0.1:5432, user postgres) when that server has room for the connections and loads
// pg_stat_statements; otherwise it says which is missing and starts a throwaway cluster (initdb) that has both.
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { pino } from 'pino';
import { systemClock } from '../src/clock.js';
import { postgresProbe } from '../src/config/probes.js';
import postgres from '../src/probes/postgres.js';
import type { Probe } from '../src/probes/probe.js';
import { pgHost, pgPort, startThrowawayCluster, type ThrowawayCluster } from '../test/support/pg.js';

const { values } = parseArgs({
  options: { connections: { type: 'string', default: '200' }, runs: { type: 'string', default: '50' } },
});
const connections = Number(values.connections);
const runs = Number(values.runs);
const log = pino({ level: 'warn' });
const ms = (x: number) => `${x.toFixed(2)} ms`;

/** A superuser URL to the server the bench runs on, and how to end it. */
interface Server {
  label: string;
  superuser(database: string): string;
  roleUrl(role: string, password: string, database: string): string;
  stop(): Promise<void>;
}

async function chooseServer(): Promise<Server> {
  const admin = new pg.Client({ host: pgHost, port: pgPort, user: 'postgres', database: 'postgres' });
  await admin.connect();
  const { rows } = await admin.query(
    `SELECT current_setting('max_connections')::int AS max,
            current_setting('superuser_reserved_connections')::int AS reserved,
            current_setting('shared_preload_libraries') AS preload,
            (SELECT count(*)::int FROM pg_stat_activity WHERE backend_type = 'client backend') AS used`,
  );
  await admin.end();
  const { max, reserved, preload, used } = rows[0];
  // The bench's clients, the probe's session, the bench's admin session, and room for whatever else connects.
  const needed = connections + used + 10;
  const hasStatements = String(preload)
    .split(/\s*,\s*/)
    .includes('pg_stat_statements');
  console.log(
    `${pgHost}:${pgPort}: max_connections ${max} (${reserved} reserved for superusers), ${used} client ` +
      `connections open, shared_preload_libraries '${preload}'.`,
  );
  if (max >= needed && hasStatements) {
    return {
      label: `${pgHost}:${pgPort}`,
      superuser: (db) => `postgres://postgres@${pgHost}:${pgPort}/${db}`,
      roleUrl: (role, pw, db) => `postgres://${role}:${pw}@${pgHost}:${pgPort}/${db}`,
      stop: async () => {},
    };
  }
  if (max < needed) console.log(`  → ${connections} more connections do not fit (need max_connections ≥ ${needed}).`);
  if (!hasStatements) console.log('  → pg_stat_statements is not loaded, so the statements per run cannot be counted.');
  const settings = { max_connections: String(connections + 50), shared_preload_libraries: 'pg_stat_statements' };
  const cluster: ThrowawayCluster = await startThrowawayCluster(settings);
  console.log(`  → using a throwaway cluster on 127.0.0.1:${cluster.port} with ${JSON.stringify(settings)}.\n`);
  return {
    label: `throwaway cluster 127.0.0.1:${cluster.port} (same PostgreSQL binaries)`,
    superuser: (db) => cluster.url('postgres', cluster.password, db),
    roleUrl: (role, pw, db) => cluster.url(role, pw, db),
    stop: () => cluster.stop(),
  };
}

async function connectAll(url: string, n: number): Promise<pg.Client[]> {
  const clients: pg.Client[] = [];
  for (let i = 0; i < n; i += 20) {
    const batch = Array.from({ length: Math.min(20, n - i) }, () => new pg.Client(url));
    for (const c of batch) c.on('error', () => {});
    await Promise.all(batch.map((c) => c.connect()));
    clients.push(...batch);
  }
  return clients;
}

function stats(times: number[]) {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return `median ${ms(at(0.5))}, p95 ${ms(at(0.95))}, min ${ms(sorted[0] ?? 0)}, max ${ms(sorted.at(-1) ?? 0)}`;
}

/** Runs the probe `runs` times (a new session each) and reports time, client CPU and what the server counted. */
async function measure(probe: Probe, admin: pg.Client, roleOid: number, heading: string): Promise<void> {
  await admin.query('SELECT pg_stat_statements_reset()');
  const times: number[] = [];
  const connects: number[] = [];
  const cpuBefore = process.cpuUsage();
  let slow = 0;
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const result = await probe.run({ signal: AbortSignal.timeout(10_000), clock: systemClock, log });
    times.push(performance.now() - started);
    if (!result.up) throw new Error(`the probe is down: ${result.reason}`);
    connects.push((result.samples.find((s) => s.name === 'connect_seconds')?.value ?? Number.NaN) * 1000);
    slow = result.samples.find((s) => s.name === 'slow_queries')?.value ?? 0;
  }
  const cpu = process.cpuUsage(cpuBefore);
  const { rows } = await admin.query(
    `SELECT coalesce(sum(calls), 0)::int AS calls, coalesce(sum(rows), 0)::int AS rows,
            coalesce(sum(total_exec_time), 0)::float8 AS exec_ms,
            coalesce(sum(shared_blks_hit + shared_blks_read), 0)::int AS blocks
     FROM pg_stat_statements WHERE userid = $1`,
    [roleOid],
  );
  const load = rows[0];
  console.log(heading);
  console.log(`  wall time per run, connect included (${runs} runs): ${stats(times)}`);
  console.log(`  of which connecting: ${stats(connects)}`);
  console.log(`  client CPU per run: ${ms((cpu.user + cpu.system) / 1000 / runs)}`);
  console.log(
    `  server load per run: ${(load.calls / runs).toFixed(2)} statements, ${(load.rows / runs).toFixed(2)} rows, ` +
      `${ms(load.exec_ms / runs)} execution, ${(load.blocks / runs).toFixed(1)} shared blocks`,
  );
  console.log(`  slow_queries seen: ${slow}`);
}

const server = await chooseServer();
const database = `centinela_bench_${randomBytes(4).toString('hex')}`;
const role = `${database}_monitor`;
const password = randomBytes(12).toString('hex');
const root = new pg.Client(server.superuser('postgres'));
await root.connect();
let clients: pg.Client[] = [];
let probe: Probe | undefined;
try {
  await root.query(`CREATE DATABASE ${database}`);
  await root.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}' IN ROLE pg_monitor`);
  const admin = new pg.Client(server.superuser(database));
  await admin.connect();
  await admin.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  const roleOid = (await admin.query('SELECT oid::int FROM pg_roles WHERE rolname = $1', [role])).rows[0].oid;

  const config = postgresProbe.parse({
    name: 'db',
    kind: 'postgres',
    every: '30s',
    url: server.roleUrl(role, password, database),
  });
  probe = postgres.create(config, { log, clock: systemClock });
  console.log(`PostgreSQL probe bench on ${server.label}, probe role ${role} (pg_monitor only)\n`);

  const started = performance.now();
  const first = await probe.run({ signal: AbortSignal.timeout(10_000), clock: systemClock, log });
  if (!first.up) throw new Error(`the probe is down: ${first.reason}`);
  console.log(`first run (creates the pool, opens its first session): ${ms(performance.now() - started)}\n`);
  await measure(probe, admin, roleOid, 'no other connections:');

  const opening = performance.now();
  clients = await connectAll(server.superuser(database), connections);
  const slowCount = Math.round(connections / 10);
  const idleTx = Math.round(connections / 20);
  for (const c of clients.slice(0, slowCount)) c.query('SELECT pg_sleep(600)').catch(() => {});
  for (const c of clients.slice(slowCount, slowCount + idleTx)) {
    await c.query('BEGIN');
    await c.query("SELECT 'pending', 42");
  }
  console.log(
    `\nopened ${connections} connections in ${ms(performance.now() - opening)}: ${slowCount} running pg_sleep, ` +
      `${idleTx} idle in transaction, ${connections - slowCount - idleTx} idle`,
  );
  // The sleepers count as slow once they pass slow_query (1 s).
  await new Promise((resolve) => setTimeout(resolve, 1_100));
  await measure(probe, admin, roleOid, `with ${connections} connections:`);
  await admin.end();
} finally {
  await probe?.close?.();
  await Promise.allSettled(clients.map((c) => c.end()));
  await root.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch((e) => console.error(e.message));
  await root.query(`DROP ROLE IF EXISTS ${role}`).catch((e) => console.error(e.message));
  await root.end();
  await server.stop();
}
