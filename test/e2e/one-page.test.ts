// One incident, one page, end to end: the API and its WebSocket break together; the cause (ApiDown) pages once and
// lists the symptom it holds back; at the cause's recovery the symptom pages only if the socket still fails.
// createApp on a FakeClock, the demo target for health, a WebSocket server of the test's own, real SMTP and webhook.
import { readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { parseDocument } from 'yaml';
import { type Daemon, hookEvents, startDaemon, startWorld, type World } from '../support/daemon.js';

let world: World;
let daemon: Daemon | undefined;
let sockets: WebSocketServer;
let refusing = false;

beforeEach(async () => {
  world = await startWorld();
  refusing = false;
  sockets = new WebSocketServer({ port: 0, host: '127.0.0.1', verifyClient: () => !refusing });
  await new Promise<void>((resolve) => sockets.once('listening', resolve));
  // The fixture plus a WebSocket check that ApiDown explains, as in the shipped config.
  const file = join(world.configDir, 'alerts.yaml');
  const doc = parseDocument(readFileSync(file, 'utf8'));
  const { port } = sockets.address() as AddressInfo;
  doc.addIn(['probes'], {
    name: 'ws_connect',
    kind: 'websocket',
    url: `ws://127.0.0.1:${port}/ws`,
    every: '5s',
    timeout: '2s',
  });
  doc.addIn(['rules'], {
    name: 'WebSocketDown',
    sample: 'ws_connect.up',
    op: '==',
    thresholds: { P1: 0 },
    clear_for: '10s',
    labels: { service: 'api' },
    summary: 'WebSocket handshake or ping fails',
  });
  doc.set('inhibit', [{ source: { alertname: 'ApiDown' }, target: { alertname: 'WebSocketDown' } }]);
  writeFileSync(file, doc.toString());
});

afterEach(async () => {
  await daemon?.close();
  daemon = undefined;
  for (const c of sockets.clients) c.terminate();
  await new Promise<void>((resolve) => sockets.close(() => resolve()));
  await world.close();
});

const subjects = () => world.smtp.received.map((m) => m.mail.subject ?? '');

/** Breaks the API and its socket together and waits for the page; checks it is ApiDown's alone, holding the socket. */
async function breakAndPage(): Promise<Daemon> {
  daemon = await startDaemon(world);
  const d = daemon;
  await d.advance(12_000);
  world.target.setFault('down');
  refusing = true;
  await d.advanceUntil(
    () => world.hook.requests.length >= 1,
    30_000,
    () => 'no page',
  );
  await d.advance(30_000);
  expect(hookEvents(world.hook)).toEqual(['firing ApiDown']);
  expect(subjects()).toEqual(['[P0] API down: the health endpoint does not answer healthy — api']);
  const page = JSON.parse(world.hook.requests[0]?.body ?? '{}').notifications[0];
  expect(page.holding.map((h: { name: string }) => h.name)).toEqual(['WebSocketDown']);
  return d;
}

it('pages the cause once, listing the symptom, and nothing for the symptom when it is healthy at the recovery', async () => {
  const d = await breakAndPage();
  world.target.setFault('none');
  refusing = false;
  await d.advanceUntil(
    () => hookEvents(world.hook).includes('resolved ApiDown'),
    30_000,
    () => 'no resolution',
  );
  await d.advance(60_000);
  expect(hookEvents(world.hook)).toEqual(['firing ApiDown', 'resolved ApiDown']);
  expect(subjects()).toEqual([
    '[P0] API down: the health endpoint does not answer healthy — api',
    expect.stringMatching(/^\[RESOLVED\] API down/),
  ]);
});

it('pages the symptom once, at the recovery of its cause, when it still fails then', async () => {
  const d = await breakAndPage();
  world.target.setFault('none');
  await d.advanceUntil(
    () => subjects().some((s) => s.startsWith('[P1]')),
    30_000,
    () => 'no WebSocketDown page',
  );
  await d.advance(60_000);
  expect(subjects().filter((s) => s.startsWith('[P1]'))).toEqual(['[P1] WebSocket handshake or ping fails — api']);
  expect(hookEvents(world.hook)).toEqual(['firing ApiDown', 'resolved ApiDown']);
  // Its timeline says by name which alert held it back, not by that alert's id.
  const list = await d.app.server.inject({ url: '/api/v1/alerts?alertname=WebSocketDown' });
  const id = list.json().alerts[0].id as string;
  const timeline = (await d.app.server.inject({ url: `/alerts/${id}` })).body;
  expect(timeline).toContain('Held back by ApiDown (inhibition)');
});
