// ntfy against a real loopback receiver standing in for the server: the conformance table (the idempotency key is
// the sequence_id), the exact JSON publish of a page, a resolution and a storm, the three auth forms, and the limits.
import { describe, expect, it } from 'vitest';
import { webhookChannel } from '../../../src/config/schema.js';
import { NTFY_LIMIT } from '../../../src/notifiers/formats/ntfy.js';
import { pushText } from '../../../src/notifiers/push-text.js';
import { makeAlert } from '../../support/escalation-fixtures.js';
import { webhookConformance } from '../../support/notifier-conformance.js';
import {
  channel,
  expectFlappingNotices,
  item,
  note,
  renderedBody,
  send,
  T0,
  useWebhookSink,
} from '../webhook-fixtures.js';

// The topic and the token are both secrets; the topic travels in the body, which a receiver may quote back.
webhookConformance('ntfy', {
  channel: ({ origin, route, secret }) => {
    route('/');
    return { server: origin, topic: secret, token: secret };
  },
  idempotencyKey: (req) => JSON.parse(req.body).sequence_id,
});

const hook = useWebhookSink();
const ntfy = (over: Record<string, unknown> = {}) => channel({ format: 'ntfy', topic: 'ops-x7f3', ...over });
const ACK = 'https://centinela.example/ack/abc.def';

describe('ntfy', () => {
  it('publishes a P0 page as JSON to the server root: priority 5, tags, click and an Acknowledge action', async () => {
    const { sink } = hook;
    sink.path('/');
    const cfg = ntfy({ server: `${new URL(sink.url).origin}/`, token: 'tk_s3cret' });
    expect(await send(cfg)).toEqual({ ok: true });
    const [req] = await sink.waitFor(1);
    expect(req?.method).toBe('POST');
    expect(req?.path).toBe('/');
    expect(req?.headers['content-type']).toBe('application/json');
    expect(req?.headers.authorization).toBe('Bearer tk_s3cret');
    expect(JSON.parse(req?.body ?? '')).toEqual({
      topic: 'ops-x7f3',
      title: '[P0] API down — grupo_gad_api',
      message: [
        'What: API down. The health endpoint does not answer',
        'Priority: P0, response time 15 min',
        'Since: 2026-01-01 10:00:00 (UTC+00:00) (1 min ago)',
        'Value: 0 (threshold < 1)',
        'Labels: alertname=ApiDown, container=grupo_gad_api',
        'Also paged: nobody else',
        'Alert: ApiDown{alertname="ApiDown",container="grupo_gad_api"} (incident 1)',
        'Runbook:',
        '1. docker compose -f docker-compose.prod.yml ps',
        '2. docker compose logs --tail=100 api',
        '3. restart the api',
        'Diagnosis (api_health): connect ECONNREFUSED 127.0.0.1:8000',
      ].join('\n'),
      priority: 5,
      tags: ['rotating_light', 'P0', 'ApiDown'],
      click: ACK,
      actions: [
        {
          action: 'http',
          label: 'Acknowledge',
          url: ACK,
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          body: '',
          clear: true,
        },
      ],
      sequence_id: 'n1',
    });
  });

  it.each([
    ['P0', 5],
    ['P1', 4],
    ['P2', 3],
    ['P3', 2],
  ] as const)('maps %s to ntfy priority %i', (priority, expected) => {
    const body = renderedBody(ntfy(), note([item({ alert: makeAlert({ activeSince: T0, priority }) })]));
    expect(body.priority).toBe(expected);
    expect(body.tags[1]).toBe(priority);
  });

  it('sends a resolution as a default-priority message without an action or a click', async () => {
    const { sink } = hook;
    sink.path('/');
    const cfg = ntfy({ server: new URL(sink.url).origin });
    const resolved = item({ kind: 'resolved', resolvedAt: T0 + 27 * 60_000, ackUrl: undefined });
    expect(await send(cfg, note([resolved]))).toEqual({ ok: true });
    const [req] = await sink.waitFor(1);
    expect(req?.headers.authorization).toBeUndefined();
    const body = JSON.parse(req?.body ?? '');
    expect(body).toMatchObject({
      title: '[RESOLVED] API down — grupo_gad_api (lasted 27 min)',
      priority: 3,
      tags: ['white_check_mark', 'ApiDown'],
    });
    expect(body.message).toContain('Resolved: 2026-01-01 10:27:00 (UTC+00:00), lasted 27 min');
    expect(body).not.toHaveProperty('actions');
    expect(body).not.toHaveProperty('click');
  });

  it("adds a button to a lone alert's timeline, which the tap opens when there is nothing to acknowledge", () => {
    const timelineUrl = 'https://centinela.example/alerts/a1';
    const page = renderedBody(ntfy(), note([item({ timelineUrl })]));
    expect(page.click).toBe(ACK);
    expect(page.actions.map((a: { action: string; url: string }) => [a.action, a.url])).toEqual([
      ['http', ACK],
      ['view', timelineUrl],
    ]);
    const resolved = item({ kind: 'resolved', resolvedAt: T0 + 27 * 60_000, ackUrl: undefined, timelineUrl });
    const done = renderedBody(ntfy(), note([resolved]));
    expect(done.click).toBe(timelineUrl);
    expect(done.actions).toEqual([{ action: 'view', label: 'Timeline', url: timelineUrl, clear: false }]);
  });

  it('tells an acknowledgement at default priority with no button', () => {
    const acked = item({ kind: 'acknowledged', ack: { who: 'lead', at: T0 + 60_000 } });
    const body = renderedBody(ntfy(), note([acked]));
    expect(body).toMatchObject({ title: '[P0] Acknowledged by lead: API down — grupo_gad_api', priority: 3 });
    expect(body.tags[0]).toBe('ballot_box_with_check');
    expect(body).not.toHaveProperty('actions');
  });

  it('sends a storm as one message: every alert listed, one Acknowledge button each for the first three', async () => {
    const { sink } = hook;
    sink.path('/');
    const items = ['api_0', 'api_1', 'api_2', 'api_3', 'api_4'].map((c, i) =>
      item({
        key: `k${i}`,
        alert: makeAlert({ activeSince: T0, labels: { alertname: 'ApiDown', container: c } }),
        ackUrl: `${ACK}${i}`,
      }),
    );
    expect(await send(ntfy({ server: new URL(sink.url).origin }), note(items))).toEqual({ ok: true });
    const requests = await sink.waitFor(1);
    expect(requests).toHaveLength(1);
    const body = JSON.parse(requests[0]?.body ?? '');
    expect(body.title).toBe('[P0] 5 alerts: API down — api_0 and 4 more');
    expect(body.tags).toEqual(['rotating_light', 'P0', 'ApiDown']);
    for (const c of ['api_0', 'api_1', 'api_2', 'api_3', 'api_4'])
      expect(body.message).toContain(`[P0] API down — ${c}\n`);
    expect(body.actions.map((a: { label: string; url: string }) => [a.label, a.url])).toEqual([
      ['Ack API down — api_0', `${ACK}0`],
      ['Ack API down — api_1', `${ACK}1`],
      ['Ack API down — api_2', `${ACK}2`],
    ]);
    expect(body).not.toHaveProperty('click');
  });

  it('cuts a storm below 4,000 bytes, so ntfy never turns it into an attachment', () => {
    const items = Array.from({ length: 300 }, (_, i) =>
      item({
        key: `k${i}`,
        alert: makeAlert({
          summary: 'API caída — sin respuesta',
          labels: { alertname: 'ApiDown', container: `api_${i}` },
        }),
      }),
    );
    const message = pushText(note(items), NTFY_LIMIT);
    expect(Buffer.byteLength(message)).toBeLessThanOrEqual(4000);
    expect(message).toMatch(/\n\n…and more alerts \(300 in all\)$/);
    const long = pushText(note([item({ alert: makeAlert({ description: 'ñ'.repeat(5000) }) })]), NTFY_LIMIT);
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(4000);
    expect(long.endsWith('ñ…')).toBe(true);
  });

  it('sends user and password as basic auth, and refuses a channel with both a token and a password', async () => {
    const { sink } = hook;
    sink.path('/');
    const cfg = ntfy({ server: new URL(sink.url).origin, user: 'centinela', password: 'pw' });
    expect(await send(cfg)).toEqual({ ok: true });
    const [req] = await sink.waitFor(1);
    expect(req?.headers.authorization).toBe(`Basic ${Buffer.from('centinela:pw').toString('base64')}`);
    const both = webhookChannel.safeParse({
      kind: 'webhook',
      format: 'ntfy',
      topic: 't',
      token: 'x',
      user: 'u',
      password: 'p',
    });
    expect(both.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['token', 'give either token or user and password, not both'],
    ]);
    const half = webhookChannel.safeParse({ kind: 'webhook', format: 'ntfy', topic: 't', user: 'u' });
    expect(half.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['password', 'basic auth needs both user and password. Write both, or use token'],
    ]);
  });

  it('keeps the same sequence_id for a redelivery of one notification, so ntfy updates it in place', () => {
    const first = renderedBody(ntfy(), note());
    const again = renderedBody(ntfy(), { ...note(), at: T0 + 5 * 60_000 });
    expect(again.sequence_id).toBe(first.sequence_id);
  });

  it('renders the flapping notices', () => {
    expectFlappingNotices(ntfy());
  });
});
