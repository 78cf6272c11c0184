// The status page as an on-call console, in headless Chromium (Debian's chromium, driven by playwright-core) against
// the in-process daemon on loopback, at a phone's size (390×844) and a desktop's (1366×900): the bar of last runs and
// the sparkline count what the scheduler ran, the firing alert is acknowledged from the page (one login, then one
// tap, a comment, errors in place), the tab's title follows the page's refresh, and the alert's timeline tells page →
// delivered → ack → resolved in order. Screenshots go to test-screenshots/ (gitignored) to be looked at.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/chromium.js';
import { type Daemon, startDaemon, startWorld, type World, WRITE_TOKEN } from '../support/daemon.js';

const SHOTS = 'test-screenshots';
const PHONE: BrowserContextOptions = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };
const DESKTOP: BrowserContextOptions = { viewport: { width: 1366, height: 900 } };

let world: World;
let d: Daemon;
let browser: Browser;
let url: string;
/** The minutes in which api_metrics ran and saw the P95 (each a point of its sparkline). */
const latencyMinutes = new Set<number>();

/** Notes the minute of api_metrics' last run when it read the P95. */
function observe(): void {
  const s = d.app.probeStats().get('api_metrics');
  const seen = s?.lastResult?.up && s.lastResult.samples.some((x) => x.name === 'latency_p95_seconds');
  if (seen && s?.lastRunAt !== undefined) latencyMinutes.add(Math.floor(s.lastRunAt / 60_000));
}

async function openPage(options: BrowserContextOptions, path = '/'): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  await page.goto(url + path);
  return { page, errors };
}

const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  world = await startWorld();
  // A PostgreSQL probe as production has: its values carry labels as long as connections{state="idle in transaction
  // (aborted)"}, which must wrap on a phone rather than widen the page.
  // As on call reads it: in Spanish, on Guayaquil's clock, with a second alert firing (its sparkline in its card).
  const alerts = join(world.configDir, 'alerts.yaml');
  const db =
    '  - name: db\n    kind: postgres\n    url: postgres://postgres@127.0.0.1:5432/postgres\n    every: 30s\n    timeout: 2s\n';
  const connections =
    '  - name: DbConnectionsUsed\n    sample: db.connections_used_percent\n    op: ">"\n    thresholds: { P2: 0 }\n' +
    '    labels: { service: db }\n    summary: "{{ value | percent }} de las conexiones en uso"\n';
  writeFileSync(alerts, `${readFileSync(alerts, 'utf8').replace('\nrules:\n', `${db}\nrules:\n`)}${connections}`);
  const centinela = join(world.configDir, 'centinela.yaml');
  writeFileSync(centinela, `locale: es\ntimezone: America/Guayaquil\n${readFileSync(centinela, 'utf8')}`);
  d = await startDaemon(world);
  url = await d.app.server.listen({ host: '127.0.0.1', port: 0 });
  // Three quiet minutes, then the API goes down until ApiDown pages (its 3 failures 1 s apart).
  for (let s = 0; s < 180; s++) {
    await d.advance(1000);
    observe();
  }
  world.target.setFault('down');
  await d.advanceUntil(
    () => {
      observe();
      return world.hook.requests.length >= 1 && world.smtp.received.length >= 1;
    },
    30_000,
    () => 'no page delivered',
  );
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await d?.close();
  await world?.close();
});

describe('status page in a browser', () => {
  it('draws the last runs and the last hour of a signal, as the scheduler ran them, on a phone', async () => {
    const { page, errors } = await openPage(PHONE);
    const stats = d.app.probeStats().get('api_health');
    expect(stats && stats.runs < 90).toBe(true);
    const bar = page.locator('li[data-probe="api_health"] svg.runs');
    expect(await bar.getAttribute('data-runs')).toBe(String(stats?.runs));
    expect(await bar.locator('rect.run.down').count()).toBe(stats?.failures);
    expect(await bar.locator('rect.run.up').count()).toBe((stats?.runs ?? 0) - (stats?.failures ?? 0));
    expect(stats?.failures).toBeGreaterThanOrEqual(3);

    const spark = page.locator('figure.signal[data-sample="api_metrics.latency_p95_seconds"] svg.spark');
    expect(latencyMinutes.size).toBeGreaterThanOrEqual(3);
    expect(await spark.getAttribute('data-points')).toBe(String(latencyMinutes.size));
    const line = await spark.locator('polyline.line').getAttribute('points');
    expect(line?.trim().split(/\s+/)).toHaveLength(latencyMinutes.size);
    // ApiLatencyHigh's two thresholds, P2 and P1.
    expect(await spark.locator('line.threshold').count()).toBe(2);

    // Each firing alert's card draws its last hour: the value's sparkline, or for ApiDown (a state) its probe's up, a
    // place per minute: the three quiet minutes up, the last minute down.
    const firingCard = (name: string) => page.locator('article[data-state="firing"]', { hasText: name });
    expect(await firingCard('DbConnectionsUsed').locator('svg.spark').count()).toBe(1);
    const upBar = firingCard('ApiDown').locator('svg.runs.steps');
    expect(await upBar.locator('rect.run.up').count()).toBeGreaterThanOrEqual(3);
    expect(await upBar.locator('rect.run').last().getAttribute('class')).toBe('run down');
    expect(await firingCard('ApiDown').locator('figcaption').textContent()).toBe('api_health, última hora');

    // One column: alerts first, the probes below them, nothing wider than the screen.
    const alerts = await page.locator('#alerts').boundingBox();
    const probes = await page.locator('#probes').boundingBox();
    expect(probes && alerts && probes.y > alerts.y && Math.abs(probes.x - alerts.x) < 2).toBe(true);
    // Nothing wider than the phone's 390 px (a mobile browser widens its window to the content, so the window's
    // width would always pass), the db probe's longest label included.
    expect(await page.locator('li[data-probe="db"] dl.kv').textContent()).toContain(
      'connections{state="idle in transaction (aborted)"}',
    );
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(page, 'phone-status');
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('puts the alerts first and the probes beside them on a desktop', async () => {
    const { page, errors } = await openPage(DESKTOP);
    const alerts = await page.locator('#alerts').boundingBox();
    const probes = await page.locator('#probes').boundingBox();
    expect(alerts && probes && probes.x > alerts.x + alerts.width && Math.abs(probes.y - alerts.y) < 2).toBe(true);
    expect(await page.title()).toBe('2 activas — centinela');
    await shot(page, 'desktop-status');
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('acknowledges from the page: the login fields once (a wrong token said in place), then one tap', async () => {
    // Someone reads the page a while after it arrived.
    await d.advance(20_000);
    const { page, errors } = await openPage(PHONE);
    const card = page.locator('article[data-state="firing"]', { hasText: 'ApiDown' });
    await expect.poll(() => card.count(), { timeout: 10_000 }).toBe(1);
    const form = card.locator('form.ack-form');
    const error = form.locator('[data-ack-error]');
    await form.getByRole('button', { name: 'Reconocer ApiDown' }).click();
    // No login yet: the form asks for a name and the write token, in place (no prompt()).
    await expect
      .poll(() => error.textContent(), { timeout: 10_000 })
      .toMatch(/^Escriba su nombre y el token de escritura/);
    await form.getByLabel('Su nombre').fill('Ana');
    await form.getByLabel('Token de escritura').fill('wrong-token');
    await form.getByRole('button', { name: 'Reconocer ApiDown' }).click();
    await expect.poll(() => error.textContent(), { timeout: 10_000 }).toBe('Token incorrecto.');
    await shot(page, 'phone-ack-error');
    await form.getByLabel('Token de escritura').fill(WRITE_TOKEN);
    await form.getByPlaceholder('Comentario (opcional)').fill('restarting the api');
    await form.getByRole('button', { name: 'Reconocer ApiDown' }).click();
    await expect
      .poll(
        () =>
          card
            .locator('.ack')
            .textContent()
            .catch(() => null),
        { timeout: 15_000 },
      )
      .toMatch(/^Reconocida por Ana hace \d+ s — restarting the api$/);
    expect(await card.locator('form.ack-form').count()).toBe(0);
    const api = await (await fetch(`${url}/api/v1/alerts?state=firing&alertname=ApiDown`)).json();
    expect(api.alerts[0].ack).toMatchObject({ by: 'Ana', comment: 'restarting the api' });
    // Logged in: the page now renders the Ack form without login fields (one tap next time).
    await page.reload();
    expect(await page.locator('main').getAttribute('data-can-ack')).toBe('yes');
    await shot(page, 'phone-acked');
    // The wrong token's answer, which the browser logs as a failed load.
    expect(errors).toEqual(['Failed to load resource: the server responded with a status of 401 (Unauthorized)']);
    await page.context().close();
  });

  it('takes no write from the login cookie without the page header', async () => {
    const login = await fetch(`${url}/-/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ token: WRITE_TOKEN, by: 'Eve' }),
      redirect: 'manual',
    });
    expect(login.status).toBe(204);
    const cookie = login.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const id = (await (await fetch(`${url}/api/v1/alerts?state=firing`)).json()).alerts[0].id;
    const silence = await fetch(`${url}/api/v1/silences`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie, 'x-centinela-page': 'ack' },
      body: JSON.stringify({ matchers: { alertname: 'ApiDown' }, duration: '1h', createdBy: 'eve', reason: 'x' }),
    });
    expect(silence.status).toBe(401);
    const ack = await fetch(`${url}/api/v1/alerts/${id}/ack`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
      body: JSON.stringify({ by: 'Eve' }),
    });
    expect(ack.status).toBe(401);
  });

  it('follows the refresh in the tab title, and tells the timeline in order: page, delivered, ack, resolved', async () => {
    const { page, errors } = await openPage(DESKTOP);
    expect(await page.title()).toBe('2 activas — centinela');
    world.target.setFault('none');
    const id = (await (await fetch(`${url}/api/v1/alerts?state=firing&alertname=ApiDown`)).json()).alerts[0]
      .id as string;
    await d.advanceUntil(
      () => d.store.lastIncident(id)?.resolvedAt !== undefined,
      120_000,
      () => 'ApiDown never resolved',
    );
    // The page refreshes itself every few (real) seconds.
    await expect.poll(() => page.title(), { timeout: 30_000 }).toBe('1 activa — centinela');
    expect(await page.locator('header p').textContent()).toMatch(/^1 activa/);
    expect(await page.locator('#incidents li.incident').count()).toBe(2);
    await shot(page, 'desktop-resolved');

    await page.locator('#incidents a', { hasText: 'ApiDown' }).click();
    // The incident's own timeline.
    await page.waitForURL(new RegExp(`/alerts/${id}\\?incident=\\d+$`));
    expect(await page.title()).toBe('ApiDown — cronología');
    const steps = await page
      .locator('ol.timeline li')
      .evaluateAll((lis) => lis.map((li) => li.getAttribute('data-step')));
    const at = (kind: string) => steps.indexOf(kind);
    expect(at('state-firing')).toBeGreaterThanOrEqual(0);
    expect(at('state-firing')).toBeLessThan(at('page firing'));
    expect(at('page firing')).toBeLessThan(at('delivered'));
    expect(at('delivered')).toBeLessThan(at('ack'));
    expect(at('ack')).toBeLessThan(at('state-resolved'));
    expect(at('state-resolved')).toBeLessThan(at('page resolved'));
    const text = await page.locator('ol.timeline').textContent();
    expect(text).toMatch(/Reconocida por Ana \(por la página de estado\)\s*restarting the api/);
    expect(at('ack')).toBeLessThan(at('page acknowledged'));
    expect(text).toMatch(/Aviso entregado a oncall por email/);
    // Local time with its offset.
    expect(await page.locator('ol.timeline time').first().textContent()).toMatch(
      /^2025-12-31 \d\d:\d\d:\d\d \(UTC−05:00\)$/,
    );
    // The page that reached oncall links here.
    expect(world.smtp.received[0]?.mail.text).toContain(`Cronología: http://centinela.test/alerts/${id}`);
    await shot(page, 'desktop-timeline');
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(page, 'phone-timeline');
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
