/**
 * Scratch folders for tests (data folders of embedded databases, files to import): in RAM
 * (`/dev/shm`) where the system has one, else in the system temp folder. PGlite on a folder in RAM
 * opens, writes and closes about twice as fast as on disk, and a disk shared with other work makes
 * the difference larger. Remove them after use (`leftovers.defer(() => rm(dir, …))`).
 */
import { accessSync, constants } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function inRam(): string | null {
  try {
    accessSync('/dev/shm', constants.W_OK);
    return '/dev/shm';
  } catch {
    return null;
  }
}

/** Where scratch folders are made. */
export const SCRATCH_ROOT = inRam() ?? tmpdir();

/** A new empty folder `<SCRATCH_ROOT>/<prefix>-XXXXXX`. */
export function scratchFolder(prefix: string): Promise<string> {
  return mkdtemp(join(SCRATCH_ROOT, `${prefix}-`));
}
