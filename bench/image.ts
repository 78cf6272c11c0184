// Bench: the production image, built from the Dockerfile on a real dockerd of its own (as root, see
// test/support/centinela-image.ts), then started --runs times as the compose file runs it, with the shipped config,
// each time on a fresh state volume. Prints the build time, the image sizes, and per start the time from `docker run`
// to the first 200 of /readyz and to Docker's `healthy` (its first health check comes one --interval, 30 s, after
// the start), with medians.
//
//   npx tsx bench/image.ts [--runs 5]
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { systemClock } from '../src/clock.js';
import { buildImages, IMAGE, PROXY_IMAGE, startCentinela, startProxy } from '../test/support/centinela-image.js';
import { startDockerEngine } from '../test/support/docker-engine.js';
import { SHIPPED_ENV } from '../test/support/shipped-env.js';
import { freePort } from '../test/support/tcp-target.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
const runs = Number(values.runs);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

const engine = await startDockerEngine();
const dir = mkdtempSync(join(tmpdir(), 'centinela-bench-image-'));
try {
  let started = systemClock.now();
  await buildImages(engine);
  console.log(`build: ${seconds(systemClock.now() - started)} (base images imported from the cache, no layer cache)`);
  for (const image of ['node:24-bookworm-slim', IMAGE, 'debian:bookworm-slim', PROXY_IMAGE]) {
    const size = Number(await engine.docker('image', 'inspect', '--format', '{{.Size}}', image));
    console.log(`  ${image.padEnd(28)} ${(size / 1e6).toFixed(1)} MB`);
  }

  await startProxy(engine);
  for (const folder of ['logs', 'backups']) mkdirSync(join(dir, folder));
  const binds = {
    './centinela': join(process.cwd(), 'config'),
    './logs': join(dir, 'logs'),
    './backups': join(dir, 'backups'),
  };
  const toReady: number[] = [];
  const toHealthy: number[] = [];
  for (let run = 1; run <= runs; run++) {
    const url = `http://127.0.0.1:${await freePort()}`;
    started = systemClock.now();
    const name = await startCentinela(engine, {
      binds,
      env: {
        ...SHIPPED_ENV,
        CENTINELA_LISTEN: url.slice('http://'.length),
        CENTINELA_ACK_SECRET: 'bench-ack-secret-0123456789',
      },
    });
    while ((await fetch(`${url}/readyz`).catch(() => undefined))?.status !== 200) await systemClock.sleep(20);
    toReady.push(systemClock.now() - started);
    await engine.waitFor(name, (c) => c.State.Health?.Status === 'healthy', 120_000);
    toHealthy.push(systemClock.now() - started);
    console.log(
      `start ${run}: /readyz 200 after ${seconds(toReady.at(-1) ?? 0)}, healthy after ${seconds(toHealthy.at(-1) ?? 0)}`,
    );
    await engine.docker('rm', '--force', name);
    await engine.docker('volume', 'rm', 'centinela-state');
  }
  console.log(
    `median of ${runs}: /readyz 200 after ${seconds(median(toReady))}, healthy after ${seconds(median(toHealthy))}`,
  );
} finally {
  await engine.stop();
  rmSync(dir, { recursive: true, force: true });
}
