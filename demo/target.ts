// A simulated GRUPO_GAD production API for the demo, the end-to-end tests and the daemon bench: the health JSON,
// a Prometheus /metrics with a moving request histogram and counter, /ws/stats, a WebSocket, and a fault switch.
//
//   GET  /api/v1/health   {"status":"healthy","environment":"demo"}        (503 {"status":"unhealthy"} when down)
//   GET  /metrics         http_request_duration_seconds{handler,method} histogram, http_requests_total{handler,method,status}
//   GET  /ws/stats        {"active_connections", "total_messages_sent", "total_broadcasts", "last_broadcast_at"}
//   GET  /ws              WebSocket (answers pings)
//   POST /fault           {"mode":"down"|"slow"|"errors"|"killed"|"unhealthy"|"stalled"|"none"} (or ?mode=...):
//                         down = every endpoint answers 503, slow = P95 latency ≈ 0.8 s, errors = 10 % of requests
//                         5xx (the `errorRate` option), killed = every connection is reset as by a dead process (the
//                         WebSocket too), unhealthy = only the health endpoint answers 503 (the stack's health checks
//                         counted as 2.5 % of 5xx), stalled = everything answers but the broadcaster stops
//                         (last_broadcast_at no longer moves); GET /fault shows the mode
//
// Traffic is simulated without timers: each scrape of /metrics first adds the requests (≈ `rps` per second) that
// "happened" since the previous scrape, with latencies and statuses drawn for the current fault mode. A fault switch
// first adds those of the mode it ends, so a fault (or a spike of a few seconds) covers the requests of its own time,
// not the whole interval since the previous scrape.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { Counter, Histogram, Registry } from 'prom-client';
import { WebSocketServer } from 'ws';
import { type Clock, systemClock } from '../src/clock.js';

export const FAULT_MODES = ['none', 'down', 'slow', 'errors', 'killed', 'unhealthy', 'stalled'] as const;
export type FaultMode = (typeof FAULT_MODES)[number];

export interface DemoTarget {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  url: string;
  port: number;
  readonly fault: FaultMode;
  setFault(mode: FaultMode): void;
  close(): Promise<void>;
}

const HANDLERS = ['/api/v1/tasks', '/api/v1/users', '/api/v1/emergencies'];
// Simulated requests are capped per scrape so a long pause between scrapes cannot stall the target.
const MAX_SIMULATED_PER_SCRAPE = 20_000;

/** Draws a latency (seconds) for the mode: a log-normal around 60 ms, or around 700 ms when slow. */
function latency(mode: FaultMode, random: () => number): number {
  const median = mode === 'slow' ? 0.7 : 0.06;
  const normal = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return median * Math.exp(0.35 * normal);
}

/** Starts the target on `host:port` (loopback, port 0 = any free port). */
export async function startDemoTarget(
  opts: { host?: string; port?: number; clock?: Clock; rps?: number; errorRate?: number; random?: () => number } = {},
): Promise<DemoTarget> {
  const clock = opts.clock ?? systemClock;
  const random = opts.random ?? Math.random;
  const rps = opts.rps ?? 10;
  const failing: Partial<Record<FaultMode, number>> = { errors: opts.errorRate ?? 0.1, unhealthy: 0.025 };
  let mode: FaultMode = 'none';
  const registry = new Registry();
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Request duration',
    labelNames: ['handler', 'method'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10],
    registers: [registry],
  });
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'Requests by handler, method and status class',
    labelNames: ['handler', 'method', 'status'],
    registers: [registry],
  });
  let simulatedUntil = clock.now();
  let carry = 0;
  const ws = { messages: 1500, broadcasts: 50, lastBroadcastAt: clock.now() };

  const simulate = () => {
    const now = clock.now();
    const due = ((now - simulatedUntil) / 1000) * rps + carry;
    simulatedUntil = now;
    const count = Math.min(MAX_SIMULATED_PER_SCRAPE, Math.floor(due));
    carry = due - Math.floor(due);
    for (let i = 0; i < count; i++) {
      const handler = HANDLERS[Math.floor(random() * HANDLERS.length)] ?? '/api/v1/tasks';
      const failed = random() < (failing[mode] ?? 0.002);
      duration.observe({ handler, method: 'GET' }, latency(mode, random));
      requests.inc({ handler, method: 'GET', status: failed ? '5xx' : '2xx' });
    }
    ws.messages += count;
    if (count > 0 && mode !== 'down' && mode !== 'stalled') {
      ws.broadcasts += Math.max(1, Math.floor(count / 30));
      ws.lastBroadcastAt = now;
    }
  };

  /** The requests until now were made in the mode that ends here. */
  const switchTo = (next: FaultMode) => {
    simulate();
    mode = next;
    // A dead process drops its open sockets too.
    if (next === 'killed') for (const client of wss.clients) client.terminate();
  };

  const json = (res: ServerResponse, status: number, body: unknown) =>
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

  const handle = async (req: IncomingMessage, res: ServerResponse, body: string) => {
    const url = new URL(req.url ?? '/', 'http://target');
    if (url.pathname === '/fault') {
      if (req.method === 'POST') {
        let wanted = url.searchParams.get('mode');
        if (!wanted && body) {
          try {
            wanted = (JSON.parse(body) as { mode?: string }).mode ?? null;
          } catch {
            return json(res, 400, { error: 'body must be JSON like {"mode":"down"}' });
          }
        }
        if (!FAULT_MODES.includes(wanted as FaultMode)) {
          return json(res, 400, { error: `mode must be one of ${FAULT_MODES.join(', ')}` });
        }
        switchTo(wanted as FaultMode);
      }
      return json(res, 200, { mode });
    }
    if (mode === 'down') return json(res, 503, { status: 'unhealthy', detail: 'upstream unavailable' });
    switch (url.pathname) {
      case '/api/v1/health':
        if (mode === 'unhealthy') return json(res, 503, { status: 'unhealthy', detail: 'database check failed' });
        return json(res, 200, { status: 'healthy', environment: 'demo' });
      case '/metrics':
        simulate();
        return res.writeHead(200, { 'content-type': registry.contentType }).end(await registry.metrics());
      case '/ws/stats':
        simulate();
        return json(res, 200, {
          active_connections: 8 + Math.floor(random() * 5),
          total_messages_sent: ws.messages,
          total_broadcasts: ws.broadcasts,
          last_broadcast_at: new Date(ws.lastBroadcastAt).toISOString(),
        });
      default:
        return json(res, 404, { detail: 'Not Found' });
    }
  };

  const server = createServer((req, res) => {
    // The fault switch stays reachable, so a killed API can be brought back.
    if (mode === 'killed' && new URL(req.url ?? '/', 'http://target').pathname !== '/fault') {
      req.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      handle(req, res, Buffer.concat(chunks).toString()).catch((err: Error) => json(res, 500, { error: err.message }));
    });
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    if (mode === 'killed') {
      socket.destroy();
      return;
    }
    if (mode === 'down' || new URL(req.url ?? '/', 'http://target').pathname !== '/ws') {
      socket.end('HTTP/1.1 503 Service Unavailable\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (client) => client.on('message', (m) => client.send(m)));
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    port,
    get fault() {
      return mode;
    },
    setFault: switchTo,
    async close() {
      for (const client of wss.clients) client.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// Run on its own: `npx tsx demo/target.ts [--port 8000]`.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const at = process.argv.indexOf('--port');
  const target = await startDemoTarget({ port: at > 0 ? Number(process.argv[at + 1]) : 8000 });
  console.log(
    `demo target on ${target.url}: /api/v1/health /metrics /ws/stats /ws; break it with\n` +
      `  curl -X POST '${target.url}/fault?mode=down'   (modes: ${FAULT_MODES.join(', ')})`,
  );
  process.on('SIGINT', () => void target.close().then(() => process.exit(0)));
}
