// The status page in headless Chromium (Debian's chromium, driven by playwright-core) against the in-process daemon
// listening on loopback: it shows the firing alert, its Ack button acknowledges (asking for the token once), and the
// page then shows it acknowledged; it fits a phone's width.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/chromium.js';
import { type Daemon, startDaemon, startWorld, type World, WRITE_TOKEN } from '../support/daemon.js';

let world: World;
let d: Daemon;
let browser: Browser;
let url: string;

beforeAll(async () => {
  world = await startWorld();
  d = await startDaemon(world);
  url = await d.app.server.listen({ host: '127.0.0.1', port: 0 });
  world.target.setFault('down');
  await d.advanceUntil(
    () => world.hook.requests.length >= 1,
    30_000,
    () => 'no page',
  );
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await d?.close();
  await world?.close();
});

describe('status page in a browser', () => {
  it('shows the firing alert, acknowledges it with the Ack button, and shows it acknowledged', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const page = await context.newPage();
    const prompts: string[] = [];
    page.on('dialog', (dialog) => {
      prompts.push(dialog.message());
      void dialog.accept(/token/i.test(dialog.message()) ? WRITE_TOKEN : 'Ana');
    });
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(msg.text());
    });

    await page.goto(url);
    const card = page.locator('article[data-state="firing"]', { hasText: 'ApiDown' });
    await expect.poll(() => card.count()).toBe(1);
    expect(await card.locator('.badge.P0').textContent()).toBe('P0');
    expect(await card.textContent()).toContain('paged: oncall, ops');
    expect(await page.locator('li[data-probe="api_health"] .badge.down').count()).toBe(1);
    // Readable on a phone: nothing wider than the screen.
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);

    await card.getByRole('button', { name: 'Acknowledge ApiDown' }).click();
    await expect
      .poll(
        () =>
          card
            .locator('.ack')
            .textContent()
            .catch(() => null),
        { timeout: 10_000 },
      )
      .toMatch(/^Acknowledged by Ana \d+ s ago — from the status page$/);
    expect(await card.getByRole('button').count()).toBe(0);
    expect(prompts).toEqual(['Write token (server.write_token) to acknowledge alerts:', 'Your name, for the record:']);

    const api = await (await fetch(`${url}/api/v1/alerts?state=firing`)).json();
    expect(api.alerts[0].ack).toMatchObject({ by: 'Ana', comment: 'from the status page' });
    expect(errors).toEqual([]);
    await context.close();
  });

  it('says why an Ack failed and asks for the token again after a wrong one', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    let asked = 0;
    page.on('dialog', (dialog) => {
      asked++;
      void dialog.accept(/token/i.test(dialog.message()) ? 'wrong-token' : 'Bo');
    });
    // The firing alert is acknowledged by now, so the page gets a button for an unknown id: the token is checked
    // first, so the answer is the 401 whatever the id.
    await page.goto(url);
    await page.evaluate(() => {
      const b = document.createElement('button');
      b.dataset.ack = 'no-such-alert';
      b.textContent = 'Ack';
      document.querySelector('main')?.append(b);
      b.click();
    });
    await expect.poll(() => page.locator('#message').textContent()).toBe('Ack failed: wrong bearer token');
    expect(await page.evaluate(() => sessionStorage.getItem('centinela.token'))).toBeNull();
    expect(asked).toBe(2);
    await context.close();
  });
});
