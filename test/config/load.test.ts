// The loader against one fixture per kind of problem, with the exact text the operator reads.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { loadConfig, parseConfig } from '../../src/config/load.js';
import { Secret } from '../../src/config/secret.js';
import { FIXTURES, fixture, problems, VALID } from '../support/config-fixtures.js';
import { warningsDuring } from '../support/node-warnings.js';

const cases: [string, string, Record<string, string>?][] = [
  [
    'source-two-tokenless',
    'alerts.yaml:8:5  sources[1].token: is not set, and sources[0] has no token either: the write token feeds only ' +
      'one source, so centinela could not tell which one sent an alert. Give each source but one its own token: ${ENV_VAR}.',
  ],
  ['yaml-syntax', 'alerts.yaml:4:10  YAML: a value opened with " is never closed. Add the closing ".'],
  ['duplicate-key', 'alerts.yaml:6:5  probes[0]: key "every" appears twice. Keep one.'],
  [
    'wrong-type',
    'alerts.yaml:10:23  rules[0].thresholds.P0: expected a number, not "zero". Write a number such as 0.5.',
  ],
  ['unknown-key', 'alerts.yaml:6:5  probes[0]: unknown key "timout". Did you mean "timeout"?'],
  ['bad-duration', 'alerts.yaml:11:10  rules[0].for: "5 minutes" is not a duration. Write 90s, 5m or 1h30m.'],
  [
    'after-successes',
    'alerts.yaml:12:22  rules[0].after_successes: expected a whole number, not 2.5. Write a whole number such as 5.',
  ],
  ['priority-p5', 'alerts.yaml:12:7  rules[0].thresholds: unknown key "P5". Use P0, P1, P2 or P3.'],
  [
    'unknown-kind',
    'alerts.yaml:3:11  probes[0].kind: "htp" is not a known kind. Did you mean "http"? ' +
      'Use http, metrics, ws_stats, websocket, tls, postgres, redis, docker, disk, host, heartbeat, caddy_access_log or s3.',
  ],
  [
    'unset-env',
    'alerts.yaml:4:10  probes[0].url: ${API_URL} is not set in the environment. Set it or write ${API_URL:-default}.',
  ],
  [
    'unknown-probe',
    'alerts.yaml:8:13  rules[0].sample: no probe "api_helth". Did you mean "api_health"? Defined: api_health.',
  ],
  [
    'unknown-contact',
    'escalation.yaml:5:21  levels.P0.contacts[1]: no contact "ctoo". Did you mean "cto"? Defined: cto.',
  ],
  [
    'also-page-unknown-contact',
    'alerts.yaml:11:23  rules[0].also_page[1]: no contact "ctoo". Did you mean "cto"? Defined: cto, lead. ' +
      'Contacts are in escalation.yaml.',
  ],
  [
    'no-usable-channel',
    'escalation.yaml:8:5  contacts.cto: has no usable channel: email is an email channel and it has no email. ' +
      'Add email: or a webhook channel.',
  ],
  [
    'self-escalation',
    'escalation.yaml:3:74  levels.P1.escalate_to: P1 escalates to itself. Write a more urgent level or none.',
  ],
  [
    'escalation-cycle',
    'escalation.yaml:3:74  levels.P0.escalate_to: escalation cycle P0 → P3 → P2 → P1 → P0. A level without ' +
      'escalate_to climbs to the next more urgent one; end the chain with escalate_to: none.',
  ],
  [
    // The disk probe lists one folder, so that a folder it cannot list is reported rather than counted as empty.
    'backup-glob-folder',
    'alerts.yaml:5:15  probes[0].backups[0].glob: has a wildcard in its folder part. Put wildcards in the file name ' +
      'only: /opt/grupogad/backups/*.sql.gz.',
  ],
  [
    'bad-template',
    'alerts.yaml:11:14  rules[0].summary: unknown filter "secs" in {{ value | secs }}. ' +
      'Use seconds, duration, percent, bytes, hours, days, per_second, per_minute.',
  ],
  [
    'merge-not-a-map',
    'alerts.yaml:14:9  YAML: << merges the keys of a map, and *hosts is a list of values, not of maps. ' +
      'Write <<: *name with &name on a map, or <<: [*a, *b].',
  ],
  [
    'merge-itself',
    'alerts.yaml:10:11  YAML: *api is a map this << is in, which cannot merge itself. Merge another map.',
  ],
  ['collection-key', 'alerts.yaml:9:9  YAML: a list cannot be a key. Write a name before ":".'],
  ['tagged-key', 'alerts.yaml:9:16  YAML: a !!binary value cannot be a key. Write a name before ":".'],
  [
    'listen-not-host-port',
    'centinela.yaml:3:11  server.listen: "localhost" is not host:port. Write e.g. 0.0.0.0:9810 or 127.0.0.1:9810.',
  ],
  [
    'listen-port',
    'centinela.yaml:3:11  server.listen: "127.0.0.1:99999" must have a port from 0 to 65535. ' +
      'Write e.g. 0.0.0.0:9810 or 127.0.0.1:9810.',
  ],
  [
    'state-path-empty',
    'centinela.yaml:3:9  state.path: "" is empty. Write the path of a file, such as /var/lib/centinela/state.db.',
  ],
  [
    'state-path-folder',
    'centinela.yaml:3:9  state.path: "/var/lib/centinela/" is a folder (it ends with /). ' +
      'Write the path of a file, such as /var/lib/centinela/state.db.',
  ],
  [
    'state-history-runs',
    'centinela.yaml:4:11  state.history.runs: 5 is too few runs to draw. Write 10 or more, such as 90.',
  ],
  [
    'state-history-ring',
    'centinela.yaml:5:11  state.history.keep: "7d" is more than 86400 steps (keep / step points per series). ' +
      'Write a longer step or a shorter keep, such as step: 1m, keep: 24h.',
  ],
  [
    'unknown-timezone',
    'centinela.yaml:3:11  timezone: "America/Guayaqil" is not a time zone. Did you mean "America/Guayaquil"? ' +
      'Write an IANA name such as America/Guayaquil or UTC.',
  ],
  ['unknown-locale', 'centinela.yaml:2:9  locale: "fr" is not a language centinela speaks. Use es or en.'],
  [
    'redis-database',
    'alerts.yaml:5:10  probes[0].url: "redis://redis:6379/…" must have a database number as its path, or none. ' +
      'Write e.g. redis://redis:6379/0.',
  ],
  [
    'env-duration',
    'alerts.yaml:6:12  probes[0].every: the value filled in from ${EVERY} is not a duration. Write 90s, 5m or 1h30m.',
    { EVERY: 'hunter2-S3cr3t' },
  ],
  [
    'env-duration',
    'alerts.yaml:6:12  probes[0].every: the value filled in from ${EVERY} is longer than 36500d (100 years).',
    { EVERY: '99999999999d' },
  ],
  [
    'env-channel-timeout',
    'escalation.yaml:18:14  channels.chat.timeout: the value filled in from ${WEBHOOK_TIMEOUT} is not a duration. ' +
      'Write 90s, 5m or 1h30m.',
    { WEBHOOK_TIMEOUT: 'hunter2-S3cr3t' },
  ],
  [
    'env-no-probe',
    'alerts.yaml:10:13  rules[0].sample: the value filled in from ${SAMPLE} names no probe. Defined: api_health.',
    { SAMPLE: 'hunter2-S3cr3t.up' },
  ],
  [
    'env-template',
    'alerts.yaml:13:14  rules[0].summary: the value filled in from ${SUMMARY} is not a template centinela can read: ' +
      'the problem starts at character 9.',
    { SUMMARY: 'hunter2 {{ valeu }}' },
  ],
  [
    'env-no-level',
    'escalation.yaml:4:74  levels.P2.escalate_to: the value filled in from ${ESCALATE_TO} names no level. ' +
      'Defined: P0, P2; or write none.',
    { ESCALATE_TO: 'P1' },
  ],
  [
    'env-cannot-measure',
    'alerts.yaml:14:19  evaluation.cannot_measure: "cannot measure" alerts go to the value filled in from ' +
      '${CANNOT_MEASURE}, but escalation.yaml has no such level. Use one of P0, P1, P2.',
    { CANNOT_MEASURE: 'P3' },
  ],
  [
    'matcher-regex',
    'alerts.yaml:11:21  rules[0].match.route: "=~/api/[v1" is not a regular expression (missing closing ]).',
  ],
  [
    'matcher-proto',
    'alerts.yaml:11:12  rules[0].match: "__proto__" is not a label name centinela takes: JavaScript objects give that ' +
      'name a meaning of their own. Rename it.',
  ],
  [
    'status-pattern',
    'alerts.yaml:8:24  probes[0].expect.status[0]: "2XX" must be a status code (200) or a class (2xx).',
  ],
  [
    'fast-other-probe',
    'alerts.yaml:12:21  rules[0].fast.sample: "api_metrics.latency_p95_seconds" is from another probe than the ' +
      'rule\'s sample ("api_health.duration_seconds"). The fast path reads the rule\'s own probe runs: name a sample ' +
      'of that probe.',
  ],
  [
    'item-window',
    'alerts.yaml:7:76  probes[0].error_rates[0].window: "30s" is not scrape. Write window: scrape (between the last ' +
      "two scrapes), or leave it out for the probe's window.",
  ],
  ['heartbeat-no-period', 'alerts.yaml:2:5  probes[0]: missing key "expect_every". Write 500ms, 15s, 5m, 1h30m or 1d.'],
  [
    'ack-link-localhost',
    'centinela.yaml:3:15  server.public_url: "http://localhost:9810" points at this machine (a loopback or ' +
      'unspecified address), so an ack link opened on a phone reaches the phone itself. Set it to the address ' +
      'people reach centinela at from their phones, e.g. https://centinela.grupogad.gob.ec.',
  ],
  [
    'env-ack-link-loopback',
    'centinela.yaml:3:15  server.public_url: the value filled in from ${PUBLIC_URL} points at this machine (a ' +
      'loopback or unspecified address), so an ack link opened on a phone reaches the phone itself. Set it to the ' +
      'address people reach centinela at from their phones, e.g. https://centinela.grupogad.gob.ec.',
    { PUBLIC_URL: 'http://127.0.0.1:9810/hunter2' },
  ],
  [
    'window-unknown-alert',
    'alerts.yaml:19:25  maintenance[0].match.alertname: "ApiDwn" matches no alert: no rule is named so. ' +
      'Did you mean "ApiDown"?',
  ],
  [
    'window-unknown-probe',
    'alerts.yaml:19:21  maintenance[0].match.probe: "api_helth" matches no alert: no probe is named so. ' +
      'Did you mean "api_health"?',
  ],
  [
    'env-window-alert',
    'alerts.yaml:19:25  maintenance[0].match.alertname: the value filled in from ${ALERT} matches no alert: no rule ' +
      'is named so. Defined: ApiDown, ApiSlow, CannotMeasure, HealthNotBack.',
    { ALERT: 'ApiDwn' },
  ],
  [
    'env-window-alert',
    'alerts.yaml:19:25  maintenance[0].match.alertname: the value filled in from ${ALERT} lists a name no rule has. ' +
      'Defined: ApiDown, ApiSlow, CannotMeasure, HealthNotBack.',
    { ALERT: '=~ApiDown|ApiDwn' },
  ],
  [
    'env-window-alert',
    "alerts.yaml:19:25  maintenance[0].match.alertname: the value filled in from ${ALERT} has an alternative no rule's " +
      'name matches. Defined: ApiDown, ApiSlow, CannotMeasure, HealthNotBack.',
    { ALERT: '=~^(ApiDown|Api.*Typo)$' },
  ],
  [
    'env-window-too-long',
    'alerts.yaml:18:15  maintenance[0].duration: the value filled in from ${WINDOW_FOR} is too long: it could match ' +
      'ApiSlow at P2, and P2 maintenance windows may last at most 2h (evaluation.window_max). Make its duration 2h ' +
      'or shorter, or narrow the matchers so they exclude ApiSlow.',
    { WINDOW_FOR: '1d1h' },
  ],
  [
    // A rule named from the environment is told by its variable in the recurring windows' checks (review r13u, D1).
    'env-rule-window-too-long',
    'alerts.yaml:18:15  maintenance[0].duration: 3h is too long: it could match the value filled in from ${SLOW_RULE} ' +
      'at P2, and P2 maintenance windows may last at most 2h (evaluation.window_max). Make its duration 2h or ' +
      'shorter, or narrow the matchers so they exclude the value filled in from ${SLOW_RULE}.',
    { SLOW_RULE: 'HunterSlow' },
  ],
  [
    'env-rule-windows-run-on',
    'alerts.yaml:16:11  maintenance[1].cron: "vacuum" runs on from "backup" (maintenance[0]) with no gap: together ' +
      'they hold back the value filled in from ${DOWN_RULE} for 1h20m in a row (from 2026-01-04T02:00:00Z), and P0 ' +
      'maintenance windows may last at most 1h (evaluation.window_max). Leave a gap between them, make them 1h or ' +
      'shorter together, or narrow match so they do not all hold back the value filled in from ${DOWN_RULE}.',
    { DOWN_RULE: 'HunterDown' },
  ],
  [
    'inhibit-unknown-source',
    'alerts.yaml:16:26  inhibit[0].source.alertname: "ApiDwn" matches no alert: no rule is named so. ' +
      'Did you mean "ApiDown"?',
  ],
  [
    'inhibit-unknown-target',
    'alerts.yaml:17:26  inhibit[0].target.alertname: "=~ApiSlw|ApiErrors" matches no alert: no rule is named ' +
      '"ApiSlw" (nor "ApiErrors"). Did you mean "ApiSlow"?',
  ],
  [
    'window-never-closes',
    'alerts.yaml:14:15  maintenance[0].duration: 7d is not shorter than the 7d between two openings of its cron ' +
      '("0 2 * * 0"), so the window is still open when it opens again: the openings run together, and at the ' +
      "cron's period it never closes. Lower duration below 7d, or open it less often.",
  ],
  [
    'windows-run-on',
    'alerts.yaml:16:11  maintenance[1].cron: "vacuum" runs on from "backup" (maintenance[0]) with no gap: together ' +
      'they hold back ApiDown for 1h20m in a row (from 2026-01-04T02:00:00Z), and P0 maintenance windows may last at ' +
      'most 1h (evaluation.window_max). Leave a gap between them, make them 1h or shorter together, or narrow match ' +
      'so they do not all hold back ApiDown.',
  ],
  [
    'no-rules',
    'alerts.yaml:1:1  alerts.yaml has no rules: centinela would watch nothing and page no one. Write the rules ' +
      '(config/alerts.yaml of the release is a start), or sources: when the alerts come from Prometheus or Grafana.',
  ],
  [
    'ack-link-no-public-url',
    'escalation.yaml:19:16  ack.link_secret: signs the ack links in pages, but server.public_url (centinela.yaml) ' +
      'is not set, so pages carry none. Set server.public_url to the address people reach centinela at from their ' +
      'phones (e.g. https://centinela.grupogad.gob.ec), or leave link_secret empty to turn the links off.',
  ],
  [
    'probe-regex',
    'alerts.yaml:8:27  probes[0].expect.body_regex: "\\"status\\":\\\\s*\\"(?!down)" is not a regular expression ' +
      '(invalid or unsupported Perl syntax; regexes are RE2 syntax, as in Prometheus and Alertmanager, which has no ' +
      'lookahead, lookbehind nor backreference). Write e.g. "status":\\s*"ok".',
  ],
  [
    'env-probe-regex',
    'alerts.yaml:11:22  probes[1].logs.pattern: the value filled in from ${LOG_PATTERN} is not a regular expression ' +
      '(invalid escape sequence; regexes are RE2 syntax, as in Prometheus and Alertmanager, which has no lookahead, ' +
      'lookbehind nor backreference). Write e.g. error|exception|traceback.',
    { LOG_PATTERN: 'hunter2 (\\w+) \\1' },
  ],
];

describe('one fixture per problem', () => {
  it('loads the valid base the fixtures start from', () => {
    expect(parseConfig(join(FIXTURES, 'valid'), VALID, {}).alerts.probes[0]?.name).toBe('api_health');
  });

  it.each(cases)('%s', (name, line, env = {}) => {
    const dir = join(FIXTURES, name);
    expect(problems(dir, fixture(name), env)).toBe(`${dir}/${line}\n1 problem in 1 file; nothing was started.`);
  });

  it('a list as a key inside !!pairs is told at its alias, and Node warns of nothing (bench/fuzz.ts found it)', async () => {
    const dir = join(FIXTURES, 'pairs-collection-key');
    let told = '';
    const warnings = await warningsDuring(async () => {
      told = problems(dir, fixture('pairs-collection-key'));
    });
    expect(warnings).toEqual([]);
    expect(told).toBe(
      `${dir}/alerts.yaml:9:23  YAML: a list cannot be a key. Write a name before ":".\n1 problem in 1 file; nothing was started.`,
    );
  });

  it('a matcher past its bounds is told at its place, whatever it holds (issue 13 review r13c, D1 and D2)', () => {
    // An inhibit target of 3,000 groups of one alternative crashed check with a stack and no position; 30,000
    // nested groups held it for minutes. Each is now refused by its length before any other check reads it.
    const dir = join(FIXTURES, 'inhibit-unknown-target');
    const base = fixture('inhibit-unknown-target');
    for (const [target, chars] of [
      [`=~Api${'(D)'.repeat(3000)}`, 9003],
      [`=~${'('.repeat(30_000)}ApiDown${')'.repeat(30_000)}`, 60_007],
    ] as const) {
      const alerts = base.alerts?.replace('"=~ApiSlw|ApiErrors"', `"${target}"`);
      expect(problems(dir, { ...base, alerts })).toBe(
        `${dir}/alerts.yaml:17:26  inhibit[0].target.alertname: "${target.slice(0, 57)}..." is too long: its value ` +
          `has ${chars} characters, and a matcher's (after its =~, != or !~) has at most 1024. Shorten it, or split ` +
          'it into several silences, windows or rules.\n1 problem in 1 file; nothing was started.',
      );
    }
    const large = '=~(?:ApiSlow|ApiErrors){200}';
    const alerts = base.alerts?.replace('"=~ApiSlw|ApiErrors"', `"${large}"`);
    expect(problems(dir, { ...base, alerts })).toBe(
      `${dir}/alerts.yaml:17:26  inhibit[0].target.alertname: "${large}" is too large a regular expression: it ` +
        'compiles to 2802 instructions, and one takes at most 2000 (a counted repetition {n} repeats what it follows ' +
        'n times). Write it smaller.\n1 problem in 1 file; nothing was started.',
    );
  });

  it('an alias whose anchor went with a pair taken out is looked at again, and Node warns of nothing', async () => {
    let error: unknown;
    const warnings = await warningsDuring(async () => {
      try {
        parseConfig('config', { ...VALID, alerts: 'a: &y { <<: *y }\n<<: &y \n*y' }, {});
      } catch (err) {
        error = err;
      }
    });
    expect(warnings).toEqual([]);
    expect((error as ConfigError).issues.map((i) => `${i.line}:${i.col} ${i.message}`)).toEqual([
      '1:13 YAML: *y is a map this << is in, which cannot merge itself. Merge another map',
      '2:8 YAML: << merges the keys of a map, and this is an empty value. Write <<: *name with &name on a map, or <<: [*a, *b]',
      '3:1 YAML: a key has no ": value". Write key: value, with a space after :',
    ]);
  });

  it('reports every problem of two files in one run, in file and line order', () => {
    const dir = join(FIXTURES, 'several-problems');
    expect(problems(dir, fixture('several-problems'))).toBe(
      [
        `${dir}/alerts.yaml:5:10  probes[0].url: \${API_URL} is not set in the environment. Set it or write \${API_URL:-default}.`,
        `${dir}/alerts.yaml:7:5  probes[0]: unknown key "timout". Did you mean "timeout"?`,
        `${dir}/alerts.yaml:11:12  probes[1].every: "half a minute" is not a duration. Write 90s, 5m or 1h30m.`,
        `${dir}/alerts.yaml:15:9  rules[0].op: "=>" is not a comparison. Use >, >=, <, <=, == or !=.`,
        `${dir}/alerts.yaml:16:26  rules[0].thresholds: unknown key "P5". Use P0, P1, P2 or P3.`,
        `${dir}/alerts.yaml:17:10  rules[0].for: "5 minutes" is not a duration. Write 90s, 5m or 1h30m.`,
        `${dir}/escalation.yaml:3:21  levels.P1.ack_within: "1 hour" is not a duration. Write 90s, 5m or 1h30m.`,
        `${dir}/escalation.yaml:5:64  contacts.cto: unknown key "pager". Use name, email, phone or channels.`,
        '8 problems in 2 files; nothing was started.',
      ].join('\n'),
    );
  });

  it("refuses a source's token that another source has, or that is the write or read token, showing none", () => {
    const dir = join(FIXTURES, 'source-shared-token');
    const env = {
      PROM_TOKEN: 'hunter2-S3cr3t-prometheus',
      GRAFANA_TOKEN: 'hunter2-S3cr3t-prometheus',
      LOKI_TOKEN: 'hunter2-S3cr3t-write-token',
      WRITE_TOKEN: 'hunter2-S3cr3t-write-token',
      TEMPO_TOKEN: 'hunter2-S3cr3t-read-token',
      READ_TOKEN: 'hunter2-S3cr3t-read-token',
    };
    expect(problems(dir, fixture('source-shared-token'), env)).toBe(
      [
        `${dir}/alerts.yaml:10:12  sources[1].token: is the token of sources[0] too: centinela tells a source by its ` +
          'token, so each needs its own. Generate one with openssl rand -hex 16.',
        `${dir}/alerts.yaml:12:12  sources[2].token: is centinela.yaml's server.write_token too: Prometheus' config ` +
          'would hold the token that acks and silences. Leave token out to have the write token feed this source, or ' +
          'give it its own: openssl rand -hex 16.',
        `${dir}/alerts.yaml:14:12  sources[3].token: is centinela.yaml's server.read_token too: whoever may read (a ` +
          'dashboard) could send alerts. Give the source its own token: openssl rand -hex 16.',
        '3 problems in 1 file; nothing was started.',
      ].join('\n'),
    );
    // Distinct tokens load.
    const own = { ...env, GRAFANA_TOKEN: 'hunter2-S3cr3t-grafana', LOKI_TOKEN: 'hunter2-S3cr3t-loki-token' };
    expect(() =>
      parseConfig(dir, fixture('source-shared-token'), { ...own, TEMPO_TOKEN: 'hunter2-S3cr3t-tempo' }),
    ).not.toThrow();
  });

  /** The problems of the fixture `name` under `env`, which quote none of its values (all of them hold hunter2). */
  function problemsQuotingNone(name: string, env: Record<string, string>): { dir: string; text: string } {
    const dir = join(FIXTURES, name);
    const text = problems(dir, fixture(name), env);
    expect(text).not.toContain('hunter2');
    return { dir, text };
  }

  it('refuses a secret with a newline or white space around it, and a header name with a space, naming the variable', () => {
    const { dir, text } = problemsQuotingNone('env-secret-newline', {
      WRITE_TOKEN: 'hunter2-S3cr3t-write-token\n',
      API_TOKEN: 'hunter2-S3cr3t\n',
    });
    const why =
      'is not usable: it has white space at its start or end, or a line break (a newline at the end of a variable ' +
      'or a file is the usual cause), which would be sent as part of it. Remove it.';
    expect(text).toBe(
      [
        `${dir}/alerts.yaml:8:22  probes[0].headers.Authorization: the value filled in from \${API_TOKEN} ${why}`,
        `${dir}/alerts.yaml:9:7  probes[0].headers: key "X Api Key": is not a header name: use letters, digits and - (e.g. Authorization, X-Api-Key).`,
        `${dir}/centinela.yaml:3:16  server.write_token: the value filled in from \${WRITE_TOKEN} is not usable: it ` +
          'has white space in it (a newline at the end of a variable or a file is the usual cause), which no request ' +
          'can present, so the write token could never be used. Remove it.',
        '3 problems in 2 files; nothing was started.',
      ].join('\n'),
    );
  });

  it('refuses a header the HTTP client writes itself, at its key', () => {
    const dir = join(FIXTURES, 'client-own-headers');
    const why =
      "is a header of the connection or of the body's length, which the HTTP client writes itself and refuses to be " +
      'given, so every request with it would fail. Remove it.';
    expect(problems(dir, fixture('client-own-headers'))).toBe(
      [
        `${dir}/alerts.yaml:8:7  probes[0].headers: key "Transfer-Encoding": ${why}`,
        `${dir}/alerts.yaml:9:7  probes[0].headers: key "connection": ${why}`,
        `${dir}/alerts.yaml:10:7  probes[0].headers: key "Content-Length": ${why}`,
        '3 problems in 1 file; nothing was started.',
      ].join('\n'),
    );
  });

  it("refuses white space around or in a source's token, showing none", () => {
    // Refused, not trimmed: " ${PROM_TOKEN}" beside ${PROM_TOKEN} passed as another token, and no request could
    // present it, so that source was never reached.
    const env = { PROM_TOKEN: 'hunter2-S3cr3t-prometheus', LOKI_TOKEN: 'hunter2-S3cr3t-loki-token\n' };
    const { dir, text } = problemsQuotingNone('source-token-space', env);
    const why =
      'is not usable: it has white space in it (a newline at the end of a variable or a file is the usual cause), ' +
      'which no request can present, so the alert intake could never be used. Remove it.';
    expect(text).toBe(
      [
        `${dir}/alerts.yaml:11:12  sources[1].token: the value filled in from \${PROM_TOKEN} ${why}`,
        `${dir}/alerts.yaml:13:12  sources[2].token: the value filled in from \${LOKI_TOKEN} ${why}`,
        '2 problems in 1 file; nothing was started.',
      ].join('\n'),
    );
    expect(() =>
      parseConfig(dir, fixture('source-token-space'), { ...env, LOKI_TOKEN: 'hunter2-S3cr3t-loki-token' }),
    ).toThrow(/sources\[1\]\.token: the value filled in from \$\{PROM_TOKEN\} is not usable/);
  });

  describe('a secret that could never work, each kind from its own variable (secret-kinds)', () => {
    /** Where each variable's value lands in the fixture. */
    const AT: Record<string, string> = {
      API_TOKEN: 'alerts.yaml:7:31  probes[0].headers.Authorization',
      API_KEY: 'alerts.yaml:7:65  probes[0].headers["X-Api-Key"]',
      REDIS_PASSWORD: 'alerts.yaml:12:15  probes[1].password',
      HEARTBEAT_SECRET: 'alerts.yaml:17:13  probes[2].secret',
      SOURCE_TOKEN: 'alerts.yaml:20:12  sources[0].token',
      SMTP_PASSWORD: 'escalation.yaml:13:64  channels.email.smtp.password',
      SIGNING_SECRET: 'escalation.yaml:18:21  channels.hook.signing_secret',
      HOOK_TOKEN: 'escalation.yaml:19:30  channels.hook.headers["X-Hook-Token"]',
      NTFY_TOPIC: 'escalation.yaml:20:47  channels.ntfy.topic',
      NTFY_TOKEN: 'escalation.yaml:20:71  channels.ntfy.token',
      NTFY_PASSWORD: 'escalation.yaml:21:82  channels.ntfy_basic.password',
      PUSHOVER_TOKEN: 'escalation.yaml:22:55  channels.pushover.token',
      PUSHOVER_USER: 'escalation.yaml:22:82  channels.pushover.user',
      TELEGRAM_BOT_TOKEN: 'escalation.yaml:23:59  channels.telegram.bot_token',
      PAGERDUTY_KEY: 'escalation.yaml:24:63  channels.pagerduty.routing_key',
      TWILIO_TOKEN: 'escalation.yaml:25:76  channels.twilio.auth_token',
      LINK_SECRET: 'escalation.yaml:26:21  ack.link_secret',
      WRITE_TOKEN: 'centinela.yaml:4:16  server.write_token',
      READ_TOKEN: 'centinela.yaml:5:15  server.read_token',
    };
    /** A value that works for every variable; each case changes one. */
    const GOOD = Object.fromEntries(Object.keys(AT).map((v) => [v, `hunter2-S3cr3t-${v.toLowerCase()}`]));

    const AROUND =
      'is not usable: it has white space at its start or end, or a line break (a newline at the end of a variable ' +
      'or a file is the usual cause), which would be sent as part of it. Remove it.';
    const spaceIn = (of: string) =>
      'is not usable: it has white space in it (a newline at the end of a variable or a file is the usual cause), ' +
      `which no request can present, so ${of} could never be used. Remove it.`;
    const notAscii = (of: string) =>
      'is not usable: it holds a character other than printable ASCII (an accented letter, a zero-width space, a ' +
      `control character), which clients send as other bytes than the server reads, so ${of} could never be used. ` +
      'Write letters, digits and punctuation only: openssl rand -hex 32 makes one.';
    const IN_PATH =
      'is not usable: it holds / ? # % or \\, which a URL path reads as its own (a folder, a query, a fragment, an ' +
      'escape), so the ping URL with it as written would not reach its heartbeat. Write letters, digits and other ' +
      'punctuation: openssl rand -hex 16 makes one.';
    const HEADER =
      'is not usable as a header value: it holds a control character or a character beyond Latin-1 (such as €), ' +
      'which HTTP clients refuse to send, so every request with it would fail. Remove it.';

    // The variable, its value, and the problem at its place (undefined: it loads).
    const secretCases: [string, string, string | undefined][] = [
      // Bearer tokens: presentedToken reads `Bearer (\S+)`, and the server reads a header's bytes as Latin-1.
      ['WRITE_TOKEN', 'hunter2 S3cr3t', spaceIn('the write token')],
      ['WRITE_TOKEN', 'hunter2\tS3cr3t', spaceIn('the write token')],
      ['WRITE_TOKEN', 'hunter2-S3cr3t\n', spaceIn('the write token')],
      ['WRITE_TOKEN', 'hunter2\u00a0S3cr3t', spaceIn('the write token')],
      ['WRITE_TOKEN', 'hunter2\u200bS3cr3t', notAscii('the write token')],
      ['WRITE_TOKEN', 'hunter2-tokén', notAscii('the write token')],
      ['WRITE_TOKEN', 'hunter2\x7fS3cr3t', notAscii('the write token')],
      ['WRITE_TOKEN', 'hunter2!#$%&*+/=?@^_`{|}~', undefined],
      ['READ_TOKEN', 'hunter2 S3cr3t', spaceIn('the read token')],
      ['READ_TOKEN', 'hunter2-tokén', notAscii('the read token')],
      ['NTFY_TOKEN', 'tk_hunter2 S3cr3t', spaceIn('this channel')],
      ['NTFY_TOKEN', 'tk_hunter2€', notAscii('this channel')],
      ['SOURCE_TOKEN', 'hunter2\u00a0S3cr3t-prometheus', spaceIn('the alert intake')],
      ['SOURCE_TOKEN', 'hunter2-S3cr3t-prométheus', notAscii('the alert intake')],
      ['HEARTBEAT_SECRET', 'hunter2 S3cr3t-nightly', spaceIn('the ping URL')],
      ['HEARTBEAT_SECRET', 'hunter2\u200bS3cr3t-nightly', notAscii('the ping URL')],
      ...[
        'hb/S3cr3t-nightly-x',
        'hb?S3cr3t-nightly-x',
        'hb#S3cr3t-nightly-x',
        'hb%2FS3cr3t-nightly',
        'hb\\S3cr3t-nightly-x',
      ].map((value): [string, string, string] => ['HEARTBEAT_SECRET', value, IN_PATH]),
      ['HEARTBEAT_SECRET', "hb!$&'()*+,;=:@S3cr3t", undefined],
      // Header values: what undici and Node's http refuse to send; a space or tab inside and Latin-1 are sent.
      ['API_TOKEN', 'hunter2\x01S3cr3t', HEADER],
      ['API_TOKEN', 'hunter2\x7fS3cr3t', HEADER],
      ['API_TOKEN', 'hunter2-S3cr3t€', HEADER],
      ['API_TOKEN', 'hunter2-S3cr3t\n', AROUND],
      ['API_TOKEN', 'hunter2 S3cr3t', undefined],
      ['API_KEY', '\thunter2-S3cr3t', AROUND],
      ['API_KEY', 'hunter2\x00S3cr3t', HEADER],
      ['API_KEY', 'hunter2\tS3cr3t-é', undefined],
      ['HOOK_TOKEN', 'hunter2\x1bS3cr3t', HEADER],
      ['HOOK_TOKEN', 'hunter2-S3cr3t-€', HEADER],
      ['HOOK_TOKEN', 'hunter2-S3cr3t\r\nX-Injected: 1', AROUND],
      // Passwords and other secrets go in a body, a URL or an HMAC: white space around them or a line break is
      // refused, anything inside is theirs.
      ['SMTP_PASSWORD', 'hunter2-S3cr3t\n', AROUND],
      ['SMTP_PASSWORD', 'hunter2 S3cr3t é€', undefined],
      ['REDIS_PASSWORD', ' hunter2-S3cr3t', AROUND],
      ['REDIS_PASSWORD', 'hunter2 S3cr3t', undefined],
      ['NTFY_PASSWORD', 'hunter2\rS3cr3t', AROUND],
      ['NTFY_PASSWORD', 'hunter2 S3cr3t', undefined],
      ['NTFY_TOPIC', 'hunter2-S3cr3t\n', AROUND],
      ['PUSHOVER_TOKEN', 'hunter2-S3cr3t\n', AROUND],
      ['PUSHOVER_USER', 'hunter2-S3cr3t ', AROUND],
      ['TELEGRAM_BOT_TOKEN', 'hunter2-S3cr3t\n', AROUND],
      ['PAGERDUTY_KEY', 'hunter2-S3cr3t\n', AROUND],
      ['TWILIO_TOKEN', 'hunter2-S3cr3t\n', AROUND],
      ['SIGNING_SECRET', 'hunter2-S3cr3t\n', AROUND],
      ['LINK_SECRET', 'hunter2-S3cr3t\n', AROUND],
    ];

    it('covers each kind of secret, and loads with every value that works', () => {
      expect(new Set(secretCases.map(([name]) => name))).toEqual(new Set(Object.keys(AT)));
      expect(() => parseConfig(join(FIXTURES, 'secret-kinds'), fixture('secret-kinds'), GOOD)).not.toThrow();
    });

    it.each(secretCases)('%s = %j', (name, value, why) => {
      const env = { ...GOOD, [name]: value };
      if (why === undefined) {
        expect(() => parseConfig(join(FIXTURES, 'secret-kinds'), fixture('secret-kinds'), env)).not.toThrow();
        return;
      }
      const { dir, text } = problemsQuotingNone('secret-kinds', env);
      expect(text).toBe(
        `${dir}/${AT[name]}: the value filled in from \${${name}} ${why}\n1 problem in 1 file; nothing was started.`,
      );
    });
  });

  it('has a test case for every fixture folder', async () => {
    const { readdirSync } = await import('node:fs');
    const tested = new Set([
      ...cases.map(([name]) => name),
      'valid',
      'several-problems',
      'every-stage',
      'every-key',
      'pairs-collection-key',
      'source-shared-token',
      'source-token-space',
      'env-secret-newline',
      'client-own-headers',
      'secret-kinds',
    ]);
    expect(readdirSync(FIXTURES).filter((d) => !tested.has(d))).toEqual([]);
  });
});

describe('loading a folder', () => {
  it('names each missing required file, and needs no centinela.yaml', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'centinela-config-'));
    const error = await loadConfig({ dir, env: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('CONFIG_INVALID');
    expect((error as ConfigError).issues.map((i) => [i.file, i.line])).toEqual([
      [join(dir, 'alerts.yaml'), 0],
      [join(dir, 'escalation.yaml'), 0],
    ]);
    expect((error as ConfigError).message).toContain(
      `${join(dir, 'alerts.yaml')}  not found. centinela reads alerts.yaml and escalation.yaml from the folder given by --config DIR`,
    );

    writeFileSync(join(dir, 'alerts.yaml'), VALID.alerts);
    writeFileSync(join(dir, 'escalation.yaml'), VALID.escalation);
    const config = await loadConfig({ dir, env: {} });
    expect(config.dir).toBe(dir);
    expect(config.centinela).toEqual({
      server: { listen: { host: '0.0.0.0', port: 9810 } },
      state: { path: '/var/lib/centinela/state.db', history: { runs: 90, step: 60_000, keep: 86_400_000 } },
      locale: 'en',
      timezone: 'UTC',
    });
  });

  it('reports a folder in place of a file without throwing anything else', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'centinela-config-'));
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, 'alerts.yaml'));
    writeFileSync(join(dir, 'escalation.yaml'), VALID.escalation);
    const error = (await loadConfig({ dir, env: {} }).catch((e: unknown) => e)) as ConfigError;
    expect(error.message).toBe(
      `${join(dir, 'alerts.yaml')}  cannot be read (EISDIR).\n1 problem in 1 file; nothing was started.`,
    );
  });

  it('fills the default escalation chain P3 → P2 → P1 → P0, skipping levels that are not defined', () => {
    const escalation = VALID.escalation
      .replace(/^ {2}P1:.*\n/m, '')
      .replace('P0: { ack_within: 15m,', 'P0: { escalate_to: none, ack_within: 15m,');
    const { levels } = parseConfig('c', { ...VALID, escalation }, {}).escalation;
    expect([levels.P0?.escalate_to, levels.P1, levels.P2?.escalate_to, levels.P3?.escalate_to]).toEqual([
      'none',
      undefined,
      'P0',
      'P2',
    ]);
  });

  it('turns durations into milliseconds and secrets into Secret values', () => {
    const alerts = VALID.alerts
      .replace('every: 15s', 'every: 2m')
      .replace('timeout: 5s', 'timeout: 1m30s\n    headers: { Authorization: "Bearer ${TOKEN}" }');
    const probe = parseConfig('c', { ...VALID, alerts }, { TOKEN: 'abc' }).alerts.probes[0];
    expect(probe?.kind === 'http' && probe.timeout).toBe(90_000);
    const header = probe?.kind === 'http' ? probe.headers?.Authorization : undefined;
    expect(header).toBeInstanceOf(Secret);
    expect(header?.reveal()).toBe('Bearer abc');
    expect(JSON.stringify(probe)).not.toContain('abc');
  });

  it('never quotes a secret back, even when it is malformed', () => {
    const alerts = VALID.alerts.replace('url: http://api:8000/api/v1/health', 'url: "hunter2 not a url"');
    expect(problems('c', { ...VALID, alerts })).toBe(
      'c/alerts.yaml:5:10  probes[0].url: the value (not shown: it may hold a secret) is not a URL. ' +
        'Write scheme://host:port/path.\n1 problem in 1 file; nothing was started.',
    );
  });

  it('does not quote a value that came from the environment', () => {
    const alerts = VALID.alerts.replace('timeout: 5s', 'timeout: 5s\n    max_redirects: ${REDIRECTS}');
    expect(problems('c', { ...VALID, alerts }, { REDIRECTS: 's3cret' })).toBe(
      'c/alerts.yaml:8:20  probes[0].max_redirects: ${REDIRECTS} is not a whole number. Set REDIRECTS to a whole ' +
        'number such as 5 (its value is not shown: it comes from the environment).\n' +
        '1 problem in 1 file; nothing was started.',
    );
  });

  it('reads a whole ${VAR} as the number or true/false the key takes, and says when it is not one', () => {
    const escalation = VALID.escalation.replace(
      'smtp: { host: smtp.example.org, from: centinela@example.org }',
      'smtp:\n      host: smtp.example.org\n      from: centinela@example.org\n      port: ${SMTP_PORT:-587}\n' +
        '      tls: { insecure: "${SMTP_INSECURE:-false}" }',
    );
    const smtpOf = (env: Record<string, string>) => {
      const channel = parseConfig('c', { ...VALID, escalation }, env).escalation.channels.email;
      return channel?.kind === 'email' ? channel.smtp : undefined;
    };
    expect(smtpOf({})).toMatchObject({ port: 587, tls: { insecure: false } });
    expect(smtpOf({ SMTP_PORT: '2525', SMTP_INSECURE: 'true' })).toMatchObject({ port: 2525, tls: { insecure: true } });
    expect(problems('c', { ...VALID, escalation }, { SMTP_PORT: 'abc', SMTP_INSECURE: 'yes' })).toBe(
      [
        'c/escalation.yaml:15:13  channels.email.smtp.port: ${SMTP_PORT} is not a whole number. Set SMTP_PORT to a ' +
          'whole number from 1 to 65535 (its value is not shown: it comes from the environment).',
        'c/escalation.yaml:16:24  channels.email.smtp.tls.insecure: ${SMTP_INSECURE} is not true or false. Set ' +
          'SMTP_INSECURE to true or false (its value is not shown: it comes from the environment).',
        '2 problems in 1 file; nothing was started.',
      ].join('\n'),
    );
    expect(problems('c', { ...VALID, escalation }, { SMTP_PORT: '70000' })).toBe(
      'c/escalation.yaml:15:13  channels.email.smtp.port: the value filled in from ${SMTP_PORT} must be at most 65535.\n' +
        '1 problem in 1 file; nothing was started.',
    );
  });

  it('tells an unset ${VAR} in a number key once, as not set', () => {
    const escalation = VALID.escalation.replace(
      'smtp: { host: smtp.example.org, from: centinela@example.org }',
      'smtp: { host: smtp.example.org, from: centinela@example.org, port: "${SMTP_PORT}" }',
    );
    expect(problems('c', { ...VALID, escalation })).toBe(
      'c/escalation.yaml:12:72  channels.email.smtp.port: ${SMTP_PORT} is not set in the environment. ' +
        'Set it or write ${SMTP_PORT:-default}.\n1 problem in 1 file; nothing was started.',
    );
  });

  it('refuses a value that YAML would read as a tag, such as an unquoted != matcher', () => {
    const alerts = `${VALID.alerts}inhibit:\n  - source: { alertname: ApiDown }\n    target: { status: !=200 }\n`;
    expect(problems('c', { ...VALID, alerts })).toBe(
      'c/alerts.yaml:15:23  YAML: !=200 is read as a YAML tag, since it starts with !. Quote the value: "!=200".\n' +
        '1 problem in 1 file; nothing was started.',
    );
  });

  it('says where indentation goes wrong', () => {
    const alerts = VALID.alerts.replace('    kind: http', '     kind: http');
    expect(problems('c', { ...VALID, alerts })).toBe(
      'c/alerts.yaml:3:11  YAML: a key: value is not allowed here. Check the indentation of this line and the next, ' +
        'or quote a value that holds ": ".\n1 problem in 1 file; nothing was started.',
    );
  });

  it('names the missing key and what it takes', () => {
    const alerts = VALID.alerts.replace('    op: "=="\n', '').replace('    kind: http\n', '');
    expect(problems('c', { ...VALID, alerts })).toBe(
      [
        'c/alerts.yaml:3:5  probes[0]: missing key "kind". Use http, metrics, ws_stats, websocket, tls, postgres, redis, docker, disk, host, heartbeat, caddy_access_log or s3.',
        'c/alerts.yaml:8:5  rules[0]: missing key "op". Use >, >=, <, <=, == or !=.',
        '2 problems in 1 file; nothing was started.',
      ].join('\n'),
    );
  });

  it('treats an empty file as an empty map and says what it lacks', () => {
    expect(problems('c', { ...VALID, escalation: '' })).toBe(
      [
        'c/escalation.yaml:1:1  missing key "levels".',
        'c/escalation.yaml:1:1  missing key "contacts".',
        'c/escalation.yaml:1:1  missing key "channels".',
        '3 problems in 1 file; nothing was started.',
      ].join('\n'),
    );
  });

  it('reports a value of the wrong shape at the top of a file', () => {
    expect(problems('c', { ...VALID, alerts: '- just\n- a list\n' })).toBe(
      'c/alerts.yaml:1:1  expected a map (key: value), not a list.\n1 problem in 1 file; nothing was started.',
    );
  });

  it('reports an alias bomb as a problem, not a crash', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 0; i < 8; i++)
      bomb.push(`${'bcdefghij'[i]}: &${'bcdefghij'[i]} [${Array(10).fill(`*${'abcdefghi'[i]}`).join(', ')}]`);
    const message = problems('c', { ...VALID, alerts: `${bomb.join('\n')}\n` });
    expect(message).toBe(
      'c/alerts.yaml:1:1  YAML: aliases (*name) expand to too many values. Write the values out instead of nesting ' +
        'aliases.\n1 problem in 1 file; nothing was started.',
    );
  });
});
