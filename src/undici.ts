// The parts of undici centinela uses, each loaded from its own file at first use: a dispatcher per target (Agent,
// Client), the request API and the redirect interceptor. undici's index loads everything else besides (fetch,
// WebSocket, EventSource, the proxy, retry, mock and cache agents, a second HTTP parser), 1 MiB more RSS in the
// daemon's bundle for nothing it calls (docs/deploy.md "Memory and CPU"). The types are the package's own.
import type { Agent, Client, Dispatcher, interceptors } from 'undici';
import { loadPackage } from './load-package.js';

/** undici's request() options: Dispatcher.request's, on `dispatcher` (by default one Agent with undici's defaults). */
export type RequestOptions = Omit<Dispatcher.RequestOptions, 'origin' | 'path' | 'method'> & {
  method?: Dispatcher.HttpMethod;
  dispatcher?: Dispatcher;
};

export interface Undici {
  Agent: typeof Agent;
  Client: typeof Client;
  redirect: typeof interceptors.redirect;
  /** undici's request(url, options): a GET unless `method` says otherwise. */
  request(url: string | URL, options: RequestOptions): Promise<Dispatcher.ResponseData>;
}

/** The parts, once loaded. */
let parts: Undici | undefined;
/** The shared Agent of requests that name no dispatcher (webhooks, the outgoing heartbeat), as undici's global one. */
let shared: Agent | undefined;

/** undici's parts; a package that cannot be loaded throws PackageLoadError (and is tried again at the next call). */
export async function loadUndici(): Promise<Undici> {
  parts ??= await loadPackage('undici', async (): Promise<Undici> => {
    const [agent, client, request, redirect] = await Promise.all([
      import('undici/lib/dispatcher/agent.js'),
      import('undici/lib/dispatcher/client.js'),
      import('undici/lib/api/api-request.js'),
      import('undici/lib/interceptor/redirect.js'),
    ]);
    return {
      Agent: agent.default,
      Client: client.default,
      redirect: redirect.default,
      request(url, { dispatcher, ...options }) {
        // What undici's own request() does with a URL before handing the rest to the dispatcher.
        const { origin, pathname, search } = new URL(url);
        if (!dispatcher) shared ??= new agent.default();
        const on = dispatcher ?? (shared as Agent);
        return request.default.call(on, {
          ...options,
          origin,
          path: `${pathname}${search}`,
          method: options.method ?? 'GET',
        });
      },
    };
  });
  return parts;
}
