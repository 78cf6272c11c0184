// `centinela verify --pre-deploy --app-env .env.production`: the runbook's pre-deployment checklist, items 5 and 6 —
// no `CAMBIAR_POR` placeholder left in the application's env file, the variables the runbook calls critical set, and
// a recent backup in the folders the disk probe watches. Values from the env file are never printed: only their keys
// and lines.
import { readFile } from 'node:fs/promises';
import type { Clock } from '../clock.js';
import { formatDuration, parseDuration } from '../duration.js';
import { backupsMatching } from '../probes/disk.js';
import { type CommandRun, loadOrReport } from './config-command.js';
import { type EnvFile, lookup, parseEnvFile } from './env-file.js';

/** What the runbook's "Variables de Entorno Críticas" lists, with what each is. */
export const CRITICAL_VARIABLES: Record<string, string> = {
  SECRET_KEY: 'the HS256 JWT signing key',
  POSTGRES_PASSWORD: 'the database password',
  REDIS_PASSWORD: 'the Redis password',
  ENVIRONMENT: 'production',
  DATABASE_URL: 'postgresql+asyncpg://…',
  REDIS_URL: 'redis://…',
};

/** The runbook's placeholder for a value still to be set. */
const PLACEHOLDER = 'CAMBIAR_POR';

/** By default a backup is fresh within the weekly cadence plus a day (BackupTooOld's P2 threshold). */
export const DEFAULT_BACKUP_MAX_AGE = '8d';

/** One line of the checklist. */
export interface PreDeployCheck {
  ok: boolean;
  text: string;
}

/** The env file's checks: it parses, holds no placeholder, and has every critical variable set as the runbook says. */
export function checkEnvFile(file: EnvFile, name: string, expectedEnvironment: string): PreDeployCheck[] {
  const at = (line: number) => `${name}:${line}`;
  const placeholders = file.entries.filter((e) => e.value.includes(PLACEHOLDER));
  const checks: PreDeployCheck[] = [
    ...file.problems.map((p) => ({ ok: false, text: `${at(p.line)}: ${p.message}` })),
    ...placeholders.map((e) => ({
      ok: false,
      text: `${at(e.line)}: ${e.key} still holds a ${PLACEHOLDER} placeholder. Set its real value`,
    })),
  ];
  if (placeholders.length === 0) checks.push({ ok: true, text: `${name}: no ${PLACEHOLDER} placeholder` });
  for (const [key, what] of Object.entries(CRITICAL_VARIABLES)) {
    const e = lookup(file, key);
    if (!e) {
      checks.push({ ok: false, text: `${name}: ${key} is not set. The runbook calls it critical (${what})` });
    } else if (e.value.trim() === '') {
      checks.push({ ok: false, text: `${at(e.line)}: ${key} is empty. Set ${what}` });
    } else if (key === 'SECRET_KEY' && !/^[0-9a-fA-F]{64}$/.test(e.value)) {
      checks.push({
        ok: false,
        text: `${at(e.line)}: SECRET_KEY is not 64 hexadecimal characters (${what}). Make one with openssl rand -hex 32`,
      });
    } else if (key === 'ENVIRONMENT' && e.value !== expectedEnvironment) {
      checks.push({
        ok: false,
        text: `${at(e.line)}: ENVIRONMENT is not the one the health check expects (API_ENVIRONMENT, default production)`,
      });
    } else {
      checks.push({ ok: true, text: `${key} is set` });
    }
  }
  return checks;
}

/**
 * Runs the checklist, prints it (with `json`, as `{ ok, failed, checks: [{ ok, text }] }`), and resolves to the exit
 * status: 0 when every check passed.
 */
export async function preDeploy(
  run: CommandRun & { appEnv: string; clock: Clock; backupMaxAge?: string; signal?: AbortSignal; json?: boolean },
): Promise<number> {
  const text = await readFile(run.appEnv, 'utf8').catch((err: NodeJS.ErrnoException) => err);
  const envChecks =
    typeof text === 'string'
      ? checkEnvFile(parseEnvFile(text), run.appEnv, run.env.API_ENVIRONMENT || 'production')
      : [{ ok: false, text: `${run.appEnv}: cannot be read (${text.code ?? text.message})` }];
  const checks = [...envChecks, ...(await checkBackups(run))];
  const failed = checks.filter((c) => !c.ok).length;
  if (run.json) {
    run.out(JSON.stringify({ ok: failed === 0, failed, checks }, null, 2));
    return failed === 0 ? 0 : 1;
  }
  run.out(
    [
      ...checks.map((c) => `${c.ok ? '✅' : '🚨'} ${c.text}`),
      '',
      failed === 0
        ? 'PASSED: ready to deploy'
        : `FAILED: ${failed} ${failed === 1 ? 'check' : 'checks'} to fix before deploying`,
    ].join('\n'),
  );
  return failed === 0 ? 0 : 1;
}

/** A backup younger than the limit in at least one of the disk probes' backup globs (each shown). */
async function checkBackups(
  run: CommandRun & { clock: Clock; backupMaxAge?: string; signal?: AbortSignal },
): Promise<PreDeployCheck[]> {
  const maxAge = parseDuration(run.backupMaxAge ?? DEFAULT_BACKUP_MAX_AGE);
  if (maxAge === undefined) {
    return [{ ok: false, text: `--backup-max-age: "${run.backupMaxAge}" is not a duration. Write e.g. 8d or 36h` }];
  }
  const config = await loadOrReport(run);
  if (!config)
    return [{ ok: false, text: 'backups: the configuration has problems (above), so no backup was looked at' }];
  const globs = config.alerts.probes.flatMap((p) => (p.kind === 'disk' ? p.backups : []));
  if (globs.length === 0) {
    return [{ ok: false, text: 'backups: no disk probe in alerts.yaml has `backups`, so none can be looked at' }];
  }
  const signal = run.signal ?? new AbortController().signal;
  const checks: PreDeployCheck[] = [];
  let fresh = false;
  for (const b of globs) {
    const label = b.name ?? b.glob;
    try {
      const [newest] = await backupsMatching(b.glob, signal, b.exclude);
      if (!newest) {
        checks.push({ ok: true, text: `backup ${label}: no file (another backup may be the fresh one)` });
        continue;
      }
      const age = run.clock.now() - newest.mtime;
      fresh ||= age <= maxAge;
      checks.push({
        ok: true,
        text: `backup ${label}: newest ${newest.path}, ${formatDuration(Math.max(0, Math.round(age / 60_000) * 60_000))} old`,
      });
    } catch (err) {
      checks.push({ ok: false, text: `backup ${label}: ${(err as Error).message}` });
    }
  }
  checks.push(
    fresh
      ? { ok: true, text: `a backup younger than ${formatDuration(maxAge)} is present` }
      : {
          ok: false,
          text: `no backup younger than ${formatDuration(maxAge)}: run ./scripts/backup_production.sh first`,
        },
  );
  return checks;
}
