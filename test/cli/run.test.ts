// `centinela run` refusing to start, through the real binary: every config problem as `check` prints them, a
// LOG_LEVEL that is no level, a state.path it cannot open, a PostgreSQL state it cannot reach; none of them quoting
// what came from the environment.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { centinela, configFolder } from '../support/cli.js';
import { spawnCentinela, startWorld, urlOf, usePostgresState, WRITE_TOKEN } from '../support/daemon.js';
import { createTestDatabase, pgHost, pgPort } from '../support/pg.js';
import { SHIPPED_ENV } from '../support/shipped-env.js';
import { startTcpProxy } from '../support/tcp-proxy.js';
import { freePort } from '../support/tcp-target.js';

const BROKEN = 'test/fixtures/config/several-problems';

describe('centinela run', () => {
  it('refuses a broken config with every problem, as check prints them, from -c or CENTINELA_CONFIG', async () => {
    const check = await centinela(['check', '--config', BROKEN]);
    const flag = await centinela(['run', '-c', BROKEN], { ...SHIPPED_ENV, CENTINELA_CONFIG: 'config' });
    const env = await centinela(['run'], { CENTINELA_CONFIG: BROKEN });
    for (const run of [flag, env]) {
      expect(run).toEqual({ code: 1, stdout: '', stderr: check.stderr });
    }
    expect(check.stderr.trimEnd().split('\n').at(-1)).toBe('8 problems in 2 files; nothing was started.');
  });

  it.each([
    ['hunter2-S3cr3t', 'is not host:port'],
    ['127.0.0.1:99999', 'must have a port from 0 to 65535'],
  ])('refuses CENTINELA_LISTEN=%s as check does, without quoting it', async (listen, what) => {
    const env = { ...SHIPPED_ENV, CENTINELA_LISTEN: listen, CENTINELA_STATE: ':memory:' };
    const check = await centinela(['check', '--config', 'config'], env);
    const run = await centinela(['run', '--config', 'config'], env);
    const problem =
      `config/centinela.yaml:12:11  server.listen: the value filled in from \${CENTINELA_LISTEN} ${what}. ` +
      'Write e.g. 0.0.0.0:9810 or 127.0.0.1:9810.\n1 problem in 1 file; nothing was started.\n';
    expect(check).toEqual({ code: 1, stdout: '', stderr: problem });
    expect(run).toEqual({ code: 1, stdout: '', stderr: problem });
  });

  it.each([
    ['hunter2-S3cr3t.invalid:9810', 'its host name does not resolve (ENOTFOUND)'],
    ['10.254.254.254:9810', "its address is not one of this host's (EADDRNOTAVAIL)"],
  ])(
    'refuses CENTINELA_LISTEN=%s, which it cannot listen on, as check does, without quoting it',
    async (listen, why) => {
      const env = { ...SHIPPED_ENV, CENTINELA_LISTEN: listen, CENTINELA_STATE: ':memory:' };
      const problem =
        'config/centinela.yaml:12:11  server.listen: the value filled in from ${CENTINELA_LISTEN} cannot be listened ' +
        `on: ${why}. Write an address of this host, such as 0.0.0.0:9810.\n` +
        '1 problem in 1 file; nothing was started.\n';
      for (const command of ['check', 'run']) {
        expect(await centinela([command, '--config', 'config'], env)).toEqual({ code: 1, stdout: '', stderr: problem });
      }
    },
  );

  it('says why it cannot listen where check could not know it, naming server.listen and never the address', async () => {
    // A port another process holds: check passes it (it binds nothing), run meets it. Run's own words for a failed
    // listen (an address that left this host between check and start reads the same, with EADDRNOTAVAIL).
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = holder.address() as AddressInfo;
      const env = { ...SHIPPED_ENV, CENTINELA_LISTEN: `127.0.0.1:${port}`, CENTINELA_STATE: ':memory:' };
      expect(await centinela(['check', '--config', 'config'], env)).toMatchObject({ code: 0 });
      const run = await centinela(['run', '--config', 'config'], env);
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(
        'centinela run: cannot listen on server.listen of config/centinela.yaml: another process listens on that ' +
          'port (EADDRINUSE)\n',
      );
      expect(run.stdout + run.stderr).not.toContain(String(port));
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });

  it('refuses an emptied alerts.yaml as check does: it would watch nothing and page no one', async () => {
    const dir = configFolder('# emptied\n');
    try {
      const problem =
        `${dir}/alerts.yaml:1:1  alerts.yaml has no rules: centinela would watch nothing and page no one. Write the ` +
        'rules (config/alerts.yaml of the release is a start), or sources: when the alerts come from Prometheus or ' +
        'Grafana.\n1 problem in 1 file; nothing was started.\n';
      const env = { CENTINELA_LISTEN: '127.0.0.1:0' };
      for (const command of ['check', 'run']) {
        expect(await centinela([command, '--config', dir], env)).toEqual({ code: 1, stdout: '', stderr: problem });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a LOG_LEVEL that is not a level, as the other commands do, without quoting it', async () => {
    const run = await centinela(['run', '--config', BROKEN], { LOG_LEVEL: 'hunter2-S3cr3t' });
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'LOG_LEVEL is not a level. Set it to fatal, error, warn, info, debug, trace or silent, or leave it unset\n',
    });
  });

  describe('a state store it cannot open, refused as check refuses it, without quoting it', () => {
    let tmp: string;
    beforeAll(() => {
      tmp = mkdtempSync(join(tmpdir(), 'centinela-state-'));
      writeFileSync(join(tmp, 'a-file'), 'not a folder');
      writeFileSync(join(tmp, 'not-sqlite.db'), 'hunter2-S3cr3t');
    });
    afterAll(() => rmSync(tmp, { recursive: true, force: true }));

    const at = 'config/centinela.yaml:22:9  state.path: the value filled in from ${CENTINELA_STATE}';
    const FIX = 'Write the path of a file, such as /var/lib/centinela/state.db.';
    it.each([
      ['an existing folder', () => tmp, 'is a folder. Write the path of a file in it (add /state.db).'],
      [
        'a path under a regular file',
        () => join(tmp, 'a-file', 'state.db'),
        `cannot be created: one of the folders above it is a file. ${FIX}`,
      ],
      [
        'a file that is no SQLite database',
        () => join(tmp, 'not-sqlite.db'),
        'is a file that is no SQLite database. Move it aside, or write the path of the state file.',
      ],
      // Creating folders under /proc spins forever: run must stop at the check, before it tries.
      [
        'a path under /proc',
        () => '/proc/x/y.db',
        `lies under /proc, a kernel filesystem where no file can be made. ${FIX}`,
      ],
      [
        'a path under /sys',
        () => '/sys/centinela.db',
        `lies under /sys, a kernel filesystem where no file can be made. ${FIX}`,
      ],
    ])('%s', async (_, path, what) => {
      const env = { ...SHIPPED_ENV, CENTINELA_STATE: path(), CENTINELA_LISTEN: '127.0.0.1:0' };
      const problem = `${at} ${what}\n1 problem in 1 file; nothing was started.\n`;
      for (const command of ['check', 'run']) {
        expect(await centinela([command, '--config', 'config'], env)).toEqual({ code: 1, stdout: '', stderr: problem });
      }
    });

    it('names server.listen from the environment by key and variable in "centinela running", with the port it chose', async () => {
      const world = await startWorld();
      try {
        const run = await spawnCentinela(world.configDir, { ...world.env, LISTEN: '127.0.0.1:0' });
        try {
          const running = run.logs.find((l) => l.msg === 'centinela running');
          expect(running).toMatchObject({ listen: '<server.listen from ${LISTEN}>', port: expect.any(Number) });
          expect(running?.url).toBeUndefined();
          expect((await fetch(`${run.url}/healthz`)).status).toBe(200);
          // fastify's own "Server listening at http://127.0.0.1:…" line, which showed the address, is not written.
          const others = run.logs.filter((l) => l !== running);
          expect(others.map((l) => l.msg)).not.toContainEqual(expect.stringMatching(/listening/i));
          expect(JSON.stringify(others) + run.stderr()).not.toContain(`127.0.0.1:${running?.port}`);
        } finally {
          run.kill('SIGTERM');
          await run.exited;
        }
      } finally {
        await world.close();
      }
    });

    it('waits for a PostgreSQL it cannot reach as the standby (503, no URL quoted), and stops on SIGTERM with 0', async () => {
      const world = await startWorld();
      try {
        const port = await freePort();
        const extra = usePostgresState(world, `postgres://centinela:hunter2-S3cr3t@127.0.0.1:${port}/state`);
        const run = await spawnCentinela(
          world.configDir,
          { ...world.env, ...extra },
          { until: /^standby: .* serves reads/, within: 40_000 },
        );
        try {
          const waiting = await run.waitForLog(/waiting for PostgreSQL/, 20_000);
          expect(waiting.msg).toBe(
            'state store (postgres): cannot connect (ECONNREFUSED); waiting for PostgreSQL as the standby, trying again ' +
              `every 3 s. Check state.url (${world.configDir}/centinela.yaml) and that PostgreSQL takes centinela's connections`,
          );
          const serving = await run.waitForLog(/^standby: .* serves reads/);
          expect(serving.msg).toMatch(/^standby: PostgreSQL does not answer yet; /);
          // server.listen came from ${LISTEN:-127.0.0.1:0}: named, with the port the system chose, never shown.
          expect(serving).toMatchObject({ listen: '<server.listen from ${LISTEN}>', port: expect.any(Number) });
          expect(serving.url).toBeUndefined();
          // Nor does the standby's server write fastify's own line with the address.
          expect(run.logs.map((l) => l.msg)).not.toContainEqual(expect.stringMatching(/^Server listening/));
          const url = urlOf(serving);
          const ready = await fetch(`${url}/readyz`);
          expect(ready.status).toBe(503);
          run.kill('SIGTERM');
          expect(await run.exited).toEqual({ code: 0, signal: null });
          const told = JSON.stringify(run.logs) + run.stderr();
          expect(told).not.toContain('hunter2');
          expect(told).not.toContain(String(port));
        } finally {
          run.kill('SIGKILL');
        }
      } finally {
        await world.close();
      }
    });

    it('a PostgreSQL that answers after the wait and refuses the session: exits 1 in words, the lead released', async () => {
      // Review r13g D1: the standby was closed twice (on winning the lead, then on the failed open), the second end of
      // its pools threw before the lead was released, and run hung with its server down and the lock held.
      const world = await startWorld();
      const db = await createTestDatabase();
      const proxy = await startTcpProxy(pgHost, pgPort);
      try {
        await proxy.cut();
        const url = `${proxy.through(db.url)}?options=${encodeURIComponent('-c search_path=nosuch')}`;
        const extra = usePostgresState(world, url);
        const run = await spawnCentinela(
          world.configDir,
          { ...world.env, ...extra },
          { until: /^standby: .* serves reads/, within: 40_000 },
        );
        try {
          await run.waitForLog(/waiting for PostgreSQL/, 20_000);
          await proxy.restore();
          expect(await run.exited).toEqual({ code: 1, signal: null });
          expect(run.stderr()).toContain('(3F000)');
          expect(run.stderr()).not.toContain('more than once');
        } finally {
          run.kill('SIGKILL');
        }
      } finally {
        await proxy.close();
        await db.drop();
        await world.close();
      }
    });

    it('refuses a reload to a PostgreSQL it cannot reach with a 422, as check; a reachable one waits for a restart', async () => {
      const world = await startWorld();
      try {
        const refused = `postgres://centinela:hunter2-S3cr3t@127.0.0.1:${await freePort()}/state`;
        const good = `postgres://postgres@${pgHost}:${pgPort}/postgres`;
        const run = await spawnCentinela(world.configDir, { ...world.env, STATE_URL: refused, GOOD_URL: good });
        try {
          const reload = () =>
            fetch(`${run.url}/-/reload`, { method: 'POST', headers: { authorization: `Bearer ${WRITE_TOKEN}` } });
          usePostgresState(world, '');
          const bad = await reload();
          const body = await bad.text();
          expect(bad.status).toBe(422);
          expect(JSON.parse(body).error.details.problems).toEqual([
            `centinela.yaml:8:8  state.url: cannot connect to PostgreSQL: the connection was refused ` +
              '(ECONNREFUSED): nothing listens at its host and port. Check its host, port, user, password and database, ' +
              "and that PostgreSQL takes centinela's connections from here.",
          ]);
          expect(body).not.toContain('hunter2');
          const file = join(world.configDir, 'centinela.yaml');
          writeFileSync(file, readFileSync(file, 'utf8').replace('${STATE_URL}', '${GOOD_URL}'));
          const ok = await reload();
          expect(ok.status).toBe(200);
          expect((await ok.json()).summary).toMatch(
            /rules; state changed and takes effect at the next start \(the running one is kept\)$/,
          );
        } finally {
          run.kill('SIGKILL');
        }
      } finally {
        await world.close();
      }
    });

    it('tells a state change that waits for a restart at each reload until the running one is put back', async () => {
      const world = await startWorld();
      try {
        const other = join(world.configDir, 'other.db');
        const run = await spawnCentinela(world.configDir, { ...world.env, OTHER_STATE: other });
        try {
          const reload = async () => {
            const answer = await fetch(`${run.url}/-/reload`, {
              method: 'POST',
              headers: { authorization: `Bearer ${WRITE_TOKEN}` },
            });
            expect(answer.status).toBe(200);
            return ((await answer.json()) as { summary: string }).summary;
          };
          const file = join(world.configDir, 'centinela.yaml');
          const running = readFileSync(file, 'utf8');
          const pending = / rules; state changed and takes effect at the next start \(the running one is kept\)$/;
          writeFileSync(file, running.replace('${STATE_PATH}', '${OTHER_STATE}'));
          expect(await reload()).toMatch(pending);
          // The same file again: the move is still pending.
          expect(await reload()).toMatch(pending);
          writeFileSync(file, running);
          expect(await reload()).toMatch(/ rules$/);
        } finally {
          run.kill('SIGKILL');
        }
      } finally {
        await world.close();
      }
    });

    it('stops at once on a PostgreSQL database that does not exist, which waiting does not mend', async () => {
      const world = await startWorld();
      try {
        const extra = usePostgresState(world, `postgres://postgres@${pgHost}:${pgPort}/centinela_no_such_database`);
        const run = await centinela(['run', '--config', world.configDir], { ...world.env, ...extra });
        expect(run).toEqual({
          code: 1,
          stdout: '',
          stderr:
            'centinela run: state store (postgres): cannot connect (the database does not exist (3D000). Create ' +
            'it, or name the right one in state.url). ' +
            `Check state.url (${world.configDir}/centinela.yaml) and that PostgreSQL takes centinela's connections\n`,
        });
      } finally {
        await world.close();
      }
    });

    it('tells a store that fails to open past the check by state.path, not by the path', async () => {
      // SQLite's header, then garbage: it looks like a database until SQLite reads it.
      const path = join(tmp, 'corrupt.db');
      writeFileSync(path, Buffer.concat([Buffer.from('SQLite format 3\0', 'latin1'), Buffer.alloc(200, 0xff)]));
      const run = await centinela(['run', '--config', 'config'], {
        ...SHIPPED_ENV,
        CENTINELA_STATE: path,
        CENTINELA_LISTEN: '127.0.0.1:0',
      });
      expect(run).toEqual({
        code: 1,
        stdout: '',
        stderr:
          'centinela run: state.path (config/centinela.yaml): the state store cannot be opened (SQLITE_NOTADB). ' +
          'Point it at a writable SQLite file, or move the file that is there aside\n',
      });
    });
  });
});
