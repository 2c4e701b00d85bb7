/**
 * Historical bars for the API: the in-memory trailing window, extended with stored dates read
 * from PostgreSQL (through the request's DataLoaders) when a `from`/`to` range reaches outside it.
 *
 * Rules:
 * - without `from` and `to`, `HistoricalInterval.bars` reads the in-memory window only;
 * - with a bound, every trading date of the range other than the session date is included: dates
 *   of the in-memory window come from memory, the others from the store (one batched statement
 *   for the whole request); an open bound stops at the in-memory window's edge;
 * - a range may reach at most `limits.maxHistoryDates` trading dates outside memory
 *   (RANGE_TOO_LARGE above);
 * - stored days are aggregated exactly like the in-memory ones (same tree code: every date a full,
 *   closed session window), so derived intervals, quality and gaps follow the same rules.
 */
import { nextTradingDate, nyDate, sessionWindow, tradingDatesBefore } from '../domain/calendar.ts';
import type { Instant, IsoDate, StoredBar } from '../domain/types.ts';
import { HistoricalData, type HistoricalInterval } from '../session/historical-data.ts';
import type { BarSequence } from '../session/session-interval.ts';
import type { SymbolSessionData } from '../session/symbol-session-data.ts';
import type { Context } from './context.ts';
import { userError } from './errors.ts';
import { ConcatSequence } from './paging.ts';
import { UNCACHEABLE } from './result-cache.ts';

/** A historical interval of a symbol, as the GraphQL parent of HistoricalInterval. */
export interface HistoricalIntervalParent {
  readonly owner: SymbolSessionData;
  readonly interval: HistoricalInterval;
}

/** The trading dates of [from, to) that are not in memory, split around the in-memory window. */
function storedDates(
  owner: SymbolSessionData,
  from: Instant | null,
  to: Instant | null,
  maxDates: number,
): { before: IsoDate[]; after: IsoDate[] } {
  const memory = tradingDatesBefore(owner.date, owner.settings.historicalDays);
  const memoryFirst = memory[0] ?? owner.date;
  const firstDate = from === null ? memoryFirst : nyDate(from);
  const lastDate = to === null ? owner.date : nyDate(to - 1);
  const held = new Set(memory);
  const before: IsoDate[] = [];
  const after: IsoDate[] = [];
  if (firstDate > lastDate) return { before, after };
  let date = sessionWindow(firstDate, false) === null ? nextTradingDate(firstDate) : firstDate;
  while (date <= lastDate) {
    if (date !== owner.date && !held.has(date)) {
      (date < memoryFirst ? before : after).push(date);
      if (before.length + after.length > maxDates) {
        throw userError(
          'RANGE_TOO_LARGE',
          `a historical read may reach at most ${maxDates} trading dates outside the in-memory window; narrow from/to`,
        );
      }
    }
    date = nextTradingDate(date);
  }
  return { before, after };
}

/** Reads stored days through the request's loaders and builds them like the in-memory window. */
async function storedDays(
  ctx: Context,
  owner: SymbolSessionData,
  dates: readonly IsoDate[],
): Promise<HistoricalData> {
  const key = `history:${owner.symbol}:${owner.createdSeq}:${dates.join(',')}`;
  const cached = ctx.memo.get(key) as Promise<HistoricalData> | undefined;
  if (cached) return cached;
  ctx.memo.set(UNCACHEABLE, true);
  const loaders = ctx.loaders;
  if (loaders === null) {
    throw userError(
      'STORE_UNAVAILABLE',
      'this server has no store to read historical dates outside memory from',
    );
  }
  const promise = Promise.all(
    dates.map((date) =>
      loaders.storedBars.load({ symbol: owner.symbol, interval: owner.baseInterval, date }),
    ),
  ).then((rows) => {
    const byDate = new Map<IsoDate, readonly StoredBar[]>();
    dates.forEach((date, i) => {
      byDate.set(date, rows[i] ?? []);
    });
    return new HistoricalData(true, byDate, owner.historicalSpecs, owner.extendedHours, []);
  });
  ctx.memo.set(key, promise);
  return promise;
}

/**
 * The bar sequence a historical `bars` read pages over.
 * @throws GraphQLError RANGE_TOO_LARGE, STORE_UNAVAILABLE
 */
export async function historicalSequence(
  ctx: Context,
  parent: HistoricalIntervalParent,
  from: Instant | null,
  to: Instant | null,
): Promise<BarSequence> {
  if (from === null && to === null) return parent.interval;
  const { owner, interval } = parent;
  const { before, after } = storedDates(owner, from, to, ctx.limits.maxHistoryDates);
  if (before.length === 0 && after.length === 0) return interval;
  const parts: BarSequence[] = [];
  const [early, late] = await Promise.all([
    before.length > 0 ? storedDays(ctx, owner, before) : null,
    after.length > 0 ? storedDays(ctx, owner, after) : null,
  ]);
  const earlyInterval = early?.interval(interval.name);
  const lateInterval = late?.interval(interval.name);
  if (earlyInterval) parts.push(earlyInterval);
  parts.push(interval);
  if (lateInterval) parts.push(lateInterval);
  return new ConcatSequence(parts);
}
