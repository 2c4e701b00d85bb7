/**
 * Bars by (symbol, interval, ts), the latest version of each key: the writer's pending bars and the
 * repository's de-duplication of an upsert. Nested maps with numeric `ts` keys: no key string is
 * built per bar (that cost more than the rest of an enqueue).
 */
import type { Instant } from '../domain/types.ts';

/** What a bar set is keyed by. */
export interface BarKey {
  readonly symbol: string;
  readonly interval: string;
  readonly ts: Instant;
}

/** Bars by key, the latest version of each. */
export class BarSet<T extends BarKey> {
  /** Distinct keys held. */
  size = 0;
  readonly #bySymbol = new Map<string, Map<string, Map<Instant, T>>>();

  /**
   * The map ts → bar of one symbol and interval (created if missing). A caller that adds a new key
   * through it counts it in {@link size} itself.
   */
  series(symbol: string, interval: string): Map<Instant, T> {
    let byInterval = this.#bySymbol.get(symbol);
    if (byInterval === undefined) {
      byInterval = new Map();
      this.#bySymbol.set(symbol, byInterval);
    }
    let series = byInterval.get(interval);
    if (series === undefined) {
      series = new Map();
      byInterval.set(interval, series);
    }
    return series;
  }

  /** Adds a bar, replacing the one of the same key. */
  set(bar: T): void {
    const series = this.series(bar.symbol, bar.interval);
    if (!series.has(bar.ts)) this.size++;
    series.set(bar.ts, bar);
  }

  /** Every bar (keys are distinct), grouped by symbol and interval. */
  values(): T[] {
    const out = new Array<T>(this.size);
    let i = 0;
    for (const byInterval of this.#bySymbol.values()) {
      for (const series of byInterval.values()) {
        for (const bar of series.values()) out[i++] = bar;
      }
    }
    return out;
  }
}
