// The pages behind an email's acknowledgement link, on the real daemon (fixture config, temp SQLite, fake clock, a
// loopback target, SMTP and webhook sinks): what each state of the incident answers, as docs/notifications.md says.
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Daemon, hookEvents, startDaemon, startWorld, type World } from '../support/daemon.js';

let world: World;
let d: Daemon;

beforeAll(async () => {
  world = await startWorld();
  d = await startDaemon(world);
});

afterAll(async () => {
  await d.close();
  await world.close();
});

const open = (link: string) => d.app.server.inject({ method: 'GET', url: link });
const press = (link: string) =>
  d.app.server.inject({
    method: 'POST',
    url: link,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: 'comment=',
  });
const title = (body: string) => /<title>([^<]*)<\/title>/.exec(body)?.[1];

describe('an acknowledgement link through its incident', () => {
  it('acknowledges once, answers 409 when pressed again, and 410 once the incident has resolved', async () => {
    world.target.setFault('down');
    await d.advanceUntil(
      () => world.smtp.received.length >= 1,
      30_000,
      () => 'no page by email',
    );
    const link = String(
      /http:\/\/centinela\.test(\/ack\/[A-Za-z0-9_.-]+)/.exec(world.smtp.received[0]?.mail.text ?? '')?.[1],
    );

    expect((await press(link)).statusCode).toBe(200);
    const again = await press(link);
    expect(again.statusCode).toBe(409);
    expect(title(again.body)).toBe('Already acknowledged');
    expect(again.body).toContain('was already acknowledged by oncall');

    world.target.setFault('none');
    await d.advanceUntil(
      () => hookEvents(world.hook).includes('resolved ApiDown'),
      60_000,
      () => 'no resolution',
    );
    // The link named that incident, which is over: the link is gone (410), opened or pressed.
    for (const answer of [await open(link), await press(link)]) {
      expect(answer.statusCode).toBe(410);
      expect(title(answer.body)).toBe('Already resolved');
      expect(answer.body).toMatch(/resolved at .*; there is nothing to acknowledge/);
    }
  });
});

describe('in Spanish, times in Guayaquil (centinela.yaml locale: es, timezone: America/Guayaquil)', () => {
  let es: World;
  let de: Daemon;

  beforeAll(async () => {
    es = await startWorld();
    appendFileSync(join(es.configDir, 'centinela.yaml'), 'locale: es\ntimezone: America/Guayaquil\n');
    const escalation = join(es.configDir, 'escalation.yaml');
    writeFileSync(
      escalation,
      readFileSync(escalation, 'utf8').replace('  P0:\n', '  P0:\n    description: Producción completamente down\n'),
    );
    de = await startDaemon(es);
  });

  afterAll(async () => {
    await de.close();
    await es.close();
  });

  it('pages, asks, acknowledges and refuses in Spanish, each time with its offset', async () => {
    const inject = (method: 'GET' | 'POST', url: string) =>
      de.app.server.inject({
        method,
        url,
        ...(method === 'POST'
          ? { headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'comment=' }
          : {}),
      });
    es.target.setFault('down');
    await de.advanceUntil(
      () => es.smtp.received.length >= 1,
      30_000,
      () => 'no page by email',
    );
    const mail = es.smtp.received[0]?.mail;
    expect(mail?.subject).toBe('[P0] API down: the health endpoint does not answer healthy — api');
    expect(mail?.text).toContain('Prioridad: P0 (Producción completamente down), tiempo de respuesta 15 min\n');
    expect(mail?.text).toMatch(/\nDesde: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(UTC−05:00\) \(hace \d+ s\)\n/);
    const link = String(/http:\/\/centinela\.test(\/ack\/[A-Za-z0-9_.-]+)/.exec(mail?.text ?? '')?.[1]);

    const asked = await inject('GET', link);
    expect(asked.body).toContain('<html lang="es">');
    expect(title(asked.body)).toBe('¿Reconocer ApiDown?');
    expect(asked.body).toContain('Reconoce como <strong>oncall</strong>');
    expect(asked.body).toContain('<button type="submit">Reconocer</button>');

    const done = await inject('POST', link);
    expect(title(done.body)).toBe('Reconocida');
    expect(done.body).toMatch(/Reconocida por oncall el \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(UTC−05:00\)\./);

    const again = await inject('POST', link);
    expect(again.statusCode).toBe(409);
    expect(title(again.body)).toBe('Ya reconocida');
    expect(again.body).toMatch(/ya fue reconocida por oncall el \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(UTC−05:00\)/);

    const status = await inject('GET', '/');
    expect(status.body).toContain('<html lang="es">');
    expect(status.body).toContain('<h2>Alertas activas</h2>');
    expect(status.body).toMatch(
      /1 activa · 0 pendientes · \d+ de \d+ sondas? caídas? · actualizado <time [^>]*>[^<]*\(UTC−05:00\)<\/time>/,
    );
    expect(status.body).toContain('Reconocida por oncall hace');
  });
});
