// Values from the environment named by key in a probe's or channel's messages: which forms of a value are hidden
// (whole, a URL's host, a path's folder), and that a short one does not mangle ordinary words.
import { describe, expect, it } from 'vitest';
import { configScrubber, envValuesUnder } from '../../src/config/env-values.js';
import { Secret } from '../../src/config/secret.js';

describe('envValuesUnder', () => {
  it('keys each value filled from the environment below the entry, with its variables', () => {
    const filled = [
      { path: ['probes', 1, 'url'], vars: ['DB_HOST'], source: 'postgres://app@${DB_HOST}/app' },
      { path: ['probes', 1, 'backups', 0, 'glob'], vars: ['DIR', 'DIR', 'EXT'], source: '${DIR}/*.${EXT}' },
      { path: ['probes', 10, 'url'], vars: ['OTHER'], source: '${OTHER}' },
      { path: ['probes', 1], vars: ['WHOLE'], source: '${WHOLE}' },
    ];
    expect(envValuesUnder(filled, ['probes', 1])).toEqual([
      { path: ['url'], key: 'url', vars: '${DB_HOST}' },
      { path: ['backups', 0, 'glob'], key: 'backups[0].glob', vars: '${DIR} and ${EXT}' },
    ]);
  });
});

describe('configScrubber', () => {
  const scrub = (config: object, keys: [string, ...(string | number)[]][]) =>
    configScrubber(
      {
        ...config,
        fromEnv: keys.map(([vars, ...path]) => ({ path, key: path.join('.'), vars: `\${${vars}}` })),
      },
      { urlPaths: false },
    );

  it("names a URL's host and host:port, whole or in part, and hides its password as a secret", () => {
    const s = scrub({ url: new Secret('postgres://app:pw-12345@db.internal:5432/app') }, [['DB_URL', 'url']]);
    expect(s('DNS lookup failed for DB.internal; connection refused (db.internal:5432)')).toBe(
      'DNS lookup failed for <url from ${DB_URL}>; connection refused (<url from ${DB_URL}>)',
    );
    expect(s('login pw-12345')).toBe('login <secret>');
  });

  it('names a short host only where it stands alone, not inside a word', () => {
    const s = scrub({ url: 'redis://db:6379/0' }, [['REDIS', 'url']]);
    expect(s('connection refused (db:6379); the dbsize of db-2 in mydb')).toBe(
      'connection refused (<url from ${REDIS}>); the dbsize of db-2 in mydb',
    );
  });

  it("names a path whole and its folder, and a unix socket's path", () => {
    const s = scrub({ glob: '/srv/backups/*.sql.gz', endpoint: 'unix:///run/docker.sock' }, [
      ['BACKUPS', 'glob'],
      ['DOCKER_HOST', 'endpoint'],
    ]);
    expect(s('/srv/backups/*.sql.gz: /srv/backups does not exist; newest /srv/backups/a.sql.gz')).toBe(
      '<glob from ${BACKUPS}>: <the folder of glob from ${BACKUPS}> does not exist; ' +
        'newest <the folder of glob from ${BACKUPS}>/a.sql.gz',
    );
    expect(s('no docker socket at /run/docker.sock')).toBe('no docker socket at <endpoint from ${DOCKER_HOST}>');
  });

  it('leaves values written in the file, and empty ones, as they are', () => {
    const s = scrub({ url: 'http://api:8000/health', host: '' }, [['HOST', 'host']]);
    expect(s('connection refused (api:8000)')).toBe('connection refused (api:8000)');
  });
});
