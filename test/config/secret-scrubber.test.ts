// scrubberFor: each secret of a config (a probe's, a channel's) is hidden in a message wherever and however often it
// appears, read literally, whole or as a URL's password, percent-encoded or decoded; a URL's path only when asked
// (a hook's token lives there, a database's name does not); a config without secrets changes nothing.
import { describe, expect, it } from 'vitest';
import { probeConfig } from '../../src/config/probes.js';
import { webhookChannel } from '../../src/config/schema.js';
import { scrubberFor as scrubberOf } from '../../src/config/secret.js';
import { worstRegexText } from '../support/worst-regex-text.js';

const scrubberFor = (input: Record<string, unknown>) =>
  scrubberOf(probeConfig.parse({ name: 'db', every: '30s', ...input }), { urlPaths: false });

describe('scrubberFor', () => {
  it('hides a hook URL’s path and query when asked, and leaves a database name alone when not', () => {
    const hook = webhookChannel.parse({
      kind: 'webhook',
      format: 'slack',
      url: 'https://hooks.slack.com/services/T000/B000/XXXXsecretXXXX?x=1',
    });
    expect(scrubberOf(hook, { urlPaths: true })('Cannot POST /services/T000/B000/XXXXsecretXXXX?x=1 (/ ok)')).toBe(
      'Cannot POST <secret> (/ ok)',
    );
    const db = scrubberFor({ kind: 'postgres', url: 'postgres://app:hunter2-pw@db:5432/grupo_gad' });
    expect(db('database "grupo_gad" refused app:hunter2-pw')).toBe('database "grupo_gad" refused app:<secret>');
  });

  it("walks a config's data only, not a compiled matcher's regex that has run (it points back at itself)", () => {
    // Review r13g D2: once its DFA gave up, re2js kept a machine pointing back at the regex, and building the scrubber
    // of a metrics probe with such a match overflowed the stack, which ended the daemon.
    const config = probeConfig.parse({
      name: 'api',
      every: '30s',
      kind: 'metrics',
      url: 'http://api:8000/metrics',
      headers: { Authorization: 'Bearer hunter2-S3cr3t-token' },
      rates: [{ metric: 'r', as: 'req_rate', match: { route: '=~.*a.{999}b' } }],
    });
    const regex = (config as { rates: { match: { regex?: { test(s: string): boolean } }[] }[] }).rates[0]?.match[0]
      ?.regex;
    expect(regex?.test(worstRegexText(4_000))).toBe(false);
    const scrub = scrubberOf(config, { urlPaths: false });
    expect(scrub('refused Bearer hunter2-S3cr3t-token')).toBe('refused <secret>');
  });

  it('hides a password every time it appears', () => {
    const scrub = scrubberFor({ kind: 'postgres', url: 'postgres://app:hunter2-pw@db:5432/app' });
    expect(scrub('auth failed: hunter2-pw; retried with hunter2-pw (hunter2-pwhunter2-pw)')).toBe(
      'auth failed: <secret>; retried with <secret> (<secret><secret>)',
    );
  });

  it('reads a password made of regular-expression characters literally', () => {
    const scrub = scrubberFor({ kind: 'redis', url: 'redis://db:6379', password: 'a.b*c+(d)?[e]$^|\\' });
    expect(scrub('WRONGPASS a.b*c+(d)?[e]$^|\\ for axbbbcd')).toBe('WRONGPASS <secret> for axbbbcd');
  });

  it('hides a URL whole, and its password both percent-encoded and decoded', () => {
    const url = 'postgres://app:p%40ss%2Fw%20rd@db:5432/app';
    const scrub = scrubberFor({ kind: 'postgres', url });
    expect(scrub(`connecting to ${url}: bad password "p@ss/w rd" (sent as p%40ss%2Fw%20rd)`)).toBe(
      'connecting to <secret>: bad password "<secret>" (sent as <secret>)',
    );
  });

  it('hides the password of `password:` and the one in the URL alike', () => {
    const scrub = scrubberFor({ kind: 'redis', url: 'redis://:url-pw-1234@db:6379', password: 'field-pw-5678' });
    expect(scrub('tried url-pw-1234, then field-pw-5678')).toBe('tried <secret>, then <secret>');
  });

  it('leaves the text alone when the config has no password', () => {
    const scrub = scrubberFor({ kind: 'postgres', url: 'postgres://app@db:5432/app' });
    expect(scrub('connection refused (db:5432) for app')).toBe('connection refused (db:5432) for app');
  });
});
