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
import type { ProbeResult } from '../../src/probes/probe.js';
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

describe('runGuarded bounds what a run reports', () => {
  const config = probeConfig.parse({
    name: 'api',
    kind: 'http',
    every: '10s',
    url: 'http://127.0.0.1:1/',
    headers: { 'x-token': 's3cr3t-t0k3n' },
  });
  // Whatever the probe: a driver's error or a message that quotes its target by other means than an excerpt.
  const outcome = (run: () => Promise<ProbeResult>) => runGuarded(config, { run }, { clock: new FakeClock(), log });

  it('cuts a 500 KB reason, cannot-measure reason or thrown message to 2000 characters, saying so', async () => {
    const page = 'x'.repeat(500_000);
    const down = (await outcome(async () => ({ up: false, reason: page }))).result;
    expect(down).toEqual({ up: false, reason: `${'x'.repeat(2_000)}… (500000 characters)` });
    const thrown = (
      await outcome(async () => {
        throw new Error(page);
      })
    ).result;
    expect(thrown.up || thrown.reason).toBe(`probe failed: ${'x'.repeat(1_986)}… (500014 characters)`);
    const unmeasured = (await outcome(async () => ({ up: true, samples: [], cannotMeasure: page, detail: page })))
      .result;
    expect(unmeasured).toMatchObject({
      cannotMeasure: `${'x'.repeat(2_000)}… (500000 characters)`,
      detail: `${'x'.repeat(16_000)}… (500000 characters)`,
    });
  });

  it('scrubs a secret before it cuts, so one across the cut is not shown in part', async () => {
    const reason = `${'x'.repeat(1_995)}s3cr3t-t0k3n${'y'.repeat(100)}`;
    expect((await outcome(async () => ({ up: false, reason }))).result).toEqual({
      up: false,
      reason: `${'x'.repeat(1_995)}<secr… (2103 characters)`,
    });
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
