// A webhook receiver on loopback port 0 (built on http-target.ts): records every POST and answers from a script —
// 200, 500, 429 with Retry-After, an answer quoting the request back, hang, close or reset the connection — then 200
// once the script is used up.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { type RecordedRequest, startHttpTarget } from './http-target.js';
import { waitUntil } from './wait-until.js';

/**
 * One scripted answer. `echo` appends the request line and body to `body`, as error pages of some receivers do
 * ("Cannot POST /hooks/T0KEN"): what a notifier must not repeat when it holds a secret. `close` ends the connection
 * without an answer (FIN), `reset` aborts it (RST).
 */
export type SinkAnswer =
  | { status: number; headers?: Record<string, string>; body?: string; echo?: boolean }
  | 'hang'
  | 'close'
  | 'reset';

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
  /** Requests left hanging whose connection is still open. */
  hanging(): number;
  /** Resolves with the requests once at least `n` arrived; rejects after `within` ms (real time: network). */
  waitFor(n: number, opts?: { within?: number }): Promise<RecordedRequest[]>;
  /** Resolves once exactly `n` requests hang with their connection open; rejects after `within` ms. */
  waitForHanging(n: number, opts?: { within?: number }): Promise<void>;
  close(): Promise<void>;
}

/** Starts a sink. */
export async function startWebhookSink(): Promise<WebhookSink> {
  const queue: SinkAnswer[] = [];
  let fallback: SinkAnswer = { status: 200, body: 'ok' };
  const hung = new Set<Socket>();
  const target = await startHttpTarget();
  const answer = (req: IncomingMessage, res: ServerResponse) => {
    const a = queue.shift() ?? fallback;
    if (a === 'hang') {
      hung.add(req.socket);
      req.socket.once('close', () => hung.delete(req.socket));
      return;
    }
    if (a === 'close') {
      req.socket.destroy();
      return;
    }
    if (a === 'reset') {
      req.socket.resetAndDestroy();
      return;
    }
    // http-target records a request just before it routes it here: the last one recorded is this one.
    const got = target.requests.at(-1);
    const echo = a.echo && got ? ` ${got.method} ${got.path} ${got.body}` : '';
    res.writeHead(a.status, { 'content-type': 'text/plain', ...a.headers }).end(`${a.body ?? ''}${echo}`);
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
    hanging: () => hung.size,
    async waitFor(n, { within = 5000 } = {}) {
      await waitUntil(
        () => target.requests.length >= n,
        within,
        () => `webhook sink: ${target.requests.length} of ${n} requests`,
      );
      return target.requests;
    },
    waitForHanging: (n, { within = 5000 } = {}) =>
      waitUntil(
        () => hung.size === n,
        within,
        () => `webhook sink: ${hung.size} requests hanging, not ${n}`,
      ),
    close: () => target.close(),
  };
}
