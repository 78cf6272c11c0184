import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { maintenanceConfig } from '../../src/config/schema.js';
import { formatDuration } from '../../src/duration.js';
import { AlertingError } from '../../src/rules/errors.js';
import { RecurringWindow } from '../../src/rules/maintenance.js';
import { m, probe, RulesHarness, refusal, summarize } from '../support/rules.js';

const harnesses: RulesHarness[] = [];
afterEach(() => {
  for (const h of harnesses.splice(0)) h.close();
});

const MIN = 60_000;
const rules = [
  { name: 'ApiDown', sample: 'api_health.up', op: '==', thresholds: { P0: 0 } },
  { name: 'ApiLatencyHigh', sample: 'api.latency_p95_seconds', op: '>', thresholds: { P2: 0.2 } },
];

describe('recurring windows (cron + duration + timezone, evaluated with the clock)', () => {
  it('opens at the cron time in its timezone and holds matching alerts for its duration', async () => {
    // Sunday 2026-01-04 06:50 UTC = 01:50 in Guayaquil (UTC-5); the window opens at 02:00 local = 07:00 UTC.
    const clock = new FakeClock(Date.UTC(2026, 0, 4, 6, 50));
    const h = new RulesHarness(
      {
        probes: [probe('api'), probe('api_health')],
        rules,
        maintenance: [
          {
            name: 'weekly-backup',
            cron: '0 2 * * 0',
            duration: '1h',
            timezone: 'America/Guayaquil',
            match: { alertname: 'ApiLatencyHigh' },
            reason: 'backup_production.sh',
          },
        ],
      },
      { clock },
    );
    harnesses.push(h);
    expect(summarize(h.run('api', { latency_p95_seconds: 0.3 }))).toEqual(['firing ApiLatencyHigh P2']);
    expect(h.evaluator.api.listWindows()).toEqual([
      {
        kind: 'recurring',
        id: 'weekly-backup',
        matchers: [{ label: 'alertname', op: '=', value: 'ApiLatencyHigh' }],
        reason: 'backup_production.sh',
        startsAt: Date.UTC(2026, 0, 4, 7, 0),
        endsAt: Date.UTC(2026, 0, 4, 8, 0),
        open: false,
      },
    ]);
    await h.advance(10 * MIN);
    const held = h.tick();
    expect(summarize(held)).toEqual(['firing ApiLatencyHigh P2 held:maintenance']);
    expect(held[0]?.alert.suppressedBy).toEqual([{ kind: 'maintenance', id: 'weekly-backup' }]);
    // ApiDown is not matched by the window: it pages.
    expect(summarize(h.down('api_health'))).toEqual(['firing ApiDown P0']);
    await h.advance(59 * MIN);
    expect(h.tick()).toEqual([]);
    await h.advance(MIN);
    expect(h.tick()).toEqual([]);
    await h.advance(1000);
    expect(summarize(h.run('api', { latency_p95_seconds: 0.3 }))).toEqual(['firing ApiLatencyHigh P2']);
  });

  it.each([
    // 03:00 in New York is 08:00 UTC in winter (EST) and 07:00 UTC in summer (EDT).
    ['winter', Date.UTC(2026, 0, 15, 8, 30), Date.UTC(2026, 0, 15, 8, 0)],
    ['summer', Date.UTC(2026, 6, 15, 7, 30), Date.UTC(2026, 6, 15, 7, 0)],
  ])('follows the timezone across daylight saving time (%s)', (_season, now, start) => {
    const w = new RecurringWindow(
      maintenanceConfig.parse({ name: 'nightly', cron: '0 3 * * *', duration: '1h', timezone: 'America/New_York' }),
    );
    expect(w.at(now)).toEqual({ startsAt: start, endsAt: start + 60 * MIN, open: true });
    expect(w.at(now + 31 * MIN)?.open).toBe(false);
    expect(w.at(start - 1)).toEqual({ startsAt: start, endsAt: start + 60 * MIN, open: false });
    w.close();
  });

  it.each([
    // Madrid: 2026-10-25 03:00 CEST → 02:00 CET, so 02:00 comes at 00:00Z and again at 01:00Z.
    [
      'Madrid, clocks back',
      '0 2 * * *',
      'Europe/Madrid',
      '2026-10-24T12:00:00Z',
      ['2026-10-25T00:00', '2026-10-26T01:00'],
    ],
    // 2026-03-29 02:00 CET → 03:00 CEST: 02:00 does not happen that night.
    ['Madrid, clocks forward', '0 2 * * *', 'Europe/Madrid', '2026-03-28T12:00:00Z', ['2026-03-30T00:00']],
    // New York: 2026-11-01 02:00 EDT → 01:00 EST, so 01:30 comes at 05:30Z and again at 06:30Z.
    [
      'New York, clocks back',
      '30 1 * * *',
      'America/New_York',
      '2026-10-31T12:00:00Z',
      ['2026-11-01T05:30', '2026-11-02T06:30'],
    ],
    // 2026-03-08 02:00 EST → 03:00 EDT: 02:30 does not happen that night.
    ['New York, clocks forward', '30 2 * * *', 'America/New_York', '2026-03-07T12:00:00Z', ['2026-03-09T06:30']],
    // Kolkata has no clock changes: 02:00 IST is 20:30Z the day before, every night.
    ['Kolkata', '0 2 * * *', 'Asia/Kolkata', '2026-10-24T12:00:00Z', ['2026-10-24T20:30', '2026-10-25T20:30']],
  ])('opens once a night for an hour across a clock change (%s)', async (_case, cron, timezone, from, opened) => {
    const clock = new FakeClock(Date.parse(from));
    const h = new RulesHarness(
      { probes: [probe('api_health')], rules, maintenance: [{ name: 'nightly', cron, duration: '1h', timezone }] },
      { clock },
    );
    harnesses.push(h);
    // Each open stretch seen over two days, five minutes at a time: when it opened and for how long.
    const seen: string[] = [];
    for (let t = 0; t < 2 * 24 * 60; t += 5) {
      const open = h.evaluator.api.listWindows().find((w) => w.kind === 'recurring' && w.open);
      const at =
        open?.kind === 'recurring' &&
        `${new Date(open.startsAt).toISOString().slice(0, 16)} for ${formatDuration(open.endsAt - open.startsAt)}`;
      if (at && seen.at(-1) !== at) seen.push(at);
      await h.advance(5 * MIN);
    }
    expect(seen).toEqual(opened.map((start) => `${start} for 1h`));
  });
});

function deployHarness(): RulesHarness {
  const h = new RulesHarness({ probes: [probe('api'), probe('api_health')], rules });
  harnesses.push(h);
  return h;
}

describe('one-shot windows (deploys)', () => {
  it('holds alerts during the deploy and closes early when the named probe is healthy again', async () => {
    const h = deployHarness();
    const w = h.evaluator.api.openWindow({
      probes: ['api_health'],
      max: 10 * MIN,
      reason: 'deploy v1.4.2',
      owner: 'ci',
    });
    expect(w).toMatchObject({ kind: 'one-shot', open: true, probes: ['api_health'], priority: 'P1' });
    await h.advance(30_000);
    expect(summarize(h.down('api_health'))).toEqual(['firing ApiDown P0 held:maintenance']);
    expect(summarize(h.run('api', { latency_p95_seconds: 0.3 }))).toEqual([
      'firing ApiLatencyHigh P2 held:maintenance',
    ]);
    await h.advance(60_000);
    // Health is back: the window closes in this evaluation, ApiDown resolves, the latency alert is released and
    // pages at its probe's next run, which still breaches.
    expect(summarize(h.run('api_health', {}))).toEqual(['resolved ApiDown P0']);
    expect(h.evaluator.api.listWindows({ state: 'closed' })).toMatchObject([
      { id: w.id, outcome: 'healthy', failed: ['api_health'], closedAt: h.clock.now() },
    ]);
    await h.advance(1000);
    expect(summarize(h.run('api', { latency_p95_seconds: 0.3 }))).toEqual(['firing ApiLatencyHigh P2']);
  });

  it('takes an empty value in `match` as an absent label: shard="" holds alerts without shard', () => {
    const h = deployHarness();
    h.evaluator.api.openWindow({ probes: ['api_health'], max: 10 * MIN, reason: 'deploy', match: m({ shard: '' }) });
    const events = h.runSamples('api', [
      { name: 'api.latency_p95_seconds', labels: {}, value: 0.3 },
      { name: 'api.latency_p95_seconds', labels: { shard: '1' }, value: 0.3 },
    ]);
    expect(events.map((e) => `${e.alert.labels.shard ?? 'none'} ${e.alert.suppressedBy.length > 0}`)).toEqual([
      'none true',
      '1 false',
    ]);
  });

  it('a probe that has not failed yet does not close the window until `settle` has passed', async () => {
    const h = deployHarness();
    h.evaluator.api.openWindow({ probes: ['api_health'], max: 10 * MIN, reason: 'zero-downtime deploy' });
    await h.advance(10_000);
    h.run('api_health', {});
    expect(h.evaluator.api.listWindows({ state: 'open' })).toHaveLength(1);
    await h.advance(2 * MIN);
    h.run('api_health', {});
    expect(h.evaluator.api.listWindows({ state: 'open' })).toHaveLength(0);
  });

  it('pages HealthNotBack when health is not back by its end, and releases what it held', async () => {
    const h = deployHarness();
    const w = h.evaluator.api.openWindow({ probes: ['api_health'], max: 5 * MIN, reason: 'deploy v1.4.3' });
    expect(summarize(h.down('api_health'))).toEqual(['firing ApiDown P0 held:maintenance']);
    await h.advance(5 * MIN);
    const events = h.down('api_health');
    expect(summarize(events)).toEqual(['firing ApiDown P0', 'firing HealthNotBack P1']);
    expect(events[1]?.alert).toMatchObject({
      labels: { alertname: 'HealthNotBack', window: w.id, probes: 'api_health' },
      summary: `maintenance window ${w.id} ended but api_health is not healthy`,
      diagnosis: [{ probe: 'api_health', detail: 'connection refused' }],
    });
    expect(h.evaluator.api.listWindows({ state: 'closed' })).toMatchObject([{ id: w.id, outcome: 'unhealthy' }]);
    await h.advance(MIN);
    expect(h.down('api_health')).toEqual([]);
    expect(summarize(h.run('api_health', {}))).toEqual(['resolved ApiDown P0', 'resolved HealthNotBack P1']);
  });

  it('ends quietly at its end when health is back but settle never passed for a probe that never failed', async () => {
    const h = deployHarness();
    h.evaluator.api.openWindow({ probes: ['api_health'], max: MIN, reason: 'quick', settle: 5 * MIN });
    h.run('api_health', {});
    await h.advance(MIN);
    expect(h.tick()).toEqual([]);
    expect(h.evaluator.api.listWindows({ state: 'closed' })).toMatchObject([{ outcome: 'ended' }]);
  });

  it("a probe passing after the deploy's command ended closes the window without waiting for settle", async () => {
    const h = deployHarness();
    const w = h.evaluator.api.openWindow({ probes: ['api_health'], max: 10 * MIN, settle: 10 * MIN, reason: 'deploy' });
    await h.advance(10_000);
    h.run('api_health', {});
    expect(h.evaluator.api.getWindow(w.id).open).toBe(true);
    h.evaluator.api.recordOutput(w.id, 'migrations at head', false);
    await h.advance(10_000);
    h.run('api_health', {});
    expect(h.evaluator.api.getWindow(w.id)).toMatchObject({ open: true, output: 'migrations at head' });
    h.evaluator.api.recordOutput(w.id, 'migrations at head\ndeploy done', true);
    expect(h.evaluator.api.getWindow(w.id)).toMatchObject({ commandEndedAt: h.clock.now() });
    await h.advance(1000);
    h.run('api_health', {});
    expect(h.evaluator.api.getWindow(w.id)).toMatchObject({ open: false, outcome: 'healthy' });
  });

  it("HealthNotBack carries the deploy's last output lines after the probes' diagnosis", async () => {
    const h = deployHarness();
    const w = h.evaluator.api.openWindow({ probes: ['api_health'], max: 5 * MIN, reason: 'deploy' });
    h.evaluator.api.recordOutput(w.id, 'docker compose up -d api\nsmoke test: 503', true);
    h.down('api_health');
    await h.advance(5 * MIN);
    const page = h.down('api_health').find((e) => e.alert.alertname === 'HealthNotBack');
    expect(page?.alert.diagnosis).toEqual([
      { probe: 'api_health', detail: 'connection refused' },
      { probe: 'deploy', detail: 'docker compose up -d api\nsmoke test: 503' },
    ]);
  });

  it('with a downtime budget, releases an alert it holds once that alert has fired for longer than the budget', async () => {
    const h = deployHarness();
    const w = h.evaluator.api.openWindow({ probes: ['api_health'], max: 15 * MIN, budget: 2 * MIN, reason: 'deploy' });
    expect(w).toMatchObject({ budget: 2 * MIN, rollback: false });
    expect(summarize(h.down('api_health'))).toEqual(['firing ApiDown P0 held:maintenance']);
    await h.advance(2 * MIN);
    expect(h.down('api_health')).toEqual([]);
    await h.advance(1000);
    expect(summarize(h.down('api_health'))).toEqual(['firing ApiDown P0']);
    expect(h.evaluator.api.getWindow(w.id).open).toBe(true);
  });

  it('closes through the API; held alerts still firing are released', async () => {
    const h = deployHarness();
    const w = h.evaluator.api.openWindow({ probes: ['api_health'], max: 10 * MIN, reason: 'deploy' });
    h.run('api', { latency_p95_seconds: 0.3 });
    const closed = h.evaluator.api.closeWindow(w.id, 'ana');
    expect(closed).toMatchObject({ open: false, outcome: 'closed', closedBy: 'ana' });
    expect(h.tick()).toEqual([]);
    await h.advance(1000);
    expect(summarize(h.run('api', { latency_p95_seconds: 0.3 }))).toEqual(['firing ApiLatencyHigh P2']);
    expect(() => h.evaluator.api.closeWindow(w.id, 'ana')).toThrow(`window "${w.id}" already closed (closed)`);
    expect(() => h.evaluator.api.closeWindow('win_nope', 'ana')).toThrow('no maintenance window "win_nope"');
  });

  it('only holds what its matchers select', () => {
    const h = deployHarness();
    h.evaluator.api.openWindow({
      probes: ['api_health'],
      max: 10 * MIN,
      reason: 'db maintenance',
      match: [{ label: 'alertname', op: '=', value: 'ApiLatencyHigh' }],
    });
    expect(summarize(h.down('api_health'))).toEqual(['firing ApiDown P0']);
  });

  it.each([
    [{ probes: [], max: MIN, reason: 'x' }, 'name at least one probe'],
    [{ probes: ['nope'], max: MIN, reason: 'x' }, 'unknown probe "nope". Defined: api, api_health.'],
    [{ probes: ['api_helth'], max: MIN, reason: 'x' }, 'unknown probe "api_helth". Did you mean "api_health"?'],
    [{ probes: ['api'], max: 0, reason: 'x' }, 'max must be longer than 0s'],
    [{ probes: ['api'], max: 2 * 86_400_000, reason: 'x' }, 'max 2d is longer than 1d'],
    [{ probes: ['api'], max: MIN, reason: ' ' }, 'needs a reason'],
    [
      { probes: ['api'], max: MIN, budget: 2 * MIN, reason: 'x' },
      'budget must be longer than 0s and no longer than max',
    ],
    [{ probes: ['api'], max: MIN, budget: 0, reason: 'x' }, 'budget must be longer than 0s'],
  ])('refuses %j', (input, message) => {
    const h = deployHarness();
    expect(() => h.evaluator.api.openWindow(input)).toThrow(AlertingError);
    expect(() => h.evaluator.api.openWindow(input)).toThrow(message);
  });
});

describe('one-shot windows: length cap, overlaps, names', () => {
  it.each([
    // No match holds every alert back, ApiDown (P0) too: the default P0 cap of 1h applies, as for silences.
    [
      {},
      2 * 60 * MIN,
      'a maintenance window of 2h is too long: it could match ApiDown at P0, and P0 maintenance ' +
        'windows may last at most 1h (evaluation.window_max). Give it a max of 1h or less, or narrow the matchers so ' +
        'they exclude ApiDown',
    ],
    [{ match: { alertname: '=~Api.*' } }, 61 * MIN, 'it could match ApiDown at P0'],
    // Configured: P2 windows at most 30m.
    [
      { match: { alertname: 'ApiLatencyHigh' }, limits: { P2: '30m' } },
      31 * MIN,
      'it could match ApiLatencyHigh at P2, and P2 maintenance windows may last at most 30m (evaluation.window_max)',
    ],
  ] as const)('caps a window by the priorities it could hold back: %j for %d ms', (opts, max, message) => {
    const h = new RulesHarness({
      probes: [probe('api'), probe('api_health')],
      rules,
      ...('limits' in opts ? { evaluation: { window_max: opts.limits } } : {}),
    });
    harnesses.push(h);
    const match = 'match' in opts ? m(opts.match) : undefined;
    const err = refusal(() =>
      h.evaluator.api.openWindow({ probes: ['api_health'], max, reason: 'deploy', ...(match ? { match } : {}) }),
    );
    expect(err.code).toBe('WINDOW_TOO_LONG');
    expect(err.message).toContain(message);
  });

  it('caps a window by what a source may send: a window holds back by its match, not by its probes', () => {
    // No rule pages P0 here; Prometheus may, with any name and labels, before it has sent the alert.
    const h = new RulesHarness({
      probes: [probe('api'), probe('api_health')],
      rules: rules.slice(1),
      sources: [{ name: 'prometheus', page_p0: true }],
    });
    harnesses.push(h);
    const open = (max: number, match: Record<string, string>, probes = ['api']) =>
      h.evaluator.api.openWindow({ probes, max, reason: 'reindex', match: m(match) });
    // (Without a match it holds back HealthNotBack too, which may be P0: capped with or without sources.)
    const err = refusal(() => open(2 * 60 * MIN, { job: 'postgres' }));
    expect(err.code).toBe('WINDOW_TOO_LONG');
    expect(err.message).toBe(
      'a maintenance window of 2h is too long: it could match an alert from source "prometheus" at P0 (a source may ' +
        "send an alert of any name, a rule's of the config too, not only those it has sent), and P0 maintenance " +
        'windows may last at most 1h (evaluation.window_max). Give it a max of 1h or less, or narrow the matchers so ' +
        'they exclude it: add priority!="P0" (so a P0 alert still pages)',
    );
    // A label of the probe's alerts does not exclude a source's: Prometheus may send any label.
    expect(refusal(() => open(2 * 60 * MIN, { probe: 'api' })).code).toBe('WINDOW_TOO_LONG');
    // Nor does a rule's name: Prometheus may send an alert named ApiLatencyHigh at P0, which the window would hold.
    expect(refusal(() => open(6 * 60 * MIN, { alertname: 'ApiLatencyHigh' })).message).toContain(
      'from source "prometheus" at P0',
    );
    expect(open(6 * 60 * MIN, { alertname: 'ApiLatencyHigh', priority: '!=P0' }).open).toBe(true);
    expect(open(6 * 60 * MIN, { probe: 'api_health', priority: '!=P0' }, ['api_health']).open).toBe(true);
  });

  it('allows a long window that can hold back nothing capped, and a P0 one within the cap', () => {
    const h = deployHarness();
    const latency = [{ label: 'alertname', op: '=' as const, value: 'ApiLatencyHigh' }];
    expect(
      h.evaluator.api.openWindow({ probes: ['api'], max: 6 * 60 * MIN, reason: 'reindex', match: latency }).open,
    ).toBe(true);
    expect(h.evaluator.api.openWindow({ probes: ['api_health'], max: 60 * MIN, reason: 'deploy' }).open).toBe(true);
  });

  it('refuses a second window on a probe an open window has; once that one closes, it opens', async () => {
    const h = deployHarness();
    const first = h.evaluator.api.openWindow({ probes: ['api_health'], max: 15 * MIN, reason: 'v1.2', owner: 'ci' });
    const err = refusal(() =>
      h.evaluator.api.openWindow({ probes: ['api', 'api_health'], max: 15 * MIN, reason: 'deploy v1.2 again' }),
    );
    expect(err.code).toBe('WINDOW_OVERLAPS');
    expect(err.message).toBe(
      `maintenance window: "api_health" is already in window ${first.id} ("v1.2", opened by ci, open until ` +
        `${new Date(h.clock.now() + 15 * MIN).toISOString()} at the latest). Use that window, or end it first ` +
        `(centinela maintenance end ${first.id}; POST /api/v1/maintenance/${first.id}/end)`,
    );
    // Another probe is another window.
    expect(h.evaluator.api.openWindow({ probes: ['api'], max: 15 * MIN, reason: 'db work' }).open).toBe(true);
    h.evaluator.api.closeWindow(first.id, 'ana');
    expect(h.evaluator.api.openWindow({ probes: ['api_health'], max: 15 * MIN, reason: 'deploy v1.3' }).open).toBe(
      true,
    );
  });

  it('a window that reached its end no longer counts as open, even before the evaluator closes it', async () => {
    const h = deployHarness();
    h.evaluator.api.openWindow({ probes: ['api_health'], max: 5 * MIN, reason: 'deploy' });
    await h.advance(5 * MIN);
    expect(h.evaluator.api.openWindow({ probes: ['api_health'], max: 5 * MIN, reason: 'deploy, again' }).open).toBe(
      true,
    );
  });

  it('refuses a match naming an alert or probe the config does not have, unless forced', () => {
    const h = deployHarness();
    const open = (match: Record<string, string>, force?: boolean) =>
      h.evaluator.api.openWindow({
        probes: ['api_health'],
        max: 10 * MIN,
        reason: 'deploy',
        match: Object.entries(match).map(([label, value]) => ({ label, op: '=' as const, value })),
        ...(force ? { force } : {}),
      });
    const err = refusal(() => open({ alertname: 'ApiDwn' }));
    expect(err.code).toBe('UNKNOWN_NAME');
    expect(err.message).toBe(
      'maintenance window: alertname="ApiDwn" matches no alert: no rule is named so. Did you mean "ApiDown"?',
    );
    expect(refusal(() => open({ probe: 'apii' })).message).toContain(
      'probe="apii" matches no alert: no probe is named so. Did you mean "api"?',
    );
    expect(open({ alertname: 'ApiDwn' }, true).open).toBe(true);
  });
});
