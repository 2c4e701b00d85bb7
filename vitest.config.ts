import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Builds the migrated PGlite image the test databases start from (test/README.md).
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Worker threads start faster than forked processes, and measured faster here; one per core
    // (vitest's default leaves one core idle, which on two cores halves the suite's speed).
    pool: 'threads',
    maxWorkers: availableParallelism(),
  },
});
