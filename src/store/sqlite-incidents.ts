// Escalation's tables on SQLite (migrations 2 and 3): incidents with their due-times, who was paged, acks, the outbox.
//
// Every method is synchronous, so the store's unit of work can put several into one better-sqlite3 transaction (the
// engine wraps the rules' write and the escalator's in one). The outbox key is UNIQUE and rows are only ever
// inserted with INSERT OR IGNORE, so writing the same notification twice (a replayed event, a restart) keeps one row.
import type { IncidentRecord, IncidentStatus, LevelState } from '../escalation/incident-records.js';
import { type ItemKind, type NotificationItem, PAGE_KINDS } from '../notifiers/notifier.js';
import type { AckInfo, Alert, Priority } from '../types.js';
import { type Db, fromNull } from './sqlite-db.js';
import type { AttemptRecord, ChannelTry, IncidentStore, NewOutboxRow, OutboxRow, OutboxState } from './store.js';

interface IncidentSqlRow {
  id: number;
  alert_id: string;
  alert: string;
  priority: Priority;
  status: IncidentStatus;
  opened_at: number;
  first_paged_at: number | null;
  sla_priority: Priority | null;
  top_priority: Priority | null;
  levels: string;
  ack_by: string | null;
  ack_at: number | null;
  ack_comment: string | null;
  ack_via: string | null;
  first_ack_by: string | null;
  first_ack_at: number | null;
  resolved_at: number | null;
  due_at: number | null;
}

interface OutboxSqlRow {
  id: number;
  key: string;
  incident_id: number | null;
  kind: ItemKind;
  contact: string;
  channel_index: number;
  channel: string | null;
  group_key: string;
  item: string;
  state: OutboxState;
  created_at: number;
  next_attempt_at: number;
  attempts: number;
  failing_since: number | null;
  last_error: string | null;
  failing_raised: number;
  delivered_at: number | null;
  tried: string;
}

/** An incident that paged someone, or still pages (open or acknowledged); held back the whole time, it paged nobody. */
const PAGED = `(first_paged_at IS NOT NULL OR status IN ('open', 'acked'))`;

function toIncident(r: IncidentSqlRow): IncidentRecord {
  const ack =
    r.ack_by !== null && r.ack_at !== null
      ? { who: r.ack_by, at: r.ack_at, comment: fromNull(r.ack_comment) }
      : undefined;
  const firstAck =
    r.first_ack_by !== null && r.first_ack_at !== null ? { who: r.first_ack_by, at: r.first_ack_at } : undefined;
  return {
    id: r.id,
    alertId: r.alert_id,
    alert: JSON.parse(r.alert) as Alert,
    priority: r.priority,
    status: r.status,
    openedAt: r.opened_at,
    firstPagedAt: fromNull(r.first_paged_at),
    slaPriority: fromNull(r.sla_priority),
    topPriority: fromNull(r.top_priority),
    levels: JSON.parse(r.levels) as LevelState[],
    ack,
    firstAck,
    resolvedAt: fromNull(r.resolved_at),
    dueAt: fromNull(r.due_at),
  };
}

function incidentParams(rec: Omit<IncidentRecord, 'id'>) {
  return {
    alert_id: rec.alertId,
    alert: JSON.stringify(rec.alert),
    priority: rec.priority,
    status: rec.status,
    opened_at: rec.openedAt,
    first_paged_at: rec.firstPagedAt ?? null,
    sla_priority: rec.slaPriority ?? null,
    top_priority: rec.topPriority ?? null,
    levels: JSON.stringify(rec.levels),
    ack_by: rec.ack?.who ?? null,
    ack_at: rec.ack?.at ?? null,
    ack_comment: rec.ack?.comment ?? null,
    ack_via: rec.ack?.via ?? null,
    first_ack_by: rec.firstAck?.who ?? null,
    first_ack_at: rec.firstAck?.at ?? null,
    resolved_at: rec.resolvedAt ?? null,
    due_at: rec.dueAt ?? null,
  };
}

function toOutbox(r: OutboxSqlRow): OutboxRow {
  return {
    id: r.id,
    key: r.key,
    incidentId: r.incident_id,
    kind: r.kind,
    contact: r.contact,
    channelIndex: r.channel_index,
    channel: r.channel,
    groupKey: r.group_key,
    item: JSON.parse(r.item) as NotificationItem,
    state: r.state,
    createdAt: r.created_at,
    nextAttemptAt: r.next_attempt_at,
    attempts: r.attempts,
    failingSince: r.failing_since,
    lastError: r.last_error,
    failingRaised: r.failing_raised === 1,
    deliveredAt: r.delivered_at,
    tried: JSON.parse(r.tried) as ChannelTry[],
  };
}

/** An outbox group: the rows of one contact's channel with one group key, sent as one message. */
interface DueGroup {
  contact: string;
  channel_index: number;
  group_key: string;
}

const INCIDENT_COLUMNS =
  'alert_id, alert, priority, status, opened_at, first_paged_at, sla_priority, top_priority, levels, ack_by, ack_at, ack_comment, ack_via, first_ack_by, first_ack_at, resolved_at, due_at';

/** Escalation's tables, behind prepared statements. Opened on a Db that has run migrations 2 and 3. */
export class SqliteIncidentStore implements IncidentStore {
  readonly #db: Db;
  readonly #s;

  constructor(db: Db) {
    this.#db = db;
    const p = (sql: string) => db.prepare(sql);
    const named = INCIDENT_COLUMNS.split(', ')
      .map((c) => `@${c}`)
      .join(', ');
    this.#s = {
      openIncident: p(`SELECT * FROM esc_incidents WHERE alert_id = ? AND status <> 'resolved'`),
      // One query for a unit of work's pages and notices; each id is a lookup of the esc_inhibited_by index.
      heldBy: p(
        `SELECT h.by_alert AS held_by, i.* FROM esc_inhibited h JOIN esc_incidents i ON i.id = h.incident_id
         WHERE h.by_alert IN (SELECT value FROM json_each(?)) AND i.status = 'held' ORDER BY h.incident_id`,
      ),
      clearInhibited: p('DELETE FROM esc_inhibited WHERE incident_id = ?'),
      addInhibited: p('INSERT OR IGNORE INTO esc_inhibited (incident_id, by_alert) VALUES (?, ?)'),
      lastIncident: p(`SELECT * FROM esc_incidents WHERE alert_id = ? ORDER BY id DESC LIMIT 1`),
      incident: p('SELECT * FROM esc_incidents WHERE id = ?'),
      insertIncident: p(`INSERT INTO esc_incidents (${INCIDENT_COLUMNS}) VALUES (${named})`),
      updateIncident: p(
        `UPDATE esc_incidents SET ${INCIDENT_COLUMNS.split(', ')
          .map((c) => `${c} = @${c}`)
          .join(', ')} WHERE id = @id`,
      ),
      dueIncidents: p(`SELECT * FROM esc_incidents WHERE due_at IS NOT NULL AND due_at <= ? ORDER BY due_at, id`),
      nextDue: p('SELECT MIN(due_at) AS due FROM esc_incidents WHERE due_at IS NOT NULL'),
      incidentsSince: p('SELECT * FROM esc_incidents WHERE opened_at >= ? ORDER BY id'),
      pagedSince: p(`SELECT * FROM esc_incidents WHERE opened_at >= ? AND ${PAGED} ORDER BY id DESC LIMIT ?`),
      countPagedSince: p(`SELECT COUNT(*) AS n FROM esc_incidents WHERE opened_at >= ? AND ${PAGED}`),
      addPaged: p('INSERT OR IGNORE INTO esc_paged (incident_id, contact, at) VALUES (?, ?, ?)'),
      paged: p('SELECT contact FROM esc_paged WHERE incident_id = ? ORDER BY at, contact'),
      addAck: p('INSERT INTO esc_acks (incident_id, who, via, comment, at) VALUES (?, ?, ?, ?, ?)'),
      acks: p('SELECT who, via, comment, at FROM esc_acks WHERE incident_id = ? ORDER BY at, id'),
      // When a row is due, per group (contact, group key, channel): it joins the group's message that has not been
      // attempted yet (rows written together go together); else, when the group had a row written within
      // group_wait, it waits group_wait (and rows written meanwhile join it); else it is due at once. So a lone page
      // goes out without waiting, a storm written in one go is one message, and a trickle one per group_wait.
      enqueue: p(
        `INSERT OR IGNORE INTO outbox (key, incident_id, kind, contact, channel_index, group_key, item, state, created_at, next_attempt_at)
         VALUES (@key, @incidentId, @kind, @contact, @channelIndex, @groupKey, @item, 'pending', @createdAt,
           COALESCE(
             -- The earliest, read in the group index's order up to the first row not attempted yet: MIN() read them all.
             (SELECT next_attempt_at FROM outbox WHERE state = 'pending' AND attempts = 0 AND contact = @contact
               AND group_key = @groupKey AND channel_index = @channelIndex ORDER BY next_attempt_at LIMIT 1),
             CASE WHEN EXISTS (SELECT 1 FROM outbox WHERE contact = @contact AND group_key = @groupKey
               AND channel_index = @channelIndex AND created_at > @createdAt - @groupWait)
             THEN @createdAt + @groupWait ELSE @createdAt END))`,
      ),
      supersede: p(
        `UPDATE outbox SET state = 'superseded' WHERE incident_id = ? AND state IN ('pending', 'sending') AND kind IN (SELECT value FROM json_each(?))`,
      ),
      resetSending: p(`UPDATE outbox SET state = 'pending' WHERE state = 'sending'`),
      // The due rows' groups, earliest first (read until enough groups are found): a group's first row here is its
      // earliest, so groups come in the order of their earliest due row. Grouping every pending row instead cost a scan
      // of them all per claim, and a storm's rows pile up while lanes claim one message each.
      dueRows: p(
        `SELECT contact, channel_index, group_key FROM outbox
         WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id`,
      ),
      dueInGroup: p(
        `SELECT * FROM outbox WHERE state = 'pending' AND contact = ? AND group_key = ? AND channel_index = ?
         AND next_attempt_at <= ? ORDER BY id LIMIT ?`,
      ),
      claim: p(`UPDATE outbox SET state = 'sending' WHERE id = ? AND state = 'pending'`),
      release: p(`UPDATE outbox SET state = 'pending' WHERE id = ? AND state = 'sending'`),
      delivered: p(
        `UPDATE outbox SET state = 'delivered', delivered_at = @at, channel = @channel, attempts = attempts + 1, last_error = NULL WHERE id = @id`,
      ),
      failed: p(
        // A row superseded while its attempt was in flight stays superseded: it is not retried nor moved on.
        // Leaving a channel for the next notes it in `tried`: its attempts are those not counted on earlier channels.
        `UPDATE outbox SET state = CASE state WHEN 'superseded' THEN state ELSE @state END, channel = @channel,
           attempts = attempts + 1, last_error = @error,
           tried = CASE WHEN @channelIndex = channel_index THEN tried ELSE json_insert(tried, '$[#]', json_object(
             'channel', coalesce(@channel, ''),
             'attempts', attempts + 1 - (SELECT coalesce(sum(json_extract(value, '$.attempts')), 0) FROM json_each(outbox.tried)),
             'since', coalesce(failing_since, @at), 'until', @at, 'error', @error)) END,
           next_attempt_at = @next, channel_index = @channelIndex, failing_since = @failingSince WHERE id = @id`,
      ),
      raised: p('UPDATE outbox SET failing_raised = 1 WHERE id = ?'),
      nextAttempt: p(`SELECT MIN(next_attempt_at) AS due FROM outbox WHERE state = 'pending'`),
      byKey: p('SELECT * FROM outbox WHERE key = ?'),
      rows: p('SELECT * FROM outbox ORDER BY id'),
      incidentRows: p('SELECT * FROM outbox WHERE incident_id = ? ORDER BY id'),
      deliveredChannels: p(
        `SELECT DISTINCT contact, channel FROM outbox WHERE incident_id = ? AND state = 'delivered' ORDER BY contact, channel`,
      ),
      counts: p('SELECT state, COUNT(*) AS n FROM outbox GROUP BY state'),
      // Pages are the kinds that ask for an acknowledgement (PAGE_KINDS); notices to those paged do not count.
      undelivered: p(
        `SELECT i.priority AS priority, COUNT(*) AS n FROM esc_incidents i
         WHERE i.status IN ('open', 'acked')
           AND EXISTS (SELECT 1 FROM outbox o WHERE o.incident_id = i.id AND o.kind IN (SELECT value FROM json_each(@pages)))
           AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.incident_id = i.id AND o.state = 'delivered'
             AND o.kind IN (SELECT value FROM json_each(@pages)))
         GROUP BY i.priority`,
      ),
    };
  }

  /** The incident of `alertId` that has not resolved yet. */
  openIncident(alertId: string): IncidentRecord | undefined {
    const r = this.#s.openIncident.get(alertId) as IncidentSqlRow | undefined;
    return r && toIncident(r);
  }

  /** The held incidents an inhibition by each of `alertIds` holds back, oldest first, by that alert's id. */
  heldBy(alertIds: readonly string[]): Map<string, IncidentRecord[]> {
    const by = new Map<string, IncidentRecord[]>();
    if (alertIds.length === 0) return by;
    for (const r of this.#s.heldBy.all(JSON.stringify(alertIds)) as (IncidentSqlRow & { held_by: string })[]) {
      const list = by.get(r.held_by);
      if (list) list.push(toIncident(r));
      else by.set(r.held_by, [toIncident(r)]);
    }
    return by;
  }

  /** The latest incident of `alertId`, resolved or not. */
  lastIncident(alertId: string): IncidentRecord | undefined {
    const r = this.#s.lastIncident.get(alertId) as IncidentSqlRow | undefined;
    return r && toIncident(r);
  }

  incident(id: number): IncidentRecord | undefined {
    const r = this.#s.incident.get(id) as IncidentSqlRow | undefined;
    return r && toIncident(r);
  }

  /** Inserts a new incident and returns it with its id. */
  insertIncident(rec: Omit<IncidentRecord, 'id'>): IncidentRecord {
    return this.#atomic(() => {
      const id = Number(this.#s.insertIncident.run(incidentParams(rec)).lastInsertRowid);
      this.#noteInhibitors(id, rec);
      return { ...rec, id };
    });
  }

  updateIncident(rec: IncidentRecord): void {
    this.#atomic(() => {
      this.#s.updateIncident.run({ ...incidentParams(rec), id: rec.id });
      this.#s.clearInhibited.run(rec.id);
      this.#noteInhibitors(rec.id, rec);
    });
  }

  /** Runs `fn` in a transaction of its own, unless one is open already (the escalator's unit of work: no savepoint). */
  #atomic<T>(fn: () => T): T {
    return this.#db.inTransaction ? fn() : this.#db.transaction(fn)();
  }

  /** Keeps esc_inhibited (what heldBy reads) the inhibiting alerts of a held incident, and nothing for another. */
  #noteInhibitors(id: number, rec: Omit<IncidentRecord, 'id'>): void {
    if (rec.status !== 'held') return;
    for (const s of rec.alert.suppressedBy) if (s.kind === 'inhibited') this.#s.addInhibited.run(id, s.id);
  }

  /** Incidents whose due-time (reminder, climb, ack timeout) has come. */
  dueIncidents(now: number): IncidentRecord[] {
    return (this.#s.dueIncidents.all(now) as IncidentSqlRow[]).map(toIncident);
  }

  /** The earliest incident due-time, if any. */
  nextDueAt(): number | undefined {
    return fromNull((this.#s.nextDue.get() as { due: number | null }).due);
  }

  /** Incidents opened at or after `since`, for response-SLA accounting. */
  incidentsSince(since: number): IncidentRecord[] {
    return (this.#s.incidentsSince.all(since) as IncidentSqlRow[]).map(toIncident);
  }

  /** The newest `limit` incidents since `since` that paged someone or still page, newest first, and how many in all. */
  pagedIncidentsSince(since: number, limit: number): { incidents: IncidentRecord[]; total: number } {
    const rows = this.#s.pagedSince.all(since, limit) as IncidentSqlRow[];
    const total = rows.length < limit ? rows.length : (this.#s.countPagedSince.get(since) as { n: number }).n;
    return { incidents: rows.map(toIncident), total };
  }

  addPaged(incidentId: number, contact: string, at: number): void {
    this.#s.addPaged.run(incidentId, contact, at);
  }

  /** Contacts paged for an incident, in the order they were first paged. */
  paged(incidentId: number): string[] {
    return (this.#s.paged.all(incidentId) as { contact: string }[]).map((r) => r.contact);
  }

  addAck(incidentId: number, ack: AckInfo): void {
    this.#s.addAck.run(incidentId, ack.who, ack.via ?? 'api', ack.comment ?? null, ack.at);
  }

  /** Every acknowledgement of an incident, oldest first. */
  acks(incidentId: number): AckInfo[] {
    const rows = this.#s.acks.all(incidentId) as { who: string; via: string; comment: string | null; at: number }[];
    return rows.map((r) => ({
      who: r.who,
      at: r.at,
      via: r.via,
      ...(r.comment !== null ? { comment: r.comment } : {}),
    }));
  }

  /** Writes an outbox row unless its key exists; true when written. */
  enqueue(row: NewOutboxRow): boolean {
    return (
      this.#s.enqueue.run({ ...row, channelIndex: row.channelIndex ?? 0, item: JSON.stringify(row.item) }).changes === 1
    );
  }

  /** Drops the not-yet-sent rows of these kinds for an incident (reminders made moot by an ack). */
  supersede(incidentId: number, kinds: ItemKind[]): number {
    return this.#s.supersede.run(incidentId, JSON.stringify(kinds)).changes;
  }

  /** Puts rows a stopped worker had claimed back to pending; returns how many. */
  resetSending(): number {
    return this.#s.resetSending.run().changes;
  }

  /** Puts these claimed rows back to pending (their claim could not be saved, so they were not sent). */
  release(ids: number[]): void {
    this.#db.transaction(() => {
      for (const id of ids) this.#s.release.run(id);
    })();
  }

  /**
   * Claims the due rows of up to `maxGroups` groups (contact, channel, group key), oldest first, at most
   * `maxPerGroup` rows each (pending → sending), in one transaction. Each returned array is one message's rows.
   */
  claimDue(now: number, maxGroups: number, maxPerGroup: number): OutboxRow[][] {
    return this.#db.transaction(() => {
      const groups = new Map<string, DueGroup>();
      if (maxGroups > 0) {
        for (const g of this.#s.dueRows.iterate(now) as IterableIterator<DueGroup>) {
          const key = `${g.contact}\u0000${g.channel_index}\u0000${g.group_key}`;
          if (groups.has(key)) continue;
          groups.set(key, g);
          if (groups.size === maxGroups) break;
        }
      }
      return [...groups.values()].map((g) => {
        const rows = this.#s.dueInGroup.all(
          g.contact,
          g.group_key,
          g.channel_index,
          now,
          maxPerGroup,
        ) as OutboxSqlRow[];
        for (const r of rows) this.#s.claim.run(r.id);
        return rows.map((r) => ({ ...toOutbox(r), state: 'sending' as const }));
      });
    })();
  }

  /** Records one attempt for a batch of rows sent as one message. */
  recordAttempt(ids: number[], a: AttemptRecord): void {
    this.#db.transaction(() => {
      for (const id of ids) {
        if (a.ok) {
          this.#s.delivered.run({ id, at: a.at, channel: a.channel });
        } else {
          this.#s.failed.run({
            id,
            state: a.nextAttemptAt === undefined ? 'failed' : 'pending',
            channel: a.channel,
            error: a.error,
            at: a.at,
            next: a.nextAttemptAt ?? a.at,
            channelIndex: a.channelIndex,
            failingSince: a.failingSince,
          });
        }
      }
    })();
  }

  /** Marks that the rows' DeliveryFailing alert was raised, so it is raised once. */
  markFailingRaised(ids: number[]): void {
    this.#db.transaction(() => {
      for (const id of ids) this.#s.raised.run(id);
    })();
  }

  /** The earliest next attempt among pending rows. */
  nextAttemptAt(): number | undefined {
    return fromNull((this.#s.nextAttempt.get() as { due: number | null }).due);
  }

  outboxByKey(key: string): OutboxRow | undefined {
    const r = this.#s.byKey.get(key) as OutboxSqlRow | undefined;
    return r && toOutbox(r);
  }

  /** The outbox rows of one incident (an alert's pages in the API), or every row; oldest first. */
  outboxRows(incidentId?: number): OutboxRow[] {
    const rows = incidentId === undefined ? this.#s.rows.all() : this.#s.incidentRows.all(incidentId);
    return (rows as OutboxSqlRow[]).map(toOutbox);
  }

  /** The (contact, channel) pairs over which something of an incident was delivered. */
  deliveredChannels(incidentId: number): { contact: string; channel: string }[] {
    return this.#s.deliveredChannels.all(incidentId) as { contact: string; channel: string }[];
  }

  undeliveredIncidents(): Partial<Record<Priority, number>> {
    const rows = this.#s.undelivered.all({ pages: JSON.stringify(PAGE_KINDS) }) as { priority: Priority; n: number }[];
    return Object.fromEntries(rows.map((r) => [r.priority, r.n]));
  }

  /** Row counts per state, for metrics. */
  outboxCounts(): Record<OutboxState, number> {
    const out: Record<OutboxState, number> = { pending: 0, sending: 0, delivered: 0, failed: 0, superseded: 0 };
    for (const r of this.#s.counts.all() as { state: OutboxState; n: number }[]) out[r.state] = r.n;
    return out;
  }
}
