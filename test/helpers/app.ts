/**
 * Test factory of the GraphQL API: the real app (createApp: session tree, session service,
 * write-behind writer, repository and loaders) on an embedded database holding the SPY sample, and
 * helpers to talk to its yoga server.
 *
 * A file opens one migrated embedded database (`useAppDatabase()`) and builds its apps on it: each
 * `createTestApi({ database })` empties it first, so every app starts from the same store. An app
 * built without one opens (and closes) its own.
 */
import { afterAll, beforeAll } from 'vitest';
import { type App, createApp } from '../../src/app.ts';
import type { IsoDate, StoredBar } from '../../src/domain/types.ts';
import type { Limits } from '../../src/graphql/limits.ts';
import { createYoga, type SessionYoga } from '../../src/graphql/yoga.ts';
import type { SessionService } from '../../src/service/session-service.ts';
import type { SessionData } from '../../src/session/session-data.ts';
import type { BarRecord } from '../../src/store/bar-repository.ts';
import type { Database } from '../../src/store/database.ts';
import { createLoaders } from '../../src/store/loaders.ts';
import { createTestDatabase, resetDatabase, type TestDatabase } from './db.ts';
import { ADMIN_TOKEN, type GqlResponse, gql } from './gql.ts';
import type { Leftovers } from './leftovers.ts';
import { readSpy, spyRecords } from './spy.ts';

export interface TestApi {
  /** The app's yoga, or one with the test's limits over the same service. */
  readonly yoga: SessionYoga;
  readonly app: App;
  readonly session: SessionData;
  readonly service: SessionService;
  /** SELECT statements the store has run since the app was built. */
  readonly selects: () => number;
  /** Runs one operation through yoga.fetch (admin token sent unless `token` is null or another string). */
  gql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    token?: string | null,
  ): Promise<GqlResponse<T>>;
  /** Ends subscriptions, flushes writes, closes the database if the app opened its own. Idempotent. */
  dispose(): Promise<void>;
}

/** Options of {@link createTestApi}. */
export interface TestApiOptions {
  /** The store to build on (emptied first); default: a database of the app's own. */
  readonly database?: Database;
  /** Whether the store holds the January SPY sample (default true). */
  readonly spy?: boolean;
  /** Dates of the sample left out of the store (to ingest those through the API). */
  readonly notStored?: readonly IsoDate[];
  readonly limits?: Partial<Limits>;
  /** The wall clock of LIVE sessions. */
  readonly now?: () => number;
  /** Disposes the app after the test (or the suite) that built it, however that ends. */
  readonly leftovers?: Leftovers;
}

/** The January sample as store rows, parsed once per file. */
let januaryRows: BarRecord[] | undefined;

/**
 * Registers hooks that open one migrated embedded database for the enclosing suite (closed after
 * its last test); returns its accessor. Build the suite's apps on it with `createTestApi({ database })`.
 */
export function useAppDatabase(): () => Database {
  let current: TestDatabase | undefined;
  beforeAll(async () => {
    current = await createTestDatabase('pglite');
  });
  afterAll(async () => {
    await current?.dispose();
    current = undefined;
  });
  return () => {
    if (current === undefined) throw new Error('no app database (use inside a test or a hook)');
    return current.database;
  };
}

/**
 * Builds the app on `options.database` (emptied first) or on a database of its own. The store
 * holds the SPY sample (January 2011) under "SPY" unless `spy` is false, except the dates in
 * `notStored` (to ingest those through the API).
 */
export async function createTestApi(options: TestApiOptions = {}): Promise<TestApi> {
  const own = options.database === undefined ? await createTestDatabase('pglite') : null;
  const database = options.database ?? own!.database;
  let app: App;
  try {
    if (own === null) await resetDatabase(database);
    app = await createApp({
      adminToken: ADMIN_TOKEN,
      database,
      demo: false,
      logLevel: 'silent',
      defaultMetrics: false,
      ...(options.now ? { now: options.now } : {}),
    });
  } catch (error) {
    await own?.dispose();
    throw error;
  }
  if (options.spy !== false) {
    januaryRows ??= spyRecords(readSpy());
    const notStored = options.notStored ?? [];
    try {
      await app.repository.upsertBars(januaryRows.filter((row) => !notStored.includes(row.sessionDate)));
    } catch (error) {
      await app.dispose();
      await own?.dispose();
      throw error;
    }
  }
  let selects = 0;
  const stopCounting = database.onStatement((query) => {
    if (/^\s*(with|select)\b/i.test(query)) selects++;
  });
  const yoga = options.limits ? yogaWithLimits(app, options.limits) : app.yoga;
  let disposed: Promise<void> | undefined;
  const api: TestApi = {
    yoga,
    app,
    session: app.session,
    service: app.service,
    selects: () => selects,
    gql: (query, variables, token = ADMIN_TOKEN) => gql(yoga, query, variables, token),
    dispose() {
      disposed ??= (async () => {
        stopCounting();
        if (yoga !== app.yoga) await yoga.dispose();
        await app.dispose();
        await own?.dispose();
      })();
      return disposed;
    },
  };
  options.leftovers?.defer(() => api.dispose());
  return api;
}

/** A second yoga server over `app`'s service and store, with other limits (dispose it after use). */
export function yogaWithLimits(app: App, limits: Partial<Limits>): SessionYoga {
  return createYoga({
    service: app.service,
    adminToken: ADMIN_TOKEN,
    createLoaders: () => createLoaders(app.repository),
    limits,
  });
}

/** A SPY bar as a BarInput for ingest mutations (ts as ISO). */
export function barInput(symbol: string, bar: StoredBar): Record<string, unknown> {
  return {
    symbol,
    ts: new Date(bar.ts).toISOString(),
    open: bar.open,
    high: bar.high,
    low: bar.low,
    close: bar.close,
    volume: bar.volume,
  };
}
