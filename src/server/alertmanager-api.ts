// The Alertmanager API v2, as far as Prometheus, Grafana and amtool use it (docs/api.md "Alertmanager API"):
// POST /api/v2/alerts takes alerts from a source of alerts.yaml; GET /api/v2/status, GET /api/v2/alerts,
// GET/POST /api/v2/silences and GET/DELETE /api/v2/silence/{id} read centinela's alerts (its own and those received)
// and its silences. Shapes follow Alertmanager's OpenAPI (api/v2/openapi.yaml); errors are answered as it answers
// them, a JSON string, so that amtool prints the reason (a refused silence says why and how to fix it).
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { labelName } from '../config/schema.js';
import { quoted } from '../excerpt.js';
import { compiledMatcher, type Matcher, type MatchOp, matchesAll, unquoted, withoutProto } from '../matchers.js';
import type { Regex } from '../regex.js';
import type { PostedAlert } from '../rules/external.js';
import type { Labels } from '../types.js';
import { VERSION } from '../version.js';
import { checkInput, parseInput } from './api.js';
import type { AlertView, Operations, SilenceView } from './api-shapes.js';
import { type AccessTokens, presentedToken, tokenMatches } from './auth.js';
import { ApiError, badRequest } from './errors.js';

/** Largest intake body (bytes): 10,000 alerts of a few hundred bytes each, as a flood may bring. */
export const INTAKE_BODY_MAX = 16 * 1024 * 1024;
/** Most alerts in one request; Prometheus sends at most 64 per request by default. */
export const INTAKE_ALERTS_MAX = 10_000;
/** Most labels (and annotations) on one alert, and the longest label value and annotation. */
export const LABELS_MAX = 64;
export const LABEL_VALUE_MAX = 1024;
export const ANNOTATION_MAX = 8192;
/** The longest label or annotation name: Prometheus' own are a few dozen characters, and every view carries them. */
export const NAME_MAX = 256;

/** How to create a silence whose name is refused, which this API cannot force. */
const FORCE_ELSEWHERE =
  'amtool and Grafana cannot force it: to create it anyway, use centinela silence add --force, or POST /api/v1/silences with "force": true';

/** Go's zero time: what Alertmanager's clients send for "not set". */
const NOT_SET = '0001-01-01T00:00:00Z';

const time = z.iso.datetime({ offset: true, message: 'must be an RFC 3339 time, e.g. 2026-05-01T14:00:00Z' });

/** A label name as Prometheus and Alertmanager take one; `__…` names are the sender's own, dropped by posted(). */
const PROMETHEUS_LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

const labelSet = withoutProto(
  'a label name',
  z
    .record(z.string(), z.string().max(LABEL_VALUE_MAX, { message: `must be at most ${LABEL_VALUE_MAX} characters` }))
    .superRefine((l, ctx) => {
      const names = Object.keys(l);
      const long = longName(names, 'label');
      const bad = names.find((n) => !PROMETHEUS_LABEL_NAME.test(n));
      if (long !== undefined) {
        ctx.addIssue({ code: 'custom', message: long });
      } else if (bad !== undefined) {
        const shown = JSON.stringify(bad.slice(0, 100));
        ctx.addIssue({
          code: 'custom',
          message: `${shown} is not a label name: letters, digits and _, not starting with a digit`,
        });
      } else if (names.length > LABELS_MAX) {
        ctx.addIssue({ code: 'custom', message: `has more than ${LABELS_MAX} labels` });
      } else if (!Object.hasOwn(l, 'alertname') || l.alertname === '') {
        ctx.addIssue({ code: 'custom', message: 'needs an alertname label' });
      }
    }),
);

const annotations = withoutProto(
  'an annotation name',
  z
    .record(
      z.string().min(1),
      z.string().max(ANNOTATION_MAX, { message: `must be at most ${ANNOTATION_MAX} characters` }),
    )
    .superRefine((a, ctx) => {
      const names = Object.keys(a);
      const long = longName(names, 'annotation');
      if (long !== undefined) ctx.addIssue({ code: 'custom', message: long });
      else if (names.length > LABELS_MAX)
        ctx.addIssue({ code: 'custom', message: `has more than ${LABELS_MAX} annotations` });
    }),
);

/** A problem naming the first of `names` longer than NAME_MAX by its start, or undefined when none is. */
function longName(names: readonly string[], what: 'label' | 'annotation'): string | undefined {
  const long = names.find((n) => n.length > NAME_MAX);
  if (long === undefined) return undefined;
  return `the ${what} name ${JSON.stringify(`${long.slice(0, 40)}…`)} is longer than ${NAME_MAX} characters: shorten it`;
}

const postableAlert = z
  .object({
    labels: labelSet,
    annotations: annotations.default({}),
    startsAt: time.optional(),
    endsAt: time.optional(),
    generatorURL: z.string().max(2048).optional(),
  })
  .superRefine((a, ctx) => {
    // As Alertmanager refuses it; Go's zero time is "not set".
    const start = setTime(a.startsAt);
    const end = setTime(a.endsAt);
    if (start !== undefined && end !== undefined && end < start) {
      ctx.addIssue({
        code: 'custom',
        path: ['endsAt'],
        message: 'is before startsAt: start time must be before end time',
      });
    }
  });

/** The body's shape, checked first; its alerts are then checked in parts (see parseAlerts). */
const postableAlerts = z
  .array(z.unknown(), { error: 'must be a JSON array of alerts' })
  .max(INTAKE_ALERTS_MAX, { message: `holds more than ${INTAKE_ALERTS_MAX} alerts: send them in several requests` });

/** Alerts of one body checked at a time; between two parts, the event loop runs probes and timers. */
const CHECK_PART = 500;

/** A boolean query parameter as go-openapi writes one. */
const flag = z.enum(['true', 'false'], { message: 'must be true or false' }).transform((v) => v === 'true');
/** A repeated query parameter (`filter=a&filter=b`), or one. */
const many = z.union([z.string(), z.array(z.string())]).transform((v) => (Array.isArray(v) ? v : [v]));

const alertsQuery = z.object({
  active: flag.default(true),
  silenced: flag.default(true),
  inhibited: flag.default(true),
  unprocessed: flag.default(true),
  filter: many.default([]),
  receiver: z.string().optional(),
});

const silencesQuery = z.object({ filter: many.default([]) });

const apiMatcher = z.object({
  name: labelName,
  value: z.string(),
  isRegex: z.boolean(),
  isEqual: z.boolean().default(true),
});

const postableSilence = z.object({
  id: z.string().optional(),
  matchers: z.array(apiMatcher).min(1, { message: 'needs at least one matcher' }),
  startsAt: time,
  endsAt: time,
  createdBy: z.string().trim().min(1, { message: 'needs who is silencing (amtool: --author)' }).max(200),
  comment: z.string().trim().min(1, { message: 'needs a reason (amtool: --comment)' }).max(500),
});

const silenceId = z.object({ silenceID: z.string().min(1).max(200) });

/** What the routes need besides Operations. */
export interface AlertmanagerDeps {
  ops: Operations;
  tokens: () => AccessTokens;
  now: () => number;
  /** When the daemon started (GET /api/v2/status's uptime). */
  startedAt: number;
}

/** Registers the Alertmanager API v2 routes in their own scope, with their own body limit and error answers. */
export async function registerAlertmanagerApi(app: FastifyInstance, d: AlertmanagerDeps): Promise<void> {
  await app.register(async (scope) => {
    scope.setErrorHandler((err: FastifyError, req, reply) => {
      const status = err instanceof ApiError ? err.status : (err.statusCode ?? 500);
      if (status >= 500) req.log.error({ err, url: req.routeOptions.url }, 'request failed');
      const message =
        err instanceof ApiError
          ? err.message
          : status < 500
            ? err.message
            : 'internal error; the centinela log has the detail';
      if (status === 401) reply.header('www-authenticate', 'Bearer realm="centinela"');
      return amError(reply, status, message);
    });
    // JSON as JSON.parse reads it, which keeps a key "__proto__" as a plain key (it sets no prototype): the intake then
    // refuses it naming the label, where fastify's parser refused the whole body as "Object contains forbidden
    // prototype property". Bodies here only reach zod, whose objects are new ones; nothing merges them into another.
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
      try {
        done(null, body === '' ? undefined : JSON.parse(body as string));
      } catch (err) {
        done(new ApiError('INVALID_JSON', `the body is not valid JSON (${(err as Error).message})`));
      }
    });
    // Grafana's Alertmanager data source and its sender may present the token as a basic-auth password.
    const read = { config: { access: 'read' as const, basicAuth: true } };
    const write = { config: { access: 'write' as const, basicAuth: true } };

    // The source's own token is the credential: the route is open to the token check and finds the source itself.
    const intake = { config: { access: 'open' as const, basicAuth: true }, bodyLimit: INTAKE_BODY_MAX };
    scope.post('/api/v2/alerts', intake, async (req) => {
      const source = sourceOf(req, d);
      const alerts = await parseAlerts(req.body);
      const { accepted, refused } = await d.ops.receiveAlerts(source, alerts);
      // A 200 would hide the loss: Prometheus and Grafana log a non-2xx answer with its status line (they retry
      // nothing, and resend every alert at their next evaluation, when room may have been made).
      if (refused > 0) {
        req.log.warn(
          { source, refused, accepted },
          'alerts from a source refused: it has its max_alerts open (alerts.yaml sources[].max_alerts)',
        );
        throw new ApiError(
          'SOURCE_FULL',
          `source "${source}" has its max_alerts open: ${refused} new alerts refused, ${accepted} taken; raise sources[].max_alerts in alerts.yaml or resolve some`,
        );
      }
      return '';
    });

    scope.get('/api/v2/status', read, async () => ({
      cluster: { name: 'centinela', status: 'disabled', peers: [] },
      versionInfo: {
        version: VERSION,
        revision: '',
        branch: '',
        buildUser: '',
        buildDate: '',
        goVersion: '',
      },
      config: { original: 'centinela: routing, receivers and inhibitions are in alerts.yaml and escalation.yaml\n' },
      uptime: new Date(d.startedAt).toISOString(),
    }));

    scope.get('/api/v2/receivers', read, async () => ['P0', 'P1', 'P2', 'P3'].map((name) => ({ name })));

    /** The alerts the query asks for, each with the view it came from. */
    const listed = async (query: unknown) => {
      const q = parseInput(alertsQuery, query, 'query');
      const filter = filterMatchers(q.filter);
      const receiver = q.receiver === undefined ? undefined : receiverRegex(q.receiver);
      const alerts = await d.ops.listAlerts({});
      return alerts
        .filter((a) => matchesAll(filter, matchedLabels(a)) && (!receiver || receiver.testExact(a.priority)))
        .map((view) => ({ view, alert: gettableAlert(view, d.now()) }))
        .filter(({ alert }) => shown(alert.status, q));
    };

    scope.get('/api/v2/alerts', read, async (req) => (await listed(req.query)).map(({ alert }) => alert));

    // Alertmanager's groups are its route's group_by per receiver; centinela's are its rules' group_by per priority.
    scope.get('/api/v2/alerts/groups', read, async (req) => {
      const groups = new Map<string, { labels: Labels; receiver: { name: string }; alerts: GettableAlert[] }>();
      for (const { view, alert } of await listed(req.query)) {
        const labels = view.group ?? { alertname: view.alertname };
        const key = JSON.stringify([view.priority, Object.entries(labels).sort(([a], [b]) => a.localeCompare(b))]);
        const group = groups.get(key) ?? { labels, receiver: { name: view.priority }, alerts: [] };
        groups.set(key, group);
        group.alerts.push(alert);
      }
      return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, group]) => group);
    });

    scope.get('/api/v2/silences', read, async (req) => {
      const filter = filterMatchers(parseInput(silencesQuery, req.query, 'query').filter);
      const silences = await d.ops.listSilences({});
      return silences.filter((s) => matchesAll(filter, equalities(s))).map(gettableSilence);
    });

    scope.post('/api/v2/silences', write, async (req) => {
      const body = parseInput(postableSilence, req.body, 'silence');
      if (body.id !== undefined && body.id !== '') {
        throw new ApiError(
          'BAD_REQUEST',
          'centinela does not change a silence: expire it (amtool silence expire) and add a new one',
        );
      }
      try {
        const silence = await d.ops.addSilence({
          matchers: silenceMatchers(body.matchers),
          startsAt: Math.max(Date.parse(body.startsAt), d.now()),
          endsAt: Date.parse(body.endsAt),
          createdBy: body.createdBy,
          reason: body.comment,
          // Prometheus and Grafana send alerts of any name: one may be silenced before it fires (maintenance).
          ...(d.ops.sources().length > 0 ? { anyAlertname: true } : {}),
        });
        return { silenceID: silence.id };
      } catch (err) {
        // Alertmanager's OpenAPI declares 400 alone for a refused silence; amtool prints its reason only then. A name
        // refused can be forced, but not from here: amtool and Grafana send no "force".
        if (err instanceof ApiError && err.code === 'UNKNOWN_NAME') {
          throw new ApiError('BAD_REQUEST', `${err.message} ${FORCE_ELSEWHERE}`);
        }
        if (err instanceof ApiError && err.status === 422) throw new ApiError('BAD_REQUEST', err.message);
        throw err;
      }
    });

    scope.get('/api/v2/silence/:silenceID', read, async (req) =>
      gettableSilence(await d.ops.getSilence(parseInput(silenceId, req.params, 'params').silenceID)),
    );

    scope.delete('/api/v2/silence/:silenceID', write, async (req, reply) => {
      try {
        const id = parseInput(silenceId, req.params, 'params').silenceID;
        await d.ops.expireSilence(id, 'api (Alertmanager API)');
      } catch (err) {
        // amtool's client declares 200 and 500 alone for an expiry and prints the reason of a 500 only (of a 404 it
        // prints `{}`): a refused expiry (no such silence, already ended) is answered so.
        if (err instanceof ApiError && err.status < 500) return amError(reply, 500, err.message);
        throw err;
      }
      return '';
    });
  });
}

/**
 * The source that sent the request, by its bearer token: a source's own token, or the write token for the source
 * without one. ApiError UNAUTHORIZED otherwise.
 */
function sourceOf(req: FastifyRequest, d: AlertmanagerDeps): string {
  const presented = presentedToken(req);
  const sources = d.ops.sources();
  if (sources.length === 0) {
    throw new ApiError('UNAUTHORIZED', 'alerts.yaml has no sources: add one to take alerts from Prometheus or Grafana');
  }
  if (presented === undefined) {
    throw new ApiError(
      'UNAUTHORIZED',
      'send the source\'s token: "Authorization: Bearer <sources[].token>", or as the basic-auth password',
    );
  }
  const own = sources.find((s) => s.token !== undefined && tokenMatches(presented, s.token));
  if (own) return own.name;
  const write = d.tokens().write;
  const tokenless = sources.find((s) => s.token === undefined);
  if (tokenless && write && tokenMatches(presented, write)) return tokenless.name;
  throw new ApiError('UNAUTHORIZED', 'wrong bearer token: no source of alerts.yaml has it');
}

/**
 * The body's alerts, validated CHECK_PART at a time (10,000 alerts took a few hundred milliseconds at once on a loaded
 * machine: probes' timers waited that long), or a 400 naming every bad field, as one validation of the whole body would.
 */
async function parseAlerts(body: unknown): Promise<PostedAlert[]> {
  const list = parseInput(postableAlerts, body, 'alerts');
  const alerts: PostedAlert[] = [];
  const problems: string[] = [];
  for (let i = 0; i < list.length; i++) {
    if (i > 0 && i % CHECK_PART === 0) await new Promise((resolve) => setImmediate(resolve));
    const checked = checkInput(postableAlert, list[i], `alerts.${i}`);
    if ('problems' in checked) for (const p of checked.problems) problems.push(p);
    else alerts.push(posted(checked.data));
  }
  if (problems.length > 0) throw badRequest(problems);
  return alerts;
}

/**
 * A validated postable alert as the intake takes it: empty label values dropped, and labels named `__…`, which
 * Prometheus reserves for a sender's own use (Grafana sends `__alert_rule_uid__`, its generatorURL names the rule);
 * Go's zero time as not set.
 */
function posted(a: z.output<typeof postableAlert>): PostedAlert {
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(a.labels)) if (v !== '' && !k.startsWith('__')) labels[k] = v;
  const startsAt = setTime(a.startsAt);
  const endsAt = setTime(a.endsAt);
  return {
    labels,
    annotations: a.annotations,
    ...(startsAt !== undefined ? { startsAt } : {}),
    ...(endsAt !== undefined ? { endsAt } : {}),
    ...(a.generatorURL ? { generatorURL: a.generatorURL } : {}),
  };
}

/** A time as epoch ms, or undefined when absent or Go's zero time (not set). */
function setTime(t: string | undefined): number | undefined {
  const ms = t === undefined ? Number.NaN : Date.parse(t);
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

/** The labels a filter sees: the alert's labels plus `priority`, as a silence's matchers see them. */
function matchedLabels(a: AlertView): Labels {
  return { ...a.labels, priority: a.priority };
}

/**
 * Matchers as amtool writes them in `filter` (`alertname="ApiDown"`, `severity=~"crit.*"`, `env!=dev`), or a 400
 * naming the one that is not.
 */
function filterMatchers(filters: readonly string[]): Matcher[] {
  return filters.flatMap((text, i) => {
    const m = /^\s*\{?\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*"|[^"]*?)\s*\}?\s*$/.exec(text);
    if (!m) throw badFilter(i, 'is not a matcher: write name="value", name!="value", name=~"regex" or name!~"regex"');
    const [, label = '', op = '=', written = ''] = m;
    // The pattern above took only a bare value without quote marks or a whole quoted one: unquoted reads either.
    return oneMatcher(label, op as MatchOp, unquoted(written) ?? '', (problem) => badFilter(i, problem));
  });
}

function badFilter(i: number, problem: string): ApiError {
  const message = `query.filter.${i}: ${problem}`;
  return new ApiError('BAD_REQUEST', message, { problems: [message] });
}

/** One matcher, its regex compiled as every matcher of centinela is (anchored). */
function oneMatcher(label: string, op: MatchOp, value: string, bad: (problem: string) => ApiError): Matcher[] {
  const m = compiledMatcher({ label, op, value });
  if ('problem' in m) throw bad(m.problem);
  return [m];
}

/** An Alertmanager silence's matchers as centinela's; centinela keeps one matcher per label. */
function silenceMatchers(matchers: z.output<typeof apiMatcher>[]): Matcher[] {
  const seen = new Set<string>();
  return matchers.flatMap((m, i) => {
    const bad = (problem: string) => {
      const message = `silence.matchers.${i}: ${problem}`;
      return new ApiError('BAD_REQUEST', message, { problems: [message] });
    };
    if (seen.has(m.name))
      throw bad(`a second matcher on ${quoted(m.name)}: a centinela silence has one matcher per label`);
    seen.add(m.name);
    // The value is the value: never re-read for an operator, as the map form reads `=~x` (isEqual with "!=x" is
    // equality with the text "!=x", not a negative matcher).
    const op = m.isRegex ? (m.isEqual ? '=~' : '!~') : m.isEqual ? '=' : '!=';
    return oneMatcher(m.name, op, m.value, bad);
  });
}

/** `receiver=` as the regex of a matcher, held to a matcher's bounds: it is run in the loop as one is. */
function receiverRegex(text: string): Regex {
  const m = compiledMatcher({ label: 'receiver', op: '=~', value: text });
  if ('problem' in m) {
    const message = `query.receiver: ${m.problem}`;
    throw new ApiError('BAD_REQUEST', message, { problems: [message] });
  }
  // A =~ matcher always has its regex.
  return m.regex as Regex;
}

type AlertStatus = { state: 'unprocessed' | 'active' | 'suppressed'; silencedBy: string[]; inhibitedBy: string[] };

type GettableAlert = ReturnType<typeof gettableAlert>;

/** An alert as Alertmanager lists one; its receiver is the level of its priority, its fingerprint its id. */
function gettableAlert(a: AlertView, now: number) {
  const silencedBy = a.suppressedBy.filter((s) => s.kind !== 'inhibited').map((s) => s.id);
  const inhibitedBy = a.suppressedBy.filter((s) => s.kind === 'inhibited').map((s) => s.id);
  const state: AlertStatus['state'] =
    a.state === 'pending' ? 'unprocessed' : a.suppressedBy.length > 0 ? 'suppressed' : 'active';
  const received = a.received;
  const annotations: Labels = received?.annotations ?? { summary: a.summary };
  return {
    labels: a.labels,
    annotations,
    receivers: [{ name: a.priority }],
    fingerprint: a.id,
    startsAt: received?.startsAt ?? a.activeSince ?? new Date(now).toISOString(),
    updatedAt: received?.updatedAt ?? new Date(now).toISOString(),
    endsAt: received?.endsAt ?? NOT_SET,
    status: { state, silencedBy, inhibitedBy } satisfies AlertStatus,
    ...(received?.generatorURL ? { generatorURL: received.generatorURL } : {}),
  };
}

/** Whether an alert's status is among those asked for (active, silenced, inhibited, unprocessed). */
function shown(status: AlertStatus, q: z.output<typeof alertsQuery>): boolean {
  if (status.state === 'unprocessed') return q.unprocessed;
  if (status.state === 'active') return q.active;
  return (q.silenced || status.silencedBy.length === 0) && (q.inhibited || status.inhibitedBy.length === 0);
}

/** The labels a silence's equality matchers name, which `filter` matches silences by (as Alertmanager does). */
function equalities(s: SilenceView): Labels {
  return Object.fromEntries(s.matchers.filter((m) => m.op === '=').map((m) => [m.label, m.value]));
}

function gettableSilence(s: SilenceView) {
  return {
    id: s.id,
    status: { state: s.state },
    updatedAt: s.startsAt,
    matchers: s.matchers.map((m) => ({
      name: m.label,
      value: m.value,
      isRegex: m.op === '=~' || m.op === '!~',
      isEqual: m.op === '=' || m.op === '=~',
    })),
    startsAt: s.startsAt,
    endsAt: s.endsAt,
    createdBy: s.createdBy,
    comment: s.reason,
  };
}

/** An error as Alertmanager answers one: a JSON string with the reason. */
function amError(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply.status(status).header('content-type', 'application/json; charset=utf-8').send(JSON.stringify(message));
}
