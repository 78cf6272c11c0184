// Liveness and readiness: /healthz says the process answers, /readyz says it is doing its job (Docker HEALTHCHECK).
import type { FastifyInstance } from 'fastify';
import type { Readiness } from './api-shapes.js';
import { ApiError } from './errors.js';

const PARTS: Record<keyof Readiness, string> = {
  config: 'config not loaded',
  store: 'state store not open',
  scheduler: 'scheduler not running',
};

/** Registers /healthz and /readyz; `readiness` is asked on every call. */
export function registerHealth(app: FastifyInstance, readiness: () => Readiness): void {
  app.get('/healthz', { config: { access: 'open' } }, async () => ({ status: 'alive' }));
  app.get('/readyz', { config: { access: 'open' } }, async () => {
    const checks = readiness();
    const missing = (Object.keys(PARTS) as (keyof Readiness)[]).filter((k) => !checks[k]);
    if (missing.length > 0) {
      throw new ApiError('NOT_READY', `not ready: ${missing.map((k) => PARTS[k]).join(', ')}`, { checks });
    }
    return { status: 'ready', checks };
  });
}
