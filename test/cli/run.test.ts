// `centinela run` refusing to start, through the real binary: every config problem as `check` prints them, a
// LOG_LEVEL that is no level; and parseListen, which reads server.listen.
import { describe, expect, it } from 'vitest';
import { parseListen } from '../../src/cli/run.js';
import { centinela } from '../support/cli.js';

const BROKEN = 'test/fixtures/config/several-problems';

describe('parseListen', () => {
  it.each([
    ['0.0.0.0:9810', { host: '0.0.0.0', port: 9810 }],
    ['127.0.0.1:0', { host: '127.0.0.1', port: 0 }],
    ['[::1]:9810', { host: '::1', port: 9810 }],
    [':9810', { host: '0.0.0.0', port: 9810 }],
    [' localhost:80 ', { host: 'localhost', port: 80 }],
  ])('reads %j', (listen, expected) => {
    expect(parseListen(listen)).toEqual(expected);
  });

  it.each(['9810', 'host:', 'host:65536', 'host:port', '::1:9810'])('refuses %j, saying what to write', (listen) => {
    expect(() => parseListen(listen)).toThrow(
      `server.listen "${listen}" is not host:port. Write e.g. 0.0.0.0:9810 or 127.0.0.1:9810`,
    );
  });
});

describe('centinela run', () => {
  it('refuses a broken config with every problem, as check prints them, from -c or CENTINELA_CONFIG', async () => {
    const check = await centinela(['check', '--config', BROKEN]);
    const flag = await centinela(['run', '-c', BROKEN], { CENTINELA_CONFIG: 'config' });
    const env = await centinela(['run'], { CENTINELA_CONFIG: BROKEN });
    for (const run of [flag, env]) {
      expect(run).toEqual({ code: 1, stdout: '', stderr: check.stderr });
    }
    expect(check.stderr.trimEnd().split('\n').at(-1)).toBe('8 problems in 2 files; nothing was started.');
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
