// The server's Operations over the running daemon: the rules' alerts, silences and windows, escalation's
// incidents, acks and outbox, the scheduler's probes, shaped into the views the API and the status page show.
// Refusals from the rules and from escalation become ApiError with the code docs/api.md lists.
import type { Clock } from '../clock.js';
import type { Config } from '../config/schema.js';
import { entryNames } from '../env-names.js';
import type { IncidentRecord } from '../escalation/incident-records.js';
import { readingOf } from '../locale/locale.js';
import { matcherFields } from '../matchers.js';
import { PAGE_KINDS } from '../notifiers/notifier.js';
import { AlertingError, type AlertingErrorCode } from '../rules/errors.js';
import type { ExternalAlert, PostedAlert } from '../rules/external.js';
import { unknownProbes } from '../rules/maintenance.js';
import type { Silence } from '../rules/silences.js';
import type { Scheduler } from '../scheduler.js';
import type {
  AckView,
  AlertDetailView,
  AlertView,
  DeliveryView,
  IncidentView,
  MaintenanceView,
  Operations,
  PageView,
  ProbeView,
  Readiness,
  ReceivedView,
  SilenceView,
  StatusView,
} from '../server/api-shapes.js';
import { ApiError, type ApiErrorCode, badRequest, PROBLEMS_SHOWN } from '../server/errors.js';
import type { HeartbeatStore, IncidentStore, OutboxRow } from '../store/store.js';
import type { AckInfo, Suppression } from '../types.js';
import { type AckAccepted, type AckRefusal, ackAlert, confirmAckLink, inspectAckLink } from './acks.js';
import type { AlertDetail, AlertRecord, AlertsApi, WindowView } from './alerts-api.js';
import type { Escalator } from './escalator.js';
import { heartbeatProbe, recordPing } from './heartbeat-pings.js';
import type { History } from './history.js';

/** What Operations reads; the getters return the current instances, which a reload replaces. */
export interface OperationsDeps {
  clock: Clock;
  config: () => Config;
  alerts: () => AlertsApi;
  scheduler: Scheduler;
  escalator: Escalator;
  store: IncidentStore;
  heartbeats: HeartbeatStore;
  /** Each probe's runs and the watched series (the engine's). */
  history: History;
  readiness: () => Readiness;
  reload: () => Promise<{ summary: string }>;
  /** Silences and windows change what is held back: the daemon re-evaluates at once. */
  changed: () => void;
  /** An acknowledgement went through (API or link): wake the outbox, record the response time. */
  acknowledged: (accepted: AckAccepted) => void;
  /** Resolves once what was written is durable (the store's flush): a write is answered only then. */
  committed: () => Promise<void>;
  /** Alerts a source sent, evaluated and committed as one unit of work (Engine.receive). */
  receive: (source: string, alerts: readonly PostedAlert[]) => { accepted: number; refused: number };
}

const iso = (ms: number) => new Date(ms).toISOString();

const RULES_CODES: Record<AlertingErrorCode, ApiErrorCode> = {
  SILENCE_INVALID: 'BAD_REQUEST',
  SILENCE_TOO_LONG: 'SILENCE_TOO_LONG',
  SILENCES_FULL: 'SILENCES_FULL',
  SILENCE_NOT_FOUND: 'SILENCE_NOT_FOUND',
  SILENCE_ENDED: 'SILENCE_ENDED',
  UNKNOWN_NAME: 'UNKNOWN_NAME',
  WINDOW_INVALID: 'BAD_REQUEST',
  WINDOW_TOO_LONG: 'WINDOW_TOO_LONG',
  WINDOW_OVERLAPS: 'WINDOW_OVERLAPS',
  WINDOW_NOT_FOUND: 'MAINTENANCE_NOT_FOUND',
  WINDOW_CLOSED: 'WINDOW_CLOSED',
};

/** Runs a rules operation, turning its refusal into the API's error. */
function rulesCall<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof AlertingError) throw new ApiError(RULES_CODES[err.code], err.message);
    throw err;
  }
}

/**
 * Waits until a write is durable. A write the store could not save (PostgreSQL unreachable, or another centinela
 * took over) is in force here but not saved: the caller is told so, not answered 500.
 */
async function saved(committed: () => Promise<void>): Promise<void> {
  try {
    await committed();
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'STATE_UNREACHABLE') {
      throw new ApiError(
        'NOT_SAVED',
        'applied on this centinela but not saved: PostgreSQL does not answer. It is saved when PostgreSQL answers ' +
          'again; if the other centinela takes over meanwhile, it does not know it: send it there',
      );
    }
    if (code === 'STATE_FENCED') {
      throw new ApiError(
        'NOT_SAVED',
        'not saved: another centinela took over and leads now; this one writes nothing more: send it there',
      );
    }
    throw err;
  }
}

function refused(r: AckRefusal): ApiError {
  return new ApiError(r.code, r.message);
}

function ackView(accepted: AckAccepted, via: string): AckView {
  const { ack } = accepted;
  return { by: ack.who, at: iso(ack.at), via, ...(ack.comment ? { comment: ack.comment } : {}) };
}

/** A recorded acknowledgement with how it arrived (api, page, link, cli). */
function ackOf(ack: AckInfo): AckView {
  return {
    by: ack.who,
    at: iso(ack.at),
    ...(ack.via ? { via: ack.via } : {}),
    ...(ack.comment ? { comment: ack.comment } : {}),
  };
}

function silenceView(s: Silence): SilenceView {
  return {
    id: s.id,
    matchers: s.unreadable?.stored ?? matcherFields(s.matchers),
    ...(s.unreadable ? { unreadable: s.unreadable.problem } : {}),
    startsAt: iso(s.startsAt),
    endsAt: iso(s.expiredAt ?? s.endsAt),
    createdBy: s.owner,
    reason: s.reason,
    state: s.state,
  };
}

function receivedView(a: ExternalAlert): ReceivedView {
  return {
    source: a.source,
    annotations: a.annotations,
    startsAt: iso(a.startsAt),
    endsAt: iso(a.endsAt),
    updatedAt: iso(a.receivedAt),
    ...(a.generatorURL ? { generatorURL: a.generatorURL } : {}),
  };
}

/** Alerts taken into one unit of work at most; between two, the event loop runs probes and timers. */
export const RECEIVE_SLICE = 100;

function windowView(w: WindowView): MaintenanceView {
  if (w.kind === 'recurring') {
    return {
      id: w.id,
      kind: 'recurring',
      name: w.id,
      probes: [],
      matchers: matcherFields(w.matchers),
      startsAt: iso(w.startsAt),
      endsAt: iso(w.endsAt),
      ...(w.reason ? { reason: w.reason } : {}),
      state: w.open ? 'open' : 'closed',
    };
  }
  return {
    id: w.id,
    kind: 'one-shot',
    probes: w.probes,
    matchers: w.unreadable?.stored ?? matcherFields(w.matchers),
    ...(w.unreadable ? { unreadable: w.unreadable.problem } : {}),
    startsAt: iso(w.openedAt),
    endsAt: iso(w.endsAt),
    reason: w.reason,
    ...(w.owner ? { openedBy: w.owner } : {}),
    state: w.open ? 'open' : 'closed',
    ...(w.closedAt !== undefined ? { closedAt: iso(w.closedAt) } : {}),
    ...(w.outcome ? { closedBecause: w.outcome + (w.closedBy ? ` by ${w.closedBy}` : '') } : {}),
    ...(w.rollback ? { rollback: true } : {}),
    ...(w.budget !== undefined ? { budgetSeconds: w.budget / 1000 } : {}),
    ...(w.commandEndedAt !== undefined ? { commandEndedAt: iso(w.commandEndedAt) } : {}),
    ...(w.output !== undefined ? { output: w.output } : {}),
  };
}

/** Builds the Operations the HTTP server calls. */
export function createOperations(d: OperationsDeps): Operations {
  const api = () => d.alerts();

  /** The incident the alert's current episode belongs to (the last one once it resolved). */
  const incidentOf = (r: AlertRecord): IncidentRecord | undefined =>
    d.store.openIncident(r.alert.id) ?? (r.state === 'resolved' ? d.store.lastIncident(r.alert.id) : undefined);

  const alertView = (r: AlertRecord): AlertView => {
    const { alert } = r;
    const incident = incidentOf(r);
    const ack = incident?.ack;
    return {
      id: alert.id,
      alertname: alert.alertname,
      labels: alert.labels,
      priority: alert.priority,
      state: r.state === 'inactive' ? 'resolved' : r.state,
      value: alert.value,
      threshold: alert.threshold,
      op: alert.op,
      ...(alert.unit ? { unit: alert.unit } : {}),
      summary: alert.summary,
      ...(r.state === 'firing' || r.state === 'resolved' ? { activeSince: iso(alert.activeSince) } : {}),
      ...(r.state === 'pending' ? { pendingSince: iso(r.since) } : {}),
      ...(r.state === 'resolved' ? { resolvedAt: iso(r.since) } : {}),
      flapping: alert.flapping,
      suppressedBy: alert.suppressedBy,
      ...(ack ? { ack: { by: ack.who, at: iso(ack.at), ...(ack.comment ? { comment: ack.comment } : {}) } } : {}),
      ...deliveryOf(incident),
      ...(r.received ? { received: receivedView(r.received) } : {}),
      group: r.group,
      watches: r.watches,
    };
  };

  /**
   * Delivery truth of an episode: the contacts a page reached, the latest page to each contact over each channel
   * and where it stands, and whether pages went out and reached nobody.
   */
  const deliveryOf = (
    incident: IncidentRecord | undefined,
  ): Pick<AlertView, 'paged' | 'deliveries' | 'notDelivered'> => {
    const latest = new Map<string, OutboxRow>();
    const paged = new Set<string>();
    for (const row of incident ? d.store.outboxRows(incident.id) : []) {
      if (!PAGE_KINDS.includes(row.kind) || row.state === 'superseded') continue;
      latest.set(`${row.contact}\0${channelOf(row)}`, row);
      if (row.state === 'delivered') paged.add(row.contact);
    }
    const deliveries = [...latest.values()].map((row) => ({
      contact: row.contact,
      channel: channelOf(row),
      status: deliveryStatus(row),
      ...(row.deliveredAt !== null ? { at: iso(row.deliveredAt) } : {}),
      attempts: row.attempts,
      ...(row.lastError ? { lastError: row.lastError } : {}),
      ...(row.state === 'pending' && row.failingSince !== null ? { failingSince: iso(row.failingSince) } : {}),
    }));
    return { paged: [...paged], deliveries, notDelivered: deliveries.length > 0 && paged.size === 0 };
  };

  const channelOf = (row: OutboxRow): string =>
    row.channel ?? d.config().escalation.contacts[row.contact]?.channels[row.channelIndex] ?? '';

  /** The pages of an incident; a failed row's next attempt is when it was given up (the store keeps that time). */
  const pagesOf = (incident: IncidentRecord | undefined): PageView[] =>
    (incident ? d.store.outboxRows(incident.id) : []).map((row) => ({
      contact: row.contact,
      channel: channelOf(row),
      event: row.kind,
      createdAt: iso(row.createdAt),
      status: row.state === 'sending' ? 'pending' : row.state,
      ...(row.deliveredAt !== null ? { deliveredAt: iso(row.deliveredAt) } : {}),
      attempts: row.attempts,
      ...(row.lastError ? { lastError: row.lastError } : {}),
      ...(row.state === 'pending' && row.failingSince !== null ? { failingSince: iso(row.failingSince) } : {}),
      ...(row.state === 'failed' ? { givenUpAt: iso(row.nextAttemptAt) } : {}),
      ...(row.tried.length
        ? { tried: row.tried.map((c) => ({ ...c, since: iso(c.since), until: iso(c.until) })) }
        : {}),
    }));

  /**
   * The incident an alert's timeline shows: the one asked for (it must be of this alert), else the current (or last)
   * one; undefined when the alert has not fired since its last incident.
   */
  const timelineIncident = (id: string, record: AlertRecord | undefined, asked: number | undefined) => {
    if (asked === undefined) return record ? incidentOf(record) : undefined;
    const incident = d.store.incident(asked);
    if (incident?.alertId === id) return incident;
    throw new ApiError(
      'ALERT_NOT_FOUND',
      `alert "${id}" has no incident ${asked}. The status page lists the incidents of the last 7 days`,
    );
  };

  /**
   * The history of one incident: from the pending that led to it to its resolution. With no incident, what came
   * after the alert's last incident (a pending that has not fired yet).
   */
  const historyOf = (record: AlertDetail, incident: IncidentRecord | undefined): AlertDetail['history'] => {
    if (!incident) {
      const after = d.store.lastIncident(record.alert.id)?.resolvedAt ?? -Infinity;
      return record.history.filter((h) => h.at > after);
    }
    const end = incident.resolvedAt ?? Infinity;
    const before = record.history.find((h) => h.kind === 'state' && h.at < incident.openedAt);
    const start = before?.what === 'pending' ? before.at : incident.openedAt;
    return record.history.filter((h) => h.at >= start && h.at <= end);
  };

  const ops: Operations = {
    async listAlerts(filter) {
      const states = filter.state ? [filter.state] : (['pending', 'firing'] as const);
      const records = api().listAlerts({
        state: [...states],
        ...(filter.priority ? { priority: filter.priority } : {}),
        ...(filter.alertname ? { alertname: filter.alertname } : {}),
        ...(filter.match ? { matchers: filter.match } : {}),
      });
      return records.map(alertView);
    },

    async getAlert(id, asked) {
      // An older incident's history may lie past the latest 200 entries.
      const detail = api().getAlert(id, asked === undefined ? undefined : HISTORY_OF_INCIDENT);
      const incident = timelineIncident(id, detail, asked);
      if (!detail && !incident)
        throw new ApiError('ALERT_NOT_FOUND', `no alert "${id}". List alerts with GET /api/v1/alerts`);
      // The alert as it stands when the incident is its current one; an earlier incident as it ended.
      const current = detail && (!incident || incidentOf(detail)?.id === incident.id);
      const alert = detail?.alert ?? (incident as IncidentRecord).alert;
      // A resolved incident's diagnosis as its first page carried it: what the probes said while it fired, not since.
      const firstPage =
        incident?.resolvedAt !== undefined
          ? d.store.outboxRows(incident.id).find((row) => row.kind === 'firing')
          : undefined;
      // An inhibition is held by another alert: the timeline names it (by its current or last incident).
      const names = new Map<string, string | undefined>();
      const nameOf = (holder: string) => {
        if (!names.has(holder))
          names.set(holder, (api().getAlert(holder, 0)?.alert ?? d.store.lastIncident(holder)?.alert)?.alertname);
        return names.get(holder);
      };
      const named = (s: { kind: Suppression; id: string }) => {
        const alertname = s.kind === 'inhibited' ? nameOf(s.id) : undefined;
        return alertname ? { ...s, alertname } : s;
      };
      const view: AlertDetailView = {
        ...(current ? alertView(detail) : fromIncident(incident as IncidentRecord, deliveryOf(incident))),
        ...(alert.description ? { description: alert.description } : {}),
        runbook: alert.runbook,
        diagnosis: firstPage?.item.alert.diagnosis ?? alert.diagnosis,
        ...(incident
          ? {
              incident: {
                id: incident.id,
                openedAt: iso(incident.openedAt),
                ...(incident.resolvedAt !== undefined ? { resolvedAt: iso(incident.resolvedAt) } : {}),
              },
            }
          : {}),
        acks: incident ? d.store.acks(incident.id).map(ackOf) : [],
        history: (detail ? historyOf(detail, incident) : []).map((h) => ({
          at: iso(h.at),
          event: h.kind === 'state' ? h.what : `told ${h.what}`,
          ...(h.priority || h.suppressedBy.length
            ? { detail: [h.priority, ...h.suppressedBy.map((s) => `${s.kind} by ${s.id}`)].filter(Boolean).join(', ') }
            : {}),
          ...(h.priority ? { priority: h.priority } : {}),
          ...(h.suppressedBy.length ? { suppressedBy: h.suppressedBy.map(named) } : {}),
        })),
        pages: pagesOf(incident),
      };
      return view;
    },

    async ack(id, input) {
      const by = { by: input.by, comment: input.comment, via: input.via };
      const result = ackAlert(d.escalator, id, by, d.clock.now(), readingOf(d.config().centinela));
      if (!result.ok) {
        // Escalation knows only alerts that fired; one that is pending exists but has nothing to acknowledge yet.
        const known = result.code === 'ALERT_NOT_FOUND' ? api().getAlert(id) : undefined;
        if (known)
          throw new ApiError('NOT_FIRING', `alert "${id}" is ${known.state}: nobody was paged, nothing to acknowledge`);
        throw refused(result);
      }
      await saved(d.committed);
      d.acknowledged(result);
      return ackView(result, input.via);
    },

    async listSilences(filter) {
      return rulesCall(() => api().listSilences(filter)).map(silenceView);
    },

    async getSilence(id) {
      return silenceView(rulesCall(() => api().getSilence(id)));
    },

    sources() {
      return d.config().alerts.sources.map((s) => ({ name: s.name, ...(s.token ? { token: s.token } : {}) }));
    },

    async receiveAlerts(source, alerts) {
      const total = { accepted: 0, refused: 0 };
      for (let i = 0; i < alerts.length; i += RECEIVE_SLICE) {
        if (i > 0) await new Promise((resolve) => setImmediate(resolve));
        const counts = d.receive(source, alerts.slice(i, i + RECEIVE_SLICE));
        total.accepted += counts.accepted;
        total.refused += counts.refused;
      }
      await saved(d.committed);
      return total;
    },

    async addSilence(input) {
      const s = rulesCall(() =>
        api().createSilence({
          matchers: input.matchers,
          ...(input.startsAt !== undefined ? { startsAt: input.startsAt } : {}),
          endsAt: input.endsAt,
          owner: input.createdBy,
          reason: input.reason,
          ...(input.force ? { force: true } : {}),
          ...(input.anyAlertname ? { anyAlertname: true } : {}),
        }),
      );
      await saved(d.committed);
      d.changed();
      return silenceView(s);
    },

    async expireSilence(id, by) {
      const s = rulesCall(() => api().expireSilence(id, by));
      await saved(d.committed);
      d.changed();
      return silenceView(s);
    },

    async listMaintenance(filter) {
      return rulesCall(() => api().listWindows(filter)).map(windowView);
    },

    async startMaintenance(input) {
      // Checked here as well as by the rules so the 400 names the field, like the API's other refusals; only the
      // problems the answer shows are written (16,000 unknown probes took 3.3 s, review r13s).
      const { probes } = d.config().alerts;
      const defined = new Set(probes.map((p) => p.name));
      const unknown = input.probes.flatMap((p, i) => (defined.has(p) ? [] : [i]));
      if (unknown.length > 0) {
        const names = entryNames(probes);
        const problems = unknown
          .slice(0, PROBLEMS_SHOWN)
          .flatMap((i) =>
            unknownProbes([input.probes[i] as string], defined, names).map((p) => `body.probes[${i}]: ${p}`),
          );
        throw badRequest(problems, unknown.length);
      }
      const w = rulesCall(() =>
        api().openWindow({
          probes: input.probes,
          max: input.maxMs,
          ...(input.settleMs !== undefined ? { settle: input.settleMs } : {}),
          reason: input.reason,
          owner: input.openedBy,
          ...(input.match ? { match: input.match } : {}),
          ...(input.force ? { force: true } : {}),
          ...(input.rollback ? { rollback: true } : {}),
          ...(input.budgetMs !== undefined ? { budget: input.budgetMs } : {}),
        }),
      );
      await saved(d.committed);
      d.changed();
      return windowView(w);
    },

    async getMaintenance(id) {
      return windowView(rulesCall(() => api().getWindow(id)));
    },

    async recordMaintenanceOutput(id, input) {
      const w = rulesCall(() => api().recordOutput(id, input.output, input.ended));
      await saved(d.committed);
      // A passing run after the command's end closes the window: the probes run now rather than at their next turn.
      if (input.ended && w.kind === 'one-shot' && w.open) for (const p of w.probes) d.scheduler.runSoon(p, 0);
      return windowView(w);
    },

    async endMaintenance(id, by) {
      const w = rulesCall(() => api().closeWindow(id, by));
      await saved(d.committed);
      d.changed();
      return windowView(w);
    },

    reload: () => d.reload(),

    async inspectAckLink(token) {
      const link = inspectAckLink(token, linkDeps(), d.clock.now());
      if (!link.ok) throw refused(link);
      const record = api().getAlert(link.incident.alertId);
      const alert = record ? alertView(record) : fromIncident(link.incident, deliveryOf(link.incident));
      return { alert, contact: link.contact };
    },

    async confirmAckLink(token, comment) {
      const result = confirmAckLink(token, comment, linkDeps(), d.clock.now());
      if (!result.ok) throw refused(result);
      await saved(d.committed);
      d.acknowledged(result);
      return ackView(result, 'link');
    },

    heartbeatSecret: (name) => heartbeatProbe(d.config(), name).secret,
    async ping(name, ping) {
      const deps = {
        clock: d.clock,
        config: d.config,
        store: d.heartbeats,
        runSoon: (p: string) => d.scheduler.runSoon(p, 0),
      };
      const recorded = recordPing(deps, name, ping);
      await saved(d.committed);
      return recorded;
    },
    async status() {
      const now = d.clock.now();
      const stats = d.scheduler.stats();
      const probes: ProbeView[] = d.config().alerts.probes.map((p) => {
        const s = stats.get(p.name);
        const last = s?.lastResult;
        const history = d.history.probe(p.name, now);
        // A standby runs no probes: it shows the last run the active recorded (without its reason and samples).
        const recorded = s?.lastRunAt === undefined ? history.runs.at(-1) : undefined;
        return {
          name: p.name,
          kind: p.kind,
          ...(last ? { up: last.up } : recorded ? { up: recorded.up } : {}),
          ...(last && !last.up ? { reason: last.reason } : {}),
          ...(s?.lastRunAt !== undefined
            ? { lastRunAt: iso(s.lastRunAt) }
            : recorded
              ? { lastRunAt: recorded.at }
              : {}),
          ...(s?.lastDurationMs !== undefined
            ? { durationSeconds: s.lastDurationMs / 1000 }
            : recorded
              ? { durationSeconds: recorded.durationSeconds }
              : {}),
          samples: last?.samples ?? [],
          ...history,
        };
      });
      return {
        generatedAt: iso(now),
        probes,
        ...listedAlerts(),
        silences: (await ops.listSilences({ state: 'active' })).concat(await ops.listSilences({ state: 'pending' })),
        windows: await ops.listMaintenance({ state: 'open' }),
        runSlots: d.history.runSlots(),
        signals: d.history.signals(now),
        ...listedIncidents(now),
      };
    },

    readiness: () => d.readiness(),
  };

  /**
   * The status page's alerts: the first LISTED, firing ones before pending ones, each most urgent first, with how
   * many there are of each state and priority and the names of the alerts that hold a listed one back.
   */
  const listedAlerts = (): Pick<StatusView, 'alerts' | 'open' | 'inhibitors'> => {
    const firing = api().firstAlerts({ state: ['firing'] }, LISTED);
    const pending = api().firstAlerts({ state: ['pending'] }, LISTED - firing.records.length);
    const alerts = [...firing.records, ...pending.records].map(alertView);
    const held = alerts.flatMap((a) => a.suppressedBy.filter((s) => s.kind === 'inhibited').map((s) => s.id));
    return {
      alerts,
      open: { firing: firing.byPriority, pending: pending.byPriority },
      inhibitors: Object.fromEntries(api().alertNames(held)),
    };
  };

  /** The newest LISTED incidents of the last INCIDENT_DAYS that paged someone, and how many there are. */
  const listedIncidents = (now: number): Pick<StatusView, 'incidents' | 'incidentCount'> => {
    const { incidents, total } = d.store.pagedIncidentsSince(now - INCIDENT_DAYS * 86_400_000, LISTED);
    return { incidents: incidents.map((i) => incidentView(i, now)), incidentCount: total };
  };

  const linkDeps = () => ({
    escalator: d.escalator,
    store: d.store,
    linkSecret: d.config().escalation.ack.link_secret,
    reading: readingOf(d.config().centinela),
  });

  return ops;
}

/** How many history entries of an alert an earlier incident's timeline looks through. */
const HISTORY_OF_INCIDENT = 2_000;

/** How far back the status page lists incidents. */
const INCIDENT_DAYS = 7;

/**
 * How many alerts, and how many incidents, the status page lists at most: the page (its store reads, its HTML, the
 * time to render it) costs what it shows, not what is open; it counts the rest and the API lists them.
 */
const LISTED = 100;

/** An incident as the status page lists it: what, how urgent, how long, who acknowledged. */
function incidentView(i: IncidentRecord, now: number): IncidentView {
  const ack = i.firstAck ?? i.ack;
  return {
    id: i.id,
    alertId: i.alertId,
    alertname: i.alert.alertname,
    labels: i.alert.labels,
    priority: i.topPriority ?? i.priority,
    openedAt: iso(i.openedAt),
    ...(i.resolvedAt !== undefined ? { resolvedAt: iso(i.resolvedAt) } : {}),
    durationSeconds: ((i.resolvedAt ?? now) - i.openedAt) / 1000,
    ...(ack ? { ack: { by: ack.who, at: iso(ack.at), ...(ack.comment ? { comment: ack.comment } : {}) } } : {}),
  };
}

/** queued (not tried yet, or in flight), sent, failing (retrying) or given up. */
function deliveryStatus(row: OutboxRow): DeliveryView['status'] {
  if (row.state === 'delivered') return 'sent';
  if (row.state === 'failed') return 'given-up';
  return row.attempts > 0 ? 'failing' : 'queued';
}

/** The view of an alert the rules no longer hold (its rule was removed), from escalation's snapshot. */
function fromIncident(
  incident: IncidentRecord,
  delivery: Pick<AlertView, 'paged' | 'deliveries' | 'notDelivered'>,
): AlertView {
  const a = incident.alert;
  return {
    id: a.id,
    alertname: a.alertname,
    labels: a.labels,
    priority: incident.priority,
    state: incident.status === 'resolved' ? 'resolved' : 'firing',
    value: a.value,
    threshold: a.threshold,
    op: a.op,
    ...(a.unit ? { unit: a.unit } : {}),
    summary: a.summary,
    activeSince: iso(a.activeSince),
    ...(incident.resolvedAt !== undefined ? { resolvedAt: iso(incident.resolvedAt) } : {}),
    flapping: a.flapping,
    suppressedBy: a.suppressedBy,
    ...(incident.ack ? { ack: ackOf(incident.ack) } : {}),
    ...delivery,
  };
}
