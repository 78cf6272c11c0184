import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runTests } from '../../src/cli/test.js';
import { expandValues, parseSeries, type RuleTestFile } from '../../src/engine/rule-tests.js';
import { centinela, configFolder } from '../support/cli.js';
import { SHIPPED_ENV } from '../support/shipped-env.js';

const shipped = readdirSync('config/tests').map((f) => join('config/tests', f));

async function run(files: string[], dir = 'config') {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runTests({ files, dir, env: SHIPPED_ENV, out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** A throwaway copy of the shipped configuration, without its tests folder; the caller removes it. */
function shippedConfigCopy(): string {
  return configFolder(readFileSync('config/alerts.yaml', 'utf8'), readFileSync('config/escalation.yaml', 'utf8'));
}

/** ApiDown fires after three failed checks: a test expecting nothing is wrong. */
const WRONG_API_DOWN = `
tests:
  - input_series:
      - series: api_health.up
        values: 0x5
    alert_tests:
      - eval_time: 5m
        alertname: ApiDown
        exp_alerts: []
`;

function tempTest(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'centinela-test-')), 'case.yaml');
  writeFileSync(path, text);
  return path;
}

describe('centinela test', () => {
  it('passes the shipped rule tests against the shipped configuration', async () => {
    const r = await run(shipped);
    expect(r.err).toBe('');
    expect(r.out).toMatch(new RegExp(`${shipped.length} files, \\d+ checks: \\d+ passed, 0 failed`));
    expect(r.code).toBe(0);
  });

  it('has a test for every shipped rule, expecting it to fire', () => {
    const rules = (parse(readFileSync('config/alerts.yaml', 'utf8')) as { rules: { name: string }[] }).rules;
    const tested = new Set(
      shipped.flatMap((file) =>
        (parse(readFileSync(file, 'utf8')) as RuleTestFile).tests.flatMap((g) =>
          g.alert_tests.filter((t) => t.exp_alerts.length > 0).map((t) => t.alertname),
        ),
      ),
    );
    expect(rules.map((r) => r.name).filter((name) => !tested.has(name))).toEqual([]);
  });

  it('fails a deliberately wrong expectation with a readable diff', async () => {
    const file = tempTest(`
tests:
  - name: latency in the critical band
    interval: 1m
    input_series:
      - series: api_metrics.latency_p95_seconds
        values: 0.7x6
    alert_tests:
      - eval_time: 6m
        alertname: ApiLatencyHigh
        exp_alerts:
          - priority: P2   # wrong: 0.7 s is over the P1 threshold
      - eval_time: 6m
        alertname: ApiErrorRateHigh
        exp_alerts: []
`);
    const r = await run([file]);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`FAIL ${file}`);
    expect(r.out).toContain(
      [
        '  tests[0] "latency in the critical band" alert_tests[0] at 6m, ApiLatencyHigh:',
        '    (- expected, + got)',
        '    - ApiLatencyHigh{} P2 firing',
        '    + ApiLatencyHigh{} P1 firing',
      ].join('\n'),
    );
    expect(r.out).not.toContain('alert_tests[1]');
    expect(r.out).toContain('1 file, 2 checks: 1 passed, 1 failed');
  });

  it('shows a missing alert, an unexpected one, and the labels and holds that differ', async () => {
    const file = tempTest(`
tests:
  - interval: 30s
    input_series:
      - series: containers.running{container="grupo_gad_api",service="api"}
        values: 0x4
      - series: containers.healthy{container="grupo_gad_api",service="api"}
        values: 0x4
    alert_tests:
      - eval_time: 2m
        alertname: ContainerUnhealthy
        exp_alerts:
          - labels: { container: grupo_gad_db, service: db }
            priority: P1
            suppressed: []
`);
    const r = await run([file]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('    - ContainerUnhealthy{container="grupo_gad_db", service="db"} P1 firing held:none');
    expect(r.out).toContain(
      '    + ContainerUnhealthy{container="grupo_gad_api", service="api"} P1 firing held:inhibited',
    );
  });

  it('compares a series label named like a property of Object.prototype as the label it is', async () => {
    // The rule's own labels are left out of the comparison; `constructor` is not one of them, only inherited.
    const file = tempTest(`
tests:
  - input_series:
      - series: containers.cpu_percent{container="grupo_gad_api", constructor="c", toString="t"}
        values: 95x5
    alert_tests:
      - eval_time: 5m
        alertname: ContainerCpuHigh
        exp_alerts:
          - labels: { container: grupo_gad_api, constructor: c, toString: t }
            priority: P1
`);
    const r = await run([file]);
    expect(r.out).toContain('1 file, 1 checks: 1 passed, 0 failed');
    expect(r.code).toBe(0);
  });

  it('reports every problem of an invalid file with where it is, and runs nothing', async () => {
    const mistakes = `
tests:
  - interval: 1m
    input_series:
      - series: api_metrics.latency_p95_seconds
        values: 0.1 fast 0.2
      - series: nope.up
        values: "1"
    probe_failures:
      - probe: api_metrics
        steps: 3-x
        down: refused
    alert_tests:
      - eval_time: 1m
        alertname: ApiLatncyHigh
`;
    // A file the schema refuses is reported at that first stage.
    const file = tempTest(`${mistakes}      - eval_time: soon\n        alertname: ApiDown\n`);
    const r = await run([file]);
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      `ERROR ${file}:\n  tests[0].alert_tests[1].eval_time: "soon" is not a duration. Write 90s, 5m or 1h30m`,
    );
    const second = tempTest(mistakes);
    const r2 = await run([second]);
    expect(r2.err.split('\n')).toEqual([
      `ERROR ${second}:`,
      '  tests[0].input_series[0]: "fast" is not a value. Write a number, _ (no data), a+bxn, a-bxn, axn or _xn',
      '  tests[0].input_series[1].series: no probe "nope" in alerts.yaml',
      '  tests[0].probe_failures[0].steps: "3-x" is not a step. Write step numbers like "3 4 7-9" (0 is the first run)',
      '  tests[0].alert_tests[0].alertname: no rule "ApiLatncyHigh" in alerts.yaml',
    ]);
    expect(r2.out).toContain('0 checks: 0 passed, 0 failed, 1 file invalid');
  });

  it('without files, runs every *.yaml in the tests folder of the configuration folder', async () => {
    const r = await run([]);
    expect(r.err).toBe('');
    for (const file of shipped.filter((f) => f.endsWith('.yaml'))) expect(r.out).toContain(`PASS ${file} (`);
    expect(r.out).toMatch(new RegExp(`\n${shipped.length} files, \\d+ checks: \\d+ passed, 0 failed$`));
    expect(r.code).toBe(0);
  });

  it('without files and with no tests folder or no *.yaml in it, exits 1 saying where it looked', async () => {
    const dir = shippedConfigCopy();
    const tests = join(dir, 'tests');
    const advice = `Give files (centinela test FILE...) or put them in ${tests}.`;
    try {
      const none = await run([], dir);
      expect(none.err).toBe(`No test files: none given, and ${tests} does not exist. ${advice}`);
      expect(none.code).toBe(1);
      mkdirSync(tests);
      writeFileSync(join(tests, 'notes.txt'), 'not a test');
      const empty = await run([], dir);
      expect(empty.err).toBe(`No test files: none given, and ${tests} holds no *.yaml. ${advice}`);
      expect(empty.code).toBe(1);
      expect(none.out + empty.out).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs the *.yaml of a folder given among the files, and says so when it holds none', async () => {
    const r = await run(['config/tests']);
    expect(r.err).toBe('');
    for (const file of shipped) expect(r.out).toContain(`PASS ${file} (`);
    expect(r.code).toBe(0);
    const empty = mkdtempSync(join(tmpdir(), 'centinela-test-'));
    try {
      const none = await run([shipped[0] as string, empty]);
      expect(none.err).toBe(`No test files: ${empty} holds no *.yaml. Give test files or folders that hold *.yaml.`);
      expect(none.out).toBe('');
      expect(none.code).toBe(1);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('exits 1 for a file it cannot read', async () => {
    const r = await run(['config/tests/does-not-exist.yaml']);
    expect(r.code).toBe(1);
    expect(r.err).toBe('ERROR config/tests/does-not-exist.yaml: cannot be read (ENOENT)');
  });

  it('prints every file as JSON with --json: passed, failed with its diff, invalid, unreadable', async () => {
    const wrong = tempTest(WRONG_API_DOWN);
    const invalid = tempTest(
      'tests:\n  - input_series: []\n    alert_tests:\n      - eval_time: soon\n        alertname: ApiDown\n',
    );
    const missing = 'config/tests/does-not-exist.yaml';
    const out: string[] = [];
    const err: string[] = [];
    const code = await runTests({
      files: [shipped[0] ?? '', wrong, invalid, missing],
      dir: 'config',
      env: SHIPPED_ENV,
      json: true,
      out: (t) => out.push(t),
      err: (t) => err.push(t),
    });
    expect(code).toBe(1);
    expect(err).toEqual([]);
    expect(out).toHaveLength(1);
    const report = JSON.parse(out[0] ?? '');
    expect(report.files).toEqual([
      { file: shipped[0], ok: true, checks: expect.any(Number), failures: [] },
      {
        file: wrong,
        ok: false,
        checks: 1,
        failures: [
          { where: expect.stringContaining('ApiDown'), diff: expect.arrayContaining(['+ ApiDown{} P0 firing']) },
        ],
      },
      { file: invalid, ok: false, problems: [expect.stringContaining('"soon" is not a duration')] },
      { file: missing, ok: false, unreadable: 'ENOENT' },
    ]);
    expect(report).toMatchObject({ failed: 1, invalid: 2 });
    expect(report.checks).toBe(report.files[0].checks + 1);
  });

  it('is the `test` command of the centinela binary, with its exit status', async () => {
    const ok = await centinela(['test', ...shipped], SHIPPED_ENV);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('0 failed');
    const wrong = tempTest(WRONG_API_DOWN);
    const failed = await centinela(['test', wrong], SHIPPED_ENV);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain('+ ApiDown{} P0 firing');
  });

  it('`centinela test` alone runs ./config/tests, or the tests of CENTINELA_CONFIG', async () => {
    const plain = await centinela(['test'], SHIPPED_ENV);
    expect(plain.stdout).toContain(`${shipped.length} files,`);
    expect(plain.stdout).toContain(' 0 failed');
    expect(plain.code).toBe(0);
    const dir = shippedConfigCopy();
    try {
      mkdirSync(join(dir, 'tests'));
      writeFileSync(join(dir, 'tests', 'wrong.yaml'), WRONG_API_DOWN);
      const fromEnv = await centinela(['test'], { ...SHIPPED_ENV, CENTINELA_CONFIG: dir });
      expect(fromEnv.stdout).toContain(`FAIL ${join(dir, 'tests', 'wrong.yaml')}`);
      expect(fromEnv.stdout).toContain('1 file, 1 checks: 0 passed, 1 failed');
      expect(fromEnv.code).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const help = await centinela(['test', '--help']);
    expect(help.stdout).toContain('Without files, runs <configuration folder>/tests/*.yaml');
  });
});

describe('series notation', () => {
  it.each([
    ['1 2 3', [1, 2, 3]],
    ['0.1 0.1 0.6x3 _ 0.1', [0.1, 0.1, 0.6, 0.6, 0.6, 0.6, undefined, 0.1]],
    ['1+2x3', [1, 3, 5, 7]],
    ['10-2.5x2', [10, 7.5, 5]],
    ['0.1+0.1x2', [0.1, 0.2, 0.3]],
    ['_x3 1', [undefined, undefined, undefined, 1]],
    ['-1 1e3', [-1, 1000]],
  ])('%s', (text, expected) => {
    expect(expandValues(text)).toEqual(expected);
  });

  it('parses a series name with labels', () => {
    expect(parseSeries('containers.cpu_percent{container="grupo_gad_api", path="a\\"b"}')).toEqual({
      name: 'containers.cpu_percent',
      labels: { container: 'grupo_gad_api', path: 'a"b' },
    });
    // Every label is an own property, whatever its name: none goes through Object.prototype's __proto__ setter.
    const odd = parseSeries('a.b{__proto__="x", constructor="y"}').labels;
    expect(Object.keys(odd)).toEqual(['__proto__', 'constructor']);
    expect(Object.getPrototypeOf(odd)).toBe(Object.prototype);
    expect(() => parseSeries('cpu_percent')).toThrow('is not a series');
    expect(() => parseSeries('a.b{x=1}')).toThrow('labels are written');
  });
});
