// `centinela run` refusing to start, through the real binary: every config problem as `check` prints them, a
// LOG_LEVEL that is no level.
import { describe, expect, it } from 'vitest';
import { centinela } from '../support/cli.js';
import { SHIPPED_ENV } from '../support/shipped-env.js';

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

  it('refuses a LOG_LEVEL that is not a level, as the other commands do, before reading the config', async () => {
    const run = await centinela(['run', '--config', BROKEN], { LOG_LEVEL: 'loud' });
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr: 'LOG_LEVEL "loud" is not a level. Use fatal, error, warn, info, debug, trace, silent\n',
    });
  });
});
