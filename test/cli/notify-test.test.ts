// `centinela notify-test`: a marked test page per channel, reported as delivered or the exact error — called as a
// function and run as the real command against a loopback SMTP server and webhook receiver.
import { readFileSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { notifyTest } from '../../src/cli/notify-test.js';
import { systemClock } from '../../src/clock.js';
import { configFolder, centinela as run } from '../support/cli.js';
import { escalationConfig, silentLog } from '../support/escalation-fixtures.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';
import { startWebhookSink, type WebhookSink } from '../support/webhook-sink.js';

let smtp: SmtpSink;
let hook: WebhookSink;
beforeAll(async () => {
  smtp = await startSmtpSink({ auth: { user: 'centinela', pass: 'right-pass' } });
  hook = await startWebhookSink();
});
afterAll(async () => {
  await smtp.close();
  await hook.close();
});
beforeEach(() => {
  smtp.received.length = 0;
  hook.requests.length = 0;
  hook.otherwise({ status: 200 });
});

const config = (password: string) =>
  escalationConfig({
    smtpPort: smtp.port,
    caFile: smtp.cert.certFile,
    webhookUrl: hook.url,
    raw: { channels: { mail: { smtp: { user: 'centinela', password } } } },
  });

describe('notifyTest', () => {
  it('sends a marked test page through every channel of the contact and reports each delivered', async () => {
    const results = await notifyTest({
      config: config('right-pass'),
      contact: 'cto',
      clock: systemClock,
      log: silentLog,
    });
    expect(results).toEqual([
      { channel: 'mail', kind: 'email', ok: true, detail: 'delivered' },
      { channel: 'hook', kind: 'webhook/generic', ok: true, detail: 'delivered' },
    ]);
    const [mail] = await smtp.waitFor(1);
    expect(mail?.mail.subject).toBe('[TEST] centinela test page for cto — no action needed');
    expect(mail?.mail.headers.get('x-centinela-test')).toBe('yes');
    expect(mail?.to).toEqual(['cto@grupogad.gob.ec']);
    const body = JSON.parse((await hook.waitFor(1))[0]?.body ?? '{}');
    expect(body).toMatchObject({ schema: 'centinela.alert.v1', test: true, notifications: [{ event: 'test' }] });
  });

  it('reports the exact error per channel: a wrong SMTP password, a 404 from the webhook', async () => {
    hook.otherwise({ status: 404, body: 'Not Found' });
    const results = await notifyTest({
      config: config('wrong-pass'),
      contact: 'cto',
      clock: systemClock,
      log: silentLog,
    });
    expect(results[0]).toMatchObject({ channel: 'mail', ok: false });
    expect(results[0]?.detail).toMatch(
      /^email to cto via 127\.0\.0\.1:\d+: authentication refused \(535 .*check smtp\.user and smtp\.password$/,
    );
    expect(results[0]?.detail).not.toContain('wrong-pass');
    expect(results[1]).toEqual({
      channel: 'hook',
      kind: 'webhook/generic',
      ok: false,
      detail: `webhook (generic) to ${new URL(hook.url).origin}: HTTP 404 Not Found`,
    });
  });

  it('sends through one channel with --channel, and names what exists when nothing matches', async () => {
    const cfg = config('right-pass');
    expect(
      await notifyTest({ config: cfg, contact: 'cto', only: 'webhook', clock: systemClock, log: silentLog }),
    ).toHaveLength(1);
    expect(hook.requests).toHaveLength(1);
    expect(smtp.received).toHaveLength(0);
    await expect(notifyTest({ config: cfg, contact: 'cfo', clock: systemClock, log: silentLog })).rejects.toThrow(
      'no contact "cfo" in escalation.yaml. Defined: cto, lead, devops, dev',
    );
    await expect(
      notifyTest({ config: cfg, contact: 'cto', only: 'slack', clock: systemClock, log: silentLog }),
    ).rejects.toThrow('contact "cto" has no channel matching "slack". Its channels: mail, hook');
  });
});

describe('npx centinela notify-test', () => {
  let dir: string;
  beforeAll(() => {
    dir = configFolder(
      readFileSync('test/fixtures/config/valid/alerts.yaml', 'utf8'),
      `levels:
  P0: { ack_within: 15m, repeat_every: 5m, contacts: [cto] }
  P1: { ack_within: 1h, repeat_every: 15m, contacts: [cto] }
  P2: { ack_within: 4h, repeat_every: 1h, contacts: [cto] }
  P3: { ack_within: 1d, repeat_every: 4h, contacts: [cto] }
contacts:
  cto: { name: CTO, email: cto@grupogad.gob.ec, channels: [email, ops_webhook] }
channels:
  email:
    kind: email
    smtp:
      host: 127.0.0.1
      port: ${smtp.port}
      security: starttls
      user: centinela
      password: \${SMTP_PASSWORD}
      from: centinela@grupogad.gob.ec
      tls: { ca_file: ${smtp.cert.certFile} }
  ops_webhook: { kind: webhook, format: generic, url: "${hook.url}" }
`,
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const centinela = (password: string, env: Record<string, string> = {}) =>
    run(['notify-test', '--contact', 'cto', '--config', dir], { SMTP_PASSWORD: password, ...env });

  it('reports delivery per channel and exits 0', async () => {
    const r = await centinela('right-pass');
    expect(r.stdout).toBe('cto via email (email): delivered\ncto via ops_webhook (webhook/generic): delivered\n');
    expect(r.code).toBe(0);
    expect(smtp.received).toHaveLength(1);
    expect(hook.requests).toHaveLength(1);
  });

  it('reports delivery per channel as JSON with --json, with the same exit status', async () => {
    const r = await run(['notify-test', '--contact', 'cto', '--config', dir, '--json'], {
      SMTP_PASSWORD: 'wrong-pass',
    });
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report).toEqual({
      contact: 'cto',
      results: [
        { channel: 'email', kind: 'email', ok: false, detail: expect.stringMatching(/authentication refused/) },
        { channel: 'ops_webhook', kind: 'webhook/generic', ok: true, detail: 'delivered' },
      ],
    });
    expect(r.stdout).not.toContain('wrong-pass');
  });

  it('prints the exact error for a failing channel and exits 1', async () => {
    const r = await centinela('wrong-pass');
    expect(r.stdout).toMatch(
      /^cto via email \(email\): FAILED — email to cto via 127\.0\.0\.1:\d+: authentication refused/,
    );
    expect(r.stdout).toContain('cto via ops_webhook (webhook/generic): delivered');
    expect(r.stdout + r.stderr).not.toContain('wrong-pass');
    expect(r.code).toBe(1);
  });

  it('refuses a LOG_LEVEL that is not a level and sends nothing', async () => {
    const r = await centinela('right-pass', { LOG_LEVEL: 'chatty' });
    expect(r.stderr).toBe(
      'LOG_LEVEL is not a level. Set it to fatal, error, warn, info, debug, trace or silent, or leave it unset\n',
    );
    expect(r.code).toBe(2);
    expect(smtp.received).toHaveLength(0);
    expect(hook.requests).toHaveLength(0);
  });
});
