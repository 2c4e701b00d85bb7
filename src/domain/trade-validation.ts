/**
 * Validation of the trade messages of a TRADES symbol, item by item like bars: the first failure
 * with its stable code, or null when the item is accepted.
 */
import type { ValidationFailure } from './bar-validation.ts';
import type { TimeWindow } from './calendar.ts';
import type { Tick } from './types.ts';

/** At most this many condition codes per trade, each of 1–8 characters. */
export const MAX_CONDITIONS = 16;
const MAX_CODE_LENGTH = 8;
/** Longest trade id (and `replaces` / `cancels`). */
export const MAX_TRADE_ID_LENGTH = 64;
const MAX_TAG_LENGTH = 8;

/**
 * Checks a trade message of `symbol` (normalised) against its session window.
 *
 * Rules, in the order they are checked:
 * - `INVALID_NUMBER`: price is a finite number > 0, size a finite number > 0 (not for a cancel), ts a
 *   finite instant;
 * - `OUTSIDE_SESSION`: window.start ≤ ts < window.end (the session window on the session date);
 * - `INVALID_TRADE`: `id`, `replaces` and `cancels`, when given, are 1–64 characters; not both
 *   `replaces` and `cancels`; a correction's id differs from the one it replaces; at most 16
 *   conditions of 1–8 characters; `exchange` and `tape` at most 8 characters.
 *
 * A cancel (`cancels`) uses nothing but its id and ts: its price and size (a cancel may repeat the
 * cancelled print's, as Alpaca's do, or send 0) are not checked.
 */
export function validateTrade(trade: Tick, symbol: string, window: TimeWindow): ValidationFailure | null {
  if (trade.cancels == null) {
    if (!Number.isFinite(trade.price) || trade.price <= 0)
      return invalid('INVALID_NUMBER', 'price must be a finite number > 0');
    if (!Number.isFinite(trade.size) || trade.size <= 0)
      return invalid('INVALID_NUMBER', 'size must be a finite number > 0');
  }
  if (!Number.isFinite(trade.ts)) return invalid('INVALID_NUMBER', 'ts must be a valid instant');
  if (trade.ts < window.start || trade.ts >= window.end) {
    return invalid(
      'OUTSIDE_SESSION',
      `${new Date(trade.ts).toISOString()} is outside ${symbol}'s session window`,
    );
  }
  if (badId(trade.id) || badId(trade.replaces) || badId(trade.cancels)) {
    return invalid(
      'INVALID_TRADE',
      `id, replaces and cancels must be 1 to ${MAX_TRADE_ID_LENGTH} characters`,
    );
  }
  if (trade.replaces != null && trade.cancels != null) {
    return invalid('INVALID_TRADE', 'a trade message either replaces or cancels an earlier trade, not both');
  }
  if (trade.replaces != null && trade.replaces === trade.id) {
    return invalid('INVALID_TRADE', 'a correction needs an id of its own, not the id it replaces');
  }
  const conditions = trade.conditions;
  if (conditions != null) {
    if (conditions.length > MAX_CONDITIONS)
      return invalid('INVALID_TRADE', `at most ${MAX_CONDITIONS} conditions`);
    for (let i = 0; i < conditions.length; i++) {
      const code = conditions[i]!;
      if (code.length === 0 || code.length > MAX_CODE_LENGTH) {
        return invalid('INVALID_TRADE', `a condition code is 1 to ${MAX_CODE_LENGTH} characters`);
      }
    }
  }
  if (badTag(trade.exchange) || badTag(trade.tape)) {
    return invalid('INVALID_TRADE', `exchange and tape are at most ${MAX_TAG_LENGTH} characters`);
  }
  return null;
}

function badId(value: string | null | undefined): boolean {
  return value != null && (value.length === 0 || value.length > MAX_TRADE_ID_LENGTH);
}

function badTag(value: string | null | undefined): boolean {
  return value != null && value.length > MAX_TAG_LENGTH;
}

function invalid(code: ValidationFailure['code'], message: string): ValidationFailure {
  return { code, message };
}
