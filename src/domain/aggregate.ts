import type { TimeWindow } from './calendar.ts';
import { type IntervalSpec, windowBounds, windowIndex } from './intervals.ts';
import type { BarValues, Instant, StoredBar } from './types.ts';

/** Values of a bar aggregated from base bars, with the number of base bars it was built from. */
export interface AggregatedValues extends BarValues {
  readonly baseBars: number;
}

/** A derived bar computed from scratch: its window start (`ts`), end (`endTs`) and values. */
export interface AggregatedBar extends StoredBar {
  readonly baseBars: number;
  readonly endTs: Instant;
}

/**
 * Aggregates bars given in ascending time order into one; null for an empty list.
 *
 * open = first open, high = max high, low = min low, close = last close, volume = sum (added in order),
 * tradeCount = sum (null if any is null), vwap = Σ(vwap × volume) / Σ volume, summed in order
 * (null if any vwap is null or the total volume is 0), baseBars = number of bars.
 */
export function aggregateBars(bars: readonly BarValues[]): AggregatedValues | null {
  const first = bars[0];
  const last = bars.at(-1);
  if (first === undefined || last === undefined) return null;
  let high = first.high;
  let low = first.low;
  let volume = 0;
  let tradeCount: number | null = 0;
  let vwapWeighted: number | null = 0;
  for (const bar of bars) {
    high = Math.max(high, bar.high);
    low = Math.min(low, bar.low);
    volume += bar.volume;
    tradeCount = tradeCount === null || bar.tradeCount === null ? null : tradeCount + bar.tradeCount;
    vwapWeighted = vwapWeighted === null || bar.vwap === null ? null : vwapWeighted + bar.vwap * bar.volume;
  }
  return {
    open: first.open,
    high,
    low,
    close: last.close,
    volume,
    vwap: vwapWeighted === null || volume === 0 ? null : vwapWeighted / volume,
    tradeCount,
    baseBars: bars.length,
  };
}

/**
 * Builds from scratch the derived bars of `spec` over a session window, from its base bars (ascending
 * `ts`, each a `baseMs`-long bar inside the window): one bar per window that holds at least one base
 * bar, with `ts` = window start, `endTs` = window end (clipped to the session end) and revision 0.
 *
 * @throws RangeError when a base bar is out of order or does not lie inside the session window.
 */
export function aggregateWindows(
  bars: readonly StoredBar[],
  window: TimeWindow,
  spec: IntervalSpec,
  baseMs: number,
): AggregatedBar[] {
  const barsByWindow = new Map<number, StoredBar[]>();
  let previousTs = Number.NEGATIVE_INFINITY;
  for (const bar of bars) {
    if (bar.ts <= previousTs)
      throw new RangeError(`Base bars are not in strictly ascending ts order at ${bar.ts}`);
    if (bar.ts + baseMs > window.end)
      throw new RangeError(`Base bar at ${bar.ts} ends after the session window`);
    previousTs = bar.ts;
    const index = windowIndex(window, spec, bar.ts);
    const group = barsByWindow.get(index);
    if (group === undefined) barsByWindow.set(index, [bar]);
    else group.push(bar);
  }
  // Map iteration follows insertion order, which is ascending because the bars are.
  return [...barsByWindow].map(([index, group]) => {
    const bounds = windowBounds(window, spec, index);
    const values = aggregateBars(group)!; // never null: every group holds at least one bar
    return { ...values, ts: bounds.start, endTs: bounds.end, revision: 0 };
  });
}
