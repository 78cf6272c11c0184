import { afterEach, describe, expect, it } from 'vitest';
import { AlertingError } from '../../src/rules/errors.js';
import { checkLength, type Limited } from '../../src/rules/silences.js';
import { m, probe, RulesHarness, refusal, summarize } from '../support/rules.js';

const harnesses: RulesHarness[] = [];
afterEach(() => {
  for (const h of harnesses.splice(0)) h.close();
});

const config = {
  probes: [probe('api'), probe('api_health'), probe('docker')],
  rules: [
    { name: 'ApiDown', sample: 'api_health.up', op: '==', thresholds: { P0: 0 } },
    { name: 'ApiLatencyHigh', sample: 'api.latency_p95_seconds', op: '>', thresholds: { P1: 0.5, P2: 0.2 } },
    {
      name: 'ContainerMemoryHigh',
      sample: 'docker.memory_percent',
      op: '>',
      thresholds: { P2: 90 },
      labels: { team: 'devops' },
    },
  ],
  evaluation: { silence_max: { P1: '4h' } },
};

function harness(): RulesHarness {
  const h = new RulesHarness(config);
  harnesses.push(h);
  return h;
}

const HOUR = 3_600_000;

describe('silences', () => {
  it('a silenced alert still changes state; its resolution is still told (to those already paged)', async () => {
    const h = harness();
    expect(summarize(h.run('api', { latency_p95_seconds: 0.3 }))).toEqual(['firing ApiLatencyHigh P2']);
    const s = h.evaluator.api.createSilence({
      matchers: m({ alertname: 'ApiLatencyHigh' }),
      endsAt: h.clock.now() + HOUR,
      owner: 'ana',
      reason: 'index rebuild',
    });
    expect(s).toMatchObject({ state: 'active', owner: 'ana', reason: 'index rebuild' });
    expect(summarize(h.tick())).toEqual(['firing ApiLatencyHigh P2 held:silenced']);
    expect(summarize(h.run('api', { latency_p95_seconds: 0.6 }))).toEqual([
      'priority-changed ApiLatencyHigh P2→P1 held:silenced',
    ]);
    const resolved = h.run('api', { latency_p95_seconds: 0.1 });
    expect(summarize(resolved)).toEqual(['resolved ApiLatencyHigh P1 held:silenced']);
    expect(resolved[0]?.alert.suppressedBy).toEqual([{ kind: 'silenced', id: s.id }]);
  });

  it('an alert that fires during a silence is told held, then told again when the silence ends', async () => {
    const h = harness();
    h.evaluator.api.createSilence({
      matchers: m({ team: 'devops' }),
      endsAt: h.clock.now() + 30 * 60_000,
      owner: 'ana',
      reason: 'memory test',
    });
    const firing = h.run('docker', { memory_percent: 95 });
    expect(summarize(firing)).toEqual(['firing ContainerMemoryHigh P2 held:silenced']);
    await h.advance(30 * 60_000);
    // Released: it pages at its probe's next run if that still breaches (the probe is asked to run now).
    expect(h.tick()).toEqual([]);
    expect(h.last?.retry).toEqual([{ probe: 'docker', every: 0 }]);
    await h.advance(1000);
    expect(summarize(h.run('docker', { memory_percent: 95 }))).toEqual(['firing ContainerMemoryHigh P2']);
    expect(h.evaluator.api.listSilences({ state: 'expired' })).toHaveLength(1);
  });

  it('expires early; the expired silence stays on record', async () => {
    const h = harness();
    h.run('api', { latency_p95_seconds: 0.3 });
    const s = h.evaluator.api.createSilence({
      matchers: m({ alertname: '=~Api.*' }),
      endsAt: h.clock.now() + 10 * 60_000,
      owner: 'ana',
      reason: 'r',
    });
    h.tick();
    await h.advance(60_000);
    const expired = h.evaluator.api.expireSilence(s.id, 'luis');
    expect(expired).toMatchObject({ state: 'expired', expiredBy: 'luis', endsAt: h.clock.now() });
    expect(h.tick()).toEqual([]);
    await h.advance(1000);
    expect(summarize(h.run('api', { latency_p95_seconds: 0.3 }))).toEqual(['firing ApiLatencyHigh P2']);
    expect(h.evaluator.api.listSilences().map((x) => x.id)).toEqual([s.id]);
    expect(() => h.evaluator.api.expireSilence(s.id, 'luis')).toThrow(/already ended/);
    expect(() => h.evaluator.api.expireSilence('sil_nope', 'luis')).toThrow('no silence "sil_nope"');
  });

  it('a silence starting later holds nothing until it starts', async () => {
    const h = harness();
    h.run('api', { latency_p95_seconds: 0.3 });
    const s = h.evaluator.api.createSilence({
      matchers: m({ alertname: 'ApiLatencyHigh' }),
      startsAt: h.clock.now() + HOUR,
      endsAt: h.clock.now() + 2 * HOUR,
      owner: 'ana',
      reason: 'planned',
    });
    expect(s.state).toBe('pending');
    expect(h.tick()).toEqual([]);
    await h.advance(HOUR);
    expect(summarize(h.tick())).toEqual(['firing ApiLatencyHigh P2 held:silenced']);
  });

  it.each([
    [{ alertname: 'ApiDown' }, 2 * HOUR, 'it could match ApiDown at P0, and P0 silences may last at most 1h'],
    [{ route: '/api/v1/tasks' }, 2 * HOUR, 'it could match ApiDown at P0'],
    [{ alertname: '=~Api.*' }, 5 * HOUR, 'ApiDown at P0'],
    [
      { alertname: 'ApiLatencyHigh' },
      5 * HOUR,
      'it could match ApiLatencyHigh at P1, and P1 silences may last at most 4h',
    ],
    // A sample may carry any label (probes add their own), so a label the rule does not fix could match too.
    [{ team: 'devops' }, 48 * HOUR, 'it could match ApiDown at P0'],
  ])('refuses a silence longer than the priority it could match allows: %j for %d ms', (matchers, length, message) => {
    const h = harness();
    const create = () =>
      h.evaluator.api.createSilence({
        matchers: m(matchers),
        endsAt: h.clock.now() + length,
        owner: 'ana',
        reason: 'r',
      });
    expect(create).toThrow(AlertingError);
    expect(create).toThrow(message);
    try {
      create();
    } catch (err) {
      expect((err as AlertingError).code).toBe('SILENCE_TOO_LONG');
    }
  });

  it.each([
    [{ alertname: 'ContainerMemoryHigh' }, 48 * HOUR],
    [{ alertname: 'ApiLatencyHigh', priority: 'P2' }, 24 * HOUR],
    [{ team: 'devops', priority: '!=P0' }, 3 * HOUR],
    [{ team: 'devops', priority: '=~P2|P3' }, 48 * HOUR],
    [{ alertname: 'ApiDown' }, HOUR],
    [{ alertname: 'CannotMeasure', probe: 'api' }, 24 * HOUR],
  ])('allows %j for %d ms', (matchers, length) => {
    const h = harness();
    expect(
      h.evaluator.api.createSilence({ matchers: m(matchers), endsAt: h.clock.now() + length, owner: 'a', reason: 'r' })
        .state,
    ).toBe('active');
  });

  it('refuses a silence without matchers, owner or reason, or one already over', () => {
    const h = harness();
    expect(() =>
      h.evaluator.api.createSilence({ matchers: [], endsAt: h.clock.now() - 1, owner: ' ', reason: '' }),
    ).toThrow(
      'silence: needs at least one matcher, e.g. { alertname: ApiDown }; needs an owner: who is silencing; needs a reason: why it is silenced; endsAt must be in the future and after startsAt',
    );
  });

  it('holds an end or a start given as a time to 36500d (100 years), as "for" is held', () => {
    const h = harness();
    const now = h.clock.now();
    const DAY = 86_400_000;
    const create = (startsAt: number, endsAt: number) =>
      h.evaluator.api.createSilence({
        matchers: m({ team: 'devops', priority: 'P3' }),
        startsAt,
        endsAt,
        owner: 'a',
        reason: 'r',
      });
    expect(() => create(now, Date.UTC(9999, 11, 31))).toThrow(
      'silence: endsAt is more than 36500d (100 years) after now',
    );
    expect(() => create(now + 36_501 * DAY, now + 36_502 * DAY)).toThrow(
      'silence: startsAt is more than 36500d (100 years) from now',
    );
    expect(() => create(now + DAY, now + 36_502 * DAY)).toThrow(
      'silence: endsAt is more than 36500d (100 years) after startsAt',
    );
    // A start in the past counts from now: what is left of it is what it holds.
    expect(create(now - DAY, now + 36_500 * DAY).state).toBe('active');
    expect(create(now + DAY, now + 36_501 * DAY).state).toBe('pending');
  });

  it.each([
    [{ alertname: 'ApiDwn' }, 'alertname="ApiDwn" matches no alert: no rule is named so. Did you mean "ApiDown"?'],
    [
      { alertname: 'PostgresDown' },
      'alertname="PostgresDown" matches no alert: no rule is named so. Known: ApiDown, ApiLatencyHigh, ' +
        'ContainerMemoryHigh, CannotMeasure, HealthNotBack.',
    ],
    [{ alertname: '=~Db.*' }, `alertname=~"Db.*" matches no alert: no rule's name matches it. Known: ApiDown,`],
    [
      { alertname: '=~ApiDown|ApiLatncyHigh' },
      'alertname=~"ApiDown|ApiLatncyHigh" lists a name no rule has: no rule is named "ApiLatncyHigh". ' +
        'Did you mean "ApiLatencyHigh"?',
    ],
    [
      { alertname: '=~ApiDown|PostgresDwn|RedisDwn' },
      'alertname=~"ApiDown|PostgresDwn|RedisDwn" lists a name no rule has: no rule is named "PostgresDwn" ' +
        '(nor "RedisDwn"). Known: ApiDown,',
    ],
    // A regex with a group around it, or anchors, is checked alternative by alternative as well.
    [
      { alertname: '=~(ApiDown|ApiLatncyHigh)' },
      'alertname=~"(ApiDown|ApiLatncyHigh)" lists a name no rule has: no rule is named "ApiLatncyHigh". ' +
        'Did you mean "ApiLatencyHigh"?',
    ],
    [
      { alertname: '=~^(?:ApiDwn|ApiLatencyHigh)$' },
      'alertname=~"^(?:ApiDwn|ApiLatencyHigh)$" lists a name no rule has: no rule is named "ApiDwn". ' +
        'Did you mean "ApiDown"?',
    ],
    [
      { alertname: '=~^ApiDown$|^ContainerMemoryHgh$' },
      'alertname=~"^ApiDown$|^ContainerMemoryHgh$" lists a name no rule has: no rule is named ' +
        '"ContainerMemoryHgh". Did you mean "ContainerMemoryHigh"?',
    ],
    // A real regex beside a misspelt name does not carry it; nor does a branch that is a regex matching nothing.
    [
      { alertname: '=~Api.*|PostgresDwn' },
      'alertname=~"Api.*|PostgresDwn" lists a name no rule has: no rule is named "PostgresDwn". Known: ApiDown,',
    ],
    [
      { alertname: '=~(ApiDown|Postgres.*)' },
      `alertname=~"(ApiDown|Postgres.*)" has an alternative no rule's name matches: no rule's name matches ` +
        '"Postgres.*". Known: ApiDown,',
    ],
    [
      { alertname: '=~(ApiDwn|Postgres.*)' },
      `alertname=~"(ApiDwn|Postgres.*)" matches no alert: no rule is named "ApiDwn" (nor "Postgres.*"). ` +
        'Did you mean "ApiDown"?',
    ],
    // A | or ( in a character class or escaped separates nothing.
    [
      { alertname: '=~Api[|(]?Down|Api\\(?Down|ApiLatncyHigh' },
      'alertname=~"Api[|(]?Down|Api\\(?Down|ApiLatncyHigh" lists a name no rule has: no rule is named ' +
        '"ApiLatncyHigh". Did you mean "ApiLatencyHigh"?',
    ],
    [
      { probe: '=~docker|apii' },
      'probe=~"docker|apii" lists a name no probe has: no probe is named "apii". Did you mean "api"?',
    ],
    [
      { probe: 'dockr', team: 'devops' },
      'probe="dockr" matches no alert: no probe is named so. Did you mean "docker"?',
    ],
    // An alternation in a group is spread out (Api(Down|Dwn) is ApiDown and ApiDwn), in a group in it too.
    [
      { alertname: '=~Api(Down|Dwn)' },
      'alertname=~"Api(Down|Dwn)" lists a name no rule has: no rule is named "ApiDwn". Did you mean "ApiDown"?',
    ],
    [
      { alertname: '=~Api(?:Dow(n|m)|LatencyHigh)' },
      'alertname=~"Api(?:Dow(n|m)|LatencyHigh)" lists a name no rule has: no rule is named "ApiDowm". ' +
        'Did you mean "ApiDown"?',
    ],
    [
      { alertname: '=~(Api|Db)Down' },
      'alertname=~"(Api|Db)Down" lists a name no rule has: no rule is named "DbDown". Known: ApiDown,',
    ],
    // A negative matcher on a name no rule or probe has excludes nothing: it matches every alert.
    [
      { alertname: '!=ApiDwn' },
      'alertname!="ApiDwn" matches every alert: no rule is named so. Did you mean "ApiDown"?',
    ],
    [{ alertname: '!~Db.*' }, `alertname!~"Db.*" matches every alert: no rule's name matches it. Known: ApiDown,`],
    [
      { alertname: '!~ApiDown|ApiLatncyHigh' },
      'alertname!~"ApiDown|ApiLatncyHigh" lists a name no rule has: no rule is named "ApiLatncyHigh". ' +
        'Did you mean "ApiLatencyHigh"?',
    ],
    [
      { alertname: '!~ApiDwn|Nope' },
      'alertname!~"ApiDwn|Nope" matches every alert: no rule is named "ApiDwn" (nor "Nope"). Did you mean "ApiDown"?',
    ],
    [{ probe: '!=dockr' }, 'probe!="dockr" matches every alert: no probe is named so. Did you mean "docker"?'],
    // Shown as it is written, a quote in it escaped.
    [
      { alertname: 'Api"Down' },
      'alertname="Api\\"Down" matches no alert: no rule is named so. Did you mean "ApiDown"?',
    ],
  ])('refuses %j: no rule or probe has that name, with the closest one', (matchers, message) => {
    const h = harness();
    const create = (force?: boolean) =>
      h.evaluator.api.createSilence({
        matchers: m(matchers),
        endsAt: h.clock.now() + HOUR,
        owner: 'ana',
        reason: 'r',
        ...(force ? { force } : {}),
      });
    expect(create).toThrow(message);
    // How to force it is the API's to say (what works depends on where the request came from): api.test.ts.
    expect(create).toThrow(/[.?]$/);
    try {
      create();
    } catch (err) {
      expect((err as AlertingError).code).toBe('UNKNOWN_NAME');
    }
    // Forced, it is created (a rule still to come); the length cap still holds.
    expect(create(true).state).toBe('active');
  });

  it('takes names that exist, every alternative of a regex, and labels it does not know', () => {
    const h = harness();
    const written: Record<string, string>[] = [
      { alertname: '!=ApiDown' },
      { alertname: '!~Api.*|CannotMeasure' },
      { probe: '!=docker' },
      { service: 'nope' },
      // Every alternative of a regex matches a name.
      { alertname: '=~Api.*|CannotMeasure' },
      { alertname: '=~ApiDown|ApiLatencyHigh' },
      { alertname: '=~^(ApiDown|Container.*)$' },
      { alertname: '=~Api(Down|LatencyHigh)' },
      // A group with a quantifier after it is not spread out: one alternative, which matches ApiDown.
      { alertname: '=~Api(Down|Nope)?' },
    ];
    for (const matchers of written) {
      expect(
        h.evaluator.api.createSilence({ matchers: m(matchers), endsAt: h.clock.now() + HOUR, owner: 'a', reason: 'r' })
          .state,
      ).toBe('active');
    }
  });

  it.each([
    ['', 'shard=""', ['none held', '1 paged']],
    ['!=', 'shard!=""', ['none paged', '1 held']],
  ])('takes an empty value as an absent label: a silence on %s (%s) holds %j', (value, _, expected) => {
    const h = harness();
    h.evaluator.api.createSilence({
      matchers: m({ alertname: 'ApiLatencyHigh', shard: value }),
      endsAt: h.clock.now() + HOUR,
      owner: 'a',
      reason: 'r',
    });
    const events = h.runSamples('api', [
      { name: 'api.latency_p95_seconds', labels: {}, value: 0.3 },
      { name: 'api.latency_p95_seconds', labels: { shard: '1' }, value: 0.3 },
    ]);
    expect(
      events.map((e) => `${e.alert.labels.shard ?? 'none'} ${e.alert.suppressedBy.length > 0 ? 'held' : 'paged'}`),
    ).toEqual(expected);
  });

  it('matches `priority` like a label', () => {
    const h = harness();
    h.run('api', { latency_p95_seconds: 0.3 });
    h.evaluator.api.createSilence({
      matchers: m({ priority: 'P2' }),
      endsAt: h.clock.now() + HOUR,
      owner: 'a',
      reason: 'r',
    });
    expect(summarize(h.tick())).toEqual(['firing ApiLatencyHigh P2 held:silenced']);
    // At P1 the silence no longer matches: the rise is told unheld.
    expect(summarize(h.run('api', { latency_p95_seconds: 0.6 }))).toEqual(['priority-changed ApiLatencyHigh P2→P1']);
  });
});

describe('silences and the alerts a source may send', () => {
  // No rule of the config pages P0 here: only what Prometheus may send can.
  const withSource = (source: Record<string, unknown>) => {
    const h = new RulesHarness({
      probes: [probe('api'), probe('docker')],
      rules: config.rules.slice(1),
      sources: [{ name: 'prometheus', ...source }],
      evaluation: { silence_max: { P1: '4h' } },
    });
    harnesses.push(h);
    return h;
  };
  // As the Alertmanager API creates them: an alertname no rule has may be named (a source may send it).
  const create = (h: RulesHarness, matchers: Record<string, string>, length: number) =>
    h.evaluator.api.createSilence({
      matchers: m(matchers),
      endsAt: h.clock.now() + length,
      owner: 'ana',
      reason: 'db migration',
      anyAlertname: true,
    });

  it('caps a silence on an alert name a page_p0 source has not sent yet as the P0 it may become', () => {
    const h = withSource({ page_p0: true });
    const err = refusal(() => create(h, { alertname: 'DatabaseDown' }, 2 * HOUR));
    expect(err.code).toBe('SILENCE_TOO_LONG');
    expect(err.message).toBe(
      'a silence of 2h is too long: it could match an alert from source "prometheus" at P0 (a source may send an ' +
        "alert of any name, a rule's of the config too, not only those it has sent), and P0 silences may last at " +
        'most 1h (evaluation.silence_max). Make it 1h or shorter, or narrow the matchers so they exclude it: add ' +
        'priority!="P0" (so a P0 alert still pages)',
    );
    // Past P1's 4h as well: the priority matcher offered excludes both, so it is not refused a second time.
    expect(refusal(() => create(h, { alertname: 'DatabaseDown' }, 24 * HOUR)).message).toContain(
      'add priority!~"P0|P1" (so a P0 or P1 alert still pages)',
    );
    expect(create(h, { alertname: 'DatabaseDown', priority: '!~P0|P1' }, 24 * HOUR).state).toBe('active');
    expect(create(h, { alertname: 'DatabaseDown' }, HOUR).state).toBe('active');
  });

  it.each([
    [{ instance: 'db1' }, 24 * HOUR, 'from source "prometheus" at P0'],
    [{ alertname: '=~Database.*' }, 2 * HOUR, 'from source "prometheus" at P0'],
    [{ alertname: '!=ApiLatencyHigh', instance: 'db1' }, 2 * HOUR, 'from source "prometheus" at P0'],
    [{ alertname: '=~ApiLatencyHigh|DatabaseDown' }, 2 * HOUR, 'from source "prometheus" at P0'],
    // A rule's name too: Prometheus may send an alert of that name, which the silence would hold as well.
    [{ alertname: 'ApiLatencyHigh' }, 2 * HOUR, 'from source "prometheus" at P0'],
    [{ alertname: '=~ApiLatencyHigh|ContainerMemoryHigh' }, 2 * HOUR, 'from source "prometheus" at P0'],
    [{ alertname: 'ApiLatencyHigh', priority: '!=P0' }, 5 * HOUR, 'could match ApiLatencyHigh at P1'],
    [{ alertname: 'DatabaseDown', priority: 'P1' }, 5 * HOUR, 'from source "prometheus" at P1'],
  ])('refuses %j for %d ms: a source may send it', (matchers, length, message) => {
    const h = withSource({ page_p0: true });
    const err = refusal(() => create(h, matchers, length));
    expect(err.code).toBe('SILENCE_TOO_LONG');
    expect(err.message).toContain(message);
  });

  it.each([
    // Priorities the caps do not reach, whatever the name.
    [{ alertname: 'ApiLatencyHigh', priority: '!=P0' }, 4 * HOUR],
    [{ alertname: 'ContainerMemoryHigh', priority: '!~P0|P1' }, 48 * HOUR],
    [{ alertname: '=~ApiLatencyHigh|ContainerMemoryHigh', priority: '=~P2|P3' }, 48 * HOUR],
    [{ alertname: 'DatabaseDown', priority: '=~P2|P3' }, 48 * HOUR],
    [{ instance: 'db1', priority: '!~P0|P1' }, 48 * HOUR],
  ])('allows %j for %d ms', (matchers, length) => {
    expect(create(withSource({ page_p0: true }), matchers, length).state).toBe('active');
  });

  it('caps at the priorities the source can map to: P0 is P1 without page_p0, and none above what it maps', () => {
    const p1 = withSource({});
    expect(create(p1, { alertname: 'DatabaseDown' }, 4 * HOUR).state).toBe('active');
    expect(refusal(() => create(p1, { alertname: 'DatabaseDown' }, 5 * HOUR)).message).toContain(
      'it could match an alert from source "prometheus" at P1 (a source may send an alert of any name, a rule\'s of ' +
        'the config too, not only those it has sent), and P1 silences may last at most 4h',
    );
    const low = withSource({ page_p0: true, priority_labels: { severity: { warning: 'P2' } }, default_priority: 'P3' });
    expect(create(low, { alertname: 'DatabaseDown' }, 48 * HOUR).state).toBe('active');
  });

  it("holds a source's P0 alert named like a rule no longer than P0's cap", async () => {
    // ApiLatencyHigh is a P1/P2 rule here; Prometheus has an alert of the same name, which its labels map to P0.
    const h = withSource({ page_p0: true, priority_labels: { severity: { critical: 'P0' } } });
    const p0 = () => {
      const now = h.clock.now();
      const labels = { alertname: 'ApiLatencyHigh', severity: 'critical', instance: 'api1' };
      return { labels, annotations: {}, startsAt: now - 60_000, endsAt: now + 10 * 60_000 };
    };
    // The rule's cap (P1: 4h) is not the silence's: what it holds includes Prometheus' P0 of that name.
    expect(refusal(() => create(h, { alertname: 'ApiLatencyHigh' }, 2 * HOUR)).message).toContain(
      'it could match an alert from source "prometheus" at P0',
    );
    // Excluding P0 keeps the rule's own cap, and Prometheus' P0 of that name pages at once.
    create(h, { alertname: 'ApiLatencyHigh', priority: '!=P0' }, 2 * HOUR);
    expect(summarize(h.run('api', { latency_p95_seconds: 0.3 }))).toEqual(['firing ApiLatencyHigh P2 held:silenced']);
    expect(summarize(h.receive('prometheus', [p0()]))).toEqual(['firing ApiLatencyHigh P0']);
    // A silence of the name alone, within P0's cap, holds Prometheus' P0 for that hour at most.
    const other = withSource({ page_p0: true, priority_labels: { severity: { critical: 'P0' } } });
    create(other, { alertname: 'ApiLatencyHigh' }, HOUR);
    const now = other.clock.now();
    const sent = { ...p0(), startsAt: now - 60_000, endsAt: now + 2 * HOUR };
    expect(summarize(other.receive('prometheus', [sent]))).toEqual(['firing ApiLatencyHigh P0 held:silenced']);
    await other.clock.advance(HOUR);
    expect(summarize(other.tick())).toEqual(['firing ApiLatencyHigh P0']);
  });

  it('caps a forced silence on a name no rule has, through /api/v1 too', () => {
    const h = withSource({ page_p0: true });
    const forced = (length: number) =>
      h.evaluator.api.createSilence({
        matchers: m({ alertname: 'DatabaseDown' }),
        endsAt: h.clock.now() + length,
        owner: 'ana',
        reason: 'r',
        force: true,
      });
    expect(refusal(() => forced(24 * HOUR)).message).toContain('from source "prometheus" at P0');
    expect(forced(HOUR).state).toBe('active');
  });
});

describe('the length refusal', () => {
  it('cuts an alert name a source sent by its width in JSON, however many control characters it holds', () => {
    // Review r13u, D5: a 1,024-character name of control characters, written twice, took 12 KB of the answer.
    const what: Limited = { code: 'SILENCE_TOO_LONG', noun: 'silence', key: 'k', shorten: (max) => `Make it ${max}` };
    const kind = { alertname: '\u0001'.repeat(1_024), labels: {}, open: 'any' as const, priorities: ['P0' as const] };
    let message = '';
    try {
      checkLength(what, [], 2 * HOUR, [kind], { P0: HOUR });
    } catch (err) {
      message = (err as AlertingError).message;
    }
    expect(message).toMatch(/it could match .*… \(1024 characters\) at P0/);
    expect(JSON.stringify(message).length).toBeLessThan(1_000);
  });
});
