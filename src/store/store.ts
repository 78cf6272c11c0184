// The store seam: what the engine keeps, behind one interface with a unit of work. SQLite (src/store/sqlite.ts) is
// the implementation for one replica; a second implementation plugs in here without touching rules or escalation,
// and the engine's loop keeps its steps (only where a unit is awaited changes).
//
// Every method is synchronous, and `unitOfWork(fn)` runs `fn` as one transaction (nested: a savepoint), so the
// engine saves rule state and the notifications it causes together or not at all. How a store that can only answer
// asynchronously (PostgreSQL) keeps that shape is written down in docs/architecture.md ("The store seam").
import type { IncidentRecord } from '../escalation/incident-records.js';
import type { ItemKind, NotificationItem } from '../notifiers/notifier.js';
import type { HistoryEntry, SilenceRecord, StoredInstance, WindowRecord } from '../rules/alert-records.js';
import type { ExternalAlert } from '../rules/external.js';
import type { AckInfo, HeartbeatRecord, Priority } from '../types.js';

/** The whole state of a daemon: the rules' tables, escalation's and the outbox, and the transaction over them. */
export interface Store {
  readonly alerts: AlertStore;
  readonly incidents: IncidentStore;
  readonly heartbeats: HeartbeatStore;
  readonly history: HistoryStore;
  /** Runs `fn` in one transaction (a savepoint when one is open) and returns what it returns; a throw rolls back. */
  unitOfWork<T>(fn: () => T): T;
  /** Resolves once every write made before the call is durable (SQLite: at once; PostgreSQL: committed there). */
  flush(): Promise<void>;
  /**
   * Resolves once an outbox claim made before the call may be sent: when flush() does, or (PostgreSQL) when the
   * database has been unreachable for longer than state.unreachable_hold (fail open). Rejects otherwise. Resolves with
   * a signal the send must stop at (PostgreSQL: the lead it was confirmed under is in doubt), or undefined.
   */
  deliverable(): Promise<AbortSignal | undefined>;
  /** False once closed. */
  readonly open: boolean;
  /** Closes the store; the PostgreSQL store first flushes what is left, and resolves when its pool is closed. */
  close(): void | Promise<void>;
}

/** The rules' records: alert instances and their history, silences, one-shot windows. */
export interface AlertStore {
  /** The generation of the last committed rules state. */
  generation(): number;
  /**
   * A number drawn at random once per state store and kept in it: message ids hash it with the outbox rows' keys, so
   * a new state file (whose incident ids start at 1 again) or another installation never repeats an earlier one's.
   */
  installation(): number;
  /** Every stored instance (at start, and when the evaluator finds its cache behind). */
  loadInstances(): StoredInstance[];
  getInstance(id: string): StoredInstance | undefined;
  /** Writes changed instances and their history and moves the generation to `generation`, atomically. */
  save(instances: readonly StoredInstance[], history: readonly HistoryEntry[], generation: number, now: number): void;
  /**
   * Forgets history older than `before`, instances at rest since before then with nothing open, and silences and
   * one-shot windows that ended before then.
   */
  prune(before: number): void;
  /** The latest `limit` history entries of an alert, newest first. */
  history(alertId: string, limit?: number): HistoryEntry[];
  /** Every silence, newest first. */
  listSilences(): SilenceRecord[];
  /** Silences not yet ended at `now` (active or starting later). */
  liveSilences(now: number): SilenceRecord[];
  getSilence(id: string): SilenceRecord | undefined;
  addSilence(s: Omit<SilenceRecord, 'expiredAt' | 'expiredBy'>): void;
  /** Ends a silence at `at`; the record stays. */
  expireSilence(id: string, at: number, by: string): void;
  /** Every one-shot window, newest first. */
  listWindows(): WindowRecord[];
  /** One-shot windows not yet closed. */
  openWindows(): WindowRecord[];
  getWindow(id: string): WindowRecord | undefined;
  addWindow(w: WindowRecord): void;
  /** Saves what changes on an open window (failed probes, closing); a closed window is never reopened. */
  updateWindow(w: WindowRecord): void;
  /** Keeps the deploy command's last output lines on a window and, once, when the command ended. */
  recordWindowOutput(id: string, output: string, endedAt: number | undefined): void;
  /** The alerts received from sources whose instances are open. */
  loadExternal(): ExternalAlert[];
  /** Writes received alerts (a resend replaces the record) and forgets those whose instances closed. */
  saveExternal(alerts: readonly ExternalAlert[], closed: readonly string[]): void;
}

/** The pings pushed to heartbeat probes, one record per heartbeat name. */
export interface HeartbeatStore {
  /** The record of `name`; the first call for a name creates it with `at` as when centinela first saw it. */
  seen(name: string, at: number): HeartbeatRecord;
  /** Records a ping at `at`: a success clears the failure, a failure keeps `detail`. */
  ping(name: string, at: number, outcome: { ok: true } | { ok: false; detail?: string }): HeartbeatRecord;
}

/** One probe run as the history keeps it. */
export interface RunRecord {
  probe: string;
  at: number;
  up: boolean;
  durationMs: number;
}

/** One step of a series: its start, and the lowest, highest and last value seen in it. */
export interface SeriesPoint {
  bucket: number;
  lo: number;
  hi: number;
  last: number;
}

/** A step of a watched series to keep; `series` is its key, the sample name with its labels. */
export interface SeriesStep extends SeriesPoint {
  series: string;
}

/** How much history is kept (centinela.yaml state.history): runs per probe, and a series' step and reach. */
export interface HistorySize {
  runs: number;
  step: number;
  keep: number;
}

/**
 * What the status page draws from: each probe's last runs (a ring of `runs`), its runs and up runs per hour, and a ring
 * of keep / step points per watched series. Written in the engine's unit of work: two rows per probe run, and one per
 * watched series when its step is over (the engine keeps the step under way in memory).
 */
export interface HistoryStore {
  /** Records runs, and steps of watched series (a step written again takes the newer lo, hi and last). */
  record(runs: readonly RunRecord[], steps: readonly SeriesStep[], size: HistorySize): void;
  /** The last `limit` runs of `probe` (at most the ring's size), oldest first. */
  recentRuns(probe: string, limit: number): RunRecord[];
  /** Runs and up runs of `probe` in the hours that start at or after `since`'s hour. */
  uptime(probe: string, since: number): { runs: number; up: number };
  /** The keys of the series with points at or after `since`. */
  seriesKeys(since: number): string[];
  /** The points of `series` whose step starts at or after `since`, oldest first. */
  points(series: string, since: number): SeriesPoint[];
  /** Forgets hourly tallies and points older than `before`, and series left with no point. */
  prune(before: number): void;
}

/** Escalation's records and the outbox. Outbox keys are unique: writing a key twice keeps one row. */
export interface IncidentStore {
  /** The incident of `alertId` that has not resolved yet. */
  openIncident(alertId: string): IncidentRecord | undefined;
  /** The held incidents an inhibition by each of `alertIds` holds back, oldest first, by that alert's id. */
  heldBy(alertIds: readonly string[]): Map<string, IncidentRecord[]>;
  /** The latest incident of `alertId`, resolved or not. */
  lastIncident(alertId: string): IncidentRecord | undefined;
  incident(id: number): IncidentRecord | undefined;
  /** Inserts a new incident and returns it with its id. */
  insertIncident(rec: Omit<IncidentRecord, 'id'>): IncidentRecord;
  updateIncident(rec: IncidentRecord): void;
  /** Incidents whose due-time (reminder, climb, ack timeout) has come. */
  dueIncidents(now: number): IncidentRecord[];
  /** The earliest incident due-time, if any. */
  nextDueAt(): number | undefined;
  /** Incidents opened at or after `since`, for response-SLA accounting. */
  incidentsSince(since: number): IncidentRecord[];
  /**
   * The newest `limit` incidents opened at or after `since` that paged someone or still page (one held back the whole
   * time paged nobody), newest first, and how many there are in all.
   */
  pagedIncidentsSince(since: number, limit: number): { incidents: IncidentRecord[]; total: number };
  addPaged(incidentId: number, contact: string, at: number): void;
  /** Contacts paged for an incident, in the order they were first paged. */
  paged(incidentId: number): string[];
  addAck(incidentId: number, ack: AckInfo): void;
  /** Every acknowledgement of an incident (a priority rise lifts one; another may follow), oldest first. */
  acks(incidentId: number): AckInfo[];
  /** Writes an outbox row unless its key exists; true when written. */
  enqueue(row: NewOutboxRow): boolean;
  /**
   * Drops the rows of these kinds for an incident that have not been delivered (pages made moot by an ack), those
   * being sent included: if that send fails, the row is neither retried nor moved to another channel.
   */
  supersede(incidentId: number, kinds: ItemKind[]): number;
  /** Puts rows a stopped worker had claimed back to pending; returns how many. */
  resetSending(): number;
  /** Puts these claimed rows back to pending (their claim could not be saved, so they were not sent). */
  release(ids: number[]): void;
  /** Claims the due rows of up to `maxGroups` groups, at most `maxPerGroup` each; each array is one message. */
  claimDue(now: number, maxGroups: number, maxPerGroup: number): OutboxRow[][];
  /** Records one attempt for a batch of rows sent as one message. */
  recordAttempt(ids: number[], a: AttemptRecord): void;
  /** Marks that the rows' DeliveryFailing alert was raised, so it is raised once. */
  markFailingRaised(ids: number[]): void;
  /** The earliest next attempt among pending rows. */
  nextAttemptAt(): number | undefined;
  outboxByKey(key: string): OutboxRow | undefined;
  /** The outbox rows of one incident, or every row; oldest first. */
  outboxRows(incidentId?: number): OutboxRow[];
  /** The (contact, channel) pairs over which something of an incident was delivered. */
  deliveredChannels(incidentId: number): { contact: string; channel: string }[];
  /** Row counts per state, for metrics. */
  outboxCounts(): Record<OutboxState, number>;
  /** Open incidents (paging or acknowledged) with pages written and none delivered, counted by priority. */
  undeliveredIncidents(): Partial<Record<Priority, number>>;
}

/** Outbox row states: sending is claimed by a worker (reset to pending at start, so a crash resends). */
export type OutboxState = 'pending' | 'sending' | 'delivered' | 'failed' | 'superseded';

/** One notification to one contact. `channelIndex` points into the contact's channels (fallback moves it). */
export interface OutboxRow {
  id: number;
  key: string;
  incidentId: number | null;
  kind: ItemKind;
  contact: string;
  channelIndex: number;
  channel: string | null;
  groupKey: string;
  item: NotificationItem;
  state: OutboxState;
  createdAt: number;
  nextAttemptAt: number;
  attempts: number;
  failingSince: number | null;
  lastError: string | null;
  failingRaised: boolean;
  deliveredAt: number | null;
  /** The channels it left for the next (failover), oldest first. */
  tried: ChannelTry[];
}

/** A channel an outbox row was tried on and left for the next: how many attempts, from when until when, the last error. */
export interface ChannelTry {
  channel: string;
  attempts: number;
  since: number;
  until: number;
  error: string;
}

/** What a new outbox row needs. */
export type NewOutboxRow = Pick<OutboxRow, 'key' | 'incidentId' | 'kind' | 'contact' | 'groupKey' | 'item'> & {
  createdAt: number;
  /** delivery.group_wait: how long a row waits when its group had a row lately (see enqueue). */
  groupWait: number;
  /** The contact's channel to start on (0, the first, unless a DeliveryFailing page avoids a broken one). */
  channelIndex?: number;
};

/** The outcome of an attempt for a batch of rows, as the worker records it. */
export type AttemptRecord =
  | { ok: true; channel: string; at: number }
  | {
      ok: false;
      channel: string | null;
      at: number;
      error: string;
      /** Next attempt, or undefined when the rows are given up. */
      nextAttemptAt?: number;
      channelIndex: number;
      failingSince: number | null;
    };
