// StateStoreUnreachable: the P1 level paged directly over its channels (a real SMTP server and a webhook receiver, no
// store), only once the hold is up, with its all-clear only after such a page, in the team's language, the fallback to
// the contact's next channel when one fails, and the same idempotency key for a page sent again.
import { describe, expect, it } from 'vitest';
import { StateStoreAlarm } from '../../src/engine/state-store-alarm.js';
import { DEFAULT_READING, type Reading } from '../../src/locale/locale.js';
import { StateError } from '../../src/store/errors.js';
import { deliveryWorld, MIN } from '../support/escalation-fixtures.js';
import { captureLog } from '../support/log-capture.js';

const w = deliveryWorld();
const error = new StateError('STATE_UNREACHABLE', 'state store (postgres): a write failed (ECONNREFUSED)', {
  reason: 'ECONNREFUSED',
});

function alarm(reading: Reading = DEFAULT_READING, channels = ['hook', 'mail']) {
  const config = w.config({ contacts: { lead: { channels } } });
  const { log, lines } = captureLog(w.clock);
  return { alarm: new StateStoreAlarm({ config: () => config, reading: () => reading, clock: w.clock, log }), lines };
}

const hookBodies = () =>
  w.hook.requests.map(
    (r) =>
      JSON.parse(r.body) as {
        notifications: { event: string; alert: { name: string; summary: string; description: string | null } }[];
      },
  );

describe('StateStoreAlarm', () => {
  it('pages the P1 level once the hold is up, and the all-clear when PostgreSQL answers', async () => {
    const { alarm: a, lines } = alarm();
    const since = w.clock.now();
    a.tell({ state: 'unreachable', since, error }, MIN);
    // Only logged: most outages are over before the hold.
    expect(w.hook.requests).toHaveLength(0);
    expect(lines().map((l) => l.msg)).toEqual([
      'state store (postgres): a write failed (ECONNREFUSED); probing and evaluating go on, pages are held up to 1 min for PostgreSQL to answer',
    ]);
    await w.clock.advance(MIN);
    expect(await a.unreachable({ since, holdMs: MIN, error: 'ECONNREFUSED' })).toEqual(['lead']);
    expect(hookBodies().map((b) => b.notifications.map((n) => `${n.event} ${n.alert.name}`))).toEqual([
      ['firing StateStoreUnreachable'],
    ]);
    expect(hookBodies()[0]?.notifications[0]?.alert.summary).toBe(
      'centinela cannot reach PostgreSQL, its state store: pages go out without being saved',
    );
    expect(await a.back({ since, holdMs: MIN, error: '' }, w.clock.now() + MIN)).toEqual(['lead']);
    expect(hookBodies()[1]?.notifications.map((n) => `${n.event} ${n.alert.name}`)).toEqual([
      'resolved StateStoreUnreachable',
    ]);
    // Sent again (a restart of the page), it carries the same key; the all-clear has its own.
    await a.unreachable({ since, holdMs: MIN, error: 'ECONNREFUSED' });
    const keys = w.hook.requests.map((r) => r.headers['idempotency-key']);
    expect(keys[2]).toBe(keys[0]);
    expect(keys[1]).not.toBe(keys[0]);
    // The tech lead is the only P1 contact: nobody else heard it.
    expect(w.smtp.received).toHaveLength(0);
  });

  it('sends the all-clear only after an outage that failed open, saying what it failed with', async () => {
    const { alarm: a } = alarm();
    const since = w.clock.now();
    a.tell({ state: 'back', since, until: since + 5_000, failedOpen: false }, MIN);
    a.tell({ state: 'failing-open', since, error }, MIN);
    a.tell({ state: 'back', since, until: since + 2 * MIN, failedOpen: true }, MIN);
    await w.hook.waitFor(2, { within: 10_000 });
    const told = hookBodies().map((b) => b.notifications[0]);
    expect(told.map((n) => n?.event)).toEqual(['firing', 'resolved']);
    expect(told[1]?.alert.description).toContain('a write failed (ECONNREFUSED)');
    // Cleared: nothing is left to hand over.
    expect(await a.handOver()).toEqual([]);
  });

  it('hands over: the all-clear of the page it sent, saying that another centinela leads, once', async () => {
    const { alarm: a } = alarm();
    const since = w.clock.now();
    expect(await a.handOver()).toEqual([]);
    a.tell({ state: 'failing-open', since, error }, MIN);
    await w.hook.waitFor(1, { within: 10_000 });
    await w.clock.advance(MIN);
    expect(await a.handOver()).toEqual(['lead']);
    expect(await a.handOver()).toEqual([]);
    const told = hookBodies().map((b) => b.notifications[0]);
    expect(told.map((n) => n?.event)).toEqual(['firing', 'resolved']);
    expect(told[1]?.alert.description).toMatch(/^Another centinela took the lead .*a write failed \(ECONNREFUSED\)/);
    const keys = w.hook.requests.map((r) => r.headers['idempotency-key']);
    expect(keys[1]).toBe(`${keys[0]}-resolved`);
  });

  it("moves to the contact's next channel when one fails, and speaks the team's language", async () => {
    w.hook.otherwise({ status: 500 });
    const { alarm: a } = alarm({ locale: 'es', timezone: 'America/Guayaquil' });
    const since = w.clock.now();
    expect(await a.unreachable({ since, holdMs: MIN, error: 'ECONNREFUSED' })).toEqual(['lead']);
    expect(w.hook.requests).toHaveLength(1);
    const [mail] = w.smtp.received;
    expect(mail?.mail.subject).toBe(
      '[P1] centinela no alcanza PostgreSQL, donde guarda su estado: los avisos salen sin guardarse',
    );
    // The reason in the team's language, PostgreSQL's own words as they are; the value with its unit.
    expect(mail?.mail.text).toContain('no se pudo escribir (ECONNREFUSED)');
    expect(mail?.mail.text).not.toContain('a write failed');
    expect(mail?.mail.text).toMatch(/Valor: 0 s \(umbral >= 1 min\)/);
    expect(mail?.mail.text).toContain('No reinicie centinela mientras dure');
  });

  it('logs the contacts it reached on no channel', async () => {
    w.hook.otherwise({ status: 500 });
    const { alarm: a, lines } = alarm(DEFAULT_READING, ['hook']);
    expect(await a.unreachable({ since: w.clock.now(), holdMs: MIN, error: 'ECONNREFUSED' })).toEqual([]);
    expect(lines().find((l) => l.level === 'error')).toMatchObject({
      contact: 'lead',
      msg: 'state store unreachable: the page about it reached this contact on no channel',
      failures: [expect.stringMatching(/^hook: .*500/)],
    });
  });
});
