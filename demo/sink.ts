// The demo's receiving end: a loopback HTTP server standing in for the on-call engineer's pager (/console, generic
// webhook JSON) and the ops chat room (/slack, Slack blocks). It records every page and tells the demo about it.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One page as the sink understood it. */
export interface ReceivedPage {
  /** `console` or `slack`: which hook received it. */
  hook: string;
  /** Generic webhook events (firing, reminder, acknowledged, resolved, …); for Slack, the message's text. */
  events: { event: string; priority: string; alertname: string; summary: string }[];
  text: string;
  at: number;
}

export interface DemoSink {
  url: string;
  pages: ReceivedPage[];
  /** Called for every page as it arrives. */
  onPage(listener: (page: ReceivedPage) => void): void;
  close(): Promise<void>;
}

interface GenericBody {
  notifications?: {
    event?: string;
    alert?: { name?: string; priority?: string; summary?: string };
  }[];
}

function parse(hook: string, body: string, at: number): ReceivedPage {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { hook, events: [], text: body.slice(0, 200), at };
  }
  if (hook === 'console') {
    const events = ((json as GenericBody).notifications ?? []).map((n) => ({
      event: n.event ?? '?',
      priority: n.alert?.priority ?? '?',
      alertname: n.alert?.name ?? '?',
      summary: n.alert?.summary ?? '',
    }));
    return { hook, events, text: events.map((e) => `[${e.priority}] ${e.event}: ${e.summary}`).join('; '), at };
  }
  return { hook, events: [], text: (json as { text?: string }).text ?? body.slice(0, 200), at };
}

/** Starts the sink on loopback; `now` stamps pages (epoch ms). */
export async function startDemoSink(now: () => number): Promise<DemoSink> {
  const pages: ReceivedPage[] = [];
  const listeners: ((p: ReceivedPage) => void)[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const hook = (req.url ?? '/').replace(/^\/+/, '').split(/[/?]/)[0] ?? '';
      const page = parse(hook, Buffer.concat(chunks).toString(), now());
      pages.push(page);
      for (const l of listeners) l(page);
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    pages,
    onPage: (l) => listeners.push(l),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
