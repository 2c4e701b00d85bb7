/**
 * The migrated embedded database images the test suite starts its PGlite databases from (see
 * `image` in src/store/database.ts): the project's migrations' one built by vitest's global setup
 * (test/global-setup.ts), another migrations folder's (an older schema, to test an upgrade) on first
 * use; cached under `node_modules/.cache/session-data-service/`, keyed by a hash of the migrations
 * and of the PGlite and drizzle versions, so a run after a change of either builds a new one.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The project's migrations (src/store/database.ts's default). */
export const MIGRATIONS = join(ROOT, 'migrations');

/** Images kept in the cache (the most recently used). */
const KEEP = 4;

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
 * The path of the cached image of `migrationsFolder` (default: the project's), built first when
 * missing: written under a temporary name and renamed, so a concurrent run never reads half a file.
 * Using an image marks it recent; beyond the {@link KEEP} most recent, older images are removed.
 */
export async function ensureMigratedImage(migrationsFolder = MIGRATIONS): Promise<string> {
  const key = await imageKey(migrationsFolder);
  const path = join(IMAGE_CACHE, `pglite-${key}.tar`);
  const now = new Date();
  if (
    await utimes(path, now, now).then(
      () => stat(path).then((s) => s.size > 0),
      () => false,
    )
  )
    return path;
  await mkdir(IMAGE_CACHE, { recursive: true });
  // Imported here: the store (PGlite, drizzle, postgres.js) is only loaded when an image is built.
  const { buildMigratedImage } = await import('../../src/store/database.ts');
  const image = await buildMigratedImage(migrationsFolder);
  const partial = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(partial, new Uint8Array(await image.arrayBuffer()));
  await rename(partial, path);
  const images = await Promise.all(
    (await readdir(IMAGE_CACHE))
      .filter((name) => name.startsWith('pglite-') && name.endsWith('.tar'))
      .map(async (name) => ({ name, used: (await stat(join(IMAGE_CACHE, name))).mtimeMs })),
  );
  images.sort((a, b) => b.used - a.used);
  for (const { name } of images.slice(KEEP)) await rm(join(IMAGE_CACHE, name), { force: true });
  return path;
}
