// PagerDuty Events API v2 against a real loopback receiver: the conformance table (the idempotency key is the
// dedup_key), one event per alert with the right action and dedup_key.
import { describe, expect, it } from 'vitest';
import webhook from '../../../src/notifiers/webhook.js';
import { MIN, makeAlert } from '../../support/escalation-fixtures.js';
import { webhookConformance } from '../../support/notifier-conformance.js';
import { channel, flappingNote, item, note, renderedBody, send, T0, useWebhookSink } from '../webhook-fixtures.js';

// The routing key travels in the body; the events URL holds no secret.
webhookConformance('pagerduty', {
  channel: ({ route, secret }) => ({ routing_key: secret, url: route('/v2/enqueue') }),
  idempotencyKey: (req) => JSON.parse(req.body).dedup_key,
});

const hook = useWebhookSink();

describe('pagerduty', () => {
  it('triggers, acknowledges and resolves with dedup_key = the alert id', async () => {
    const { sink } = hook;
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

  it('links the incident timeline beside the ack link', () => {
    const cfg = channel({ format: 'pagerduty', routing_key: 'R' });
    const timelineUrl = 'https://centinela.example/alerts/ae7a13946d81134bfd92?incident=1';
    const body = renderedBody(cfg, note([item({ timelineUrl })]));
    expect(body.links).toEqual([
      { href: 'https://centinela.example/ack/abc.def', text: 'Acknowledge in centinela' },
      { href: timelineUrl, text: 'Timeline' },
    ]);
  });

  it('folds the flapping notices into the open incident: a trigger on the same dedup_key', () => {
    // Only centinela's own ack and resolve close it.
    const cfg = channel({ format: 'pagerduty', routing_key: 'R' });
    expect(renderedBody(cfg, flappingNote('flapping-ended'))).toMatchObject({
      event_action: 'trigger',
      dedup_key: makeAlert().id,
    });
  });

  it('scopes dedup_key to the installation: another state store paging the service opens its own incident', () => {
    const cfg = channel({ format: 'pagerduty', routing_key: 'R' });
    const dedup = (installation: number) => renderedBody(cfg, { ...note([item()]), installation }).dedup_key;
    expect(dedup(7)).toBe(`7:${makeAlert().id}`);
    expect(dedup(7)).toBe(dedup(7));
    expect(dedup(8)).not.toBe(dedup(7));
  });

  it('triggers and resolves a test page under a dedup_key of its own, not the alert id', () => {
    const cfg = channel({ format: 'pagerduty', routing_key: 'R' });
    const requests = webhook.render(note([item({ kind: 'test' })]), cfg).requests;
    expect(requests.map((r) => JSON.parse(r.body)).map((b) => [b.event_action, b.dedup_key])).toEqual([
      ['trigger', 'centinela-test-n1'],
      ['resolve', 'centinela-test-n1'],
    ]);
  });
});
