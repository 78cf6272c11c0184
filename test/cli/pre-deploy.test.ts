// `centinela verify --pre-deploy`: the env file's placeholders and critical variables (named by file:line, values
// never printed) and a recent backup in the disk probe's folder (real files with set modification times).
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnvFile } from '../../src/cli/env-file.js';
import { checkEnvFile, preDeploy } from '../../src/cli/pre-deploy.js';
import { FakeClock } from '../../src/clock.js';
import { centinela, configFolder } from '../support/cli.js';

const GOOD = [
  `SECRET_KEY=${'ab12'.repeat(16)}`,
  'POSTGRES_PASSWORD=s3cret-db-pass',
  'REDIS_PASSWORD=s3cret-redis-pass',
  'ENVIRONMENT=production',
  'DATABASE_URL=postgresql+asyncpg://grupogad_user:s3cret-db-pass@db:5432/grupogad_prod',
  'REDIS_URL=redis://:s3cret-redis-pass@redis:6379/0',
].join('\n');

const failures = (text: string, expected = 'production') =>
  checkEnvFile(parseEnvFile(text), '.env.production', expected)
    .filter((c) => !c.ok)
    .map((c) => c.text);

describe('checkEnvFile', () => {
  it('passes the runbook example filled in', () => {
    expect(failures(GOOD)).toEqual([]);
  });

  it('names each placeholder by file:line and key, never its value', () => {
    const text = GOOD.replace('POSTGRES_PASSWORD=s3cret-db-pass', 'POSTGRES_PASSWORD=CAMBIAR_POR_PASSWORD_SEGURO');
    expect(failures(`${text}\nSMTP_PASSWORD="CAMBIAR_POR_la_clave"`)).toEqual([
      '.env.production:2: POSTGRES_PASSWORD still holds a CAMBIAR_POR placeholder. Set its real value',
      '.env.production:7: SMTP_PASSWORD still holds a CAMBIAR_POR placeholder. Set its real value',
    ]);
  });

  it.each([
    ['missing', GOOD.replace(/^REDIS_URL=.*$/m, ''), 'REDIS_URL is not set. The runbook calls it critical (redis://…)'],
    ['empty', GOOD.replace('REDIS_PASSWORD=s3cret-redis-pass', 'REDIS_PASSWORD='), ':3: REDIS_PASSWORD is empty'],
    ['a short SECRET_KEY', GOOD.replace(/^SECRET_KEY=.*$/m, 'SECRET_KEY=changeme'), ':1: SECRET_KEY is not 64 hex'],
    ['another environment', GOOD.replace('ENVIRONMENT=production', 'ENVIRONMENT=staging'), ':4: ENVIRONMENT is not'],
  ])('refuses a critical variable %s', (_, text, message) => {
    const found = failures(text);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(message);
    expect(found[0]).not.toMatch(/changeme|staging|s3cret/);
  });

  it('takes the expected environment from API_ENVIRONMENT', () => {
    expect(failures(GOOD.replace('ENVIRONMENT=production', 'ENVIRONMENT=staging'), 'staging')).toEqual([]);
  });
});

describe('preDeploy: env file and backups', () => {
  const DAY = 86_400_000;
  const now = Date.UTC(2026, 11, 4, 12);
  let dir: string;
  let config: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'centinela-predeploy-'));
    mkdirSync(join(dir, 'backups'));
    writeFileSync(join(dir, '.env.production'), GOOD);
    config = configFolder(
      [
        'probes:',
        '  - name: disk',
        '    kind: disk',
        '    every: 1m',
        '    backups:',
        `      - { glob: "${dir}/backups/*.sql.gz", exclude: "pre_deploy_*.sql.gz", name: weekly }`,
        `      - { glob: "${dir}/backups/pre_deploy_*.sql.gz", name: pre_deploy }`,
        'rules: []',
      ].join('\n'),
    );
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(config, { recursive: true, force: true });
  });

  const backup = (name: string, ageMs: number) => {
    const path = join(dir, 'backups', name);
    writeFileSync(path, 'x');
    utimesSync(path, (now - ageMs) / 1000, (now - ageMs) / 1000);
  };
  const check = async () => {
    const out: string[] = [];
    const status = await preDeploy({
      dir: config,
      env: {},
      out: (t) => out.push(t),
      err: (t) => out.push(t),
      appEnv: join(dir, '.env.production'),
      clock: new FakeClock(now),
    });
    return { status, text: out.join('\n') };
  };

  it('fails with no backup younger than 8 days; a pre-deploy dump is told apart from the weekly one', async () => {
    backup('weekly_20261120.sql.gz', 14 * DAY);
    backup('pre_deploy_20261201_143022.sql.gz', 3 * DAY);
    const { status, text } = await check();
    expect(text).toContain(`✅ backup weekly: newest ${dir}/backups/weekly_20261120.sql.gz, 14d old`);
    expect(text).toContain(`✅ backup pre_deploy: newest ${dir}/backups/pre_deploy_20261201_143022.sql.gz, 3d old`);
    expect(text).toContain('✅ a backup younger than 8d is present');
    expect(status).toBe(0);
    rmSync(join(dir, 'backups', 'pre_deploy_20261201_143022.sql.gz'));
    const stale = await check();
    expect(stale.text).toContain('🚨 no backup younger than 8d: run ./scripts/backup_production.sh first');
    expect(stale.text).toContain('FAILED: 1 check to fix before deploying');
    expect(stale.status).toBe(1);
  });

  it('through the binary: verify --pre-deploy with a missing env file says so and exits 1', async () => {
    // Written now: the binary runs on the system clock.
    writeFileSync(join(dir, 'backups', 'weekly_20261203.sql.gz'), 'x');
    const run = await centinela(['verify', '--pre-deploy', '--config', config, '--app-env', join(dir, 'nope.env')]);
    expect(run.stdout).toContain(`🚨 ${join(dir, 'nope.env')}: cannot be read (ENOENT)`);
    expect(run.stdout).toContain('✅ a backup younger than 8d is present');
    expect(run.code).toBe(1);
    const json = await centinela([
      ...['verify', '--pre-deploy', '--json', '--config', config, '--app-env', join(dir, 'nope.env')],
    ]);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout);
    expect(report).toMatchObject({ ok: false, failed: 1 });
    expect(report.checks).toContainEqual({ ok: false, text: `${join(dir, 'nope.env')}: cannot be read (ENOENT)` });
    expect(report.checks).toContainEqual({ ok: true, text: 'a backup younger than 8d is present' });
  });
});
