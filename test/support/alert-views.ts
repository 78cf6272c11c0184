// The alert views the server's pages render, built for rendering tests: a firing P0 ApiDown paged to cto by email,
// started `activeSince`, with any field replaced.
import type { AlertView } from '../../src/server/api-shapes.js';

/** An AlertView of ApiDown (id a1) that fires since `activeSince`, with `over` laid on top. */
export function alertView(activeSince: string, over: Partial<AlertView> = {}): AlertView {
  return {
    id: 'a1',
    alertname: 'ApiDown',
    labels: { probe: 'api_health' },
    priority: 'P0',
    state: 'firing',
    value: 0,
    threshold: 1,
    op: '<',
    summary: 'API down',
    activeSince,
    flapping: false,
    suppressedBy: [],
    paged: ['cto'],
    deliveries: [{ contact: 'cto', channel: 'email', status: 'sent', at: activeSince, attempts: 1 }],
    notDelivered: false,
    ...over,
  };
}
