import type { BarValues } from './types.ts';

/** What a historical indicator measures. */
export type IndicatorKind =
  | 'avg_volume'
  | 'max_price'
  | 'min_price'
  | 'avg_range'
  | 'atr'
  | 'avg_close'
  | 'prev_close';

/** A parsed indicator name. */
export interface IndicatorSpec {
  readonly kind: IndicatorKind;
  /** N of `<kind>_<N>d`; null for `prev_close`. */
  readonly days: number | null;
  /** The canonical name, e.g. `atr_14d`. */
  readonly name: string;
}

/** An indicator's value over a symbol's daily bars. */
export interface IndicatorValue {
  readonly name: string;
  /** Null when fewer days than needed are held. */
  readonly value: number | null;
  /** False when fewer days than needed are held. */
  readonly valid: boolean;
}

/** Thrown when an indicator name is malformed or asks for more history than a symbol holds. */
export class IndicatorError extends Error {
  /** Stable error code for API clients. */
  readonly code = 'INVALID_INDICATOR';

  constructor(message: string) {
    super(message);
    this.name = 'IndicatorError';
  }
}

const PREV_CLOSE = 'prev_close';

/** `<kind>_<N>d`, N a positive integer without sign or leading zeros. */
const INDICATOR_PATTERN = /^(avg_volume|max_price|min_price|avg_range|atr|avg_close)_([1-9][0-9]*)d$/;

/**
 * Parses an indicator name: `<kind>_<N>d` with kind one of avg_volume, max_price, min_price, avg_range,
 * atr, avg_close and N a positive integer; or `prev_close` (no N).
 *
 * @throws IndicatorError when the name is not one of those forms.
 */
export function parseIndicatorName(name: string): IndicatorSpec {
  if (name === PREV_CLOSE) return { kind: PREV_CLOSE, days: null, name };
  const match = INDICATOR_PATTERN.exec(name);
  const kind = match?.[1] as Exclude<IndicatorKind, 'prev_close'> | undefined;
  const days = Number(match?.[2]);
  if (kind === undefined || !Number.isSafeInteger(days)) {
    throw new IndicatorError(
      `Invalid indicator ${JSON.stringify(name)}: expected <kind>_<N>d with kind one of avg_volume, ` +
        'max_price, min_price, avg_range, atr, avg_close and N a positive integer (e.g. atr_14d), or prev_close',
    );
  }
  return { kind, days, name };
}

/**
 * Number of daily bars an indicator needs: N, except `atr_N` which needs N + 1 (each true range uses
 * the previous day's close) and `prev_close` which needs 1.
 */
export function requiredDays(spec: IndicatorSpec): number {
  if (spec.days === null) return 1;
  return spec.kind === 'atr' ? spec.days + 1 : spec.days;
}

/**
 * Computes an indicator over daily bars (ascending by date), using the last N of them:
 * avg_volume = mean volume, max_price = highest high, min_price = lowest low, avg_range = mean of
 * (high − low), avg_close = mean close, atr = mean true range, where the true range of a day is
 * max(high − low, |high − previous close|, |low − previous close|); prev_close = the last day's close.
 * `valid` is false and `value` null when fewer bars than {@link requiredDays} are given.
 */
export function computeIndicator(spec: IndicatorSpec, dailyBars: readonly BarValues[]): IndicatorValue {
  const needed = requiredDays(spec);
  if (dailyBars.length < needed) return { name: spec.name, value: null, valid: false };
  const lastDays = dailyBars.slice(dailyBars.length - (spec.days ?? 1));
  return { name: spec.name, value: indicatorValue(spec.kind, lastDays, dailyBars), valid: true };
}

/** The value over `lastDays` (the last N bars of `allDays`); `allDays` supplies atr's previous closes. */
function indicatorValue(
  kind: IndicatorKind,
  lastDays: readonly BarValues[],
  allDays: readonly BarValues[],
): number {
  switch (kind) {
    case 'avg_volume':
      return mean(lastDays.map((bar) => bar.volume));
    case 'max_price':
      return lastDays.reduce((highest, bar) => Math.max(highest, bar.high), Number.NEGATIVE_INFINITY);
    case 'min_price':
      return lastDays.reduce((lowest, bar) => Math.min(lowest, bar.low), Number.POSITIVE_INFINITY);
    case 'avg_range':
      return mean(lastDays.map((bar) => bar.high - bar.low));
    case 'avg_close':
      return mean(lastDays.map((bar) => bar.close));
    case 'atr': {
      const offset = allDays.length - lastDays.length;
      return mean(lastDays.map((bar, i) => trueRange(bar, allDays[offset + i - 1]!.close)));
    }
    case 'prev_close':
      return lastDays.at(-1)!.close;
  }
}

/** max(high − low, |high − previous close|, |low − previous close|). */
function trueRange(bar: BarValues, previousClose: number): number {
  return Math.max(bar.high - bar.low, Math.abs(bar.high - previousClose), Math.abs(bar.low - previousClose));
}

/** Arithmetic mean, summed in order. */
function mean(values: readonly number[]): number {
  let sum = 0;
  for (const value of values) sum += value;
  return sum / values.length;
}

/**
 * Parses and checks a symbol's indicator names against the trading days of history it holds.
 * Rule: an indicator is allowed when it can ever be valid, i.e. {@link requiredDays} ≤ historicalDays:
 * `<kind>_<N>d` needs N ≤ historicalDays, `atr_N` needs N + 1 ≤ historicalDays, `prev_close` needs
 * historicalDays ≥ 1. Returns the canonical names, duplicates removed, in first-seen order.
 *
 * @throws IndicatorError naming the first offending indicator.
 */
export function validateIndicatorNames(names: readonly string[], historicalDays: number): string[] {
  const canonical = new Set<string>();
  for (const name of names) {
    const spec = parseIndicatorName(name);
    const needed = requiredDays(spec);
    if (needed > historicalDays) {
      const why =
        spec.kind === 'atr' ? ' (atr_N needs N + 1 days: each true range uses the previous close)' : '';
      throw new IndicatorError(
        `Indicator ${JSON.stringify(name)} needs ${needed} trading days of history${why}, ` +
          `but historicalDays is ${historicalDays}`,
      );
    }
    canonical.add(spec.name);
  }
  return [...canonical];
}
