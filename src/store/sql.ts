/**
 * Helpers shared by the table repositories: how a repository reaches the database (and how many
 * statements of one call it may run at a time), the key string of a session-bars key, and the rows
 * of a raw statement on either driver.
 */
import { type SQL, sql } from 'drizzle-orm';
import type { SessionBarsKey } from '../domain/types.ts';
import type { Database, StoreDb } from './database.ts';

/** Options of the repositories. */
export interface RepositoryOptions {
  /** Rows per `unnest` statement (default 5,000). */
  readonly chunkSize?: number;
  /**
   * Statements of one call run at the same time (default 3 on postgres.js, whose pool has several
   * connections; always 1 on PGlite and inside a transaction). Chunks are independent upserts, so a
   * failed call can be repeated as a whole.
   */
  readonly concurrency?: number;
}

/** What a repository works with: the drizzle database (or transaction) and its resolved options. */
export interface StoreTarget {
  readonly db: StoreDb;
  /** The open database when the repository was made from one (not a transaction): prepared reads. */
  readonly database: Database | null;
  readonly chunkSize: number;
  readonly concurrency: number;
}

const MAX_CHUNK = 100_000;

/**
 * Resolves a repository's target.
 * @param database an open {@link Database}, or a drizzle database / transaction of the same schema.
 * @throws RangeError when `chunkSize` is not an integer in 1…100,000
 */
export function storeTarget(database: Database | StoreDb, options: RepositoryOptions = {}): StoreTarget {
  const isDatabase = 'driver' in database;
  const chunkSize = options.chunkSize ?? 5_000;
  if (!Number.isInteger(chunkSize) || chunkSize < 1 || chunkSize > MAX_CHUNK) {
    throw new RangeError(`chunkSize must be an integer in 1…${MAX_CHUNK}`);
  }
  return {
    db: isDatabase ? database.db : database,
    database: isDatabase ? database : null,
    chunkSize,
    concurrency:
      isDatabase && database.driver === 'postgres' ? Math.max(1, Math.floor(options.concurrency ?? 3)) : 1,
  };
}

/** The key string of a (symbol, interval, session date): equal keys, equal strings. */
export function sessionBarsKeyOf(key: SessionBarsKey): string {
  return `${key.symbol}\u0000${key.interval}\u0000${key.date}`;
}

/** Rows of a raw statement: postgres.js returns an array, PGlite an object with `rows`. */
export async function rowsOf<T>(db: StoreDb, query: SQL): Promise<T[]> {
  const result: unknown = await db.execute(query);
  if (Array.isArray(result)) return result as T[];
  return (result as { rows: T[] }).rows;
}

/**
 * Rows of a read statement given as text with `$1…$n` placeholders: prepared when the target is an
 * open database, else through drizzle (a transaction) with the same parameters.
 */
export async function preparedTextRowsOf<T>(
  target: StoreTarget,
  text: string,
  params: readonly unknown[],
): Promise<T[]> {
  if (target.database !== null) return target.database.preparedRows<T>(text, params);
  const chunks: SQL[] = [];
  let last = 0;
  for (const match of text.matchAll(/\$(\d+)/g)) {
    chunks.push(sql.raw(text.slice(last, match.index)), sql`${params[Number(match[1]) - 1]}`);
    last = match.index + match[0].length;
  }
  chunks.push(sql.raw(text.slice(last)));
  return rowsOf<T>(target.db, sql.join(chunks));
}

/** Rows written by a raw statement: postgres.js reports `count`, PGlite `affectedRows`. */
export function affectedRows(result: unknown): number {
  const r = result as { count?: unknown; affectedRows?: unknown };
  return Number(Array.isArray(result) ? r.count : (r.affectedRows ?? 0));
}

/**
 * Runs `task(0…count-1)` with at most `limit` at a time. On a failure no new task starts; the promise
 * rejects with the first error once the running ones have settled.
 */
export async function runLimited(
  count: number,
  limit: number,
  task: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | null = null;
  const worker = async (): Promise<void> => {
    while (failure === null && next < count) {
      const i = next++;
      try {
        await task(i);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
  if (failure !== null) throw (failure as { error: unknown }).error;
}
