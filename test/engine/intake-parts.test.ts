// A big POST to the Alertmanager API is taken in parts (RECEIVE_SLICE alerts per unit of work, the event loop free in
// between): it leaves the same alerts, incidents and pages in the store as the same alerts taken in one unit of work.
import { pino } from 'pino';
import { afterEach, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { alertsFile, escalationFile } from '../../src/config/schema.js';
import { Engine } from '../../src/engine/loop.js';
import { createOperations, type OperationsDeps, RECEIVE_SLICE } from '../../src/engine/operations.js';
import { DEFAULT_READING } from '../../src/locale/locale.js';
import { compileAlerting } from '../../src/rules/alerting.js';
import type { PostedAlert } from '../../src/rules/external.js';
import { openStore, type SqliteStore } from '../../src/store/sqlite.js';

const T = Date.UTC(2026, 0, 5, 10);
const opened: { engine: Engine; store: SqliteStore }[] = [];
afterEach(() => {
  for (const { engine, store } of opened.splice(0)) {
    engine.close();
    store.close();
  }
});

/** An engine that pages (P1 and P2 levels) over a store in memory; not started, so nothing is sent. */
function paged(): { engine: Engine; store: SqliteStore } {
  const store = openStore(':memory:');
  const { alerting } = compileAlerting(
    alertsFile.parse({
      sources: [{ name: 'prometheus', priority_labels: { severity: { critical: 'P1' } }, default_priority: 'P2' }],
    }),
    DEFAULT_READING,
  );
  const escalation = escalationFile.parse({
    levels: {
      P1: { ack_within: '1h', repeat_every: '15m', contacts: ['oncall', 'ops'] },
      P2: { ack_within: '4h', repeat_every: '1h', contacts: ['ops'] },
    },
    contacts: { oncall: { name: 'On-call', channels: ['hook'] }, ops: { name: 'Ops', channels: ['hook'] } },
    channels: { hook: { kind: 'webhook', format: 'generic', url: 'http://127.0.0.1:9/hook' } },
    delivery: { group_wait: '30s' },
  });
  const engine = new Engine({
    store,
    clock: new FakeClock(T),
    log: pino({ level: 'silent' }),
    alerting,
    paging: { escalation },
  });
  opened.push({ engine, store });
  return { engine, store };
}

/** What the store holds of alerts, incidents and pages, as comparable data. */
function contents(store: SqliteStore) {
  return {
    instances: store.alerts.loadInstances(),
    external: store.alerts.loadExternal(),
    incidents: store.incidents.incidentsSince(0),
    outbox: store.incidents.outboxRows(),
    // Each unit of work writes its state changes, then what it told: the rows are the same, their order per part.
    history: store.db
      .prepare(
        'SELECT alert_id, at, kind, what, priority, value, suppressed_by FROM alert_history ORDER BY alert_id, kind, what, at',
      )
      .all(),
  };
}

it('takes a big POST in parts with the same alerts, incidents and pages as one unit of work would', async () => {
  const count = RECEIVE_SLICE * 3 + 17;
  const alerts: PostedAlert[] = Array.from({ length: count }, (_, i) => ({
    labels: { alertname: `Rule${i % 7}`, instance: `host-${i}`, severity: i % 5 === 0 ? 'critical' : 'warning' },
    annotations: { summary: `host-${i} is slow` },
    startsAt: T - 60_000,
    endsAt: T + 4 * 60_000,
  }));
  // A resend within the same POST changes nothing, in its part as at once. (An alert sent firing and then resolved in
  // one POST is another matter: in one unit of work it never fires; in two, it fires and resolves.)
  alerts.push({ ...(alerts[3] as PostedAlert) });

  const once = paged();
  expect(once.engine.receive('prometheus', alerts)).toMatchObject({ accepted: count + 1, refused: 0 });

  const parts = paged();
  let units = 0;
  // Only these two of the daemon's operations take part in receiveAlerts.
  const deps: Pick<OperationsDeps, 'receive' | 'committed'> = {
    receive: (source, some) => {
      units += 1;
      return parts.engine.receive(source, some);
    },
    committed: () => Promise.resolve(),
  };
  const ops = createOperations(deps as OperationsDeps);
  expect(await ops.receiveAlerts('prometheus', alerts)).toEqual({ accepted: count + 1, refused: 0 });
  expect(units).toBe(4);

  const expected = contents(once.store);
  expect(expected.incidents).toHaveLength(count);
  expect(expected.outbox.length).toBeGreaterThan(count);
  expect(contents(parts.store)).toEqual(expected);
});
