// The status page's rendering: everything a target, a label or a config says is escaped; ack state and buttons.

import { describe, expect, it } from 'vitest';
import { DEFAULT_READING } from '../../src/locale/locale.js';
import { escapeHtml } from '../../src/notifiers/html.js';
import type { AlertView, IncidentView, StatusView } from '../../src/server/api-shapes.js';
import { html, page } from '../../src/server/html.js';
import { renderStatus } from '../../src/server/status-page.js';
import { PRIORITIES, type Priority, type Sample } from '../../src/types.js';
import { alertView } from '../support/alert-views.js';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
/** A browser logged in with the write token, as Ana. */
const WRITER = { canAck: true, by: 'Ana' };
const iso = (msAgo: number) => new Date(NOW - msAgo).toISOString();

function alert(over: Partial<AlertView>): AlertView {
  return alertView(iso(12 * 60_000), over);
}

/** A view listing every alert and incident it is given (none cut short): its counts are theirs. */
function view(over: Partial<StatusView>): StatusView {
  const alerts = over.alerts ?? [];
  const count = (state: AlertView['state']) =>
    Object.fromEntries(
      PRIORITIES.map((p) => [p, alerts.filter((a) => a.state === state && a.priority === p).length]),
    ) as Record<Priority, number>;
  return {
    generatedAt: new Date(NOW).toISOString(),
    probes: [],
    alerts,
    open: { firing: count('firing'), pending: count('pending') },
    inhibitors: Object.fromEntries(alerts.map((a) => [a.id, a.alertname])),
    silences: [],
    windows: [],
    runSlots: 90,
    signals: [],
    incidents: [],
    incidentCount: over.incidents?.length ?? 0,
    ...over,
  };
}

describe('status page rendering', () => {
  it('escapes hostile text from labels, summaries, probe reasons and silences', () => {
    const evil = '<script>alert(1)</script>"\'&';
    const out = renderStatus(
      view({
        alerts: [alert({ alertname: evil, summary: evil, labels: { [evil]: evil }, paged: [evil] })],
        probes: [
          {
            name: 'p',
            kind: 'http',
            up: false,
            reason: evil,
            samples: [{ name: evil, labels: {}, value: 1 }],
            runs: [],
            uptime: {},
          },
        ],
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
      WRITER,
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
      WRITER,
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
      renderStatus(view({ windows: [{ ...window, rollback }] }), NOW, { locale, timezone: 'UTC' }, WRITER).value;
    expect(render(true, 'es')).toContain(
      '<strong>reversión (rollback)</strong>: hasta que api_health vuelva a pasar — rollback: ./scripts/rollback_production.sh (ana)',
    );
    expect(render(true, 'en')).toContain('<strong>rollback</strong>: until api_health passes again');
    expect(render(false, 'en')).not.toContain('<strong>rollback</strong>');
  });

  it('shows a silence and a window whose stored matchers no longer read, and why, in the reader’s language', () => {
    // Issue 13 review r13e, D3: such a row was listed as {__unreadable__="\0"}, a NUL on the page.
    const problem = '0: is not a regular expression (invalid or unsupported Perl syntax; …)';
    const matchers = [{ label: 'alertname', op: '=~', value: '(?=Disk)DiskFull\u001b' }];
    const silence = {
      id: 's1',
      matchers,
      unreadable: problem,
      startsAt: iso(60_000),
      endsAt: iso(-60 * 60_000),
      createdBy: 'ana',
      reason: 'disk work',
      state: 'active' as const,
    };
    const window = {
      id: 'w1',
      kind: 'one-shot' as const,
      probes: ['api_health'],
      matchers,
      unreadable: problem,
      startsAt: iso(60_000),
      endsAt: iso(-14 * 60_000),
      state: 'open' as const,
    };
    const render = (locale: 'es' | 'en') =>
      renderStatus(view({ silences: [silence], windows: [window] }), NOW, { locale, timezone: 'UTC' }, WRITER).value;
    const en = render('en');
    expect(en).toContain('{alertname=~&quot;(?=Disk)DiskFull\\x1b&quot;}');
    expect(en).toContain(
      `<strong>its matchers cannot be read (${escapeHtml(problem)}): it silences nothing. Expire it and create it again</strong>`,
    );
    expect(en).toContain(
      `<strong>its matchers cannot be read (${escapeHtml(problem)}): it holds back nothing. End it and open it again</strong>`,
    );
    const es = render('es');
    expect(es).toContain('no silencia nada. Expírelo y créelo de nuevo</strong>');
    expect(es).toContain('no retiene nada. Ciérrela y ábrala de nuevo</strong>');
    for (const c of ['\0', '\u001b']) expect(en + es).not.toContain(c);
  });

  it('shows an Ack form for an unacknowledged firing alert, with priority, age, who was paged and its timeline', () => {
    const out = renderStatus(view({ alerts: [alert({})] }), NOW, DEFAULT_READING, WRITER).value;
    expect(out).toContain('data-ack="a1"');
    expect(out).toContain('<span class="badge P0">P0</span> <a href="/alerts/a1" title="Timeline">ApiDown</a>');
    expect(out).toContain('since 2026-01-01 11:48:00 (UTC+00:00) · for 12 min · value 0 (&lt; 1) · paged: cto');
  });

  it.each([
    ['en', 'active', 'Replica web-&lt;1&gt;: the active one (it checks, pages and takes acknowledgements).'],
    ['en', 'standby', 'Replica web-&lt;1&gt;: the standby. It shows what the active one records, a few seconds behind'],
    ['es', 'active', 'Réplica web-&lt;1&gt;: la activa (comprueba, avisa y recibe los reconocimientos).'],
    ['es', 'standby', 'Réplica web-&lt;1&gt;: la de reserva. Muestra lo que registra la activa'],
  ] as const)('names the replica and its role (%s, %s); one replica alone says nothing of it', (locale, role, text) => {
    const reading = { locale, timezone: 'UTC' };
    const out = renderStatus(view({}), NOW, reading, WRITER, { name: 'web-<1>', role, term: 3 }).value;
    expect(out).toContain(`<p id="replica" data-role="${role}">${text}`);
    expect(renderStatus(view({}), NOW, reading, WRITER).value).not.toContain('id="replica"');
  });

  it('shows the value and threshold in the rule’s unit, and none for a state such as up == 0', () => {
    const rate = alert({ unit: 'percent', value: 7.24, threshold: 5, op: '>' });
    const render = (a: AlertView) => renderStatus(view({ alerts: [a] }), NOW, DEFAULT_READING, WRITER).value;
    expect(render(rate)).toContain('· for 12 min · value 7.2 % (&gt; 5 %) · paged: cto');
    expect(render(alert({ unit: 'state' }))).toContain('· for 12 min · paged: cto');
    expect(render(alert({ unit: 'state' }))).not.toContain('value 0');
    // Received from a source, no unit: the bare numbers.
    expect(render(alert({}))).toContain('· value 0 (&lt; 1) ·');
  });

  it('says since when an alert fires on the reader’s clock, with the offset, beside its age', () => {
    const reading = { locale: 'es' as const, timezone: 'America/Guayaquil' };
    const out = renderStatus(view({ alerts: [alert({})] }), NOW, reading, WRITER).value;
    expect(out).toContain('desde 2026-01-01 06:48:00 (UTC−05:00) · hace 12 min');
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
    const out = renderStatus(view({ alerts: [failing] }), NOW, DEFAULT_READING, WRITER).value;
    expect(out).toContain('paged: nobody yet');
    expect(out).toContain(
      '<p class="undelivered" data-undelivered="true">Not delivered: no page has reached anyone yet</p>',
    );
    expect(out).toContain('cto · email: failing, 4 attempts: getaddrinfo ENOTFOUND smtp');
    expect(out).toContain('cto · ops_webhook: queued');
    expect(renderStatus(view({ alerts: [alert({})] }), NOW, DEFAULT_READING, WRITER).value).not.toContain(
      'data-undelivered',
    );
  });

  it('says in one line per contact whether the page reached them, the channel lines folded under it', () => {
    const nine = alert({
      paged: ['lead'],
      deliveries: [
        ...['push', 'email', 'sms'].map((channel, i) => ({
          contact: 'cto',
          channel,
          status: 'failing' as const,
          attempts: 5,
          lastError: 'connect ECONNREFUSED 10.0.0.1:443',
          failingSince: iso((9 - i) * 60_000),
        })),
        { contact: 'lead', channel: 'push', status: 'failing', attempts: 3, failingSince: iso(9 * 60_000) },
        { contact: 'lead', channel: 'email', status: 'sent', at: iso(4 * 60_000), attempts: 2 },
        { contact: 'ops', channel: 'hook', status: 'given-up', attempts: 8 },
        { contact: 'dba', channel: 'email', status: 'queued', attempts: 0 },
      ],
    });
    const out = renderStatus(
      view({ alerts: [nine] }),
      NOW,
      { locale: 'es', timezone: 'America/Guayaquil' },
      WRITER,
    ).value;
    const summary = out.slice(out.indexOf('<ul class="contacts">'), out.indexOf('<details class="deliveries">'));
    expect(summary.match(/<li class="contact/g)).toHaveLength(4);
    expect(summary).toContain('cto: sin avisar, falla desde las 06:51');
    expect(summary).toContain('lead: avisado por email a las 06:56');
    expect(summary).toContain('ops: sin avisar, abandonado');
    expect(summary).toContain('dba: en camino');
    expect(summary).not.toContain('ECONNREFUSED');
    // The raw errors are there, folded.
    expect(out).toMatch(
      /<details class="deliveries"><summary>Entrega por canal \(7 líneas\)<\/summary><ul class="deliveries">(<li class="delivery [^"]+" data-delivery="[^"]+">[^<]+<\/li>){7}<\/ul><\/details>/,
    );
  });

  it('shows who acknowledged instead of the button', () => {
    const acked = alert({ ack: { by: 'Ana', at: iso(3 * 60_000), via: 'api', comment: 'on it' } });
    const out = renderStatus(view({ alerts: [acked] }), NOW, DEFAULT_READING, WRITER).value;
    expect(out).not.toContain('data-ack=');
    expect(out).toContain('Acknowledged by Ana 3 min ago — on it');
  });

  it('lists pending alerts apart, since when, and without a button', () => {
    const pending = alert({ id: 'p1', state: 'pending', activeSince: undefined, pendingSince: iso(4 * 60_000) });
    const out = renderStatus(view({ alerts: [pending] }), NOW, DEFAULT_READING, WRITER).value;
    expect(out).toContain('Nothing is firing.');
    expect(out).toContain('<h2>Pending</h2>');
    expect(out).toContain('pending since 2026-01-01 11:56:00 (UTC+00:00) · for 4 min');
    expect(out).not.toContain('data-ack=');
  });

  it('says under a list cut short how many more there are, of which priorities, in the reader’s language', () => {
    // The view lists one firing P1 of 3 firing (1 P1, 2 P3), no pending one of 4, and 2 incidents of 5.
    const listed = alert({ priority: 'P1' });
    const incident = (id: number): IncidentView => ({
      id,
      alertId: 'a1',
      alertname: 'ApiDown',
      labels: {},
      priority: 'P1',
      openedAt: iso(3_600_000),
      durationSeconds: 60,
    });
    const cut = view({
      alerts: [listed],
      open: { firing: { P0: 0, P1: 1, P2: 0, P3: 2 }, pending: { P0: 1, P1: 0, P2: 3, P3: 0 } },
      incidents: [incident(5), incident(4)],
      incidentCount: 5,
    });
    const es = renderStatus(cut, NOW, { locale: 'es', timezone: 'UTC' }, WRITER).value;
    expect(es).toContain(
      '<p class="muted more" data-more="firing" data-count="2">…y 2 activas más (P3: 2), que no se listan aquí; todas: <a href="/api/v1/alerts?state=firing">',
    );
    expect(es).toContain(
      '<h2>Pendientes</h2><p class="muted more" data-more="pending" data-count="4">…y 4 pendientes más (P0: 1, P2: 3)',
    );
    expect(es).toContain('…y 3 incidentes anteriores de los últimos 7 días, que no se listan aquí.');
    expect(es).toContain('<p>3 activas · 4 pendientes · ');
    const en = renderStatus(cut, NOW, DEFAULT_READING, WRITER).value;
    expect(en).toContain(
      '…and 4 more pending (P0: 1, P2: 3), not listed here; all of them: <a href="/api/v1/alerts?state=pending">',
    );
    expect(en).toContain('…and 3 older incidents of the last 7 days, not listed here.');
    // Nothing cut short, nothing said.
    expect(renderStatus(view({ alerts: [listed] }), NOW, DEFAULT_READING, WRITER).value).not.toContain('data-more');
  });

  it('says which alert holds an inhibited alert back and offers it no Ack; a silenced one says so', () => {
    const source = alert({ id: 'src', alertname: 'ApiContainerDown' });
    const held = alert({ id: 'sym', suppressedBy: [{ kind: 'inhibited', id: 'src' }] });
    const silenced = alert({ id: 'sil', alertname: 'Quiet', suppressedBy: [{ kind: 'silenced', id: 's-1' }] });
    const out = renderStatus(view({ alerts: [source, held, silenced] }), NOW, DEFAULT_READING, WRITER).value;
    expect(out).toContain('<span class="badge held" data-held="inhibited">held back by ApiContainerDown</span>');
    expect(out).not.toContain('inhibited inhibited');
    expect(out).toContain('data-ack="src"');
    expect(out).not.toContain('data-ack="sym"');
    expect(out).toContain('<span class="badge held" data-held="silenced">silenced</span>');
    // A silence or window the page lists is named: who silenced it and why, the window's name.
    const named = renderStatus(
      view({
        alerts: [silenced, alert({ id: 'mw', suppressedBy: [{ kind: 'maintenance', id: 'w-1' }] })],
        silences: [
          {
            id: 's-1',
            matchers: [{ label: 'alertname', op: '=', value: 'Quiet' }],
            startsAt: iso(60_000),
            endsAt: iso(-600_000),
            createdBy: 'ana',
            reason: 'migrating the db',
            state: 'active',
          },
        ],
        windows: [
          {
            id: 'w-1',
            kind: 'recurring',
            name: 'nightly backup',
            probes: [],
            matchers: [],
            startsAt: iso(60_000),
            endsAt: iso(-600_000),
            state: 'open',
          },
        ],
      }),
      NOW,
      { locale: 'es', timezone: 'UTC' },
      WRITER,
    ).value;
    expect(named).toContain(
      '<span class="badge held" data-held="silenced">silenciada por ana: migrating the db</span>',
    );
    expect(named).toContain('<span class="badge held" data-held="maintenance">en mantenimiento: nightly backup</span>');
  });

  it('gives a browser without the write login the login fields in the Ack form, hidden until the first tap', () => {
    const out = renderStatus(view({ alerts: [alert({})] }), NOW, DEFAULT_READING, { canAck: false }).value;
    expect(out).toContain('data-can-ack="no"');
    expect(out).toMatch(/<fieldset class="login" hidden>[\s\S]*name="by"[\s\S]*name="token"/);
    const logged = renderStatus(view({ alerts: [alert({})] }), NOW, DEFAULT_READING, WRITER).value;
    expect(logged).toContain('<input type="hidden" name="by" value="Ana">');
    expect(logged).not.toContain('name="token"');
  });

  it('draws a bar of the last runs with uptime, values as key: value, and a sparkline with its thresholds', () => {
    const runs = Array.from({ length: 12 }, (_, i) => ({
      at: iso((12 - i) * 15_000),
      up: i !== 4,
      durationSeconds: 0.05,
    }));
    const probe = {
      name: 'api',
      kind: 'http',
      up: true,
      samples: [
        { name: 'api.latency_seconds', labels: { route: '/x' }, value: 0.123456 },
        { name: 'free_bytes', labels: { path: '/' }, value: 80_824_832_000 },
        { name: 'connections', labels: { state: 'idle' }, value: 12 },
      ] as Sample[],
      runs,
      uptime: { day: 99.5, week: 100 },
    };
    const signal = {
      sample: 'api.p95_seconds',
      probe: 'api',
      labels: {},
      unit: 'seconds' as const,
      stepSeconds: 60,
      points: [0.1, 0.3, 0.2].map((value, i) => ({ at: iso((3 - i) * 60_000), value })),
      thresholds: [
        { alertname: 'Lat', priority: 'P1' as const, op: '>', value: 0.5 },
        { alertname: 'Lat', priority: 'P2' as const, op: '>', value: 0.25 },
      ],
    };
    const out = renderStatus(
      view({ probes: [probe], signals: [signal], runSlots: 30 }),
      NOW,
      DEFAULT_READING,
      WRITER,
    ).value;
    expect(out).toContain('<svg class="runs" data-runs="12" viewBox="0 0 120 20"');
    expect(out.match(/<rect class="run up"/g)).toHaveLength(11);
    expect(out.match(/<rect class="run down"/g)).toHaveLength(1);
    // The last run stands at the right end of the bar.
    expect(out).toContain('<rect class="run up" x="116"');
    expect(out).toContain('uptime 24 h 99.5 % · 7 d 100 %');
    // Each value in the unit its name says, as people read it.
    expect(out).toContain('<div><dt>latency_seconds{route=&quot;/x&quot;}</dt><dd>0.12 s</dd></div>');
    expect(out).toContain('<div><dt>free_bytes{path=&quot;/&quot;}</dt><dd>75 GiB</dd></div>');
    expect(out).toContain('<div><dt>connections{state=&quot;idle&quot;}</dt><dd>12</dd></div>');
    expect(out).toContain('<svg class="spark" data-points="3"');
    expect(out).toMatch(/<polyline class="line" points="[\d.]+,[\d.]+ [\d.]+,[\d.]+ [\d.]+,[\d.]+"/);
    expect(out.match(/<line class="threshold P[12]"/g)).toHaveLength(2);
    expect(out).toContain('P1 &gt; 0.5 s · P2 &gt; 0.25 s');
    // The hour it spans, on the reader's clock.
    expect(out).toContain(
      '<div class="axis" aria-hidden="true"><span>11:00</span><span>11:30</span><span>12:00</span></div>',
    );
    const guayaquil = renderStatus(
      view({ signals: [signal] }),
      NOW,
      { locale: 'es', timezone: 'America/Guayaquil' },
      WRITER,
    );
    expect(guayaquil.value).toContain('<span>06:00</span><span>06:30</span><span>07:00</span>');
  });

  it("draws in a firing alert's card the last hour of what its rule watches, said stale once its probe stops writing it", () => {
    const errors = {
      sample: 'api_metrics.error_percent',
      probe: 'api_metrics',
      labels: { route: '/x' },
      unit: 'percent' as const,
      stepSeconds: 60,
      points: [0.1, 0.19].map((value, i) => ({ at: iso((8 - i) * 60_000), value })),
      thresholds: [{ alertname: 'ApiErrors', priority: 'P1' as const, op: '>', value: 5 }],
    };
    // Another series of the same sample (another route) is not this alert's.
    const other = { ...errors, labels: { route: '/y' } };
    const metrics = (up: boolean) => ({
      name: 'api_metrics',
      kind: 'prometheus',
      up,
      samples: up ? [{ name: 'error_percent', labels: { route: '/x' }, value: 0.19 }] : [],
      runs: [],
      uptime: {},
    });
    const high = alert({
      id: 'e1',
      alertname: 'ApiErrors',
      labels: { alertname: 'ApiErrors', route: '/x' },
      unit: 'percent',
      watches: { probe: 'api_metrics', sample: 'api_metrics.error_percent' },
    });
    const render = (up: boolean) =>
      renderStatus(
        view({ alerts: [high], signals: [errors, other], probes: [metrics(up)] }),
        NOW,
        { locale: 'es', timezone: 'America/Guayaquil' },
        WRITER,
      ).value;
    const card = (out: string) => out.slice(out.indexOf('data-alert-id="e1"'), out.indexOf('</article>'));
    const live = render(true);
    expect(card(live)).toContain('<svg class="spark" data-points="2"');
    expect(card(live)).toContain('<strong>0.19 %</strong>');
    // Drawn in the card, not again among the signals; the other route's series stays there.
    expect(live.match(/data-sample="api_metrics.error_percent"/g)).toHaveLength(2);
    expect(live.slice(live.indexOf('id="signals"'))).toContain('route=&quot;/y&quot;');
    expect(live.slice(live.indexOf('id="signals"'))).not.toContain('route=&quot;/x&quot;');
    // The API went down: the last point (06:53 in Guayaquil) is no longer the value.
    const down = card(render(false));
    expect(down).toContain(
      '<strong class="stale" data-stale="2026-01-01T11:53:00.000Z">sin valor desde 06:53</strong>',
    );
    expect(down).not.toContain('0.19 %</strong>');
  });

  it("draws in a state alert's card its probe's runs of the last hour", () => {
    const runs = [90, 50, 20, 10].map((min, i) => ({ at: iso(min * 60_000), up: i < 2, durationSeconds: 0.1 }));
    const probe = { name: 'api_health', kind: 'http', up: false, samples: [], runs, uptime: {} };
    const down = alert({ unit: 'state', watches: { probe: 'api_health', sample: 'api_health.up' } });
    const out = renderStatus(view({ alerts: [down], probes: [probe] }), NOW, DEFAULT_READING, WRITER).value;
    const card = out.slice(out.indexOf('data-alert-id="a1"'), out.indexOf('</article>'));
    expect(card).toContain('api_health, last hour');
    // The run of 90 min ago is outside the hour.
    expect(card).toContain('<svg class="runs" data-runs="3"');
    expect(card.match(/<rect class="run down"/g)).toHaveLength(2);
    expect(card.match(/<rect class="run up"/g)).toHaveLength(1);
  });

  it("draws in a state alert's card the whole last hour of its probe's up, from before the outage", () => {
    // 90 runs at every 5 s (7.5 min) in the ring, all down; the series of up, one step a minute, goes back the hour.
    const runs = Array.from({ length: 90 }, (_, i) => ({ at: iso((90 - i) * 5_000), up: false, durationSeconds: 0.1 }));
    const probe = { name: 'api_health', kind: 'http', up: false, samples: [], runs, uptime: {} };
    const up = {
      sample: 'api_health.up',
      probe: 'api_health',
      labels: {},
      unit: 'state' as const,
      stepSeconds: 60,
      // Up from 50 to 21 minutes ago, down from 20 minutes ago on.
      points: Array.from({ length: 50 }, (_, i) => ({ at: iso((50 - i) * 60_000), value: i < 30 ? 1 : 0 })),
      thresholds: [{ alertname: 'ApiDown', priority: 'P1' as const, op: '==', value: 0 }],
    };
    const down = alert({
      alertname: 'ApiDown',
      labels: { alertname: 'ApiDown' },
      unit: 'state',
      watches: { probe: 'api_health', sample: 'api_health.up' },
    });
    const out = renderStatus(
      view({ alerts: [down], probes: [probe], signals: [up] }),
      NOW,
      { locale: 'es', timezone: 'America/Guayaquil' },
      WRITER,
    ).value;
    const card = out.slice(out.indexOf('data-alert-id="a1"'), out.indexOf('</article>'));
    expect(card).toContain('api_health, última hora');
    expect(card).toContain('<svg class="runs steps" data-steps="50"');
    expect(card.match(/<rect class="run up"/g)).toHaveLength(30);
    expect(card.match(/<rect class="run down"/g)).toHaveLength(20);
    // The outage's first minute, 20 minutes ago (06:40 in Guayaquil), at a third of the way from the right.
    expect(card).toContain('x="160" y="0" width="3.2" height="20"><title>2026-01-01 06:40');
    expect(card).toContain('<span>06:00</span><span>06:30</span><span>07:00</span>');
    expect(card).not.toContain('data-probe-runs');
    // Not drawn again among the signals as a line of 0 and 1.
    expect(out).not.toContain('data-sample="api_health.up"');
  });

  it('says how far back the runs go when the ring of runs does not reach back an hour', () => {
    // 90 runs at every 5 s: the ring holds 7.5 minutes; the outage started before them.
    const runs = Array.from({ length: 90 }, (_, i) => ({ at: iso((90 - i) * 5_000), up: false, durationSeconds: 0.1 }));
    const probe = { name: 'api_health', kind: 'http', up: false, samples: [], runs, uptime: {} };
    const down = alert({ unit: 'state', watches: { probe: 'api_health', sample: 'api_health.up' } });
    const render = (reading: typeof DEFAULT_READING) => {
      const out = renderStatus(view({ alerts: [down], probes: [probe] }), NOW, reading, WRITER).value;
      return out.slice(out.indexOf('data-alert-id="a1"'), out.indexOf('</article>'));
    };
    const en = render({ locale: 'en', timezone: 'UTC' });
    expect(en).toContain('api_health, last 90 checks, since 11:52');
    expect(en).not.toContain('last hour');
    expect(render({ locale: 'es', timezone: 'America/Guayaquil' })).toContain(
      'api_health, últimas 90 comprobaciones, desde 06:52',
    );
  });

  it("draws the series of a number rule whose summary prints no value, not its probe's green runs", () => {
    const runs = [3, 2, 1].map((min) => ({ at: iso(min * 60_000), up: true, durationSeconds: 0.1 }));
    const disk = { name: 'disk', kind: 'exec', up: true, samples: [], runs, uptime: {} };
    const backups = {
      sample: 'disk.backup_files',
      probe: 'disk',
      labels: {},
      unit: 'number' as const,
      stepSeconds: 60,
      points: [2, 0, 0].map((value, i) => ({ at: iso((3 - i) * 60_000), value })),
      thresholds: [{ alertname: 'BackupMissing', priority: 'P1' as const, op: '==', value: 0 }],
    };
    // Its summary ("No backup written") prints no value: the rule's unit is `state`, its sample is still a count.
    const missing = alert({
      id: 'b1',
      alertname: 'BackupMissing',
      labels: { alertname: 'BackupMissing' },
      unit: 'state',
      watches: { probe: 'disk', sample: 'disk.backup_files' },
    });
    const out = renderStatus(
      view({ alerts: [missing], probes: [disk], signals: [backups] }),
      NOW,
      DEFAULT_READING,
      WRITER,
    ).value;
    const card = out.slice(out.indexOf('data-alert-id="b1"'), out.indexOf('</article>'));
    expect(card).toContain('<svg class="spark" data-points="3"');
    expect(card).toContain('P1 == 0');
    expect(card).not.toContain('data-probe-runs');
    expect(card).not.toContain('class="run up"');
  });

  it("shows a JSON body in a probe's reason as key: value lines, also when it came quoted", () => {
    const probe = (name: string, reason: string) => ({
      name,
      kind: 'http',
      up: false,
      reason,
      samples: [],
      runs: [],
      uptime: {},
    });
    const out = renderStatus(
      view({
        probes: [
          probe('a', 'status 503: {"status":"unhealthy","detail":"upstream unavailable"}'),
          probe('b', 'status 503 from 127.0.0.1:80: "{\\"status\\":\\"unhealthy\\",\\"code\\":7}"'),
          probe('c', 'connect ECONNREFUSED 127.0.0.1:9 {not json'),
        ],
      }),
      NOW,
      DEFAULT_READING,
      WRITER,
    ).value;
    expect(out).toContain(
      '<div class="reason">status 503<dl class="kv"><div><dt>status</dt><dd>unhealthy</dd></div><div><dt>detail</dt><dd>upstream unavailable</dd></div></dl></div>',
    );
    expect(out).toContain(
      '<div class="reason">status 503 from 127.0.0.1:80<dl class="kv"><div><dt>status</dt><dd>unhealthy</dd></div><div><dt>code</dt><dd>7</dd></div></dl></div>',
    );
    expect(out).toContain('<div class="reason">connect ECONNREFUSED 127.0.0.1:9 {not json</div>');
  });

  it('lists past incidents with their local time, duration, priority and who acknowledged', () => {
    const incidents: IncidentView[] = [
      {
        id: 7,
        alertId: 'a1',
        alertname: 'ApiDown',
        labels: { service: 'api' },
        priority: 'P0' as const,
        openedAt: iso(3_600_000),
        resolvedAt: iso(3_000_000),
        durationSeconds: 600,
        ack: { by: 'Ana', at: iso(3_300_000) },
      },
      {
        id: 9,
        alertId: 'a1',
        alertname: 'ApiDown',
        labels: { service: 'api' },
        priority: 'P0' as const,
        openedAt: iso(7_200_000),
        resolvedAt: iso(7_000_000),
        durationSeconds: 200,
      },
      {
        id: 8,
        alertId: 'a2',
        alertname: 'DiskFull',
        labels: {},
        priority: 'P2' as const,
        openedAt: iso(120_000),
        durationSeconds: 120,
      },
    ];
    const reading = { locale: 'es' as const, timezone: 'America/Guayaquil' };
    const out = renderStatus(view({ incidents }), NOW, reading, WRITER).value;
    // Each incident links its own timeline, two of one alert included.
    expect(out).toContain('<a href="/alerts/a1?incident=7">ApiDown</a>');
    expect(out).toContain('<a href="/alerts/a1?incident=9">ApiDown</a>');
    expect(out).toContain('<a href="/alerts/a2?incident=8">DiskFull</a>');
    expect(out).toContain('2026-01-01 06:00:00 (UTC−05:00) · duró 10 min · reconocido por Ana');
    expect(out).toContain('2026-01-01 06:58:00 (UTC−05:00) · abierto hace 2 min · sin reconocer');
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
