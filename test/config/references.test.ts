// The second pass: names that must exist, schedules that must make sense, escalation chains that must end.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Quoting } from '../../src/config/quoting.js';
import {
  type CheckedFiles,
  checkReferences,
  type DefinedNames,
  withDefaultEscalation,
} from '../../src/config/references.js';
import { alertsFile, escalationFile } from '../../src/config/schema.js';

const probe = (over: Record<string, unknown> = {}) => ({
  name: 'api',
  kind: 'http',
  url: 'http://api:8000/',
  every: '15s',
  ...over,
});
const rule = (over: Record<string, unknown> = {}) => ({
  name: 'ApiDown',
  sample: 'api.up',
  op: '==',
  thresholds: { P0: 0 },
  ...over,
});
const alerts = (over: Record<string, unknown> = {}) =>
  alertsFile.parse({ probes: [probe()], rules: [rule()], ...over });

const contact = { name: 'CTO', email: 'cto@example.org', channels: ['mail'] };
const level = (over: Record<string, unknown> = {}) => ({
  ack_within: '1h',
  repeat_every: '15m',
  contacts: ['cto'],
  ...over,
});
const escalation = (over: Record<string, unknown> = {}) =>
  escalationFile.parse({
    levels: { P0: level(), P1: level(), P2: level(), P3: level() },
    contacts: { cto: contact },
    channels: {
      mail: { kind: 'email', smtp: { host: 'smtp', from: 'c@example.org' } },
      hook: { kind: 'webhook', format: 'slack', url: 'http://h/' },
    },
    ...over,
  });

/** Messages that may quote every value: none came from the environment. */
const quoteAll = () => new Quoting(z.unknown(), undefined, []);

/** `path: message` for each finding, to read like the operator's output. */
function found(files: CheckedFiles, names?: DefinedNames): string[] {
  return checkReferences(files, quoteAll, names).map((f) => `${f.file} ${f.path.join('.')}: ${f.message}`);
}

describe('alerts.yaml', () => {
  it('accepts a consistent file', () => {
    expect(found({ alerts: alerts(), escalation: escalation() })).toEqual([]);
  });

  it('needs exactly one of every and cron, a valid cron, and a timeout shorter than every', () => {
    const probes = [
      probe({ name: 'a', cron: '*/5 * * * *' }),
      probe({ name: 'b', every: undefined }),
      probe({ name: 'c', every: undefined, cron: '61 * * * *' }),
      probe({ name: 'd', every: '10s' }),
      probe({ name: 'e', every: '10s', timeout: '9s' }),
    ];
    expect(found({ alerts: alerts({ probes, rules: [] }) })).toEqual([
      'alerts probes.0: has both every and cron. Keep one',
      'alerts probes.1: needs a schedule. Write every: 30s, or cron: "*/5 * * * *"',
      'alerts probes.2.cron: "61 * * * *" is not a cron expression. Write five fields (minute hour day month weekday), e.g. "0 2 * * 0"',
      'alerts probes.3.timeout: 10s is not shorter than every (10s), so a run could still be going when the next is due. Lower timeout (default 10s) or raise every',
    ]);
  });

  it('refuses duplicate names and rules naming unknown probes', () => {
    const a = alerts({
      probes: [probe(), probe()],
      rules: [rule({ diagnose: ['api', 'db'] }), rule({ sample: 'apii.up' })],
      maintenance: [
        { name: 'w', cron: '0 2 * * 0', duration: '1h' },
        { name: 'w', cron: '0 2 * * 0', duration: '1h', timezone: 'Mars/Olympus' },
      ],
    });
    expect(found({ alerts: a })).toEqual([
      'alerts probes.1.name: "api" is already the name of probes[0]. Names must be unique',
      'alerts rules.1.name: "ApiDown" is already the name of rules[0]. Names must be unique',
      'alerts maintenance.1.name: "w" is already the name of maintenance[0]. Names must be unique',
      'alerts rules.0.diagnose.1: no probe "db". Defined: api.',
      'alerts rules.1.sample: no probe "apii". Did you mean "api"? Defined: api.',
      'alerts maintenance.1.timezone: "Mars/Olympus" is not a time zone. Write an IANA name such as America/Guayaquil or UTC',
    ]);
  });

  it('refuses an alertname or probe matcher of a window or an inhibition that nothing the config defines satisfies', () => {
    let n = 0;
    const window = (match: Record<string, string>) => ({ name: `w${n++}`, cron: '0 2 * * 0', duration: '1h', match });
    const a = alerts({
      maintenance: [
        window({ alertname: 'ApiDwn', probe: 'apx' }),
        // Built-in alerts, regexes each alternative of which matches a name, other labels and negative matchers on
        // names that exist are all fine; a negative matcher on a name that does not exist matches every alert.
        window({ alertname: '=~Api.*|HealthNotBack', probe: 'api', instance: 'x' }),
        window({ alertname: 'CannotMeasure', probe: '!=nope' }),
        window({ alertname: '!~ApiDown' }),
        window({ probe: '=~db|redis' }),
        // A regex some name matches does not carry an alternative that matches none, in a group too.
        window({ alertname: '=~^(Api.*|Nothing)$' }),
      ],
      inhibit: [
        { source: { alertname: 'HealthNotBack' }, target: { alertname: 'cannotmeasure' } },
        { source: { probe: 'zzzzzz' }, target: { alertname: 'ApiDown' } },
        { source: { alertname: 'ApiDown' }, target: { alertname: '!=HealthNotBak' } },
      ],
    });
    expect(found({ alerts: a })).toEqual([
      'alerts maintenance.0.match.alertname: "ApiDwn" matches no alert: no rule is named so. Did you mean "ApiDown"?',
      'alerts maintenance.0.match.probe: "apx" matches no alert: no probe is named so. Did you mean "api"?',
      'alerts maintenance.2.match.probe: "!=nope" matches every alert: no probe is named so. Defined: api.',
      'alerts maintenance.4.match.probe: "=~db|redis" matches no alert: no probe is named "db" (nor "redis"). Defined: api.',
      'alerts maintenance.5.match.alertname: "=~^(Api.*|Nothing)$" lists a name no rule has: no rule is named "Nothing". ' +
        'Defined: ApiDown, CannotMeasure, HealthNotBack.',
      'alerts inhibit.0.target.alertname: "cannotmeasure" matches no alert: no rule is named so. Did you mean "CannotMeasure"?',
      'alerts inhibit.1.source.probe: "zzzzzz" matches no alert: no probe is named so. Defined: api.',
      'alerts inhibit.2.target.alertname: "!=HealthNotBak" matches every alert: no rule is named so. ' +
        'Did you mean "HealthNotBack"?',
    ]);
  });

  it('refuses a recurring window as long as the shortest time between two openings of its cron', () => {
    let n = 0;
    // Each its own alerts, and no cap: only how often it opens counts here.
    const window = (cron: string, duration: string) => ({ name: `w${n}`, cron, duration, match: { x: `w${n++}` } });
    const maintenance = [
      window('0 2 * * 0', '7d'),
      window('0 2 * * 0', '6d23h59m'),
      // Weekdays: Friday to Monday is 3d, but Monday to Tuesday is 1d.
      window('0 2 * * 1-5', '1d'),
      window('0 2 * * 1-5', '23h'),
      window('*/30 * * * *', '1h'),
      // Yearly: one gap is enough.
      window('0 0 1 1 *', '400d'),
      window('0 0 1 1 *', '364d'),
      // A repeated hour when clocks go back is not the cron's period: the window opens once in it.
      { ...window('30 1 * * *', '2h'), timezone: 'America/New_York' },
      { ...window('0 2 * * *', '1h'), timezone: 'Europe/Madrid' },
      // The night clocks go forward, 01:00 CET (00:00Z) to 03:00 CEST (01:00Z) is an hour, and a week of Sundays at
      // 03:00 is 6d23h: the openings are laid out in the window's own zone.
      { ...window('0 1,3 * * *', '1h'), timezone: 'Europe/Madrid' },
      { ...window('0 1,3 * * *', '59m'), timezone: 'Europe/Madrid' },
      { ...window('0 3 * * 0', '6d23h30m'), timezone: 'Europe/Madrid' },
    ];
    const lower = (d: string, gap: string, cron: string) =>
      `${d} is not shorter than the ${gap} between two openings of its cron ("${cron}"), so the window is still open ` +
      `when it opens again: the openings run together, and at the cron's period it never closes. Lower duration ` +
      `below ${gap}, or open it less often`;
    expect(found({ alerts: alerts({ maintenance, evaluation: { window_max: { P0: '1000d' } } }) })).toEqual([
      `alerts maintenance.0.duration: ${lower('7d', '7d', '0 2 * * 0')}`,
      `alerts maintenance.2.duration: ${lower('1d', '1d', '0 2 * * 1-5')}`,
      `alerts maintenance.4.duration: ${lower('1h', '30m', '*/30 * * * *')}`,
      `alerts maintenance.5.duration: ${lower('400d', '365d', '0 0 1 1 *')}`,
      `alerts maintenance.9.duration: ${lower('1h', '1h', '0 1,3 * * *')}`,
      `alerts maintenance.11.duration: ${lower('6d23h30m', '6d23h', '0 3 * * 0')}`,
    ]);
  });

  it('holds a recurring window to evaluation.window_max for the alerts it could hold back, as a one-shot one', () => {
    let n = 0;
    // Each on its own day of the week, so none runs on from another.
    const window = (duration: string, match?: Record<string, string>) => ({
      name: `w${n}`,
      cron: `0 2 * * ${n++}`,
      duration,
      ...(match ? { match } : {}),
    });
    const rules = [rule(), rule({ name: 'DiskFull', thresholds: { P2: 90 }, op: '>' })];
    const maintenance = [
      window('2h'),
      window('1h'),
      window('3h', { alertname: 'DiskFull' }),
      window('2h', { alertname: '=~ApiDown|DiskFull' }),
      window('5h', { priority: '!=P0' }),
      window('7h', { alertname: 'DiskFull' }),
    ];
    const evaluation = { window_max: { P2: '6h' } };
    expect(found({ alerts: alerts({ rules, maintenance, evaluation }) })).toEqual([
      'alerts maintenance.0.duration: 2h is too long: it could match ApiDown at P0, and P0 maintenance windows may ' +
        'last at most 1h (evaluation.window_max). Make its duration 1h or shorter, or narrow the matchers so they ' +
        'exclude ApiDown',
      'alerts maintenance.3.duration: 2h is too long: it could match ApiDown at P0, and P0 maintenance windows may ' +
        'last at most 1h (evaluation.window_max). Make its duration 1h or shorter, or narrow the matchers so they ' +
        'exclude ApiDown',
      'alerts maintenance.5.duration: 7h is too long: it could match DiskFull at P2, and P2 maintenance windows may ' +
        'last at most 6h (evaluation.window_max). Make its duration 6h or shorter, or narrow the matchers so they ' +
        'exclude DiskFull',
    ]);
    // What a source may send counts too, whatever its name.
    const sources = [{ name: 'prometheus', token: 'a'.repeat(32), page_p0: true }];
    expect(
      found({ alerts: alerts({ rules, sources, maintenance: [window('3h', { alertname: 'DiskFull' })] }) }),
    ).toEqual([expect.stringContaining('3h is too long: it could match an alert from source "prometheus" at P0')]);
  });

  it('refuses recurring windows that run on from one another into a span longer than the cap, at the later one', () => {
    const window = (name: string, cron: string, duration: string, over: Record<string, unknown> = {}) => ({
      name,
      cron,
      duration,
      ...over,
    });
    const disk = { alertname: 'DiskFull' };
    const rules = [rule(), rule({ name: 'DiskFull', thresholds: { P2: 90 }, op: '>' })];
    const maintenance = [
      // Sundays 02:00–02:40 and 02:40–03:20 (the day written another way): 1h20m of every alert, ApiDown's cap is 1h.
      window('backup', '0 2 * * 0', '40m'),
      window('vacuum', '40 2 * * SUN', '40m'),
      // Overlapping, on DiskFull alone (P2, 6h): 10:00–14:00 and 13:00–17:00 are 7h.
      window('disk-a', '0 10 * * 0', '4h', { match: disk }),
      window('disk-b', '0 13 * * 0', '4h', { match: disk }),
      // A minute apart: two windows.
      window('gap-a', '0 20 * * 0', '30m'),
      window('gap-b', '31 20 * * 0', '30m'),
      // One instance after the other: no alert is held by both.
      window('db1', '0 2 * * 3', '1h', { match: { instance: 'db1' } }),
      window('db2', '0 3 * * 3', '1h', { match: { instance: 'db2' } }),
      // Three in a row, each pair 1h (not over the cap), the three 1h30m.
      window('t1', '0 4 * * 2', '30m'),
      window('t2', '30 4 * * 2', '30m'),
      window('t3', '0 5 * * 2', '30m'),
      // In two time zones: Thursday 02:00 UTC, and Wednesday 21:45 in Guayaquil (UTC-5), Thursday 02:45 UTC.
      window('utc', '0 2 * * 4', '45m'),
      window('guayaquil', '45 21 * * 3', '45m', { timezone: 'America/Guayaquil' }),
    ];
    const evaluation = { window_max: { P2: '6h' } };
    const runOn = (
      i: number,
      name: string,
      before: string,
      alert: string,
      p: string,
      span: string,
      from: string,
      max: string,
    ) =>
      `alerts maintenance.${i}.cron: "${name}" runs on from ${before} with no gap: together they hold back ${alert} ` +
      `for ${span} in a row (from ${from}), and ${p} maintenance windows may last at most ${max} ` +
      `(evaluation.window_max). Leave a gap between them, make them ${max} or shorter together, or narrow match so ` +
      `they do not all hold back ${alert}`;
    expect(found({ alerts: alerts({ rules, maintenance, evaluation }) })).toEqual([
      runOn(1, 'vacuum', '"backup" (maintenance[0])', 'ApiDown', 'P0', '1h20m', '2026-01-04T02:00:00Z', '1h'),
      runOn(3, 'disk-b', '"disk-a" (maintenance[2])', 'DiskFull', 'P2', '7h', '2026-01-04T10:00:00Z', '6h'),
      runOn(
        10,
        't3',
        '"t1" (maintenance[8]) and "t2" (maintenance[9])',
        'ApiDown',
        'P0',
        '1h30m',
        '2026-01-06T04:00:00Z',
        '1h',
      ),
      runOn(12, 'guayaquil', '"utc" (maintenance[11])', 'ApiDown', 'P0', '1h30m', '2026-01-01T02:00:00Z', '1h'),
    ]);
  });

  it('refuses the same recurring window twice under another name, naming the first', () => {
    const window = (name: string, over: Record<string, unknown>) => ({
      name,
      cron: '0 2 * * 0',
      duration: '30m',
      ...over,
    });
    const maintenance = [
      window('backup', { match: { alertname: 'ApiDown', instance: 'db1' } }),
      window('backup-again', { cron: '0  2 * * 0 ', match: { instance: 'db1', alertname: 'ApiDown' } }),
      // Another time zone, other alerts, another cron: other windows.
      window('backup-utc', { timezone: 'America/Guayaquil', match: { alertname: 'ApiDown', instance: 'db1' } }),
      window('backup-db2', { match: { alertname: 'ApiDown', instance: 'db2' } }),
      window('backup-monday', { cron: '0 2 * * 1', match: { alertname: 'ApiDown', instance: 'db1' } }),
      window('everything', {}),
      window('everything-longer', { duration: '45m' }),
      // The same schedule written another way: Sunday as SUN or 7, a seconds field, UTC by another of its names.
      window('backup-sun', { cron: '0 2 * * SUN', match: { alertname: 'ApiDown', instance: 'db1' } }),
      window('backup-7', {
        cron: '0 0 2 * * 7',
        timezone: 'Etc/UTC',
        match: { alertname: 'ApiDown', instance: 'db1' },
      }),
    ];
    expect(found({ alerts: alerts({ maintenance }) })).toEqual([
      'alerts maintenance.1: "backup-again" is the same window as maintenance[0] ("backup"): the same cron in the ' +
        'same time zone holding back the same alerts. Keep one of them',
      'alerts maintenance.6: "everything-longer" is the same window as maintenance[5] ("everything"): the same cron ' +
        'in the same time zone holding back the same alerts, for another duration. Keep one of them',
      'alerts maintenance.7: "backup-sun" is the same window as maintenance[0] ("backup"): the same cron in the ' +
        'same time zone holding back the same alerts. Keep one of them',
      'alerts maintenance.8: "backup-7" is the same window as maintenance[0] ("backup"): the same cron in the ' +
        'same time zone holding back the same alerts. Keep one of them',
    ]);
  });

  it('keeps a clear threshold on the good side of every threshold', () => {
    const rules = [
      rule({ name: 'a', op: '>', thresholds: { P2: 80, P1: 90 }, clear_threshold: 75 }),
      rule({ name: 'b', op: '>', thresholds: { P2: 80, P1: 90 }, clear_threshold: 85 }),
      rule({ name: 'c', op: '<', thresholds: { P2: 14, P1: 7 }, clear_threshold: 10 }),
      rule({ name: 'd', op: '==', clear_threshold: 1 }),
    ];
    expect(found({ alerts: alerts({ rules }) })).toEqual([
      'alerts rules.1.clear_threshold: 85 is above the lowest threshold (80); with op >, it must be at or below it',
      'alerts rules.2.clear_threshold: 10 is below the highest threshold (14); with op <, it must be at or above it',
      'alerts rules.3.clear_threshold: only works with >, >=, < or <=, not ==. Remove it',
    ]);
  });

  it('reports what the rules compiler refuses: templates and the names of built-in alerts', () => {
    const rules = [
      rule({ description: 'down for {{ duration }}' }),
      rule({ name: 'CannotMeasure', summary: '{{ value | seconds | percent }}' }),
    ];
    expect(found({ alerts: alerts({ rules }) })).toEqual([
      'alerts rules.0.description: unknown variable "duration" in {{ duration }}. Use value, threshold, ' +
        'clear_threshold, op, priority, alertname, probe, for, clear_for, active_for, or labels.<name> (e.g. labels.container)',
      'alerts rules.1.name: "CannotMeasure" is the name of an alert centinela raises itself; pick another',
      'alerts rules.1.summary: {{ value | seconds | percent }}: use one filter; each one adds a unit',
    ]);
  });
});

describe('entries the schema refused', () => {
  const e = escalation();

  it('checks the entries that passed, keeping the indices of the file', () => {
    const a = alerts({ probes: [probe({ name: 'a' }), probe({ name: 'b', timeout: '1m' })], rules: [] });
    const rules = [undefined, alerts({ rules: [rule({ sample: 'nope.up' })] }).rules[0]];
    const names = { alerts: { probes: ['a', 'b'], rules: ['Broken', 'ApiDown'] }, escalation: { levels: ['P0'] } };
    expect(found({ alerts: { ...a, probes: [undefined, a.probes[1]], rules } }, names)).toEqual([
      'alerts probes.1.timeout: 1m is not shorter than every (15s), so a run could still be going when the next is due. Lower timeout (default 10s) or raise every',
      'alerts rules.1.sample: no probe "nope". Defined: a, b.',
    ]);
  });

  it('takes a name a refused entry defines as existing: its own problem is told where it is', () => {
    const a = alerts({ probes: [], rules: [rule({ sample: 'db.up', diagnose: ['db'] })] });
    const names = { alerts: { probes: ['db'], rules: ['ApiDown'] }, escalation: { levels: ['P0'] } };
    expect(found({ alerts: a }, names)).toEqual([]);
  });

  it('takes a refused rule or probe as existing for windows and inhibitions, and checks none when names are unknown', () => {
    const a = alerts({
      probes: [],
      rules: [],
      maintenance: [{ name: 'w', cron: '0 2 * * 0', duration: '1h', match: { alertname: 'Broken', probe: 'db' } }],
      inhibit: [{ source: { alertname: 'Broken' }, target: { probe: 'db' } }],
    });
    expect(found({ alerts: a }, { alerts: { probes: ['db'], rules: ['Broken'] } })).toEqual([]);
    expect(found({ alerts: a }, { alerts: { probes: ['db'] } })).toEqual([]);
    expect(found({ alerts: a }, { alerts: { rules: ['Broken'] } })).toEqual([]);
  });

  it('finds duplicate names among refused entries too', () => {
    const names = { alerts: { probes: ['api', undefined, 'api'] } };
    expect(found({ alerts: alerts({ probes: [], rules: [] }) }, names)).toEqual([
      'alerts probes.2.name: "api" is already the name of probes[0]. Names must be unique',
    ]);
  });

  it('checks nothing against a collection whose names are not known', () => {
    const a = alerts({ rules: [rule({ sample: 'nope.up', thresholds: { P2: 1 } })] });
    const levels = { P0: e.levels.P0, P1: { ...e.levels.P1, contacts: ['ghost'] } } as typeof e.levels;
    expect(found({ alerts: a, escalation: { ...e, levels } }, { alerts: {}, escalation: {} })).toEqual([]);
    // With the names the entries define, each of those is a problem.
    expect(found({ alerts: a, escalation: { ...e, levels } })).toEqual([
      'alerts rules.0.sample: no probe "nope". Defined: api.',
      'escalation levels.P1.contacts.0: no contact "ghost". Defined: cto.',
      'alerts rules.0.thresholds.P2: no level P2 in escalation.yaml, so nobody would be paged. Defined: P0, P1',
      'alerts evaluation.cannot_measure: "cannot measure" alerts go to P2, but escalation.yaml has no level P2. Use one of P0, P1',
    ]);
  });

  it('checks the contacts of a level’s steps', () => {
    const steps = [{ after: 300_000, contacts: ['cto', 'ghost'] }];
    const levels = { P0: { ...e.levels.P0, steps }, P1: e.levels.P1 } as typeof e.levels;
    expect(found({ escalation: { ...e, levels } })).toEqual([
      'escalation levels.P0.steps.0.contacts.1: no contact "ghost". Defined: cto.',
    ]);
  });

  it('does not look for cycles or usable channels through a refused level or channel', () => {
    const levels = { P0: e.levels.P0, P1: { ...e.levels.P1, escalate_to: 'P3' } } as typeof e.levels;
    const contacts = { cto: { ...contact, email: undefined, channels: ['mail', 'hook'] } };
    const names = { escalation: { levels: ['P0', 'P1', 'P2', 'P3'], contacts: ['cto'], channels: ['mail', 'hook'] } };
    const channels = { mail: e.channels.mail } as typeof e.channels;
    expect(found({ escalation: { ...e, levels, contacts, channels } }, names)).toEqual([]);
    // The same with every level and channel present: P1 → P3 → P2 → P1 is a cycle, and cto has only email.
    expect(
      found({
        escalation: {
          ...e,
          levels: { ...e.levels, P1: levels.P1 },
          contacts: { cto: { ...contact, email: undefined } },
        },
      }),
    ).toEqual([
      'escalation levels.P1.escalate_to: escalation cycle P1 → P3 → P2 → P1. A level without escalate_to climbs to the next more urgent one; end the chain with escalate_to: none',
      'escalation contacts.cto: has no usable channel: mail is an email channel and it has no email. Add email: or a webhook channel',
    ]);
  });
});

describe('escalation.yaml', () => {
  it('needs a level at all', () => {
    expect(found({ escalation: escalation({ levels: {} }) })).toEqual([
      'escalation levels: defines no level. Define at least P0 (ack_within, repeat_every, contacts)',
    ]);
  });

  it('checks contacts, channels and email addresses', () => {
    const e = escalation({
      contacts: {
        cto: contact,
        quiet: { name: 'Quiet' },
        lost: { name: 'Lost', email: 'lost@example.org', channels: ['mial'] },
        odd: { name: 'Odd', email: 'not-an-address', channels: ['hook'] },
        named: { name: 'Named', email: 'Ops <ops@example.org>', channels: ['mail'] },
      },
    });
    expect(found({ escalation: e })).toEqual([
      'escalation contacts.quiet: has no channels, so nobody could page it. Add channels: [mail]',
      'escalation contacts.lost.channels.0: no channel "mial". Did you mean "mail"? Defined: mail, hook.',
      'escalation contacts.odd.email: "not-an-address" is not an email address',
    ]);
  });

  it('needs a phone for a contact paged over a Twilio SMS or call channel (an empty ${PHONE:-} is none)', () => {
    const sms = { kind: 'webhook', format: 'twilio', account_sid: 'AC1', auth_token: 't', from: '+15005550006' };
    const e = escalation({
      channels: {
        sms,
        call: { ...sms, mode: 'call' },
        mail: { kind: 'email', smtp: { host: 'smtp', from: 'c@example.org' } },
      },
      contacts: {
        cto: { ...contact, phone: '', channels: ['sms', 'mail'] },
        lead: { ...contact, phone: '+593 99 000 0000', channels: ['sms', 'call'] },
        devops: { ...contact, channels: ['call'] },
        ops: { ...contact, channels: ['mail', 'sms', 'call'] },
      },
    });
    expect(found({ escalation: e })).toEqual([
      'escalation contacts.cto: has no phone, and sms sends SMS to it. Add phone: "+593 99 123 4567"',
      'escalation contacts.devops: has no phone, and call calls it. Add phone: "+593 99 123 4567"',
      'escalation contacts.ops: has no phone, and sms or call text or call it. Add phone: "+593 99 123 4567"',
    ]);
  });

  it('refuses escalate_to a level that is not defined', () => {
    const e = escalation({ levels: { P1: level({ escalate_to: 'P0' }), P2: level() } });
    expect(found({ escalation: e })).toEqual([
      'escalation levels.P1.escalate_to: no level P0. Defined: P1, P2; or write none',
    ]);
  });

  it('reports a cycle once, at the level that closes it', () => {
    const e = escalation({ levels: { P0: level(), P1: level({ escalate_to: 'P3' }), P2: level(), P3: level() } });
    expect(found({ escalation: e })).toEqual([
      'escalation levels.P1.escalate_to: escalation cycle P1 → P3 → P2 → P1. A level without escalate_to climbs to the next more urgent one; end the chain with escalate_to: none',
    ]);
  });

  it('fills escalate_to with the next more urgent defined level, and none at the top', () => {
    const e = withDefaultEscalation(
      escalation({ levels: { P1: level(), P3: level(), P2: level({ escalate_to: 'none' }) } }),
    );
    expect(Object.fromEntries(Object.entries(e.levels).map(([p, l]) => [p, l?.escalate_to]))).toEqual({
      P1: 'none',
      P2: 'none',
      P3: 'P2',
    });
  });
});

describe('across files', () => {
  it('needs a level for every priority a rule or "cannot measure" can page', () => {
    const a = alerts({
      rules: [rule({ op: '>', thresholds: { P1: 1, P3: 0 } })],
      evaluation: { cannot_measure: 'P2' },
    });
    const e = escalation({ levels: { P0: level(), P1: level() } });
    expect(found({ alerts: a, escalation: e })).toEqual([
      'alerts rules.0.thresholds.P3: no level P3 in escalation.yaml, so nobody would be paged. Defined: P0, P1',
      'alerts evaluation.cannot_measure: "cannot measure" alerts go to P2, but escalation.yaml has no level P2. Use one of P0, P1',
    ]);
  });
});
