// A scriptable HTTP or HTTPS target on loopback port 0 for probe tests: routes answer with JSON, text or a status,
// or run a handler (stream, hang, redirect); every request is recorded with its headers and body.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

/** A canned answer, or a handler that answers itself (or never does). */
export type Reply =
  | { status?: number; headers?: Record<string, string>; json?: unknown; body?: string | Buffer }
  | ((req: IncomingMessage, res: ServerResponse) => void);

/** A request as the target saw it. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface HttpTarget {
  /** `http://127.0.0.1:PORT` (https:// with tls), no trailing slash. */
  url: string;
  port: number;
  server: Server;
  requests: RecordedRequest[];
  /** Sets the answer for `"GET /path"` (that method only) or `"/path"` (any method); replaces an earlier one. */
  route(key: string, reply: Reply): void;
  /** Closes the server and every open connection (including hanging ones). */
  close(): Promise<void>;
}

/** A handler that reads the request and never answers. */
export const hang: Reply = () => {};

/** Starts a target; unrouted paths answer 404 "no route". */
export async function startHttpTarget(
  options: { routes?: Record<string, Reply>; tls?: { key: string; cert: string } } = {},
): Promise<HttpTarget> {
  const routes = new Map<string, Reply>(Object.entries(options.routes ?? {}));
  const requests: RecordedRequest[] = [];
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      requests.push({ method: req.method ?? '', path, headers: req.headers, body: Buffer.concat(chunks).toString() });
      const pathname = path.split('?')[0] ?? path;
      const reply = routes.get(`${req.method} ${pathname}`) ?? routes.get(pathname);
      if (!reply) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('no route');
      } else if (typeof reply === 'function') {
        reply(req, res);
      } else {
        const body = reply.json !== undefined ? JSON.stringify(reply.json) : (reply.body ?? '');
        const type = reply.json !== undefined ? 'application/json' : 'text/plain';
        res.writeHead(reply.status ?? 200, { 'content-type': type, ...reply.headers }).end(body);
      }
    });
  };
  const server: Server = options.tls
    ? (createHttpsServer(options.tls, handle) as unknown as Server)
    : createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    server,
    requests,
    route: (key, reply) => routes.set(key, reply),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
