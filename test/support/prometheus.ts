// Debian's real `prometheus` for tests and benches of the Alertmanager API (issue 17): loopback scrape targets that
// can be broken and fixed, one rule file, and `alerting.alertmanagers` pointing at centinela with a source's token.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { waitUntil } from './wait-until.js';

/** A /metrics endpoint as a watched service serves one; `stop()` breaks it (connection refused), `serve()` fixes it. */
export interface ScrapeTarget {
  /** `127.0.0.1:PORT`, as a static_configs target. */
  address: string;
  stop(): Promise<void>;
  serve(): Promise<void>;
}

async function listen(port: number): Promise<Server> {
  const server = createServer((_req, res) => res.end('# TYPE app_ready gauge\napp_ready 1\n'));
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

async function freePort(): Promise<number> {
  const s = await listen(0);
  const { port } = s.address() as AddressInfo;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

/** Starts a target on a port of its own, serving. */
export async function startScrapeTarget(): Promise<ScrapeTarget> {
  let server: Server | undefined = await listen(0);
  const port = (server.address() as AddressInfo).port;
  return {
    address: `127.0.0.1:${port}`,
    async stop() {
      const s = server;
      server = undefined;
      s?.closeAllConnections();
      await new Promise((resolve) => (s ? s.close(resolve) : resolve(undefined)));
    },
    async serve() {
      server ??= await listen(port);
    },
  };
}

export interface PrometheusOptions {
  /** A folder for its config, rules and TSDB. */
  dir: string;
  /** Scrape and evaluation interval, e.g. `1s`. */
  interval: string;
  /** The `rules:` of its one rule group, as YAML lines indented for that place. */
  rules: string[];
  /** The `app` job's targets (`127.0.0.1:PORT`). */
  targets: string[];
  /** centinela's `host:port`, and the source token, read from a file as the README has it (`credentials_file`). */
  alertmanager: { address: string; token: string };
}

/** A running Prometheus: its HTTP API, what it wrote to stderr, and stop(). */
export interface Prometheus {
  url: string;
  log(): string;
  /** Its /api/v1/alerts: every alert of its rules, pending or firing. */
  alerts(): Promise<{ labels: Record<string, string>; state: string; activeAt: string }[]>;
  stop(): Promise<void>;
}

/** Writes the config and starts Prometheus; resolves once it is ready to receive web requests. */
export async function startPrometheus(o: PrometheusOptions): Promise<Prometheus> {
  mkdirSync(o.dir, { recursive: true });
  writeFileSync(join(o.dir, 'centinela-token'), o.alertmanager.token);
  writeFileSync(
    join(o.dir, 'rules.yml'),
    ['groups:', '  - name: app', `    interval: ${o.interval}`, '    rules:', ...o.rules, ''].join('\n'),
  );
  writeFileSync(
    join(o.dir, 'prometheus.yml'),
    [
      `global: { scrape_interval: ${o.interval}, evaluation_interval: ${o.interval} }`,
      'rule_files: [rules.yml]',
      'scrape_configs:',
      `  - { job_name: app, static_configs: [{ targets: [${o.targets.map((t) => `'${t}'`).join(', ')}] }] }`,
      'alerting:',
      '  alertmanagers:',
      `    - static_configs: [{ targets: ['${o.alertmanager.address}'] }]`,
      `      authorization: { credentials_file: ${join(o.dir, 'centinela-token')} }`,
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const child: ChildProcess = spawn(
    'prometheus',
    [
      `--config.file=${join(o.dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(o.dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr?.on('data', (b: Buffer) => {
    log += b.toString();
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const url = `http://127.0.0.1:${port}`;
  await waitUntil(
    () => log.includes('Server is ready to receive web requests') || child.exitCode !== null,
    60_000,
    () => `prometheus did not start: ${log.slice(-2000)}`,
  );
  if (child.exitCode !== null) throw new Error(`prometheus exited (${child.exitCode}): ${log.slice(-2000)}`);
  return {
    url,
    log: () => log,
    async alerts() {
      const body = (await (await fetch(`${url}/api/v1/alerts`)).json()) as {
        data: { alerts: { labels: Record<string, string>; state: string; activeAt: string }[] };
      };
      return body.data.alerts;
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
