// Priority moves on the fake clock, delivered through the outbox to a real SMTP server: a rise while held is paged
// on release, and a priority bouncing around a threshold pages each level once and keeps the acknowledgement.
import { beforeEach, describe, expect, it } from 'vitest';
import { OutboxWorker } from '../../src/engine/delivery.js';
import { Escalator } from '../../src/engine/escalator.js';
import type { Alert, AlertEvent, Priority, Suppression } from '../../src/types.js';
import { deliveryWorld, firing, HOUR, MIN, makeAlert, silentLog } from '../support/escalation-fixtures.js';

const w = deliveryWorld();
let escalation: Escalator;
let worker: OutboxWorker;

beforeEach(() => {
  const cfg = w.config();
  for (const c of Object.values(cfg.contacts)) c.channels = ['mail'];
  escalation = new Escalator(w.state.all, cfg);
  worker = new OutboxWorker({ store: w.state.store, config: cfg, clock: w.clock, log: silentLog });
});

/** The API slowing down: P2 at first. */
const slow = makeAlert({ alertname: 'ApiSlow', summary: 'API slow', priority: 'P2' });

function at(priority: Priority, held?: Suppression): Alert {
  return { ...slow, priority, suppressedBy: held ? [{ kind: held, id: 'x' }] : [] };
}

/** A `priority-changed` event from `from` to the alert's priority. */
const changed = (alert: Alert, from: Priority): AlertEvent => ({
  type: 'priority-changed',
  at: w.clock.now(),
  alert,
  from,
});

/** Handles the events at the current time and delivers what is due; returns the mails sent since `before`. */
async function handle(...events: AlertEvent[]): Promise<string[]> {
  const before = w.smtp.received.length;
  escalation.handle(events, w.clock.now());
  // One message per contact: the rows of one alert for one contact are one group.
  const contacts = new Set(w.state.store.outboxRows().flatMap((r) => (r.state === 'pending' ? [r.contact] : [])));
  await worker.runOnce();
  const mails = await w.smtp.waitFor(before + contacts.size);
  return mails.slice(before).map((m) => `${m.to[0]?.split('@')[0]} ${m.mail.subject}`);
}

describe('priority changes', () => {
  it('pages the CTO when an alert paged at P2 rose to P0 while inhibited, once released', async () => {
    expect(await handle(firing(at('P2'), w.clock.now()))).toEqual(['devops [P2] API slow — grupo_gad_api']);
    await w.clock.advance(MIN);
    expect(await handle(firing(at('P2', 'inhibited'), w.clock.now()))).toEqual([]);
    await w.clock.advance(MIN);
    expect(await handle(changed(at('P0', 'inhibited'), 'P2'))).toEqual([]);
    await w.clock.advance(MIN);
    // Released: devops, paged before the hold, is not paged again as new; the rise pages the CTO.
    const released = await handle(firing(at('P0'), w.clock.now()));
    expect(released.sort()).toEqual(['cto [P0] Now P0 (was P2): API slow — grupo_gad_api']);
    expect(w.state.store.openIncident(slow.id)).toMatchObject({ status: 'open', topPriority: 'P0' });
  });

  it('pages the CTO when the rise itself ends a silence that matched only P2', async () => {
    await handle(firing(at('P2'), w.clock.now()));
    await w.clock.advance(MIN);
    expect(await handle(firing(at('P2', 'silenced'), w.clock.now()))).toEqual([]);
    await w.clock.advance(MIN);
    // The rules tell the rise with the hold already lifted: the silence does not match priority P0.
    const rose = await handle(changed(at('P0'), 'P2'));
    expect(rose.sort()).toEqual(['cto [P0] Now P0 (was P2): API slow — grupo_gad_api']);
  });

  it('tells a level reached by a climb of a rise while held, once, and does not page the others again', async () => {
    await handle(firing(at('P2'), w.clock.now()));
    // Nobody acknowledged within P2's 4 h: the P1 level (the tech lead) was added.
    await w.clock.advance(4 * HOUR);
    escalation.tick(w.clock.now());
    await worker.runOnce();
    expect(w.state.store.openIncident(slow.id)?.levels.map((l) => l.level)).toEqual(['P2', 'P1']);
    await w.clock.advance(MIN);
    await handle(firing(at('P2', 'silenced'), w.clock.now()));
    await w.clock.advance(MIN);
    await handle(changed(at('P1', 'silenced'), 'P2'));
    await w.clock.advance(MIN);
    const released = await handle(firing(at('P1'), w.clock.now()));
    expect(released.sort()).toEqual(['tech.lead [P1] Now P1 (was P2): API slow — grupo_gad_api']);
  });

  it('does not re-page or lift the ack when latency bounces around the P1 threshold', async () => {
    await handle(firing(at('P2'), w.clock.now()));
    await w.clock.advance(MIN);
    expect(await handle(changed(at('P1'), 'P2'))).toEqual(['tech.lead [P1] Now P1 (was P2): API slow — grupo_gad_api']);
    expect(escalation.ack(slow.id, { who: 'lead', via: 'api' }, w.clock.now()).status).toBe('acknowledged');
    await worker.runOnce();
    const rows = w.state.store.outboxRows().length;
    // Latency oscillating around 0.5 s: a scrape each 15 s moves it between P2 and P1 for ten minutes.
    for (let i = 0; i < 20; i++) {
      await w.clock.advance(15_000);
      escalation.handle([changed(at('P2'), 'P1')], w.clock.now());
      await w.clock.advance(15_000);
      escalation.handle([changed(at('P1'), 'P2')], w.clock.now());
      await worker.runOnce();
    }
    expect(w.state.store.outboxRows()).toHaveLength(rows);
    expect(w.state.store.openIncident(slow.id)).toMatchObject({
      status: 'acked',
      ack: { who: 'lead' },
      topPriority: 'P1',
    });
    // A real rise above everything paged still pages, and lifts the ack.
    expect(await handle(changed(at('P0'), 'P1'))).toEqual(['cto [P0] Now P0 (was P1): API slow — grupo_gad_api']);
    expect(w.state.store.openIncident(slow.id)).toMatchObject({ status: 'open', ack: undefined, topPriority: 'P0' });
  });
});
