// Webhooks against a real loopback receiver: the five formats, the signature, and every way a receiver fails.
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type WebhookChannelConfig, webhookChannel } from '../../src/config/schema.js';
import type { Notification, NotificationItem } from '../../src/notifiers/notifier.js';
import webhook from '../../src/notifiers/webhook.js';
import { MIN, makeAlert, silentLog } from '../support/escalation-fixtures.js';
import { startWebhookSink, type WebhookSink } from '../support/webhook-sink.js';

const T0 = Date.UTC(2026, 0, 1, 10, 0);

function item(over: Partial<NotificationItem> = {}): NotificationItem {
  return {
    key: '1:P0:0:cto',
    kind: 'firing',
    alert: makeAlert({ activeSince: T0 }),
    incidentId: 1,
    level: 'P0',
    responseTimeMs: 15 * MIN,
    openedAt: T0,
    paged: ['cto'],
    ackUrl: 'https://centinela.example/ack/abc.def',
    ...over,
  };
}

const note = (items: NotificationItem[] = [item()]): Notification => ({
  id: 'n1',
  contact: { id: 'cto', name: 'CTO', email: 'cto@grupogad.gob.ec' },
  items,
  at: T0 + MIN,
});

const channel = (raw: Record<string, unknown>): WebhookChannelConfig =>
  webhookChannel.parse({ kind: 'webhook', timeout: '5s', ...raw });

async function send(cfg: WebhookChannelConfig, n = note(), signal: AbortSignal = AbortSignal.timeout(5000)) {
  return webhook.send(webhook.render(n, cfg), { signal, log: silentLog, now: () => T0 });
}

let sink: WebhookSink;
beforeAll(async () => {
  sink = await startWebhookSink();
});
afterAll(() => sink.close());
beforeEach(() => {
  sink.requests.length = 0;
});

describe('generic webhook (centinela.alert.v1)', () => {
  it('posts the versioned schema, signed with X-Centinela-Signature', async () => {
    const cfg = channel({
      format: 'generic',
      url: sink.url,
      signing_secret: 'hook-key',
      headers: { Authorization: 'Bearer receiver-token' },
    });
    expect(await send(cfg)).toEqual({ ok: true });
    const [req] = await sink.waitFor(1);
    if (!req) throw new Error('no request');
    const expected = `sha256=${createHmac('sha256', 'hook-key').update(req.body).digest('hex')}`;
    expect(req.headers['x-centinela-signature']).toBe(expected);
    expect(req.headers['x-centinela-schema']).toBe('centinela.alert.v1');
    expect(req.headers['idempotency-key']).toBe('n1');
    expect(req.headers.authorization).toBe('Bearer receiver-token');
    expect(req.headers['content-type']).toBe('application/json');
    const body = JSON.parse(req.body);
    expect(body).toMatchObject({
      schema: 'centinela.alert.v1',
      id: 'n1',
      sentAt: '2026-01-01T10:01:00.000Z',
      contact: 'cto',
      test: false,
    });
    expect(body.notifications[0]).toEqual({
      key: '1:P0:0:cto',
      event: 'firing',
      alert: {
        id: 'ApiDown{alertname="ApiDown",container="grupo_gad_api"}',
        name: 'ApiDown',
        labels: { alertname: 'ApiDown', container: 'grupo_gad_api' },
        priority: 'P0',
        summary: 'API down',
        description: 'The health endpoint does not answer',
        value: 0,
        op: '<',
        threshold: 1,
        activeSince: '2026-01-01T10:00:00.000Z',
        flapping: false,
        groupKey: 'ApiDown',
        runbook: [
          'docker compose -f docker-compose.prod.yml ps',
          'docker compose logs --tail=100 api',
          'restart the api',
        ],
        diagnosis: [{ probe: 'api_health', detail: 'connect ECONNREFUSED 127.0.0.1:8000' }],
        inhibits: [],
      },
      incident: {
        id: 1,
        level: 'P0',
        previousPriority: null,
        responseTime: '15m',
        responseTimeMs: 900000,
        openedAt: '2026-01-01T10:00:00.000Z',
        paged: ['cto'],
        acknowledged: null,
        resolvedAt: null,
        durationMs: null,
      },
      holding: [],
      ackUrl: 'https://centinela.example/ack/abc.def',
    });
  });

  it('sends no signature header without a signing secret', async () => {
    expect(await send(channel({ format: 'generic', url: sink.url }))).toEqual({ ok: true });
    expect((await sink.waitFor(1))[0]?.headers['x-centinela-signature']).toBeUndefined();
  });
});

describe('receivers that fail', () => {
  const cfg = () => channel({ format: 'generic', url: `${sink.url}?token=abc` });
  const origin = () => new URL(sink.url).origin;

  it('500 → retry', async () => {
    sink.script({ status: 500, body: 'boom' });
    expect(await send(cfg())).toEqual({
      ok: false,
      retryable: true,
      reason: `webhook (generic) to ${origin()}: HTTP 500 boom`,
    });
  });

  it('429 with Retry-After → retry after what the receiver asked', async () => {
    sink.script({ status: 429, headers: { 'retry-after': '7' }, body: 'slow down' });
    expect(await send(cfg())).toMatchObject({ ok: false, retryable: true, retryAfterMs: 7000 });
  });

  it('404 → final, with the start of the answer and no token from the URL', async () => {
    sink.script({ status: 404, body: 'no such hook' });
    const d = await send(cfg());
    expect(d).toEqual({
      ok: false,
      retryable: false,
      reason: `webhook (generic) to ${origin()}: HTTP 404 no such hook`,
    });
  });

  it('a hanging receiver → the timeout aborts it, retry', async () => {
    sink.script('hang');
    const ac = new AbortController();
    const pending = send(cfg(), note(), ac.signal);
    await sink.waitFor(1);
    ac.abort(new Error('timed out'));
    expect(await pending).toEqual({
      ok: false,
      retryable: true,
      reason: `webhook (generic) to ${origin()}: timed out`,
    });
  });

  it('a closed socket → retry', async () => {
    sink.script('close');
    const d = await send(cfg());
    expect(d).toMatchObject({ ok: false, retryable: true });
    expect(d.ok || d.reason).toMatch(/^webhook \(generic\) to http:\/\/127\.0\.0\.1:\d+: UND_ERR_SOCKET /);
  });

  it('nobody listening → retry', async () => {
    const d = await send(channel({ format: 'generic', url: 'http://127.0.0.1:9/hook' }));
    expect(d).toMatchObject({ ok: false, retryable: true, reason: expect.stringContaining('ECONNREFUSED') });
  });
});

describe('chat and incident formats', () => {
  it('slack: a header and a section with facts, runbook and an Acknowledge button', async () => {
    expect(await send(channel({ format: 'slack', url: sink.url }))).toEqual({ ok: true });
    const body = JSON.parse((await sink.waitFor(1))[0]?.body ?? '{}');
    expect(body.text).toBe('[P0] API down — grupo_gad_api');
    expect(body.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: '[P0] API down — grupo_gad_api', emoji: true },
    });
    expect(body.blocks[1].text.text).toContain('*Value:* 0 (threshold &lt; 1)');
    expect(body.blocks[1].text.text).toContain('1. docker compose -f docker-compose.prod.yml ps');
    expect(body.blocks[2].elements[0]).toMatchObject({ type: 'button', url: 'https://centinela.example/ack/abc.def' });
  });

  it('slack: a storm stays under the block limit', () => {
    const items = Array.from({ length: 300 }, (_, i) => item({ key: `k${i}` }));
    const req = webhook.render(note(items), channel({ format: 'slack', url: sink.url })).requests[0];
    const body = JSON.parse(req?.body ?? '{}');
    expect(body.blocks.length).toBeLessThanOrEqual(50);
    expect(body.blocks.at(-1).elements[0].text).toBe('…and 284 more alerts');
  });

  it('teams: a workflow message carrying an Adaptive Card with a FactSet and an OpenUrl action', async () => {
    expect(await send(channel({ format: 'teams', url: sink.url }))).toEqual({ ok: true });
    const body = JSON.parse((await sink.waitFor(1))[0]?.body ?? '{}');
    expect(body.type).toBe('message');
    const card = body.attachments[0];
    expect(card.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(card.content).toMatchObject({ type: 'AdaptiveCard', version: '1.4' });
    expect(card.content.body[2].facts).toContainEqual({ title: 'Priority', value: 'P0, response time 15 min' });
    expect(card.content.actions[0]).toMatchObject({
      type: 'Action.OpenUrl',
      url: 'https://centinela.example/ack/abc.def',
    });
  });

  it('pagerduty: trigger, acknowledge and resolve with dedup_key = the alert id', async () => {
    const cfg = channel({ format: 'pagerduty', routing_key: 'R0UTING', url: sink.path('/v2/enqueue') });
    const alert = makeAlert({ activeSince: T0 });
    const n = note([
      item({ alert }),
      item({ kind: 'acknowledged', alert, ack: { who: 'cto', at: T0 } }),
      item({ kind: 'resolved', alert, resolvedAt: T0 + MIN }),
    ]);
    expect(await send(cfg, n)).toEqual({ ok: true });
    const bodies = (await sink.waitFor(3)).map((r) => JSON.parse(r.body));
    expect(sink.requests.map((r) => r.path)).toEqual(['/v2/enqueue', '/v2/enqueue', '/v2/enqueue']);
    expect(bodies.map((b) => [b.event_action, b.dedup_key, b.routing_key])).toEqual([
      ['trigger', alert.id, 'R0UTING'],
      ['acknowledge', alert.id, 'R0UTING'],
      ['resolve', alert.id, 'R0UTING'],
    ]);
    expect(bodies[0].payload).toMatchObject({
      summary: '[P0] API down — grupo_gad_api',
      severity: 'critical',
      source: 'grupo_gad_api',
      component: 'grupo_gad_api',
      class: 'ApiDown',
    });
    expect(bodies[0].links).toEqual([
      { href: 'https://centinela.example/ack/abc.def', text: 'Acknowledge in centinela' },
    ]);
    expect(bodies[1].payload).toBeUndefined();
  });

  it('telegram: sendMessage in HTML mode; the bot token stays out of failure reasons', async () => {
    const cfg = channel({
      format: 'telegram',
      bot_token: '123:SECRET',
      chat_id: -1001,
      api_url: sink.url.replace(/\/hook$/, ''),
    });
    sink.path('/bot123:SECRET/sendMessage');
    expect(await send(cfg)).toEqual({ ok: true });
    const [req] = await sink.waitFor(1);
    expect(req?.path).toBe('/bot123:SECRET/sendMessage');
    const body = JSON.parse(req?.body ?? '{}');
    expect(body).toMatchObject({ chat_id: '-1001', parse_mode: 'HTML', disable_web_page_preview: true });
    expect(body.text).toContain('<b>[P0] API down — grupo_gad_api</b>');
    expect(body.text).toContain('Value: 0 (threshold &lt; 1)');
    expect(body.text).toContain('<a href="https://centinela.example/ack/abc.def">Acknowledge</a>');
    sink.script({ status: 401, body: '{"ok":false,"description":"Unauthorized"}' });
    const d = await send(cfg);
    expect(d).toMatchObject({ ok: false, retryable: false });
    expect(d.ok || d.reason).not.toContain('SECRET');
  });

  it('escapes what chat markup would read in alert text: Slack mrkdwn, Teams markdown, Telegram HTML', () => {
    const evil = item({
      alert: makeAlert({
        summary: '<!channel> API down, see <http://evil.example|the runbook> & [docs](http://evil.example) **now**',
        labels: { alertname: 'ApiDown', container: 'grupo_gad_api', note: '<b>"x"</b>' },
      }),
    });
    const body = (raw: Record<string, unknown>) =>
      JSON.parse(webhook.render(note([evil]), channel(raw)).requests[0]?.body ?? '{}');

    const slack = body({ format: 'slack', url: sink.url });
    const slackText = '&lt;!channel&gt; API down, see &lt;http://evil.example|the runbook&gt; &amp; [docs]';
    expect(slack.text).toContain(`[P0] ${slackText}`);
    expect(slack.text).not.toContain('<');
    expect(slack.blocks[1].text.text).toContain(slackText);
    expect(slack.blocks[1].text.text).not.toContain('<');

    const card = body({ format: 'teams', url: sink.url }).attachments[0].content;
    const texts = JSON.stringify(card.body);
    expect(card.body[0].text).toBe(
      '\\[P0\\] \\<!channel\\> API down, see \\<http://evil.example|the runbook\\> & \\[docs\\](http://evil.example) \\*\\*now\\*\\* — grupo_gad_api',
    );
    expect(card.body[2].facts).toContainEqual({
      title: 'Labels',
      value: expect.stringContaining('note=\\<b\\>"x"\\</b\\>'),
    });
    expect(texts).not.toMatch(/[^\\]\[docs/);

    const tg = body({ format: 'telegram', bot_token: 't', chat_id: '1' });
    expect(tg.text).toContain(
      '&lt;!channel&gt; API down, see &lt;http://evil.example|the runbook&gt; &amp; [docs](http://evil.example) **now**',
    );
    expect(tg.text).toContain('note=&lt;b&gt;&quot;x&quot;&lt;/b&gt;');
    // Only centinela's own markup is HTML: the bold headlines and the ack link.
    expect(tg.text.match(/<[^>]+>/g)).toEqual([
      '<b>',
      '</b>',
      '<b>',
      '</b>',
      '<a href="https://centinela.example/ack/abc.def">',
      '</a>',
    ]);
  });

  it('renders the flapping notices in every format', () => {
    const render = (raw: Record<string, unknown>, kind: 'flapping' | 'flapping-ended') =>
      webhook.render(note([item({ kind, alert: makeAlert({ flapping: kind === 'flapping' }) })]), channel(raw))
        .requests[0]?.body ?? '';
    const formats = [
      { format: 'slack', url: sink.url },
      { format: 'teams', url: sink.url },
      { format: 'telegram', bot_token: 't', chat_id: '1' },
    ];
    for (const raw of formats) {
      expect(render(raw, 'flapping')).toContain('Flapping, it keeps firing and resolving: API down');
      expect(render(raw, 'flapping-ended')).toContain('Stopped flapping, still firing: API down');
    }
    const generic = { format: 'generic', url: sink.url };
    for (const kind of ['flapping', 'flapping-ended'] as const) {
      expect(JSON.parse(render(generic, kind)).notifications[0].event).toBe(kind);
    }
    const pd = { format: 'pagerduty', routing_key: 'R' };
    // PagerDuty folds them into the open incident's log (same dedup_key); only centinela's own ack and resolve close it.
    expect(JSON.parse(render(pd, 'flapping-ended'))).toMatchObject({
      event_action: 'trigger',
      dedup_key: makeAlert().id,
    });
  });

  it('telegram: a storm is cut below the 4096-character limit', () => {
    const items = Array.from({ length: 300 }, (_, i) => item({ key: `k${i}` }));
    const cfg = channel({ format: 'telegram', bot_token: 't', chat_id: '1' });
    const body = JSON.parse(webhook.render(note(items), cfg).requests[0]?.body ?? '{}');
    expect(body.text.length).toBeLessThanOrEqual(4096);
    expect(body.text).toMatch(/…and more alerts \(300 in all\)$/);
  });
});
