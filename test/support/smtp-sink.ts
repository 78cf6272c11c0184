// A real SMTP server in-process (smtp-server) on loopback port 0 for email tests: STARTTLS with a self-signed
// certificate, optional AUTH, messages parsed with mailparser, scriptable to refuse, hang or drop and then recover.
import type { AddressInfo, Socket } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { makeSelfSignedCert, type TestCert } from './tls-cert.js';
import { waitUntil } from './wait-until.js';

/** A received message with how it arrived. */
export interface ReceivedMail {
  mail: ParsedMail;
  /** Envelope recipients. */
  to: string[];
  from: string;
  /** The session was encrypted (STARTTLS or implicit TLS). */
  secure: boolean;
  /** The authenticated user, if any. */
  user?: string;
}

export interface SmtpSinkOptions {
  /** Require AUTH with these credentials (PLAIN/LOGIN, only after STARTTLS). */
  auth?: { user: string; pass: string };
  /** Implicit TLS (port-465 style) instead of STARTTLS. */
  implicitTls?: boolean;
}

/**
 * One scripted answer: a reply refusing MAIL FROM (or AUTH, `at: 'auth'`, even with the right password, or RCPT TO,
 * `at: 'rcpt'`), a MAIL FROM never answered, or the connection ended (`close`, FIN) or aborted (`reset`, RST) at MAIL
 * FROM. Each is used by the next session that reaches its command. `echo` writes the refused address before the
 * message, as Postfix does (`550 5.1.1 <cto@example.org>: Recipient address rejected`).
 */
export type SmtpAnswer =
  | { reply: number; message?: string; at?: 'auth' | 'mail' | 'rcpt'; echo?: boolean }
  | 'hang'
  | 'close'
  | 'reset';

/** The sink; `cert` is its certificate (give `cert.certFile` as smtp.tls.ca_file). */
export interface SmtpSink {
  port: number;
  cert: TestCert;
  received: ReceivedMail[];
  /** Queues answers, in order; once they are used up the sink accepts again. */
  script(...answers: SmtpAnswer[]): void;
  /**
   * Refuses the next `count` messages at MAIL FROM with `code` (451 temporary by default, 550 permanent), replacing
   * what was scripted; then it recovers and accepts again.
   */
  refuse(count: number, code?: number): void;
  /** How many MAIL FROM (or RCPT TO) commands were refused with a reply so far. */
  refused: number;
  /** Sessions left hanging at MAIL FROM whose connection is still open. */
  hanging(): number;
  /** Resolves with the messages once at least `n` arrived; rejects after `within` ms (real time: network). */
  waitFor(n: number, opts?: { within?: number }): Promise<ReceivedMail[]>;
  /** Resolves once exactly `n` sessions hang with their connection open; rejects after `within` ms. */
  waitForHanging(n: number, opts?: { within?: number }): Promise<void>;
  close(): Promise<void>;
}

/** Starts a sink on 127.0.0.1 port 0. */
export async function startSmtpSink(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const cert = makeSelfSignedCert();
  const received: ReceivedMail[] = [];
  const queue: SmtpAnswer[] = [];
  // Raw TCP sockets by client port, so an answer can drop a session's connection (TLS runs over the same socket).
  const sockets = new Map<number, Socket>();
  const hung = new Set<Socket>();
  const isAt = (at: 'auth' | 'rcpt', a: SmtpAnswer | undefined) => typeof a === 'object' && a.at === at;
  const refusal = (a: { reply: number; message?: string; echo?: boolean }, address?: string) => {
    const message = a.message ?? 'Try again later';
    return Object.assign(new Error(a.echo ? `<${address}>: ${message}` : message), { responseCode: a.reply });
  };
  const sink: SmtpSink = {
    port: 0,
    cert,
    received,
    refused: 0,
    script: (...answers) => queue.push(...answers),
    refuse(count, code = 451) {
      queue.length = 0;
      queue.push(...Array.from({ length: count }, () => ({ reply: code })));
    },
    hanging: () => hung.size,
    async waitFor(n, { within = 5000 } = {}) {
      await waitUntil(
        () => received.length >= n,
        within,
        () => `smtp sink: ${received.length} of ${n} messages`,
      );
      return received;
    },
    waitForHanging: (n, { within = 5000 } = {}) =>
      waitUntil(
        () => hung.size === n,
        within,
        () => `smtp sink: ${hung.size} sessions hanging, not ${n}`,
      ),
    close: () =>
      new Promise<void>((resolve) => {
        // smtp-server waits 30 s for open sessions before it closes; a hung one would hold the test that long.
        for (const socket of sockets.values()) socket.destroy();
        server.close(() => {
          cert.remove();
          resolve();
        });
      }),
  };
  const server = new SMTPServer({
    secure: options.implicitTls ?? false,
    key: cert.key,
    cert: cert.cert,
    authOptional: !options.auth,
    disabledCommands: options.auth ? [] : ['AUTH'],
    logger: false,
    // The sink serves loopback only; a reverse DNS lookup per connection would only slow tests down.
    disableReverseLookup: true,
    onAuth(auth, _session, callback) {
      const scripted = isAt('auth', queue[0]) ? queue.shift() : undefined;
      if (typeof scripted === 'object') {
        callback(refusal(scripted));
      } else if (options.auth && auth.username === options.auth.user && auth.password === options.auth.pass) {
        callback(null, { user: auth.username });
      } else {
        callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
      }
    },
    onMailFrom(from, session, callback) {
      const answer = isAt('auth', queue[0]) || isAt('rcpt', queue[0]) ? undefined : queue.shift();
      const socket = sockets.get(session.remotePort);
      if (answer === 'hang') {
        if (socket) {
          hung.add(socket);
          socket.once('close', () => hung.delete(socket));
        }
      } else if (answer === 'close') {
        socket?.destroy();
      } else if (answer === 'reset') {
        socket?.resetAndDestroy();
      } else if (answer) {
        sink.refused += 1;
        callback(refusal(answer, from.address));
      } else {
        callback();
      }
    },
    onRcptTo(to, _session, callback) {
      const answer = isAt('rcpt', queue[0]) ? queue.shift() : undefined;
      if (typeof answer === 'object') {
        sink.refused += 1;
        callback(refusal(answer, to.address));
      } else {
        callback();
      }
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((mail) => {
          received.push({
            mail,
            to: session.envelope.rcptTo.map((r) => r.address),
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            secure: session.secure,
            user: typeof session.user === 'string' ? session.user : undefined,
          });
          callback();
        })
        .catch(callback);
    },
  });
  // A client that goes away mid-session (a daemon killed by a test, a send aborted) resets its connection: smtp-server
  // reports that on the server, and without a listener it would end the test process.
  server.on('error', () => {});
  server.server.on('connection', (socket: Socket) => {
    const port = socket.remotePort ?? 0;
    sockets.set(port, socket);
    socket.once('close', () => sockets.delete(port));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  sink.port = (server.server.address() as AddressInfo).port;
  return sink;
}
