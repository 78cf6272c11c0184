// The email notifier against a real SMTP server in-process: the conformance table, STARTTLS, implicit TLS, AUTH,
// content parsed back.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmailChannelConfig } from '../../src/config/schema.js';
import { Secret } from '../../src/config/secret.js';
import { DEFAULT_READING } from '../../src/locale/locale.js';
import email from '../../src/notifiers/email.js';
import type { Notification, NotificationItem } from '../../src/notifiers/notifier.js';
import { MIN, makeAlert, silentLog } from '../support/escalation-fixtures.js';
import { emailConformance } from '../support/notifier-conformance.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';

const T0 = Date.UTC(2026, 0, 1, 10, 0);

function item(over: Partial<NotificationItem> = {}): NotificationItem {
  return {
    key: '1:P0:0:cto',
    kind: 'firing',
    alert: makeAlert({ activeSince: T0, value: 0, threshold: 1, op: '<' }),
    incidentId: 1,
    level: 'P0',
    responseTimeMs: 15 * MIN,
    openedAt: T0,
    paged: ['cto', 'lead'],
    ackUrl: 'https://centinela.example/ack/abc.def',
    ...over,
  };
}

function notification(items: NotificationItem[], at = T0 + 2 * MIN): Notification {
  return {
    id: 'n1',
    contact: { id: 'cto', name: 'CTO', email: 'cto@grupogad.gob.ec' },
    items,
    at,
    reading: DEFAULT_READING,
  };
}

function smtp(sink: SmtpSink, over: Partial<EmailChannelConfig['smtp']> = {}): EmailChannelConfig {
  return {
    kind: 'email',
    smtp: {
      host: '127.0.0.1',
      port: sink.port,
      security: 'starttls',
      from: 'centinela@grupogad.gob.ec',
      user: 'centinela',
      password: new Secret('s3cret'),
      tls: { insecure: false, ca_file: sink.cert.certFile },
      ...over,
    },
  };
}

emailConformance();

const ctx = () => ({ signal: AbortSignal.timeout(10_000), log: silentLog, now: () => T0 });

let sink: SmtpSink;
beforeAll(async () => {
  sink = await startSmtpSink({ auth: { user: 'centinela', pass: 's3cret' } });
});
afterAll(() => sink.close());

describe('email', () => {
  it('sends a page over STARTTLS with AUTH, with every fact the runbook asks for', async () => {
    const before = sink.received.length;
    const d = await email.send(email.render(notification([item()]), smtp(sink)), ctx());
    expect(d).toEqual({ ok: true });
    const [got] = (await sink.waitFor(before + 1)).slice(before);
    if (!got) throw new Error('no mail');
    expect(got.secure).toBe(true);
    expect(got.user).toBe('centinela');
    expect(got.to).toEqual(['cto@grupogad.gob.ec']);
    const m = got.mail;
    expect(m.subject).toBe('[P0] API down — grupo_gad_api');
    expect(m.messageId).toBe('<n1@centinela>');
    expect(m.headers.get('x-centinela-alerts')).toBe('ApiDown');
    expect(m.headers.get('priority')).toBe('high');
    const text = m.text ?? '';
    for (const line of [
      'What: API down. The health endpoint does not answer',
      'Priority: P0, response time 15 min',
      'Since: 2026-01-01 10:00:00 (UTC+00:00) (2 min ago)',
      'Value: 0 (threshold < 1)',
      'Also paged: lead',
      '  1. docker compose -f docker-compose.prod.yml ps',
      '  3. restart the api',
      'Diagnosis (api_health):',
      '  connect ECONNREFUSED 127.0.0.1:8000',
      'Acknowledge: https://centinela.example/ack/abc.def',
    ]) {
      expect(text).toContain(line);
    }
    const html = String(m.html);
    expect(html).toContain('href="https://centinela.example/ack/abc.def"');
    expect(html).toContain('<li>docker compose logs --tail=100 api</li>');
    expect(html).toContain('container=grupo_gad_api');
  });

  it('writes a page in Spanish, times in Guayaquil with their offset, the level description by the priority', async () => {
    const before = sink.received.length;
    const n: Notification = {
      ...notification([item({ ack: { who: 'cto', at: T0 + MIN } })]),
      reading: { locale: 'es', timezone: 'America/Guayaquil' },
      levelDescriptions: { P0: 'Producción completamente down' },
    };
    expect(await email.send(email.render(n, smtp(sink)), ctx())).toEqual({ ok: true });
    const [got] = (await sink.waitFor(before + 1)).slice(before);
    const m = got?.mail;
    expect(m?.subject).toBe('[P0] API down — grupo_gad_api');
    const text = m?.text ?? '';
    for (const line of [
      'Qué: API down. The health endpoint does not answer',
      'Prioridad: P0 (Producción completamente down), tiempo de respuesta 15 min',
      'Desde: 2026-01-01 05:00:00 (UTC−05:00) (hace 2 min)',
      'Valor: 0 (umbral < 1)',
      'También avisados: lead',
      'Reconocida: por cto el 2026-01-01 05:01:00 (UTC−05:00)',
      'Pasos del runbook:',
      'Diagnóstico (api_health):',
    ]) {
      expect(text).toContain(line);
    }
    const html = String(m?.html);
    expect(html).toContain('<html lang="es">');
    expect(html).toContain('<h3 style="font-size: 15px">Pasos del runbook</h3>');
    for (const english of [
      'What:',
      'Priority:',
      'Since:',
      'threshold',
      'Also paged',
      'Runbook',
      'Diagnosis',
      ' UTC ',
    ]) {
      expect(text + html).not.toContain(english);
    }
  });

  it('tags a resolution [RESUELTA] in Spanish, with how long it lasted', () => {
    const done = item({ kind: 'resolved', resolvedAt: T0 + 27 * MIN, ackUrl: undefined });
    const n = {
      ...notification([done], T0 + 27 * MIN),
      reading: { locale: 'es' as const, timezone: 'America/Guayaquil' },
    };
    const m = email.render(n, smtp(sink));
    expect(m.subject).toBe('[RESUELTA] API down — grupo_gad_api (duró 27 min)');
    expect(m.text).toContain('Reconocida: por nadie\n');
    expect(m.text).toContain('Resuelta: 2026-01-01 05:27:00 (UTC−05:00), duró 27 min\n');
  });

  it('links each alert to its timeline, in the text and the HTML, the all-clear too', () => {
    const timelineUrl = 'https://centinela.example/alerts/a1';
    const page = email.render(notification([item({ timelineUrl })]), smtp(sink));
    expect(page.text).toContain(`Acknowledge: https://centinela.example/ack/abc.def\nTimeline: ${timelineUrl}\n`);
    expect(page.html).toContain(`<p><a href="${timelineUrl}">Timeline</a></p>`);
    const done = item({ kind: 'resolved', resolvedAt: T0 + 27 * MIN, ackUrl: undefined, timelineUrl });
    const n = { ...notification([done], T0 + 27 * MIN), reading: { locale: 'es' as const, timezone: 'UTC' } };
    expect(email.render(n, smtp(sink)).text).toContain(`Cronología: ${timelineUrl}\n`);
  });

  it('escapes alert text in the HTML body', async () => {
    const before = sink.received.length;
    const evil = item({ alert: makeAlert({ summary: '<script>alert(1)</script> & co' }) });
    expect(await email.send(email.render(notification([evil]), smtp(sink)), ctx())).toEqual({ ok: true });
    const [got] = (await sink.waitFor(before + 1)).slice(before);
    expect(String(got?.mail.html)).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; co');
    expect(String(got?.mail.html)).not.toContain('<script>');
  });

  it('sends a resolution saying how long it lasted and who acknowledged', async () => {
    const before = sink.received.length;
    const done = item({
      kind: 'resolved',
      resolvedAt: T0 + 27 * MIN,
      ack: { who: 'cto', at: T0 + 7 * MIN, comment: 'restarted the api' },
      ackUrl: undefined,
    });
    expect(await email.send(email.render(notification([done], T0 + 27 * MIN), smtp(sink)), ctx())).toEqual({
      ok: true,
    });
    const [got] = (await sink.waitFor(before + 1)).slice(before);
    expect(got?.mail.subject).toBe('[RESOLVED] API down — grupo_gad_api (lasted 27 min)');
    expect(got?.mail.text).toContain('Acknowledged: by cto at 2026-01-01 10:07:00 (UTC+00:00): restarted the api');
    expect(got?.mail.text).toContain('Resolved: 2026-01-01 10:27:00 (UTC+00:00), lasted 27 min');
    expect(got?.mail.text).not.toContain('Runbook:');
    expect(got?.mail.text).not.toContain('Acknowledge:');
  });

  it('says in the all-clear what was paged and how bad it got, then the value now', () => {
    const alert = makeAlert({
      alertname: 'ApiErrorRateHigh',
      priority: 'P2',
      summary: '0 % of API requests fail with 5xx (over 1 %)',
      value: 0,
      op: '>',
      threshold: 1,
      activeSince: T0,
      peak: { value: 7.2, priority: 'P1', threshold: 5, summary: '7.2 % of API requests fail with 5xx (over 5 %)' },
    });
    const done = item({ kind: 'resolved', alert, resolvedAt: T0 + 12 * MIN, ackUrl: undefined });
    const m = email.render(notification([done], T0 + 12 * MIN), smtp(sink));
    expect(m.subject).toBe('[RESOLVED] 7.2 % of API requests fail with 5xx (over 5 %) — grupo_gad_api (lasted 12 min)');
    expect(m.text).toContain('What: 7.2 % of API requests fail with 5xx (over 5 %). ');
    expect(m.text).toContain('Priority: P1, response time 15 min\n');
    expect(m.text).toContain('Worst: 7.2 (threshold > 5)\nNow: 0\n');
    expect(m.text).not.toContain('Value:');
  });

  it('groups a storm into one message with a count in the subject', async () => {
    const before = sink.received.length;
    const items = Array.from({ length: 30 }, (_, i) =>
      item({ key: `k${i}`, alert: makeAlert({ labels: { alertname: 'ApiDown', container: `api_${i}` } }) }),
    );
    expect(await email.send(email.render(notification(items), smtp(sink)), ctx())).toEqual({ ok: true });
    const [got] = (await sink.waitFor(before + 1)).slice(before);
    expect(got?.mail.subject).toBe('[P0] 30 alerts: API down — api_0 and 29 more');
    expect(got?.mail.text?.match(/^What: /gm)).toHaveLength(30);
  });

  it('says lengths of time as people do, rounded: seconds, minutes, hours', async () => {
    const before = sink.received.length;
    const items = [
      item({ key: 'a', alert: makeAlert({ activeSince: T0 - 62_002 }) }),
      item({ key: 'b', kind: 'reminder', openedAt: T0 - 65 * MIN - 1_500 }),
      item({ key: 'c', kind: 'resolved', resolvedAt: T0 + 7_400, ackUrl: undefined }),
    ];
    const sent = items.map((i) => email.send(email.render(notification([i], T0), smtp(sink)), ctx()));
    expect(await Promise.all(sent)).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
    const got = (await sink.waitFor(before + 3)).slice(before).map((m) => m.mail);
    const page = got.find((m) => m.subject === '[P0] API down — grupo_gad_api');
    expect(page?.text).toContain('Since: 2026-01-01 09:58:57 (UTC+00:00) (1 min ago)\n');
    expect(got.map((m) => m.subject)).toEqual(
      expect.arrayContaining([
        '[P0] Not acknowledged for 1 h 5 min: API down — grupo_gad_api',
        '[RESOLVED] API down — grupo_gad_api (lasted 7 s)',
      ]),
    );
    expect(got.map((m) => m.text).join()).not.toMatch(/\d+m\d+ms|\dms\b/);
  });

  it('marks a test page as a test, without a priority or a response time', async () => {
    const before = sink.received.length;
    const test = item({
      kind: 'test',
      level: 'P3',
      responseTimeMs: 0,
      paged: ['cto'],
      ackUrl: undefined,
      alert: makeAlert({
        alertname: 'CentinelaTest',
        labels: { alertname: 'CentinelaTest' },
        priority: 'P3',
        summary: 'centinela test page for cto — no action needed',
        description: undefined,
        runbook: ['Nothing to do: this is a test'],
        diagnosis: [],
      }),
    });
    expect(await email.send(email.render(notification([test]), smtp(sink)), ctx())).toEqual({ ok: true });
    const [got] = (await sink.waitFor(before + 1)).slice(before);
    expect(got?.mail.subject).toBe('[TEST] centinela test page for cto — no action needed');
    expect(got?.mail.headers.get('x-centinela-test')).toBe('yes');
    const text = got?.mail.text ?? '';
    expect(text).toContain('Test: this is a test page from centinela notify-test: no alert is firing');
    expect(text).not.toMatch(/Priority|response time|Value|Since/);
  });

  it('tags a group of resolutions [RESOLVED], the count before the first one', () => {
    const done = (i: number) =>
      item({
        key: `r${i}`,
        kind: 'resolved',
        resolvedAt: T0 + 3 * MIN,
        alert: makeAlert({ activeSince: T0, labels: { alertname: 'ApiDown', container: `api_${i}` } }),
      });
    const m = email.render(notification([done(0), done(1), done(2)]), smtp(sink));
    expect(m.subject).toBe('[RESOLVED] 3 alerts: API down — api_0 (lasted 3 min) and 2 more');
  });

  it('reports a wrong password as final, naming the fix and not the password', async () => {
    const d = await email.send(
      email.render(notification([item()]), smtp(sink, { password: new Secret('wrong-pass') })),
      ctx(),
    );
    expect(d).toMatchObject({ ok: false, retryable: false });
    if (d.ok) return;
    expect(d.reason).toMatch(
      /^email to cto via 127\.0\.0\.1:\d+: authentication refused .*535.*check smtp\.user and smtp\.password$/,
    );
    expect(d.reason).not.toContain('wrong-pass');
  });

  it('gives up when the signal aborts (a server that never sends its greeting)', async () => {
    const { createServer } = await import('node:net');
    const silent = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as import('node:net').AddressInfo).port;
    try {
      const ac = new AbortController();
      const pending = email.send(email.render(notification([item()]), smtp(sink, { port })), {
        signal: ac.signal,
        log: silentLog,
        now: () => T0,
      });
      ac.abort(new Error('timed out'));
      expect(await pending).toMatchObject({ ok: false, retryable: true, reason: expect.stringMatching(/timed out$/) });
    } finally {
      silent.close();
    }
  });

  it('refuses an untrusted certificate unless told to trust it', async () => {
    const d = await email.send(email.render(notification([item()]), smtp(sink, { tls: { insecure: false } })), ctx());
    expect(d).toMatchObject({ ok: false, retryable: true });
    expect(d.ok || d.reason).toMatch(/certificate/i);
  });

  it('refuses a contact without an address', async () => {
    const n = { ...notification([item()]), contact: { id: 'bot', name: 'Bot' } };
    expect(await email.send(email.render(n, smtp(sink)), ctx())).toEqual({
      ok: false,
      retryable: false,
      reason: `email to bot via 127.0.0.1:${sink.port}: contact "bot" has no email address`,
    });
  });

  it('speaks implicit TLS (port 465 style) and plain SMTP to a local relay', async () => {
    const tls = await startSmtpSink({ implicitTls: true });
    const plain = await startSmtpSink();
    try {
      const n = notification([item()]);
      const viaTls = smtp(tls, {
        security: 'tls',
        user: undefined,
        password: undefined,
        tls: { insecure: false, ca_file: tls.cert.certFile },
      });
      expect(await email.send(email.render(n, viaTls), ctx())).toEqual({ ok: true });
      expect((await tls.waitFor(1))[0]?.secure).toBe(true);
      const viaPlain = smtp(plain, { security: 'none', user: undefined, password: undefined });
      expect(await email.send(email.render(n, viaPlain), ctx())).toEqual({ ok: true });
      expect((await plain.waitFor(1))[0]?.secure).toBe(false);
    } finally {
      await tls.close();
      await plain.close();
    }
  });
});
