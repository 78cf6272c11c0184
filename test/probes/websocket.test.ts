import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { FakeClock, systemClock } from '../../src/clock.js';
import { probeConfig, type WebsocketProbeConfig } from '../../src/config/probes.js';
import { runGuarded } from '../../src/probes/guarded-run.js';
import type { ProbeResult } from '../../src/probes/probe.js';
import websocket from '../../src/probes/websocket.js';
import { probeConformance } from '../support/conformance.js';
import { type HttpTarget, startHttpTarget } from '../support/http-target.js';
import { makeSelfSignedCert, type TestCert } from '../support/tls-cert.js';

const log = pino({ level: 'silent' });

function configOf(input: Record<string, unknown>): WebsocketProbeConfig {
  return probeConfig.parse({ name: 'ws', kind: 'websocket', every: '30s', ...input }) as WebsocketProbeConfig;
}

async function runOnce(input: Record<string, unknown>): Promise<ProbeResult> {
  const probe = websocket.create(configOf(input), { log, clock: systemClock });
  return probe.run({ signal: new AbortController().signal, clock: systemClock, log });
}

/** A WebSocket endpoint at /ws, one that never answers pings at /silent (and tells when it got one), and 404 elsewhere; records upgrades. */
function serveWebSockets(target: HttpTarget) {
  const upgrades: IncomingMessage[] = [];
  const normal = new WebSocketServer({ noServer: true });
  const silent = new WebSocketServer({ noServer: true, autoPong: false });
  let pinged = () => {};
  const silentPinged = new Promise<void>((resolve) => {
    pinged = resolve;
  });
  silent.on('connection', (socket) => socket.on('ping', () => pinged()));
  target.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    upgrades.push(req);
    const wss = req.url === '/ws' ? normal : req.url === '/silent' ? silent : undefined;
    if (wss) wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    else socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot found');
  });
  return {
    upgrades,
    silentPinged,
    close() {
      for (const wss of [normal, silent]) {
        for (const client of wss.clients) client.terminate();
        wss.close();
      }
    },
  };
}

probeConformance(websocket, ({ url, secret }) => ({
  url: url.replace(/^http/, 'ws'),
  headers: { 'x-api-key': secret },
}));

describe('websocket probe', () => {
  let target: HttpTarget;
  let ws: ReturnType<typeof serveWebSockets>;
  let wsUrl: string;
  beforeAll(async () => {
    target = await startHttpTarget();
    ws = serveWebSockets(target);
    wsUrl = target.url.replace(/^http/, 'ws');
  });
  afterAll(async () => {
    ws.close();
    await target.close();
  });

  it('does a real handshake with the headers, then times a ping/pong round trip', async () => {
    const result = await runOnce({ url: `${wsUrl}/ws`, headers: { Authorization: 'Bearer t0k' } });
    expect(result.up).toBe(true);
    expect(result.samples?.map((s) => s.name)).toEqual(['handshake_seconds', 'ping_seconds']);
    for (const s of result.samples ?? []) expect(s.value).toBeGreaterThanOrEqual(0);
    expect(ws.upgrades.at(-1)?.headers).toMatchObject({ authorization: 'Bearer t0k', upgrade: 'websocket' });
  });

  it('skips the ping when ping is false', async () => {
    const result = await runOnce({ url: `${wsUrl}/ws`, ping: false });
    expect(result.samples?.map((s) => s.name)).toEqual(['handshake_seconds']);
  });

  it('gives the status and body of an upgrade the server refuses', async () => {
    expect(await runOnce({ url: `${wsUrl}/nowhere` })).toEqual({
      up: false,
      reason: 'upgrade refused: status 404: not found',
    });
  });

  it('says connection refused with the host and port', async () => {
    const closed = await startHttpTarget();
    await closed.close();
    expect(await runOnce({ url: `ws://127.0.0.1:${closed.port}/ws` })).toEqual({
      up: false,
      reason: `connection refused (127.0.0.1:${closed.port})`,
    });
  });

  it('says when the pong never comes, keeping the handshake time', async () => {
    const clock = new FakeClock();
    const config = configOf({ url: `${wsUrl}/silent`, timeout: '5s' });
    const outcome = runGuarded(config, websocket.create(config, { log, clock }), { clock, log });
    await ws.silentPinged;
    await clock.advance(5_000);
    const { result } = await outcome;
    expect(result).toMatchObject({ up: false, reason: 'handshake done, but no pong: timed out after 5s' });
    expect(result.samples?.map((s) => s.name)).toEqual(['handshake_seconds']);
  });

  describe('over TLS (wss)', () => {
    let cert: TestCert;
    let secure: HttpTarget;
    let secureWs: ReturnType<typeof serveWebSockets>;
    beforeAll(async () => {
      cert = makeSelfSignedCert();
      secure = await startHttpTarget({ tls: cert });
      secureWs = serveWebSockets(secure);
    });
    afterAll(async () => {
      secureWs.close();
      await secure.close();
      cert.remove();
    });

    it('refuses an untrusted certificate and accepts it with ca_file or insecure', async () => {
      const url = `wss://127.0.0.1:${secure.port}/ws`;
      expect(await runOnce({ url })).toEqual({
        up: false,
        reason: `TLS certificate of 127.0.0.1:${secure.port} not accepted: self-signed certificate`,
      });
      expect((await runOnce({ url, tls: { ca_file: cert.certFile } })).up).toBe(true);
      expect((await runOnce({ url, tls: { insecure: true } })).up).toBe(true);
    });
  });
});
