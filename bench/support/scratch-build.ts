// The daemon as the production image runs it, for the benches that measure a `centinela run` process: src/ built
// with tsc (no tsx loader in the process), beside bin/, package.json and node_modules.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * Builds src/ with tsc into a scratch folder .centinela/NAME laid out like the image
 * (/app/{bin,dist,package.json,node_modules}); a bench that runs long names its own, so that editing and rebuilding
 * meanwhile does not change what it measures.
 */
export function buildScratch(name = 'bench-build'): string {
  const root = resolve('.centinela', name);
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  execFileSync('./node_modules/.bin/tsc', ['-p', 'tsconfig.build.json', '--outDir', join(root, 'dist')], {
    stdio: 'inherit',
  });
  cpSync('bin', join(root, 'bin'), { recursive: true });
  cpSync('package.json', join(root, 'package.json'));
  symlinkSync(resolve('node_modules'), join(root, 'node_modules'));
  return root;
}
