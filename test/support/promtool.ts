// Prometheus' own linter on an exposition: `promtool check metrics` (Debian's prometheus package, installed by
// scripts/test-setup.sh).
import { spawnSync } from 'node:child_process';

/** Runs `promtool check metrics` on the exposition: exit 1 is a parse error, 3 lint problems (listed). */
export function promtool(body: string): { status: number | null; problems: string[] } {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: body, encoding: 'utf8' });
  if (r.error) throw new Error(`promtool is needed (apt-get install -y prometheus): ${r.error.message}`);
  return { status: r.status, problems: `${r.stdout}${r.stderr}`.split('\n').filter((line) => line !== '') };
}
