#!/usr/bin/env node
// Entry for the `centinela` command: the built dist/ when present (production image), else the TypeScript sources through tsx.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// `centinela run` is a small daemon that idles between probe runs: node's defaults suit a busy server instead. So
// `run` replaces this process (same PID, same stdio: tini and signals see no difference) with node started with the
// flags and glibc tunables below, measured in docs/deploy.md "Memory and CPU" (about 30 MiB less RSS):
//   --max-semi-space-size=1   a 1 MiB young generation instead of up to 16 MiB;
//   --optimize-for-size       V8 grows its heap less eagerly and favours memory over speed;
//   --no-opt --no-maglev --no-sparkplug   no JIT tiers: the daemon's JavaScript is a thin layer over I/O, and running
//                             it from bytecode costs no more CPU than compiling it (unlike --jitless or --lite-mode,
//                             WebAssembly stays: undici's HTTP parser needs it);
//   --no-wasm-dynamic-tiering --no-wasm-tier-up   that parser (llhttp) stays in Liftoff's baseline code: V8 recompiled
//                             its hot function with its optimizing compiler a few seconds after the start, which took
//                             20 MiB for a tenth of a second, the whole of the daemon's peak RSS;
//   MALLOC_ARENA_MAX=2, MALLOC_TRIM_THRESHOLD_=65536, MALLOC_MMAP_THRESHOLD_=32768   glibc gives back what parsing,
//                             compiling and TLS borrowed instead of keeping it in its heap and per-thread arenas;
//   --icu-data-dir=dist/icu/<node's version>   where the build wrote it (scripts/icu-data.ts, for this very node):
//                             ICU's data for es and en only, so the first Intl.DateTimeFormat does not read every
//                             locale's data out of node's binary (4 MiB less).
// Flags given to node itself come after these and win (`node --opt bin/centinela.js run`), the environment's own
// MALLOC_* win over these, and CENTINELA_NODE_TUNING=off runs node as it was started.
const RUN_FLAGS = [
  '--max-semi-space-size=1',
  '--optimize-for-size',
  '--no-opt',
  '--no-maglev',
  '--no-sparkplug',
  '--no-wasm-dynamic-tiering',
  '--no-wasm-tier-up',
];
const RUN_ENV = { MALLOC_ARENA_MAX: '2', MALLOC_TRIM_THRESHOLD_: '65536', MALLOC_MMAP_THRESHOLD_: '32768' };
const icuData = fileURLToPath(new URL(`../dist/icu/${process.version}`, import.meta.url));
if (process.argv[2] === 'run' && process.env.CENTINELA_NODE_TUNING !== 'off') {
  const icu = existsSync(icuData) ? [`--icu-data-dir=${icuData}`] : [];
  process.removeAllListeners('warning'); // process.execve is experimental in Node 24 and says so on stderr
  process.execve(
    process.execPath,
    [
      process.execPath,
      ...RUN_FLAGS,
      ...icu,
      ...process.execArgv,
      fileURLToPath(import.meta.url),
      ...process.argv.slice(2),
    ],
    { ...RUN_ENV, ...process.env, CENTINELA_NODE_TUNING: 'off' },
  );
}

const built = new URL('../dist/main.js', import.meta.url);
if (existsSync(built)) {
  await import(built.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../src/main.ts', import.meta.url).href);
}
