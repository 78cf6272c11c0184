// The generic webhook (centinela.alert.v1) against a real loopback receiver: the conformance table, the versioned
// schema, the signature and the receiver's own headers.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { webhookConformance } from '../../support/notifier-conformance.js';
import { channel, flappingNote, renderedBody, send, useWebhookSink } from '../webhook-fixtures.js';

webhookConformance('generic', {
  channel: ({ route, secret }) => {
    // A token in the path, in the query and as URL credentials; a bearer header; the HMAC key.
    const url = new URL(route(`/hooks/${secret}`));
    url.searchParams.set('token', secret);
    url.username = 'centinela';
    url.password = secret;
    return { url: url.href, signing_secret: secret, headers: { Authorization: `Bearer ${secret}` } };
  },
});

const hook = useWebhookSink();

describe('generic webhook (centinela.alert.v1)', () => {
  it('posts the versioned schema, signed with X-Centinela-Signature', async () => {
    const { sink } = hook;
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
        unit: null,
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
        peak: null,
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
      timelineUrl: null,
    });
  });

  it('sends no signature header without a signing secret', async () => {
    const { sink } = hook;
    expect(await send(channel({ format: 'generic', url: sink.url }))).toEqual({ ok: true });
    expect((await sink.waitFor(1))[0]?.headers['x-centinela-signature']).toBeUndefined();
  });

  it('tells the flapping notices by their event', () => {
    const cfg = channel({ format: 'generic', url: hook.sink.url });
    for (const kind of ['flapping', 'flapping-ended'] as const) {
      expect(renderedBody(cfg, flappingNote(kind)).notifications[0].event).toBe(kind);
    }
  });
});
