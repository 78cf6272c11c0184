// The escalation store: migrations 2 and 3, the unique idempotency key, claiming, grouping, attempts, one open incident.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NotificationItem } from '../../src/notifiers/notifier.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { openStore } from '../../src/store/sqlite.js';
import { openDb } from '../../src/store/sqlite-db.js';
import type { NewOutboxRow, OutboxRow } from '../../src/store/store.js';
import type { Alert } from '../../src/types.js';
import { makeAlert, TempState } from '../support/escalation-fixtures.js';
import { type OpenedStore, STORE_KINDS, useStores } from '../support/stores.js';

const T = 1_000_000;

function newRow(key: string, over: Partial<NewOutboxRow> = {}): NewOutboxRow {
  const item = { key, kind: 'firing', alert: makeAlert() } as NotificationItem;
  return {
    key,
    incidentId: null,
    kind: 'firing',
    contact: 'cto',
    groupKey: 'ApiDown',
    item,
    createdAt: T,
    groupWait: 30_000,
    ...over,
  };
}

describe('escalation store on SQLite: its migrations', () => {
  let state: TempState;
  beforeEach(() => {
    state = new TempState();
  });
  afterEach(() => state.remove());

  it('creates its tables in migration 2', () => {
    expect(state.db.pragma('user_version', { simple: true })).toBeGreaterThanOrEqual(2);
    const tables = (
      state.db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as { name: string }[]
    ).map((t) => t.name);
    expect(tables).toEqual(expect.arrayContaining(['esc_incidents', 'esc_paged', 'esc_acks', 'outbox']));
  });

  it('upgrades a store from migration 2: an incident paged before takes its first priority as the highest paged', () => {
    state.all.close();
    const old = openDb(`${state.dir}/v2.db`, MIGRATIONS.slice(0, 2));
    const alert = makeAlert({ priority: 'P1' });
    old
      .prepare(
        `INSERT INTO esc_incidents (alert_id, alert, priority, status, opened_at, first_paged_at, sla_priority, levels)
         VALUES (?, ?, 'P1', 'open', ?, ?, 'P2', '[]')`,
      )
      .run(alert.id, JSON.stringify(alert), T, T);
    old.close();
    state.all = openStore(`${state.dir}/v2.db`);
    expect(state.db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.at(-1)?.version);
    expect(state.store.openIncident(alert.id)).toMatchObject({ priority: 'P1', slaPriority: 'P2', topPriority: 'P2' });
  });

  it('finds what an alert holds back by its own table (migration 15), held incidents only, not by reading them all', () => {
    const by = (...ids: string[]) => ids.map((id) => ({ kind: 'inhibited' as const, id }));
    const incident = (id: string, status: 'open' | 'held', suppressedBy: Alert['suppressedBy']) =>
      state.store.insertIncident({
        alertId: id,
        alert: makeAlert({ id, suppressedBy }),
        priority: 'P2',
        status,
        openedAt: T,
        levels: [],
      });
    incident('a', 'held', by('src'));
    incident('b', 'held', [{ kind: 'silenced', id: 'src' }]);
    incident('c', 'open', by('src'));
    const d = incident('d', 'held', by('other', 'src'));
    const e = incident('e', 'held', by('other'));
    const heldBy = (...ids: string[]) =>
      Object.fromEntries([...state.store.heldBy(ids)].map(([id, held]) => [id, held.map((i) => i.alertId)]));
    expect(heldBy('src', 'other', 'c')).toEqual({ src: ['a', 'd'], other: ['d', 'e'] });
    expect(heldBy()).toEqual({});
    // Released (and paged), then held again by another alert: what it says now is what counts.
    state.store.updateIncident({ ...d, status: 'open', alert: { ...d.alert, suppressedBy: [] } });
    state.store.updateIncident({ ...e, alert: { ...e.alert, suppressedBy: by('src') } });
    expect(heldBy('src', 'other')).toEqual({ src: ['a', 'e'] });
    const plan = state.db
      .prepare(
        `EXPLAIN QUERY PLAN SELECT h.by_alert AS held_by, i.* FROM esc_inhibited h JOIN esc_incidents i ON i.id = h.incident_id
         WHERE h.by_alert IN (SELECT value FROM json_each(?)) AND i.status = 'held' ORDER BY h.incident_id`,
      )
      .all('["src"]') as { detail: string }[];
    expect(plan.map((p) => p.detail)).toEqual(
      expect.arrayContaining([
        expect.stringContaining('USING COVERING INDEX esc_inhibited_by (by_alert=?)'),
        expect.stringContaining('USING INTEGER PRIMARY KEY'),
      ]),
    );
    expect(plan.map((p) => p.detail)).not.toContainEqual(expect.stringMatching(/^SCAN (h|i)\b/));
  });

  it('upgrades a store from migration 14: held incidents are found by the alerts inhibiting them', () => {
    state.all.close();
    const old = openDb(
      `${state.dir}/v14.db`,
      MIGRATIONS.filter((m) => m.version <= 14),
    );
    const insert = old.prepare(
      `INSERT INTO esc_incidents (alert_id, alert, priority, status, opened_at, levels) VALUES (?, ?, 'P2', ?, ?, '[]')`,
    );
    insert.run(
      'a',
      JSON.stringify(makeAlert({ id: 'a', suppressedBy: [{ kind: 'inhibited', id: 'src' }] })),
      'held',
      T,
    );
    insert.run(
      'b',
      JSON.stringify(makeAlert({ id: 'b', suppressedBy: [{ kind: 'maintenance', id: 'src' }] })),
      'held',
      T,
    );
    insert.run('c', JSON.stringify(makeAlert({ id: 'c', suppressedBy: [] })), 'resolved', T);
    old.close();
    state.all = openStore(`${state.dir}/v14.db`);
    expect(
      state.store
        .heldBy(['src'])
        .get('src')
        ?.map((i) => i.alertId),
    ).toEqual(['a']);
  });

  it("finds an alert's last incident by its own index (migration 14), resolved ones too, not by reading every incident", () => {
    const incident = (id: string, status: 'open' | 'resolved') =>
      state.store.insertIncident({
        alertId: id,
        alert: makeAlert({ id }),
        priority: 'P2',
        status,
        openedAt: T,
        levels: [],
      }).id;
    const first = incident('a', 'resolved');
    incident('b', 'resolved');
    const second = incident('a', 'resolved');
    expect(state.store.lastIncident('a')?.id).toBe(second);
    expect(second).toBeGreaterThan(first);
    const plan = state.db
      .prepare(`EXPLAIN QUERY PLAN SELECT * FROM esc_incidents WHERE alert_id = ? ORDER BY id DESC LIMIT 1`)
      .all('a') as { detail: string }[];
    expect(plan.map((p) => p.detail)).toEqual([expect.stringContaining('USING INDEX esc_incidents_alert')]);
  });
});

describe.each(STORE_KINDS)('escalation store ($name)', (kind) => {
  useStores(kind);
  let o: OpenedStore;
  beforeEach(async () => {
    o = await kind.open();
  });
  const store = () => o.store.incidents;

  it('keeps one row per idempotency key, across a reopen', async () => {
    expect(store().enqueue(newRow('k1'))).toBe(true);
    expect(store().enqueue(newRow('k1', { contact: 'lead' }))).toBe(false);
    await o.reopen();
    expect(store().enqueue(newRow('k1'))).toBe(false);
    expect(
      store()
        .outboxRows()
        .map((r) => [r.key, r.contact]),
    ).toEqual([['k1', 'cto']]);
  });

  it('claims due rows once, group by group, and puts claimed rows back to pending on reset', async () => {
    store().enqueue(newRow('a1'));
    store().enqueue(newRow('b1', { groupKey: 'Other' }));
    store().enqueue(newRow('a2'));
    store().enqueue(newRow('lead', { contact: 'lead' }));
    store().enqueue(newRow('later', { groupKey: 'Later', createdAt: T + 10 }));
    const keys = (groups: { key: string }[][]) => groups.map((g) => g.map((r) => r.key));
    expect(keys(store().claimDue(T, 2, 10)).sort()).toEqual([['a1', 'a2'], ['b1']]);
    expect(keys(store().claimDue(T, 10, 10))).toEqual([['lead']]);
    expect(store().claimDue(T, 10, 10)).toEqual([]);
    expect(store().outboxByKey('a1')?.state).toBe('sending');
    expect(store().nextAttemptAt()).toBe(T + 10);
    await o.reopen();
    expect(store().outboxCounts()).toMatchObject({ sending: 4, pending: 1 });
    expect(store().resetSending()).toBe(4);
    // A group bigger than the per-message cap is claimed in parts.
    expect(keys(store().claimDue(T, 1, 1))).toEqual([['a1']]);
  });

  it('claims groups in the order of their earliest due row, as many as asked, and no row that is not due', () => {
    const at = (key: string, groupKey: string, due: number) =>
      store().enqueue(newRow(key, { groupKey, createdAt: T + due, groupWait: 0 }));
    at('a1', 'A', 1);
    at('b1', 'B', 2);
    at('a2', 'A', 3);
    at('c1', 'C', 4);
    at('d1', 'D', 20);
    const keys = (groups: { key: string }[][]) => groups.map((g) => g.map((r) => r.key));
    expect(keys(store().claimDue(T + 10, 2, 10))).toEqual([['a1', 'a2'], ['b1']]);
    expect(keys(store().claimDue(T + 10, 10, 10))).toEqual([['c1']]);
    expect(store().claimDue(T + 10, 10, 10)).toEqual([]);
    expect(store().claimDue(T + 20, 0, 10)).toEqual([]);
    expect(keys(store().claimDue(T + 20, 10, 10))).toEqual([['d1']]);
  });

  it('sends the first row of a group at once; rows after it within group_wait wait and go together', async () => {
    const due = () =>
      store()
        .outboxRows()
        .map((r) => [r.key, r.nextAttemptAt - T]);
    store().enqueue(newRow('a'));
    store().enqueue(newRow('a2'));
    expect(due()).toEqual([
      ['a', 0],
      ['a2', 0],
    ]);
    expect(store().claimDue(T, 10, 10)).toHaveLength(1);
    // 10 s later the group had a row lately: the next one waits group_wait, and one 10 s after that joins it.
    store().enqueue(newRow('b', { createdAt: T + 10_000 }));
    store().enqueue(newRow('b2', { createdAt: T + 20_000 }));
    // Other contacts and other group keys are groups of their own: due at once.
    store().enqueue(newRow('c', { createdAt: T + 10_000, contact: 'lead' }));
    store().enqueue(newRow('d', { createdAt: T + 10_000, groupKey: 'Other' }));
    expect(due().slice(2)).toEqual([
      ['b', 40_000],
      ['b2', 40_000],
      ['c', 10_000],
      ['d', 10_000],
    ]);
    // A message not attempted yet takes rows written after its due time too (a busy worker has not got to it).
    store().enqueue(newRow('b3', { createdAt: T + 45_000 }));
    expect(due().at(-1)).toEqual(['b3', 40_000]);
    // A quiet group_wait later, a row is first of its group again.
    store().claimDue(T + 45_000, 10, 10);
    store().enqueue(newRow('e', { createdAt: T + 75_001 }));
    expect(due().at(-1)).toEqual(['e', 75_001]);
  });

  it('records delivered and failed attempts, with the error and the next try', async () => {
    store().enqueue(newRow('a'));
    store().enqueue(newRow('b', { groupKey: 'Other' }));
    const [[a], [b]] = store().claimDue(T, 10, 10) as [OutboxRow[], OutboxRow[]];
    store().recordAttempt([a?.id as number], { ok: true, channel: 'mail', at: T + 1 });
    store().recordAttempt([b?.id as number], {
      ok: false,
      channel: 'hook',
      at: T + 1,
      error: 'HTTP 500',
      nextAttemptAt: T + 5000,
      channelIndex: 0,
      failingSince: T + 1,
    });
    expect(store().outboxByKey('a')).toMatchObject({
      state: 'delivered',
      deliveredAt: T + 1,
      attempts: 1,
      channel: 'mail',
    });
    expect(store().outboxByKey('b')).toMatchObject({
      state: 'pending',
      attempts: 1,
      lastError: 'HTTP 500',
      nextAttemptAt: T + 5000,
      failingSince: T + 1,
    });
    expect(store().outboxCounts()).toMatchObject({ delivered: 1, pending: 1 });
    expect(store().outboxRows(42)).toEqual([]);
    const before = store().outboxRows();
    await o.reopen();
    expect(store().outboxRows()).toEqual(before);
  });

  it('allows one open incident per alert, and a new one after it resolved', async () => {
    const alert = makeAlert();
    const base = {
      alertId: alert.id,
      alert,
      priority: 'P0' as const,
      status: 'open' as const,
      openedAt: T,
      levels: [],
    };
    const first = store().insertIncident(base);
    expect(() => store().insertIncident(base)).toThrow(/UNIQUE/);
    store().updateIncident({ ...first, status: 'resolved', resolvedAt: T + 1 });
    const second = store().insertIncident(base);
    expect(store().openIncident(alert.id)?.id).toBe(second.id);
    expect(store().lastIncident(alert.id)?.id).toBe(second.id);
    expect(
      store()
        .incidentsSince(T)
        .map((i) => i.status),
    ).toEqual(['resolved', 'open']);
    store().enqueue(newRow('p', { incidentId: second.id }));
    expect(
      store()
        .outboxRows(second.id)
        .map((r) => r.key),
    ).toEqual(['p']);
    expect(store().outboxRows(first.id)).toEqual([]);
    store().addPaged(second.id, 'cto', T + 2);
    store().addAck(second.id, { who: 'cto', at: T + 3, via: 'link' });
    store().addAck(second.id, { who: 'ana', at: T + 4, via: 'page', comment: 'on it' });
    await o.reopen();
    expect(store().acks(second.id)).toEqual([
      { who: 'cto', at: T + 3, via: 'link' },
      { who: 'ana', at: T + 4, via: 'page', comment: 'on it' },
    ]);
    expect(store().acks(first.id)).toEqual([]);
    expect(store().openIncident(alert.id)).toEqual(second);
    expect(store().incident(first.id)).toEqual({ ...first, status: 'resolved', resolvedAt: T + 1 });
    expect(store().paged(second.id)).toEqual(['cto']);
    // Ids go on from the highest one stored.
    const other = store().insertIncident({ ...base, alertId: 'other' });
    expect(other.id).toBeGreaterThan(second.id);
  });
});
