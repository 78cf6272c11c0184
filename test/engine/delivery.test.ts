// The outbox worker on the fake clock against a real SMTP server and webhook receiver: retries with backoff,
// Retry-After, fallback to the next channel, DeliveryFailing, storms grouped, restarts and stop().
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { signedAckLinks } from '../../src/engine/acks.js';
import { type OutboxDeps, OutboxWorker } from '../../src/engine/delivery.js';
import { Escalator } from '../../src/engine/escalator.js';
import {
  deliveryWorld,
  escalationConfig,
  firing,
  MIN,
  makeAlert,
  silentLog,
  TempState,
} from '../support/escalation-fixtures.js';
import { startHttpTarget } from '../support/http-target.js';
import { captureLog } from '../support/log-capture.js';
import { waitUntil } from '../support/wait-until.js';

const w = deliveryWorld();

function setup(cfg = w.config(), deps: Partial<OutboxDeps> = {}) {
  const escalation = new Escalator(w.state.all, cfg);
  const worker = new OutboxWorker({
    store: w.state.store,
    installation: () => w.state.all.alerts.installation(),
    config: cfg,
    ackUrl: signedAckLinks(() => ({ ack: cfg.ack, publicUrl: 'https://centinela.example' }), w.clock),
    clock: w.clock,
    log: silentLog,
    random: () => 0.5,
    ...deps,
  });
  return { escalation, worker, cfg };
}

const row = () => w.state.store.outboxRows()[0];
// P0 pages two contacts, one by email and one by webhook.
const mailAndHookContacts = {
  levels: { P0: { contacts: ['cto', 'lead'] } },
  contacts: { cto: { channels: ['mail'] }, lead: { channels: ['hook'] } },
};

describe('outbox worker', () => {
  it('delivers a page once, with an ack link, and never delivers the same key twice', async () => {
    const { escalation, worker } = setup();
    const alert = makeAlert();
    escalation.handle([firing(alert, w.clock.now())], w.clock.now());
    expect(await worker.runOnce()).toBe(1);
    const [mail] = await w.smtp.waitFor(1);
    expect(mail?.mail.subject).toBe('[P0] API down — grupo_gad_api');
    expect(mail?.mail.text).toMatch(/Acknowledge: https:\/\/centinela\.example\/ack\/[\w-]+\.[\w-]+\n/);
    expect(row()).toMatchObject({ state: 'delivered', attempts: 1, channel: 'mail', lastError: null });
    // The same event again (a replay after restart) writes nothing; a second pass sends nothing.
    escalation.handle([firing(alert, w.clock.now())], w.clock.now());
    expect(await worker.runOnce()).toBe(0);
    expect(w.smtp.received).toHaveLength(1);
  });

  it('a level with channels: all pages every channel at once; a failing one delays nothing and never falls back', async () => {
    const { escalation, worker } = setup(
      w.config({ levels: { P0: { channels: 'all' } }, contacts: { cto: { channels: ['mail', 'hook'] } } }),
    );
    w.smtp.refuse(100);
    escalation.handle([firing(makeAlert(), w.clock.now())], w.clock.now());
    expect(await worker.runOnce()).toBe(2);
    // The webhook has the page at once, while the mail server refuses.
    expect(w.hook.requests.map((r) => JSON.parse(r.body).notifications[0].event)).toEqual(['firing']);
    const rows = w.state.store.outboxRows();
    expect(rows.map((r) => [r.channelIndex, r.state])).toEqual([
      [0, 'pending'],
      [1, 'delivered'],
    ]);
    // Past fallback_after the mail row stays on its channel (the webhook already has the page); DeliveryFailing
    // tells DevOps over another channel.
    for (let t = 0; t < 6; t++) {
      await w.clock.advance(MIN);
      await worker.runOnce();
    }
    const mailRow = w.state.store.outboxRows().find((r) => r.key.endsWith(':mail'));
    expect(mailRow).toMatchObject({ channelIndex: 0, state: 'pending', failingRaised: true });
    // The CTO's page went once over the webhook; the second request is DevOps' DeliveryFailing page.
    expect(w.hook.requests.map((r) => JSON.parse(r.body).notifications[0].event)).toEqual([
      'firing',
      'delivery-failing',
    ]);
    expect(
      w.state.store
        .outboxRows()
        .filter((r) => r.kind === 'delivery-failing')
        .map((r) => r.contact),
    ).toEqual(['devops']);
  });

  it('retries an SMTP server that refuses, with exponential backoff, until it recovers', async () => {
    const { escalation, worker } = setup();
    w.smtp.refuse(2);
    escalation.handle([firing(makeAlert(), w.clock.now())], w.clock.now());
    await worker.runOnce();
    expect(row()).toMatchObject({ state: 'pending', attempts: 1, nextAttemptAt: w.clock.now() + 3750 });
    expect(row()?.lastError).toMatch(/^email to cto via 127\.0\.0\.1:\d+: SMTP 451 Try again later$/);
    await w.clock.advance(3749);
    expect(await worker.runOnce()).toBe(0);
    await w.clock.advance(1);
    await worker.runOnce();
    // Second failure: 5s·2 with the same jitter.
    expect(row()).toMatchObject({ state: 'pending', attempts: 2, nextAttemptAt: w.clock.now() + 7500 });
    await w.clock.advance(7500);
    await worker.runOnce();
    expect(row()).toMatchObject({ state: 'delivered', attempts: 3, lastError: null });
    expect(w.smtp.refused).toBe(2);
    expect(w.smtp.received).toHaveLength(1);
  });

  it("texts the contact's phone over a Twilio channel; a contact without one fails for good and falls back", async () => {
    const messages = w.hook.path('/2010-04-01/Accounts/AC0123/Messages.json');
    const sms = { kind: 'webhook', format: 'twilio', account_sid: 'AC0123', auth_token: 'T0KEN', from: '+15005550006' };
    const channels = { sms: { ...sms, api_url: new URL(messages).origin } };
    const { escalation, worker } = setup(
      w.config({
        levels: { P0: { contacts: ['cto', 'lead'] } },
        channels,
        contacts: { cto: { phone: '+593 99 123 4567', channels: ['sms'] }, lead: { channels: ['sms', 'mail'] } },
      }),
    );
    escalation.handle([firing(makeAlert(), w.clock.now())], w.clock.now());
    await worker.runOnce();
    await worker.runOnce();
    const [text] = await w.hook.waitFor(1);
    expect(new URLSearchParams(text?.body).get('To')).toBe('+593991234567');
    expect(new URLSearchParams(text?.body).get('Body')).toMatch(/^\[P0\] API down - grupo_gad_api\nAck: https:\/\//);
    // The lead has no phone: the SMS row fails for good at once, the page goes on by email, and DevOps hears why.
    const mails = await w.smtp.waitFor(2);
    const to = (address: string) => mails.find((m) => m.mail.to && JSON.stringify(m.mail.to).includes(address));
    expect(to('tech.lead@grupogad.gob.ec')?.mail.subject).toBe('[P0] API down — grupo_gad_api');
    expect(to('devops@grupogad.gob.ec')?.mail.text).toContain('contact "lead" has no phone for SMS');
    expect(w.hook.requests).toHaveLength(1);
  });

  it("honours a 429's Retry-After", async () => {
    const { escalation, worker } = setup(w.config({ contacts: { cto: { channels: ['hook', 'mail'] } } }));
    w.hook.script({ status: 429, headers: { 'retry-after': '120' } });
    escalation.handle([firing(makeAlert(), w.clock.now())], w.clock.now());
    await worker.runOnce();
    expect(row()).toMatchObject({ state: 'pending', nextAttemptAt: w.clock.now() + 120_000 });
    await w.clock.advance(119_999);
    await worker.runOnce();
    expect(w.hook.requests).toHaveLength(1);
    await w.clock.advance(1);
    await worker.runOnce();
    expect(w.hook.requests).toHaveLength(2);
    expect(row()?.state).toBe('delivered');
  });

  it('times out a hanging receiver through the clock and retries', async () => {
    const { escalation, worker } = setup(w.config({ contacts: { cto: { channels: ['hook'] } } }));
    w.hook.script('hang');
    escalation.handle([firing(makeAlert(), w.clock.now())], w.clock.now());
    const pass = worker.runOnce();
    await w.hook.waitFor(1);
    await w.clock.advance(5000);
    await pass;
    expect(row()).toMatchObject({ state: 'pending', attempts: 1 });
    expect(row()?.lastError).toMatch(/: timed out$/);
  });

  it('falls back to the next channel after fallback_after and raises DeliveryFailing to P2 over another channel', async () => {
    const cfg = w.config({ contacts: { cto: { channels: ['hook', 'mail'] }, devops: { channels: ['hook', 'mail'] } } });
    const { escalation, worker } = setup(cfg);
    w.hook.otherwise({ status: 503, body: 'down for maintenance' });
    escalation.handle([firing(makeAlert(), w.clock.now())], w.clock.now());
    const page = () => w.state.store.outboxRows().find((r) => r.kind === 'firing');
    for (let i = 0; i < 30 && page()?.state !== 'delivered'; i++) {
      await worker.runOnce();
      await w.clock.advanceTo(Math.max(w.clock.now(), w.state.store.nextAttemptAt() ?? 0));
    }
    // Retries after 3.75s, 7.5s, 15s, 30s, 60s, 120s (the 7th attempt at 3m56s), then not 225s later but when
    // fallback_after is up: the 8th failure, at 5m, moves the page on, so the 9th attempt goes by mail at once.
    expect(w.clock.now() - Date.UTC(2026, 0, 1, 10, 0)).toBe(300_000);
    expect(page()).toMatchObject({
      state: 'delivered',
      channel: 'mail',
      channelIndex: 1,
      failingRaised: true,
      attempts: 9,
    });
    // The hook it failed on for 5 minutes is kept, for the timeline: 8 attempts, the first at once.
    expect(page()?.tried).toEqual([
      {
        channel: 'hook',
        attempts: 8,
        since: Date.UTC(2026, 0, 1, 10, 0),
        until: Date.UTC(2026, 0, 1, 10, 5),
        error: expect.stringContaining('HTTP 503 down for maintenance'),
      },
    ]);
    await worker.runOnce();
    const mails = await w.smtp.waitFor(2);
    const subjects = mails.map((m) => `${m.to.join()} ${m.mail.subject}`).sort();
    expect(subjects).toEqual([
      'cto@grupogad.gob.ec [P0] API down — grupo_gad_api',
      'devops@grupogad.gob.ec [P2] Notifications to cto over channel "hook" are failing',
    ]);
    const failing = mails.find((m) => m.to[0] === 'devops@grupogad.gob.ec');
    expect(failing?.mail.text).toContain('webhook (generic) to');
    expect(failing?.mail.text).toContain('HTTP 503 down for maintenance');
    expect(failing?.mail.text).toContain('centinela notify-test --contact cto --channel hook');
    // Raised once, even though the page failed many times.
    expect(w.state.store.outboxRows().filter((r) => r.kind === 'delivery-failing')).toHaveLength(1);
  });

  it('cuts a long Retry-After to when fallback_after is up: the page moves on and DeliveryFailing is raised on time', async () => {
    const cfg = w.config({
      delivery: { max_backoff: '30m', fallback_after: '5m' },
      contacts: { cto: { channels: ['hook', 'mail'] }, devops: { channels: ['hook', 'mail'] } },
    });
    const { escalation, worker } = setup(cfg);
    w.hook.otherwise({ status: 503, headers: { 'retry-after': '3600' }, body: 'maintenance' });
    const t0 = w.clock.now();
    escalation.handle([firing(makeAlert(), t0)], t0);
    await worker.runOnce();
    // The receiver asks for an hour; max_backoff allows 30 min; fallback_after is up in 5 min.
    expect(row()).toMatchObject({ state: 'pending', attempts: 1, nextAttemptAt: t0 + 5 * MIN });
    await w.clock.advanceTo(t0 + 5 * MIN);
    await worker.runOnce();
    expect(row()).toMatchObject({ channelIndex: 1, failingRaised: true });
    await worker.runOnce();
    expect(row()).toMatchObject({ state: 'delivered', channel: 'mail', attempts: 3 });
    const mails = await w.smtp.waitFor(2);
    expect(mails.map((m) => `${m.to.join()} ${m.mail.subject}`).sort()).toEqual([
      'cto@grupogad.gob.ec [P0] API down — grupo_gad_api',
      'devops@grupogad.gob.ec [P2] Notifications to cto over channel "hook" are failing',
    ]);
    expect(w.clock.now() - t0).toBe(5 * MIN);
  });

  it('moves on at once after a final failure (404) and gives up when no channel is left', async () => {
    const cfg = w.config({ contacts: { cto: { channels: ['hook', 'mail'] }, dev: { channels: ['hook'] } } });
    const { escalation, worker } = setup(cfg);
    w.hook.otherwise({ status: 404, body: 'no such hook' });
    escalation.handle([firing(makeAlert(), w.clock.now())], w.clock.now());
    await worker.runOnce();
    expect(row()).toMatchObject({ state: 'pending', channelIndex: 1, nextAttemptAt: w.clock.now() });
    await worker.runOnce();
    expect(row()).toMatchObject({ state: 'delivered', channel: 'mail' });

    escalation.handle([firing(makeAlert({ alertname: 'Minor', priority: 'P3' }), w.clock.now())], w.clock.now());
    await worker.runOnce();
    const minor = w.state.store.outboxRows().find((r) => r.contact === 'dev');
    expect(minor).toMatchObject({ state: 'failed', channel: 'hook', attempts: 1 });
    expect(minor?.lastError).toMatch(/HTTP 404 no such hook$/);
  });

  it('sends a lone page at once, without waiting out group_wait', async () => {
    const { escalation, worker } = setup(w.config({ delivery: { group_wait: '30s' } }));
    escalation.handle([firing(makeAlert(), w.clock.now())], w.clock.now());
    expect(await worker.runOnce()).toBe(1);
    expect((await w.smtp.waitFor(1))[0]?.mail.subject).toBe('[P0] API down — grupo_gad_api');
  });

  it('groups a storm: 300 alerts for one contact are two emails, the first at once', async () => {
    const { escalation, worker } = setup(w.config({ delivery: { group_wait: '30s' } }));
    const alerts = Array.from({ length: 300 }, (_, i) =>
      makeAlert({ labels: { alertname: 'ApiDown', container: `api_${i}` } }),
    );
    // 200 fire in one evaluation: one message, sent at once.
    escalation.handle(
      alerts.slice(0, 200).map((a) => firing(a, w.clock.now())),
      w.clock.now(),
    );
    expect(await worker.runOnce()).toBe(1);
    await w.clock.advance(10_000);
    // 100 more 10 s later: the group had a message lately, so they wait group_wait and go as one.
    escalation.handle(
      alerts.slice(200).map((a) => firing(a, w.clock.now())),
      w.clock.now(),
    );
    expect(await worker.runOnce()).toBe(0);
    await w.clock.advance(29_999);
    expect(await worker.runOnce()).toBe(0);
    await w.clock.advance(1);
    expect(await worker.runOnce()).toBe(1);
    const mails = await w.smtp.waitFor(2);
    expect(mails.map((m) => m.mail.subject)).toEqual([
      '[P0] 200 alerts: API down — api_0 and 199 more',
      '[P0] 100 alerts: API down — api_200 and 99 more',
    ]);
    expect(mails.map((m) => m.mail.text?.match(/^What: /gm)?.length)).toEqual([200, 100]);
    expect(w.state.store.outboxCounts()).toMatchObject({ delivered: 300, pending: 0 });
  });

  it('resumes a retry after a restart: delivered once, on time', async () => {
    const cfg = w.config({ contacts: { cto: { channels: ['hook'] } } });
    let { escalation, worker } = setup(cfg);
    w.hook.script({ status: 500 });
    escalation.handle([firing(makeAlert(), w.clock.now())], w.clock.now());
    await worker.runOnce();
    const due = row()?.nextAttemptAt as number;
    await worker.stop(1000);
    w.state.reopen();
    ({ escalation, worker } = setup(cfg));
    worker.start();
    await w.clock.advanceTo(due - 1);
    expect(w.hook.requests).toHaveLength(1);
    await w.clock.advanceTo(due);
    await waitUntil(
      () => row()?.state === 'delivered',
      5000,
      () => `row is ${row()?.state}`,
    );
    await w.clock.advance(60 * MIN);
    expect(w.hook.requests).toHaveLength(2);
    expect(new Set(w.hook.requests.map((r) => r.headers['idempotency-key'])).size).toBe(1);
    await worker.stop(1000);
  });

  it('a new state file, whose incident ids start at 1 again, pages with keys the old one never used', async () => {
    const cfg = w.config({ contacts: { cto: { channels: ['hook', 'mail'] } } });
    const keys = async () => {
      const { escalation, worker } = setup(cfg);
      escalation.handle([firing(makeAlert(), w.clock.now())], w.clock.now());
      await worker.runOnce();
      await worker.stop(1000);
      const req = w.hook.requests.at(-1);
      return { id: req?.headers['idempotency-key'], key: JSON.parse(req?.body ?? '{}').notifications[0].key };
    };
    const first = await keys();
    expect(first.key).toBe(`${w.state.all.alerts.installation()}:${w.state.store.outboxRows()[0]?.key}`);
    // The same file after a restart keeps its number: a row sent again carries the same key.
    w.state.reopen();
    expect(w.state.all.alerts.installation()).toBe(w.state.all.alerts.installation());
    const old = w.state;
    w.state = new TempState();
    try {
      const second = await keys();
      expect(w.state.store.outboxRows()[0]?.incidentId).toBe(old.store.outboxRows()[0]?.incidentId);
      expect(second.id).toMatch(/^[0-9a-f]{32}$/);
      expect(second.id).not.toBe(first.id);
      // The row's own key is the same in both files; the key the receiver sees is not.
      expect(w.state.store.outboxRows()[0]?.key).toBe(old.store.outboxRows()[0]?.key);
      expect(second.key).not.toBe(first.key);
    } finally {
      old.remove();
    }
  });

  it('resends a row that was being delivered when the process died (same idempotency key and per-alert key)', async () => {
    const cfg = w.config({ contacts: { cto: { channels: ['hook'] } } });
    const { escalation, worker: first } = setup(cfg);
    escalation.handle([firing(makeAlert(), w.clock.now())], w.clock.now());
    // The first attempt reaches the receiver, which fails it; the process dies while the retry is being sent.
    w.hook.script({ status: 500 });
    await first.runOnce();
    await first.stop(1000);
    await w.clock.advance(10 * MIN);
    expect(w.state.store.claimDue(w.clock.now(), 10, 10)).toHaveLength(1);
    w.state.reopen();
    const { worker } = setup(cfg);
    worker.start();
    await waitUntil(
      () => row()?.state === 'delivered',
      5000,
      () => `row is ${row()?.state}`,
    );
    expect(w.hook.requests).toHaveLength(2);
    const [sent, resent] = w.hook.requests;
    expect(resent?.headers['idempotency-key']).toBe(sent?.headers['idempotency-key']);
    const key = (body: string | undefined) => JSON.parse(body ?? '{}').notifications[0].key;
    expect(key(resent?.body)).toBe(key(sent?.body));
    expect(key(sent?.body)).toMatch(/^\d+:/);
    await worker.stop(1000);
  });

  it('marks a message delivered in its own commit as soon as its receiver answers, while the round goes on', async () => {
    const { escalation, worker } = setup(w.config(mailAndHookContacts));
    w.hook.script('hang');
    escalation.handle([firing(makeAlert(), w.clock.now())], w.clock.now());
    const pass = worker.runOnce();
    await w.smtp.waitFor(1);
    // What a process started on the file after a crash now would find: the email is done, not resent.
    const after = new Database(w.state.path, { readonly: true });
    const stateOf = (contact: string) =>
      (after.prepare('SELECT state FROM outbox WHERE contact = ?').get(contact) as { state: string }).state;
    await waitUntil(
      () => stateOf('cto') === 'delivered',
      5000,
      () => `the email's row is ${stateOf('cto')} on disk`,
    );
    await w.hook.waitForHanging(1);
    expect(stateOf('lead')).toBe('sending');
    after.close();
    await w.clock.advance(5000);
    await pass;
  });

  it('a hung channel delays no other page: a second alert reaches every contact at once; the hung one times out', async () => {
    const { escalation, worker } = setup(w.config(mailAndHookContacts));
    // A mail server that accepts and never answers the first message: held until the 30 s channel timeout.
    w.smtp.script('hang');
    worker.start();
    escalation.handle([firing(makeAlert(), w.clock.now())], w.clock.now());
    worker.wake();
    await w.smtp.waitForHanging(1);
    await w.hook.waitFor(1);
    const disk = makeAlert({ alertname: 'DiskFull', labels: { alertname: 'DiskFull', host: 'db1' } });
    escalation.handle([firing(disk, w.clock.now())], w.clock.now());
    worker.wake();
    // The clock stands still: the second alert's email and webhook go out while the first email hangs.
    await waitUntil(
      () => w.smtp.received.length === 1 && w.hook.requests.length === 2,
      5000,
      () => `${w.smtp.received.length} emails and ${w.hook.requests.length} webhooks delivered`,
    );
    expect(w.smtp.received[0]?.mail.text).toContain('db1');
    expect(JSON.parse(w.hook.requests[1]?.body ?? '{}').notifications[0].alert.labels).toMatchObject({ host: 'db1' });
    const hung = () => w.state.store.outboxRows().find((r) => r.contact === 'cto' && r.state !== 'delivered');
    expect(hung()?.state).toBe('sending');
    // The hung email still times out after 30 s and is retried.
    await w.clock.advance(30_000);
    await waitUntil(
      () => hung()?.state === 'pending',
      5000,
      () => `the hung email's row is ${hung()?.state}`,
    );
    expect(hung()).toMatchObject({ attempts: 1, lastError: expect.stringMatching(/: timed out$/) });
    await w.clock.advance(5000);
    await waitUntil(
      () => w.smtp.received.length === 2,
      5000,
      () => `${w.smtp.received.length} emails delivered`,
    );
    expect(w.state.store.outboxCounts()).toMatchObject({ delivered: 4, pending: 0, sending: 0 });
    await worker.stop(1000);
  });

  it('marks a webhook delivered at its 2xx status line, without waiting for a body that never ends', async () => {
    const receiver = await startHttpTarget({
      routes: {
        '/hook': (_req, res) => {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.flushHeaders();
        },
      },
    });
    try {
      const { escalation, worker } = setup(
        escalationConfig({ webhookUrl: `${receiver.url}/hook`, raw: { contacts: { cto: { channels: ['hook'] } } } }),
      );
      escalation.handle([firing(makeAlert(), w.clock.now())], w.clock.now());
      // The fake clock stands still: only the receiver's status can end this attempt, not the channel's timeout.
      const pass = worker.runOnce();
      await waitUntil(
        () => row()?.state === 'delivered',
        5000,
        () => `the row is ${row()?.state}`,
      );
      await pass;
      expect(row()).toMatchObject({ state: 'delivered', attempts: 1, lastError: null });
      expect(receiver.requests).toHaveLength(1);
    } finally {
      await receiver.close();
    }
  });

  it('on stop, lets an in-flight delivery finish', async () => {
    const { escalation, worker } = setup();
    escalation.handle([firing(makeAlert(), w.clock.now())], w.clock.now());
    worker.start();
    await worker.stop(10_000);
    expect(row()?.state).toBe('delivered');
    expect(w.smtp.received).toHaveLength(1);
  });

  it('on stop, aborts a delivery still hanging after the bound; it stays pending for the next start', async () => {
    const { escalation, worker } = setup(w.config({ contacts: { cto: { channels: ['hook'] } } }));
    w.hook.script('hang');
    worker.start();
    escalation.handle([firing(makeAlert(), w.clock.now())], w.clock.now());
    worker.wake();
    await w.hook.waitFor(1);
    const stopped = worker.stop(2000);
    await w.clock.advance(2000);
    await stopped;
    expect(row()).toMatchObject({ state: 'pending', attempts: 1 });
    expect(row()?.lastError).toMatch(/: centinela is stopping$/);
    expect(row()?.lastError).not.toContain('timed out');
  });

  it("stops a send once the store's lead falls in doubt: the rows wait again, no attempt counted, same id later", async () => {
    let lead = new AbortController();
    const log = captureLog(w.clock);
    const { escalation, worker } = setup(w.config({ contacts: { cto: { channels: ['hook', 'mail'] } } }), {
      committed: async () => lead.signal,
      log: log.log,
    });
    w.hook.script('hang');
    escalation.handle([firing(makeAlert(), w.clock.now())], w.clock.now());
    const pass = worker.runOnce();
    await w.hook.waitFor(1);
    lead.abort(new Error("the lead's connection failed; another centinela may be taking over"));
    await pass;
    // The receiver's request was cut, not answered: no attempt is recorded and no fallback comes closer.
    await waitUntil(
      () => w.hook.hanging() === 0,
      5_000,
      () => 'the cut request still hangs at the receiver',
    );
    expect(row()).toMatchObject({ state: 'pending', attempts: 0 });
    expect(log.lines().map((l) => l.msg)).toContainEqual(
      "outbox: a send was stopped (the lead's connection failed; another centinela may be taking over); it goes out " +
        'again, with the same id, from the centinela that leads',
    );
    // The lead sure again (or another centinela's worker): the same message, with the same key, goes out.
    lead = new AbortController();
    expect(await worker.runOnce()).toBe(1);
    expect(row()?.state).toBe('delivered');
    const keys = w.hook.requests.map((r) => r.headers['idempotency-key']);
    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(keys[0]);
  });
});
