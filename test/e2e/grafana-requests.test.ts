// Issue 17: Grafana is not packaged in Debian, so its requests are replayed against a running daemon (read token set,
// fake clock started at real time), as Grafana's sources build them:
// - its sender to an external Alertmanager (pkg/services/ngalert/sender: Prometheus' notifier, basic auth taken from
//   the data source's URL or settings, or custom headers) posts alerts as state.StateToPostableAlert writes them:
//   labels with `__alert_rule_uid__` and `grafana_folder`, annotations `__value_string__`, `__values__`, `__orgId__`;
// - its Alertmanager data source (implementation "prometheus"), proxied by Grafana's backend with basic auth or a
//   custom Authorization header: the health check (DataSource.ts testDatasource: /alertmanager/api/v2/status must
//   not answer 200, /api/v2/status must), feature discovery (/api/v1/status/buildinfo, a 404 is "not Mimir"), and
//   the alerting pages (api/alertmanagerApi.ts and alertmanager.ts: alert groups and alerts with their filters,
//   silences listed, created and expired).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Daemon, hookEvents, startSourceDaemon, type World, WRITE_TOKEN } from '../support/daemon.js';

const TOKEN = 'grafana-intake-token-0123456789';
const READ_TOKEN = 'grafana-read-token-0123456789';
let world: World;
let d: Daemon;
let url: string;

beforeAll(async () => {
  ({ world, d, url } = await startSourceDaemon(
    { PROM_TOKEN: TOKEN, READ_TOKEN },
    '    group_by: [alertname, grafana_folder]\n',
  ));
});

afterAll(async () => {
  await d?.close();
  await world?.close();
});

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** An alert as Grafana's StateToPostableAlert writes one for rule `uid`. */
function grafanaAlert(title: string, uid: string, labels: Record<string, string>) {
  const now = d.clock.now();
  return {
    annotations: {
      summary: `${title} on ${labels.instance ?? 'all'}`,
      __value_string__: `[ var='A' labels={instance=${labels.instance}} value=97.5 ]`,
      __values__: '{"A":97.5,"B":1}',
      __orgId__: '1',
    },
    endsAt: new Date(now + 4 * 60_000).toISOString(),
    startsAt: new Date(now - 60_000).toISOString(),
    generatorURL: `http://grafana.test:3000/alerting/grafana/${uid}/view?orgId=1`,
    labels: { __alert_rule_uid__: uid, alertname: title, grafana_folder: 'Infra', ...labels },
  };
}

/** Posts as Grafana's sender does (Prometheus' notifier: JSON, the data source's credentials). */
const send = (alerts: unknown[], authorization: string) =>
  fetch(`${url}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization },
    body: JSON.stringify(alerts),
  });

/** A request as Grafana's data source proxy forwards it, with the data source's basic auth. */
const proxied = (path: string, init: RequestInit = {}, authorization = basic('grafana', READ_TOKEN)) =>
  fetch(`${url}${path}`, { ...init, headers: { authorization, ...(init.headers ?? {}) } });

describe("Grafana's sender to an external Alertmanager", () => {
  it('is taken with basic auth or a custom Authorization header; its __ labels are left out', async () => {
    const cpu = grafanaAlert('HighCPU', 'cpu-uid-1', { instance: 'web1', severity: 'warning' });
    expect((await send([cpu], basic('grafana', TOKEN))).status).toBe(200);
    const disk = grafanaAlert('DiskFull', 'disk-uid-2', { instance: 'db1', priority: 'P1' });
    expect((await send([disk], `Bearer ${TOKEN}`)).status).toBe(200);
    // A wrong password is refused as a wrong token would be.
    const wrong = await send([cpu], basic('grafana', 'not-the-token'));
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toBe('wrong bearer token: no source of alerts.yaml has it');

    const listed = (await (await proxied('/api/v2/alerts')).json()) as {
      labels: Record<string, string>;
      annotations: Record<string, string>;
      generatorURL: string;
    }[];
    const high = listed.find((a) => a.labels.alertname === 'HighCPU');
    expect(high?.labels).toEqual({
      alertname: 'HighCPU',
      grafana_folder: 'Infra',
      instance: 'web1',
      severity: 'warning',
    });
    expect(high?.annotations).toEqual(cpu.annotations);
    expect(high?.generatorURL).toBe(cpu.generatorURL);
    await d.advanceUntil(
      () => hookEvents(world.hook).includes('firing HighCPU'),
      30_000,
      () => `no page: ${hookEvents(world.hook)}`,
    );
  });
});

describe("Grafana's Alertmanager data source", () => {
  it("passes Grafana's health check and feature discovery as a Prometheus Alertmanager", async () => {
    expect((await proxied('/alertmanager/api/v2/status')).status).toBe(404);
    const status = await proxied('/api/v2/status');
    expect(status.status).toBe(200);
    expect(await status.json()).toMatchObject({
      cluster: { status: 'disabled', peers: [] },
      versionInfo: { version: expect.any(String) },
      config: { original: expect.any(String) },
      uptime: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect((await proxied('/api/v1/status/buildinfo')).status).toBe(404);
    // Reads need the read token, as a basic-auth password or a bearer token.
    expect((await proxied('/api/v2/status', {}, basic('grafana', 'wrong'))).status).toBe(401);
    expect((await fetch(`${url}/api/v2/status`)).status).toBe(401);
    expect((await proxied('/api/v2/status', {}, `Bearer ${READ_TOKEN}`)).status).toBe(200);
  });

  it("lists alert groups in Alertmanager's shape, with the filters Grafana sends", async () => {
    const web2 = grafanaAlert('HighCPU', 'cpu-uid-1', { instance: 'web2', severity: 'warning' });
    expect((await send([web2], basic('grafana', TOKEN))).status).toBe(200);
    const groups = (await (await proxied('/api/v2/alerts/groups')).json()) as {
      labels: Record<string, string>;
      receiver: { name: string };
      alerts: { labels: Record<string, string>; fingerprint: string; status: { state: string } }[];
    }[];
    const cpu = groups.find((g) => g.labels.alertname === 'HighCPU');
    // The source groups by alertname and grafana_folder: both HighCPU alerts are one group, at their priority.
    expect(cpu).toMatchObject({ labels: { alertname: 'HighCPU', grafana_folder: 'Infra' }, receiver: { name: 'P2' } });
    expect(cpu?.alerts.map((a) => a.labels.instance).sort()).toEqual(['web1', 'web2']);
    expect(groups.find((g) => g.labels.alertname === 'DiskFull')).toMatchObject({
      labels: { alertname: 'DiskFull', grafana_folder: 'Infra' },
      receiver: { name: 'P1' },
      alerts: [{ labels: { instance: 'db1' }, status: { state: 'active' } }],
    });
    // Every group and alert carries what Alertmanager's OpenAPI requires of alertGroup and gettableAlert.
    for (const g of groups) {
      expect(Object.keys(g).sort()).toEqual(['alerts', 'labels', 'receiver']);
      for (const a of g.alerts) {
        for (const key of ['labels', 'annotations', 'receivers', 'fingerprint', 'startsAt', 'updatedAt', 'endsAt']) {
          expect(a).toHaveProperty(key);
        }
        expect(a.status).toMatchObject({ state: expect.any(String), silencedBy: [], inhibitedBy: [] });
      }
    }

    // getAlertmanagerAlertGroups: filter (repeated), receiver, active, silenced, inhibited.
    const q = new URLSearchParams([
      ['filter', 'alertname="HighCPU"'],
      ['filter', 'instance=~"web.*"'],
      ['receiver', 'P2'],
      ['active', 'true'],
      ['silenced', 'false'],
      ['inhibited', 'false'],
    ]);
    const filtered = (await (await proxied(`/api/v2/alerts/groups?${q}`)).json()) as typeof groups;
    expect(filtered.map((g) => [g.labels.alertname, g.alerts.length])).toEqual([['HighCPU', 2]]);
    const none = await (await proxied('/api/v2/alerts/groups?receiver=P0')).json();
    expect(none).toEqual([]);
    const bad = await proxied('/api/v2/alerts/groups?filter=%7Bnot%20a%20matcher');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatch(/^query\.filter\.0: is not a matcher/);

    // getAlertmanagerAlerts: the same filters on the flat list.
    const alerts = await proxied(`/api/v2/alerts?${new URLSearchParams([['filter', 'alertname="DiskFull"']])}`);
    expect(((await alerts.json()) as unknown[]).length).toBe(1);
  });

  it('creates, lists and expires a silence as the alerting pages do', async () => {
    const now = d.clock.now();
    const created = await proxied(
      '/api/v2/silences',
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          id: '',
          matchers: [{ name: 'alertname', value: 'HighCPU', isRegex: false, isEqual: true }],
          startsAt: new Date(now).toISOString(),
          endsAt: new Date(now + 2 * 3_600_000).toISOString(),
          createdBy: 'admin',
          comment: 'scaling the web tier',
        }),
      },
      basic('admin', WRITE_TOKEN),
    );
    expect(created.status).toBe(200);
    const { silenceID } = (await created.json()) as { silenceID: string };
    const listed = (await (await proxied('/api/v2/silences')).json()) as { id: string; status: { state: string } }[];
    expect(listed.find((s) => s.id === silenceID)).toMatchObject({ status: { state: 'active' } });
    const silenced = (await (await proxied('/api/v2/alerts/groups?silenced=false')).json()) as {
      labels: Record<string, string>;
    }[];
    expect(silenced.map((g) => g.labels.alertname)).not.toContain('HighCPU');
    // The read token cannot write.
    const readOnly = await proxied(`/api/v2/silence/${silenceID}`, { method: 'DELETE' });
    expect(readOnly.status).toBe(401);
    const expired = await proxied(`/api/v2/silence/${silenceID}`, { method: 'DELETE' }, basic('admin', WRITE_TOKEN));
    expect(expired.status).toBe(200);
    expect(await (await proxied(`/api/v2/silence/${silenceID}`)).json()).toMatchObject({
      status: { state: 'expired' },
    });
  });
});
