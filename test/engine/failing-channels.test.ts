// What the outbox worker logs when deliveries keep failing, read from a real pino logger on the fake clock, against
// a real SMTP server and webhook receiver: one line per change of state and a summary every 15 minutes, however many
// attempts there are.
import { describe, expect, it } from 'vitest';
import type { EscalationFile } from '../../src/config/schema.js';
import { formatDuration } from '../../src/duration.js';
import { OutboxWorker } from '../../src/engine/delivery.js';
import { Escalator } from '../../src/engine/escalator.js';
import { SUMMARY_EVERY } from '../../src/engine/failing-channels.js';
import { deliveryWorld, firing, MIN, makeAlert } from '../support/escalation-fixtures.js';
import { captureLog, type LogLine } from '../support/log-capture.js';

const w = deliveryWorld();

function setup(cfg: EscalationFile) {
  const { log, lines } = captureLog(w.clock);
  const escalation = new Escalator(w.state.all, cfg);
  const results: string[] = [];
  const worker = new OutboxWorker({
    store: w.state.store,
    config: cfg,
    clock: w.clock,
    log,
    random: () => 0.5,
    onAttempt: (_channel, result) => results.push(result),
  });
  const t0 = w.clock.now();
  /** Runs the worker as its poll does (every 30 s at most, at once when a retry is due) until `ms` after t0. */
  const runUntil = async (ms: number) => {
    for (;;) {
      await worker.runOnce();
      const next = Math.min(w.clock.now() + 30_000, w.state.store.nextAttemptAt() ?? Number.POSITIVE_INFINITY);
      if (next > t0 + ms) break;
      await w.clock.advanceTo(Math.max(w.clock.now(), next));
    }
  };
  /** The outbox's lines at warn and above, and its info lines, as [level, msg]. */
  const told = () =>
    lines()
      .filter((l) => l.level !== 'debug' && l.msg.startsWith('outbox:'))
      .map((l) => [l.level, l.msg]);
  const line = (msg: string): LogLine | undefined => lines().find((l) => l.msg === msg);
  return { escalation, worker, runUntil, lines, told, line, t0, results };
}

const page = () => w.state.store.outboxRows().find((r) => r.kind === 'firing');

describe('outbox failure logging', () => {
  it("a contact's only channel down for 25 minutes: one warn when it starts, one summary, one info when it is back", async () => {
    const cfg = w.config({
      levels: { P0: { ack_within: '1h', repeat_every: '1h' } },
      contacts: { cto: { channels: ['mail'] } },
    });
    const { escalation, runUntil, told, line, t0, results } = setup(cfg);
    w.smtp.refuse(1000);
    escalation.handle([firing(makeAlert(), t0)], t0);
    await runUntil(25 * MIN);
    const attempts = page()?.attempts ?? 0;
    expect(page()?.state).toBe('pending');
    // Retried at backoff up to max_backoff (5m): many attempts, each counted by the metric (the DeliveryFailing
    // page to DevOps is the one delivered), and two log lines for them, not one per attempt.
    expect(attempts).toBeGreaterThanOrEqual(8);
    expect(results.filter((r) => r === 'retry')).toHaveLength(attempts);
    expect(results.filter((r) => r !== 'retry')).toEqual(['delivered']);
    expect(told()).toEqual([
      ['warn', 'outbox: delivery failing'],
      ['warn', 'outbox: deliveries still failing'],
    ]);
    expect(line('outbox: delivery failing')).toMatchObject({
      time: new Date(t0).toISOString(),
      contact: 'cto',
      channel: 'mail',
      rows: 1,
      reason: expect.stringMatching(/SMTP 451 Try again later$/),
    });
    // DeliveryFailing reached DevOps over the webhook: no failure of its own to tell.
    expect(w.hook.requests.map((r) => JSON.parse(r.body).notifications[0].event)).toEqual(['delivery-failing']);
    const summary = line('outbox: deliveries still failing');
    expect(Date.parse(summary?.time ?? '')).toBeGreaterThanOrEqual(t0 + SUMMARY_EVERY);
    expect(Date.parse(summary?.time ?? '')).toBeLessThan(t0 + SUMMARY_EVERY + 30_000);
    expect(summary?.failing).toEqual([
      {
        contact: 'cto',
        channel: 'mail',
        rows: 1,
        since: new Date(t0).toISOString(),
        lastReason: expect.stringMatching(/SMTP 451 Try again later$/),
        attempts: expect.any(Number),
      },
    ]);

    // The server takes mail again: the next retry delivers, and that is one info line saying how long and how often.
    w.smtp.refuse(0);
    await runUntil(31 * MIN);
    expect(page()).toMatchObject({ state: 'delivered', attempts: attempts + 1 });
    const back = line('outbox: delivering again');
    expect(back).toMatchObject({ level: 'info', contact: 'cto', channel: 'mail', attempts });
    expect(back?.failingFor).toBe(formatDuration(Date.parse(back?.time ?? '') - t0));
    // Once it works again there is nothing left to summarize: the 30-minute summary does not come.
    expect(told()).toEqual([
      ['warn', 'outbox: delivery failing'],
      ['warn', 'outbox: deliveries still failing'],
      ['info', 'outbox: delivering again'],
    ]);
  });

  it('a new reason is a new warn; a reason that differs only in a request id is not', async () => {
    const cfg = w.config({ levels: { P0: { ack_within: '1h' } }, contacts: { cto: { channels: ['hook'] } } });
    const { escalation, worker, told, line, t0 } = setup(cfg);
    w.hook.script(
      { status: 500, body: 'internal error, request 7f3a9c21' },
      { status: 500, body: 'internal error, request 81bd0e44' },
      'reset',
    );
    escalation.handle([firing(makeAlert(), t0)], t0);
    for (let i = 0; i < 4; i++) {
      await worker.runOnce();
      await w.clock.advanceTo(w.state.store.nextAttemptAt() ?? w.clock.now());
    }
    expect(page()).toMatchObject({ state: 'delivered', attempts: 4 });
    expect(told()).toEqual([
      ['warn', 'outbox: delivery failing'],
      ['warn', 'outbox: delivery failing for another reason'],
      ['info', 'outbox: delivering again'],
    ]);
    expect(line('outbox: delivery failing')?.reason).toMatch(/HTTP 500 internal error, request 7f3a9c21$/);
    expect(line('outbox: delivery failing for another reason')).toMatchObject({
      contact: 'cto',
      channel: 'hook',
      previousReason: expect.stringMatching(/request 81bd0e44$/),
      reason: expect.stringMatching(/ECONNRESET/),
      since: new Date(t0).toISOString(),
      attempts: 2,
    });
    expect(line('outbox: delivering again')).toMatchObject({ attempts: 3 });
  });

  it('a page that moves to the next channel or fails for good is said once, and leaves the summary', async () => {
    const cfg = w.config({
      levels: { P0: { ack_within: '1h' }, P3: { contacts: ['dev'] } },
      contacts: { cto: { channels: ['mail', 'hook'] }, dev: { channels: ['hook'] } },
    });
    const { escalation, runUntil, told, line, lines, t0 } = setup(cfg);
    w.smtp.refuse(1000);
    escalation.handle([firing(makeAlert(), t0)], t0);
    await runUntil(20 * MIN);
    // Mail failed for fallback_after (5m), then the page went by webhook; DevOps heard of it by webhook too.
    expect(page()).toMatchObject({ state: 'delivered', channel: 'hook' });
    expect(line('outbox: delivery moves to the next channel')).toMatchObject({
      time: new Date(t0 + 5 * MIN).toISOString(),
      contact: 'cto',
      channel: 'mail',
      next: 'hook',
      rows: 1,
    });

    // A final failure with no channel left (DevOps hear of it by mail, which works again).
    w.smtp.refuse(0);
    w.hook.otherwise({ status: 404, body: 'no such hook' });
    const minor = makeAlert({ alertname: 'Minor', priority: 'P3' });
    escalation.handle([firing(minor, w.clock.now())], w.clock.now());
    await runUntil(35 * MIN);
    expect(line('outbox: delivery failed for good')).toMatchObject({
      contact: 'dev',
      channel: 'hook',
      rows: 1,
      reason: expect.stringMatching(/HTTP 404 no such hook$/),
    });
    // No summary: cto's mail has no row waiting on it any more (the page moved on), nor has dev's hook.
    expect(told()).toEqual([
      ['warn', 'outbox: delivery failing'],
      ['warn', 'outbox: delivery moves to the next channel'],
      ['warn', 'outbox: delivery failing'],
      ['warn', 'outbox: delivery failed for good'],
    ]);
    expect(
      lines()
        .filter((l) => l.msg === 'outbox: delivery failing')
        .map((l) => [l.contact, l.channel]),
    ).toEqual([
      ['cto', 'mail'],
      ['dev', 'hook'],
    ]);
  });
});
