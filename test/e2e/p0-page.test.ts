// The 3 a.m. page, end to end (issue 12): the daemon on a fake clock with the shipped escalation.yaml, set up the way
// docs/configuration.md shows, only its environment set (its ntfy push channels publish to a loopback ntfy through
// NTFY_SERVER), and the CTO's other phone channels added (Pushover, Twilio SMS). Every receiver is real and on
// loopback: the in-process SMTP server, the ops webhook, and an ntfy, a Pushover and a Twilio API that record each
// request. The API goes down and ApiDown (P0) pages:
//   - the CTO on every channel at once, and a dead SMTP server delays no other channel;
//   - without an ack for 5 min, the tech lead and DevOps too;
//   - one tap on the ntfy Acknowledge action, or Pushover's receipt callback, acknowledges: reminders stop;
//   - acknowledged and still firing past the P0 ack_timeout (30 min), the CTO is paged again;
//   - a forged action or callback acknowledges nothing.
import { expect, it, onTestFinished } from 'vitest';
import type { Env } from '../../src/config/env.js';
import type { OutboxRow } from '../../src/store/store.js';
import { type Daemon, startDaemon, startWorld, type World } from '../support/daemon.js';
import { SHIPPED_ENV } from '../support/shipped-env.js';
import { useShippedEscalation } from '../support/shipped-escalation.js';
import { freePort } from '../support/tcp-target.js';
import { startWebhookSink, type WebhookSink } from '../support/webhook-sink.js';

const MIN = 60_000;
const CTO = 'cto@grupogad.gob.ec';
const TWILIO_PATH = '/2010-04-01/Accounts/AC0123/Messages.json';

interface Shipped {
  world: World;
  ntfy: WebhookSink;
  pushover: WebhookSink;
  twilio: WebhookSink;
  d: Daemon;
}

/**
 * The world with config/escalation.yaml in place of the fixture's (test/support/shipped-escalation.ts), its ntfy
 * channels on the `ntfy` receiver, the CTO's other phone channels added. `env` adds to the environment (e.g. a dead
 * SMTP port).
 */
async function startShipped(env: Env = {}): Promise<Shipped> {
  const [ntfy, pushover, twilio] = await Promise.all([startWebhookSink(), startWebhookSink(), startWebhookSink()]);
  const world = await startWorld(env);
  useShippedEscalation(world, ntfy, {
    pushover: {
      kind: 'webhook',
      format: 'pushover',
      api_url: new URL(pushover.path('/1/messages.json')).origin,
      token: 'azGDORePK8gMaC0QOYAMyEEuzJnyUi',
      user: 'uQiRzpo4DXghDmr9QzzfQu27cmVRsG',
    },
    sms: {
      kind: 'webhook',
      format: 'twilio',
      api_url: new URL(twilio.path(TWILIO_PATH)).origin,
      account_sid: 'AC0123',
      auth_token: 'twilio-auth-token',
      from: '+15005550006',
    },
  });
  const d = await startDaemon(world);
  onTestFinished(async () => {
    await d.close();
    await Promise.all([world.close(), ntfy.close(), pushover.close(), twilio.close()]);
  });
  return { world, ntfy, pushover, twilio, d };
}

/** Breaks the API and advances until ApiDown's first page was tried on every channel; returns when it was written. */
async function breakApi({ world, d }: Shipped): Promise<number> {
  world.target.setFault('down');
  await d.advanceUntil(
    () => pageRows(d).length > 0 && pageRows(d).every((r) => r.attempts > 0),
    30_000,
    () => 'ApiDown never paged',
  );
  return Math.min(...pageRows(d).map((r) => r.createdAt));
}

/** The outbox rows of ApiDown's pages (not notices), oldest first. */
const pageRows = (d: Daemon, kind?: string): OutboxRow[] =>
  d.store
    .outboxRows()
    .filter((r) => r.item.alert.alertname === 'ApiDown' && (kind ? r.kind === kind : r.kind !== 'acknowledged'));

/** The Acknowledge action of the first ntfy publish, as the app performs it. */
function ntfyAction(ntfy: WebhookSink): { url: string; method: string; headers: Record<string, string>; body: string } {
  const publish = JSON.parse(ntfy.requests[0]?.body ?? '{}') as { actions?: { url: string; method: string }[] };
  const action = publish.actions?.[0];
  if (!action) throw new Error('the ntfy page has no Acknowledge action');
  return action as ReturnType<typeof ntfyAction>;
}

/** A POST to the daemon of `url` (whose origin is server.public_url), as a phone would send it. */
const post = (d: Daemon, url: string, headers: Record<string, string>, payload: string) =>
  d.app.server.inject({ method: 'POST', url: new URL(url).pathname, headers, payload });

const ack = async (d: Daemon) =>
  (await d.app.server.inject({ method: 'GET', url: '/api/v1/alerts?state=firing' })).json().alerts[0]?.ack;

it("lands on every one of the CTO's channels within a second, each receiver getting what it needs", async () => {
  const s = await startShipped();
  const { world, ntfy, pushover, twilio, d } = s;
  await breakApi(s);
  const rows = pageRows(d);
  expect(rows.map((r) => `${r.contact} ${r.channel} ${r.state}`)).toEqual([
    'cto cto_push delivered',
    'cto email delivered',
    'cto ops_webhook delivered',
    'cto pushover delivered',
    'cto sms delivered',
  ]);
  const at = rows.map((r) => r.deliveredAt ?? Number.NaN);
  expect(Math.max(...at) - Math.min(...at)).toBeLessThanOrEqual(1_000);

  expect(world.smtp.received.map((m) => `${m.to.join()} ${m.mail.subject}`)).toEqual([
    `${CTO} [P0] API down: the health endpoint does not answer healthy — api`,
  ]);
  expect(JSON.parse(world.hook.requests[0]?.body ?? '{}').notifications[0]).toMatchObject({
    event: 'firing',
    alert: { name: 'ApiDown', priority: 'P0' },
  });
  const publish = JSON.parse(ntfy.requests[0]?.body ?? '{}');
  // Published to NTFY_SERVER's root; NTFY_TOKEN unset, without auth.
  expect(ntfy.requests.map((r) => `${r.method} ${r.path} ${r.headers.authorization}`)).toEqual(['POST / undefined']);
  expect(publish).toMatchObject({
    topic: SHIPPED_ENV.CTO_NTFY_TOPIC,
    title: '[P0] API down: the health endpoint does not answer healthy — api',
    priority: 5,
  });
  expect(ntfyAction(ntfy)).toMatchObject({
    method: 'POST',
    url: expect.stringMatching(/^http:\/\/centinela\.test\/ack\//),
  });
  const message = new URLSearchParams(pushover.requests[0]?.body);
  expect(message.get('priority')).toBe('2');
  expect(message.get('callback')).toMatch(/^http:\/\/centinela\.test\/ack\//);
  const sms = new URLSearchParams(twilio.requests[0]?.body);
  expect(sms.get('To')).toBe('+593991234567');
  expect(sms.get('Body')).toMatch(/^\[P0\] API down: .*\nAck: http:\/\/centinela\.test\/a\//s);
});

it('SMTP down: the push and every other channel still land at once; only email retries', async () => {
  const s = await startShipped({ SMTP_PORT: String(await freePort()) });
  const { ntfy, d } = s;
  const pagedAt = await breakApi(s);
  expect(ntfy.requests).toHaveLength(1);
  const rows = pageRows(d);
  const others = rows.filter((r) => r.channel !== 'email');
  expect(others.map((r) => [r.channel, r.state, r.deliveredAt])).toEqual(
    ['cto_push', 'ops_webhook', 'pushover', 'sms'].map((c) => [c, 'delivered', pagedAt]),
  );
  const email = rows.find((r) => r.channel === 'email');
  expect(email).toMatchObject({ state: 'pending', attempts: 1 });
  expect(email?.lastError).toMatch(/ECONNREFUSED/);
});

it('pages the tech lead and DevOps when nobody acknowledges for 5 minutes, and not before', async () => {
  const s = await startShipped();
  const { world, ntfy, d } = s;
  const pagedAt = await breakApi(s);
  const mailsTo = () => world.smtp.received.map((m) => m.to.join());
  await d.advance(pagedAt + 5 * MIN - 1_000 - d.clock.now());
  expect(mailsTo()).toEqual([CTO]);
  await d.advanceUntil(
    () => mailsTo().length >= 4,
    5_000,
    () => `no step page: ${mailsTo()}`,
  );
  // The step adds the lead and DevOps to P0: each on every channel of theirs, their own push first, at 5 min.
  const step = pageRows(d, 'step');
  expect(step.map((r) => `${r.contact} ${r.channel} ${r.state}`).sort()).toEqual([
    'devops devops_push delivered',
    'devops email delivered',
    'devops ops_webhook delivered',
    'tech_lead email delivered',
    'tech_lead ops_webhook delivered',
    'tech_lead tech_lead_push delivered',
  ]);
  expect(new Set(step.map((r) => r.createdAt - pagedAt))).toEqual(new Set([5 * MIN]));
  const subjects = world.smtp.received.slice(1).map((m) => `${m.to.join()} ${m.mail.subject}`);
  // With the CTO's first reminder, due at the same 5 min.
  expect(subjects.sort()).toEqual([
    `${CTO} [P0] Not acknowledged for 5 min: API down: the health endpoint does not answer healthy — api`,
    'devops@grupogad.gob.ec [P0] Not acknowledged after 5 min, you are added: API down: the health endpoint does not answer healthy — api',
    'tech.lead@grupogad.gob.ec [P0] Not acknowledged after 5 min, you are added: API down: the health endpoint does not answer healthy — api',
  ]);
  // Each on their own topic, with the same title and an Acknowledge button of their own.
  const pushes = ntfy.requests.map((r) => JSON.parse(r.body));
  const added = pushes.filter((p) => p.topic !== SHIPPED_ENV.CTO_NTFY_TOPIC);
  expect(added.map((p) => `${p.topic} ${p.title}`).sort()).toEqual(
    [SHIPPED_ENV.DEVOPS_NTFY_TOPIC, SHIPPED_ENV.TECH_LEAD_NTFY_TOPIC].map(
      (topic) =>
        `${topic} [P0] Not acknowledged after 5 min, you are added: API down: the health endpoint does not answer healthy — api`,
    ),
  );
  expect(added.map((p) => p.actions?.[0]?.label)).toEqual(['Acknowledge', 'Acknowledge']);
});

it('acknowledges with one tap on the ntfy action; reminders and the step stop', async () => {
  const s = await startShipped();
  const { ntfy, d } = s;
  await breakApi(s);
  const action = ntfyAction(ntfy);
  const tap = await post(d, action.url, { ...action.headers, 'user-agent': 'ntfy/1.16.0 (Android 14)' }, action.body);
  expect(tap.statusCode).toBe(200);
  expect(tap.body).toContain('Acknowledged by cto');
  expect(await ack(d)).toMatchObject({ by: 'cto' });
  const written = pageRows(d).length;
  // Without the tap: a reminder at 5 min, the step at 5 min, reminders every 5 min. With it: nothing for 20 min.
  await d.advance(20 * MIN);
  expect(pageRows(d)).toHaveLength(written);
  expect(ntfy.requests).toHaveLength(1);
});

it("acknowledges through Pushover's receipt callback when the CTO acknowledges in the app", async () => {
  const s = await startShipped();
  const { pushover, d } = s;
  await breakApi(s);
  const callback = new URLSearchParams(pushover.requests[0]?.body).get('callback') ?? '';
  // What Pushover POSTs once someone acknowledged the emergency message in its app.
  const fields = (receipt: string) =>
    new URLSearchParams({
      receipt,
      acknowledged: '1',
      acknowledged_at: String(Math.floor(d.clock.now() / 1000)),
      acknowledged_by: 'uQiRzpo4DXghDmr9QzzfQu27cmVRsG',
      acknowledged_by_device: 'cto-iphone',
    }).toString();
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  const res = await post(d, callback, form, fields('rLqVuqTRh62UzxtmqiaLzQmVcPgiCy'));
  expect(res.statusCode).toBe(200);
  expect(await ack(d)).toMatchObject({ by: 'cto' });
  const written = pageRows(d).length;
  await d.advance(11 * MIN);
  expect(pageRows(d)).toHaveLength(written);
});

it('pages the CTO again on every channel when still firing 30 min after the acknowledgement (P0 ack_timeout)', async () => {
  const s = await startShipped();
  const { world, d } = s;
  await breakApi(s);
  await d.advance(1_000);
  const acked = await d.app.server.inject({
    method: 'POST',
    url: `/api/v1/alerts/${encodeURIComponent(pageRows(d)[0]?.item.alert.id ?? '')}/ack`,
    headers: { authorization: `Bearer ${world.env.WRITE_TOKEN}` },
    payload: { by: 'cto', comment: 'restarting the api' },
  });
  expect(acked.statusCode).toBe(200);
  const ackedAt = d.clock.now();
  await d.advance(30 * MIN - 1_000);
  expect(pageRows(d, 'reopened')).toEqual([]);
  await d.advanceUntil(
    () => pageRows(d, 'reopened').filter((r) => r.state === 'delivered').length === 5,
    10_000,
    () => 'not paged again on every channel',
  );
  const again = pageRows(d, 'reopened');
  expect(again.map((r) => r.channel)).toEqual(['cto_push', 'email', 'ops_webhook', 'pushover', 'sms']);
  expect(Math.min(...again.map((r) => r.createdAt)) - ackedAt).toBe(30 * MIN);
  expect(world.smtp.received.at(-1)?.mail.subject).toBe(
    '[P0] Re-opened, still firing after the acknowledgement: API down: the health endpoint does not answer healthy — api',
  );
  expect(await ack(d)).toBeUndefined();
});

it('acknowledges nothing on a forged ntfy action or a Pushover callback to an altered link, whatever its receipt', async () => {
  const s = await startShipped();
  const { ntfy, pushover, d } = s;
  await breakApi(s);
  const forge = (url: string) => `${url.slice(0, -4)}AAAA`;
  const action = ntfyAction(ntfy);
  const forged = await post(d, forge(action.url), action.headers, action.body);
  expect(forged.statusCode).toBe(403);
  expect(forged.body).toContain('the link is not valid: its signature does not match. Nothing was acknowledged');
  // Another incident's claims under this link's signature.
  const [claims, signature] = new URL(action.url).pathname.slice('/ack/'.length).split('.') as [string, string];
  const other = Buffer.from(
    JSON.stringify({ ...JSON.parse(Buffer.from(claims, 'base64url').toString()), i: 999 }),
  ).toString('base64url');
  const swapped = await post(d, `http://centinela.test/ack/${other}.${signature}`, action.headers, action.body);
  expect(swapped.statusCode).toBe(403);
  const callback = new URLSearchParams(pushover.requests[0]?.body).get('callback') ?? '';
  const wrongReceipt = await post(
    d,
    forge(callback),
    { 'content-type': 'application/x-www-form-urlencoded' },
    'receipt=not-a-receipt-of-ours&acknowledged=1&acknowledged_by=uNobody',
  );
  expect(wrongReceipt.statusCode).toBe(403);
  const garbage = await post(d, callback, { 'content-type': 'application/x-www-form-urlencoded' }, 'x'.repeat(20_000));
  expect(garbage.statusCode).toBe(413);
  expect(await ack(d)).toBeUndefined();
  expect((await d.app.server.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
});
