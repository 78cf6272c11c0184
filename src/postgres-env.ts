// The PostgreSQL port of a postgres:// URL that names none, which node-postgres takes from PGPORT in centinela's
// environment: one that is not a port number (PGPORT=abc, 99999) makes its connect throw inside a callback, and the
// connection never settles (check, run and probe end at once on an unsettled await, with no word of why).
// The URL's other parts that pg would read from the environment are either required by the config (the host) or
// fail the connection with a refusal told by its code (PGUSER, PGDATABASE, PGOPTIONS).

/** A port PostgreSQL can listen on, as libpq reads PGPORT: digits alone. */
const PORT = /^[0-9]{1,5}$/;

/**
 * What in `env` keeps a connection to `url` from being made, as the rest of a sentence about the URL naming the
 * variable and never its value: PGPORT when the URL has no port and it is not a port number. An empty PGPORT is unset
 * (5432), for node-postgres and libpq alike.
 */
export function postgresPortProblem(
  url: string,
  env: Readonly<Record<string, string | undefined>>,
): string | undefined {
  const port = env.PGPORT;
  if (new URL(url).port !== '' || !port) return undefined;
  if (PORT.test(port) && Number(port) >= 1 && Number(port) <= 65_535) return undefined;
  return (
    'has no port, and PGPORT, which gives it one then, is set in the environment to something that is not a port ' +
    'number (1 to 65535). Write the port in the URL (host:5432), or set PGPORT right'
  );
}
