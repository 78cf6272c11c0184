// A unix-socket server that answers the Engine API calls of the docker probe from recorded responses
// (test/fixtures/docker/*.json), so the probe's logic is covered on any machine, with or without a docker engine.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One recorded log line as the Engine framed it; `text` starts with its timestamp and ends with a newline. */
export interface RecordedFrame {
  stream: 'stdout' | 'stderr';
  text: string;
}

/** Recorded answers: the container list, and per container name its inspect, stats and log frames. */
export interface RecordedEngineData {
  containers: { Id: string; Names: string[] }[];
  inspect: Record<string, unknown>;
  stats: Record<string, unknown>;
  logs: Record<string, RecordedFrame[]>;
}

/** The GRUPO_GAD stack as a real dockerd 20.10 (API 1.41, cgroup v1) answered, recorded for these tests. */
export function grupoGadRecording(): RecordedEngineData {
  const read = (name: string) => JSON.parse(readFileSync(`test/fixtures/docker/grupo-gad-${name}.json`, 'utf8'));
  return { containers: read('containers'), inspect: read('inspect'), stats: read('stats'), logs: read('logs') };
}

/** A running recorded engine; tests may change `data` between probe runs. */
export interface RecordedEngine {
  endpoint: string;
  socket: string;
  data: RecordedEngineData;
  /** Every request's path and query, in order. */
  requests: string[];
  /** Log responses are written in pieces of this many bytes, so frames arrive cut across chunks. */
  logChunkBytes: number;
  /** Answers a request instead of the recording when it returns true (garbage, errors, silence). */
  intercept?: (req: IncomingMessage, res: ServerResponse) => boolean;
  close(): Promise<void>;
}

export async function startRecordedEngine(data: RecordedEngineData = grupoGadRecording()): Promise<RecordedEngine> {
  const dir = await mkdtemp(join(tmpdir(), 'centinela-recorded-docker-'));
  const socket = join(dir, 'docker.sock');
  const engine: RecordedEngine = {
    endpoint: `unix://${socket}`,
    socket,
    data,
    requests: [],
    logChunkBytes: 1 << 16,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await rm(dir, { recursive: true, force: true });
    },
  };
  const server = createServer((req, res) => {
    engine.requests.push(req.url ?? '');
    if (engine.intercept?.(req, res)) return;
    answer(engine, req, res);
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  return engine;
}

function answer(engine: RecordedEngine, req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://engine');
  const path = url.pathname.replace(/^\/v[\d.]+/, '');
  const m = /^\/containers\/([^/]+)\/(json|stats|logs)$/.exec(path);
  const name = m ? nameOf(engine.data, m[1] ?? '') : undefined;
  if (path === '/containers/json') {
    json(res, 200, engine.data.containers);
  } else if (!m || name === undefined || engine.data.inspect[name] === undefined) {
    json(res, 404, { message: `No such container: ${m?.[1] ?? path}` });
  } else if (m[2] === 'json') {
    json(res, 200, engine.data.inspect[name]);
  } else if (m[2] === 'stats') {
    json(res, 200, engine.data.stats[name] ?? { memory_stats: {} });
  } else {
    const frames = selectFrames(engine.data.logs[name] ?? [], url.searchParams);
    const bytes = Buffer.concat(frames.map(encodeFrame));
    res.writeHead(200, { 'Content-Type': 'application/vnd.docker.raw-stream' });
    for (let at = 0; at < bytes.length; at += engine.logChunkBytes) {
      res.write(bytes.subarray(at, at + engine.logChunkBytes));
    }
    res.end();
  }
}

function nameOf(data: RecordedEngineData, idOrName: string): string | undefined {
  const byId = data.containers.find((c) => c.Id === idOrName);
  return byId ? (byId.Names[0] ?? '').replace(/^\//, '') : idOrName;
}

// As the Engine does: `since` (whole seconds) keeps lines at or after it, `tail` keeps the last N.
function selectFrames(frames: RecordedFrame[], query: URLSearchParams): RecordedFrame[] {
  const since = Number(query.get('since') ?? '0') * 1000;
  const kept = frames.filter((f) => Date.parse(f.text.slice(0, f.text.indexOf(' '))) >= since);
  const tail = query.get('tail');
  return tail === null || tail === 'all' ? kept : kept.slice(-Number(tail));
}

/** One frame: stream byte, three zero bytes, big-endian payload size, payload. */
export function encodeFrame(frame: RecordedFrame): Buffer {
  const payload = Buffer.from(frame.text);
  const header = Buffer.alloc(8);
  header[0] = frame.stream === 'stdout' ? 1 : 2;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}
