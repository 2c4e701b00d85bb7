/**
 * Vitest global setup: makes sure the migrated PGlite image exists (test/helpers/db-image.ts) and
 * hands its path to the test files (`inject('pgliteImage')`).
 */
import type { TestProject } from 'vitest/node';
import { ensureMigratedImage } from './helpers/db-image.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Path of the migrated PGlite data-folder image. */
    pgliteImage: string;
  }
}

export default async function setup(project: TestProject): Promise<void> {
  project.provide('pgliteImage', await ensureMigratedImage());
}
