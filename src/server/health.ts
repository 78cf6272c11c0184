// Liveness and readiness: /healthz says the process answers, /readyz says it is doing its job (Docker HEALTHCHECK).
import type { FastifyInstance } from 'fastify';
import type { Readiness, Replica } from './api-shapes.js';
import { ApiError } from './errors.js';

const PARTS: Record<keyof Readiness, string> = {
  config: 'config not loaded',
  store: 'state store not open, or PostgreSQL does not answer',
  scheduler: 'scheduler not running',
};

/**
 * Registers /healthz and /readyz; `readiness` and `replica` are asked on every call. With two replicas (PostgreSQL),
 * /readyz says the role and the term; a standby is ready without a scheduler (it runs none: it serves reads from
 * its copy of the state, which must be current, and forwards writes).
 */
export function registerHealth(
  app: FastifyInstance,
  readiness: () => Readiness,
  replica: () => Replica | undefined,
): void {
  app.get('/healthz', { config: { access: 'open' } }, async () => ({ status: 'alive' }));
  app.get('/readyz', { config: { access: 'open' } }, async () => {
    const checks = readiness();
    const r = replica();
    const role = r ? { role: r.role, ...(r.term !== undefined ? { term: r.term } : {}) } : {};
    const needed = (Object.keys(PARTS) as (keyof Readiness)[]).filter(
      (k) => !(k === 'scheduler' && r?.role === 'standby'),
    );
    const missing = needed.filter((k) => !checks[k]);
    if (missing.length > 0) {
      throw new ApiError('NOT_READY', `not ready: ${missing.map((k) => PARTS[k]).join(', ')}`, { checks, ...role });
    }
    return { status: 'ready', ...role, checks };
  });
}
