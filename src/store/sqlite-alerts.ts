// The rules' tables on SQLite (migration 1): alert instances and their history, silences, one-shot maintenance
// windows. Every method is a synchronous statement on the shared handle, so the store's unit of work can wrap
// "save rule state + enqueue notifications" in one better-sqlite3 transaction.
import { randomInt } from 'node:crypto';
import { storedJson } from '../matchers.js';
import type {
  HistoryEntry,
  SilenceRecord,
  StoredInstance,
  WindowOutcome,
  WindowRecord,
} from '../rules/alert-records.js';
import type { ExternalAlert } from '../rules/external.js';
import type { Instance, Told } from '../rules/state-machine.js';
import type { Priority } from '../types.js';
import { type Db, fromNull } from './sqlite-db.js';
import type { AlertStore } from './store.js';

interface InstanceRow {
  id: string;
  rule: string;
  labels: string;
  state: Instance['state'];
  since: number;
  priority: Priority | null;
  threshold: number | null;
  value: number | null;
  failures: number;
  pending_since: number | null;
  awaiting_cause: number;
  active_since: number | null;
  clearing_since: number | null;
  fast: string | null;
  successes: number;
  peak: string | null;
  changes: string;
  flapping: number;
  told: string;
  updated_at: number;
}

interface HistoryRow {
  alert_id: string;
  at: number;
  kind: HistoryEntry['kind'];
  what: string;
  priority: Priority | null;
  value: number | null;
  suppressed_by: string;
}

interface SilenceRow {
  id: string;
  matchers: string;
  starts_at: number;
  ends_at: number;
  owner: string;
  reason: string;
  created_at: number;
  expired_at: number | null;
  expired_by: string | null;
}

interface WindowRow {
  id: string;
  probes: string;
  matchers: string | null;
  reason: string;
  owner: string | null;
  priority: Priority;
  opened_at: number;
  ends_at: number;
  settle: number;
  failed: string;
  closed_at: number | null;
  closed_by: string | null;
  outcome: WindowOutcome | null;
  rollback: 0 | 1;
  budget: number | null;
  command_ended_at: number | null;
  output: string | null;
}

/** Prepared statements over the rules' tables. */
export class SqliteAlertStore implements AlertStore {
  readonly #db: Db;
  readonly #s;

  constructor(db: Db) {
    this.#db = db;
    this.#s = {
      generation: db.prepare<[], number>(`SELECT value FROM alert_meta WHERE key = 'generation'`).pluck(),
      installation: db.prepare<[], number>(`SELECT value FROM alert_meta WHERE key = 'installation'`).pluck(),
      addInstallation: db.prepare<[number]>(
        `INSERT INTO alert_meta (key, value) VALUES ('installation', ?) ON CONFLICT (key) DO NOTHING`,
      ),
      setGeneration: db.prepare(`UPDATE alert_meta SET value = ? WHERE key = 'generation'`),
      instances: db.prepare<[], InstanceRow>('SELECT * FROM alert_instances'),
      instance: db.prepare<[string], InstanceRow>('SELECT * FROM alert_instances WHERE id = ?'),
      upsert: db.prepare(`INSERT INTO alert_instances (id, rule, labels, state, since, priority, threshold, value,
          failures, pending_since, awaiting_cause, active_since, clearing_since, successes, fast, peak, changes, flapping, told,
          updated_at)
        VALUES (@id, @rule, @labels, @state, @since, @priority, @threshold, @value, @failures, @pending_since,
          @awaiting_cause, @active_since, @clearing_since, @successes, @fast, @peak, @changes, @flapping, @told, @updated_at)
        ON CONFLICT (id) DO UPDATE SET state = excluded.state, since = excluded.since, priority = excluded.priority,
          threshold = excluded.threshold, value = excluded.value, failures = excluded.failures,
          pending_since = excluded.pending_since, awaiting_cause = excluded.awaiting_cause,
          active_since = excluded.active_since,
          clearing_since = excluded.clearing_since, successes = excluded.successes, fast = excluded.fast, peak = excluded.peak, changes = excluded.changes, flapping = excluded.flapping,
          told = excluded.told, updated_at = excluded.updated_at`),
      pruneHistory: db.prepare('DELETE FROM alert_history WHERE at < ?'),
      pruneInstances: db.prepare(`DELETE FROM alert_instances WHERE state IN ('inactive', 'resolved') AND since < ?
        AND flapping = 0 AND json_extract(told, '$.firing') = 0 AND json_extract(told, '$.flapping') = 0`),
      pruneSilences: db.prepare('DELETE FROM silences WHERE ends_at < ?'),
      pruneWindows: db.prepare('DELETE FROM maintenance_windows WHERE closed_at < ?'),
      history: db.prepare<[string, number], HistoryRow>(
        'SELECT * FROM alert_history WHERE alert_id = ? ORDER BY at DESC, id DESC LIMIT ?',
      ),
      addHistory: db.prepare(`INSERT INTO alert_history (alert_id, at, kind, what, priority, value, suppressed_by)
        VALUES (@alert_id, @at, @kind, @what, @priority, @value, @suppressed_by)`),
      silences: db.prepare<[], SilenceRow>('SELECT * FROM silences ORDER BY starts_at DESC, id'),
      liveSilences: db.prepare<[number], SilenceRow>('SELECT * FROM silences WHERE ends_at > ? ORDER BY id'),
      silence: db.prepare<[string], SilenceRow>('SELECT * FROM silences WHERE id = ?'),
      addSilence: db.prepare(`INSERT INTO silences (id, matchers, starts_at, ends_at, owner, reason, created_at)
        VALUES (@id, @matchers, @starts_at, @ends_at, @owner, @reason, @created_at)`),
      expireSilence: db.prepare('UPDATE silences SET ends_at = @at, expired_at = @at, expired_by = @by WHERE id = @id'),
      windows: db.prepare<[], WindowRow>('SELECT * FROM maintenance_windows ORDER BY opened_at DESC, id'),
      openWindows: db.prepare<[], WindowRow>('SELECT * FROM maintenance_windows WHERE closed_at IS NULL ORDER BY id'),
      window: db.prepare<[string], WindowRow>('SELECT * FROM maintenance_windows WHERE id = ?'),
      addWindow: db.prepare(`INSERT INTO maintenance_windows (id, probes, matchers, reason, owner, priority, opened_at,
          ends_at, settle, failed, closed_at, closed_by, outcome, rollback, budget, command_ended_at, output)
        VALUES (@id, @probes, @matchers, @reason, @owner, @priority, @opened_at, @ends_at, @settle, @failed,
          @closed_at, @closed_by, @outcome, @rollback, @budget, @command_ended_at, @output)`),
      // Only an open window changes: a window closed meanwhile (API) is never reopened by a late update.
      updateWindow: db.prepare(`UPDATE maintenance_windows SET failed = @failed, closed_at = @closed_at,
          closed_by = @closed_by, outcome = @outcome WHERE id = @id AND closed_at IS NULL`),
      // The command's output is kept on a closed window too (it may end after health is back); its end only once.
      windowOutput: db.prepare(`UPDATE maintenance_windows SET output = @output,
          command_ended_at = COALESCE(command_ended_at, @command_ended_at) WHERE id = @id`),
      external: db.prepare<[], { alert: string }>('SELECT alert FROM external_alerts'),
      putExternal: db.prepare(`INSERT INTO external_alerts (id, source, ends_at, alert)
        VALUES (@id, @source, @ends_at, @alert) ON CONFLICT (id) DO UPDATE SET source = excluded.source, ends_at = excluded.ends_at, alert = excluded.alert`),
      dropExternal: db.prepare('DELETE FROM external_alerts WHERE id = ?'),
    };
  }

  /** The generation of the last committed rules state. */
  generation(): number {
    return this.#s.generation.get() ?? 0;
  }

  /** A number drawn at random once per state store and kept in it (below 2^47, so exact as a double). */
  installation(): number {
    const kept = this.#s.installation.get();
    if (kept !== undefined) return kept;
    this.#s.addInstallation.run(randomInt(2 ** 47));
    return this.#s.installation.get() as number;
  }

  /** Every stored instance (at start, and when the evaluator finds its cache behind). */
  loadInstances(): StoredInstance[] {
    return this.#s.instances.all().map(fromInstanceRow);
  }

  /** One stored instance. */
  getInstance(id: string): StoredInstance | undefined {
    const row = this.#s.instance.get(id);
    return row && fromInstanceRow(row);
  }

  /**
   * Writes changed instances and their history and moves the generation to `generation`. Runs in a transaction
   * (nested inside the caller's when there is one, as a savepoint).
   */
  save(instances: readonly StoredInstance[], history: readonly HistoryEntry[], generation: number, now: number): void {
    this.#db.transaction(() => {
      for (const i of instances) this.#s.upsert.run(toInstanceRow(i, now));
      for (const h of history) this.#s.addHistory.run(toHistoryRow(h));
      this.#s.setGeneration.run(generation);
    })();
  }

  /**
   * Forgets history older than `before`, instances at rest since before then with nothing open (not firing,
   * not flapping, nothing told), and silences and one-shot windows that ended before then: series that come and go
   * (containers, routes) and the silences of years would otherwise pile up.
   */
  prune(before: number): void {
    this.#s.pruneHistory.run(before);
    this.#s.pruneInstances.run(before);
    this.#s.pruneSilences.run(before);
    this.#s.pruneWindows.run(before);
  }

  /** The latest `limit` history entries of an alert, newest first. */
  history(alertId: string, limit = 200): HistoryEntry[] {
    return this.#s.history.all(alertId, limit).map((r) => ({
      alertId: r.alert_id,
      at: r.at,
      kind: r.kind,
      what: r.what,
      priority: fromNull(r.priority),
      value: fromNull(r.value),
      suppressedBy: JSON.parse(r.suppressed_by),
    }));
  }

  /** Every silence, newest first. */
  listSilences(): SilenceRecord[] {
    return this.#s.silences.all().map(fromSilenceRow);
  }

  /** Silences not yet ended at `now` (active or starting later). */
  liveSilences(now: number): SilenceRecord[] {
    return this.#s.liveSilences.all(now).map(fromSilenceRow);
  }

  getSilence(id: string): SilenceRecord | undefined {
    const row = this.#s.silence.get(id);
    return row && fromSilenceRow(row);
  }

  addSilence(s: Omit<SilenceRecord, 'expiredAt' | 'expiredBy'>): void {
    this.#s.addSilence.run({
      id: s.id,
      matchers: JSON.stringify(s.matchers),
      starts_at: s.startsAt,
      ends_at: s.endsAt,
      owner: s.owner,
      reason: s.reason,
      created_at: s.createdAt,
    });
  }

  /** Ends a silence at `at`; the row stays. */
  expireSilence(id: string, at: number, by: string): void {
    this.#s.expireSilence.run({ id, at, by });
  }

  /** Every one-shot window, newest first. */
  listWindows(): WindowRecord[] {
    return this.#s.windows.all().map(fromWindowRow);
  }

  /** One-shot windows not yet closed. */
  openWindows(): WindowRecord[] {
    return this.#s.openWindows.all().map(fromWindowRow);
  }

  getWindow(id: string): WindowRecord | undefined {
    const row = this.#s.window.get(id);
    return row && fromWindowRow(row);
  }

  addWindow(w: WindowRecord): void {
    this.#s.addWindow.run(toWindowRow(w));
  }

  /** Saves what changes on an open window: failed probes, closing. */
  updateWindow(w: WindowRecord): void {
    const { id, failed, closed_at, closed_by, outcome } = toWindowRow(w);
    this.#s.updateWindow.run({ id, failed, closed_at, closed_by, outcome });
  }

  /** Keeps the deploy command's last output lines on a window and, once, when the command ended. */
  recordWindowOutput(id: string, output: string, endedAt: number | undefined): void {
    this.#s.windowOutput.run({ id, output, command_ended_at: endedAt ?? null });
  }

  /** The alerts received from sources whose instances are open. */
  loadExternal(): ExternalAlert[] {
    return this.#s.external.all().map((r) => JSON.parse(r.alert) as ExternalAlert);
  }

  /** Writes received alerts (a resend replaces the record) and forgets those whose instances closed, in one transaction. */
  saveExternal(alerts: readonly ExternalAlert[], closed: readonly string[]): void {
    this.#db.transaction(() => {
      for (const a of alerts) {
        this.#s.putExternal.run({ id: a.id, source: a.source, ends_at: a.endsAt, alert: JSON.stringify(a) });
      }
      for (const id of closed) this.#s.dropExternal.run(id);
    })();
  }
}

function fromInstanceRow(r: InstanceRow): StoredInstance {
  return {
    id: r.id,
    rule: r.rule,
    labels: JSON.parse(r.labels),
    inst: {
      state: r.state,
      since: r.since,
      priority: fromNull(r.priority),
      threshold: fromNull(r.threshold),
      value: fromNull(r.value),
      failures: r.failures,
      pendingSince: fromNull(r.pending_since),
      awaitingCause: r.awaiting_cause === 1,
      activeSince: fromNull(r.active_since),
      clearingSince: fromNull(r.clearing_since),
      fast: r.fast === null ? undefined : JSON.parse(r.fast),
      successes: r.successes,
      peak: r.peak === null ? undefined : JSON.parse(r.peak),
      changes: JSON.parse(r.changes),
      flapping: r.flapping === 1,
      told: JSON.parse(r.told) as Told,
    },
  };
}

function toInstanceRow({ id, rule, labels, inst: i }: StoredInstance, now: number): InstanceRow {
  return {
    id,
    rule,
    labels: JSON.stringify(labels),
    state: i.state,
    since: i.since,
    priority: i.priority ?? null,
    threshold: i.threshold ?? null,
    value: i.value ?? null,
    failures: i.failures,
    pending_since: i.pendingSince ?? null,
    awaiting_cause: i.awaitingCause ? 1 : 0,
    active_since: i.activeSince ?? null,
    clearing_since: i.clearingSince ?? null,
    fast: i.fast === undefined ? null : JSON.stringify(i.fast),
    successes: i.successes,
    peak: i.peak === undefined ? null : JSON.stringify(i.peak),
    changes: JSON.stringify(i.changes),
    flapping: i.flapping ? 1 : 0,
    told: JSON.stringify(i.told),
    updated_at: now,
  };
}

function toHistoryRow(h: HistoryEntry): HistoryRow {
  return {
    alert_id: h.alertId,
    at: h.at,
    kind: h.kind,
    what: h.what,
    priority: h.priority ?? null,
    value: h.value ?? null,
    suppressed_by: JSON.stringify(h.suppressedBy),
  };
}

function fromSilenceRow(r: SilenceRow): SilenceRecord {
  return {
    id: r.id,
    matchers: storedJson(r.matchers),
    startsAt: r.starts_at,
    endsAt: r.ends_at,
    owner: r.owner,
    reason: r.reason,
    createdAt: r.created_at,
    expiredAt: fromNull(r.expired_at),
    expiredBy: fromNull(r.expired_by),
  };
}

function fromWindowRow(r: WindowRow): WindowRecord {
  return {
    id: r.id,
    probes: JSON.parse(r.probes),
    matchers: r.matchers === null ? undefined : storedJson(r.matchers),
    reason: r.reason,
    owner: fromNull(r.owner),
    priority: r.priority,
    openedAt: r.opened_at,
    endsAt: r.ends_at,
    settle: r.settle,
    failed: JSON.parse(r.failed),
    closedAt: fromNull(r.closed_at),
    closedBy: fromNull(r.closed_by),
    outcome: fromNull(r.outcome),
    rollback: r.rollback === 1,
    budget: fromNull(r.budget),
    commandEndedAt: fromNull(r.command_ended_at),
    output: fromNull(r.output),
  };
}

function toWindowRow(w: WindowRecord): WindowRow {
  return {
    id: w.id,
    probes: JSON.stringify(w.probes),
    matchers: w.matchers === undefined ? null : JSON.stringify(w.matchers),
    reason: w.reason,
    owner: w.owner ?? null,
    priority: w.priority,
    opened_at: w.openedAt,
    ends_at: w.endsAt,
    settle: w.settle,
    failed: JSON.stringify(w.failed),
    closed_at: w.closedAt ?? null,
    closed_by: w.closedBy ?? null,
    outcome: w.outcome ?? null,
    rollback: w.rollback ? 1 : 0,
    budget: w.budget ?? null,
    command_ended_at: w.commandEndedAt ?? null,
    output: w.output ?? null,
  };
}
