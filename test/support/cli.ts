// The centinela binary as a shell runs it (bin/centinela.js on Node 24, with only PATH and the environment a test
// gives), and throwaway configuration folders for it.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { check } from '../../src/cli/check.js';

/** What a run printed, and its exit status. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `centinela ...args`; resolves with the exit status and output whatever the status. */
export function centinela(args: readonly string[], env: Record<string, string | undefined> = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    execFile(
      './node_modules/.bin/node',
      ['bin/centinela.js', ...args],
      { env: { PATH: process.env.PATH ?? '', ...env } },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number')
          reject(err); // it did not start, or a signal ended it
        else resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
      },
    );
  });
}

/** The escalation.yaml of the smallest valid configuration (test/fixtures/config/valid). */
export const VALID_ESCALATION = readFileSync('test/fixtures/config/valid/escalation.yaml', 'utf8');

/** A new temp folder with `alerts` as alerts.yaml and `escalation` as escalation.yaml; the caller removes it. */
export function configFolder(alerts: string, escalation: string = VALID_ESCALATION): string {
  const dir = mkdtempSync(join(tmpdir(), 'centinela-config-'));
  writeFileSync(join(dir, 'alerts.yaml'), alerts);
  writeFileSync(join(dir, 'escalation.yaml'), escalation);
  return dir;
}

/** What `check` prints for `dir` with `env`, run in this process: its exit status and its output, stdout and stderr together. */
export async function checked(dir: string, env: Record<string, string>): Promise<{ code: number; told: string }> {
  const lines: string[] = [];
  const code = await check({ dir, env, out: (t) => lines.push(t), err: (t) => lines.push(t) });
  return { code, told: lines.join('\n') };
}
