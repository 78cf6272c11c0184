// Reading notifications back (bench/support/notices.ts): each receiver's format as a page or an all-clear of named
// alerts, and per fault the time to page, to all-clear, the false all-clears, and the pages no fault explains.
import { describe, expect, it } from 'vitest';
import {
  alertmanagerEmail,
  alertmanagerWebhook,
  centinelaEmail,
  centinelaPush,
  centinelaWebhook,
  type FaultWindow,
  faultOutcome,
  type Notice,
  unexplainedPages,
} from '../../bench/support/notices.js';

describe('notices', () => {
  it.each([
    ['[P0] API down: the health endpoint does not answer healthy — api', 'ApiDown', 'page', ['ApiDown']],
    ['[RESOLVED] API down — api', 'ApiDown', 'resolved', ['ApiDown']],
    ['[RESUELTA] API caída — api', 'ApiDown', 'resolved', ['ApiDown']],
    ['[P0] Reconocida por ana: API caída', 'ApiDown', 'other', ['ApiDown']],
    ['[P1] Acknowledged by ana: Redis does not answer PING', 'RedisDown', 'other', ['RedisDown']],
    ['[P2] 2 alerts', 'DbSlowQueries, DbConnectionsHigh', 'page', ['DbSlowQueries', 'DbConnectionsHigh']],
  ])('centinela email %j', (subject, header, event, alerts) => {
    expect(centinelaEmail(subject, header)).toEqual({ event, alerts });
  });

  it('centinela webhook: one notice per notification, repeats of a page are pages', () => {
    const body = JSON.stringify({
      notifications: [
        { event: 'firing', alert: { name: 'ApiDown' } },
        { event: 'reminder', alert: { name: 'DbDown' } },
        { event: 'resolved', alert: { name: 'RedisDown' } },
        { event: 'acknowledged', alert: { name: 'DiskSpaceLow' } },
      ],
    });
    expect(centinelaWebhook(body)).toEqual([
      { event: 'page', alerts: ['ApiDown'] },
      { event: 'page', alerts: ['DbDown'] },
      { event: 'resolved', alerts: ['RedisDown'] },
      { event: 'other', alerts: ['DiskSpaceLow'] },
    ]);
  });

  it.each([
    [['rotating_light', 'P0', 'ApiDown'], 'page', ['ApiDown']],
    [['warning', 'P1', 'ApiErrorRateHigh', 'ApiLatencyHigh'], 'page', ['ApiErrorRateHigh', 'ApiLatencyHigh']],
    [['white_check_mark', 'RedisDown'], 'resolved', ['RedisDown']],
    [['ballot_box_with_check', 'RedisDown'], 'other', ['RedisDown']],
  ])('centinela push %j', (tags, event, alerts) => {
    expect(centinelaPush(JSON.stringify({ topic: 't', tags }))).toEqual({ event, alerts });
  });

  it('Alertmanager webhook: the group is resolved once every alert of it is', () => {
    const group = (status: string, ...alerts: [string, string][]) =>
      JSON.stringify({ status, alerts: alerts.map(([name, s]) => ({ status: s, labels: { alertname: name } })) });
    expect(
      alertmanagerWebhook(group('firing', ['ApiErrorRateHigh', 'firing'], ['ApiErrorRateHigh', 'resolved'])),
    ).toEqual({ event: 'page', alerts: ['ApiErrorRateHigh'] });
    expect(alertmanagerWebhook(group('resolved', ['ApiDown', 'resolved']))).toEqual({
      event: 'resolved',
      alerts: ['ApiDown'],
    });
  });

  it.each([
    ['[FIRING:2] ApiErrorRateHigh (P1)', 'page', ['ApiErrorRateHigh']],
    ['[FIRING] ApiDown', 'page', ['ApiDown']],
    ['[RESOLVED] RedisDown (P1)', 'resolved', ['RedisDown']],
    ['hello', 'other', []],
  ])('Alertmanager email %j', (subject, event, alerts) => {
    expect(alertmanagerEmail(subject)).toEqual({ event, alerts });
  });
});

describe('a fault as the notices tell it', () => {
  const fault: FaultWindow = { alerts: ['ApiDown'], injectedAt: 10_000, repairedAt: 40_000, endAt: 70_000 };
  const n = (at: number, event: Notice['event'], ...alerts: string[]): Notice => ({ at, event, alerts });

  it('times the first page from the injection and the first all-clear from the repair', () => {
    const notices = [n(5_000, 'page', 'ApiDown'), n(17_500, 'page', 'ApiDown'), n(18_000, 'page', 'ApiDown')];
    notices.push(n(44_800, 'resolved', 'ApiDown'), n(45_000, 'resolved', 'ApiDown'));
    expect(faultOutcome(notices, fault)).toEqual({ page: 7.5, allClear: 4.8, falseClears: 0 });
  });

  it('counts all-clears sent while the fault was still there', () => {
    const notices = [n(20_000, 'page', 'ApiDown'), n(25_000, 'resolved', 'ApiDown'), n(30_000, 'page', 'ApiDown')];
    notices.push(n(35_000, 'resolved', 'ApiDown'), n(50_000, 'resolved', 'ApiDown'));
    expect(faultOutcome(notices, fault)).toEqual({ page: 10, allClear: 10, falseClears: 2 });
  });

  it('has no times when nothing paged, and no all-clear time when none came in the window', () => {
    expect(faultOutcome([n(20_000, 'page', 'RedisDown')], fault)).toEqual({ falseClears: 0 });
    expect(faultOutcome([n(20_000, 'page', 'ApiDown'), n(80_000, 'resolved', 'ApiDown')], fault)).toEqual({
      page: 10,
      allClear: undefined,
      falseClears: 0,
    });
  });

  it('lists the pages no fault explains, by alert', () => {
    const other: FaultWindow = { alerts: ['RedisDown'], injectedAt: 0, repairedAt: 5_000, endAt: 9_000 };
    const notices = [
      n(1_000, 'page', 'RedisDown'),
      n(2_000, 'page', 'ApiDown'),
      n(20_000, 'page', 'ApiDown', 'WebSocketDown'),
      n(21_000, 'resolved', 'WebSocketDown'),
      n(80_000, 'page', 'WebSocketDown'),
    ];
    expect(unexplainedPages(notices, [fault, other])).toEqual([
      { alert: 'ApiDown', at: 2_000 },
      { alert: 'WebSocketDown', at: 20_000 },
      { alert: 'WebSocketDown', at: 80_000 },
    ]);
  });
});
