// The anchor's configuration as bench/faults.ts writes it, checked by the anchor's own tools: promtool and amtool
// accept it, the blackbox exporter loads its module, and promtool's rule tests show the rules firing as the shipped
// ones do on the faults the bench injects (the 10 s `for` included).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import {
  type AnchorTargets,
  alertmanagerConfig,
  anchorRules,
  BLACKBOX_CONFIG,
  prometheusConfig,
} from '../../bench/support/anchor-stack.js';
import { loadConfig } from '../../src/config/load.js';
import { SHIPPED_ENV } from '../support/shipped-env.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'centinela-anchor-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const targets: AnchorTargets = {
  api: '127.0.0.1:8000',
  health: 'http://127.0.0.1:8000/api/v1/health',
  postgres: 'postgres://postgres:pw@127.0.0.1:5433/grupogad_prod?sslmode=disable',
  redis: 'redis://127.0.0.1:6380',
  mountpoint: '/lab/disk',
  smtp: '127.0.0.1:2525',
  webhook: 'http://127.0.0.1:9999/hook',
};
const shipped = (await loadConfig({ dir: 'config', env: SHIPPED_ENV })).alerts.rules;
const ports = { prometheus: 1, alertmanager: 2, blackbox: 3, postgres: 4, redis: 5, node: 6 };

const write = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};

describe('the anchor configuration', () => {
  it('is accepted by promtool, amtool and the blackbox exporter', async () => {
    write('rules.yml', anchorRules(targets, shipped));
    await run('promtool', ['check', 'config', write('prometheus.yml', prometheusConfig(targets, ports))]);
    await run('amtool', ['check-config', write('alertmanager.yml', alertmanagerConfig(targets))]);
    await run('prometheus-blackbox-exporter', [
      '--config.check',
      `--config.file=${write('blackbox.yml', BLACKBOX_CONFIG)}`,
    ]);
  });

  it('fires the shipped alerts on the injected faults, after 10 s', async () => {
    write('rules.yml', anchorRules(targets, shipped));
    const at = (seconds: number, alertname: string, alerts: Record<string, string>[]) => ({
      eval_time: `${seconds}s`,
      alertname,
      exp_alerts: alerts.map((labels) => ({ exp_labels: labels })),
    });
    const tests = {
      rule_files: ['rules.yml'],
      evaluation_interval: '5s',
      tests: [
        {
          interval: '5s',
          input_series: [
            // 20 % of 10 requests/s fail from the start.
            { series: 'http_requests_total{job="api",status="5xx"}', values: '0+10x40' },
            { series: 'http_requests_total{job="api",status="2xx"}', values: '0+40x40' },
            // Health fails from 10 s on.
            { series: 'probe_success{job="api_health",instance="h"}', values: '1 1 0x20' },
            { series: 'node_filesystem_avail_bytes{mountpoint="/lab/disk"}', values: '2x20' },
            { series: 'node_filesystem_size_bytes{mountpoint="/lab/disk"}', values: '100x20' },
            { series: 'pg_sessions_connections', values: '85x20' },
            { series: 'pg_settings_max_connections', values: '100x20' },
            { series: 'pg_sessions_slow', values: '0 3x20' },
            { series: 'redis_up', values: '1 0x20' },
          ],
          alert_rule_test: [
            at(15, 'ApiDown', []),
            at(20, 'ApiDown', [{ priority: 'P0', job: 'api_health', instance: 'h' }]),
            at(60, 'ApiErrorRateHigh', [{ priority: 'P2' }, { priority: 'P1' }]),
            at(30, 'DiskSpaceLow', [
              { priority: 'P2', mountpoint: '/lab/disk' },
              { priority: 'P1', mountpoint: '/lab/disk' },
            ]),
            at(30, 'DbConnectionsHigh', [{ priority: 'P2' }]),
            at(30, 'DbSlowQueries', [{ priority: 'P2' }]),
            at(30, 'RedisDown', [{ priority: 'P1' }]),
          ],
        },
      ],
    };
    const { stdout } = await run('promtool', ['test', 'rules', write('tests.yml', stringify(tests))]).catch(
      (err: { stdout: string; stderr: string }) => ({ stdout: `${err.stdout}${err.stderr}` }),
    );
    expect(stdout).toContain('SUCCESS');
  });

  it('takes its thresholds and comparisons from the shipped rules, and names a rule it mirrors that is missing', () => {
    const changed = shipped.map((r) => (r.name === 'DbConnectionsHigh' ? { ...r, thresholds: { P1: 60 } } : r));
    const rules = parse(anchorRules(targets, changed)).groups[0].rules as { alert: string; expr: string }[];
    expect(rules.filter((r) => r.alert === 'DbConnectionsHigh').map((r) => r.expr)).toEqual([
      '100 * sum(pg_sessions_connections) / sum(pg_settings_max_connections) > 60',
    ]);
    expect(rules.filter((r) => r.alert === 'DiskFillingUp').map((r) => r.expr)).toEqual([
      `predict_linear(node_filesystem_avail_bytes{mountpoint="/lab/disk"}[1h], 12 * 3600) < 0`,
      `predict_linear(node_filesystem_avail_bytes{mountpoint="/lab/disk"}[1h], 48 * 3600) < 0`,
    ]);
    expect(() =>
      anchorRules(
        targets,
        shipped.filter((r) => r.name !== 'RedisDown'),
      ),
    ).toThrow('the shipped config has no rule RedisDown, which the anchor mirrors');
  });
});
