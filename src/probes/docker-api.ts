// Talking to the Docker Engine API through dockerode: connection options from an endpoint, GET calls that honour
// the run's AbortSignal, a container's log read line by line, and the reasons a probe gives when the Engine fails.
import type { IncomingMessage } from 'node:http';
import { addAbortSignal } from 'node:stream';
import type Docker from 'dockerode';
import type { z } from 'zod';
import { loadPackage } from '../load-package.js';
import { FrameDecoder, LineAssembler, LogFormatError } from './docker-logs.js';
import { abortReason, describeFailure, endpointOf } from './net-failure.js';

/**
 * Where the Engine listens when the config does not say. DOCKER_HOST is followed by writing
 * `endpoint: ${DOCKER_HOST:-unix:///var/run/docker.sock}`: the config loader fills it from the environment main
 * hands it, so create() always receives the endpoint it is to use.
 */
export const DEFAULT_ENDPOINT = 'unix:///var/run/docker.sock';

/**
 * A dockerode client for `endpoint`. dockerode brings ssh2, gRPC and protobuf.js, loaded only when a docker-reading
 * probe first runs; a failure to load it is no engine failure, so it rejects with its own reason.
 */
export async function engineClient(endpoint: string): Promise<Docker> {
  const { default: Engine } = await loadPackage('dockerode', () => import('dockerode'));
  return new Engine(modemOptions(endpoint));
}

// Every connection option is given, so docker-modem's own defaults (DOCKER_HOST, DOCKER_CERT_PATH, DOCKER_TLS_VERIFY)
// never override the endpoint the configuration chose. No `agent`: docker-modem util.inspect()s its request options
// (showHidden, depth: null) for a debug line on every request, even with debugging off, and a keep-alive Agent with
// its sockets in there made a run over 50 containers take seconds instead of milliseconds (bench/docker.ts).
function modemOptions(endpoint: string): Docker.DockerOptions {
  const none = {
    host: undefined,
    port: undefined,
    socketPath: undefined,
    ca: undefined,
    cert: undefined,
    key: undefined,
  };
  if (endpoint.startsWith('unix://'))
    return { ...none, socketPath: endpoint.slice('unix://'.length), protocol: 'http' };
  const url = new URL(endpoint);
  if (url.protocol !== 'tcp:' || url.port === '') {
    throw new Error(`"${endpoint}" is not a docker endpoint (unix:///path or tcp://host:port)`);
  }
  return { ...none, host: url.hostname, port: Number(url.port), protocol: 'http' };
}

/** GET `path` with `query`, as parsed JSON or as the response stream. dockerode's typed methods do not all take an AbortSignal; docker-modem's dial, which they call, does. */
export function engineGet(
  engine: Docker,
  path: string,
  query: object,
  signal: AbortSignal,
  answer: 'json' | 'stream',
): Promise<unknown> {
  return new Promise((resolve, reject) =>
    engine.modem.dial(
      {
        path: `${path}?`,
        method: 'GET',
        options: query,
        isStream: answer === 'stream',
        abortSignal: signal,
        statusCodes: { 200: true, 404: 'no such container', 500: 'server error' },
      },
      (err, data) => (err ? reject(err) : resolve(data)),
    ),
  );
}

/** Which part of a container's log to read: from a second on (`since`), or its last lines (`tail`). */
export type LogRange = { since: number } | { tail: number };

/**
 * Reads a container's log with `timestamps=true` and hands each whole line (`<timestamp> <text>`) to `line`, in
 * order. `line` returns false to stop reading (a byte budget spent): the rest of the log is not fetched.
 */
export async function readLogLines(
  engine: Docker,
  id: string,
  tty: boolean,
  range: LogRange,
  line: (text: string) => boolean,
  signal: AbortSignal,
): Promise<void> {
  const query = { stdout: true, stderr: true, timestamps: true, ...range };
  const res = (await engineGet(engine, `/containers/${id}/logs`, query, signal, 'stream')) as IncomingMessage;
  addAbortSignal(signal, res);
  // A TTY container's log is raw text; any other is multiplexed frames, with one line assembler per stream.
  const frames = tty ? undefined : new FrameDecoder();
  const assemblers = { stdin: new LineAssembler(), stdout: new LineAssembler(), stderr: new LineAssembler() };
  const take = (lines: string[]) => lines.every(line);
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      const more = frames
        ? frames.push(chunk).every((f) => take(assemblers[f.stream].push(f.payload)))
        : take(assemblers.stdout.push(chunk));
      if (!more) return;
    }
  } finally {
    res.destroy();
  }
  if (frames && frames.pendingBytes > 0) {
    throw new LogFormatError(`the log ended inside a frame (${frames.pendingBytes} bytes missing their end)`);
  }
  for (const a of Object.values(assemblers)) take(a.end());
}

/** Parses an Engine answer; one that is not what the Engine API documents (another server on the socket, a proxy) names what it lacks. */
export function parseAnswer<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  if (Buffer.isBuffer(value)) throw new Error(`the ${what} is not JSON: "${value.toString('utf8', 0, 80)}"`);
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new Error(
    `the ${what} is not what the Engine API sends: ${issue?.path.join('.') || '(top)'}: ${issue?.message}`,
  );
}

/** An error's message, trimmed; a thrown non-Error as text. */
export function message(err: unknown): string {
  return err instanceof Error ? err.message.trim() : String(err);
}

/**
 * Why the Engine could not be asked at all: the socket is missing, forbidden or stale, the TCP endpoint refuses or
 * does not resolve (worded as for every network probe), it answers an error status or something that is not HTTP.
 */
export function engineFailure(err: unknown, endpoint: string, signal: AbortSignal): string {
  if (signal.aborted) return stopped(endpoint, signal);
  const { code, statusCode } = err as { code?: unknown; statusCode?: number };
  if (statusCode !== undefined) return `the docker engine at ${endpoint} answered HTTP ${statusCode}: ${message(err)}`;
  if (!endpoint.startsWith('unix://')) {
    if (typeof code === 'string')
      return `the docker engine at ${endpoint}: ${describeFailure(err, signal, endpointOf(new URL(endpoint)))}`;
    return `cannot read from the docker engine at ${endpoint}: ${message(err)}`;
  }
  const socket = endpoint.slice('unix://'.length);
  if (code === 'ENOENT') return `no docker socket at ${socket}: the engine is not running or the path is wrong`;
  if (code === 'EACCES' || code === 'EPERM') {
    return `permission denied on the docker socket ${socket}: run centinela as a user in the docker group or give it access to the socket`;
  }
  if (code === 'ECONNREFUSED')
    return `nothing accepts connections on the docker socket ${socket}: a stale socket file, is dockerd running?`;
  return `cannot read from the docker engine at ${endpoint}: ${message(err)}`;
}

/** The run's signal says why it stopped (the scheduler's timeout, a shutdown); the reason keeps its words. */
export function stopped(endpoint: string, signal: AbortSignal): string {
  return `no answer from the docker engine at ${endpoint} before the run was stopped: ${abortReason(signal)}`;
}
