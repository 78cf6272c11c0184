// Two centinelas watch each other (docs/deploy.md): two `centinela run` child processes on the system clock, each
// with a heartbeat probe for the other and the other's ping URL as its own outgoing heartbeat. kill -9 one, and the
// other pages "centinela on prod silent" within period + grace (plus one probe run and the delivery).
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { type DaemonProcess, hookEvents, spawnDaemon, startWorld, type World } from '../support/daemon.js';
import { freePort } from '../support/tcp-target.js';
import { waitUntil } from '../support/wait-until.js';

const PERIOD_MS = 2_000;
const GRACE_MS = 4_000;
const SECRET = { prod: 'prod-ping-secret-0123456789', watcher: 'watcher-ping-secret-0123456789' };
let world: World;
const daemons: DaemonProcess[] = [];

afterAll(async () => {
  for (const d of daemons) d.kill('SIGKILL');
  await Promise.all(daemons.map((d) => d.exited));
  await world?.close();
});

/** A config folder for the centinela `self`, watching `peer` on `peerPort`. */
function configFor(self: 'prod' | 'watcher', peer: 'prod' | 'watcher', peerPort: number): string {
  const dir = join(world.dir, `config-${self}`);
  cpSync(world.configDir, dir, { recursive: true });
  const alerts = join(dir, 'alerts.yaml');
  writeFileSync(
    alerts,
    readFileSync(alerts, 'utf8')
      .replace(
        'probes:\n',
        `probes:\n  - name: centinela_peer\n    kind: heartbeat\n    every: 1s\n    timeout: 500ms\n` +
          `    expect_every: ${PERIOD_MS / 1000}s\n    grace: ${GRACE_MS / 1000}s\n    secret: \${OWN_SECRET}\n` +
          `    labels: { host: ${peer} }\n`,
      )
      .replace(
        'rules:\n',
        'rules:\n  - name: CentinelaSilent\n    sample: centinela_peer.overdue\n    op: ">="\n    thresholds: { P2: 1 }\n' +
          '    summary: "centinela on {{ labels.host }} silent"\n',
      ),
  );
  const centinela = join(dir, 'centinela.yaml');
  writeFileSync(
    centinela,
    `${readFileSync(centinela, 'utf8')}heartbeat:\n  url: http://127.0.0.1:${peerPort}/api/v1/heartbeats/centinela_peer/${SECRET[peer]}\n  every: ${PERIOD_MS / 1000}s\n`,
  );
  return dir;
}

const silentPages = () =>
  world.hook.requests.flatMap((r) =>
    (
      JSON.parse(r.body) as { notifications: { event: string; alert: { name: string; summary: string } }[] }
    ).notifications
      .filter((n) => n.alert.name === 'CentinelaSilent')
      .map((n) => `${n.event}: ${n.alert.summary}`),
  );

describe('two centinelas watch each other', () => {
  it('pages "centinela on prod silent" within period + grace of a kill -9 of the production one', async () => {
    world = await startWorld({ EVERY: '1s', TIMEOUT: '800ms' }, systemClock);
    const [prodPort, watcherPort] = [await freePort(), await freePort()];
    const prodDir = configFor('prod', 'watcher', watcherPort);
    const watcherDir = configFor('watcher', 'prod', prodPort);
    const watcher = await spawnDaemon(
      { ...world, configDir: watcherDir },
      { LISTEN: `127.0.0.1:${watcherPort}`, STATE_PATH: join(world.dir, 'watcher.db'), OWN_SECRET: SECRET.watcher },
    );
    daemons.push(watcher);
    const prod = await spawnDaemon(
      { ...world, configDir: prodDir },
      { LISTEN: `127.0.0.1:${prodPort}`, STATE_PATH: join(world.dir, 'prod.db'), OWN_SECRET: SECRET.prod },
    );
    daemons.push(prod);

    // Both alive for two periods: each one's pings keep the other quiet.
    await new Promise((r) => setTimeout(r, 2 * PERIOD_MS + GRACE_MS));
    expect(silentPages()).toEqual([]);

    prod.kill('SIGKILL');
    await prod.exited;
    const killedAt = Date.now();
    await waitUntil(
      () => silentPages().length > 0,
      PERIOD_MS + GRACE_MS + 5_000,
      () => 'no page from the watcher',
    );
    const tookMs = Date.now() - killedAt;
    expect(silentPages()).toEqual(['firing: centinela on prod silent']);
    // The last ping came at most one period before the kill; one probe run (1 s) and the delivery follow the deadline.
    expect(tookMs).toBeLessThanOrEqual(PERIOD_MS + GRACE_MS + 2_000);
    expect(hookEvents(world.hook).every((e) => e.endsWith('CentinelaSilent'))).toBe(true);
  }, 60_000);
});
