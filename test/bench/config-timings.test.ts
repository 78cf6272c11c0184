// The faster timings of the lab and the benches (test/support/config-timings.ts): every probe at one interval with a
// timeout under it, and rule waits lowered to a cap, never added, a rule with a fast path left alone; the shipped
// config so edited still loads.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import { capRuleWaits, editYamlFile, probesEvery } from '../support/config-timings.js';
import { SHIPPED_ENV } from '../support/shipped-env.js';

const dir = mkdtempSync(join(tmpdir(), 'centinela-timings-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('config timings', () => {
  it('sets every probe to the interval and lowers timeouts that are not shorter', () => {
    const doc = parseDocument(`probes:
  - { name: a, every: 30s, timeout: 10s }
  - { name: b, every: 1m }
  - { name: c, every: 6h, timeout: 2s }
`);
    probesEvery(doc, '5s');
    expect(doc.toJS().probes).toEqual([
      { name: 'a', every: '5s', timeout: '4s' },
      { name: 'b', every: '5s', timeout: '4s' },
      { name: 'c', every: '5s', timeout: '2s' },
    ]);
  });

  it('lowers the rule waits it is given to their caps and adds none', () => {
    const doc = parseDocument(`rules:
  - { name: a, for: 5m, clear_for: 10m }
  - { name: b, after_failures: 3, retry_every: 5s, clear_for: 1m }
  - { name: c, for: 5s }
  - { name: d, for: 5m, clear_for: 5m, fast: { sample: p.s, thresholds: { P1: 5 }, after_failures: 3 } }
`);
    capRuleWaits(doc, { for: '10s', clear_for: '10s', retry_every: '1s' });
    expect(doc.toJS().rules).toEqual([
      { name: 'a', for: '10s', clear_for: '10s' },
      { name: 'b', after_failures: 3, retry_every: '1s', clear_for: '10s' },
      { name: 'c', for: '5s' },
      { name: 'd', for: '5m', clear_for: '5m', fast: { sample: 'p.s', thresholds: { P1: 5 }, after_failures: 3 } },
    ]);
  });

  it('leaves the shipped config loadable', async () => {
    const config = join(dir, 'config');
    cpSync('config', config, { recursive: true, filter: (src) => !src.includes('/tests') });
    editYamlFile(join(config, 'alerts.yaml'), (doc) => {
      probesEvery(doc, '5s');
      capRuleWaits(doc, { for: '10s', clear_for: '10s', retry_every: '1s' });
    });
    const loaded = await loadConfig({ dir: config, env: SHIPPED_ENV });
    expect(loaded.alerts.probes.map((p) => p.every)).toEqual(loaded.alerts.probes.map(() => 5_000));
  });
});
