/**
 * Validation of quotes and trade prints, item by item like bars (`bar-validation.ts`): each check
 * returns the first failure with its stable code, or null when the item is accepted.
 */
import type { ValidationFailure } from './bar-validation.ts';
import type { TimeWindow } from './calendar.ts';
import type { Instant, Quote, Tick } from './types.ts';

/**
 * Checks a quote of `symbol` (normalised) against its session window.
 *
 * Rules, in the order they are checked:
 * - `INVALID_NUMBER`: bid and ask are finite numbers > 0; bidSize and askSize finite numbers ≥ 0;
 *   ts is a finite instant;
 * - `OUTSIDE_SESSION`: window.start ≤ ts < window.end.
 */
export function validateQuote(quote: Quote, symbol: string, window: TimeWindow): ValidationFailure | null {
  for (const [name, value] of [
    ['bid', quote.bid],
    ['ask', quote.ask],
  ] as const) {
    if (!Number.isFinite(value) || value <= 0) return invalidNumber(`${name} must be a finite number > 0`);
  }
  for (const [name, value] of [
    ['bidSize', quote.bidSize],
    ['askSize', quote.askSize],
  ] as const) {
    if (!Number.isFinite(value) || value < 0) return invalidNumber(`${name} must be a finite number ≥ 0`);
  }
  return validateMarketDataTime(quote.ts, symbol, window);
}

/**
 * Checks a trade print of `symbol` (normalised) against its session window.
 *
 * Rules, in the order they are checked:
 * - `INVALID_NUMBER`: price is a finite number > 0; size a finite number ≥ 0; ts a finite instant;
 * - `OUTSIDE_SESSION`: window.start ≤ ts < window.end.
 */
export function validateTick(tick: Tick, symbol: string, window: TimeWindow): ValidationFailure | null {
  if (!Number.isFinite(tick.price) || tick.price <= 0)
    return invalidNumber('price must be a finite number > 0');
  if (!Number.isFinite(tick.size) || tick.size < 0) return invalidNumber('size must be a finite number ≥ 0');
  return validateMarketDataTime(tick.ts, symbol, window);
}

function validateMarketDataTime(ts: Instant, symbol: string, window: TimeWindow): ValidationFailure | null {
  if (!Number.isFinite(ts)) return invalidNumber('ts must be a valid instant');
  if (ts < window.start || ts >= window.end) {
    return {
      code: 'OUTSIDE_SESSION',
      message: `${new Date(ts).toISOString()} is outside ${symbol}'s session window`,
    };
  }
  return null;
}

function invalidNumber(message: string): ValidationFailure {
  return { code: 'INVALID_NUMBER', message };
}
