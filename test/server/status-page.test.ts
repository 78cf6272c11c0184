// The status page's rendering: everything a target, a label or a config says is escaped; ack state and buttons.

import { describe, expect, it } from 'vitest';
import { DEFAULT_READING } from '../../src/locale/locale.js';
import { escapeHtml } from '../../src/notifiers/html.js';
import type { AlertView, StatusView } from '../../src/server/api-shapes.js';
import { html, page } from '../../src/server/html.js';
import { renderStatus } from '../../src/server/status-page.js';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const iso = (msAgo: number) => new Date(NOW - msAgo).toISOString();

function alert(over: Partial<AlertView>): AlertView {
  return {
    id: 'a1',
    alertname: 'ApiDown',
    labels: { probe: 'api_health' },
    priority: 'P0',
    state: 'firing',
    value: 0,
    threshold: 1,
    op: '<',
    summary: 'API down',
    activeSince: iso(12 * 60_000),
    flapping: false,
    suppressedBy: [],
    paged: ['cto'],
    deliveries: [{ contact: 'cto', channel: 'email', status: 'sent', at: iso(12 * 60_000), attempts: 1 }],
    notDelivered: false,
    ...over,
  };
}

function view(over: Partial<StatusView>): StatusView {
  return { generatedAt: new Date(NOW).toISOString(), probes: [], alerts: [], silences: [], windows: [], ...over };
}

describe('status page rendering', () => {
  it('escapes hostile text from labels, summaries, probe reasons and silences', () => {
    const evil = '<script>alert(1)</script>"\'&';
    const out = renderStatus(
      view({
        alerts: [alert({ alertname: evil, summary: evil, labels: { [evil]: evil }, paged: [evil] })],
        probes: [{ name: 'p', kind: 'http', up: false, reason: evil, samples: [{ name: evil, labels: {}, value: 1 }] }],
        silences: [
          {
            id: evil,
            matchers: [{ label: 'alertname', op: '=', value: evil }],
            startsAt: iso(0),
            endsAt: iso(-600_000),
            createdBy: evil,
            reason: evil,
            state: 'active',
          },
        ],
      }),
      NOW,
      DEFAULT_READING,
    ).value;
    expect(out).not.toContain('<script>');
    expect(out).not.toMatch(/"'&[^a#]/);
    expect(out).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;');
  });

  it('says when a silence that has not started yet starts, instead of when it ends', () => {
    const silence = {
      matchers: [{ label: 'alertname', op: '=', value: 'ApiDown' }],
      createdBy: 'ana',
      reason: 'r',
    };
    const out = renderStatus(
      view({
        silences: [
          { ...silence, id: 's1', startsAt: iso(60_000), endsAt: iso(-600_000), state: 'active' },
          { ...silence, id: 's2', startsAt: iso(-3_600_000), endsAt: iso(-7_200_000), state: 'pending' },
        ],
      }),
      NOW,
      DEFAULT_READING,
    ).value;
    expect(out).toContain('r — ana, ends in 10 min');
    expect(out).toContain('r — ana, starts in 60 min, lasts 60 min');
    expect(out).not.toMatch(/s2.*ends in/);
  });

  it('marks a rollback’s window as such, in the reader’s language', () => {
    const window = {
      id: 'w1',
      kind: 'one-shot' as const,
      open: true,
      probes: ['api_health'],
      priority: 'P1' as const,
      matchers: [],
      startsAt: iso(60_000),
      endsAt: iso(-14 * 60_000),
      reason: 'rollback: ./scripts/rollback_production.sh',
      openedBy: 'ana',
      state: 'open' as const,
    };
    const render = (rollback: boolean, locale: 'es' | 'en') =>
      renderStatus(view({ windows: [{ ...window, rollback }] }), NOW, { locale, timezone: 'UTC' }).value;
    expect(render(true, 'es')).toContain(
      '<strong>reversión (rollback)</strong>: hasta que api_health vuelvan a pasar — rollback: ./scripts/rollback_production.sh (ana)',
    );
    expect(render(true, 'en')).toContain('<strong>rollback</strong>: until api_health pass again');
    expect(render(false, 'en')).not.toContain('<strong>rollback</strong>');
  });

  it('shows an Ack button for an unacknowledged firing alert, with priority, age and who was paged', () => {
    const out = renderStatus(view({ alerts: [alert({})] }), NOW, DEFAULT_READING).value;
    expect(out).toContain('data-ack="a1"');
    expect(out).toContain('<span class="badge P0">P0</span> ApiDown');
    expect(out).toContain('for 12 min');
    expect(out).toContain('paged: cto');
  });

  it('says in red that a page reached nobody, and where each delivery stands', () => {
    const failing = alert({
      paged: [],
      notDelivered: true,
      deliveries: [
        { contact: 'cto', channel: 'email', status: 'failing', attempts: 4, lastError: 'getaddrinfo ENOTFOUND smtp' },
        { contact: 'cto', channel: 'ops_webhook', status: 'queued', attempts: 0 },
      ],
    });
    const out = renderStatus(view({ alerts: [failing] }), NOW, DEFAULT_READING).value;
    expect(out).toContain('paged: nobody yet');
    expect(out).toContain(
      '<p class="undelivered" data-undelivered="true">Not delivered: no page has reached anyone yet</p>',
    );
    expect(out).toContain('cto · email: failing, 4 attempts: getaddrinfo ENOTFOUND smtp');
    expect(out).toContain('cto · ops_webhook: queued');
    expect(renderStatus(view({ alerts: [alert({})] }), NOW, DEFAULT_READING).value).not.toContain('data-undelivered');
  });

  it('shows who acknowledged instead of the button', () => {
    const acked = alert({ ack: { by: 'Ana', at: iso(3 * 60_000), via: 'api', comment: 'on it' } });
    const out = renderStatus(view({ alerts: [acked] }), NOW, DEFAULT_READING).value;
    expect(out).not.toContain('data-ack=');
    expect(out).toContain('Acknowledged by Ana 3 min ago — on it');
  });

  it('lists pending alerts apart and without a button', () => {
    const pending = alert({ id: 'p1', state: 'pending', activeSince: undefined });
    const out = renderStatus(view({ alerts: [pending] }), NOW, DEFAULT_READING).value;
    expect(out).toContain('Nothing is firing.');
    expect(out).toContain('<h2>Pending</h2>');
    expect(out).not.toContain('data-ack=');
  });

  it('builds a phone-friendly page that loads only its own script and stylesheet', () => {
    const out = page({
      lang: 'en',
      title: 'x<y',
      body: html`<p>${'a&b'}</p>`,
      script: '/assets/status.js',
      noscriptRefresh: 15,
    });
    expect(out).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(out).toContain('<title>x&lt;y</title>');
    expect(out).toContain('<p>a&amp;b</p>');
    expect(out).toContain('<script src="/assets/status.js" defer></script>');
    expect(out).toContain('<meta http-equiv="refresh" content="15">');
    expect(escapeHtml('&<>"\'')).toBe('&amp;&lt;&gt;&quot;&#39;');
  });
});
