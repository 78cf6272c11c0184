// No "(node:123) Warning: …" line reaches the terminal, through the real binary: a YAML key that is a list is a
// problem told at its place (yaml would warn and stringify it), a warning a library raises is dropped by the one-shot
// commands and logged by the daemon.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { centinela, configFolder, VALID_ESCALATION } from '../support/cli.js';
import { spawnDaemon, startWorld, type World } from '../support/daemon.js';
import { SHIPPED_ENV } from '../support/shipped-env.js';

/** NODE_OPTIONS that load `code` before centinela starts: a stand-in for a library that raises a warning. */
const preload = (code: string) => ({ NODE_OPTIONS: `--import=data:text/javascript,${encodeURIComponent(code)}` });
// Once the command is done and the process is about to exit: main.ts has certainly run by then.
const WARN_AT_EXIT = preload(
  "process.once('beforeExit', () => process.emitWarning('a warning from a library', 'DeprecationWarning', 'DEP0999'));",
);

const ALERTS = `probes:
  - name: api_health
    kind: http
    url: http://api:8000/api/v1/health
    every: 15s
rules:
  - name: ApiDown
    sample: api_health.up
    op: "=="
    thresholds: { P0: 0 }
    labels:
      ? [team, area]
      : platform
`;

let dirs: string[] = [];
let world: World | undefined;
afterEach(async () => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs = [];
  await world?.close();
  world = undefined;
});

describe('Node warnings', () => {
  it('check: a list as a mapping key is a problem at file:line:col with the fix, and no (node: line', async () => {
    const dir = configFolder(ALERTS, VALID_ESCALATION);
    dirs.push(dir);
    const run = await centinela(['check', '--config', dir]);
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr:
        `${join(dir, 'alerts.yaml')}:12:9  YAML: a list cannot be a key. Write a name before ":".\n` +
        '1 problem in 1 file; nothing was started.\n',
    });
  });

  it('test: a list as a key in a rule test file is told at file:line:col, and no (node: line', async () => {
    const dir = configFolder(ALERTS.replace(/ {4}labels:\n.*\n.*\n/, ''), VALID_ESCALATION);
    dirs.push(dir);
    const file = join(dir, 'broken-test.yaml');
    writeFileSync(file, 'tests:\n  - interval: 1m\n    ? [a]\n    : 1\n');
    const run = await centinela(['test', file, '--config', dir]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`ERROR ${file}:\n  ${file}:3:7  YAML: a list cannot be a key. Write a name before ":".\n`);
  });

  it('a warning a library raises is not printed by a one-shot command', async () => {
    const run = await centinela(['check', '--config', 'config'], { ...SHIPPED_ENV, ...WARN_AT_EXIT });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
  });

  it('the daemon logs a warning a library raises as a warn line, and prints nothing on stderr', async () => {
    world = await startWorld({}, systemClock);
    const daemon = await spawnDaemon(
      world,
      preload(
        "process.on('SIGUSR2', () => process.emitWarning('a warning from a library', 'DeprecationWarning', 'DEP0999'));",
      ),
    );
    try {
      daemon.kill('SIGUSR2');
      const line = await daemon.waitForLog(/^node: /);
      expect(line).toMatchObject({
        level: 'warn',
        msg: 'node: a warning from a library',
        warning: 'DeprecationWarning',
        code: 'DEP0999',
      });
      daemon.kill('SIGTERM');
      expect(await daemon.exited).toEqual({ code: 0, signal: null });
      expect(daemon.stderr()).toBe('');
    } finally {
      daemon.kill('SIGKILL');
    }
  });
});
