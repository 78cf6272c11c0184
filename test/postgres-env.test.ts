// PGPORT, which node-postgres reads for a postgres:// URL without a port (src/postgres-env.ts): one that is not a port
// is refused at load, naming the variable and never its value, by check, run and probe alike, which before ended at
// once on an unsettled await without a word; and NODE_PG_FORCE_NATIVE, refused by src/main.ts before node-postgres
// loads, whichever way it was started (bin/centinela.js, tsx src/main.ts).
import { execFile } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresPortProblem } from '../src/postgres-env.js';
import { type CliRun, centinela, checked, configFolder } from './support/cli.js';
import { pgHost } from './support/pg.js';

/** Runs `tsx src/main.ts ...args` on Node 24, as the package's start and centinela scripts do. */
function tsxMain(args: readonly string[], env: Record<string, string>): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      './node_modules/.bin/node',
      ['node_modules/tsx/dist/cli.mjs', 'src/main.ts', ...args],
      { env: { PATH: process.env.PATH ?? '', ...env } },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code) : 0, stdout, stderr }),
    );
  });
}

const BAD_PORT =
  'has no port, and PGPORT, which gives it one then, is set in the environment to something that is not a port ' +
  'number (1 to 65535). Write the port in the URL (host:5432), or set PGPORT right';

describe('postgresPortProblem', () => {
  it.each([
    ['not a number', 'postgres://db/app', 'S3cret', BAD_PORT],
    ['past 65535', 'postgres://db/app', '99999', BAD_PORT],
    ['0', 'postgres://db/app', '0', BAD_PORT],
    ['digits and more, which node-postgres would cut and libpq refuses', 'postgres://db/app', '5432x', BAD_PORT],
    ['a port', 'postgres://db/app', '6432', undefined],
    ['empty, taken as unset', 'postgres://db/app', '', undefined],
    ['unset', 'postgres://db/app', undefined, undefined],
    ['the URL has a port, and PGPORT is not read', 'postgres://db:5432/app', 'S3cret', undefined],
  ])('%s', (_, url, port, problem) => {
    expect(postgresPortProblem(url, { PGPORT: port })).toBe(problem);
  });
});

describe('check, run and probe with a PGPORT that is not a port', () => {
  let dir: string;
  const url = `postgres://postgres@${pgHost}/postgres`;
  beforeAll(() => {
    dir = configFolder(
      ['probes:', '  - name: db', '    kind: postgres', `    url: ${url}`, '    every: 30s']
        .concat(['rules:', '  - name: DbDown', '    sample: db.up', '    op: "=="', '    thresholds: { P0: 0 }', ''])
        .join('\n'),
    );
    writeFileSync(
      join(dir, 'centinela.yaml'),
      `server:\n  listen: 127.0.0.1:0\nstate:\n  kind: postgres\n  url: ${url}\n`,
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuse it at each URL without a port, naming PGPORT and not its value', async () => {
    // PGHOST is never read: a URL must name its host.
    const env = { PGPORT: 'S3cret', PGHOST: 'S3cret garbage' };
    const { code, told } = await checked(dir, env);
    expect(code).toBe(1);
    const quoted = `"postgres://postgres@${pgHost}/…"`;
    const lines = [
      `${dir}/centinela.yaml:5:8  state.url: ${quoted} ${BAD_PORT}.`,
      `${dir}/alerts.yaml:4:10  probes[0].url: ${quoted} ${BAD_PORT}.`,
      '2 problems in 2 files; nothing was started.',
    ];
    expect(told.split('\n')).toEqual(lines);
    expect(await centinela(['run', '--config', dir], env)).toEqual({
      code: 1,
      stdout: '',
      stderr: expect.stringContaining(lines.join('\n')),
    });
    // probe reads no state store: the probe's URL alone.
    const probe = await centinela(['probe', '--config', dir], env);
    expect(probe).toEqual({ code: 1, stdout: '', stderr: expect.stringContaining(lines[1] ?? '') });
    for (const out of [told, probe.stderr]) expect(out).not.toContain('S3cret');
  });

  it('refuse NODE_PG_FORCE_NATIVE, with which node-postgres crashed asking for pg-native, in words', async () => {
    const env = { NODE_PG_FORCE_NATIVE: '1' };
    const refused = {
      code: 1,
      stdout: '',
      stderr:
        'centinela: NODE_PG_FORCE_NATIVE is set in the environment, which asks node-postgres for pg-native, and ' +
        "centinela's PostgreSQL connections are made without it. Unset it.\n",
    };
    for (const command of ['check', 'run', 'probe']) {
      expect(await centinela([command, '--config', dir], env)).toEqual(refused);
      // As npm start and npm run centinela start it: tsx src/main.ts, without bin/centinela.js.
      expect(await tsxMain([command, '--config', dir], env)).toEqual(refused);
    }
  });
});
