// A webhook receiver on loopback port 0 (built on http-target.ts): records every POST and answers from a script —
// 200, 500, 429 with Retry-After, hang, or close the socket — then 200 once the script is used up.
import type { ServerResponse } from 'node:http';
import { type RecordedRequest, startHttpTarget } from './http-target.js';
import { waitUntil } from './wait-until.js';

/** One scripted answer. */
export type SinkAnswer = { status: number; headers?: Record<string, string>; body?: string } | 'hang' | 'close';

export interface WebhookSink {
  /** The default hook URL, `http://127.0.0.1:PORT/hook`. */
  url: string;
  /** Also answers at `path` (e.g. /v2/enqueue); returns its full URL. */
  path(path: string): string;
  requests: RecordedRequest[];
  /** Queues answers for the next requests, in order. */
  script(...answers: SinkAnswer[]): void;
  /** The answer once the script is used up (default 200). */
  otherwise(answer: SinkAnswer): void;
  /** Resolves with the requests once at least `n` arrived; rejects after `within` ms (real time: network). */
  waitFor(n: number, opts?: { within?: number }): Promise<RecordedRequest[]>;
  close(): Promise<void>;
}

/** Starts a sink. */
export async function startWebhookSink(): Promise<WebhookSink> {
  const queue: SinkAnswer[] = [];
  let fallback: SinkAnswer = { status: 200, body: 'ok' };
  const target = await startHttpTarget();
  const answer = (_req: unknown, res: ServerResponse) => {
    const a = queue.shift() ?? fallback;
    if (a === 'hang') return;
    if (a === 'close') {
      res.socket?.destroy();
      return;
    }
    res.writeHead(a.status, { 'content-type': 'text/plain', ...a.headers }).end(a.body ?? '');
  };
  const path = (p: string) => {
    target.route(p, answer);
    return `${target.url}${p}`;
  };
  return {
    url: path('/hook'),
    path,
    requests: target.requests,
    script: (...answers) => queue.push(...answers),
    otherwise: (a) => {
      fallback = a;
    },
    async waitFor(n, { within = 5000 } = {}) {
      await waitUntil(
        () => target.requests.length >= n,
        within,
        () => `webhook sink: ${target.requests.length} of ${n} requests`,
      );
      return target.requests;
    },
    close: () => target.close(),
  };
}
