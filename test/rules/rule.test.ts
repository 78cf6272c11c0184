import { describe, expect, it } from 'vitest';
import { alertsFile } from '../../src/config/schema.js';
import { alertId, builtinRules, compileRules, observe } from '../../src/rules/rule.js';
import { probe } from '../support/rules.js';

const compile = (rules: unknown[]) => compileRules(alertsFile.parse({ probes: [probe('api')], rules }));
const base = { sample: 'api.latency_p95_seconds', op: '>', thresholds: { P1: 0.5, P2: 0.2 } };

describe('compiling rules', () => {
  it("knows how close together a rule's runs can come: its probe's every, or a shorter retry_every over it", () => {
    const { rules } = compileRules(
      alertsFile.parse({
        probes: [probe('api'), probe('db'), probe('slow'), { ...probe('cron'), every: undefined, cron: '*/5 * * * *' }],
        rules: [
          { ...base, name: 'Paced', sample: 'db.up' },
          { ...base, name: 'Retried', sample: 'api.up', after_failures: 3, retry_every: '5s' },
          // The retries of a rule run the probe for every rule over it.
          { ...base, name: 'Beside', sample: 'api.latency_p95_seconds', for: '5m' },
          // A retry_every longer than every: the runs still come every 30s.
          { ...base, name: 'LongRetry', sample: 'slow.up', retry_every: '1m' },
          { ...base, name: 'Cron', sample: 'cron.up', retry_every: '10s' },
        ],
      }),
    );
    expect(rules.map((r) => [r.name, r.spacing])).toEqual([
      ['Paced', 30_000],
      ['Retried', 5_000],
      ['Beside', 5_000],
      ['LongRetry', 30_000],
      ['Cron', undefined],
    ]);
  });

  it('reports template and naming problems with their paths, all at once', () => {
    const { rules, issues } = compile([
      { ...base, name: 'Ok', summary: '{{ value | seconds }}' },
      { ...base, name: 'BadSummary', summary: 'p95 {{ valeu }}' },
      { ...base, name: 'CannotMeasure', description: '{{ value | minutes }}' },
    ]);
    expect(rules.map((r) => r.name)).toEqual(['Ok']);
    expect(issues).toEqual([
      {
        path: ['rules', 1, 'summary'],
        message: expect.stringContaining('unknown variable "valeu" in {{ valeu }}'),
        // For a value from the environment, which the loader names instead of quoting.
        unquoted: 'is not a template centinela can read: the problem starts at character 5',
      },
      {
        path: ['rules', 2, 'name'],
        message: '"CannotMeasure" is the name of an alert centinela raises itself; pick another',
        unquoted: 'is the name of an alert centinela raises itself; pick another',
      },
      {
        path: ['rules', 2, 'description'],
        message: expect.stringContaining('unknown filter "minutes"'),
        unquoted: 'is not a template centinela can read: the problem starts at character 1',
      },
    ]);
  });

  it.each([
    ['the filter the summary shows the value through', { summary: 'p95 {{ value | seconds }}' }, 'seconds'],
    ['else the threshold', { summary: 'p95 over {{ threshold | percent }}' }, 'percent'],
    ['else the description', { summary: 'slow', description: '{{ value | duration }} ago' }, 'duration'],
    ['a bare number without a filter', { summary: '{{ value }} queries (over {{ threshold | seconds }})' }, 'number'],
    ['a state when no template shows it', { summary: 'API down', description: 'for {{ for | duration }}' }, 'state'],
    ['the default summary shows a bare number', {}, 'number'],
  ])('takes its unit from %s', (_how, templates, unit) => {
    const { rules } = compile([{ ...base, name: 'R', ...templates }]);
    expect(rules[0]?.unit).toBe(unit);
  });

  it('compiles timings, labels, runbook steps and the probe', () => {
    const { rules } = compile([
      {
        ...base,
        name: 'ApiLatencyHigh',
        for: '5m',
        clear_for: '2m',
        after_failures: 2,
        retry_every: '15s',
        after_successes: 3,
        labels: { team: 'backend' },
        runbook: 'curl http://localhost:8000/metrics\n\n  docker compose restart api  ',
      },
    ]);
    expect(rules[0]).toMatchObject({
      probe: 'api',
      for: 300_000,
      clearFor: 120_000,
      afterFailures: 2,
      retryEvery: 15_000,
      afterSuccesses: 3,
      labels: { team: 'backend', alertname: 'ApiLatencyHigh' },
      runbook: ['curl http://localhost:8000/metrics', 'docker compose restart api'],
      levels: [
        { priority: 'P1', threshold: 0.5 },
        { priority: 'P2', threshold: 0.2 },
      ],
      speaksForOutage: false,
    });
    expect(rules[0]?.summary.render({ value: 0.31, threshold: 0.2 } as never, 'en')).toBe(
      'ApiLatencyHigh: api.latency_p95_seconds is 0.31 (> 0.2)',
    );
  });

  it.each([
    ['>', { P1: 0.5, P2: 0.2 }, undefined, 0.6, 'breach P1'],
    ['>', { P1: 0.5, P2: 0.2 }, undefined, 0.3, 'breach P2'],
    ['>', { P1: 0.5, P2: 0.2 }, undefined, 0.2, 'clear'],
    ['>', { P2: 90 }, 80, 85, 'band P2'],
    ['>', { P2: 90 }, 80, 80, 'clear'],
    ['<', { P1: 5, P3: 15 }, 20, 3, 'breach P1'],
    ['<', { P1: 5, P3: 15 }, 20, 17, 'band P3'],
    ['<', { P1: 5, P3: 15 }, 20, 21, 'clear'],
    ['==', { P0: 0 }, undefined, 0, 'breach P0'],
    ['==', { P0: 0 }, undefined, 1, 'clear'],
    ['!=', { P2: 1 }, undefined, 0, 'breach P2'],
    ['>=', { P2: 1 }, undefined, Number.NaN, 'clear'],
  ])('%s %j (clear %s): %d is %s', (op, thresholds, clear, value, expected) => {
    const { rules } = compile([{ name: 'R', sample: 'api.x', op, thresholds, clear_threshold: clear }]);
    const obs = observe(rules[0] as never, value);
    expect(obs.kind === 'breach' || obs.kind === 'band' ? `${obs.kind} ${obs.priority}` : obs.kind).toBe(expected);
  });

  it('ids depend on the rule name and the label set, not on label order', () => {
    expect(alertId('R', { a: '1', b: '2' })).toBe(alertId('R', { b: '2', a: '1' }));
    expect(alertId('R', { a: '1' })).not.toBe(alertId('S', { a: '1' }));
    expect(alertId('R', { a: '1' })).not.toBe(alertId('R', { a: '2' }));
  });
});

describe('the alerts centinela raises itself', () => {
  const labels = { probe: 'db', window: 'w-42', probes: 'api_health,public_health' };
  const render = (rule: ReturnType<typeof builtinRules>['cannotMeasure']) =>
    rule.summary.render(
      {
        value: 1,
        threshold: 1,
        clear_threshold: undefined,
        op: '==',
        priority: 'P1',
        alertname: rule.name,
        probe: '',
        for: 0,
        clear_for: 0,
        active_for: 0,
        labels,
      },
      'en',
    );

  it('say what happened in the language they are given, with the commands of the runbook left as they are', () => {
    const es = builtinRules('es');
    expect(render(es.cannotMeasure)).toBe('la sonda db no puede medir');
    expect(render(es.healthNotBack)).toBe(
      'la ventana de mantenimiento w-42 terminó, pero api_health,public_health no está sana',
    );
    expect(es.healthNotBack.runbook).toEqual([
      'docker compose -f docker-compose.prod.yml ps',
      'docker compose -f docker-compose.prod.yml logs --tail=100 api',
      'Si los health checks siguen fallando tras el deployment, hacer rollback: ./scripts/rollback_production.sh',
    ]);
    const en = builtinRules('en');
    expect(render(en.cannotMeasure)).toBe('probe db cannot measure');
    expect(render(en.healthNotBack)).toBe('maintenance window w-42 ended but api_health,public_health is not healthy');
    expect([en.cannotMeasure.name, en.healthNotBack.name]).toEqual(['CannotMeasure', 'HealthNotBack']);
  });
});
