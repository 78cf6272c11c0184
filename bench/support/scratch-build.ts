// The daemon as the production image runs it, for the benches that measure a `centinela run` process: src/ built
// (no tsx loader in the process), beside bin/, package.json and node_modules.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * The environment that keeps bin/centinela.js from restarting `run` with its own node flags and glibc tunables, so a
 * bench measures exactly the --node-flags and --env it was given (give the shipped ones to measure the shipped run).
 */
export const NODE_AS_GIVEN = { CENTINELA_NODE_TUNING: 'off' };

/** How dist/ is made: esbuild's minified bundle as the image ships it (scripts/bundle.ts), not minified, or tsc's file per module. */
export const BUILDS = ['bundle-min', 'bundle', 'tsc'] as const;
export type Build = (typeof BUILDS)[number];

/** `text` (a bench's --build) as a Build, or an error naming the choices. */
export function buildOf(text: string): Build {
  const build = BUILDS.find((b) => b === text);
  if (!build) throw new Error(`--build: "${text}" is not one of ${BUILDS.join(', ')}`);
  return build;
}

/**
 * Builds src/ into a scratch folder .centinela/NAME laid out like the image (/app/{bin,dist,package.json,node_modules});
 * a bench that runs long names its own, so that editing and rebuilding meanwhile does not change what it measures.
 */
export function buildScratch(name = 'bench-build', build: Build = 'bundle-min'): string {
  const root = resolve('.centinela', name);
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  const dist = join(root, 'dist');
  if (build === 'tsc') {
    execFileSync('./node_modules/.bin/tsc', ['-p', 'tsconfig.build.json', '--outDir', dist], { stdio: 'inherit' });
  } else {
    const minify = build === 'bundle-min' ? ['--minify'] : [];
    execFileSync('./node_modules/.bin/tsx', ['scripts/bundle.ts', '--outdir', dist, ...minify], { stdio: 'inherit' });
  }
  // bin/centinela.js gives `run` this folder (--icu-data-dir) when it restarts it with the shipped node flags.
  execFileSync('./node_modules/.bin/tsx', ['scripts/icu-data.ts', '--outdir', join(dist, 'icu')], { stdio: 'inherit' });
  cpSync('bin', join(root, 'bin'), { recursive: true });
  cpSync('package.json', join(root, 'package.json'));
  symlinkSync(resolve('node_modules'), join(root, 'node_modules'));
  return root;
}
