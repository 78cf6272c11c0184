// The undici files src/undici.ts loads one by one, typed with the package's own types (it ships them for its index
// only). Each file's module.exports is what the index exports under that name.
declare module 'undici/lib/dispatcher/agent.js' {
  import type { Agent } from 'undici';

  const agent: typeof Agent;
  export default agent;
}

declare module 'undici/lib/dispatcher/client.js' {
  import type { Client } from 'undici';

  const client: typeof Client;
  export default client;
}

declare module 'undici/lib/api/api-request.js' {
  import type { Dispatcher } from 'undici';

  /** Dispatcher.request, called on a dispatcher (undici's index puts it on Dispatcher.prototype). */
  const request: (this: Dispatcher, options: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>;
  export default request;
}

declare module 'undici/lib/interceptor/redirect.js' {
  import type { interceptors } from 'undici';

  const redirect: typeof interceptors.redirect;
  export default redirect;
}
