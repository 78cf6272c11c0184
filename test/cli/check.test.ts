// `centinela check`: the summary for a valid folder, every problem and exit 1 for a broken one, through the real binary.
import { describe, expect, it } from 'vitest';
import { check, checkSummary, summarize } from '../../src/cli/check.js';
import { parseConfig } from '../../src/config/load.js';
import { centinela } from '../support/cli.js';
import { SHIPPED_ENV } from '../support/shipped-env.js';

describe('summarize', () => {
  it('lists probes by kind, rules at each of their priorities, who is paged and the escalation chain', () => {
    const config = parseConfig(
      'cfg',
      {
        alerts: [
          'probes:',
          '  - { name: api, kind: http, url: "http://api/", every: 15s }',
          '  - { name: db, kind: postgres, url: "postgres://db/x", every: 30s }',
          '  - { name: db2, kind: postgres, url: "postgres://db/y", every: 30s }',
          'rules:',
          '  - { name: ApiDown, sample: api.up, op: "==", thresholds: { P0: 0 } }',
          '  - { name: Slow, sample: db.slow_queries, op: ">", thresholds: { P2: 0, P1: 10 } }',
          'maintenance:',
          '  - { name: backup, cron: "0 2 * * 0", duration: 1h, timezone: America/Guayaquil }',
        ].join('\n'),
        escalation: [
          'levels:',
          '  P0: { description: Down, ack_within: 15m, repeat_every: 5m, contacts: [cto] }',
          '  P1: { ack_within: 1h, repeat_every: 15m, contacts: [lead, cto] }',
          '  P2: { ack_within: 4h, repeat_every: 1h, contacts: [lead] }',
          'contacts:',
          '  cto: { name: CTO, email: cto@example.org, channels: [mail, hook] }',
          '  lead: { name: Lead, channels: [hook] }',
          'channels:',
          '  mail: { kind: email, smtp: { host: smtp, from: c@example.org } }',
          '  hook: { kind: webhook, format: slack, url: "https://hooks.example.org/x" }',
        ].join('\n'),
      },
      {},
    );
    expect(summarize(config)).toBe(
      [
        'cfg: valid. 3 probes, 2 rules, 2 contacts, 2 channels.',
        '',
        'Probes by kind',
        '  http       1  api',
        '  postgres   2  db, db2',
        '',
        'Rules by priority (a rule counts at each priority it has)',
        '  P0   1  ApiDown',
        '  P1   1  Slow',
        '  P2   1  Slow',
        '  P3   0  -',
        '',
        'Who is paged',
        '  P0  cto <cto@example.org> via mail → hook',
        '  P1  lead via hook, cto <cto@example.org> via mail → hook',
        '  P2  lead via hook',
        '',
        'Escalation (without an acknowledgement within ack_within, the next level is added)',
        '  P0  Down: ack within 15m, repeat every 5m, no higher level; an ack holds 30m',
        '  P1  ack within 1h, repeat every 15m, then P0; an ack holds 2h',
        '  P2  ack within 4h, repeat every 1h, then P1; an ack holds 8h',
        '  chain: P2 → P1 → P0',
        '',
        '0 inhibition rules; maintenance windows: backup (0 2 * * 0, 1h, America/Guayaquil).',
      ].join('\n'),
    );
  });
});

describe('summarize, with values from the environment', () => {
  it('names each by its key and variable, in the text and in the JSON, and shows none of them', () => {
    const config = parseConfig(
      'cfg',
      {
        alerts: [
          'probes:',
          '  - { name: api, kind: http, url: "http://api/", every: 15s }',
          'rules:',
          '  - { name: ApiDown, sample: api.up, op: "==", thresholds: { P1: 0 } }',
          'maintenance:',
          '  - { name: backup, cron: "${BACKUP_CRON}", duration: "${BACKUP_FOR}", timezone: "${TZ_NAME}" }',
          'evaluation: { cannot_measure: P1 }',
        ].join('\n'),
        escalation: [
          'ack: { timeout: "${ACK_HOLD}" }',
          'levels:',
          '  P1: { description: "${P1_WHAT}", ack_within: "${ACK_WITHIN}", repeat_every: 15m, contacts: [cto] }',
          'contacts:',
          '  cto: { name: CTO, email: "${CTO_EMAIL}", channels: [mail] }',
          'channels:',
          '  mail: { kind: email, smtp: { host: smtp, from: c@example.org } }',
        ].join('\n'),
      },
      {
        BACKUP_CRON: '0 2 * * 0',
        BACKUP_FOR: '17m',
        TZ_NAME: 'America/Guayaquil',
        ACK_HOLD: '3h7m',
        P1_WHAT: 'hunter2 level',
        ACK_WITHIN: '41m',
        CTO_EMAIL: 'hunter2@example.org',
      },
    );
    const text = summarize(config);
    expect(text).toContain('  P1  cto <<contacts.cto.email from ${CTO_EMAIL}>> via mail');
    expect(text).toContain(
      '  P1  <levels.P1.description from ${P1_WHAT}>: ack within <levels.P1.ack_within from ${ACK_WITHIN}>, ' +
        'repeat every 15m, no higher level; an ack holds <ack.timeout from ${ACK_HOLD}>',
    );
    expect(text).toContain(
      'maintenance windows: backup (<maintenance[0].cron from ${BACKUP_CRON}>, <maintenance[0].duration from ' +
        '${BACKUP_FOR}>, <maintenance[0].timezone from ${TZ_NAME}>).',
    );
    const json = JSON.stringify(checkSummary(config));
    expect(json).toContain('"ackWithinSeconds":"<levels.P1.ack_within from ${ACK_WITHIN}>"');
    expect(json).toContain('"cron":"<maintenance[0].cron from ${BACKUP_CRON}>"');
    for (const shown of [text, json]) {
      expect(shown).not.toMatch(/hunter2|0 2 \* \* 0|17m|Guayaquil|3h7m|41m|1020|11220|2460/);
    }
  });
});

describe('summarize, with alert sources', () => {
  const config = parseConfig(
    'cfg',
    {
      alerts: [
        'sources:',
        '  - { name: prometheus, token: "${PROM_TOKEN}", page_p0: true }',
        '  - name: grafana',
        '    priority_labels: { priority: { P0: P0, P1: P1 } }',
        '    default_priority: P3',
      ].join('\n'),
      escalation: [
        'levels:',
        '  P1: { ack_within: 1h, repeat_every: 15m, contacts: [lead] }',
        '  P2: { ack_within: 4h, repeat_every: 1h, contacts: [lead] }',
        '  P3: { ack_within: 1d, repeat_every: 4h, contacts: [lead] }',
        'contacts:',
        '  lead: { name: Lead, channels: [hook] }',
        'channels:',
        '  hook: { kind: webhook, format: slack, url: "https://hooks.example.org/x" }',
      ].join('\n'),
    },
    { PROM_TOKEN: 'hunter2-S3cr3t-prometheus' },
  );

  it('lists each source: its token (never shown), whether it may page P0, and how labels map to a priority', () => {
    const text = summarize(config);
    expect(text.slice(text.indexOf('Alert sources'))).toBe(
      [
        'Alert sources (POST /api/v2/alerts): the priority of an alert is the first of its labels mapped',
        '  prometheus  its own token; may page P0',
        '              by priority: P0 → P0, P1 → P1, P2 → P2, P3 → P3',
        '              then severity: critical → P1, error → P2, warning → P2, info → P3',
        '              else P2',
        '  grafana     the write token; may not page P0: P0 pages P1 (page_p0: false)',
        '              by priority: P0 → P0, P1 → P1',
        '              else P3',
      ].join('\n'),
    );
    expect(text).not.toContain('hunter2');
  });

  it('gives them in the JSON summary too', () => {
    expect(checkSummary(config).sources).toEqual([
      {
        name: 'prometheus',
        token: 'own',
        priorityLabels: {
          priority: { P0: 'P0', P1: 'P1', P2: 'P2', P3: 'P3' },
          severity: { critical: 'P1', error: 'P2', warning: 'P2', info: 'P3' },
        },
        defaultPriority: 'P2',
        pageP0: true,
      },
      {
        name: 'grafana',
        token: 'write_token',
        priorityLabels: { priority: { P0: 'P0', P1: 'P1' } },
        defaultPriority: 'P3',
        pageP0: false,
      },
    ]);
  });
});

describe('check', () => {
  it('prints the problems to err and returns 1', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await check({
      dir: 'test/fixtures/config/several-problems',
      env: {},
      out: (t) => out.push(t),
      err: (t) => err.push(t),
    });
    expect(code).toBe(1);
    expect(out).toEqual([]);
    expect(err.join('\n').split('\n').at(-1)).toBe('8 problems in 2 files; nothing was started.');
  });
});

describe('the centinela binary', () => {
  it('refuses the shipped config without the variables it needs, saying what each is and how to make it', async () => {
    const topic = (line: number, channel: string, name: string, whose: string) =>
      `config/escalation.yaml:${line}:12  channels.${channel}.topic: \${${name}} is not set in the environment: ` +
      `${whose} ntfy topic, a secret - pick one with openssl rand -hex 12 and subscribe to it in the ntfy app.\n`;
    expect(await centinela(['check'])).toEqual({
      code: 1,
      stdout: '',
      stderr:
        topic(117, 'cto_push', 'CTO_NTFY_TOPIC', "the CTO's") +
        topic(123, 'tech_lead_push', 'TECH_LEAD_NTFY_TOPIC', "the tech lead's") +
        topic(129, 'devops_push', 'DEVOPS_NTFY_TOPIC', "DevOps'") +
        'config/centinela.yaml:14:15  server.public_url: ${CENTINELA_PUBLIC_URL} is not set in the environment: the ' +
        'address people reach centinela at from their phones, e.g. https://centinela.grupogad.gob.ec.\n' +
        'config/centinela.yaml:16:16  server.write_token: ${CENTINELA_WRITE_TOKEN} is not set in the environment: the ' +
        'bearer token for acks, silences and reload; generate it once with openssl rand -hex 32.\n' +
        '5 problems in 2 files; nothing was started.\n',
    });
  });

  it.each(['http://localhost:9810', 'http://127.0.0.1:9810', 'http://[::1]:9810', 'http://0.0.0.0:9810'])(
    'refuses ack links to %s, as run does, without quoting the value',
    async (publicUrl) => {
      const env = { ...SHIPPED_ENV, CENTINELA_PUBLIC_URL: publicUrl, CENTINELA_ACK_SECRET: 'k'.repeat(64) };
      const problem =
        'config/centinela.yaml:14:15  server.public_url: the value filled in from ${CENTINELA_PUBLIC_URL} points at ' +
        'this machine (a loopback or unspecified address), so an ack link opened on a phone reaches the phone itself. ' +
        'Set it to the address people reach centinela at from their phones, e.g. https://centinela.grupogad.gob.ec.\n' +
        '1 problem in 1 file; nothing was started.\n';
      for (const command of ['check', 'run']) {
        expect(await centinela([command, '--config', 'config'], env)).toEqual({ code: 1, stdout: '', stderr: problem });
      }
    },
  );

  it('passes the shipped config with only the public URL, the write token and the ntfy topics set, and exits 0', async () => {
    const { code, stdout, stderr } = await centinela(['check'], SHIPPED_ENV);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^config: valid\. \d+ probes, \d+ rules/);
    // The addresses come from ${CTO_EMAIL:-…} and the like: named, not shown, even when the default filled them.
    expect(stdout).toContain(
      '  P0  cto <<contacts.cto.email from ${CTO_EMAIL}>> on cto_push + email + ops_webhook at once',
    );
    expect(stdout).toContain(
      '  P1  tech_lead <<contacts.tech_lead.email from ${TECH_LEAD_EMAIL}>> via tech_lead_push → email → ops_webhook',
    );
    expect(stdout).toContain(
      '  P2  devops <<contacts.devops.email from ${DEVOPS_EMAIL}>> via devops_push → email → ops_webhook',
    );
    expect(stdout).toContain('      + tech_lead, devops after 5m without an ack');
    expect(stdout).toContain('  chain: P3 → P2 → P1 → P0');
  });

  it('prints the summary as JSON with --json, and every problem as JSON on stdout when the config is invalid', async () => {
    const valid = await centinela(['check', '--json'], SHIPPED_ENV);
    expect(valid).toMatchObject({ code: 0, stderr: '' });
    const summary = JSON.parse(valid.stdout);
    expect(summary).toMatchObject({ valid: true, dir: 'config', inhibitRules: expect.any(Number) });
    expect(summary.probes).toContainEqual({ name: 'api_health', kind: 'http' });
    expect(summary.rules).toContainEqual({ name: 'ApiDown', priorities: ['P0'] });
    expect(summary.contacts).toContainEqual({ name: 'cto', channels: ['cto_push', 'email', 'ops_webhook'] });
    expect(summary.channels).toContainEqual({ name: 'email', kind: 'email' });
    expect(
      summary.levels.map((l: { priority: string; escalateTo: string }) => `${l.priority}→${l.escalateTo}`),
    ).toEqual(['P0→none', 'P1→P0', 'P2→P1', 'P3→P2']);
    expect(valid.stdout).not.toContain(SHIPPED_ENV.CENTINELA_WRITE_TOKEN);

    const invalid = await centinela(['check', '--json', '--config', 'test/fixtures/config/several-problems'], {
      LOG_LEVEL: 'chatty',
    });
    expect(invalid).toMatchObject({ code: 1, stderr: '' });
    const { valid: ok, problems } = JSON.parse(invalid.stdout);
    expect(ok).toBe(false);
    expect(problems).toHaveLength(9);
    expect(problems[0]).toEqual({
      path: 'LOG_LEVEL',
      message:
        'LOG_LEVEL is not a level. Set it to fatal, error, warn, info, debug, trace or silent, or leave it unset',
    });
    expect(problems[1]).toMatchObject({
      file: expect.stringMatching(/^test\/fixtures\/config\/several-problems\/\w+\.yaml$/),
      line: expect.any(Number),
      col: expect.any(Number),
      path: expect.any(String),
      message: expect.any(String),
    });
    expect(invalid.stdout).not.toContain('chatty');
  });

  it('takes the folder from --config, else CENTINELA_CONFIG, and exits 1 with every problem on stderr', async () => {
    const dir = 'test/fixtures/config/several-problems';
    const flag = await centinela(['check', '--config', dir], { ...SHIPPED_ENV, CENTINELA_CONFIG: 'config' });
    const env = await centinela(['check'], { CENTINELA_CONFIG: dir });
    for (const { code, stdout, stderr } of [flag, env]) {
      expect(code).toBe(1);
      expect(stdout).toBe('');
      expect(stderr).toContain(`${dir}/alerts.yaml:7:5  probes[0]: unknown key "timout". Did you mean "timeout"?`);
      expect(stderr.trimEnd().split('\n')).toHaveLength(9);
    }
  });

  it('fills ${VAR} from its environment', async () => {
    const { code, stderr } = await centinela(['check'], { ...SHIPPED_ENV, API_URL: 'not a url' });
    expect(code).toBe(1);
    expect(stderr).toContain('config/alerts.yaml:');
    expect(stderr).toContain(
      'probes[0].url: the value filled in from ${API_URL} is not a URL. Write scheme://host:port/path.',
    );
  });

  it('refuses a LOG_LEVEL that is not a level, as every other command does, beside the problems of the config, without quoting it', async () => {
    const env = { ...SHIPPED_ENV, LOG_LEVEL: 'hunter2-S3cr3t' };
    const level =
      'LOG_LEVEL is not a level. Set it to fatal, error, warn, info, debug, trace or silent, or leave it unset';
    expect(await centinela(['check'], env)).toEqual({ code: 1, stdout: '', stderr: `${level}\n` });
    const broken = await centinela(['check', '--config', 'test/fixtures/config/several-problems'], env);
    expect(broken.code).toBe(1);
    expect(broken.stderr.split('\n')[0]).toBe(level);
    expect(broken.stderr.trimEnd().split('\n').at(-1)).toBe('8 problems in 2 files; nothing was started.');
    expect(broken.stderr).not.toContain('hunter2');
    expect(await centinela(['check'], { ...SHIPPED_ENV, LOG_LEVEL: 'debug' })).toMatchObject({ code: 0, stderr: '' });
  });

  it('answers --version and --help', async () => {
    const version = await centinela(['--version']);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const help = await centinela(['--help']);
    expect(help.stdout).toMatch(/check \[options\]\s+validate the configuration/);
  });
});
