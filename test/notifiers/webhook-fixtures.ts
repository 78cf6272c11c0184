// What the webhook and format tests share: a page with an ack link, a channel parsed as escalation.yaml would be,
// sending through the webhook notifier, and a loopback receiver started once per file and emptied before each test.

import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import { type WebhookChannelConfig, webhookChannel } from '../../src/config/schema.js';
import { DEFAULT_READING } from '../../src/locale/locale.js';
import type { Notification, NotificationItem } from '../../src/notifiers/notifier.js';
import webhook from '../../src/notifiers/webhook.js';
import { MIN, makeAlert, silentLog } from '../support/escalation-fixtures.js';
import { startWebhookSink, type WebhookSink } from '../support/webhook-sink.js';

export const T0 = Date.UTC(2026, 0, 1, 10, 0);

/** A P0 firing item for cto with an ack link; `over` replaces any field. */
export function item(over: Partial<NotificationItem> = {}): NotificationItem {
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

/** Notification `n1` to cto holding `items`, built a minute after the alert fired. */
export const note = (items: NotificationItem[] = [item()]): Notification => ({
  id: 'n1',
  contact: { id: 'cto', name: 'CTO', email: 'cto@grupogad.gob.ec' },
  items,
  at: T0 + MIN,
  reading: DEFAULT_READING,
});

/** `n` as the shipped config writes it: in Spanish, times in Guayaquil, P0 described as the runbook does. */
export const inSpanish = (n: Notification = note()): Notification => ({
  ...n,
  reading: { locale: 'es', timezone: 'America/Guayaquil' },
  levelDescriptions: { P0: 'Producción completamente down' },
});

/** A notification telling that the alert started (`flapping`) or stopped (`flapping-ended`) flapping. */
export const flappingNote = (kind: 'flapping' | 'flapping-ended'): Notification =>
  note([item({ kind, alert: makeAlert({ flapping: kind === 'flapping' }) })]);

/** A page whose summary and labels hold what chat markup would read: a channel mention, links, bold, HTML. */
export const markupNote = (): Notification =>
  note([
    item({
      alert: makeAlert({
        summary: '<!channel> API down, see <http://evil.example|the runbook> & [docs](http://evil.example) **now**',
        labels: { alertname: 'ApiDown', container: 'grupo_gad_api', note: '<b>"x"</b>' },
      }),
    }),
  ]);

/** A webhook channel from its YAML keys (kind and a 5 s timeout filled in). */
export const channel = (raw: Record<string, unknown>): WebhookChannelConfig =>
  webhookChannel.parse({ kind: 'webhook', timeout: '5s', ...raw });

/** Renders and sends `n` over `cfg`. */
export async function send(cfg: WebhookChannelConfig, n = note(), signal: AbortSignal = AbortSignal.timeout(5000)) {
  return webhook.send(webhook.render(n, cfg), { signal, log: silentLog, now: () => T0 });
}

/** The JSON body of the first request `n` renders to over `cfg`, without sending it. */
export const renderedBody = (cfg: WebhookChannelConfig, n = note()) =>
  JSON.parse(webhook.render(n, cfg).requests[0]?.body ?? '{}');

/** A receiver for the calling test file: started before its tests, emptied before each, closed after. */
export function useWebhookSink(): { readonly sink: WebhookSink } {
  const state = {} as { sink: WebhookSink };
  beforeAll(async () => {
    state.sink = await startWebhookSink();
  });
  afterAll(() => state.sink.close());
  beforeEach(() => {
    state.sink.requests.length = 0;
  });
  return state;
}

/** Checks that the request `cfg` renders for each flapping notice says it as people read it. */
export function expectFlappingNotices(cfg: WebhookChannelConfig): void {
  const body = (kind: 'flapping' | 'flapping-ended') => webhook.render(flappingNote(kind), cfg).requests[0]?.body;
  expect(body('flapping')).toContain('Flapping, it keeps firing and resolving: API down');
  expect(body('flapping-ended')).toContain('Stopped flapping, still firing: API down');
}
