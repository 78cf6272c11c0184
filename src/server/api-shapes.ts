// What the HTTP server shows and what it asks the daemon to do: the presentation shapes of alerts, silences,
// maintenance windows and probes, and the Operations the API and the status page call. The server knows nothing
// of the store or the scheduler; src/engine/operations.ts implements Operations over them. Times are ISO 8601 strings (UTC).
import type { Secret } from '../config/secret.js';
import type { Matcher } from '../matchers.js';
import type { PostedAlert } from '../rules/external.js';
import type { Labels, Priority, Sample, Suppression } from '../types.js';
import type { Unit } from '../units.js';

export type AlertState = 'pending' | 'firing' | 'resolved';

/**
 * The header centinela's own command line sends with every API call (`cli`), so an acknowledgement it makes is recorded
 * as made from the CLI. It says where a request comes from, never who may make it.
 */
export const CLIENT_HEADER = 'x-centinela-client';

/** An acknowledgement: who, when, how (api, page, link, cli; where it is known), and what they said. */
export interface AckView {
  by: string;
  at: string;
  via?: string;
  comment?: string;
}

/** One alert instance as a list shows it. */
export interface AlertView {
  id: string;
  alertname: string;
  labels: Labels;
  priority: Priority;
  state: AlertState;
  value: number;
  threshold: number;
  op: string;
  /** How value and threshold read (src/units.ts: percent, seconds, … `state` for a 0/1 such as up); absent for
   * alerts centinela does not measure (received from a source, its own). */
  unit?: Unit;
  summary: string;
  /** When it started firing (absent while pending). */
  activeSince?: string;
  /** While pending: since when it has been breached, waiting for its `for` (or its checks) to confirm it. */
  pendingSince?: string;
  resolvedAt?: string;
  flapping: boolean;
  suppressedBy: { kind: Suppression; id: string }[];
  ack?: AckView;
  /** Contacts a page of this episode has reached (delivered on at least one channel). */
  paged: string[];
  /** Where the pages of this episode stand, per contact and channel: the latest page on each. */
  deliveries: DeliveryView[];
  /** Pages were sent for this episode and none has reached anyone yet. */
  notDelivered: boolean;
  /** An open alert received from a source (alerts.yaml `sources`): as it was last received. */
  received?: ReceivedView;
  /**
   * The labels its rule groups by (`group_by`) with their values: alerts of one group go out in one message. Absent
   * for an alert whose rule was removed from the config.
   */
  group?: Labels;
  /**
   * The sample its rule watches and the probe whose runs write it: the status page draws its last hour in the card.
   * Absent for an alert whose rule was removed from the config.
   */
  watches?: { probe: string; sample: string };
}

/** What a source sent of an alert, the last time it sent it. */
export interface ReceivedView {
  source: string;
  annotations: Labels;
  startsAt: string;
  /** When it resolves unless it is sent again. */
  endsAt: string;
  /** When it was last received. */
  updatedAt: string;
  generatorURL?: string;
}

/** The latest page of an episode to one contact over one channel: queued, sent, failing (retrying) or given up. */
export interface DeliveryView {
  contact: string;
  channel: string;
  status: 'queued' | 'sent' | 'failing' | 'given-up';
  /** When it was sent (status sent). */
  at?: string;
  attempts: number;
  lastError?: string;
  /** Since when it fails (status failing): its first failed attempt. */
  failingSince?: string;
}

/** One notification of an alert: to whom, through what, and whether it went out. */
export interface PageView {
  contact: string;
  channel: string;
  event: string;
  createdAt: string;
  /** superseded: a page made moot by an acknowledgement (or a reminder by the resolution) before it arrived. */
  status: 'pending' | 'delivered' | 'failed' | 'superseded';
  deliveredAt?: string;
  attempts: number;
  lastError?: string;
  /** When its first attempt failed (status pending, retrying). */
  failingSince?: string;
  /** When its last attempt failed and it was given up (status failed). */
  givenUpAt?: string;
  /** The channels it failed on and left for the next (failover), oldest first; `attempts` above counts them too. */
  tried?: { channel: string; attempts: number; since: string; until: string; error: string }[];
}

/** An alert with everything an operator needs to act on it. */
export interface AlertDetailView extends AlertView {
  description?: string;
  runbook: string[];
  diagnosis: { probe: string; detail: string }[];
  /** The incident these pages, acknowledgements and history belong to; absent when the alert has not fired since. */
  incident?: { id: number; openedAt: string; resolvedAt?: string };
  /** Every acknowledgement of the incident, oldest first (a priority rise lifts one; a later one may follow). */
  acks: AckView[];
  /**
   * State changes and what was announced during the incident (from the pending that led to it to its resolution),
   * newest first; `priority` and `suppressedBy` as at that moment.
   */
  history: {
    at: string;
    event: string;
    detail?: string;
    priority?: Priority;
    /** What held it back; `alertname` names the alert an inhibition's `id` is. */
    suppressedBy?: { kind: Suppression; id: string; alertname?: string }[];
  }[];
  pages: PageView[];
}

export type SilenceState = 'pending' | 'active' | 'expired';

export interface SilenceView {
  id: string;
  /** As stored, each value cut to an excerpt, when they no longer read (`unreadable`). */
  matchers: { label: string; op: string; value: string }[];
  /** Why the stored matchers no longer read (a version since refuses them): the silence silences nothing. */
  unreadable?: string;
  startsAt: string;
  endsAt: string;
  createdBy: string;
  reason: string;
  state: SilenceState;
}

/** A maintenance window: recurring ones come from the config, one-shot ones from the API (deploys). */
export interface MaintenanceView {
  id: string;
  kind: 'recurring' | 'one-shot';
  name?: string;
  /** One-shot windows close early when these probes pass again. */
  probes: string[];
  /** The alerts it holds back; empty means every alert. As stored, values cut, when they no longer read. */
  matchers: { label: string; op: string; value: string }[];
  /** Why a one-shot window's stored matchers no longer read: it holds back nothing. */
  unreadable?: string;
  startsAt: string;
  endsAt: string;
  reason?: string;
  openedBy?: string;
  state: 'open' | 'closed';
  closedAt?: string;
  closedBecause?: string;
  /** One-shot windows opened by `centinela deploy --rollback`. */
  rollback?: boolean;
  /** The downtime budget (seconds): a held alert firing longer than this pages before endsAt. */
  budgetSeconds?: number;
  /** When the deploy's command finished. */
  commandEndedAt?: string;
  /** The deploy command's last output lines. */
  output?: string;
}

/** Longest deploy output a window keeps (characters): the last lines, for the page. */
export const OUTPUT_MAX = 4000;

/** A ping as recorded: when, whether it was a success, and the last success so far. */
export interface HeartbeatView {
  name: string;
  at: string;
  ok: boolean;
  lastOkAt?: string;
}

/** A probe and what its last run saw. */
export interface ProbeView {
  name: string;
  kind: string;
  /** Absent until its first run finishes. */
  up?: boolean;
  reason?: string;
  lastRunAt?: string;
  durationSeconds?: number;
  samples: Sample[];
  /** Its last runs (state.history.runs at most), oldest first. */
  runs: RunView[];
  /** Percent of its runs that were up over the last 24 hours and 7 days; absent with no run in that time. */
  uptime: { day?: number; week?: number };
}

/** One run of a probe as the status page's bar draws it. */
export interface RunView {
  at: string;
  up: boolean;
  durationSeconds: number;
}

/** How far back the status page's sparklines reach: the last hour. */
export const SIGNAL_SPAN_MS = 3_600_000;

/** A series a rule watches, over the last hour, with the thresholds of the rules that watch it. */
export interface SignalView {
  sample: string;
  /** The probe whose runs write it. */
  probe: string;
  labels: Labels;
  /** How its values read: percent, seconds, …; `state` for a probe's `up` (1 up, 0 a run of the step was down). */
  unit: Unit;
  /** The length of a step (state.history.step). */
  stepSeconds: number;
  /** One point per step (state.history.step): its start and the worst value seen in it for the rules' direction. */
  points: { at: string; value: number }[];
  thresholds: { alertname: string; priority: Priority; op: string; value: number }[];
}

/** An incident of the last days as the status page lists it. */
export interface IncidentView {
  /** Its number: its own timeline is /alerts/<alertId>?incident=<id>. */
  id: number;
  alertId: string;
  alertname: string;
  labels: Labels;
  priority: Priority;
  openedAt: string;
  resolvedAt?: string;
  /** Open for this long (until now while it is open). */
  durationSeconds: number;
  ack?: AckView;
}

/** Everything the status page shows. */
export interface StatusView {
  generatedAt: string;
  probes: ProbeView[];
  /** Pending and firing alerts, firing ones first, each most urgent then longest active first; 100 at most. */
  alerts: AlertView[];
  /** How many alerts fire and how many are pending, of each priority: all of them, listed or not. */
  open: Record<'firing' | 'pending', Record<Priority, number>>;
  /** The names of the alerts that hold a listed alert back (inhibit it), by id. */
  inhibitors: Record<string, string>;
  silences: SilenceView[];
  windows: MaintenanceView[];
  /** Places in a probe's bar of last runs (centinela.yaml state.history.runs). */
  runSlots: number;
  /** The watched series over the last hour. */
  signals: SignalView[];
  /** Incidents opened in the last 7 days that paged someone, newest first; the newest 100. */
  incidents: IncidentView[];
  /** How many such incidents there are, listed or not. */
  incidentCount: number;
}

/** Which parts of the daemon are up; /readyz answers 200 only when all are. */
export interface Readiness {
  config: boolean;
  store: boolean;
  scheduler: boolean;
}

/**
 * Which of two centinelas on one PostgreSQL database this one is (issue 18): its name (the host's), whether it is
 * the active one (evaluates, escalates, delivers) or the standby (serves reads, forwards writes), and the active's
 * term as this one knows it (undefined on a standby that has not read the database yet).
 */
export interface Replica {
  name: string;
  role: 'active' | 'standby';
  term?: number;
}

export interface AlertFilter {
  state?: AlertState;
  priority?: Priority;
  alertname?: string;
  /** All must hold for the alert's labels plus `priority`, as for a silence. */
  match?: Matcher[];
}

export interface NewSilence {
  matchers: Matcher[];
  startsAt?: number;
  endsAt: number;
  createdBy: string;
  reason: string;
  /** Create it even though a matcher names an alert or a probe the config does not have. */
  force?: boolean;
  /** A configured source may send an alert of any name: a matcher on alertname is not checked (probe still is). */
  anyAlertname?: boolean;
}

export interface NewMaintenance {
  probes: string[];
  /** Alerts it holds back; every alert when absent. */
  match?: Matcher[];
  /** Longest the window stays open (ms); it closes earlier when the probes pass again. */
  maxMs: number;
  /** How long a probe that never failed must keep passing before it counts as back (ms; default 2 min). */
  settleMs?: number;
  reason: string;
  openedBy: string;
  /** Open it even though `match` names an alert or a probe the config does not have. */
  force?: boolean;
  /** The deploy is a rollback. */
  rollback?: boolean;
  /** Downtime budget (ms): a held alert firing longer than this pages before the window's end. */
  budgetMs?: number;
}

/** What an emailed acknowledgement link points at, shown on its confirmation page. */
export interface AckLinkView {
  alert: AlertView;
  contact: string;
}

/**
 * What the server asks of the daemon. Methods throw ApiError (src/server/errors.ts) for an answer the caller must
 * see (unknown id, not firing); anything else is a 500.
 */
export interface Operations {
  listAlerts(filter: AlertFilter): Promise<AlertView[]>;
  /** The alert with its current (or last) incident, or with incident `incident` of it; ApiError ALERT_NOT_FOUND. */
  getAlert(id: string, incident?: number): Promise<AlertDetailView>;
  /** `via`: the API with a bearer token, or the status page with its login cookie. */
  ack(id: string, input: { by: string; comment?: string; via: 'api' | 'page' | 'cli' }): Promise<AckView>;
  listSilences(filter: { state?: SilenceState }): Promise<SilenceView[]>;
  addSilence(input: NewSilence): Promise<SilenceView>;
  expireSilence(id: string, by: string): Promise<SilenceView>;
  listMaintenance(filter: { state?: 'open' | 'closed' }): Promise<MaintenanceView[]>;
  startMaintenance(input: NewMaintenance): Promise<MaintenanceView>;
  endMaintenance(id: string, by: string): Promise<MaintenanceView>;
  /** One window, recurring or one-shot; ApiError MAINTENANCE_NOT_FOUND. */
  getMaintenance(id: string): Promise<MaintenanceView>;
  /** Keeps the deploy command's last output lines on a one-shot window; `ended` when the command has finished. */
  recordMaintenanceOutput(id: string, input: { output: string; ended: boolean }): Promise<MaintenanceView>;
  /** Re-reads the config; throws ApiError CONFIG_INVALID (running config kept) with the problems as details. */
  reload(): Promise<{ summary: string }>;
  /** Checks an emailed ack link; throws ApiError when it is forged, expired or its alert is over. */
  inspectAckLink(token: string): Promise<AckLinkView>;
  confirmAckLink(token: string, comment?: string): Promise<AckView>;
  status(): Promise<StatusView>;
  readiness(): Readiness;
  /** The ping secret of heartbeat `name`, undefined when it takes the write token only; ApiError HEARTBEAT_NOT_FOUND. */
  heartbeatSecret(name: string): Secret | undefined;
  /** Records a ping (access already checked); ApiError HEARTBEAT_NOT_FOUND or RATE_LIMITED. */
  ping(name: string, ping: { ok: boolean; body?: string }): Promise<HeartbeatView>;
  /** The sources of alerts.yaml and their intake tokens (none: the write token feeds it). */
  sources(): { name: string; token?: Secret }[];
  /**
   * Takes alerts a source sent (access already checked) into the engine, a slice at a time so that probes keep their
   * pace during a flood; how many were taken and how many refused (past the source's max_alerts).
   */
  receiveAlerts(source: string, alerts: PostedAlert[]): Promise<{ accepted: number; refused: number }>;
  /** One silence; ApiError SILENCE_NOT_FOUND. */
  getSilence(id: string): Promise<SilenceView>;
}
