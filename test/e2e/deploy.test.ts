// `centinela deploy -- CMD` end to end: a `centinela run` child process on the system clock watches the loopback demo
// target (probes every second), and the deploy command runs as a second process whose CMD breaks the target and
// mends it (or does not), as a deploy restarting the API does. The window closes once health is back after CMD ended,
// verify runs, and the exit status says how it went; health that never comes back pages HealthNotBack by real SMTP
// with the last output lines. The downtime budget is a timing rule: it runs in-process on the fake clock.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import type { MaintenanceView } from '../../src/server/api-shapes.js';
import {
  type DaemonProcess,
  hookEvents,
  spawnDaemon,
  startDaemon,
  startWorld,
  type World,
  WRITE_TOKEN,
} from '../support/daemon.js';
import { waitUntil } from '../support/wait-until.js';

const NODE = resolve('node_modules/.bin/node');

/** A CMD in JavaScript: node -e with the target's and the daemon's addresses in its environment. */
const script = (body: string) => [NODE, '-e', body];
const fault = (mode: string) => `await fetch(process.env.TARGET_URL + '/fault?mode=${mode}', { method: 'POST' });`;
const pause = (ms: number) => `await new Promise((r) => setTimeout(r, ${ms}));`;

describe('centinela deploy against a running daemon', () => {
  let world: World;
  let daemon: DaemonProcess;

  beforeAll(async () => {
    world = await startWorld({ EVERY: '1s', TIMEOUT: '800ms', RETRY_EVERY: '500ms' }, systemClock);
    daemon = await spawnDaemon(world);
  });

  afterAll(async () => {
    daemon?.kill('SIGKILL');
    await daemon?.exited;
    await world?.close();
  });

  /** Runs `centinela deploy ARGS -- CMD` to its end. */
  function runDeploy(args: string[], cmd: string[]): Promise<{ code: number | null; out: string; err: string }> {
    const child = spawn(
      NODE,
      [
        'bin/centinela.js',
        'deploy',
        '--url',
        daemon.url,
        '--token',
        WRITE_TOKEN,
        '--config',
        world.configDir,
        ...args,
        '--',
        ...cmd,
      ],
      // verify's probes get the default timeout: the daemon's 800ms is for its 1s schedule, not for a busy machine.
      {
        env: { PATH: process.env.PATH, ...world.env, EVERY: '10s', TIMEOUT: '5s', DAEMON_URL: daemon.url },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    return new Promise((done) => child.on('close', (code) => done({ code, out, err })));
  }

  async function windowOf(err: string): Promise<MaintenanceView> {
    const id = /window (win_[0-9a-f]+) open/.exec(err)?.[1];
    expect(id, err).toBeDefined();
    const res = await fetch(`${daemon.url}/api/v1/maintenance/${id}`);
    return ((await res.json()) as { window: MaintenanceView }).window;
  }

  it('closes its window once health is back after the command, runs verify, and exits 0', async () => {
    const run = await runDeploy(
      ['--probes', 'api_health', '--max', '1m', '--reason', 'deploy v1.4.2'],
      script(
        `console.log('pulling images'); ${fault('down')} ${pause(3_000)} console.log('migrations at head'); ` +
          `${fault('none')} console.log('deploy done');`,
      ),
    );
    expect(run.err).toContain('exited with status 0');
    expect(run.out).toContain('pulling images');
    expect(run.out, run.out + run.err).toContain('PASSED');
    expect(run.code, run.err).toBe(0);
    const w = await windowOf(run.err);
    expect(w).toMatchObject({ state: 'closed', closedBecause: 'healthy', reason: 'deploy v1.4.2' });
    expect(w.output).toBe('pulling images\nmigrations at head\ndeploy done');
    expect(w.commandEndedAt).toBeDefined();
    // The API was down for three seconds, long enough for ApiDown to fire; the window held it back.
    expect(hookEvents(world.hook).filter((e) => e.includes('ApiDown'))).toEqual([]);
  });

  it('exits with the command status when it fails, after the window closes on health', async () => {
    const run = await runDeploy(
      ['--max', '1m'],
      script(`console.error('alembic: revision not found'); process.exit(3);`),
    );
    expect(run.out, run.out + run.err).toContain('PASSED');
    expect(run.code).toBe(3);
    expect((await windowOf(run.err)).output).toBe('alembic: revision not found');
  });

  it('prints what happened as one JSON object with --json, the command output going to stderr', async () => {
    const run = await runDeploy(['--max', '1m', '--json'], script(`console.log('deploy done');`));
    expect(run.code, run.err).toBe(0);
    expect(JSON.parse(run.out)).toMatchObject({
      status: 0,
      commandStatus: 0,
      window: { state: 'closed', closedBecause: 'healthy', output: 'deploy done' },
      verify: { ok: true },
    });
    expect(run.err).toContain('deploy done');
  });

  it('marks a rollback, shown on the status page while it runs', async () => {
    const run = await runDeploy(
      ['--rollback', '--max', '1m'],
      script(
        `const page = await (await fetch(process.env.DAEMON_URL + '/')).text(); ` +
          `console.log(page.includes('class="rollback"') ? 'status page shows the rollback' : page);`,
      ),
    );
    expect(run.out).toContain('status page shows the rollback');
    expect(run.code, run.err).toBe(0);
    expect(await windowOf(run.err)).toMatchObject({ rollback: true, reason: expect.stringMatching(/^rollback: /) });
  });

  it('pages HealthNotBack with the last output lines by real SMTP when health never comes back, and exits 1', async () => {
    const before = world.smtp.received.length;
    const run = await runDeploy(
      ['--max', '6s'],
      script(`console.log('docker compose up -d api'); ${fault('down')} console.log('smoke test: health 503');`),
    );
    try {
      expect(run.err).toContain('HealthNotBack paged');
      expect(run.code).toBe(1);
      const healthNotBack = () =>
        world.smtp.received.slice(before).find((m) => m.mail.subject?.includes('is not healthy'));
      await waitUntil(
        () => healthNotBack() !== undefined,
        20_000,
        () => `no HealthNotBack email (${world.smtp.received.map((m) => m.mail.subject).join(' | ')})`,
      );
      const mail = healthNotBack();
      expect(mail?.mail.text).toContain('Diagnosis (deploy):\n  docker compose up -d api\n  smoke test: health 503');
      expect((await windowOf(run.err)).closedBecause).toBe('unhealthy');
    } finally {
      await fetch(`${world.target.url}/fault?mode=none`, { method: 'POST' });
    }
  });
});

describe('the downtime budget (fake clock)', () => {
  let world: World;

  beforeAll(async () => {
    world = await startWorld({ RETRY_EVERY: '1s' });
  });

  afterAll(async () => {
    await world?.close();
  });

  it('pages a held ApiDown once it has fired for longer than the budget, long before max', async () => {
    const d = await startDaemon(world);
    try {
      const open = await d.app.server.inject({
        method: 'POST',
        url: '/api/v1/maintenance',
        headers: { authorization: `Bearer ${WRITE_TOKEN}` },
        payload: { probes: ['api_health'], max: '15m', budget: '1m', reason: 'deploy', by: 'ci' },
      });
      expect(open.statusCode).toBe(201);
      expect(open.json().window).toMatchObject({ budgetSeconds: 60 });
      world.target.setFault('down');
      const apiDown = () => hookEvents(world.hook).filter((e) => e === 'firing ApiDown');
      // ApiDown fires within a few seconds (three failures a second apart) and is held by the window.
      await d.advance(20_000);
      expect(apiDown()).toEqual([]);
      const firing = (await d.app.server.inject({ url: '/api/v1/alerts?alertname=ApiDown' })).json().alerts;
      expect(firing[0].suppressedBy).toEqual([{ kind: 'maintenance', id: open.json().window.id }]);
      const waited = await d.advanceUntil(
        () => apiDown().length > 0,
        120_000,
        () => `no ApiDown page (${hookEvents(world.hook)})`,
      );
      // Paged after a minute of firing (plus the release's look at its probe), not at the window's 15 minutes.
      expect(20_000 + waited).toBeGreaterThan(60_000);
      expect(20_000 + waited).toBeLessThan(90_000);
    } finally {
      await d.close();
    }
  });
});
