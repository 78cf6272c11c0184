// Builds centinela's HTTP server (fastify): /metrics, health, the API, the status page, the ack-link pages.
// It never listens by itself: the run command listens, tests use inject() or listen on loopback port 0.
import type { AddressInfo } from 'node:net';
import formbody from '@fastify/formbody';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyListenOptions,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Clock } from '../clock.js';
import { excerpt } from '../excerpt.js';
import { type Reading, t } from '../locale/locale.js';
import { registerAckLink } from './ack-pages.js';
import { registerAlertmanagerApi } from './alertmanager-api.js';
import { incidentQuery, registerApi } from './api.js';
import type { Operations, Replica } from './api-shapes.js';
import {
  type Access,
  type AccessTokens,
  authorize,
  BY_COOKIE,
  cookieValue,
  hasWriteCookie,
  loginName,
  READ_COOKIE,
  tokenMatches,
} from './auth.js';
import { ApiError } from './errors.js';
import { registerHealth } from './health.js';
import { registerHeartbeats } from './heartbeats-api.js';
import { PAGE_CSP, page, STYLESHEET } from './html.js';
import type { Metrics } from './metrics.js';
import { REFRESH_SECONDS, renderLogin, renderStatus, statusScript, statusTitle } from './status-page.js';
import { renderNoTimeline, renderTimeline } from './timeline-page.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route; routes that do not say are treated as writes. */
    access?: Access;
    /** The route also takes the token as a basic-auth password (see presentedToken). */
    basicAuth?: boolean;
  }
}

/**
 * Routes validate their input with zod (parseInput), never with JSON schemas. Given these factories, fastify does not
 * load its default compilers, ajv and fast-json-stringify (about 100 modules the daemon would keep in memory unused);
 * a route declared with a `schema` fails when the server starts.
 */
const noJsonSchemas = () => () => {
  throw new Error('centinela routes validate with zod (parseInput): declare no JSON schema on a route');
};

// Signed ack-link tokens (an HMAC over incident, contact and expiry) are longer than fastify's default 100.
const MAX_PARAM_LENGTH = 2048;

/** What the server needs; `tokens` is read per request so a reload can rotate them. */
export interface ServerDeps {
  log: Logger;
  clock: Clock;
  metrics: Metrics;
  ops: Operations;
  tokens: () => AccessTokens;
  /** The language and time zone of the status page and the ack pages (centinela.yaml), read per request. */
  reading: () => Reading;
  /** Largest request body accepted, in bytes (default 64 KiB: a silence or an ack is a few hundred bytes). */
  bodyLimit?: number;
  /** Which replica this is, with two on PostgreSQL (/readyz and the status page say it); none with SQLite. */
  replica?: () => Replica | undefined;
}

/** Builds the server with every route registered; call `listen` (or `inject`) on the result. */
export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const bodyLimit = deps.bodyLimit ?? 64 * 1024;
  const app = Fastify({
    // pino's Logger is fastify's logger; the cast only bridges their two type declarations.
    loggerInstance: deps.log.child({ component: 'http' }) as FastifyBaseLogger,
    // Per-request lines would log every Prometheus scrape; errors are logged by the handler below.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit,
    return503OnClosing: true,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    schemaController: { compilersFactory: { buildValidator: noJsonSchemas, buildSerializer: noJsonSchemas } },
    // The router's own refusals (a too-long id, bad percent-encoding) would otherwise answer in fastify's shape,
    // echoing the URL.
    frameworkErrors: (err, _req, reply) => sendError(reply, toApiError(err, bodyLimit)),
  });
  await app.register(formbody, { bodyLimit: 8 * 1024 });
  // The API takes JSON only (and forms on the two HTML endpoints); fastify would otherwise accept text/plain.
  app.removeContentTypeParser('text/plain');

  app.addHook('onRequest', async (req) => {
    // No route matched: the 404 says nothing worth guarding.
    if (req.routeOptions.url === undefined) return;
    authorize(req, req.routeOptions.config.access ?? 'write', deps.tokens());
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    const apiError = toApiError(err, bodyLimit);
    if (apiError.code === 'INTERNAL') req.log.error({ err, url: req.routeOptions.url }, 'request failed');
    return sendError(reply, apiError);
  });

  app.setNotFoundHandler((req, reply) => {
    reply.status(404).send({
      error: { code: 'NOT_FOUND', message: `no route ${req.method} ${excerpt(req.url.split('?')[0] ?? '')}` },
    });
  });

  registerHealth(
    app,
    () => deps.ops.readiness(),
    () => deps.replica?.(),
  );

  app.get('/metrics', { config: { access: 'read' } }, async (_req, reply) => {
    const { contentType, body } = await deps.metrics.expose();
    return reply.header('content-type', contentType).send(body);
  });

  registerApi(app, deps.ops, () => deps.clock.now());
  await registerAlertmanagerApi(app, {
    ops: deps.ops,
    tokens: deps.tokens,
    now: () => deps.clock.now(),
    startedAt: deps.clock.now(),
  });
  await registerHeartbeats(app, deps.ops);
  registerAckLink(app, deps.ops, deps.reading);
  registerStatusPage(app, deps);
  return app;
}

function registerStatusPage(app: FastifyInstance, deps: ServerDeps): void {
  const htmlHeaders = {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': PAGE_CSP,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  };

  /** The login form instead of a page, for a browser without read access. */
  const loginPage = (reply: FastifyReply, wrong = false) =>
    reply
      .status(401)
      .headers(htmlHeaders)
      .send(page({ lang: deps.reading().locale, title: 'centinela', body: renderLogin(deps.reading().locale, wrong) }));
  const canRead = (req: FastifyRequest) => {
    try {
      authorize(req, 'read', deps.tokens());
      return true;
    } catch {
      return false;
    }
  };

  // The pages check their read access themselves, so a browser without the token gets the login form, not JSON.
  app.get('/', { config: { access: 'open' } }, async (req, reply) => {
    if (!canRead(req)) return loginPage(reply);
    const view = await deps.ops.status();
    const reading = deps.reading();
    const tokens = deps.tokens();
    const by = loginName(req);
    const viewer = { canAck: hasWriteCookie(req, tokens), ...(by ? { by } : {}) };
    const body = renderStatus(view, deps.clock.now(), reading, viewer, deps.replica?.());
    return reply.headers(htmlHeaders).send(
      page({
        lang: reading.locale,
        title: statusTitle(view, reading.locale),
        body,
        script: '/assets/status.js',
        noscriptRefresh: REFRESH_SECONDS * 3,
      }),
    );
  });

  app.get('/alerts/:id', { config: { access: 'open' } }, async (req, reply) => {
    if (!canRead(req)) return loginPage(reply);
    const reading = deps.reading();
    const { id } = z.object({ id: z.string().min(1).max(200) }).parse(req.params);
    // A page, not the API: a bad or unknown incident number gets the page that says so, not a JSON error.
    const asked = incidentQuery.safeParse({ incident: (req.query as Record<string, unknown>).incident });
    const incident = asked.success ? asked.data.incident : undefined;
    const alert = await (asked.success ? deps.ops.getAlert(id, incident) : Promise.resolve(undefined)).catch(
      (err: unknown) => {
        if (err instanceof ApiError && err.code === 'ALERT_NOT_FOUND') return undefined;
        throw err;
      },
    );
    if (!alert) {
      return reply
        .status(404)
        .headers(htmlHeaders)
        .send(
          page({
            lang: reading.locale,
            title: 'centinela',
            body: renderNoTimeline(id, asked.success ? incident : 'bad', reading.locale),
          }),
        );
    }
    return reply.headers(htmlHeaders).send(
      page({
        lang: reading.locale,
        title: t(reading.locale, 'timeline.title', { alert: alert.alertname }),
        body: renderTimeline(alert, reading),
      }),
    );
  });

  // A login with the write token also lets this browser acknowledge from the status page (see auth.ts); the name
  // given with it is kept for the record of those acknowledgements.
  app.post('/-/login', { config: { access: 'open' } }, async (req, reply) => {
    const form = z
      .object({ token: z.string().max(4096).default(''), by: z.string().trim().max(200).default('') })
      .parse(req.body ?? {});
    const { read, write } = deps.tokens();
    const ok =
      (read !== undefined && tokenMatches(form.token, read)) ||
      (write !== undefined && tokenMatches(form.token, write));
    const json = req.headers.accept === 'application/json';
    if (!ok) {
      if (json) return sendError(reply, new ApiError('UNAUTHORIZED', 'wrong token'));
      return loginPage(reply, true);
    }
    // Behind Caddy the request arrives over plain HTTP; the proxy's header says the browser used https.
    const https = req.protocol === 'https' || req.headers['x-forwarded-proto'] === 'https';
    const attributes = `SameSite=Strict; Max-Age=86400${https ? '; Secure' : ''}`;
    const cookies = [`${READ_COOKIE}=${cookieValue(form.token)}; Path=/; HttpOnly; ${attributes}`];
    if (form.by) cookies.push(`${BY_COOKIE}=${encodeURIComponent(form.by)}; Path=/; ${attributes}`);
    reply.header('set-cookie', cookies);
    return json ? reply.status(204).send() : reply.redirect('/', 303);
  });

  app.get('/assets/centinela.css', { config: { access: 'open' } }, async (_req, reply) =>
    reply.header('content-type', 'text/css; charset=utf-8').header('cache-control', 'max-age=300').send(STYLESHEET),
  );
  app.get('/assets/status.js', { config: { access: 'open' } }, async (_req, reply) =>
    reply
      .header('content-type', 'text/javascript; charset=utf-8')
      .header('cache-control', 'max-age=300')
      .send(statusScript(deps.reading().locale)),
  );
}

/**
 * Listens on `address` without fastify's own "Server listening at http://…" lines, which show the address: it may
 * have come from the environment (CENTINELA_LISTEN), and no message quotes such a value. The caller says where it
 * listens in its own line (run's "centinela running", the standby's), naming the variable instead. Nothing else of
 * the server logs while it binds: no request can come before, and a failure to bind is thrown.
 */
export async function listenQuietly(app: FastifyInstance, address: FastifyListenOptions): Promise<void> {
  const level = app.log.level;
  app.log.level = 'silent';
  try {
    await app.listen(address);
  } finally {
    app.log.level = level;
  }
}

/** `http://host:port` of a listening server (IPv6 hosts in brackets). */
export function listeningUrl(app: FastifyInstance): string {
  const a = app.server.address() as AddressInfo;
  return `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
}

/** Answers `{ error: { code, message, details? } }` with the code's status. */
function sendError(reply: FastifyReply, apiError: ApiError): FastifyReply {
  const error: Record<string, unknown> = { code: apiError.code, message: apiError.message };
  if (apiError.details !== undefined) error.details = apiError.details;
  if (apiError.code === 'UNAUTHORIZED') reply.header('www-authenticate', 'Bearer realm="centinela"');
  if (apiError.code === 'RATE_LIMITED') reply.header('retry-after', '1');
  return reply.status(apiError.status).send({ error });
}

/** Maps whatever a request threw to the API's error shape; fastify's own 4xx keep their meaning. */
function toApiError(err: FastifyError, bodyLimit: number): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof z.ZodError) return new ApiError('BAD_REQUEST', err.issues.map((i) => i.message).join('; '));
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError('PAYLOAD_TOO_LARGE', `the body is larger than the server accepts (${bodyLimit} bytes)`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError('UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ApiError('INVALID_JSON', 'the body is empty but says it is JSON: send a JSON object, e.g. {}');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new ApiError('URI_TOO_LONG', `a path parameter is longer than ${MAX_PARAM_LENGTH} characters`);
    case 'FST_ERR_BAD_URL':
      return new ApiError('BAD_REQUEST', 'the URL is not valid (check its percent-encoding)');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new ApiError('INVALID_JSON', `the body is not valid JSON (${err.message})`);
  }
  if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
    return new ApiError('BAD_REQUEST', err.message);
  }
  return new ApiError('INTERNAL', 'internal error; the centinela log has the detail');
}
