// Microsoft Teams Workflows webhooks against a real loopback receiver: the conformance table, the Adaptive Card and
// markdown escaping.
import { describe, expect, it } from 'vitest';
import { webhookConformance } from '../../support/notifier-conformance.js';
import { channel, expectFlappingNotices, markupNote, renderedBody, send, useWebhookSink } from '../webhook-fixtures.js';

// A Workflows URL is signed in its query (sig=…).
webhookConformance('teams', {
  channel: ({ route, secret }) => ({ url: `${route('/workflows/1/triggers/manual/paths/invoke')}?sig=${secret}` }),
});

const hook = useWebhookSink();
const teams = () => channel({ format: 'teams', url: hook.sink.url });

describe('teams', () => {
  it('posts a workflow message carrying an Adaptive Card with a FactSet and an OpenUrl action', async () => {
    expect(await send(teams())).toEqual({ ok: true });
    const body = JSON.parse((await hook.sink.waitFor(1))[0]?.body ?? '{}');
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

  it('backslash-escapes the markdown Teams would read in alert text, in TextBlocks and facts', () => {
    const card = renderedBody(teams(), markupNote()).attachments[0].content;
    expect(card.body[0].text).toBe(
      '\\[P0\\] \\<!channel\\> API down, see \\<http://evil.example|the runbook\\> & \\[docs\\](http://evil.example) \\*\\*now\\*\\* — grupo_gad_api',
    );
    expect(card.body[2].facts).toContainEqual({
      title: 'Labels',
      value: expect.stringContaining('note=\\<b\\>"x"\\</b\\>'),
    });
    expect(JSON.stringify(card.body)).not.toMatch(/[^\\]\[docs/);
  });

  it('renders the flapping notices', () => {
    expectFlappingNotices(teams());
  });
});
