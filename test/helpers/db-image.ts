/**
 * The migrated embedded database image the test suite starts its PGlite databases from (see
 * `image` in src/store/database.ts): built once, by vitest's global setup (test/global-setup.ts),
 * and cached under `node_modules/.cache/session-data-service/`, keyed by a hash of the migrations
 * and of the PGlite and drizzle versions, so a run after a change of either builds a new one.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The project's migrations (src/store/database.ts's default). */
const MIGRATIONS = join(ROOT, 'migrations');

/** Where the images are cached. */
export const IMAGE_CACHE = join(ROOT, 'node_modules', '.cache', 'session-data-service');

async function filesUnder(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

/** A hash of what the image depends on: every migration file, PGlite's and drizzle's versions. */
export async function imageKey(migrationsFolder = MIGRATIONS): Promise<string> {
  const hash = createHash('sha256');
  for (const pkg of ['@electric-sql/pglite', 'drizzle-orm']) {
    const manifest = JSON.parse(await readFile(join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8'));
    hash.update(`${pkg}@${(manifest as { version: string }).version}\n`);
  }
  for (const file of await filesUnder(migrationsFolder)) {
    hash.update(`${relative(migrationsFolder, file)}\n`);
    hash.update(await readFile(file));
  }
  return hash.digest('hex').slice(0, 16);
}

/**
 * The path of the cached image of the current migrations, built first when missing (written under
 * a temporary name and renamed, so a concurrent run never reads half a file; older images removed).
 */
export async function ensureMigratedImage(): Promise<string> {
  const key = await imageKey();
  const path = join(IMAGE_CACHE, `pglite-${key}.tar`);
  if (
    await stat(path).then(
      (s) => s.size > 0,
      () => false,
    )
  )
    return path;
  await mkdir(IMAGE_CACHE, { recursive: true });
  // Imported here: the store (PGlite, drizzle, postgres.js) is only loaded when an image is built.
  const { buildMigratedImage } = await import('../../src/store/database.ts');
  const image = await buildMigratedImage(MIGRATIONS);
  const partial = `${path}.${process.pid}.tmp`;
  await writeFile(partial, new Uint8Array(await image.arrayBuffer()));
  await rename(partial, path);
  for (const name of await readdir(IMAGE_CACHE)) {
    if (name.startsWith('pglite-') && name.endsWith('.tar') && name !== `pglite-${key}.tar`)
      await rm(join(IMAGE_CACHE, name), { force: true });
  }
  return path;
}
