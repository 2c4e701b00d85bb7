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
    // A worker runs its files on one module graph instead of importing the app's dependencies again
    // for every file: about a quarter less CPU here. So a file must restore whatever global it
    // changes (test/README.md, "Workers").
    isolate: false,
  },
});
