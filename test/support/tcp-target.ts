// Raw TCP targets on loopback for probe failure tests (and the probe conformance suite): one that accepts and never
// answers, one that answers junk and keeps the connection, one that answers junk and closes; and free ports for
// servers a test starts itself (redis-server, a throwaway PostgreSQL).
import { createServer, type Server, type Socket } from 'node:net';

/** A listening TCP target. */
export interface TcpTarget {
  port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Resolves once a first connection has been accepted. */
  untilConnected(): Promise<void>;
  /** Resolves once every accepted connection has been closed (by the client). */
  untilNoConnections(): Promise<void>;
  /** Stops listening and destroys every open connection. */
  close(): Promise<void>;
}

/**
 * `hang` accepts and reads but never writes. `junk` answers every connection at once with `junk` bytes (default: an
 * HTTP error page) and keeps it open, so a client that waits for more is not rescued by a close. `junk-close`
 * answers the same and closes.
 */
export async function startTcpTarget(
  behaviour: 'hang' | 'junk' | 'junk-close',
  junk: string | Buffer = 'HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain\r\n\r\nnot what you expected\r\n',
): Promise<TcpTarget> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const whenEmpty: (() => void)[] = [];
  let markConnected = () => {};
  const connected = new Promise<void>((resolve) => {
    markConnected = resolve;
  });
  const server: Server = createServer((socket) => {
    accepted++;
    markConnected();
    sockets.add(socket);
    socket.on('close', () => {
      sockets.delete(socket);
      if (sockets.size === 0) for (const resolve of whenEmpty.splice(0)) resolve();
    });
    socket.on('error', () => {});
    socket.resume();
    if (behaviour === 'junk') socket.write(junk);
    if (behaviour === 'junk-close') socket.end(junk);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('TCP target has no port');
  return {
    port: address.port,
    get accepted() {
      return accepted;
    },
    untilConnected: () => connected,
    untilNoConnections: () =>
      sockets.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => whenEmpty.push(resolve)),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A loopback port nothing listens on right now (the OS's pick, released before returning). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}
