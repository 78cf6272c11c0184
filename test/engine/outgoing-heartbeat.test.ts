// centinela's outgoing heartbeat against a loopback receiver on a fake clock: the exact requests (a POST of the URL
// when healthy, of <url>/fail with the reason when not), one per period, none after stop, a hanging receiver cut
// at the next period, and the URL (a secret) never in the log.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { Secret } from '../../src/config/secret.js';
import { OutgoingHeartbeat, unhealthyReason } from '../../src/engine/outgoing-heartbeat.js';
import type { ProbeStats } from '../../src/scheduler.js';
import { waitUntil } from '../support/wait-until.js';
import { startWebhookSink, type WebhookSink } from '../support/webhook-sink.js';

let sink: WebhookSink;
beforeAll(async () => {
  sink = await startWebhookSink();
});
afterAll(() => sink.close());

function beatOver(clock: FakeClock, unhealthy: () => string | undefined) {
  const lines: string[] = [];
  const log = pino(
    { level: 'info' },
    new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    }),
  );
  sink.path('/ping/5f3c-uuid/fail');
  const url = new Secret(`${sink.path('/ping/5f3c-uuid')}?rid=1`);
  return { beat: new OutgoingHeartbeat({ url, everyMs: 60_000, clock, log, unhealthy }), lines };
}

describe('outgoing heartbeat', () => {
  it('pings at start and every period, and says /fail with the reason while centinela is unhealthy', async () => {
    sink.requests.length = 0;
    const clock = new FakeClock();
    let reason: string | undefined;
    const { beat } = beatOver(clock, () => reason);
    beat.start();
    await sink.waitFor(1);
    await clock.advance(59_999);
    expect(sink.requests).toHaveLength(1);
    reason = 'probe api_health is 2m overdue';
    await clock.advance(1);
    await sink.waitFor(2);
    reason = undefined;
    await clock.advance(60_000);
    await sink.waitFor(3);
    beat.stop();
    await clock.advance(600_000);
    expect(sink.requests.map((r) => [r.method, r.path, r.body, r.headers['content-type']])).toEqual([
      ['POST', '/ping/5f3c-uuid?rid=1', '', 'text/plain; charset=utf-8'],
      ['POST', '/ping/5f3c-uuid/fail?rid=1', 'probe api_health is 2m overdue', 'text/plain; charset=utf-8'],
      ['POST', '/ping/5f3c-uuid?rid=1', '', 'text/plain; charset=utf-8'],
    ]);
  });

  it('cuts a hanging receiver at the next period and logs without the URL', async () => {
    sink.requests.length = 0;
    sink.script('hang', { status: 500 });
    const clock = new FakeClock();
    const { beat, lines } = beatOver(clock, () => undefined);
    beat.start();
    await sink.waitFor(1);
    await sink.waitForHanging(1);
    await clock.advance(60_000);
    await sink.waitFor(2);
    await sink.waitForHanging(0);
    // The second ping's answer is read over a real socket: its log line comes when it comes. Stopping before it came
    // would abort that ping in flight (stop() does), and its 500 would never be read.
    const both = () => ['answered 500', 'could not reach the receiver'].every((t) => lines.join('').includes(t));
    await waitUntil(both, 10_000, () => `log lines: ${lines.join('')}`);
    beat.stop();
    await clock.advance(60_000);
    expect(lines.join('')).toContain('outgoing heartbeat: the receiver answered 500');
    expect(lines.join('')).toContain('outgoing heartbeat: could not reach the receiver');
    expect(lines.join('')).not.toContain('5f3c-uuid');
  });
});

describe('unhealthyReason', () => {
  const stats = (nextRunAt: number | undefined): ProbeStats => ({
    runs: 1,
    skips: 0,
    failures: 0,
    running: false,
    ...(nextRunAt !== undefined ? { nextRunAt } : {}),
  });
  it('names each probe and the outbox more than one period late, and nothing while on time', () => {
    const probes = new Map([
      ['api_health', stats(1_000)],
      ['db', stats(100_000)],
      ['stopped', stats(undefined)],
    ]);
    expect(unhealthyReason(new Map([['db', stats(100_000)]]), 90_000, 100_000, 60_000)).toBeUndefined();
    expect(unhealthyReason(probes, 10_000, 100_000, 60_000)).toBe(
      'probe api_health is 1m39s overdue; the outbox is not draining: a delivery is 1m30s overdue',
    );
  });
});
