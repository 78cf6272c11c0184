// HTTP API v1 (docs/api.md): alerts and their acknowledgement, silences, maintenance windows, config reload.
// Every body, query and parameter is validated with a strict zod schema; a problem is a 400 naming the field.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { duration, name, priority, withOwnValue } from '../config/primitives.js';
import { excerpt, firstOf, quoted } from '../excerpt.js';
import { eitherForm, type MatcherFields, matcherList, readMatcher } from '../matchers.js';
import { silenceTimes } from '../rules/silences.js';
import { CLIENT_HEADER, type Operations, OUTPUT_MAX } from './api-shapes.js';
import { PAGE_HEADER } from './auth.js';
import { ApiError, badRequest } from './errors.js';

const who = z.string().trim().min(1, { message: 'must not be empty' }).max(200);
const text = (max: number) => z.string().trim().min(1, { message: 'must not be empty' }).max(max);
const instant = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 time, e.g. 2026-05-01T14:00:00Z' });
const id = z.strictObject({ id: z.string().min(1).max(200) });

/** `?incident=7`: one incident of the alert (the status page lists their numbers); its current one when absent. */
export const incidentQuery = z.strictObject({
  incident: z
    .string()
    .regex(/^[1-9][0-9]{0,14}$/, { message: 'must be an incident number, e.g. 7' })
    .transform(Number)
    .optional(),
});

const alertQuery = z.strictObject({
  state: z.enum(['pending', 'firing', 'resolved'], { message: 'must be pending, firing or resolved' }).optional(),
  priority: priority.optional(),
  alertname: z.string().min(1).optional(),
  /** `match=alertname=ApiDown&match=priority=~P0|P1`: matchers as amtool and silences write them; all must hold. */
  match: z
    .union([z.string(), z.array(z.string())])
    .transform((given, ctx) => {
      const list: MatcherFields[] = [];
      for (const [i, text] of (typeof given === 'string' ? [given] : given).entries()) {
        const read = readMatcher(text);
        if ('matcher' in read) list.push(read.matcher);
        else ctx.addIssue({ code: 'custom', path: typeof given === 'string' ? [] : [i], message: read.problem });
      }
      return list;
    })
    .pipe(matcherList)
    .optional(),
});

const ackBody = z.strictObject({ by: who.default('api'), comment: text(2000).optional() });

const silenceBody = z
  .strictObject({
    matchers: eitherForm.refine((m) => m.length > 0, {
      message: 'needs at least one matcher, e.g. { "alertname": "ApiDown" }',
    }),
    for: duration.optional(),
    startsAt: instant.optional(),
    endsAt: instant.optional(),
    by: who,
    reason: text(500),
    /** Create it even though a matcher names an alert or a probe the config does not have. */
    force: z.boolean().default(false),
  })
  .refine((b) => (b.for === undefined) !== (b.endsAt === undefined), {
    message: 'give exactly one of "for" (a duration like 10m) and "endsAt" (an ISO time)',
    path: ['for'],
  });

const silenceQuery = z.strictObject({
  state: z.enum(['pending', 'active', 'expired'], { message: 'must be pending, active or expired' }).optional(),
});
const maintenanceQuery = z.strictObject({
  state: z.enum(['open', 'closed'], { message: 'must be open or closed' }).optional(),
});

const byBody = z.strictObject({ by: who.default('api') }).default({ by: 'api' });

const maintenanceBody = z
  .strictObject({
    probes: z.array(name).min(1, { message: 'name at least one probe whose recovery ends the window' }),
    /** Which alerts it holds back; every alert when omitted (a deploy restarts the whole stack). */
    match: eitherForm.optional(),
    max: duration.refine((ms) => ms > 0, { message: 'must be longer than 0s' }),
    /** A probe that has not failed counts as back only after this long (default 2m): cover the deploy with it. */
    settle: duration.optional(),
    reason: text(500),
    by: who.default('api'),
    /** Open it even though `match` names an alert or a probe the config does not have. */
    force: z.boolean().default(false),
    /** The deploy is a rollback (shown on the status page and in the window). */
    rollback: z.boolean().default(false),
    /** A held alert firing longer than this pages before max: the deploy's downtime budget. */
    budget: duration.optional(),
  })
  .refine((b) => b.settle === undefined || b.settle <= b.max, {
    message: 'must not be longer than max (the window would end before it could settle)',
    path: ['settle'],
  })
  .refine((b) => b.budget === undefined || (b.budget > 0 && b.budget <= b.max), {
    message: 'must be longer than 0s and no longer than max (past max the window pages anyway)',
    path: ['budget'],
  });

/** The deploy command's last output lines; the first with `ended` also says the command has finished. */
const outputBody = z.strictObject({
  output: z.string().max(OUTPUT_MAX, { message: `must be at most ${OUTPUT_MAX} characters: send the last lines` }),
  ended: z.boolean().default(false),
});

/** Validates `value` (the request's body, query or params) or throws a 400 that names each bad field. */
export function parseInput<T extends z.ZodType>(schema: T, value: unknown, where: string): z.output<T> {
  const checked = checkInput(schema, value, where);
  if ('problems' in checked) throw badRequest(checked.problems);
  return checked.data;
}

/** Validates `value` as parseInput does, returning its problems (each naming its field under `where`) instead. */
export function checkInput<T extends z.ZodType>(
  schema: T,
  value: unknown,
  where: string,
): { data: z.output<T> } | { problems: string[] } {
  const result = schema.safeParse(value);
  if (result.success) return { data: result.data };
  const problems = result.error.issues.map((issue) => {
    // A key of a map (matchers, labels) is the request's: cut as what it sent is.
    const path = [where, ...issue.path.map((key) => excerpt(String(key), KEY_CHARS))].join('.');
    // Each key quoted and cut as the API quotes what it was sent (an 8,000-character key made a refusal of 16 KB,
    // the fuzz run's one crash), ten of them at most.
    if (issue.code === 'unrecognized_keys') return `${path}: unknown key ${firstOf(issue.keys, (k) => quoted(k))}`;
    const given = valueAt(value, issue.path);
    if (issue.code === 'invalid_type' && given === undefined) return `${path}: is required`;
    return `${path}: ${withOwnValue(issue, given)}`;
  });
  return { problems };
}

/** The characters of a key a field's path shows at most. */
const KEY_CHARS = 100;

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let v = value;
  for (const key of path)
    v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[key] : undefined;
  return v;
}

/**
 * `write()`, a refusal of a name it makes (UNKNOWN_NAME) told with how to go ahead anyway from here: the body's
 * "force", or the CLI's --force, which sends it.
 */
async function forcible<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (!(err instanceof ApiError) || err.code !== 'UNKNOWN_NAME') throw err;
    const hint = 'To create it anyway, force it ("force": true in the API, --force on the centinela command line)';
    throw new ApiError('UNKNOWN_NAME', `${err.message} ${hint}`);
  }
}

/** Registers the /api/v1 routes and POST /-/reload. */
export function registerApi(app: FastifyInstance, ops: Operations, now: () => number): void {
  const read = { config: { access: 'read' as const } };
  const write = { config: { access: 'write' as const } };

  app.get('/api/v1/alerts', read, async (req) => ({
    alerts: await ops.listAlerts(parseInput(alertQuery, req.query, 'query')),
  }));

  app.get('/api/v1/alerts/:id', read, async (req) => ({
    alert: await ops.getAlert(
      parseInput(id, req.params, 'params').id,
      parseInput(incidentQuery, req.query, 'query').incident,
    ),
  }));

  app.post('/api/v1/alerts/:id/ack', { config: { access: 'ack' as const } }, async (req) => {
    // No body is an empty one; a JSON `null` is a body that is not an object.
    const body = parseInput(ackBody, req.body === undefined ? {} : req.body, 'body');
    // authorize() let a request without a bearer token through only with the status page's header and login cookie.
    const via =
      req.headers.authorization === undefined && req.headers[PAGE_HEADER] === 'ack'
        ? 'page'
        : req.headers[CLIENT_HEADER] === 'cli'
          ? 'cli'
          : 'api';
    const ack = await ops.ack(parseInput(id, req.params, 'params').id, { ...body, via });
    return { ack };
  });

  app.get('/api/v1/silences', read, async (req) => ({
    silences: await ops.listSilences(parseInput(silenceQuery, req.query, 'query')),
  }));

  app.post('/api/v1/silences', write, async (req, reply) => {
    const body = parseInput(silenceBody, req.body, 'body');
    const startsAt = body.startsAt ? Date.parse(body.startsAt) : now();
    const endsAt = body.endsAt ? Date.parse(body.endsAt) : startsAt + (body.for ?? 0);
    const times = silenceTimes(startsAt, endsAt, now());
    if (times) {
      const problem = `body.${times.field}: ${times.problem}`;
      throw new ApiError('BAD_REQUEST', problem, { problems: [problem] });
    }
    const silence = await forcible(() =>
      ops.addSilence({
        matchers: body.matchers,
        startsAt,
        endsAt,
        createdBy: body.by,
        reason: body.reason,
        force: body.force,
      }),
    );
    reply.status(201);
    return { silence };
  });

  app.post('/api/v1/silences/:id/expire', write, async (req) => {
    const { by } = parseInput(byBody, req.body, 'body');
    return { silence: await ops.expireSilence(parseInput(id, req.params, 'params').id, by) };
  });

  app.get('/api/v1/maintenance', read, async (req) => ({
    windows: await ops.listMaintenance(parseInput(maintenanceQuery, req.query, 'query')),
  }));

  app.post('/api/v1/maintenance', write, async (req, reply) => {
    const body = parseInput(maintenanceBody, req.body, 'body');
    const window = await forcible(() =>
      ops.startMaintenance({
        probes: body.probes,
        ...(body.match && body.match.length > 0 ? { match: body.match } : {}),
        maxMs: body.max,
        ...(body.settle !== undefined ? { settleMs: body.settle } : {}),
        reason: body.reason,
        openedBy: body.by,
        force: body.force,
        rollback: body.rollback,
        ...(body.budget !== undefined ? { budgetMs: body.budget } : {}),
      }),
    );
    reply.status(201);
    return { window };
  });

  app.get('/api/v1/maintenance/:id', read, async (req) => ({
    window: await ops.getMaintenance(parseInput(id, req.params, 'params').id),
  }));

  app.post('/api/v1/maintenance/:id/output', write, async (req) => {
    const body = parseInput(outputBody, req.body, 'body');
    return { window: await ops.recordMaintenanceOutput(parseInput(id, req.params, 'params').id, body) };
  });

  app.post('/api/v1/maintenance/:id/end', write, async (req) => {
    const { by } = parseInput(byBody, req.body, 'body');
    return { window: await ops.endMaintenance(parseInput(id, req.params, 'params').id, by) };
  });

  app.post('/-/reload', write, async () => ops.reload());
}
