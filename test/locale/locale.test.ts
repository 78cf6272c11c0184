// t() fills a message in; localTime() shows an instant on the clocks of a zone, with its offset.
import { describe, expect, it } from 'vitest';
import { localTime, t, validTimeZone } from '../../src/locale/locale.js';

describe('t', () => {
  it('fills each placeholder of the message in the language asked for', () => {
    expect(t('es', 'headline.escalated', { level: 'P0', title: 'API caída' })).toBe(
      'Escalada a P0, sin reconocer: API caída',
    );
    expect(t('en', 'headline.escalated', { level: 'P0', title: 'API down' })).toBe(
      'Escalated to P0, not acknowledged: API down',
    );
    expect(t('es', 'tag.resolved')).toBe('RESUELTA');
  });

  it.each([
    ['es', 1, '1 activa — centinela'],
    ['es', 2, '2 activas — centinela'],
    ['es', 0, '0 activas — centinela'],
    ['en', 1, '1 firing — centinela'],
  ] as const)('agrees with the number in %s: %d', (locale, count, text) => {
    expect(t(locale, 'status.title', { count })).toBe(text);
  });

  it('agrees each counted word with its own number', () => {
    expect(t('es', 'status.counts', { firing: 1, pending: 2, down: 1, probes: 1 })).toBe(
      '1 activa · 2 pendientes · 1 de 1 sonda caída · actualizado',
    );
    expect(t('en', 'status.counts', { firing: 1, pending: 0, down: 0, probes: 1 })).toBe(
      '1 firing · 0 pending · 0 of 1 probe down · updated',
    );
    expect(t('en', 'status.attempts', { count: 1 })).toBe('1 attempt');
    expect(t('es', 'chart.runsLabel', { count: 1, down: 1 })).toBe('Última 1 ejecución, 1 caída');
    expect(t('en', 'page.moreAlerts', { count: 1 })).toBe('…and 1 more alert');
  });

  it('leaves braces in a value as they are, so a summary cannot pull in another placeholder', () => {
    expect(t('en', 'headline.acknowledged', { who: '{title}', title: 'x' })).toBe('Acknowledged by {title}: x');
  });
});

describe('localTime', () => {
  const at = Date.UTC(2026, 11, 4, 13, 15, 3, 900);

  it.each([
    ['America/Guayaquil', '2026-12-04 08:15:03 (UTC−05:00)'],
    ['UTC', '2026-12-04 13:15:03 (UTC+00:00)'],
    ['Asia/Kolkata', '2026-12-04 18:45:03 (UTC+05:30)'],
    ['Pacific/Chatham', '2026-12-05 03:00:03 (UTC+13:45)'],
  ])('shows the time in %s with its offset', (zone, shown) => {
    expect(localTime(at, zone)).toBe(shown);
  });

  it('follows daylight saving: New York is five hours behind in winter, four in summer', () => {
    expect(localTime(Date.UTC(2026, 0, 15, 12), 'America/New_York')).toBe('2026-01-15 07:00:00 (UTC−05:00)');
    expect(localTime(Date.UTC(2026, 6, 15, 12), 'America/New_York')).toBe('2026-07-15 08:00:00 (UTC−04:00)');
  });

  it('shows midnight as 00, never 24', () => {
    expect(localTime(Date.UTC(2026, 11, 4, 5), 'America/Guayaquil')).toBe('2026-12-04 00:00:00 (UTC−05:00)');
  });
});

describe('validTimeZone', () => {
  it('knows IANA names and refuses others', () => {
    expect(validTimeZone('America/Guayaquil')).toBe(true);
    expect(validTimeZone('UTC')).toBe(true);
    expect(validTimeZone('America/Guayaqil')).toBe(false);
    expect(validTimeZone('')).toBe(false);
  });
});
