/**
 * Throw-away databases for tests, on every driver available:
 * - `pglite` always: a fresh embedded database started from the migrated image the global setup
 *   built (test/helpers/db-image.ts), in memory, or in a folder of the system temp folder (removed
 *   afterwards) when it must survive a reopen (`persistent`);
 * - `postgres` when `DATABASE_URL` is set: a fresh `CREATE DATABASE t_<random>` on that server (made
 *   through a maintenance connection to the URL), dropped afterwards.
 *
 * Typical use, one suite for both drivers:
 *
 * ```ts
 * describe.each(testDrivers())('store on %s', (driver) => {
 *   const ctx = useTestDatabase(driver); // fresh database for the suite, emptied before each test
 *   it('…', async () => { const { database } = ctx(); … });
 * });
 * ```
 */
import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { connect, createServer, type Socket } from 'node:net';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, beforeEach, inject } from 'vitest';
import { type Database, type OpenDatabaseOptions, openDatabase } from '../../src/store/database.ts';
import { ensureMigratedImage } from './db-image.ts';
import { scratchFolder } from './scratch.ts';

/** A driver the store can run on. */
export type TestDriver = 'pglite' | 'postgres';

/** The PostgreSQL server the `postgres` variant uses (`DATABASE_URL`), if any. */
export function testDatabaseUrl(): string | undefined {
  const { DATABASE_URL: url } = process.env;
  return url === undefined || url === '' ? undefined : url;
}

/** `['pglite']`, plus `'postgres'` when `DATABASE_URL` is set. */
export function testDrivers(): TestDriver[] {
  return testDatabaseUrl() === undefined ? ['pglite'] : ['pglite', 'postgres'];
}

const images = new Map<string, Promise<Blob>>();

/**
 * The migrated PGlite image of `migrationsFolder` (default: the project's migrations, the global
 * setup's), read once per worker; another folder's is built on first use and cached like it.
 */
export function migratedImage(migrationsFolder?: string): Promise<Blob> {
  const key = migrationsFolder ?? '';
  let image = images.get(key);
  if (image === undefined) {
    image = (async () => {
      const path =
        migrationsFolder === undefined
          ? (inject('pgliteImage') ?? (await ensureMigratedImage()))
          : await ensureMigratedImage(migrationsFolder);
      return new Blob([await readFile(path)]);
    })();
    images.set(key, image);
  }
  return image;
}

/** Options of a test database: what it is opened with, and where it lives. */
export type TestDatabaseOptions = Partial<OpenDatabaseOptions> & {
  /**
   * PGlite only: keep the data in a temp folder, so that {@link TestDatabase.reopen} finds it
   * again (default: in memory, which is faster).
   */
  readonly persistent?: boolean;
};

/** An empty database on a real server, and how to get rid of it. */
export interface ScratchDatabase {
  /** URL of the new database. */
  readonly url: string;
  readonly name: string;
  /** Drops the database (closing any connection still open on it). */
  drop(): Promise<void>;
}

/** Creates an empty database `t_<random>` on the server of `serverUrl`. */
export async function createScratchDatabase(serverUrl: string, prefix = 't'): Promise<ScratchDatabase> {
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  try {
    await admin.unsafe(`create database "${name}"`);
  } finally {
    await admin.end({ timeout: 5 });
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      const dropper = postgres(serverUrl, { max: 1, onnotice: () => {}, connect_timeout: 5 });
      try {
        await dropper.unsafe(`drop database if exists "${name}" with (force)`);
      } finally {
        await dropper.end({ timeout: 5 });
      }
    },
  };
}

/** A fresh, migrated database for one test. */
export interface TestDatabase {
  readonly driver: TestDriver;
  /** The open database (replaced by {@link TestDatabase.reopen}). */
  readonly database: Database;
  /** The PGlite folder (`memory://` unless persistent) — unused by postgres. */
  readonly dataDir: string;
  /** The throw-away database's URL (postgres). */
  readonly url: string | undefined;
  /** The options it was opened with (to open it again, e.g. as a restarted server would). */
  readonly options: OpenDatabaseOptions;
  /**
   * Closes the database and opens the same data again (with some options changed); PGlite needs a
   * persistent database for it.
   */
  reopen(overrides?: Partial<OpenDatabaseOptions>): Promise<Database>;
  /** Closes it and deletes the data. */
  dispose(): Promise<void>;
}

/**
 * Creates a fresh migrated database on `driver`. A PGlite one starts from the migrated image of its
 * migrations (`extra.migrationsFolder`, default the project's).
 */
export async function createTestDatabase(
  driver: TestDriver,
  extra: TestDatabaseOptions = {},
): Promise<TestDatabase> {
  const { persistent = false, ...opening } = extra;
  const folder = driver === 'pglite' && persistent ? await scratchFolder('store-test') : null;
  const dataDir = folder ?? 'memory://';
  const removeFolder = async () => {
    if (folder !== null) await rm(folder, { recursive: true, force: true });
  };
  let scratch: ScratchDatabase | undefined;
  if (driver === 'postgres') {
    const serverUrl = testDatabaseUrl();
    if (serverUrl === undefined) throw new Error('DATABASE_URL is not set');
    scratch = await createScratchDatabase(serverUrl);
  }
  const image = driver === 'pglite' ? await migratedImage(opening.migrationsFolder) : undefined;
  const options: OpenDatabaseOptions = { ...opening, dataDir, url: scratch?.url, image };
  let database: Database;
  try {
    database = await openDatabase(options);
  } catch (error) {
    await scratch?.drop();
    await removeFolder();
    throw error;
  }
  const handle: TestDatabase = {
    driver,
    get database() {
      return database;
    },
    dataDir,
    url: scratch?.url,
    options,
    async reopen(overrides = {}) {
      if (driver === 'pglite' && folder === null)
        throw new Error('an in-memory test database cannot be reopened: create it persistent');
      await database.close();
      database = await openDatabase({ ...options, ...overrides });
      return database;
    },
    async dispose() {
      await database.close();
      await scratch?.drop();
      await removeFolder();
    },
  };
  return handle;
}

/** Runs `work` on a fresh database of `driver`, disposed afterwards. */
export async function withTestDatabase<T>(
  driver: TestDriver,
  work: (db: TestDatabase) => Promise<T>,
  extra: TestDatabaseOptions = {},
): Promise<T> {
  const db = await createTestDatabase(driver, extra);
  try {
    return await work(db);
  } finally {
    await db.dispose();
  }
}

/**
 * Empties every table of the store, whatever the migrations made (the migrator's own journal, in
 * its schema, stays).
 */
export async function resetDatabase(database: Database): Promise<void> {
  const result = await database.db.execute(
    sql`select quote_ident(tablename) as name from pg_tables where schemaname = 'public' order by 1`,
  );
  const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as { name: string }[];
  if (rows.length === 0) return;
  await database.db.execute(sql.raw(`truncate table ${rows.map((r) => r.name).join(', ')} restart identity`));
}

/**
 * Registers vitest hooks giving the enclosing suite one fresh database of `driver` (a new PGlite
 * database, or a new PostgreSQL database) that is emptied before each test, so every test starts from
 * empty tables; returns the accessor of the current one.
 */
export function useTestDatabase(driver: TestDriver, extra: TestDatabaseOptions = {}): () => TestDatabase {
  let current: TestDatabase | undefined;
  beforeAll(async () => {
    current = await createTestDatabase(driver, extra);
  });
  beforeEach(async () => {
    if (current !== undefined) await resetDatabase(current.database);
  });
  afterAll(async () => {
    await current?.dispose();
    current = undefined;
  });
  return () => {
    if (current === undefined) throw new Error('no test database (use inside a test)');
    return current;
  };
}

/**
 * Registers a hook closing, after the enclosing suite's last test, the databases the returned
 * function hands out: one per driver, opened on its first use and emptied before every later one, so
 * each use starts from empty tables while the suite opens each driver's database once.
 */
export function useTestDatabases(extra: TestDatabaseOptions = {}): (driver: TestDriver) => Promise<Database> {
  const opened = new Map<TestDriver, Promise<TestDatabase>>();
  afterAll(async () => {
    const all = [...opened.values()];
    opened.clear();
    for (const db of all) await (await db).dispose();
  });
  return async (driver) => {
    const existing = opened.get(driver);
    if (existing === undefined) {
      const created = createTestDatabase(driver, extra);
      opened.set(driver, created);
      return (await created).database;
    }
    const { database } = await existing;
    await resetDatabase(database);
    return database;
  };
}

/** A TCP proxy in front of a PostgreSQL server, to cut the connection in fault tests. */
export interface TcpProxy {
  /** `url` with its host and port replaced by the proxy's. */
  readonly url: string;
  /**
   * Drops every open connection and stops listening, so that new connections are refused
   * (ECONNREFUSED), as when the server went away.
   */
  cut(): Promise<void>;
  /** Listens again on the same port. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

/** Starts a proxy on 127.0.0.1 (random port) forwarding to the server of `url`. */
export async function createTcpProxy(url: string): Promise<TcpProxy> {
  const target = new URL(url);
  const targetPort = Number(target.port === '' ? 5432 : target.port);
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(targetPort, target.hostname);
    sockets.add(client);
    sockets.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  const stop = () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    return closed;
  };
  await listen(0);
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');
  const port = address.port;
  const proxied = new URL(url);
  proxied.hostname = '127.0.0.1';
  proxied.port = String(port);
  let listening = true;
  return {
    url: proxied.toString(),
    async cut() {
      if (!listening) return;
      listening = false;
      await stop();
    },
    async restore() {
      if (listening) return;
      await listen(port);
      listening = true;
    },
    async close() {
      if (!listening) return;
      listening = false;
      await stop();
    },
  };
}
