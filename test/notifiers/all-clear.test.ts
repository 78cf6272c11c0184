// The all-clear of each kind of shipped rule, word for word: what was paged (the summary at the worst), the worst and
// the value now in the rule's unit, and no numbers at all for a state (up, running, a flag). Each alert fires and
// resolves through the shipped rules on a fake clock; its resolution is rendered as the plain text of an email.

import { afterEach, describe, expect, it } from 'vitest';
import { describeItem } from '../../src/notifiers/describe.js';
import type { NotificationItem } from '../../src/notifiers/notifier.js';
import type { Alert, Labels } from '../../src/types.js';
import { RulesHarness } from '../support/rules.js';
import { SHIPPED_READING } from '../support/shipped-env.js';

const SEC = 1_000;
const MIN = 60_000;

let h: RulesHarness | undefined;
afterEach(() => {
  h?.close();
  h = undefined;
});

/**
 * Fires the shipped rule over `sample` with `breach` (one run each, `every` apart; the last repeated until it fires), then runs `now`
 * until it resolves; returns the resolution's alert.
 */
async function resolution(sample: string, labels: Labels, breach: number[], now: number, every: number) {
  h = await RulesHarness.shipped();
  const harness = h;
  const probe = sample.slice(0, sample.indexOf('.'));
  // `<probe>.up` is the run's own: a failed run, or one that went through.
  const run = (value: number) =>
    sample === `${probe}.up`
      ? harness.runSamples(probe, [], value === 1 ? {} : { up: false, reason: 'status 503' })
      : harness.runSamples(probe, [{ name: sample, labels, value }]);
  let firing = false;
  for (let i = 0; !firing; i++) {
    if (i > 500) throw new Error(`${sample} never fired`);
    firing = run(breach[Math.min(i, breach.length - 1)] as number).some((e) => e.type === 'firing');
    await harness.advance(every);
    // Every breach value is seen while firing, so the worst among them is what the all-clear shows.
    if (!firing) continue;
    for (const v of breach) {
      run(v);
      await harness.advance(every);
    }
  }
  for (let i = 0; i < 500; i++) {
    const resolved = run(now).find((e) => e.type === 'resolved');
    if (resolved) return resolved.alert;
    await harness.advance(every);
  }
  throw new Error(`${sample} never resolved`);
}

/** The lines of the all-clear email that say what happened: the headline and the What, Worst and Now facts. */
function allClearText(alert: Alert): string[] {
  const item: NotificationItem = {
    key: '1:resolved:devops',
    kind: 'resolved',
    alert,
    incidentId: 1,
    level: alert.peak?.priority ?? alert.priority,
    responseTimeMs: 4 * 3_600_000,
    openedAt: alert.activeSince,
    paged: ['devops'],
    resolvedAt: alert.activeSince + 42 * MIN,
  };
  const at = alert.activeSince + 42 * MIN;
  const d = describeItem(item, {
    id: 'n1',
    contact: { id: 'devops', name: 'DevOps' },
    items: [item],
    at,
    reading: SHIPPED_READING,
  });
  const facts = d.facts.filter(([k]) => ['Peor valor', 'Ahora'].includes(k)).map(([k, v]) => `${k}: ${v}`);
  return [d.headline, ...facts];
}

describe('the all-clear of each kind of shipped rule', () => {
  it.each([
    [
      'percent: ApiErrorRateHigh',
      ['api_metrics.error_percent', {}, [2, 7.24, 6], 0.4, 15 * SEC],
      [
        '[RESUELTA] 7.2 % de las peticiones a la API fallan con 5xx (sobre 5 %) — api (duró 42 min)',
        'Peor valor: 7.2 % (umbral > 5 %)',
        'Ahora: 0.4 %',
      ],
    ],
    [
      'seconds: ApiLatencyHigh',
      ['api_metrics.latency_p95_seconds', {}, [0.3, 0.62], 0.12, 15 * SEC],
      [
        '[RESUELTA] Latencia P95 de la API 0.62 s (sobre 0.5 s) — api (duró 42 min)',
        'Peor valor: 0.62 s (umbral > 0.5 s)',
        'Ahora: 0.12 s',
      ],
    ],
    [
      'duration: BackupTooOld',
      ['disk.backup_age_seconds', { backup: 'database' }, [9 * 86_400, 16 * 86_400], 3_600, 5 * MIN],
      [
        '[RESUELTA] El backup más reciente de la base de datos tiene 16 d (duró 42 min)',
        'Peor valor: 16 d (umbral > 15 d)',
        'Ahora: 1 h',
      ],
    ],
    [
      'bytes: LogsDirectoryLarge',
      ['disk.dir_size_bytes', { dir: '/opt/grupogad/logs' }, [6 * 2 ** 30], 2 ** 30, 5 * MIN],
      ['[RESUELTA] /opt/grupogad/logs ocupa 6 GiB (duró 42 min)', 'Peor valor: 6 GiB (umbral > 5 GiB)', 'Ahora: 1 GiB'],
    ],
    [
      'hours, back to "nunca" (never): DiskFillingUp',
      ['disk.hours_until_full', { path: '/' }, [30, 0.5], 1_000_000, 5 * MIN],
      [
        '[RESUELTA] / lleno en unas 30 min al ritmo actual (duró 42 min)',
        'Peor valor: 30 min (umbral < 12 h)',
        'Ahora: nunca',
      ],
    ],
    [
      'days: TlsCertificateExpiring',
      ['tls.days_until_expiry', { host: 'grupogad.gob.ec' }, [20, 6.5], 89, 6 * 3_600_000],
      [
        '[RESUELTA] El certificado de grupogad.gob.ec caduca en 6 d 12 h (duró 42 min)',
        'Peor valor: 6 d 12 h (umbral < 7 d)',
        'Ahora: 89 d',
      ],
    ],
    [
      'per second: TrafficAboveRunbookPeak',
      ['api_metrics.requests_per_second', {}, [60, 160.4], 12, 15 * SEC],
      [
        '[RESUELTA] Tráfico de la API 160/s (el pico de emergencia del runbook es ~50/s) — api (duró 42 min)',
        'Peor valor: 160/s (umbral > 150/s)',
        'Ahora: 12/s',
      ],
    ],
    [
      'a count: DbSlowQueries',
      ['db.slow_queries', {}, [3, 12], 0, 30 * SEC],
      [
        '[RESUELTA] 12 queries activas desde hace más de 1 s — db (duró 42 min)',
        'Peor valor: 12 (umbral > 10)',
        'Ahora: 0',
      ],
    ],
    [
      'a state: ApiDown',
      ['api_health.up', {}, [0], 1, 5 * SEC],
      ['[RESUELTA] API caída: el endpoint de salud no responde healthy — api (duró 42 min)'],
    ],
    [
      'a flag: ContainerOomKilled',
      ['containers.oom_killed', { container: 'grupo_gad_api' }, [1], 0, 30 * SEC],
      ['[RESUELTA] grupo_gad_api fue matado por falta de memoria (duró 42 min)'],
    ],
  ] as const)('%s', async (_kind, [sample, labels, breach, now, every], expected) => {
    const alert = await resolution(sample, labels, [...breach], now, every);
    expect(allClearText(alert)).toEqual(expected);
  });
});
