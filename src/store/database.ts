/**
 * Connection to the store: embedded PGlite in a data folder (no `url`), or postgres.js against a real
 * PostgreSQL server (`url`). Both are wrapped in the same drizzle type, so everything above this file
 * has one code path. Migrations from `migrations/` are applied when the database is opened; an
 * embedded database can start from an image of an already migrated one (see `image`).
 */
import { existsSync } from 'node:fs';
import { mkdir, open as openFile, readFile, rm } from 'node:fs/promises';
import { join, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import type { Logger as DrizzleLogger } from 'drizzle-orm/logger';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import * as schema from '../../drizzle/schema.ts';

/** The drizzle database both drivers are exposed as. */
export type StoreDb = PgDatabase<PgQueryResultHKT, typeof schema>;

/** Which driver a {@link Database} runs on. */
export type DriverName = 'pglite' | 'postgres';

/** The subset of a pino logger the store uses. */
export interface StoreLog {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Options of {@link openDatabase}. */
export interface OpenDatabaseOptions {
  /** `postgres://…` URL of a PostgreSQL server; when unset, an embedded PGlite database is used. */
  readonly url?: string | undefined;
  /** Folder of the embedded PGlite database (created if missing); `memory://` keeps it in memory. */
  readonly dataDir: string;
  /** Logger (pino-compatible). Statements are logged at debug level. */
  readonly log?: StoreLog | undefined;
  /**
   * An image of a PGlite data folder (a tarball from {@link buildMigratedImage}, same PGlite version)
   * that an embedded database holding no data yet starts from instead of running initdb: several
   * times faster, and with the migrations already applied the migrator finds nothing to do. Ignored
   * when the folder already holds a database, and by PostgreSQL.
   */
  readonly image?: Blob | undefined;
  /** Folder holding the drizzle-kit migrations; defaults to the project's `migrations/`. */
  readonly migrationsFolder?: string | undefined;
  /** postgres.js pool size (default 10). */
  readonly maxConnections?: number | undefined;
  /** Seconds to wait for a PostgreSQL connection before failing (default 5). */
  readonly connectTimeoutSeconds?: number | undefined;
}

/** A listener told about every SQL statement issued through drizzle. */
export type StatementListener = (query: string, params: readonly unknown[]) => void;

/** An open store database. */
export interface Database {
  /** The drizzle database (same type on both drivers). */
  readonly db: StoreDb;
  readonly driver: DriverName;
  /** Where the data lives: the PGlite folder, or the server URL with its password masked. */
  readonly target: string;
  /** Number of SQL statements issued through drizzle since the database was opened (migrations included). */
  readonly statements: number;
  /** Calls `listener` for every statement issued from now on; returns the function that stops it. */
  onStatement(listener: StatementListener): () => void;
  /**
   * Runs one read statement as a prepared statement (postgres.js keeps it per connection, so the
   * server plans a statement text once rather than on every call), counted and told to the
   * listeners like any other. Rows as objects, on either driver.
   */
  preparedRows<T>(text: string, params: readonly unknown[]): Promise<T[]>;
  /** Closes the connection(s). Idempotent. */
  close(): Promise<void>;
}

/** Thrown by {@link openDatabase} when the PostgreSQL server cannot be reached or migrated. */
export class DatabaseUnavailableError extends Error {
  override readonly name = 'DatabaseUnavailableError';
}

/** The project's `migrations/` folder. */
export const defaultMigrationsFolder = fileURLToPath(new URL('../../migrations/', import.meta.url));

/** Returns `url` with its password replaced by `***` (for messages and logs). */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@');
  }
}

class StatementCounter implements DrizzleLogger {
  count = 0;
  readonly listeners = new Set<StatementListener>();
  constructor(private readonly log: StoreLog | undefined) {}
  logQuery(query: string, params: unknown[]): void {
    this.count++;
    for (const listener of this.listeners) listener(query, params);
    this.log?.debug({ sql: query.length > 500 ? `${query.slice(0, 500)}…` : query }, 'sql');
  }
}

/**
 * Opens the store: PGlite in `options.dataDir` when `options.url` is unset, else postgres.js on
 * `options.url`; then applies the pending migrations.
 *
 * A PGlite folder is locked while open (`<dataDir>.lock`): opening it from a second live process
 * rejects with a {@link DataDirLockedError}.
 *
 * With a URL, the server is contacted at once: when it cannot be reached, the promise rejects with a
 * {@link DatabaseUnavailableError} naming the URL (password masked) — there is no silent fallback to
 * the embedded database, since that would split the data in two places.
 */
export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  const counter = new StatementCounter(options.log);
  const migrationsFolder = options.migrationsFolder ?? defaultMigrationsFolder;
  let db: StoreDb;
  let driver: DriverName;
  let target: string;
  let closeClient: () => Promise<void>;
  let preparedRows: (text: string, params: readonly unknown[]) => Promise<unknown[]>;

  if (options.url !== undefined && options.url !== '') {
    driver = 'postgres';
    target = redactUrl(options.url);
    const timeoutSeconds = options.connectTimeoutSeconds ?? 5;
    const client = postgres(options.url, {
      max: options.maxConnections ?? 10,
      connect_timeout: timeoutSeconds,
      idle_timeout: 60,
      // postgres.js waits before reconnecting after a failed connection, up to 20 s by default; the
      // writer has its own capped back-off, so keep this one short to notice a returning server soon.
      backoff: (retries: number) => Math.min(0.05 * 2 ** retries, 1),
      onnotice: () => {},
    });
    const pgDb = drizzlePostgres({ client, schema, logger: counter });
    preparedRows = async (text, params) => [
      ...(await client.unsafe(text, params as postgres.ParameterOrJSON<never>[], { prepare: true })),
    ];
    db = pgDb;
    closeClient = () => client.end({ timeout: 5 });
    try {
      // postgres.js's connect_timeout stops at the TCP connect; a peer that accepts but never answers
      // would hang the start-up, hence the overall deadline on the first round trip.
      await withDeadline(db.execute(sql`select 1`), timeoutSeconds * 1000, 'no answer');
      // Replicas starting together on a fresh database take turns (an advisory lock): one migrates,
      // the others then find nothing to do.
      const lock = await client.reserve();
      try {
        await lock`select pg_advisory_lock(7417001)`;
        await migratePostgres(pgDb, { migrationsFolder });
      } finally {
        await lock`select pg_advisory_unlock(7417001)`.catch(() => undefined);
        lock.release();
      }
    } catch (error) {
      await client.end({ timeout: 0 }).catch(() => {});
      throw new DatabaseUnavailableError(`Cannot use PostgreSQL at ${target}: ${describeError(error)}`, {
        cause: error,
      });
    }
  } else {
    driver = 'pglite';
    target = options.dataDir;
    let unlock = async (): Promise<void> => {};
    if (!options.dataDir.includes('://')) {
      await mkdir(options.dataDir, { recursive: true });
      unlock = await lockDataDir(options.dataDir);
    }
    let client: PGlite;
    try {
      const fromImage = options.image !== undefined && !holdsDatabase(options.dataDir);
      client = await PGlite.create(
        fromImage ? { dataDir: options.dataDir, loadDataDir: options.image } : { dataDir: options.dataDir },
      );
    } catch (error) {
      await unlock();
      throw error;
    }
    const liteDb = drizzlePglite({ client, schema, logger: counter });
    const lite = client;
    preparedRows = async (text, params) => (await lite.query(text, [...params])).rows;
    db = liteDb;
    closeClient = async () => {
      await client.close();
      await unlock();
    };
    try {
      await migratePglite(liteDb, { migrationsFolder });
    } catch (error) {
      await closeClient().catch(() => {});
      throw error;
    }
  }
  options.log?.info({ driver, target }, 'database opened');

  let closing: Promise<void> | undefined;
  return {
    db,
    driver,
    target,
    get statements() {
      return counter.count;
    },
    onStatement(listener) {
      counter.listeners.add(listener);
      return () => {
        counter.listeners.delete(listener);
      };
    },
    preparedRows<T>(text: string, params: readonly unknown[]): Promise<T[]> {
      counter.logQuery(text, [...params]);
      return preparedRows(text, params) as Promise<T[]>;
    },
    close() {
      closing ??= closeClient();
      return closing;
    },
  };
}

/**
 * Builds the image of a freshly migrated embedded database: the tarball of its data folder, for
 * {@link OpenDatabaseOptions.image}. Costs one initdb and one migration run (a few seconds).
 */
export async function buildMigratedImage(migrationsFolder = defaultMigrationsFolder): Promise<Blob> {
  const client = await PGlite.create({ dataDir: 'memory://' });
  try {
    await migratePglite(drizzlePglite({ client, schema }), { migrationsFolder });
    return await client.dumpDataDir('none');
  } finally {
    await client.close();
  }
}

/** Whether the PGlite folder `dataDir` already holds a database (`memory://` never does). */
function holdsDatabase(dataDir: string): boolean {
  return !dataDir.includes('://') && existsSync(join(dataDir, 'PG_VERSION'));
}

/** Thrown by {@link openDatabase} when another live process has the PGlite folder open. */
export class DataDirLockedError extends Error {
  override readonly name = 'DataDirLockedError';
}

/**
 * PGlite has no lock of its own: two processes on one folder (say the server and `npm run import`)
 * would corrupt it. `<dataDir>.lock` holds the owner's pid; a lock whose process is gone is taken over.
 * Returns the function that releases it.
 */
async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const path = `${resolvePath(dataDir)}.lock`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await openFile(path, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => rm(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = Number((await readFile(path, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) {
      throw new DataDirLockedError(
        `The embedded database in ${dataDir} is in use by process ${owner} (lock ${path}); stop it first, ` +
          'or use DATABASE_URL for a PostgreSQL server that several processes can share',
      );
    }
    await rm(path, { force: true }); // stale: its process is gone
  }
  throw new DataDirLockedError(`Cannot lock ${dataDir} (${path})`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/**
 * A one-line description of a driver error: drizzle wraps driver errors in a "Failed query" error, and
 * postgres.js connection errors carry only a code, so the innermost cause and its code are used.
 */
export function describeError(error: unknown): string {
  let inner: unknown = error;
  while (inner instanceof Error && inner.cause instanceof Error) inner = inner.cause;
  if (inner instanceof Error) {
    const code = (inner as { code?: unknown }).code;
    const message = inner.message !== '' ? inner.message : String(code ?? inner.name);
    return typeof code === 'string' && !message.includes(code) ? `${message} (${code})` : message;
  }
  return String(inner);
}
