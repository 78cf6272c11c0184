// Push heartbeats (docs/api.md "Heartbeats"): a job pings POST /api/v1/heartbeats/<name> with the write token, or
// /api/v1/heartbeats/<name>/<secret> with the probe's own secret, and adds /fail when it failed. The body of a ping is
// taken as plain text whatever its content type (`curl --data-binary @log`), since it is only kept as detail.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Operations } from './api-shapes.js';
import { tokenMatches } from './auth.js';
import { ApiError } from './errors.js';

/** Registers the ping routes in their own scope, whose body parser reads any content type as text. */
export async function registerHeartbeats(app: FastifyInstance, ops: Operations): Promise<void> {
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
    const write = { config: { access: 'write' as const } };
    // The secret in the URL is the credential: the route is open to the token check and checks the secret itself.
    const bySecret = { config: { access: 'open' as const } };

    const ping = (ok: boolean) => async (req: FastifyRequest) => ({
      heartbeat: await ops.ping(nameOf(req), { ok, ...(ok ? {} : { body: bodyOf(req) }) }),
    });
    const pingBySecret = (ok: boolean) => async (req: FastifyRequest) => {
      const name = nameOf(req);
      const expected = ops.heartbeatSecret(name);
      const given = (req.params as { secret: string }).secret;
      if (expected === undefined) {
        throw new ApiError(
          'UNAUTHORIZED',
          `heartbeat "${name}" has no secret: set secret: \${…} on the probe, or ping /api/v1/heartbeats/${name} with the write token`,
        );
      }
      if (!tokenMatches(given, expected)) throw new ApiError('UNAUTHORIZED', `wrong secret for heartbeat "${name}"`);
      return ping(ok)(req);
    };

    scope.post('/api/v1/heartbeats/:name', write, ping(true));
    scope.post('/api/v1/heartbeats/:name/fail', write, ping(false));
    scope.post('/api/v1/heartbeats/:name/:secret', bySecret, pingBySecret(true));
    scope.post('/api/v1/heartbeats/:name/:secret/fail', bySecret, pingBySecret(false));
  });
}

function nameOf(req: FastifyRequest): string {
  return (req.params as { name: string }).name;
}

function bodyOf(req: FastifyRequest): string | undefined {
  return typeof req.body === 'string' ? req.body : undefined;
}
