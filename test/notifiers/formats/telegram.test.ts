// Telegram's Bot API sendMessage against a real loopback receiver: the conformance table, HTML mode and its escaping,
// and the 4096-character limit.
import { describe, expect, it } from 'vitest';
import { makeAlert } from '../../support/escalation-fixtures.js';
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

// The bot token is part of the URL's path, built from api_url.
webhookConformance('telegram', {
  channel: ({ origin, route, secret }) => {
    route(`/bot${secret}/sendMessage`);
    return { bot_token: secret, chat_id: -1001, api_url: origin };
  },
});

const hook = useWebhookSink();
const telegram = () => channel({ format: 'telegram', bot_token: 't', chat_id: '1' });

describe('telegram', () => {
  it('sends sendMessage in HTML mode with the facts and an Acknowledge link', async () => {
    const { sink } = hook;
    const cfg = channel({
      format: 'telegram',
      bot_token: '123:SECRET',
      chat_id: -1001,
      api_url: new URL(sink.url).origin,
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
  });

  it('HTML-escapes alert text: only its own bold headlines and ack link are markup', () => {
    const { text } = renderedBody(telegram(), markupNote());
    expect(text).toContain(
      '&lt;!channel&gt; API down, see &lt;http://evil.example|the runbook&gt; &amp; [docs](http://evil.example) **now**',
    );
    expect(text).toContain('note=&lt;b&gt;&quot;x&quot;&lt;/b&gt;');
    expect(text.match(/<[^>]+>/g)).toEqual([
      '<b>',
      '</b>',
      '<b>',
      '</b>',
      '<b>',
      '</b>',
      '<pre>',
      '</pre>',
      '<a href="https://centinela.example/ack/abc.def">',
      '</a>',
    ]);
  });

  it("shows each diagnosed probe's detail, escaped, between the runbook and the ack link", () => {
    const alert = makeAlert({
      diagnosis: [
        { probe: 'api_health', detail: 'connect ECONNREFUSED 127.0.0.1:8000' },
        { probe: 'db', detail: 'pid 42 (3 s): SELECT * FROM tasks WHERE a < $1 && b > $2' },
      ],
    });
    const { text } = renderedBody(telegram(), note([item({ alert })]));
    expect(text).toContain(
      '3. restart the api\n' +
        '<b>Diagnosis (api_health):</b>\n<pre>connect ECONNREFUSED 127.0.0.1:8000</pre>\n' +
        '<b>Diagnosis (db):</b>\n<pre>pid 42 (3 s): SELECT * FROM tasks WHERE a &lt; $1 &amp;&amp; b &gt; $2</pre>\n' +
        '<a href="https://centinela.example/ack/abc.def">Acknowledge</a>',
    );
  });

  it('cuts a long diagnosis to the room left, keeping the ack link, within the limit', () => {
    const lines = Array.from(
      { length: 400 },
      (_, i) => `2026-01-01T10:00:${String(i % 60).padStart(2, '0')}Z ERROR <boom> & ${i}`,
    );
    const alert = makeAlert({ diagnosis: [{ probe: 'containers', detail: lines.join('\n') }] });
    const { text } = renderedBody(telegram(), note([item({ alert })]));
    expect(text.length).toBeLessThanOrEqual(4000);
    expect(text.length).toBeGreaterThan(3900);
    expect(text).toContain('<b>Diagnosis (containers):</b>\n<pre>2026-01-01T10:00:00Z ERROR &lt;boom&gt; &amp; 0\n');
    expect(text).toMatch(/…<\/pre>\n<a href="https:\/\/centinela\.example\/ack\/abc\.def">Acknowledge<\/a>$/);
    // No entity is cut in half.
    expect(text).not.toMatch(/&[a-z]*…/);
  });

  it('cuts a storm below the 4096-character limit', () => {
    const items = Array.from({ length: 300 }, (_, i) => item({ key: `k${i}` }));
    const body = renderedBody(telegram(), note(items));
    expect(body.text.length).toBeLessThanOrEqual(4096);
    expect(body.text).toMatch(/…and more alerts \(300 in all\)$/);
  });

  it('renders the flapping notices', () => {
    expectFlappingNotices(telegram());
  });
});
