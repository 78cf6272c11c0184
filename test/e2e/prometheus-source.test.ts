// Issue 17: a real Prometheus (Debian's) configured only with `alerting.alertmanagers: [centinela]` pages through
// centinela. It scrapes a loopback target every second and has one alerting rule on it (priority P0); stopping the
// target fires the rule, and centinela pages the P0 level through its outbox (the webhook sink and real SMTP); serving
// again resolves it, with one resolution. The daemon runs on a fake clock started at real time, moved in small steps
// while Prometheus works in real time.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import {
  addPrometheusSource,
  type Daemon,
  hookEvents,
  startDaemon,
  startWorld,
  type World,
} from '../support/daemon.js';

const TOKEN = 'prometheus-intake-token-0123456789';
let world: World;
let d: Daemon;
let prometheus: ChildProcess;
let target: Server | undefined;
let targetPort = 0;
let log = '';

/** Serves /metrics on `port` (0: any), as the watched service does. */
async function serveTarget(port: number): Promise<Server> {
  const server = createServer((_req, res) => res.end('# TYPE app_ready gauge\napp_ready 1\n'));
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

async function freePort(): Promise<number> {
  const s = await serveTarget(0);
  const { port } = s.address() as AddressInfo;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

beforeAll(async () => {
  world = await startWorld({ PROM_TOKEN: TOKEN }, new FakeClock(Date.now()));
  addPrometheusSource(world, '    page_p0: true\n');
  d = await startDaemon(world);
  await d.app.server.listen({ host: '127.0.0.1', port: 0 });
  const centinela = `127.0.0.1:${(d.app.server.server.address() as AddressInfo).port}`;
  target = await serveTarget(0);
  targetPort = (target.address() as AddressInfo).port;
  const dir = join(world.dir, 'prometheus');
  mkdirSync(dir);
  writeFileSync(
    join(dir, 'rules.yml'),
    [
      'groups:',
      '  - name: app',
      '    interval: 1s',
      '    rules:',
      '      - alert: AppDown',
      '        expr: up{job="app"} == 0',
      '        labels: { priority: P0 }',
      '        annotations: { summary: "app at {{ $labels.instance }} is down", runbook_url: "https://wiki/app-down" }',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'prometheus.yml'),
    [
      'global: { scrape_interval: 1s, evaluation_interval: 1s }',
      'rule_files: [rules.yml]',
      'scrape_configs:',
      `  - { job_name: app, static_configs: [{ targets: ['127.0.0.1:${targetPort}'] }] }`,
      'alerting:',
      '  alertmanagers:',
      `    - static_configs: [{ targets: ['${centinela}'] }]`,
      `      authorization: { credentials: ${TOKEN} }`,
      '',
    ].join('\n'),
  );
  prometheus = spawn(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${await freePort()}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  prometheus.stderr?.on('data', (b: Buffer) => {
    log += b.toString();
  });
});

afterAll(async () => {
  prometheus?.kill('SIGTERM');
  await new Promise((resolve) => target?.close(resolve));
  await d?.close();
  await world?.close();
});

/** Moves the daemon's clock with real time until `done()`, at most `seconds` of real time. */
async function until(done: () => boolean, seconds: number, what: string): Promise<void> {
  const end = Date.now() + seconds * 1000;
  while (!done()) {
    if (Date.now() > end) throw new Error(`${what} within ${seconds}s; prometheus said:\n${log.slice(-2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await d.advance(Math.max(0, Date.now() - d.clock.now()));
  }
}

const appDown = () => hookEvents(world.hook).filter((e) => e.endsWith(' AppDown'));

describe('Prometheus with centinela as its Alertmanager', () => {
  it('pages P0 through the outbox when its rule fires, and resolves once when it clears', async () => {
    // Prometheus scrapes the target first: the rule has a value before the break.
    await until(() => log.includes('Server is ready to receive web requests'), 60, 'prometheus did not start');
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(appDown()).toEqual([]);
    await new Promise((resolve) => target?.close(resolve));
    await until(() => appDown().includes('firing AppDown'), 60, 'no page');
    const firing = d.app.server.inject({ url: '/api/v1/alerts?alertname=AppDown' });
    expect((await firing).json().alerts[0]).toMatchObject({
      priority: 'P0',
      state: 'firing',
      summary: `app at 127.0.0.1:${targetPort} is down`,
    });
    await until(() => world.smtp.received.some((m) => m.mail.subject?.includes('is down')), 30, 'no email to on-call');
    target = await serveTarget(targetPort);
    await until(() => appDown().includes('resolved AppDown'), 60, 'no resolution');
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await d.advance(Math.max(0, Date.now() - d.clock.now()));
    expect(appDown()).toEqual(['firing AppDown', 'resolved AppDown']);
  });
});
