// Alerts received from a source (the Alertmanager API's intake) through the engine's loop, on the fake clock: they fire
// at the priority their labels map to, resolve when their endsAt passes without a resend, keep their record across a
// restart, can be silenced and inhibited like any alert, and a source's max_alerts bounds what it keeps open.
import { afterEach, describe, expect, it } from 'vitest';
import type { PostedAlert } from '../../src/rules/external.js';
import { m, RulesHarness, summarize } from '../support/rules.js';

const MIN = 60_000;
const harnesses: RulesHarness[] = [];
afterEach(() => {
  for (const h of harnesses.splice(0)) h.close();
});

function harness(source: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): RulesHarness {
  const h = new RulesHarness({ sources: [{ name: 'prometheus', ...source }], ...extra });
  harnesses.push(h);
  return h;
}

/** A firing alert as Prometheus sends it: endsAt four evaluations (of 15 s) ahead. */
function firing(
  h: RulesHarness,
  labels: Record<string, string>,
  annotations: Record<string, string> = {},
): PostedAlert {
  const now = h.clock.now();
  return { labels, annotations, startsAt: now - MIN, endsAt: now + 60_000, generatorURL: 'http://prom:9090/graph' };
}

describe('alerts received from a source', () => {
  it('fire at the priority their labels map to, with the texts of their annotations', () => {
    const h = harness();
    const a = firing(
      h,
      { alertname: 'DiskFull', severity: 'critical', instance: 'db1' },
      { summary: 'Disk of db1 is 97% full', description: 'Free space below 3%', runbook_url: 'https://wiki/disk' },
    );
    expect(summarize(h.receive('prometheus', [a]))).toEqual(['firing DiskFull P1']);
    expect(h.last).toMatchObject({ accepted: 1, refused: 0 });
    const alert = h.last?.events[0]?.alert;
    expect(alert).toMatchObject({
      alertname: 'DiskFull',
      labels: { alertname: 'DiskFull', severity: 'critical', instance: 'db1' },
      summary: 'Disk of db1 is 97% full',
      description: 'Free space below 3%',
      runbook: ['https://wiki/disk'],
      diagnosis: [{ probe: 'prometheus', detail: 'http://prom:9090/graph' }],
      groupKey: 'DiskFull',
    });
    expect(h.state('DiskFull')).toBe('firing');
  });

  it('map priority by the first mapped label in the order written, a default otherwise, and P0 only when allowed', () => {
    const h = harness({
      priority_labels: { priority: { P0: 'P0', P3: 'P3' }, severity: { critical: 'P1' } },
      default_priority: 'P2',
    });
    h.receive('prometheus', [
      firing(h, { alertname: 'A', priority: 'P3', severity: 'critical' }),
      firing(h, { alertname: 'B', severity: 'critical' }),
      firing(h, { alertname: 'C', severity: 'page-me' }),
      firing(h, { alertname: 'D', priority: 'P0' }),
    ]);
    expect(summarize(h.last?.events ?? [])).toEqual(['firing A P3', 'firing B P1', 'firing C P2', 'firing D P1']);

    const p0 = harness({ page_p0: true });
    p0.receive('prometheus', [firing(p0, { alertname: 'ApiDown', priority: 'P0' })]);
    expect(summarize(p0.last?.events ?? [])).toEqual(['firing ApiDown P0']);
  });

  it('resolve once endsAt passes without a resend; a resend keeps them firing; a resolved resend does nothing', async () => {
    const h = harness();
    const labels = { alertname: 'ApiSlow', severity: 'warning' };
    h.receive('prometheus', [firing(h, labels)]);
    expect(h.state('ApiSlow')).toBe('firing');
    // Resent 45 s later with endsAt a minute on: still firing a minute after the first endsAt would have passed.
    await h.advance(45_000);
    h.receive('prometheus', [firing(h, labels)]);
    await h.advance(50_000);
    expect(summarize(h.tick())).toEqual([]);
    // No resend: the endsAt of the last one passes.
    await h.advance(10_000);
    expect(summarize(h.tick())).toEqual(['resolved ApiSlow P2']);
    // Prometheus resends a resolved alert (endsAt in the past) for a while: nothing new, nothing kept.
    const resolved = { ...firing(h, labels), endsAt: h.clock.now() - 1_000 };
    expect(h.receive('prometheus', [resolved])).toEqual([]);
    expect(h.last).toMatchObject({ accepted: 0, refused: 0 });
    expect(h.last?.events).toEqual([]);
    expect(h.db.prepare('SELECT count(*) AS n FROM external_alerts').get()).toEqual({ n: 0 });
  });

  it('expiring together, resolve a hundred per evaluation; a running loop makes the next ones at once', async () => {
    const h = harness();
    const many = Array.from({ length: 250 }, (_, i) => firing(h, { alertname: 'HostDown', instance: `host-${i}` }));
    h.receive('prometheus', many);
    await h.advance(61_000);
    expect(h.tick()).toHaveLength(100);
    expect(h.tick()).toHaveLength(100);
    expect(h.tick()).toHaveLength(50);
    expect(h.tick()).toEqual([]);

    const running = harness();
    running.receive(
      'prometheus',
      many.map((a) => ({ ...a, endsAt: running.clock.now() + 60_000 })),
    );
    running.engine.start();
    await running.advance(61_000);
    // The tick resolves the first hundred; each next part follows on a zero-delay timer.
    for (let i = 0; i < 5; i++) await running.advance(0);
    expect(many.filter((a) => running.state('HostDown', a.labels) !== 'resolved')).toEqual([]);
  });

  it('expiring in parts among others open, skip one resent meanwhile and leave one expiring after to the next pass', async () => {
    const h = harness();
    const now = h.clock.now();
    const stays = Array.from({ length: 300 }, (_, i) => ({
      ...firing(h, { alertname: 'Stays', instance: `s-${i}` }),
      endsAt: now + 10 * MIN,
    }));
    const goes = Array.from({ length: 150 }, (_, i) => firing(h, { alertname: 'Goes', instance: `g-${i}` }));
    const later = { ...firing(h, { alertname: 'Later' }), endsAt: now + 62_000 };
    h.receive('prometheus', [...stays, ...goes, later]);
    await h.advance(61_000);
    expect(summarize(h.tick())).toEqual(Array(100).fill('resolved Goes P2'));
    // Its resend is an evaluation too: it takes the next part, less the one resent.
    const resent = goes[149] as PostedAlert;
    expect(summarize(h.receive('prometheus', [{ ...resent, endsAt: h.clock.now() + MIN }]))).toEqual(
      Array(49).fill('resolved Goes P2'),
    );
    await h.advance(1_000);
    expect(summarize(h.tick())).toEqual(['resolved Later P2']);
    expect(h.state('Goes', resent.labels)).toBe('firing');
    expect(stays.filter((a) => h.state('Stays', a.labels) !== 'firing')).toEqual([]);
  });

  it('resolve at once when sent resolved (endsAt in the past) while firing; the all-clear keeps the texts', () => {
    const h = harness();
    const a = firing(h, { alertname: 'QueueStuck' }, { summary: 'queue stuck' });
    h.receive('prometheus', [a]);
    h.receive('prometheus', [{ ...a, endsAt: h.clock.now() }]);
    expect(summarize(h.last?.events ?? [])).toEqual(['resolved QueueStuck P2']);
    expect(h.last?.events[0]?.alert.summary).toBe('queue stuck');
  });

  it('without endsAt stay firing for resolve_timeout after they were last received', async () => {
    const h = harness({ resolve_timeout: '2m' });
    h.receive('prometheus', [{ labels: { alertname: 'Grafana' }, annotations: {} }]);
    await h.advance(2 * MIN - 1);
    expect(summarize(h.tick())).toEqual([]);
    await h.advance(1);
    expect(summarize(h.tick())).toEqual(['resolved Grafana P2']);
  });

  it('a priority label that changes on a resend is a priority change', () => {
    const h = harness();
    h.receive('prometheus', [firing(h, { alertname: 'Lag', severity: 'warning' })]);
    h.receive('prometheus', [firing(h, { alertname: 'Lag', severity: 'critical' })]);
    // The severity is a label: another label set is another instance, as in Alertmanager.
    expect(summarize(h.last?.events ?? [])).toEqual(['firing Lag P1']);
  });

  it('keep their record across a restart: the endsAt still resolves them, the texts still read', async () => {
    const h = harness();
    h.receive('prometheus', [firing(h, { alertname: 'CertExpiry' }, { summary: 'cert expires in 3 days' })]);
    h.restart();
    expect(h.alert('CertExpiry')?.alert.summary).toBe('cert expires in 3 days');
    await h.advance(60_000);
    const events = h.tick();
    expect(summarize(events)).toEqual(['resolved CertExpiry P2']);
    expect(events[0]?.alert.summary).toBe('cert expires in 3 days');
  });

  it('can be silenced by their alert name once received, within the silence limits of their priorities', () => {
    const h = harness({}, { evaluation: { silence_max: { P1: '1h' } } });
    const create = (hours: number) =>
      h.evaluator.api.createSilence({
        matchers: m({ alertname: 'DiskFull' }),
        endsAt: h.clock.now() + hours * 60 * MIN,
        owner: 'ana',
        reason: 'resizing the volume',
      });
    expect(() => create(1)).toThrow(/matches no alert/);
    h.receive('prometheus', [firing(h, { alertname: 'DiskFull', severity: 'critical' })]);
    expect(() => create(2)).toThrow(/could match DiskFull at P1, and P1 silences may last at most 1h/);
    create(1);
    h.engine.changed();
    expect(h.alert('DiskFull')?.alert.suppressedBy).toEqual([{ kind: 'silenced', id: expect.any(String) }]);
  });

  it("are matched against a silence's regex in linear time (issue 13 review r13e: V8 held the loop for hours)", () => {
    const h = harness();
    const instance = 'a'.repeat(40);
    h.receive('prometheus', [firing(h, { alertname: 'DiskFull', severity: 'critical', instance })]);
    const silence = (regex: string) => {
      h.evaluator.api.createSilence({
        matchers: m({ alertname: 'DiskFull', instance: `=~${regex}` }),
        endsAt: h.clock.now() + 60 * MIN,
        owner: 'ana',
        reason: 'the disk of those hosts',
      });
      h.engine.changed();
    };
    // (a+)+b over 40 a's backtracks 2^40 ways in V8's RegExp (28 a's held the loop 1.16 s, doubling with each a).
    silence('(a+)+b');
    expect(h.alert('DiskFull')?.alert.suppressedBy).toEqual([]);
    silence('(a+)+');
    expect(h.alert('DiskFull')?.alert.suppressedBy).toEqual([{ kind: 'silenced', id: expect.any(String) }]);
  });

  it("are held back by the config's inhibitions like any alert", () => {
    const h = harness({}, { inhibit: [{ source: { alertname: 'NodeDown' }, target: { severity: 'warning' } }] });
    h.receive('prometheus', [
      firing(h, { alertname: 'NodeDown', severity: 'critical' }),
      firing(h, { alertname: 'HighLoad', severity: 'warning' }),
    ]);
    expect(summarize(h.last?.events ?? [])).toEqual(['firing NodeDown P1', 'firing HighLoad P2 held:inhibited']);
  });

  it('are held and released by an inhibition source sent in another request, those not resent included', () => {
    const h = harness({}, { inhibit: [{ source: { alertname: 'NodeDown' }, target: { severity: 'warning' } }] });
    const load = (host: string) => firing(h, { alertname: 'HighLoad', severity: 'warning', host });
    expect(summarize(h.receive('prometheus', [load('a')]))).toEqual(['firing HighLoad P2']);
    const down = firing(h, { alertname: 'NodeDown', severity: 'critical' });
    expect(summarize(h.receive('prometheus', [down]))).toEqual([
      'firing NodeDown P1',
      'firing HighLoad P2 held:inhibited',
    ]);
    // A target first sent while the source fires is held; the one sent before and not resent stays held.
    expect(summarize(h.receive('prometheus', [load('b')]))).toEqual(['firing HighLoad P2 held:inhibited']);
    h.engine.changed();
    const held = (host: string) => h.alert('HighLoad', { host })?.alert.suppressedBy;
    expect(held('a')).toEqual([{ kind: 'inhibited', id: expect.any(String) }]);
    expect(held('b')).toEqual([{ kind: 'inhibited', id: expect.any(String) }]);
    expect(h.alert('NodeDown')?.alert.inhibits).toHaveLength(2);
    // A resend of the source changes nothing; its resolution releases both.
    expect(summarize(h.receive('prometheus', [down]))).toEqual([]);
    expect(summarize(h.receive('prometheus', [{ ...down, endsAt: h.clock.now() }]))).toEqual([
      'resolved NodeDown P1',
      'firing HighLoad P2',
      'firing HighLoad P2',
    ]);
    expect(held('a')).toEqual([]);
  });

  it('past max_alerts, new alerts are refused while those already open are still taken', () => {
    const h = harness({ max_alerts: 2 });
    const a = (n: number) => firing(h, { alertname: 'Many', n: String(n) });
    h.receive('prometheus', [a(1), a(2), a(3)]);
    expect(h.last).toMatchObject({ accepted: 2, refused: 1 });
    h.receive('prometheus', [a(1), a(2), a(4)]);
    expect(h.last).toMatchObject({ accepted: 2, refused: 1 });
  });

  it('refused past max_alerts raise SourceAlertsRefused at the highest priority refused, resolved once there is room', () => {
    const h = harness({ max_alerts: 2, page_p0: true });
    const a = (n: number, priority = 'P3') => firing(h, { alertname: 'Many', n: String(n), priority });
    expect(summarize(h.receive('prometheus', [a(1), a(2)]))).toEqual(['firing Many P3', 'firing Many P3']);
    // A dropped alert may be a page: the alert about it pages at the level of the most urgent one refused.
    expect(summarize(h.receive('prometheus', [a(1), a(2), a(3, 'P2'), a(4, 'P1')]))).toEqual([
      'firing SourceAlertsRefused P1',
    ]);
    expect(h.last?.events[0]?.alert).toMatchObject({
      labels: { alertname: 'SourceAlertsRefused', source: 'prometheus' },
      summary:
        'alerts from prometheus are being refused: it has its max_alerts open; alerts refused in its latest request: 2',
      value: 2,
    });
    // A lower one refused later keeps the level; a higher one raises it.
    expect(summarize(h.receive('prometheus', [a(5, 'P3')]))).toEqual([]);
    expect(summarize(h.receive('prometheus', [a(6, 'P0')]))).toEqual(['priority-changed SourceAlertsRefused P1→P0']);
    // At the cap with nothing refused, it stays; once one resolves there is room, and it resolves.
    expect(summarize(h.receive('prometheus', [a(1), a(2)]))).toEqual([]);
    const ended = { ...a(2), endsAt: h.clock.now() };
    expect(summarize(h.receive('prometheus', [a(1), ended]))).toEqual([
      'resolved Many P3',
      'resolved SourceAlertsRefused P0',
    ]);
  });

  it('of a source removed from the config resolve', () => {
    const h = harness();
    h.receive('prometheus', [firing(h, { alertname: 'Gone' })]);
    const path = h.path;
    h.close();
    harnesses.pop();
    const without = new RulesHarness({ sources: [] }, { path, clock: h.clock });
    harnesses.push(without);
    expect(summarize(without.tick())).toEqual(['resolved prometheus/Gone P2']);
  });
});
