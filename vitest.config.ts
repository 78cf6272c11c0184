import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Files talk to shared PostgreSQL, Redis and a Docker engine; two workers match the machine's two cores.
    maxWorkers: 2,
  },
});
