// A throwaway redis-server for one test: on a free loopback port (or a given one, to restart "the same" server),
// with a password, TLS or any other setting; stopped (and waited for) by the test.
import { type ChildProcess, spawn } from 'node:child_process';
import { freePort } from './tcp-target.js';

/** The machine's shared Redis (tests use their own key prefix there and delete what they wrote). */
export const sharedRedisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A running redis-server started by a test. */
export interface TestRedisServer {
  port: number;
  /** The redis-server process (SIGSTOP it to make a server that hangs). */
  pid: number;
  /** redis:// (rediss:// with tls) URL without credentials. */
  url: string;
  /** Stops the server and waits for the process to exit. */
  stop(): Promise<void>;
}

export interface TestRedisOptions {
  /** Listen here instead of a free port (to start a server again where a stopped one was). */
  port?: number;
  /** requirepass */
  password?: string;
  /** Serve TLS only, with this certificate and key (clients are not asked for certificates). */
  tls?: { certFile: string; keyFile: string };
  /** Further settings, e.g. { maxmemory: '2mb', 'maxmemory-policy': 'allkeys-lru' }. */
  settings?: Record<string, string>;
}

/** Starts redis-server in the foreground and resolves once it accepts connections. */
export async function startRedisServer(options: TestRedisOptions = {}): Promise<TestRedisServer> {
  const port = options.port ?? (await freePort());
  const args = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--dir', '/tmp'];
  if (options.tls) {
    args.push('--port', '0', '--tls-port', String(port), '--tls-cert-file', options.tls.certFile);
    args.push('--tls-key-file', options.tls.keyFile, '--tls-ca-cert-file', options.tls.certFile);
    args.push('--tls-auth-clients', 'no');
  } else {
    args.push('--port', String(port));
  }
  if (options.password !== undefined) args.push('--requirepass', options.password);
  for (const [key, value] of Object.entries(options.settings ?? {})) args.push(`--${key}`, value);
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  await ready(child, port);
  return {
    port,
    pid: child.pid ?? 0,
    url: `${options.tls ? 'rediss' : 'redis'}://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) {
          resolve();
          return;
        }
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

function ready(child: ChildProcess, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        child.stdout?.off('data', onData);
        child.off('exit', onExit);
        child.stdout?.resume();
        resolve();
      }
    };
    const onExit = (code: number | null) =>
      reject(new Error(`redis-server on port ${port} exited (${code}) before it was ready:\n${output.slice(-2000)}`));
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', onExit);
  });
}
