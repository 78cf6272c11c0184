import { describe, expect, it } from 'vitest';
import { CronSchedule, scheduleKey } from '../src/cron.js';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

function nextFires(expression: string, timezone: string | undefined, from: string, count: number): string[] {
  const schedule = new CronSchedule(expression, timezone);
  const out: string[] = [];
  let t = at(from);
  for (let i = 0; i < count; i++) {
    const next = schedule.next(t);
    if (next === undefined) break;
    out.push(iso(next) ?? '');
    t = next;
  }
  schedule.close();
  return out;
}

describe('CronSchedule.next', () => {
  it('steps five-field expressions minute by minute, strictly after the given instant', () => {
    expect(nextFires('*/15 * * * *', 'UTC', '2026-01-01T00:00:00Z', 3)).toEqual([
      '2026-01-01T00:15:00.000Z',
      '2026-01-01T00:30:00.000Z',
      '2026-01-01T00:45:00.000Z',
    ]);
    expect(nextFires('*/15 * * * *', 'UTC', '2026-01-01T00:14:59.999Z', 1)).toEqual(['2026-01-01T00:15:00.000Z']);
  });

  it('honours seconds in six-field expressions', () => {
    expect(nextFires('10,40 * * * * *', 'UTC', '2026-01-01T00:00:11Z', 3)).toEqual([
      '2026-01-01T00:00:40.000Z',
      '2026-01-01T00:01:10.000Z',
      '2026-01-01T00:01:40.000Z',
    ]);
  });

  it('reads hours in the timezone', () => {
    // Mexico City is UTC-6 all year (no DST since 2022); Guayaquil (the runbook's stack) is UTC-5.
    expect(nextFires('30 2 * * *', 'America/Mexico_City', '2026-01-01T00:00:00Z', 1)).toEqual([
      '2026-01-01T08:30:00.000Z',
    ]);
    expect(nextFires('0 9 * * 1-5', 'America/Guayaquil', '2026-01-02T15:00:00Z', 2)).toEqual([
      '2026-01-05T14:00:00.000Z',
      '2026-01-06T14:00:00.000Z',
    ]);
    // Kathmandu's +05:45 moves minutes too.
    expect(nextFires('0 * * * *', 'Asia/Kathmandu', '2026-01-01T00:00:00Z', 1)).toEqual(['2026-01-01T00:15:00.000Z']);
  });

  it('skips a local time that does not exist when clocks go forward, and fires once when it repeats', () => {
    // Madrid: 2026-03-29 02:00 CET → 03:00 CEST; 2026-10-25 03:00 CEST → 02:00 CET.
    expect(nextFires('30 2 * * *', 'Europe/Madrid', '2026-03-28T12:00:00Z', 2)).toEqual([
      '2026-03-30T00:30:00.000Z',
      '2026-03-31T00:30:00.000Z',
    ]);
    // 02:30 CEST (00:30Z) and 02:30 CET (01:30Z) read the same: the first only, as node-cron's next match.
    expect(nextFires('30 2 * * *', 'Europe/Madrid', '2026-10-24T12:00:00Z', 2)).toEqual([
      '2026-10-25T00:30:00.000Z',
      '2026-10-26T01:30:00.000Z',
    ]);
    expect(nextFires('*/20 2 * * *', 'Europe/Madrid', '2026-10-24T23:59:00Z', 4)).toEqual([
      '2026-10-25T00:00:00.000Z',
      '2026-10-25T00:20:00.000Z',
      '2026-10-25T00:40:00.000Z',
      '2026-10-26T01:00:00.000Z',
    ]);
    // New York: 2026-11-01 02:00 EDT → 01:00 EST, 01:30 at 05:30Z and at 06:30Z.
    expect(nextFires('30 1 * * *', 'America/New_York', '2026-10-31T12:00:00Z', 2)).toEqual([
      '2026-11-01T05:30:00.000Z',
      '2026-11-02T06:30:00.000Z',
    ]);
    // The first hour after a 23-hour day is not jumped over.
    expect(nextFires('15 0 * * *', 'Europe/Madrid', '2026-03-28T12:00:00Z', 2)).toEqual([
      '2026-03-28T23:15:00.000Z',
      '2026-03-29T22:15:00.000Z',
    ]);
  });

  it('fires in the repeated hour when it fires every hour: that hour is one of its own', () => {
    expect(nextFires('0 * * * *', 'Europe/Madrid', '2026-10-24T23:30:00Z', 3)).toEqual([
      '2026-10-25T00:00:00.000Z',
      '2026-10-25T01:00:00.000Z',
      '2026-10-25T02:00:00.000Z',
    ]);
  });

  it('understands names, last day of month, nth weekday and nicknames', () => {
    expect(nextFires('0 0 L * *', 'UTC', '2026-02-10T00:00:00Z', 2)).toEqual([
      '2026-02-28T00:00:00.000Z',
      '2026-03-31T00:00:00.000Z',
    ]);
    expect(nextFires('0 9 * * mon#2', 'UTC', '2026-01-01T00:00:00Z', 1)).toEqual(['2026-01-12T09:00:00.000Z']);
    expect(nextFires('0 3 * jan,jul sun', 'UTC', '2026-02-01T00:00:00Z', 1)).toEqual(['2026-07-05T03:00:00.000Z']);
    expect(nextFires('@daily', 'UTC', '2026-01-01T00:00:00Z', 1)).toEqual(['2026-01-02T00:00:00.000Z']);
  });

  it('finds fire times years away, and none for a day that never comes', () => {
    expect(nextFires('0 0 1 1 *', 'UTC', '2026-01-01T00:00:00Z', 1)).toEqual(['2027-01-01T00:00:00.000Z']);
    // Day of month and day of week must both hold (node-cron), so Feb 29 on a Monday is 2044.
    expect(nextFires('0 0 29 2 1', 'UTC', '2026-01-01T00:00:00Z', 1)).toEqual(['2044-02-29T00:00:00.000Z']);
    // The 31st is never the first Tuesday of its month.
    expect(nextFires('0 0 31 * 2#1', 'UTC', '2026-01-01T00:00:00Z', 1)).toEqual([]);
  });

  it("rejects what node-cron rejects, with node-cron's message", () => {
    expect(() => new CronSchedule('61 * * * *')).toThrow(/minute/i);
    expect(() => new CronSchedule('* * *')).toThrow();
    expect(() => new CronSchedule('* * * * *', 'Mars/Olympus')).toThrow(RangeError);
  });
});

describe('scheduleKey', () => {
  it('is one text for every way of writing a schedule, and another for another schedule', () => {
    const sunday = scheduleKey('0 2 * * 0');
    for (const same of [
      '0 2 * * SUN',
      '0 2 * * sun',
      '0 2 * * 7',
      '0 0 2 * * 0',
      '0 2 */1 JAN-DEC 0',
      ' 0  2 * * 0 ',
    ]) {
      expect(scheduleKey(same)).toBe(sunday);
    }
    expect(scheduleKey('0 2 * * 1,3')).toBe(scheduleKey('0 2 * * WED,MON'));
    for (const other of ['0 2 * * 1', '0 3 * * 0', '0 2 1 * 0', '30 0 2 * * 0'])
      expect(scheduleKey(other)).not.toBe(sunday);
  });

  it('is the fields as written for an expression that is none', () => {
    expect(scheduleKey(' 61  * * * * ')).toBe('61 * * * *');
  });
});
