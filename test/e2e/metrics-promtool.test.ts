// Issue 16 item 6: the daemon's real /metrics passes `promtool check metrics` for the shipped configuration (config/
// as it is, against the lab stack's loopback stand-ins) and for the demo's (demo/config against the demo target),
// after every probe has run at least twice, so every sample it mirrors, rates included, is in the exposition.
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { type Daemon, startDaemon, startWorld, type World } from '../support/daemon.js';
import { type LabStack, startLabStack } from '../support/lab-stack.js';
import { promtool } from '../support/promtool.js';

const MIN = 60_000;
const closing: (() => Promise<void>)[] = [];

afterAll(async () => {
  for (const close of closing.reverse()) await close();
});

/** GET /metrics of a daemon, with the token when its config asks for one. */
async function metricsOf(daemon: Daemon, token: string): Promise<string> {
  const res = await daemon.app.server.inject({ url: '/metrics', headers: { authorization: `Bearer ${token}` } });
  expect(res.statusCode).toBe(200);
  return res.body;
}

/** Every metric the shipped Grafana dashboard queries by name (a histogram by its family, not its _bucket series). */
function dashboardMetrics(): string[] {
  const exprs = readFileSync('deploy/grafana/centinela.json', 'utf8').match(/"expr": "(?:[^"\\]|\\.)*"/g) ?? [];
  const names = exprs.flatMap((e) => e.match(/\b(?:centinela|process)_[a-z0-9_]*[a-z0-9]\b/g) ?? []);
  return [...new Set(names.map((n) => n.replace(/_bucket$/, '')))];
}

/** The probes the exposition has a centinela_probe_up series for. */
const probesUp = (body: string) => body.match(/^centinela_probe_up\{probe="[^"]+"\}/gm)?.length ?? 0;

describe('/metrics passes promtool check metrics', () => {
  it('for the shipped config, every probe and sample included', async () => {
    const lab: LabStack = await startLabStack('shipped');
    closing.push(() => lab.close());
    const daemon = await startDaemon(lab, { stepMs: 1_000 });
    closing.push(() => daemon.close());
    // disk runs every 5 minutes and needs two readings for hours_until_full.
    await daemon.advance(11 * MIN);
    const body = await metricsOf(daemon, String(lab.env.CENTINELA_WRITE_TOKEN));
    expect(probesUp(body)).toBe(daemon.app.config.alerts.probes.length);
    expect(body).toContain('centinela_sample_backup_files{probe="disk"');
    expect(body).toContain('centinela_sample_seconds_until_full{probe="disk"');
    expect(body).toContain('centinela_sample_seconds_until_expiry{probe="tls"');
    expect(body).toMatch(/^centinela_build_info\{version="[^"]+",node_version="[^"]+"\} 1$/m);
    expect(promtool(body)).toEqual({ status: 0, problems: [] });
    // A rename shows on the dashboard as "No data": every family it queries is in the exposition (a family with no
    // series yet, such as centinela_alerts on a healthy stack, still has its # TYPE line).
    const families = new Set(body.match(/^# TYPE \S+/gm)?.map((l) => l.slice('# TYPE '.length)));
    expect(dashboardMetrics().length).toBeGreaterThan(20);
    expect(dashboardMetrics().filter((name) => !families.has(name))).toEqual([]);
  }, 600_000);

  it('for the demo config', async () => {
    const world: World = await startWorld();
    closing.push(() => world.close());
    const token = 'demo-token';
    const daemon = await startDaemon({
      ...world,
      configDir: 'demo/config',
      env: {
        DEMO_TARGET_URL: world.target.url,
        DEMO_SINK_URL: world.hook.url,
        DEMO_LISTEN: '127.0.0.1:0',
        DEMO_STATE: String(world.env.STATE_PATH),
        STATE_PATH: String(world.env.STATE_PATH),
        CENTINELA_WRITE_TOKEN: token,
      },
    });
    closing.push(() => daemon.close());
    await daemon.advance(MIN);
    const body = await metricsOf(daemon, token);
    expect(probesUp(body)).toBe(daemon.app.config.alerts.probes.length);
    expect(body).toContain('centinela_sample_requests_per_second{probe="api_metrics"');
    expect(promtool(body)).toEqual({ status: 0, problems: [] });
  }, 300_000);
});
