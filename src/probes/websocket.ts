// The `websocket` probe: a real WebSocket handshake with the configured headers and TLS options, then one ping
// whose pong is timed (the runbook's ws_smoke_test.py, continuously).
import type { IncomingMessage } from 'node:http';
import type WebSocket from 'ws';
import { untilAborted } from '../abortable.js';
import { loadPackage } from '../load-package.js';
import { answerPreview, PREVIEW_BYTES } from './http-client.js';
import { describeFailure, endpointOf } from './net-failure.js';
import { defineProbe, type ProbeResult, sample } from './probe.js';
import { tlsConnectOptions } from './tls-options.js';

export default defineProbe({
  kind: 'websocket',
  create(config) {
    return {
      async run({ signal, clock }): Promise<ProbeResult> {
        const { default: Client } = await loadPackage('ws', () => import('ws'));
        const url = new URL(config.url.reveal());
        const at = endpointOf(url);
        let socket: WebSocket | undefined;
        const terminate = () => socket?.terminate();
        try {
          const tls = await tlsConnectOptions(config.tls);
          const headers = Object.fromEntries(Object.entries(config.headers ?? {}).map(([k, v]) => [k, v.reveal()]));
          const started = clock.now();
          socket = new Client(url, { ...tls, headers, followRedirects: false, perMessageDeflate: false });
          // Errors are handled by the promises below; a late one (after terminate) must not be an unhandled event.
          socket.on('error', () => {});
          await untilAborted(handshake(socket), signal, terminate);
          const samples = [sample('handshake_seconds', (clock.now() - started) / 1000)];
          if (config.ping) {
            const pinged = clock.now();
            try {
              await untilAborted(pong(socket), signal, terminate);
            } catch (err) {
              return { up: false, reason: `handshake done, but no pong: ${describeFailure(err, signal, at)}`, samples };
            }
            samples.push(sample('ping_seconds', (clock.now() - pinged) / 1000));
          }
          socket.close(1000, 'centinela probe done');
          return { up: true, samples };
        } catch (err) {
          socket?.terminate();
          return { up: false, reason: err instanceof UpgradeRefused ? err.message : describeFailure(err, signal, at) };
        }
      },
    };
  },
});

/** The server answered the upgrade request with an ordinary HTTP response. */
class UpgradeRefused extends Error {
  override readonly name = 'UpgradeRefused';
}

/** Resolves on `open`; rejects with the connection error or an UpgradeRefused. */
function handshake(socket: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
    socket.once('unexpected-response', (request, response: IncomingMessage) => {
      // Read a little of the body for the reason, then drop the connection.
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.length;
        if (size > PREVIEW_BYTES) response.destroy();
      });
      const done = () => {
        request.destroy();
        const body = Buffer.concat(chunks);
        reject(
          new UpgradeRefused(`upgrade refused: status ${response.statusCode}${answerPreview(response.headers, body)}`),
        );
      };
      response.once('end', done);
      response.once('close', done);
      response.once('error', done);
    });
  });
}

/** Sends a ping and resolves on its pong; rejects on close or error. */
function pong(socket: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('pong', () => resolve());
    socket.once('error', reject);
    socket.once('close', (code) => reject(new Error(`connection closed with code ${code} before the pong`)));
    socket.ping();
  });
}
