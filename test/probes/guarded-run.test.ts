// The guarded run and the one-off check of `centinela probe`: secrets of every length are scrubbed from what a run
// reports, and kinds whose samples need two readings are run twice.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { type ProbeConfig, probeConfig } from '../../src/config/probes.js';
import { checkProbes, runGuarded } from '../../src/probes/guarded-run.js';
import { createProbe } from '../../src/probes/index.js';
import { type HttpTarget, startHttpTarget } from '../support/http-target.js';

const log = pino({ level: 'silent' });

/** A FakeClock that says when something first sleeps on it. */
class SleepWatchingClock extends FakeClock {
  #wake = () => {};
  readonly asleep = new Promise<void>((resolve) => {
    this.#wake = resolve;
  });

  override sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.#wake();
    return super.sleep(ms, signal);
  }
}

describe('runGuarded scrubs secrets from what the run reports', () => {
  let target: HttpTarget;
  beforeAll(async () => {
    // Answers 401 and says which token it was given, as some APIs do.
    target = await startHttpTarget({
      routes: {
        '/echo': (req, res) => {
          const token = String(req.headers['x-token']);
          res.writeHead(401).end(`token ${token} expired; ${token}x and x${token} are other words; ${token}-2 too`);
        },
      },
    });
  });
  afterAll(() => target.close());

  async function reasonWith(token: string): Promise<string> {
    const config = probeConfig.parse({
      name: 'api',
      kind: 'http',
      every: '10s',
      url: `${target.url}/echo`,
      headers: { 'x-token': token },
    });
    const clock = new FakeClock();
    const probe = createProbe(config, { log, clock });
    try {
      const { result } = await runGuarded(config, probe, { clock, log });
      if (result.up) throw new Error('expected the probe down');
      return result.reason;
    } finally {
      await probe.close?.();
    }
  }

  it('a short secret (3 characters) wherever it stands as a token of its own, not inside other words', async () => {
    expect(await reasonWith('k7q')).toBe(
      'status 401: token <secret> expired; k7qx and xk7q are other words; <secret>-2 too',
    );
  });

  it('a longer secret wherever it appears, inside words too', async () => {
    expect(await reasonWith('s3cr3t-t0k3n')).toBe(
      'status 401: token <secret> expired; <secret>x and x<secret> are other words; <secret>-2 too',
    );
  });

  it('a short secret made of regular-expression characters is matched literally', async () => {
    expect(await reasonWith('.*')).toBe(
      'status 401: token <secret> expired; .*x and x.* are other words; <secret>-2 too',
    );
  });
});

describe('checkProbes, the path of `centinela probe`', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'centinela-guarded-run-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('runs disk twice, --interval apart, so hours_until_full is reported', async () => {
    const config = probeConfig.parse({ name: 'disk', kind: 'disk', every: '1m', paths: [dir] });
    const clock = new SleepWatchingClock();
    const checking = checkProbes([config as ProbeConfig], { clock, log, intervalMs: 5_000 });
    // The clock moves only between the two runs, once the first is over and the check waits for the interval.
    await Promise.race([clock.asleep, checking]);
    await clock.advance(5_000);
    const [outcome] = await checking;
    expect(outcome?.runs).toBe(2);
    const hours = outcome?.samples.find((s) => s.name === 'disk.hours_until_full' && s.labels.path === dir);
    expect(hours?.value).toBeGreaterThan(0);
  });
});
