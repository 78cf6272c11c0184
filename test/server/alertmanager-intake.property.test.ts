import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addPrometheusSource, type Daemon, startDaemon, startWorld, type World } from '../support/daemon.js';

const TOKEN = 'prometheus-intake-token-0123456789';
let world: World;
let d: Daemon;

beforeAll(async () => {
  world = await startWorld({ PROM_TOKEN: TOKEN });
  addPrometheusSource(world, '    default_priority: P3\n');
  d = await startDaemon(world);
});

afterAll(async () => {
  await d?.close();
  await world?.close();
});

const post = (payload: string) =>
  d.app.server.inject({
    method: 'POST',
    url: '/api/v2/alerts',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    payload,
  });

// Names starting with __ too: a sender's own labels (Grafana's __alert_rule_uid__), taken and left out.
const labelName = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,20}$/);
const wellFormed = fc.array(
  fc.record({
    labels: fc
      .dictionary(labelName, fc.string({ minLength: 1, maxLength: 40 }), { maxKeys: 6 })
      .chain((l) => fc.string({ minLength: 1, maxLength: 30 }).map((alertname) => ({ ...l, alertname }))),
    annotations: fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }), fc.string({ maxLength: 80 }), {
      maxKeys: 3,
    }),
  }),
  { maxLength: 20 },
);

describe('POST /api/v2/alerts, any body', () => {
  it('answers 200 or a 400 with a JSON string, never a 500', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (value) => {
        const res = await post(JSON.stringify(value));
        expect([200, 400]).toContain(res.statusCode);
        if (res.statusCode === 400) expect(typeof res.json()).toBe('string');
      }),
      { numRuns: 150 },
    );
    const garbage = await post('[{"labels": {"alertname": "X"}');
    expect(garbage.statusCode).toBe(400);
  });

  it('takes every well-formed batch whole and lists its alerts', async () => {
    await fc.assert(
      fc.asyncProperty(wellFormed, async (alerts) => {
        const res = await post(JSON.stringify(alerts));
        expect(res.statusCode).toBe(200);
        const listed = (await d.app.server.inject({ url: '/api/v2/alerts' })).json() as { labels: object }[];
        for (const a of alerts) {
          const labels = Object.fromEntries(
            Object.entries(a.labels).filter(([k, v]) => v !== '' && !k.startsWith('__')),
          );
          expect(listed.some((l) => JSON.stringify(sorted(l.labels)) === JSON.stringify(sorted(labels)))).toBe(true);
        }
      }),
      { numRuns: 40 },
    );
  });
});

function sorted(o: object): [string, unknown][] {
  return Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
