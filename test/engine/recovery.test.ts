// Confirmed breach and recovery on the whole daemon (createApp on a FakeClock, a loopback demo target, real SMTP and
// webhook sinks, a SQLite file): ApiDown with every: 5s, after_failures: 3, retry_every: 1s and after_successes: 3.
// Its three failed checks come a second apart, also when an alert it explains watches the same probe. While it fires,
// its probe runs every second; three good checks in a row resolve it, a failed one in between starts the count over,
// a restart keeps the count, and good checks that never reach three in a row never resolve it.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import type { FaultMode } from '../../demo/target.js';
import { type Daemon, daemonPerTest, hookEvents } from '../support/daemon.js';

const t = daemonPerTest();

/** Starts the daemon with ApiDown resolved by `after_successes: 3`. */
async function start(): Promise<Daemon> {
  const file = join(t.world.configDir, 'alerts.yaml');
  const doc = parseDocument(readFileSync(file, 'utf8'));
  doc.setIn(['rules', 0, 'after_successes'], 3);
  writeFileSync(file, doc.toString());
  return t.start();
}

/** Completed runs of the health probe in this daemon. */
const runs = (d: Daemon) => d.app.probeStats().get('api_health')?.runs ?? 0;

/** Advances until `n` more health checks have run. */
async function advanceRuns(d: Daemon, n: number): Promise<void> {
  const until = runs(d) + n;
  await d.advanceUntil(
    () => runs(d) >= until,
    10_000,
    () => `${until - runs(d)} of ${n} health checks still to run`,
  );
}

/** Breaks the API and advances until ApiDown's page reaches the webhook. */
async function pageApiDown(d: Daemon): Promise<void> {
  await d.advance(6_000);
  t.world.target.setFault('down');
  await d.advanceUntil(
    () => hookEvents(t.world.hook).includes('firing ApiDown'),
    15_000,
    () => 'no ApiDown page',
  );
}

/** Sets the fault and returns the fake time it happened at. */
function fault(d: Daemon, mode: FaultMode): number {
  t.world.target.setFault(mode);
  return d.clock.now();
}

const resolved = () => hookEvents(t.world.hook).includes('resolved ApiDown');

/** When ApiDown, now `event` (firing, resolved), went so, from its history in the API. */
async function historyAt(d: Daemon, event: 'firing' | 'resolved'): Promise<number> {
  const list = (await d.app.server.inject({ method: 'GET', url: `/api/v1/alerts?state=${event}` })).json();
  const id = list.alerts.find((a: { alertname: string }) => a.alertname === 'ApiDown')?.id;
  const detail = (await d.app.server.inject({ method: 'GET', url: `/api/v1/alerts/${id}` })).json().alert;
  const entry = detail.history.findLast((h: { event: string }) => h.event === event);
  return Date.parse(entry.at);
}

describe('confirming a breach: after_failures with retry_every', () => {
  it('pages at the third failed check, the checks a second apart, when an alert ApiDown explains watches the same probe', async () => {
    // A symptom on the health probe, held back by ApiDown: when ApiDown starts pending, the probes of its symptoms are
    // asked to look at once; the health probe has just looked, and a second look then would count as a failure.
    const file = join(t.world.configDir, 'alerts.yaml');
    const doc = parseDocument(readFileSync(file, 'utf8'));
    doc.addIn(['rules'], {
      name: 'ApiHealthErrors',
      sample: 'api_health.status_code',
      op: '>=',
      thresholds: { P2: 500 },
      summary: 'health answers {{ value }}',
    });
    doc.set('inhibit', [{ source: { alertname: 'ApiDown' }, target: { alertname: 'ApiHealthErrors' } }]);
    writeFileSync(file, doc.toString());
    const d = await t.start();
    await d.advance(6_000);
    const failed: number[] = [];
    const stats = () => d.app.probeStats().get('api_health');
    const before = stats()?.failures ?? 0;
    fault(d, 'down');
    await d.advanceUntil(
      () => {
        const s = stats();
        while ((s?.failures ?? 0) - before > failed.length) failed.push(s?.lastRunAt ?? Number.NaN);
        return hookEvents(t.world.hook).includes('firing ApiDown');
      },
      15_000,
      () => `no ApiDown page after ${failed.length} failed checks`,
    );
    expect(failed).toHaveLength(3);
    expect((await historyAt(d, 'firing')) - (failed[0] as number)).toBeGreaterThanOrEqual(2_000);
    // retry_every counts from when a failed check was evaluated, a little after it started.
    for (const [i, at] of failed.slice(1).entries()) expect(at - (failed[i] as number)).toBeGreaterThanOrEqual(1_000);
  });
});

describe('confirmed recovery: after_successes with retry_every', () => {
  it('resolves at the third good check in a row, within 3 s of recovery (checks every second while firing)', async () => {
    const d = await start();
    await pageApiDown(d);
    await d.advance(1_750); // the fix lands between two checks
    const fixedAt = fault(d, 'none');
    const before = runs(d);
    await d.advanceUntil(resolved, 10_000, () => 'no resolution');
    const after = (await historyAt(d, 'resolved')) - fixedAt;
    // The first good check within a second of the fix, two more a second apart.
    expect(after).toBeGreaterThanOrEqual(2_000);
    expect(after).toBeLessThanOrEqual(3_000);
    expect(runs(d) - before).toBe(3);
    expect(hookEvents(t.world.hook)).toEqual(['firing ApiDown', 'resolved ApiDown']);
  });

  it('a failed check between good ones starts the count over: one all-clear, three good checks after the last failure', async () => {
    const d = await start();
    await pageApiDown(d);
    fault(d, 'none');
    await advanceRuns(d, 2);
    expect(resolved()).toBe(false);
    fault(d, 'down');
    await advanceRuns(d, 1);
    const fixedAt = fault(d, 'none');
    await advanceRuns(d, 2);
    expect(resolved()).toBe(false);
    await advanceRuns(d, 1);
    expect((await historyAt(d, 'resolved')) - fixedAt).toBeLessThanOrEqual(3_000);
    expect(hookEvents(t.world.hook)).toEqual(['firing ApiDown', 'resolved ApiDown']);
  });

  it('a restart keeps the count: two good checks before it, the first one after it resolves', async () => {
    const first = await start();
    await pageApiDown(first);
    fault(first, 'none');
    await advanceRuns(first, 2);
    expect(resolved()).toBe(false);
    await first.close();
    const d = await t.start();
    await advanceRuns(d, 1);
    await d.advance(250);
    expect(resolved()).toBe(true);
    expect(runs(d)).toBe(1);
    expect(hookEvents(t.world.hook)).toEqual(['firing ApiDown', 'resolved ApiDown']);
  });

  it('no false all-clear: good checks that never come three in a row leave it firing', async () => {
    const d = await start();
    await pageApiDown(d);
    // Healthy at every other check for 40 checks (two in a row at most, when a scheduled check meets a re-check).
    for (let i = 0; i < 40; i++) {
      fault(d, i % 2 === 0 ? 'none' : 'down');
      await advanceRuns(d, 1);
    }
    expect(resolved()).toBe(false);
    expect(hookEvents(t.world.hook)).toEqual(['firing ApiDown']);
    const firing = (await d.app.server.inject({ method: 'GET', url: '/api/v1/alerts?state=firing' })).json().alerts;
    expect(firing.map((a: { alertname: string }) => a.alertname)).toEqual(['ApiDown']);
  });
});
