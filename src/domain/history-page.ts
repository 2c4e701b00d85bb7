/**
 * A page of stored history as the store is asked for it: which stored days, how their base bars
 * group into the bars of the interval read, and which bars (by `ts`) the page, the existence probes
 * and the count cover. Pure: the store runs it as SQL (src/store/history-pages.ts), the API builds it
 * (src/graphql/history.ts).
 *
 * The grouping is the tree's (src/session/day-bars.ts, every stored date a full and closed session
 * window): a base bar counts when it lies inside its date's session window and is aligned to the
 * base interval; a derived window of `ms` starts at the window start + k × ms, the last one truncated
 * at the window end; `1d` is the whole window. A derived bar's `ts` is its window start, so "bars
 * with from ≤ ts < to" are the bars of the windows starting in [from, to): the base bars from the
 * first window start ≥ from up to the first window start ≥ to ({@link windowStartAtOrAfter}).
 */
import type { TimeWindow } from './calendar.ts';
import type { Bar, Instant } from './types.ts';

/** How stored base bars become the bars of the interval read. */
export type HistoryGrouping =
  /** Each base bar is a bar. */
  | { readonly kind: 'base' }
  /** Windows of `ms` aligned to each date's session start, the last one truncated at its end. */
  | { readonly kind: 'fixed'; readonly ms: number }
  /** One window per date: its whole session window (`1d`). */
  | { readonly kind: 'day' };

/** Bars whose `ts` lies in [lo, hi). */
export interface HistoryRange {
  readonly lo: Instant;
  readonly hi: Instant;
}

/** The first or last `limit` bars of a range. */
export interface HistoryPageScan extends HistoryRange {
  readonly limit: number;
  /** The last `limit` bars (true) or the first (false). */
  readonly descending: boolean;
}

/** The fields of a bar beyond its `ts` that a read may ask for. */
export type HistoryBarField =
  | 'endTs'
  | 'open'
  | 'high'
  | 'low'
  | 'close'
  | 'volume'
  | 'vwap'
  | 'tradeCount'
  | 'baseBars'
  | 'revision';

/** Every {@link HistoryBarField}. */
export const HISTORY_BAR_FIELDS: readonly HistoryBarField[] = [
  'endTs',
  'open',
  'high',
  'low',
  'close',
  'volume',
  'vwap',
  'tradeCount',
  'baseBars',
  'revision',
];

/** One read of stored bars of one symbol and interval. */
export interface HistoryPageRequest {
  readonly symbol: string;
  /** The stored base interval's canonical name (`1m`, `1s`). */
  readonly interval: string;
  readonly baseMs: number;
  readonly grouping: HistoryGrouping;
  /** The session windows of the stored dates read, ascending and disjoint. */
  readonly days: readonly TimeWindow[];
  /** The page of bars, or null when only probes or the count are wanted. */
  readonly page: HistoryPageScan | null;
  /** Ranges of which the store says whether they hold a bar. */
  readonly probes: readonly HistoryRange[];
  /** The range whose bars are counted; null: no count. */
  readonly count: HistoryRange | null;
  /**
   * The bar fields the reader uses (null: all). The others are not sent by the server and read
   * NaN (a GraphQL error, never a silent wrong value, should one be read after all).
   */
  readonly fields: readonly HistoryBarField[] | null;
}

/** What the store answers to a {@link HistoryPageRequest}. */
export interface HistoryPageResult {
  /** The page's bars, ascending (at most `page.limit`). */
  readonly bars: readonly Bar[];
  /** Whether the page's range holds more than `page.limit` bars. */
  readonly more: boolean;
  /** One answer per probe, in order. */
  readonly exists: readonly boolean[];
  /** The count, or null when none was asked. */
  readonly count: number | null;
}

/** The largest safe instant, standing for "no bound". */
export const NO_UPPER_BOUND = Number.MAX_SAFE_INTEGER;

/**
 * The first window start ≥ `x` of the grouping over `days` (ascending, disjoint); for the base
 * interval `x` itself. {@link NO_UPPER_BOUND} when no window starts at or after `x`.
 */
export function windowStartAtOrAfter(
  days: readonly TimeWindow[],
  grouping: HistoryGrouping,
  x: Instant,
): Instant {
  if (grouping.kind === 'base') return x;
  // The first day whose window ends after x.
  let lo = 0;
  let hi = days.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (days[mid]!.end <= x) lo = mid + 1;
    else hi = mid;
  }
  const day = days[lo];
  if (day === undefined) return NO_UPPER_BOUND;
  if (x <= day.start) return day.start;
  if (grouping.kind === 'fixed') {
    const start = day.start + Math.ceil((x - day.start) / grouping.ms) * grouping.ms;
    if (start < day.end) return start;
  }
  return days[lo + 1]?.start ?? NO_UPPER_BOUND;
}

/**
 * The most base bars one bar of the grouping can hold over `days`: 1 for the base interval, the
 * window's slots for a fixed window, the longest date's slots for `1d`.
 */
export function baseBarsPerWindow(
  days: readonly TimeWindow[],
  grouping: HistoryGrouping,
  baseMs: number,
): number {
  if (grouping.kind === 'base') return 1;
  if (grouping.kind === 'fixed') return Math.ceil(grouping.ms / baseMs);
  let most = 1;
  for (const day of days) most = Math.max(most, Math.ceil((day.end - day.start) / baseMs));
  return most;
}
