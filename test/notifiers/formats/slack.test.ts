// Slack incoming webhooks against a real loopback receiver: the conformance table, Block Kit layout, the block limit
// and mrkdwn escaping.
import { describe, expect, it } from 'vitest';
import webhook from '../../../src/notifiers/webhook.js';
import { webhookConformance } from '../../support/notifier-conformance.js';
import {
  channel,
  expectFlappingNotices,
  inSpanish,
  item,
  markupNote,
  note,
  renderedBody,
  send,
  useWebhookSink,
} from '../webhook-fixtures.js';

// Slack's token is the URL's path.
webhookConformance('slack', { channel: ({ route, secret }) => ({ url: route(`/services/T0/B0/${secret}`) }) });

const hook = useWebhookSink();
const slack = () => channel({ format: 'slack', url: hook.sink.url });

describe('slack', () => {
  it('posts a header and a section with facts, runbook and an Acknowledge button', async () => {
    expect(await send(slack())).toEqual({ ok: true });
    const body = JSON.parse((await hook.sink.waitFor(1))[0]?.body ?? '{}');
    expect(body.text).toBe('[P0] API down — grupo_gad_api');
    expect(body.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: '[P0] API down — grupo_gad_api', emoji: true },
    });
    expect(body.blocks[1].text.text).toContain('*Value:* 0 (threshold &lt; 1)');
    expect(body.blocks[1].text.text).toContain('1. docker compose -f docker-compose.prod.yml ps');
    expect(body.blocks[2].elements[0]).toMatchObject({ type: 'button', url: 'https://centinela.example/ack/abc.def' });
  });

  it('posts the page in Spanish to the receiver: facts, local time with its offset, the level, a Reconocer button', async () => {
    const storm = inSpanish(note(Array.from({ length: 20 }, (_, i) => item({ key: `k${i}` }))));
    expect(await send(slack(), inSpanish())).toEqual({ ok: true });
    expect(await send(slack(), storm)).toEqual({ ok: true });
    const [one, many] = (await hook.sink.waitFor(2)).map((r) => JSON.parse(r.body));
    const section = one.blocks[1].text.text;
    expect(section).toContain('*Qué:* API down');
    expect(section).toContain('*Prioridad:* P0 (Producción completamente down), tiempo de respuesta 15 min');
    expect(section).toContain('*Desde:* 2026-01-01 05:00:00 (UTC−05:00) (hace 1 min)');
    expect(section).toContain('*Valor:* 0 (umbral &lt; 1)');
    expect(section).toContain('*Pasos del runbook:*');
    expect(section).toContain('*Diagnóstico (api_health):*');
    expect(one.blocks[2].elements[0].text.text).toBe('Reconocer');
    expect(many.text).toBe('[P0] 20 alertas: API down — grupo_gad_api y 19 más');
    expect(many.blocks.at(-1).elements[0].text).toBe('…y 4 alertas más');
  });

  it('keeps a storm under the block limit', () => {
    const items = Array.from({ length: 300 }, (_, i) => item({ key: `k${i}` }));
    const req = webhook.render(note(items), slack()).requests[0];
    const body = JSON.parse(req?.body ?? '{}');
    expect(body.blocks.length).toBeLessThanOrEqual(50);
    expect(body.blocks.at(-1).elements[0].text).toBe('…and 284 more alerts');
  });

  it('escapes what mrkdwn would read in alert text, in the fallback text and in every block', () => {
    const body = renderedBody(slack(), markupNote());
    const shown = '&lt;!channel&gt; API down, see &lt;http://evil.example|the runbook&gt; &amp; [docs]';
    expect(body.text).toContain(`[P0] ${shown}`);
    expect(body.text).not.toContain('<');
    expect(body.blocks[1].text.text).toContain(shown);
    expect(body.blocks[1].text.text).not.toContain('<');
  });

  it('renders the flapping notices', () => {
    expectFlappingNotices(slack());
  });
});
