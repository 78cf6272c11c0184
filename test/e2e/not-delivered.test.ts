// An alert whose page reached nobody, end to end: the daemon on the fake clock pages ApiDown while the SMTP server
// refuses (451) and the webhook answers 503. The status page in headless Chromium shows it "Not delivered" in red;
// after fallback_after, DeliveryFailing says nobody was reached, once, at P0, over the one channel that works (a
// loopback ntfy server, the P2 level's contact); once the webhook answers, the page shows who it reached.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { launchChromium } from '../support/chromium.js';
import { type Daemon, startDaemon, startWorld, type World } from '../support/daemon.js';
import { startWebhookSink, type WebhookSink } from '../support/webhook-sink.js';

let world: World;
let ntfy: WebhookSink;
let d: Daemon;
let browser: Browser;
let url: string;

beforeAll(async () => {
  world = await startWorld();
  ntfy = await startWebhookSink();
  // The P2 level (who hears DeliveryFailing) is a night watch reached by ntfy push, a channel the page does not use.
  const file = join(world.configDir, 'escalation.yaml');
  const doc = parseDocument(readFileSync(file, 'utf8'));
  doc.setIn(['channels', 'push'], {
    kind: 'webhook',
    format: 'ntfy',
    server: new URL(ntfy.path('/')).origin,
    topic: 'ops',
  });
  doc.setIn(['contacts', 'watch'], { name: 'Night watch', channels: ['push'] });
  doc.setIn(['levels', 'P2', 'contacts'], ['watch']);
  writeFileSync(file, doc.toString());
  world.smtp.refuse(100_000);
  world.hook.otherwise({ status: 503, body: 'down for maintenance' });
  d = await startDaemon(world);
  url = await d.app.server.listen({ host: '127.0.0.1', port: 0 });
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await d?.close();
  await ntfy?.close();
  await world?.close();
});

/** The ntfy publishes, as `priority title: message`. */
const pushes = () =>
  ntfy.requests.map((r) => {
    const m = JSON.parse(r.body) as { priority: number; title: string; message: string };
    return `${m.priority} ${m.title}: ${m.message}`;
  });
const nobodyReached = () => pushes().filter((p) => p.includes('Nobody was reached'));

/** The status page's card of ApiDown in a fresh light-mode page. */
async function card(): Promise<{ page: Page; close(): Promise<void> }> {
  const context = await browser.newContext({ colorScheme: 'light' });
  const page = await context.newPage();
  await page.goto(url);
  return { page, close: () => context.close() };
}

it('shows "Not delivered" in red while the page reaches nobody, raises DeliveryFailing once, and clears it once delivered', async () => {
  world.target.setFault('down');
  await d.advanceUntil(
    () => world.hook.requests.length >= 1 && world.smtp.refused >= 1,
    30_000,
    () => 'no attempt',
  );
  const firedAt = d.clock.now();

  const failing = await card();
  const alert = failing.page.locator('article[data-state="firing"]', { hasText: 'ApiDown' });
  const label = alert.locator('[data-undelivered]');
  expect(await label.textContent()).toBe('Not delivered: no page has reached anyone yet');
  expect(await label.evaluate((el) => getComputedStyle(el).color)).toBe('rgb(198, 40, 40)');
  expect(await alert.textContent()).toContain('paged: nobody yet');
  const lines = alert.locator('li.delivery');
  expect(await lines.allTextContents()).toEqual([
    expect.stringMatching(/^oncall · email: failing, \d+ attempts?: email to oncall via 127\.0\.0\.1:\d+: SMTP 451/),
    expect.stringMatching(
      /^ops · hook: failing, \d+ attempts?: webhook \(generic\) to .*HTTP 503 down for maintenance$/,
    ),
  ]);
  expect(await lines.first().evaluate((el) => getComputedStyle(el).color)).toBe('rgb(198, 40, 40)');
  await failing.close();

  await d.advanceUntil(
    () => nobodyReached().length > 0,
    6 * 60_000,
    () => `no DeliveryFailing for the unreached page (ntfy got: ${pushes().join(' | ')})`,
  );
  // fallback_after is 5 min in the fixture: raised then (the first attempt came a moment after the alert fired).
  expect(d.clock.now() - firedAt).toBeGreaterThanOrEqual(5 * 60_000 - 5_000);
  expect(d.clock.now() - firedAt).toBeLessThanOrEqual(5 * 60_000 + 5_000);
  // Retries go on every max_backoff (10 s in the fixture): raised once all the same.
  await d.advance(2 * 60_000);
  // Once, at P0 (ntfy priority 5), in one push with the failing channels' own DeliveryFailing.
  expect(nobodyReached()).toEqual([expect.stringMatching(/^5 \[P0\] /)]);
  expect(nobodyReached()[0]).toContain('Nobody was reached about ApiDown (P0): every page failed for 5 min');

  world.hook.otherwise({ status: 200, body: 'ok' });
  await d.advanceUntil(
    () => d.store.outboxRows().some((r) => r.contact === 'ops' && r.kind === 'firing' && r.state === 'delivered'),
    60_000,
    () => 'the page never reached ops',
  );
  const delivered = await card();
  const reached = delivered.page.locator('article[data-state="firing"]', { hasText: 'ApiDown' });
  expect(await reached.textContent()).toContain('paged: ops');
  expect(await reached.locator('[data-undelivered]').count()).toBe(0);
  await delivered.close();
});
