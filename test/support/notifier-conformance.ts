// The conformance suite every channel kind and webhook format runs, through the registry's `deliver`, against a
// real server on loopback (webhook-sink.ts, smtp-sink.ts): one table of how a receiver answers, each row with the
// outcome every channel must give — delivered, retried or final — and, in every row, no secret of the channel config
// in the reason; then the idempotency key, present and stable for one notification id.
//
//   webhookConformance('slack', { channel: ({ route, secret }) => ({ url: route(`/services/T0/B0/${secret}`) }) });
//   emailConformance();
//
// The table is written once; each transport says how its server stages a row (HTTP: a status, SMTP: a reply) and
// what the reason then reads after the channel's own name.

import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChannelConfig, channelConfig } from '../../src/config/schema.js';
import { DEFAULT_READING } from '../../src/locale/locale.js';
import type { FormatName } from '../../src/notifiers/formats/format.js';
import { deliver } from '../../src/notifiers/index.js';
import type { Delivery, Notification } from '../../src/notifiers/notifier.js';
import { MIN, makeAlert, silentLog } from './escalation-fixtures.js';
import type { RecordedRequest } from './http-target.js';
import { type SmtpAnswer, type SmtpSink, startSmtpSink } from './smtp-sink.js';
import { freePort } from './tcp-target.js';
import { type SinkAnswer, startWebhookSink, type WebhookSink } from './webhook-sink.js';

/** How the receiver answers an attempt. */
type Receiver =
  | 'accepts'
  | 'fails'
  | 'asks to wait'
  | 'hangs until the attempt times out'
  | 'closes the connection'
  | 'resets the connection'
  | 'is not listening'
  | 'refuses the request'
  | 'refuses the credentials';

/** The table: what every channel must make of each answer. */
const TABLE: { receiver: Receiver; outcome: 'delivered' | 'retried' | 'final' }[] = [
  { receiver: 'accepts', outcome: 'delivered' },
  { receiver: 'fails', outcome: 'retried' },
  { receiver: 'asks to wait', outcome: 'retried' },
  { receiver: 'hangs until the attempt times out', outcome: 'retried' },
  { receiver: 'closes the connection', outcome: 'retried' },
  { receiver: 'resets the connection', outcome: 'retried' },
  { receiver: 'is not listening', outcome: 'retried' },
  { receiver: 'refuses the request', outcome: 'final' },
  { receiver: 'refuses the credentials', outcome: 'final' },
];

type Failure = Exclude<Receiver, 'accepts'>;
/** The rows a server is scripted for (nothing listens in the other). */
type Staged = Exclude<Receiver, 'is not listening'>;

/** One transport's server and how it stages the table. */
interface Bench {
  /** The channel pointed at the live server, or at a port where nothing listens. */
  channel(live: boolean): ChannelConfig;
  /** How reasons start (the channel's name for itself), for the live server and the dead port. */
  what: { live: string; dead: string };
  /** Scripts the server to answer the next attempt so. */
  stage(receiver: Staged): void;
  /** What a reason reads after `what: ` for each failing row. */
  says: Record<Failure, RegExp>;
  /** The wait the `asks to wait` row must carry, when the protocol can ask for one. */
  retryAfterMs?: number;
  /** How many requests or messages the server received so far (a refused request counts, a refused mail not). */
  arrived(): number;
  /** Resolves once `n` arrived. */
  waitForArrivals(n: number): Promise<void>;
  /** The idempotency key of each arrival, in order. */
  keys(): (string | undefined)[];
  /** Set when the receiver's API has no idempotency key: why, and then a retry must at least repeat the same request. */
  keyless?: string;
  waitForHanging(n: number): Promise<void>;
  close(): Promise<void>;
}

const T0 = Date.UTC(2026, 0, 1, 10, 0);

/** A page about `alertname`: one firing item, as the outbox builds it. */
export function page(id: string, alertname: string, at = T0): Notification {
  const alert = makeAlert({ alertname, labels: { alertname, container: 'grupo_gad_api' }, activeSince: T0 });
  const item = {
    key: `${id}:item`,
    kind: 'firing' as const,
    alert,
    incidentId: 1,
    level: 'P0' as const,
    responseTimeMs: 15 * MIN,
    openedAt: T0,
    paged: ['cto'],
  };
  return {
    id,
    contact: { id: 'cto', name: 'CTO', email: 'cto@grupogad.gob.ec', phone: '+593 99 123 4567' },
    items: [item],
    at,
    reading: DEFAULT_READING,
  };
}

/** Registers the table for one bench in the calling test file. */
function runTable(name: string, start: (secret: string) => Promise<Bench>): void {
  describe(`${name} conformance`, () => {
    const secret = `s3cret-${randomBytes(8).toString('hex')}`;
    let bench: Bench;
    beforeAll(async () => {
      bench = await start(secret);
    });
    afterAll(() => bench.close());

    const send = (n: Notification, live: boolean, signal = new AbortController().signal) =>
      deliver(n, bench.channel(live), { signal, log: silentLog, now: () => n.at });
    const expectNoSecret = (d: Delivery) => {
      const shown = JSON.stringify(d);
      expect(shown).not.toContain(secret);
      expect(shown).not.toContain(encodeURIComponent(secret));
    };

    it.each(TABLE)('receiver $receiver → $outcome, with no secret in the reason', async ({ receiver, outcome }) => {
      const before = bench.arrived();
      const live = receiver !== 'is not listening';
      if (receiver !== 'is not listening') bench.stage(receiver);
      const attempt = new AbortController();
      const pending = send(page('n-table', 'ApiDown'), live, attempt.signal);
      if (receiver === 'hangs until the attempt times out') {
        await bench.waitForHanging(1);
        // As the outbox worker aborts an attempt past the channel's timeout.
        attempt.abort(new Error('timed out'));
      }
      const d = await pending;
      expectNoSecret(d);
      if (receiver === 'accepts') {
        expect(d).toEqual({ ok: true });
        await bench.waitForArrivals(before + 1);
        return;
      }
      const what = live ? bench.what.live : bench.what.dead;
      expect(d).toMatchObject({ ok: false, retryable: outcome === 'retried' });
      if (d.ok) return;
      expect(d.reason.startsWith(`${what}: `), `"${d.reason}" starts with "${what}: "`).toBe(true);
      expect(d.reason.slice(what.length + 2)).toMatch(bench.says[receiver]);
      if (receiver === 'asks to wait' && bench.retryAfterMs !== undefined) {
        expect(d.retryAfterMs).toBe(bench.retryAfterMs);
      } else {
        expect(d).not.toHaveProperty('retryAfterMs');
      }
      // The attempt let go of its connection: a hung receiver holds no socket of ours.
      if (receiver === 'hangs until the attempt times out') await bench.waitForHanging(0);
    });

    it('carries an idempotency key, the same on a retry of one notification, another for another (or, for a receiver without one, repeats the request)', async () => {
      const before = bench.arrived();
      const results = [
        await send(page('n-key', 'ApiDown'), true),
        await send(page('n-key', 'ApiDown', T0 + MIN), true),
        await send(page('n-other', 'DbDown'), true),
      ];
      expect(results).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
      await bench.waitForArrivals(before + 3);
      const [first, retry, other] = bench.keys().slice(before);
      expect(first).toMatch(/\S/);
      expect(retry).toBe(first);
      // A receiver without a key can only be sent the same request again; another notification may read the same.
      if (bench.keyless !== undefined) return;
      expect(other).toMatch(/\S/);
      expect(other).not.toBe(first);
    });
  });
}

/** Where a webhook format's channel points, and the secret to plant in every place the format keeps one. */
export interface WebhookTarget {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  origin: string;
  /** The full URL of `path` at the target; the live server answers there as the table scripts it. */
  route(path: string): string;
  secret: string;
}

/** A webhook format's part: its YAML keys (kind and format are filled in), and where its idempotency key travels. */
export interface WebhookSpec {
  channel(target: WebhookTarget): Record<string, unknown>;
  /** The key of one request; the `Idempotency-Key` header unless the format has its own (PagerDuty's dedup_key). */
  idempotencyKey?(req: RecordedRequest): string | undefined;
  /**
   * Why the receiver's API has no idempotency key (Twilio, Pushover); the suite then checks only that a retry repeats
   * what `idempotencyKey` picks (the whole body by default).
   */
  keyless?: string;
  /** Names a second run of one format's suite with other keys (`mode: call`), in the suite's title. */
  variant?: string;
}

const HTTP_ANSWERS: Record<Staged, SinkAnswer> = {
  accepts: { status: 202, body: 'accepted' },
  fails: { status: 503, body: 'down for maintenance', echo: true },
  'asks to wait': { status: 429, headers: { 'retry-after': '7' }, body: 'slow down', echo: true },
  'hangs until the attempt times out': 'hang',
  'closes the connection': 'close',
  'resets the connection': 'reset',
  'refuses the request': { status: 404, body: 'no such hook', echo: true },
  'refuses the credentials': { status: 401, body: 'invalid token', echo: true },
};

/** Registers the table for webhook format `format` in the calling test file. */
export function webhookConformance(format: FormatName, spec: WebhookSpec): void {
  runTable(`webhook (${format}${spec.variant ? `, ${spec.variant}` : ''})`, async (secret) => {
    const sink: WebhookSink = await startWebhookSink();
    const live = new URL(sink.url).origin;
    const dead = `http://127.0.0.1:${await freePort()}`;
    const keyOf =
      spec.idempotencyKey ??
      (spec.keyless !== undefined
        ? (req: RecordedRequest) => req.body
        : (req: RecordedRequest) => req.headers['idempotency-key'] as string);
    const channel = (origin: string, route: (path: string) => string) =>
      channelConfig.parse({ ...spec.channel({ origin, route, secret }), kind: 'webhook', format, timeout: '5s' });
    return {
      channel: (isLive) => (isLive ? channel(live, sink.path) : channel(dead, (path) => `${dead}${path}`)),
      what: { live: `webhook (${format}) to ${live}`, dead: `webhook (${format}) to ${dead}` },
      stage: (receiver) => sink.script(HTTP_ANSWERS[receiver]),
      says: {
        fails: /^HTTP 503 down for maintenance POST /,
        'asks to wait': /^HTTP 429 slow down POST /,
        'hangs until the attempt times out': /^timed out$/,
        'closes the connection': /^UND_ERR_SOCKET other side closed$/,
        'resets the connection': /^ECONNRESET read ECONNRESET$/,
        'is not listening': /^ECONNREFUSED /,
        'refuses the request': /^HTTP 404 no such hook POST /,
        'refuses the credentials': /^HTTP 401 invalid token POST /,
      },
      retryAfterMs: 7000,
      arrived: () => sink.requests.length,
      waitForArrivals: async (n) => {
        await sink.waitFor(n);
      },
      keys: () => sink.requests.map(keyOf),
      keyless: spec.keyless,
      waitForHanging: (n) => sink.waitForHanging(n),
      close: () => sink.close(),
    };
  });
}

const SMTP_ANSWERS: Record<Staged, SmtpAnswer | undefined> = {
  accepts: undefined,
  fails: { reply: 451, message: 'Mailbox temporarily unavailable' },
  // SMTP has no Retry-After: a server that wants fewer messages answers 421 and closes.
  'asks to wait': { reply: 421, message: 'Too many messages, slow down' },
  'hangs until the attempt times out': 'hang',
  'closes the connection': 'close',
  'resets the connection': 'reset',
  'refuses the request': { reply: 550, message: 'Relaying denied' },
  'refuses the credentials': { reply: 535, message: 'Authentication credentials invalid', at: 'auth' },
};

/** Registers the table for the email channel (STARTTLS with AUTH; the password is the secret) in the calling file. */
export function emailConformance(): void {
  runTable('email', async (secret) => {
    const sink: SmtpSink = await startSmtpSink({ auth: { user: 'centinela', pass: secret } });
    const dead = await freePort();
    const channel = (port: number) =>
      channelConfig.parse({
        kind: 'email',
        smtp: {
          host: '127.0.0.1',
          port,
          security: 'starttls',
          from: 'centinela@grupogad.gob.ec',
          user: 'centinela',
          password: secret,
          tls: { ca_file: sink.cert.certFile },
        },
      });
    return {
      channel: (live) => channel(live ? sink.port : dead),
      what: { live: `email to cto via 127.0.0.1:${sink.port}`, dead: `email to cto via 127.0.0.1:${dead}` },
      stage: (receiver) => {
        const answer = SMTP_ANSWERS[receiver];
        if (answer) sink.script(answer);
      },
      says: {
        fails: /^SMTP 451 Mailbox temporarily unavailable$/,
        'asks to wait': /^SMTP 421 Too many messages, slow down$/,
        'hangs until the attempt times out': /^timed out$/,
        'closes the connection': /^ECONNECTION /,
        'resets the connection': /^ESOCKET read ECONNRESET$/,
        'is not listening': /^ESOCKET connect ECONNREFUSED /,
        'refuses the request': /^SMTP 550 Relaying denied$/,
        'refuses the credentials': /^authentication refused \(535 .*\); check smtp\.user and smtp\.password$/,
      },
      arrived: () => sink.received.length,
      waitForArrivals: async (n) => {
        await sink.waitFor(n);
      },
      keys: () => sink.received.map((m) => m.mail.messageId),
      waitForHanging: (n) => sink.waitForHanging(n),
      close: () => sink.close(),
    };
  });
}
