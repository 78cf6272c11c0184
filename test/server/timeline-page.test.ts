// An incident's timeline page: each step at the time it happened, what was held back marked so and nothing else, the
// diagnosis as `key: value` lines, and how each acknowledgement arrived.
import { describe, expect, it } from 'vitest';
import type { AlertDetailView, PageView } from '../../src/server/api-shapes.js';
import { renderTimeline } from '../../src/server/timeline-page.js';
import { alertView } from '../support/alert-views.js';

const T0 = Date.UTC(2026, 0, 5, 10, 0, 0);
const at = (s: number) => new Date(T0 + s * 1000).toISOString();
const UTC = { locale: 'en' as const, timezone: 'UTC' };

function detail(over: Partial<AlertDetailView>): AlertDetailView {
  return {
    ...alertView(at(0), { state: 'resolved', labels: { service: 'api' }, paged: [], deliveries: [] }),
    runbook: [],
    diagnosis: [],
    incident: { id: 3, openedAt: at(0), resolvedAt: at(600) },
    acks: [],
    history: [],
    pages: [],
    ...over,
  };
}

function page(over: Partial<PageView>): PageView {
  return {
    contact: 'cto',
    channel: 'email',
    event: 'firing',
    createdAt: at(0),
    status: 'delivered',
    attempts: 1,
    ...over,
  };
}

/** The steps of the page: [kind, time, text]. */
function steps(html: string): [string, string, string][] {
  return [
    ...html.matchAll(/<li class="step [^"]*" data-step="([^"]+)"><time[^>]*>([^<]*)<\/time> <span>([^<]*)<\/span>/g),
  ].map((m) => [m[1] ?? '', m[2] ?? '', m[3] ?? '']);
}

describe('an incident timeline', () => {
  it('stamps a failing page with when it began to fail and a given-up one with when it was given up', () => {
    const out = renderTimeline(
      detail({
        pages: [
          page({ status: 'pending', attempts: 3, lastError: 'ECONNREFUSED', failingSince: at(5), createdAt: at(0) }),
          page({ channel: 'hook', status: 'failed', attempts: 8, lastError: '503', givenUpAt: at(400) }),
        ],
      }),
      UTC,
    ).value;
    expect(steps(out).filter(([kind]) => kind === 'failing' || kind === 'failed')).toEqual([
      ['failing', '2026-01-05 10:00:05 (UTC+00:00)', 'Page to cto via email failing (3 attempts): ECONNREFUSED'],
      ['failed', '2026-01-05 10:06:40 (UTC+00:00)', 'Page not delivered to cto via hook (8 attempts): 503'],
    ]);
  });

  it('shows each channel a page failed on before the one that delivered it', () => {
    const out = renderTimeline(
      detail({
        pages: [
          page({
            channel: 'email',
            attempts: 9,
            deliveredAt: at(301),
            tried: [{ channel: 'push', attempts: 8, since: at(1), until: at(300), error: 'ECONNREFUSED' }],
          }),
        ],
      }),
      { locale: 'es', timezone: 'America/Guayaquil' },
    ).value;
    expect(steps(out).map(([kind, time, text]) => [kind, time.slice(11, 19), text])).toEqual([
      ['page firing', '05:00:00', 'Aviso para cto por push'],
      ['failover', '05:05:00', 'Aviso a cto por push falló (8 intentos desde las 05:00): ECONNREFUSED; pasa a email'],
      ['delivered', '05:05:01', 'Aviso entregado a cto por email'],
    ]);
  });

  it('marks held back only what wrote no page: a firing held by a window, not the all-clear sent to those paged', () => {
    const window = [{ kind: 'maintenance' as const, id: 'w1' }];
    const out = renderTimeline(
      detail({
        history: [
          { at: at(600), event: 'told resolved', suppressedBy: window },
          { at: at(600), event: 'resolved', suppressedBy: window },
          { at: at(300), event: 'told priority-changed', priority: 'P0', suppressedBy: window },
          { at: at(0), event: 'told firing', priority: 'P1' },
          { at: at(0), event: 'firing', priority: 'P1' },
        ],
        pages: [page({}), page({ event: 'resolved', createdAt: at(600), deliveredAt: at(601) })],
      }),
      UTC,
    ).value;
    expect(steps(out).map(([kind, time]) => `${kind} ${time.slice(11, 19)}`)).toEqual([
      'state-firing 10:00:00',
      'page firing 10:00:00',
      'held 10:05:00',
      'state-resolved 10:10:00',
      'page resolved 10:10:00',
      'delivered 10:10:01',
    ]);
    expect(out).toContain('Held back by maintenance window w1');
    expect(out).not.toMatch(/Resolved<\/span><br><span class="muted">Held back/);
  });

  it('names what held a page back: the inhibiting alert by its name, the silence, in the reader’s language', () => {
    const out = renderTimeline(
      detail({
        history: [
          {
            at: at(0),
            event: 'told firing',
            priority: 'P1',
            suppressedBy: [
              { kind: 'inhibited', id: 'ae7a13946d81134bfd92', alertname: 'ApiDown' },
              { kind: 'silenced', id: 's-1' },
            ],
          },
        ],
      }),
      { locale: 'es', timezone: 'America/Guayaquil' },
    ).value;
    expect(steps(out)).toEqual([
      ['held', '2026-01-05 05:00:00 (UTC−05:00)', 'Retenida por ApiDown (inhibición), el silencio s-1'],
    ]);
    expect(out).not.toContain('ae7a13946d81134bfd92');
  });

  it('shows a JSON diagnosis as key: value lines, and any other as it is', () => {
    const out = renderTimeline(
      detail({
        diagnosis: [
          { probe: 'api_health', detail: 'status 503: {"status":"unhealthy","database":"down"}' },
          { probe: 'db', detail: 'slow queries:\n1. SELECT 1 (3 s)' },
        ],
      }),
      UTC,
    ).value;
    expect(out).toContain(
      '<div class="reason">status 503<dl class="kv"><div><dt>status</dt><dd>unhealthy</dd></div><div><dt>database</dt><dd>down</dd></div></dl></div>',
    );
    expect(out).not.toContain('&quot;status&quot;');
    expect(out).toContain('<pre class="diagnosis">slow queries:\n1. SELECT 1 (3 s)</pre>');
  });

  it('tells each acknowledgement with how it arrived, and which incident this is', () => {
    const acks = [
      { by: 'Ana', at: at(60), via: 'page', comment: 'restarting' },
      { by: 'Luis', at: at(400), via: 'link' },
    ];
    const es = renderTimeline(detail({ acks }), { locale: 'es', timezone: 'America/Guayaquil' }).value;
    expect(steps(es).map(([, , text]) => text)).toEqual([
      'Reconocida por Ana (por la página de estado)',
      'Reconocida por Luis (por el enlace del correo)',
    ]);
    expect(es).toContain(
      'Incidente 3, abierto 2026-01-05 05:00:00 (UTC−05:00), resuelto 2026-01-05 05:10:00 (UTC−05:00)',
    );
  });
});
