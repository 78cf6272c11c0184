// The `ws_stats` probe: the API's /ws/stats JSON (runbook, WebSocket Monitoring) as samples, with message and
// broadcast rates between runs and the age of the last broadcast (a stalled broadcaster is an alert).
import type { IncomingHttpHeaders } from 'node:http';
import type { Sample } from '../types.js';
import { CounterRates } from './counter-rate.js';
import { answerPreview, encodedBody, HttpClient, readCapped } from './http-client.js';
import { describeFailure } from './net-failure.js';
import { defineProbe, type ProbeResult, sample } from './probe.js';
import { showJson } from './target-text.js';

/** /ws/stats is a few hundred bytes; anything past this is not that endpoint. */
const MAX_BODY_BYTES = 65_536;

const COUNTERS = ['active_connections', 'total_messages_sent', 'total_broadcasts'] as const;

/**
 * How far ahead of centinela's clock last_broadcast_at may be and still read as "just now": the two hosts' clocks
 * may differ a little. Further ahead, an age of 0 s would hide a stall for as long as the time stays ahead.
 */
const CLOCK_SKEW_MS = 60_000;

export default defineProbe({
  kind: 'ws_stats',
  needsTwoRuns: true,
  create(config) {
    const client = new HttpClient({ url: config.url, headers: config.headers, tls: config.tls });
    const rates = new CounterRates();
    const broadcasts = new BroadcastClock();
    return {
      async run({ signal, clock }): Promise<ProbeResult> {
        let status: number;
        let body: { bytes: Buffer; truncated: boolean };
        let headers: IncomingHttpHeaders;
        try {
          const response = await client.send({ signal });
          status = response.statusCode;
          headers = response.headers;
          body = await readCapped(response.body, MAX_BODY_BYTES);
        } catch (err) {
          return { up: false, reason: describeFailure(err, signal, client.endpoint) };
        }
        if (status < 200 || status > 299) {
          return { up: false, reason: `status ${status}${answerPreview(headers, body.bytes)}` };
        }
        const encoded = encodedBody(headers);
        if (encoded) return { up: false, reason: encoded };
        if (body.truncated)
          return { up: false, reason: `answer is larger than ${MAX_BODY_BYTES} bytes; not /ws/stats` };
        let stats: unknown;
        try {
          stats = JSON.parse(body.bytes.toString('utf8'));
        } catch (err) {
          return { up: false, reason: `answer is not valid JSON (${(err as Error).message})` };
        }
        if (stats === null || typeof stats !== 'object' || Array.isArray(stats)) {
          return { up: false, reason: 'answer is not a JSON object like {"active_connections": 10, ...}' };
        }
        return toResult(stats as Record<string, unknown>, clock.now(), rates, broadcasts);
      },
      close: () => client.close(),
    };
  },
});

/** Samples from the stats object at `now`; fields that are missing or of the wrong type are named in cannotMeasure. */
function toResult(
  stats: Record<string, unknown>,
  now: number,
  rates: CounterRates,
  broadcasts: BroadcastClock,
): ProbeResult {
  const samples: Sample[] = [];
  const problems: string[] = [];
  for (const field of COUNTERS) {
    const value = stats[field];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      problems.push(`${field} is ${value === undefined ? 'missing' : `${showJson(value, 100)}, not a count`}`);
      continue;
    }
    samples.push(sample(field, value));
    if (field === 'active_connections') continue;
    // A counter that went down is a restart of the API: counted from zero, like Prometheus' rate().
    const rate = rates.observe(field, value, now);
    if (rate !== undefined)
      samples.push(sample(field === 'total_messages_sent' ? 'messages_per_second' : 'broadcasts_per_second', rate));
  }
  const last = stats.last_broadcast_at;
  const lastAt = parseInstant(last);
  let detail: string | undefined;
  if (lastAt !== undefined && lastAt - now > CLOCK_SKEW_MS) {
    problems.push(
      `last_broadcast_at is ${showJson(last, 100)}, ${Math.round((lastAt - now) / 1000)} s in the future (more than ` +
        `the ${CLOCK_SKEW_MS / 1000} s of clock skew allowed), so the age of the last broadcast cannot be told: ` +
        `check the clocks of the API's host and of centinela's`,
    );
  } else if (lastAt !== undefined) {
    // A clock a little ahead on the API side must not read as a negative age.
    samples.push(sample('seconds_since_last_broadcast', Math.max(0, (now - lastAt) / 1000)));
    broadcasts.saw(lastAt);
  } else if (last === null) {
    const since = broadcasts.none(now);
    samples.push(sample('seconds_since_last_broadcast', Math.max(0, (now - since.at) / 1000)));
    detail = `no broadcast yet (last_broadcast_at is null); ${
      since.seen ? 'the last one seen was' : 'none seen since centinela began watching,'
    } at ${new Date(since.at).toISOString()}`;
  } else {
    problems.push(
      `last_broadcast_at is ${last === undefined ? 'missing' : `${showJson(last, 100)}, not an ISO 8601 time like "2025-10-16T12:30:45Z"`}`,
    );
  }
  if (problems.length > 0) return { up: true, samples, detail, cannotMeasure: `/ws/stats: ${problems.join('; ')}` };
  return { up: true, samples, detail };
}

/**
 * What `last_broadcast_at: null` (no broadcast since the API started) is counted from, so that a broadcaster that
 * never starts is a stall like one that stops, instead of a series that vanishes (which would resolve the alert and
 * keep it from ever firing again): the last broadcast this probe saw (the API restarted and forgot it), or else the
 * first run that found none (the age is then at least that; after centinela restarts it counts from its first run).
 */
class BroadcastClock {
  #last: number | undefined;
  #noneSince: number | undefined;

  saw(at: number): void {
    this.#last = at;
    this.#noneSince = undefined;
  }

  none(now: number): { at: number; seen: boolean } {
    if (this.#last !== undefined) return { at: this.#last, seen: true };
    this.#noneSince ??= now;
    return { at: this.#noneSince, seen: false };
  }
}

/**
 * Epoch ms of an ISO 8601 time, as the runbook's /ws/stats writes it; anything else (a number: Unix seconds or
 * milliseconds? a date without a time) is undefined, a cannot-measure rather than a guessed age. A time without a
 * zone is UTC: Python's datetime.utcnow().isoformat() writes none, and reading it as local time would shift it by
 * the host's offset.
 */
function parseInstant(value: unknown): number | undefined {
  if (typeof value !== 'string' || !/^\d{4}-\d\d-\d\d[T ]\d\d:\d\d/.test(value)) return undefined;
  const zoned = /(Z|[+-]\d\d:?\d\d)$/i.test(value) ? value : `${value}Z`;
  const ms = Date.parse(zoned.replace(' ', 'T'));
  if (Number.isNaN(ms)) return undefined;
  // Date.parse rolls a day past the month's end over into the next month (2026-02-30 is 2 March): not a time.
  const [year, month, day] = value.slice(0, 10).split('-').map(Number) as [number, number, number];
  return month >= 1 && month <= 12 && day >= 1 && day <= new Date(Date.UTC(year, month, 0)).getUTCDate()
    ? ms
    : undefined;
}
