// The demo target's simulated traffic: a fault switch covers the requests of its own time, so a fault or a spike of
// a few seconds between two scrapes shows in the scrape as the share of the interval it lasted.
import { afterEach, describe, expect, it } from 'vitest';
import { type DemoTarget, startDemoTarget } from '../../demo/target.js';
import { FakeClock } from '../../src/clock.js';
import { seeded } from '../support/daemon.js';

let target: DemoTarget | undefined;
afterEach(async () => {
  await target?.close();
  target = undefined;
});

/** http_requests_total by status class, summed over handlers, from one scrape of /metrics. */
async function requests(t: DemoTarget): Promise<Record<string, number>> {
  const text = await (await fetch(`${t.url}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const [, status, n] of text.matchAll(/^http_requests_total\{.*status="(\w+)".*\} (\d+)$/gm)) {
    out[status as string] = (out[status as string] ?? 0) + Number(n);
  }
  return out;
}

describe('demo target traffic', () => {
  it('draws the requests before a fault switch in the mode it ends, and those after it in the new one', async () => {
    const clock = new FakeClock();
    target = await startDemoTarget({ clock, rps: 10, errorRate: 1, random: seeded(3) });
    await requests(target);
    await clock.advance(2_000);
    target.setFault('errors');
    await clock.advance(3_000);
    target.setFault('none');
    await clock.advance(5_000);
    // 100 requests in 10 s: the 30 of the 3 s of errors failed, and of the 70 around them, at 0.2 % of errors, a few.
    const got = await requests(target);
    expect((got['2xx'] ?? 0) + (got['5xx'] ?? 0)).toBe(100);
    expect(got['5xx']).toBeGreaterThanOrEqual(30);
    expect(got['5xx']).toBeLessThanOrEqual(32);
  });

  it('switched over HTTP too', async () => {
    const clock = new FakeClock();
    target = await startDemoTarget({ clock, rps: 10, errorRate: 1, random: seeded(3) });
    await requests(target);
    await clock.advance(4_000);
    await fetch(`${target.url}/fault?mode=errors`, { method: 'POST' });
    await clock.advance(1_000);
    const got = await requests(target);
    expect((got['2xx'] ?? 0) + (got['5xx'] ?? 0)).toBe(50);
    expect(got['5xx']).toBeGreaterThanOrEqual(10);
    expect(got['5xx']).toBeLessThanOrEqual(12);
  });
});
