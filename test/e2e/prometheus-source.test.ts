// Issue 17: a real Prometheus (Debian's) configured only with `alerting.alertmanagers: [centinela]` pages through
// centinela. It scrapes a loopback target every second and has one alerting rule on it (priority P0); stopping the
// target fires the rule, and centinela pages the P0 level through its outbox (the webhook sink and real SMTP); serving
// again resolves it, with one resolution. A second Prometheus sends to a source that keeps one alert open: the
// request with a refused alert is answered 429, which Prometheus logs. The daemon runs on a fake clock started at real
// time, moved in small steps while Prometheus works in real time.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Daemon, hookEvents, startSourceDaemon, type World } from '../support/daemon.js';
import { type Prometheus, type ScrapeTarget, startPrometheus, startScrapeTarget } from '../support/prometheus.js';

const TOKEN = 'prometheus-intake-token-0123456789';
const FLOOD_TOKEN = 'flood-intake-token-0123456789';
let world: World;
let d: Daemon;
let url: string;
let prometheus: Prometheus;
let target: ScrapeTarget;

/** centinela as Prometheus' static target. */
const centinela = () => new URL(url).host;

beforeAll(async () => {
  // A second source that keeps at most one alert open, for the refusals.
  ({ world, d, url } = await startSourceDaemon(
    { PROM_TOKEN: TOKEN, FLOOD_TOKEN },
    '    page_p0: true\n  - name: flood\n    token: ${FLOOD_TOKEN}\n    max_alerts: 1\n',
  ));
  target = await startScrapeTarget();
  prometheus = await startPrometheus({
    dir: join(world.dir, 'prometheus'),
    interval: '1s',
    rules: [
      '      - alert: AppDown',
      '        expr: up{job="app"} == 0',
      '        labels: { priority: P0 }',
      '        annotations: { summary: "app at {{ $labels.instance }} is down", runbook_url: "https://wiki/app-down" }',
    ],
    targets: [target.address],
    alertmanager: { address: centinela(), token: TOKEN },
  });
});

afterAll(async () => {
  await prometheus?.stop();
  await target?.stop();
  await d?.close();
  await world?.close();
});

/** Moves the daemon's clock with real time until `done()`, at most `seconds` of real time. */
async function until(done: () => boolean, seconds: number, what: string): Promise<void> {
  const end = Date.now() + seconds * 1000;
  while (!done()) {
    if (Date.now() > end)
      throw new Error(`${what} within ${seconds}s; prometheus said:\n${prometheus.log().slice(-2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await d.advance(Math.max(0, Date.now() - d.clock.now()));
  }
}

const appDown = () => hookEvents(world.hook).filter((e) => e.endsWith(' AppDown'));

describe('Prometheus with centinela as its Alertmanager', () => {
  it('pages P0 through the outbox when its rule fires, and resolves once when it clears', async () => {
    // Prometheus scrapes the target first: the rule has a value before the break.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(appDown()).toEqual([]);
    await target.stop();
    await until(() => appDown().includes('firing AppDown'), 60, 'no page');
    const firing = d.app.server.inject({ url: '/api/v1/alerts?alertname=AppDown' });
    expect((await firing).json().alerts[0]).toMatchObject({
      priority: 'P0',
      state: 'firing',
      summary: `app at ${target.address} is down`,
    });
    await until(() => world.smtp.received.some((m) => m.mail.subject?.includes('is down')), 30, 'no email to on-call');
    await target.serve();
    await until(() => appDown().includes('resolved AppDown'), 60, 'no resolution');
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await d.advance(Math.max(0, Date.now() - d.clock.now()));
    expect(appDown()).toEqual(['firing AppDown', 'resolved AppDown']);
  });
});

describe('a source past its max_alerts', () => {
  it('answers 429 to the request with refused alerts, which Prometheus logs, and counts and raises the refusals', async () => {
    const second = await startScrapeTarget();
    // Both targets are up: the rule fires twice at once, and the source keeps one.
    const flood = await startPrometheus({
      dir: join(world.dir, 'prometheus-flood'),
      interval: '1s',
      rules: ['      - alert: AppUp', '        expr: up{job="app"} == 1'],
      targets: [target.address, second.address],
      alertmanager: { address: centinela(), token: FLOOD_TOKEN },
    });
    try {
      await until(() => flood.log().includes('bad response status 429 Too Many Requests'), 60, 'no 429 logged');
      const metrics = (await d.app.server.inject({ url: '/metrics' })).body;
      expect(metrics).toMatch(/^centinela_source_alerts_received_total\{source="flood",result="refused"\} [1-9]/m);
      expect(metrics).toMatch(/^centinela_source_alerts_received_total\{source="flood",result="accepted"\} [1-9]/m);
      const open = (await d.app.server.inject({ url: '/api/v2/alerts?filter=alertname%3D%22AppUp%22' })).json();
      expect(open).toHaveLength(1);
      // centinela says so itself, at the priority of what it refused (the source's default, P2).
      const refused = (await d.app.server.inject({ url: '/api/v1/alerts?alertname=SourceAlertsRefused' })).json();
      expect(refused.alerts).toMatchObject([{ labels: { source: 'flood' }, priority: 'P2', state: 'firing' }]);
    } finally {
      await flood.stop();
      await second.stop();
    }
  });
});
