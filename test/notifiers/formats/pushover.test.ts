// Pushover against a real loopback receiver standing in for the Messages API: the conformance table, the exact
// form-encoded POST of a P0 page (emergency priority with retry, expire and the signed ack link as callback), the
// priorities, a resolution, a storm, and the limits Pushover sets on retry and expire.
import { describe, expect, it } from 'vitest';
import { webhookChannel } from '../../../src/config/schema.js';
import webhook from '../../../src/notifiers/webhook.js';
import { makeAlert } from '../../support/escalation-fixtures.js';
import { webhookConformance } from '../../support/notifier-conformance.js';
import { channel, item, note, send, T0, useWebhookSink } from '../webhook-fixtures.js';

webhookConformance('pushover', {
  channel: ({ origin, route, secret }) => {
    route('/1/messages.json');
    return { token: secret, user: secret, api_url: origin };
  },
  // What a repeat shows: the same title (the message's "… ago" moves with the clock).
  idempotencyKey: (req) => new URLSearchParams(req.body).get('title') ?? undefined,
  keyless: 'the Messages API takes no idempotency key: a repeat is a second message with the same title',
});

const hook = useWebhookSink();
const ACK = 'https://centinela.example/ack/abc.def';
const pushover = (over: Record<string, unknown> = {}) =>
  channel({ format: 'pushover', token: 'APPT0KEN', user: 'USERKEY', ...over });
const form = (cfg = pushover(), n = note()) =>
  Object.fromEntries(new URLSearchParams(webhook.render(n, cfg).requests[0]?.body));

describe('pushover', () => {
  it('POSTs a P0 page at emergency priority, the signed ack link as url and callback', async () => {
    const { sink } = hook;
    const messages = sink.path('/1/messages.json');
    const cfg = pushover({ api_url: new URL(messages).origin, device: 'cto-phone', retry: '2m', expire: '3h' });
    expect(await send(cfg)).toEqual({ ok: true });
    const [req] = await sink.waitFor(1);
    expect(req?.method).toBe('POST');
    expect(req?.path).toBe('/1/messages.json');
    expect(req?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const body = Object.fromEntries(new URLSearchParams(req?.body));
    expect(body).toEqual({
      token: 'APPT0KEN',
      user: 'USERKEY',
      title: '[P0] API down — grupo_gad_api',
      message: expect.stringMatching(/^What: API down\. The health endpoint does not answer\nPriority: P0/),
      priority: '2',
      device: 'cto-phone',
      url: ACK,
      url_title: 'Acknowledge in centinela',
      retry: '120',
      expire: '10800',
      callback: ACK,
    });
  });

  it.each([
    ['P1', '1'],
    ['P2', '0'],
    ['P3', '-1'],
  ] as const)('sends %s at priority %s, without retry, expire or callback', (priority, expected) => {
    const body = form(pushover(), note([item({ alert: makeAlert({ activeSince: T0, priority }) })]));
    expect(body.priority).toBe(expected);
    expect(body).not.toHaveProperty('callback');
    expect(body).not.toHaveProperty('retry');
    expect(body.url).toBe(ACK);
  });

  it("links a lone alert's all-clear to its timeline, and keeps the ack link first on a page", () => {
    const timelineUrl = 'https://centinela.example/alerts/a1';
    const resolved = item({ kind: 'resolved', resolvedAt: T0 + 27 * 60_000, timelineUrl });
    expect(form(pushover(), note([resolved]))).toMatchObject({ url: timelineUrl, url_title: 'Timeline' });
    expect(form(pushover(), note([item({ timelineUrl })]))).toMatchObject({ url: ACK });
  });

  it('sends a resolution at normal priority without a link', () => {
    const body = form(pushover(), note([item({ kind: 'resolved', resolvedAt: T0 + 27 * 60_000 })]));
    expect(body).toMatchObject({ title: '[RESOLVED] API down — grupo_gad_api (lasted 27 min)', priority: '0' });
    expect(body).not.toHaveProperty('url');
    expect(body).not.toHaveProperty('callback');
  });

  it('sends a storm as one emergency message without a callback (one link cannot acknowledge several alerts)', () => {
    const items = Array.from({ length: 40 }, (_, i) =>
      item({
        key: `k${i}`,
        alert: makeAlert({ activeSince: T0, labels: { alertname: 'ApiDown', container: `api_${i}` } }),
      }),
    );
    const body = form(pushover(), note(items));
    expect(body).toMatchObject({ title: '[P0] 40 alerts: API down — api_0 and 39 more', priority: '2', retry: '60' });
    expect(body).not.toHaveProperty('callback');
    expect([...(body.message ?? '')].length).toBeLessThanOrEqual(1024);
    expect(body.message).toMatch(/…and more alerts \(40 in all\)$/);
  });

  it('refuses a retry under 30 s and an expire over 3 h, as Pushover would', () => {
    const bad = webhookChannel.safeParse({
      kind: 'webhook',
      format: 'pushover',
      token: 't',
      user: 'u',
      retry: '10s',
      expire: '4h',
    });
    expect(bad.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['retry', 'must be 30s or more: Pushover refuses less'],
      ['expire', 'must be 3h or less: Pushover refuses more'],
    ]);
  });
});
