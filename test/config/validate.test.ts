// Every problem in one run: a YAML error does not hide the schema's, a refused entry does not hide the
// cross-references of the others, and nothing is reported that only follows from another problem.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, fixture, problems, VALID } from '../support/config-fixtures.js';

describe('problems of all three stages in one run', () => {
  it('reports YAML, schema and cross-reference problems of both files at once, each once', () => {
    const dir = join(FIXTURES, 'every-stage');
    expect(problems(dir, fixture('every-stage'))).toBe(
      [
        // YAML: a duplicate key does not stop the file from being checked.
        `${dir}/alerts.yaml:8:5  probes[0]: key "timeout" appears twice. Keep one.`,
        `${dir}/alerts.yaml:9:11  probes[1].name: "api_health" is already the name of probes[0]. Names must be unique.`,
        // A secret URL is shown with its password replaced and its path left out.
        `${dir}/alerts.yaml:15:10  probes[2].url: "mysql://centinela:xxxxx@db:5432/…" must start with postgres:// or ` +
          'postgresql://. Write e.g. postgres://user:${PASSWORD}@db:5432/app.',
        // A heartbeat without its period is refused; the rule on it still finds it.
        `${dir}/alerts.yaml:17:5  probes[3]: missing key "expect_every". Write 500ms, 15s, 5m, 1h30m or 1d.`,
        // Rules on the refused probes say nothing: those probes exist.
        `${dir}/alerts.yaml:22:13  rules[0].sample: no probe "nope". Defined: api_health, db, backup_push.`,
        `${dir}/alerts.yaml:32:23  rules[2].thresholds.P1: expected a number, not "zero". Write a number such as 0.5.`,
        `${dir}/alerts.yaml:39:23  YAML: !=200 is read as a YAML tag, since it starts with !. Quote the value: "!=200".`,
        `${dir}/escalation.yaml:2:60  levels.P0.contacts[1]: no contact "ctoo". Did you mean "cto"? Defined: cto, lead, ops.`,
        `${dir}/escalation.yaml:3:21  levels.P1.ack_within: "1 hour" is not a duration. Write 90s, 5m or 1h30m.`,
        `${dir}/escalation.yaml:4:74  levels.P2.escalate_to: P2 escalates to itself. Write a more urgent level or none.`,
        `${dir}/escalation.yaml:7:5  levels.P3: key "ack_within" appears twice. Keep one.`,
        `${dir}/escalation.yaml:12:9  contacts.lead: has no usable channel: email is an email channel and it has no ` +
          'email. Add email: or a webhook channel.',
        `${dir}/escalation.yaml:12:46  contacts.lead.channels[1]: no channel "ops_webhok". Did you mean "ops_webhook"? ` +
          'Defined: email, ops_webhook.',
        // The ops contact and the ops_webhook channel are refused, yet level P3 and contact ops still find them.
        `${dir}/escalation.yaml:13:70  contacts.ops: unknown key "pager". Use name, email, phone or channels.`,
        `${dir}/escalation.yaml:22:14  channels.ops_webhook.timeout: "10 seconds" is not a duration. Write 90s, 5m or 1h30m.`,
        '15 problems in 2 files; nothing was started.',
      ].join('\n'),
    );
  });

  it('checks the entries before a structural YAML error, and nothing that error may have misread', () => {
    // The unclosed quote takes in the rest of the file: rule ApiSlow and probe db after it are not there to check,
    // so neither "no probe db" for the rule before it nor the yaml errors that follow from the quote are told.
    const alerts = VALID.alerts
      .replace('    timeout: 5s', '    timeout: 5 s')
      .replace('thresholds: { P0: 0 }', 'thresholds: { P0: 0 }\n    diagnose: [db]')
      .concat('  - name: ApiSlow\n    sample: api_health.up\n    op: "=="\n    thresholds: { P1: "2 }\n')
      .concat('probes:\n  - name: db\n    kind: postgres\n    url: postgres://db/app\n    every: 30s\n');
    expect(problems('c', { ...VALID, alerts })).toBe(
      [
        'c/alerts.yaml:7:14  probes[0].timeout: "5 s" is not a duration. Write 90s, 5m or 1h30m.',
        'c/alerts.yaml:17:23  YAML: a value opened with " is never closed. Add the closing ".',
        '2 problems in 1 file; nothing was started.',
      ].join('\n'),
    );
  });

  it('does not call a key missing when a wrongly indented line below may have been meant for it', () => {
    const alerts = VALID.alerts.replace('    every: 15s', '   every: 15s').replace('    op: "=="', '    op: "=>"');
    expect(problems('c', { ...VALID, alerts })).toBe(
      'c/alerts.yaml:6:1  YAML: this line is indented less than the keys above it. Line it up with them, or start ' +
        'a list entry with -.\n1 problem in 1 file; nothing was started.',
    );
  });

  it("keeps the PostgreSQL store's unreachable_hold between 1s and 1h", () => {
    const centinela = (hold: string) =>
      `state:\n  kind: postgres\n  url: postgres://db/centinela\n  unreachable_hold: ${hold}\n`;
    expect(problems('c', { ...VALID, centinela: centinela('500ms') })).toBe(
      'c/centinela.yaml:4:21  state.unreachable_hold: "500ms" must be between 1s and 1h. Write e.g. 1m.\n' +
        '1 problem in 1 file; nothing was started.',
    );
    expect(problems('c', { ...VALID, centinela: centinela('2h') })).toContain('must be between 1s and 1h');
    expect(problems('c', { ...VALID, centinela: centinela('forever') })).toContain(
      'state.unreachable_hold: "forever" is not a duration',
    );
    expect(() => problems('c', { ...VALID, centinela: centinela('2m') })).toThrow('loaded without a problem');
  });

  it("asks centinela's own heartbeat for its URL and a duration", () => {
    expect(problems('c', { ...VALID, centinela: 'heartbeat:\n  every: 5\n' })).toBe(
      'c/centinela.yaml:2:3  heartbeat: missing key "url".\n' +
        'c/centinela.yaml:2:10  heartbeat.every: expected a duration, not 5. Write 500ms, 15s, 5m, 1h30m or 1d.\n' +
        '2 problems in 1 file; nothing was started.',
    );
  });

  it('still checks the names of refused entries against each other and against the rules', () => {
    const alerts = VALID.alerts
      .replace('    timeout: 5s', '    timeout: 5 s')
      .concat('  - name: Other\n    sample: api_helth.up\n    op: "=="\n    thresholds: { P0: 0 }\n')
      .concat('  - name: Other\n    sample: api_health.up\n    op: "=="\n    thresholds: { P0: nothing }\n');
    expect(problems('c', { ...VALID, alerts })).toBe(
      [
        'c/alerts.yaml:7:14  probes[0].timeout: "5 s" is not a duration. Write 90s, 5m or 1h30m.',
        'c/alerts.yaml:14:13  rules[1].sample: no probe "api_helth". Did you mean "api_health"? Defined: api_health.',
        'c/alerts.yaml:17:11  rules[2].name: "Other" is already the name of rules[1]. Names must be unique.',
        'c/alerts.yaml:20:23  rules[2].thresholds.P0: expected a number, not "nothing". Write a number such as 0.5.',
        '4 problems in 1 file; nothing was started.',
      ].join('\n'),
    );
  });

  it('refuses a metrics sample named like a counter or a histogram series, which /metrics could not mirror as a gauge', () => {
    const metrics = [
      '  - name: api_metrics',
      '    kind: metrics',
      '    url: http://api:8000/metrics',
      '    rates:',
      '      - { metric: http_requests_total, as: requests_total }',
      '    error_rates:',
      '      - { metric: http_requests_total, as: errors_count }',
      '    gauges:',
      '      - { metric: queue_depth, as: queue_depth }',
      '',
    ].join('\n');
    const alerts = VALID.alerts.replace('rules:\n', `${metrics}rules:\n`);
    const why =
      'must not end in _total, _count, _sum or _bucket: /metrics shows every sample as a gauge, and Prometheus keeps ' +
      'those endings for counters and histograms. Name what it measures, e.g. requests_per_second.';
    expect(problems('c', { ...VALID, alerts })).toBe(
      [
        `c/alerts.yaml:12:44  probes[1].rates[0].as: "requests_total" ${why}`,
        `c/alerts.yaml:14:44  probes[1].error_rates[0].as: "errors_count" ${why}`,
        '2 problems in 1 file; nothing was started.',
      ].join('\n'),
    );
  });
});
