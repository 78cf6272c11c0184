import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // CLI tests start `centinela` (tsx) several times per test: 15-25 s alone, over 30 s on a loaded 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Files talk to shared PostgreSQL, Redis and a Docker engine; two workers match the machine's two cores.
    maxWorkers: 2,
  },
});
