// A TCP proxy on loopback between centinela and PostgreSQL, to cut one process off the database and let it back:
// `cut()` destroys every connection through it (both ends see them close, so the server ends those sessions and
// their advisory locks) and refuses new ones; `restore()` accepts again on the same port; `stall()` forwards nothing
// more and closes nothing, as a network that drops packets. Real sockets, no mock.
import { connect, createServer, type Server, type Socket } from 'node:net';

/** A proxy to one upstream TCP address. */
export interface TcpProxy {
  /** The port it listens on (127.0.0.1), the same after a restore. */
  readonly port: number;
  /** `url` with its host and port replaced by the proxy's. */
  through(url: string): string;
  /** Destroys every connection and stops listening: new connections are refused until restore(). */
  cut(): Promise<void>;
  /** Forwards nothing more, in either direction, on the connections open now or made later, and closes none. */
  stall(): void;
  /** Holds what the server sends on the connections open now (the client hears nothing), until release(). */
  holdAnswers(): void;
  /** Forwards what holdAnswers() held, in one write, and what comes after. */
  release(): void;
  /** Listens again on the same port. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

/** Starts a proxy to `host:port`. */
export async function startTcpProxy(host: string, port: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const pairs = new Set<[Socket, Socket]>();
  let stalled = false;
  const track = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  };
  const make = (): Server =>
    createServer((down) => {
      track(down);
      const up = connect(port, host);
      track(up);
      if (!stalled) down.pipe(up).pipe(down);
      const pair: [Socket, Socket] = [down, up];
      pairs.add(pair);
      down.on('close', () => pairs.delete(pair));
      // Either end failing or closing ends both: the server sees the client go, and the client the server.
      for (const [a, b] of [
        [down, up],
        [up, down],
      ] as const) {
        a.on('error', () => b.destroy());
        a.on('close', () => b.destroy());
      }
    });
  const listen = (server: Server, on: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(on, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
    });
  let server: Server | undefined = make();
  const bound = await listen(server, 0);
  const stop = async () => {
    const s = server;
    server = undefined;
    for (const socket of sockets) socket.destroy();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  return {
    port: bound,
    through(url) {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(bound);
      return u.toString();
    },
    cut: stop,
    holdAnswers() {
      for (const [down, up] of pairs) {
        up.unpipe(down);
        up.pause();
      }
    },
    release() {
      for (const [down, up] of pairs) {
        // One write, so the client reads all that was held in one go, as a process that reads late does: forwarded
        // chunk by chunk, a loaded machine can deliver the first alone.
        const held: Buffer | null = up.read();
        if (held) down.write(held);
        up.pipe(down);
      }
    },
    stall() {
      stalled = true;
      for (const [down, up] of pairs) {
        down.unpipe(up);
        up.unpipe(down);
        down.pause();
        up.pause();
      }
    },
    async restore() {
      if (server) return;
      server = make();
      await listen(server, bound);
    },
    close: stop,
  };
}
