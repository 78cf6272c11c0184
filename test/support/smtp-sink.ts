// A real SMTP server in-process (smtp-server) on loopback port 0 for email tests: STARTTLS with a self-signed
// certificate, optional AUTH, messages parsed with mailparser, scriptable to refuse and then recover.
import type { AddressInfo } from 'node:net';
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

/** The sink; `cert` is its certificate (give `cert.certFile` as smtp.tls.ca_file). */
export interface SmtpSink {
  port: number;
  cert: TestCert;
  received: ReceivedMail[];
  /**
   * Refuses the next `count` messages at MAIL FROM with `code` (451 temporary by default, 550 permanent);
   * then it recovers and accepts again.
   */
  refuse(count: number, code?: number): void;
  /** How many MAIL FROM commands were refused so far. */
  refused: number;
  /** Resolves with the messages once at least `n` arrived; rejects after `within` ms (real time: network). */
  waitFor(n: number, opts?: { within?: number }): Promise<ReceivedMail[]>;
  close(): Promise<void>;
}

/** Starts a sink on 127.0.0.1 port 0. */
export async function startSmtpSink(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const cert = makeSelfSignedCert();
  const received: ReceivedMail[] = [];
  let refuseLeft = 0;
  let refuseCode = 451;
  const sink: SmtpSink = {
    port: 0,
    cert,
    received,
    refused: 0,
    refuse(count, code = 451) {
      refuseLeft = count;
      refuseCode = code;
    },
    async waitFor(n, { within = 5000 } = {}) {
      await waitUntil(
        () => received.length >= n,
        within,
        () => `smtp sink: ${received.length} of ${n} messages`,
      );
      return received;
    },
    close: () =>
      new Promise<void>((resolve) => {
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
      if (options.auth && auth.username === options.auth.user && auth.password === options.auth.pass) {
        callback(null, { user: auth.username });
      } else {
        callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
      }
    },
    onMailFrom(_address, _session, callback) {
      if (refuseLeft > 0) {
        refuseLeft -= 1;
        sink.refused += 1;
        callback(Object.assign(new Error('Try again later'), { responseCode: refuseCode }));
        return;
      }
      callback();
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
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  sink.port = (server.server.address() as AddressInfo).port;
  return sink;
}
