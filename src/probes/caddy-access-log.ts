// The caddy_access_log probe: Emergency 5 (security incident) in figures. Each run reads what Caddy's JSON access
// log gained since the previous run, from the Caddy container's output (Docker Engine API) or from a file, and
// yields per-minute rates of requests and 401/403 answers, in total and by client IP, and 4xx/5xx by route; the
// detail lists the top client IPs and failing routes, the diagnosis the runbook's step 4 does with grep and awk.
import type Docker from 'dockerode';
import { z } from 'zod';
import type { CaddyAccessLogProbeConfig } from '../config/probes.js';
import { formatDuration } from '../duration.js';
import { AccessTally, parseAccessLine } from './access-tally.js';
import {
  DEFAULT_ENDPOINT,
  engineClient,
  engineFailure,
  message,
  parseAnswer,
  readLogLines,
  stopped,
} from './docker-api.js';
import { type LogCursor, NewLines, sinceSeconds } from './docker-logs.js';
import { FileTail } from './file-tail.js';
import { defineProbe, type ProbeResult, sample } from './probe.js';

const inspected = z.object({
  Id: z.string(),
  State: z.object({ Status: z.string() }),
  Config: z.object({ Tty: z.boolean().optional() }).optional(),
});

/** Where the lines come from: `read` hands over the lines new since the previous read, within the byte budget. */
interface Source {
  /** Places the reading position at "now" (the first run): what was logged before is history. */
  start(signal: AbortSignal): Promise<Failure | undefined>;
  read(
    budget: number,
    line: (text: string) => void,
    signal: AbortSignal,
  ): Promise<Failure | { behind: boolean; note?: string }>;
  close(): Promise<void>;
}

/** The log could not be read: the run's reason. */
interface Failure {
  failed: string;
}

export default defineProbe({
  kind: 'caddy_access_log',
  needsTwoRuns: true,
  create(config, { clock }) {
    const source = config.container !== undefined ? containerSource(config, config.container) : fileSource(config);
    let lastAt: number | undefined;

    return {
      async run({ signal }): Promise<ProbeResult> {
        const now = clock.now();
        if (lastAt === undefined) {
          const failure = await source.start(signal);
          if (failure) return { up: false, reason: failure.failed };
          lastAt = now;
          return {
            up: true,
            samples: [sample('malformed_lines', 0)],
            detail: 'first run: reading the access log from now on; rates from the next run',
          };
        }
        const tally = new AccessTally();
        const read = await source.read(config.max_bytes, (text) => tally.add(parseAccessLine(text)), signal);
        if ('failed' in read) return { up: false, reason: read.failed };
        const windowMs = Math.max(1, now - lastAt);
        lastAt = now;
        const notes = [
          ...(read.note ? [read.note] : []),
          ...(read.behind ? [`read budget of ${config.max_bytes} bytes spent: the rest is counted next run`] : []),
        ];
        return {
          up: true,
          samples: [...tally.samples(config.top, windowMs), sample('behind', read.behind ? 1 : 0)],
          detail: [tally.describe(config.top, `last ${formatDuration(windowMs)}`), ...notes].join('\n'),
        };
      },
      close: () => source.close(),
    };
  },
});

/**
 * The container's output through the Engine: `since` the cursor's second, deduplicated by the log timestamps
 * (NewLines); the budget counts the bytes of the lines taken, and the cursor stops at the last line taken.
 */
function containerSource(config: CaddyAccessLogProbeConfig, container: string): Source {
  const endpoint = config.endpoint ?? DEFAULT_ENDPOINT;
  let engine: Docker | undefined;
  let cursor: LogCursor | undefined;
  const client = async () => {
    engine ??= await engineClient(endpoint);
    return engine;
  };

  async function find(box: Docker, signal: AbortSignal): Promise<z.output<typeof inspected> | Failure> {
    try {
      return parseAnswer(inspected, await box.getContainer(container).inspect({ abortSignal: signal }), 'inspect');
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) {
        return { failed: `no container "${container}" on the docker engine at ${endpoint}` };
      }
      return { failed: engineFailure(err, endpoint, signal) };
    }
  }

  return {
    async start(signal) {
      const box = await client();
      const found = await find(box, signal);
      if ('failed' in found) return found;
      // The Engine's own clock stamps the lines, so the newest line at the start is where counting begins (the
      // epoch when the log is empty: every line is new).
      const lines = new NewLines(undefined);
      const take = (l: string) => {
        lines.take(l);
        return true;
      };
      try {
        await readLogLines(box, found.Id, found.Config?.Tty ?? false, { tail: 1 }, take, signal);
      } catch (err) {
        return { failed: `${container}: cannot read its log: ${logFailure(err, endpoint, signal)}` };
      }
      cursor = lines.cursor ?? { ns: 0n, linesAtNs: 0 };
      return undefined;
    },
    async read(budget, line, signal) {
      const box = await client();
      const found = await find(box, signal);
      if ('failed' in found) return found;
      const from = cursor ?? { ns: 0n, linesAtNs: 0 };
      const lines = new NewLines(from);
      let left = budget;
      let behind = false;
      const range = { since: sinceSeconds(from) };
      try {
        await readLogLines(
          box,
          found.Id,
          found.Config?.Tty ?? false,
          range,
          (l) => {
            if (left <= 0) {
              behind = true;
              return false;
            }
            const taken = lines.take(l);
            if (!taken) return true;
            left -= Buffer.byteLength(taken.text) + 1;
            line(taken.text);
            return true;
          },
          signal,
        );
      } catch (err) {
        return { failed: `${container}: cannot read its log: ${logFailure(err, endpoint, signal)}` };
      }
      // The cursor moves only after a read that ended well, so a failed run loses no line.
      cursor = lines.cursor;
      const note = found.State.Status === 'running' ? undefined : `${container} is ${found.State.Status}`;
      return { behind, ...(note ? { note } : {}) };
    },
    async close() {},
  };
}

function logFailure(err: unknown, endpoint: string, signal: AbortSignal): string {
  if (signal.aborted) return stopped(endpoint, signal);
  return message(err);
}

/** A file Caddy writes (`output file`), followed across rotations and truncations. */
function fileSource(config: CaddyAccessLogProbeConfig): Source {
  const path = config.file as string;
  const tail = new FileTail(path);
  const failure = (err: unknown): Failure => ({ failed: fileFailure(err, path) });
  return {
    async start() {
      try {
        await tail.start();
        return undefined;
      } catch (err) {
        return failure(err);
      }
    },
    async read(budget, line) {
      try {
        const read = await tail.read(budget, line);
        const note = read.missing
          ? `${path} is gone (rotated away and not created again yet): nothing new can be read`
          : read.rotated
            ? `${path} was rotated: the old file was read to its end`
            : read.truncated
              ? `${path} was truncated: read again from its start`
              : undefined;
        return { behind: read.behind, ...(note ? { note } : {}) };
      } catch (err) {
        return failure(err);
      }
    },
    close: () => tail.close(),
  };
}

function fileFailure(err: unknown, path: string): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return `no file at ${path}: is Caddy's log mounted into centinela's container?`;
  if (code === 'EACCES' || code === 'EPERM')
    return `permission denied reading ${path}: give centinela's user read access`;
  if (code === 'EISDIR' || code === 'ENOTFILE') return `${path} is not a file: write the path of the access log itself`;
  return `cannot read ${path}: ${message(err)}`;
}
