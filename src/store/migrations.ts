// The state store's schema history, applied in order at open; a number, once shipped, never changes meaning.
// 1: alert instances, silences, maintenance windows (rules). 2: pages, acks, escalation timers, outbox (escalation).
// 3: the most urgent priority an incident was paged at; the outbox index that finds a group's recent rows (escalation).
// 4: the worst breach of an alert instance's episode, for the all-clear (rules).
// 5: the pings of push heartbeats (heartbeat probes).
// 6: a pending alert kept back for its cause to confirm first (rules).
// 7: what `centinela deploy` tells a maintenance window: rollback, downtime budget, the command's end and output (rules).
// 8: the clear runs in a row of a firing alert, towards after_successes (rules).
// 9: the state of a rule's fast path with its alert (rules).
// 10: the alerts received from sources through the Alertmanager API (rules).
// 11: what the status page draws: each probe's last runs and hourly tallies, a ring of points per watched series (history).
// 12: the channels an outbox row left for the next one (failover), with their attempts, for the timeline (escalation).
// 13: the index of held incidents, which every page reads to name what its alert holds back (escalation).

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/**
 * Why a state store at schema version `current` is not for this centinela, which knows up to the last of
 * `migrations` (a newer one wrote it), as the rest of a sentence after "state store"; else undefined. `run` refuses
 * such a store at open (SQLite and PostgreSQL) and `check` refuses the SQLite file, in these words.
 */
export function newerSchema(current: number, migrations: readonly Migration[] = MIGRATIONS): string | undefined {
  const known = migrations.reduce((v, m) => Math.max(v, m.version), 0);
  if (current <= known) return undefined;
  return `at schema version ${current}, this centinela knows up to ${known}. Run the newer centinela or restore a backup`;
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'rules: alert instances and history, silences, maintenance windows',
    sql: `
      CREATE TABLE alert_instances (
        id TEXT PRIMARY KEY,
        rule TEXT NOT NULL,
        labels TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('inactive', 'pending', 'firing', 'resolved')),
        since INTEGER NOT NULL,
        priority TEXT,
        threshold REAL,
        value REAL,
        failures INTEGER NOT NULL,
        pending_since INTEGER,
        active_since INTEGER,
        clearing_since INTEGER,
        changes TEXT NOT NULL,
        flapping INTEGER NOT NULL,
        told TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE TABLE alert_history (
        id INTEGER PRIMARY KEY,
        alert_id TEXT NOT NULL,
        at INTEGER NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('state', 'told')),
        what TEXT NOT NULL,
        priority TEXT,
        value REAL,
        suppressed_by TEXT NOT NULL
      );
      CREATE INDEX alert_history_alert ON alert_history (alert_id, at);
      CREATE TABLE silences (
        id TEXT PRIMARY KEY,
        matchers TEXT NOT NULL,
        starts_at INTEGER NOT NULL,
        ends_at INTEGER NOT NULL,
        owner TEXT NOT NULL,
        reason TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expired_at INTEGER,
        expired_by TEXT
      );
      CREATE INDEX silences_ends ON silences (ends_at);
      CREATE TABLE maintenance_windows (
        id TEXT PRIMARY KEY,
        probes TEXT NOT NULL,
        matchers TEXT,
        reason TEXT NOT NULL,
        owner TEXT,
        priority TEXT NOT NULL,
        opened_at INTEGER NOT NULL,
        ends_at INTEGER NOT NULL,
        settle INTEGER NOT NULL,
        failed TEXT NOT NULL,
        closed_at INTEGER,
        closed_by TEXT,
        outcome TEXT CHECK (outcome IN ('healthy', 'closed', 'ended', 'unhealthy'))
      );
      -- Bumped by every rules commit: an evaluator whose cache is behind (a rolled-back transaction) reloads.
      CREATE TABLE alert_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
      INSERT INTO alert_meta (key, value) VALUES ('generation', 0);
    `,
  },
  {
    version: 2,
    name: 'escalation: incidents, pages, acks, outbox',
    sql: `
      -- One row per episode of an alert instance (fires → resolves); the escalation record and its due-time.
      CREATE TABLE esc_incidents (
        id INTEGER PRIMARY KEY,
        alert_id TEXT NOT NULL,
        alert TEXT NOT NULL,
        priority TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('held', 'open', 'acked', 'resolved')),
        opened_at INTEGER NOT NULL,
        first_paged_at INTEGER,
        sla_priority TEXT,
        levels TEXT NOT NULL DEFAULT '[]',
        ack_by TEXT,
        ack_at INTEGER,
        ack_comment TEXT,
        ack_via TEXT,
        first_ack_by TEXT,
        first_ack_at INTEGER,
        resolved_at INTEGER,
        due_at INTEGER
      );
      CREATE UNIQUE INDEX esc_incidents_open ON esc_incidents (alert_id) WHERE status <> 'resolved';
      CREATE INDEX esc_incidents_due ON esc_incidents (due_at) WHERE due_at IS NOT NULL;
      -- Everyone paged for an incident: they get its resolution, exactly once.
      CREATE TABLE esc_paged (
        incident_id INTEGER NOT NULL REFERENCES esc_incidents (id),
        contact TEXT NOT NULL,
        at INTEGER NOT NULL,
        PRIMARY KEY (incident_id, contact)
      );
      CREATE TABLE esc_acks (
        id INTEGER PRIMARY KEY,
        incident_id INTEGER NOT NULL REFERENCES esc_incidents (id),
        who TEXT NOT NULL,
        via TEXT NOT NULL,
        comment TEXT,
        at INTEGER NOT NULL
      );
      -- The durable outbox: one row per (incident, event, contact); key is the idempotency key.
      CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,
        incident_id INTEGER REFERENCES esc_incidents (id),
        kind TEXT NOT NULL,
        contact TEXT NOT NULL,
        channel_index INTEGER NOT NULL DEFAULT 0,
        channel TEXT,
        group_key TEXT NOT NULL,
        item TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'delivered', 'failed', 'superseded')),
        created_at INTEGER NOT NULL,
        next_attempt_at INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        failing_since INTEGER,
        last_error TEXT,
        failing_raised INTEGER NOT NULL DEFAULT 0,
        delivered_at INTEGER
      );
      CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE state = 'pending';
      CREATE INDEX outbox_incident ON outbox (incident_id, state);
      CREATE INDEX outbox_group ON outbox (contact, group_key, channel_index, next_attempt_at) WHERE state = 'pending';
    `,
  },
  {
    version: 3,
    name: 'escalation: highest priority paged; recent rows of an outbox group',
    sql: `
      -- The most urgent priority an incident was paged at: only a rise above it pages again and lifts the ack
      -- (a priority bouncing P2 → P1 → P2 → P1 pages the P1 level once). Incidents from before take the first one.
      ALTER TABLE esc_incidents ADD COLUMN top_priority TEXT;
      UPDATE esc_incidents SET top_priority = sla_priority;
      -- A new row goes out at once unless its group (contact, group key, channel) had a row written lately.
      CREATE INDEX outbox_group_created ON outbox (contact, group_key, channel_index, created_at);
    `,
  },
  {
    version: 4,
    name: 'rules: the worst breach of an episode',
    sql: `
      -- JSON {value, priority, threshold}; NULL for instances from before (their all-clear shows the last value).
      ALTER TABLE alert_instances ADD COLUMN peak TEXT;
    `,
  },
  {
    version: 5,
    name: 'heartbeats: the pings pushed to heartbeat probes',
    sql: `
      -- One row per heartbeat name, written when centinela first sees the probe (silence counts from then) and on
      -- every recorded ping; the probe's run reads it.
      CREATE TABLE heartbeats (
        name TEXT PRIMARY KEY,
        first_seen_at INTEGER NOT NULL,
        last_ping_at INTEGER,
        last_ok_at INTEGER,
        failed INTEGER NOT NULL DEFAULT 0,
        detail TEXT
      );
    `,
  },
  {
    version: 6,
    name: 'rules: pending alerts kept back for a cause',
    sql: `
      -- 1 while an alert, confirmed on its own, waits for a cause to confirm first (rules/causes.ts): a restart still
      -- releases it at the end of the cause's window. Instances from before wait again from their next breaching run.
      ALTER TABLE alert_instances ADD COLUMN awaiting_cause INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    version: 7,
    name: 'rules: deploys in maintenance windows',
    sql: `
      -- Windows from before are no rollback, have no budget (held until their end) and no command.
      ALTER TABLE maintenance_windows ADD COLUMN rollback INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE maintenance_windows ADD COLUMN budget INTEGER;
      ALTER TABLE maintenance_windows ADD COLUMN command_ended_at INTEGER;
      ALTER TABLE maintenance_windows ADD COLUMN output TEXT;
    `,
  },
  {
    version: 8,
    name: 'rules: clear runs in a row of a firing alert',
    sql: `
      -- Counts towards after_successes, so a restart while a recovery is being confirmed keeps the count. Instances
      -- from before count from their next clear run.
      ALTER TABLE alert_instances ADD COLUMN successes INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    version: 9,
    name: "rules: a rule's fast path",
    sql: `
      -- JSON of the fast path's state (rules/fast-path.ts) while it counts breaching runs or fires; NULL otherwise,
      -- which is also what instances from before have.
      ALTER TABLE alert_instances ADD COLUMN fast TEXT;
    `,
  },
  {
    version: 10,
    name: 'rules: alerts received from sources',
    sql: `
      -- One row per alert received through the Alertmanager API (rules/external.ts) while its instance is open:
      -- the JSON record (labels, annotations, times), and when it resolves unless it is sent again.
      CREATE TABLE external_alerts (
        id TEXT PRIMARY KEY,
        source TEXT NOT NULL,
        ends_at INTEGER NOT NULL,
        alert TEXT NOT NULL
      );
    `,
  },
  {
    version: 11,
    name: 'history: probe runs, hourly tallies, series rings',
    sql: `
      -- A ring per probe: the run numbered seq lands in slot seq % state.history.runs, overwriting the oldest.
      CREATE TABLE probe_runs (
        probe TEXT NOT NULL,
        slot INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        at INTEGER NOT NULL,
        up INTEGER NOT NULL,
        duration_ms INTEGER NOT NULL,
        PRIMARY KEY (probe, slot)
      ) WITHOUT ROWID;
      -- Runs and up runs per probe and hour (start, epoch ms), for uptime over a day and a week.
      CREATE TABLE probe_hours (
        probe TEXT NOT NULL,
        hour INTEGER NOT NULL,
        runs INTEGER NOT NULL,
        up INTEGER NOT NULL,
        PRIMARY KEY (probe, hour)
      ) WITHOUT ROWID;
      -- A series is a sample name with its labels (\`api_metrics.error_percent[["route","/x"]]\`); its points live in a
      -- ring of keep / step slots, one per step (bucket: the step's start), holding the lowest, highest and last value.
      CREATE TABLE history_series (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE);
      CREATE TABLE history_points (
        series INTEGER NOT NULL,
        slot INTEGER NOT NULL,
        bucket INTEGER NOT NULL,
        lo REAL NOT NULL,
        hi REAL NOT NULL,
        last REAL NOT NULL,
        PRIMARY KEY (series, slot)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 12,
    name: 'escalation: the channels a page failed over from',
    sql: `
      -- A JSON array, oldest first, of {channel, attempts, since, until, error}: each channel the row left for the next.
      ALTER TABLE outbox ADD COLUMN tried TEXT NOT NULL DEFAULT '[]';
    `,
  },
  {
    version: 13,
    name: 'escalation: the index of held incidents',
    sql: `
      -- Held incidents are few; without it, finding them scanned every incident kept, at each unit of work that pages.
      CREATE INDEX esc_incidents_held ON esc_incidents (id) WHERE status = 'held';
    `,
  },
  {
    version: 14,
    name: 'escalation: the incidents of an alert, newest first',
    sql: `
      -- An alert's last incident (read at each resolution, for its metrics and its notices) is found by this index;
      -- the one of open incidents does not hold resolved ones, so without it each read walked every incident kept.
      CREATE INDEX esc_incidents_alert ON esc_incidents (alert_id, id);
    `,
  },
  {
    version: 15,
    name: 'escalation: held incidents by the alert inhibiting them',
    sql: `
      -- Each held incident's inhibiting alerts (its alert's suppressedBy of kind inhibited), so the page or notice of an
      -- alert finds what it holds back by its own id; reading every held incident instead, at each unit of work that
      -- pages, cost a storm's resolution (ten thousand silenced alerts) the square of its size. Replaces the index of
      -- migration 13, which only that reading used.
      CREATE TABLE esc_inhibited (
        incident_id INTEGER NOT NULL REFERENCES esc_incidents (id),
        by_alert TEXT NOT NULL,
        PRIMARY KEY (incident_id, by_alert)
      );
      CREATE INDEX esc_inhibited_by ON esc_inhibited (by_alert, incident_id);
      INSERT OR IGNORE INTO esc_inhibited (incident_id, by_alert)
        SELECT i.id, json_extract(s.value, '$.id') FROM esc_incidents i, json_each(i.alert, '$.suppressedBy') s
        WHERE i.status = 'held' AND json_extract(s.value, '$.kind') = 'inhibited';
      DROP INDEX esc_incidents_held;
    `,
  },
];
