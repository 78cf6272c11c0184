// The PostgreSQL port of a postgres:// URL that names none, which node-postgres takes from PGPORT in centinela's
// environment: one that is not a port number (PGPORT=abc, 99999) makes its connect throw inside a callback, and the
// connection never settles (check, run and probe end at once on an unsettled await, with no word of why).
// The URL's other parts that pg would read from the environment are either required by the config (the host) or
// fail the connection with a refusal told by its code (PGUSER, PGDATABASE, PGOPTIONS): the settings' refusal worded
// here for the store and the probe.

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

/**
 * The refusal of a setting the connection passes at start-up (the URL's options, or PGOPTIONS, which pg reads from the
 * environment), as the rest of a sentence about the URL at `key`, quoting none of it; undefined for another SQLSTATE.
 * The server refuses options it cannot read (42601: `-x`, a `-c` without name=value), a setting it does not know
 * (42704), a bad value (22023) and one that cannot be set then (55P02).
 */
export function startupSettingRefusal(code: string | undefined, key: string): string | undefined {
  const check = `Check the options parameter of ${key} and PGOPTIONS in centinela's environment`;
  if (code === '42601') {
    return `the server could not read the options the connection passes (42601), which are -c name=value, separated by spaces. ${check}`;
  }
  if (code === '42704' || code === '22023' || code === '55P02') {
    return `the server refused a setting the connection asks for (${code}). ${check}`;
  }
  return undefined;
}
