// Slack incoming webhooks against a real loopback receiver: the conformance table, Block Kit layout, the block limit
// and mrkdwn escaping.
import { describe, expect, it } from 'vitest';
import webhook from '../../../src/notifiers/webhook.js';
import { webhookConformance } from '../../support/notifier-conformance.js';
import {
  channel,
  expectFlappingNotices,
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
