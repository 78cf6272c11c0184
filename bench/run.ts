// `npm run bench`: runs every benchmark in bench/ one after another, or the ones named, each in its own process.
//
//   npm run bench                          every bench/*.ts except this file, in name order
//   npm run bench -- scheduler             bench/scheduler.ts only (several names: each, in the order given)
//   npm run bench -- scheduler --seconds 20   arguments from the first one starting with "-" go to each bench
//
// Convention for a bench file (bench/<name>.ts):
// - It prints its own figures (a human-readable block; say what was measured and on what), and never asserts.
// - Either it does its work when imported (a script: reads process.argv like `npx tsx bench/<name>.ts ARGS`),
//   or it has a default export `async (args: string[]) => void` that this runner calls with the arguments.
// - It runs in a fresh process (CPU share and peak memory are its own) whose process.argv is
//   [node, bench/<name>.ts, ...ARGS], exactly as when it is run directly, so it can also fork itself.
// - A non-zero exit (or a throw) marks it failed; the runner goes on with the next and exits 1 at the end.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const self = fileURLToPath(import.meta.url);

if (process.argv[2] === '--child') {
  const file = process.argv[3] as string;
  const args = process.argv.slice(4);
  process.argv = [process.argv[0] as string, file, ...args];
  const mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
  if (typeof mod.default === 'function') await (mod.default as (args: string[]) => Promise<void>)(args);
} else {
  const argv = process.argv.slice(2);
  const firstFlag = argv.findIndex((a) => a.startsWith('-'));
  const names = firstFlag < 0 ? argv : argv.slice(0, firstFlag);
  const args = firstFlag < 0 ? [] : argv.slice(firstFlag);
  const available = readdirSync(here)
    .filter((f) => f.endsWith('.ts') && join(here, f) !== self)
    .map((f) => basename(f, '.ts'))
    .sort();
  const unknown = names.filter((n) => !available.includes(n));
  if (unknown.length > 0) {
    console.error(`no bench named ${unknown.join(', ')}. Available: ${available.join(', ')}`);
    process.exit(1);
  }
  const failed: string[] = [];
  for (const name of names.length > 0 ? names : available) {
    console.log(`\n=== bench/${name}.ts ${args.join(' ')}`.trimEnd());
    // The same Node and loader (tsx) as this process: execArgv carries tsx's hooks.
    const child = spawn(process.execPath, [...process.execArgv, self, '--child', join(here, `${name}.ts`), ...args], {
      stdio: 'inherit',
    });
    const code = await new Promise<number>((resolve) =>
      child.on('exit', (c, signal) => resolve(signal ? 1 : (c ?? 1))),
    );
    if (code !== 0) failed.push(name);
  }
  if (failed.length > 0) {
    console.error(`\nfailed: ${failed.join(', ')}`);
    process.exit(1);
  }
}
