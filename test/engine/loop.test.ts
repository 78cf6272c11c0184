// The engine's loop on a fake clock: the tick evaluates every 5 s once started, and stop() silences it at once,
// while the scheduler's last runs drain, before delivery gets its bound.
import { pino } from 'pino';
import { afterEach, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { alertsFile, escalationFile } from '../../src/config/schema.js';
import { Engine, TICK_MS } from '../../src/engine/loop.js';
import { DEFAULT_READING } from '../../src/locale/locale.js';
import { compileAlerting } from '../../src/rules/alerting.js';
import { Metrics } from '../../src/server/metrics.js';
import { openStore } from '../../src/store/sqlite.js';

const store = openStore(':memory:');
afterEach(() => store.close());

async function evaluations(metrics: Metrics): Promise<number> {
  const json = await metrics.registry.getSingleMetric('centinela_rule_evaluation_seconds')?.get();
  const count = json?.values.find((v) => (v as { metricName?: string }).metricName?.endsWith('_count'));
  return count?.value ?? 0;
}

it('ticks every 5 s, and not once stop() has begun, while the runs in flight drain', async () => {
  const clock = new FakeClock();
  const metrics = new Metrics({ processMetrics: false });
  const engine = new Engine({
    store,
    clock,
    log: pino({ level: 'silent' }),
    alerting: compileAlerting(alertsFile.parse({}), DEFAULT_READING).alerting,
    paging: { escalation: escalationFile.parse({ levels: {}, contacts: {}, channels: {} }) },
    metrics,
  });
  engine.start();
  await clock.advance(2 * TICK_MS);
  expect(await evaluations(metrics)).toBe(3);
  let drain = () => {};
  const drained = new Promise<void>((resolve) => {
    drain = resolve;
  });
  const stopping = engine.stop(1000, drained);
  await clock.advance(4 * TICK_MS);
  expect(await evaluations(metrics)).toBe(3);
  drain();
  await stopping;
  engine.close();
});
