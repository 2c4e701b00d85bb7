import type { TimeWindow } from './calendar.ts';
import { canonicalIntervalName } from './intervals.ts';
import type { BarValues, Instant, RejectionCode } from './types.ts';

/** Why a single input item (bar, quote, tick) is refused: a stable code and a human-readable message. */
export interface ValidationFailure {
  readonly code: RejectionCode;
  readonly message: string;
}

/** Valid symbols after trimming and upper-casing: a letter, then up to 15 letters, digits, `.` or `-`. */
const SYMBOL_PATTERN = /^[A-Z][A-Z0-9.-]{0,15}$/;

const PRICE_FIELDS = ['open', 'high', 'low', 'close'] as const;

/** The largest trade count of one bar: 2³¹ − 1 (a GraphQL Int, a PostgreSQL integer). */
export const MAX_TRADE_COUNT = 2_147_483_647;

/** Whether a number is a valid trade count of one bar. */
export function isTradeCount(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= MAX_TRADE_COUNT;
}

/**
 * Checks a bar's values; returns the first failure found, or null when the bar is valid.
 *
 * Rules, in the order they are checked:
 * - `INVALID_NUMBER`: open, high, low, close and volume are finite numbers; vwap, when given, is a finite
 *   number > 0; tradeCount, when given, is an integer from 0 to {@link MAX_TRADE_COUNT} (GraphQL's
 *   Int and the store's integer column); volume ≥ 0.
 * - `INVALID_OHLC`: low > 0, low ≤ min(open, close), high ≥ max(open, close).
 *
 * vwap may lie outside [low, high]: vendors compute it differently (e.g. over extended hours or with
 * odd lots), so it is not checked against the price range.
 */
export function validateBarValues(input: BarValues): ValidationFailure | null {
  for (const field of [...PRICE_FIELDS, 'volume'] as const) {
    const value = input[field];
    if (!Number.isFinite(value)) return invalidNumber(`${field} must be a finite number, got ${value}`);
  }
  if (input.vwap !== null && !(Number.isFinite(input.vwap) && input.vwap > 0)) {
    return invalidNumber(`vwap must be a finite number > 0 when given, got ${input.vwap}`);
  }
  if (input.tradeCount !== null && !isTradeCount(input.tradeCount)) {
    return invalidNumber(
      `tradeCount must be an integer from 0 to ${MAX_TRADE_COUNT} when given, got ${input.tradeCount}`,
    );
  }
  if (input.volume < 0) return invalidNumber(`volume must be ≥ 0, got ${input.volume}`);

  const { open, high, low, close } = input;
  if (!(low > 0)) return invalidOhlc(`low must be > 0, got ${low}`);
  if (low > Math.min(open, close)) {
    return invalidOhlc(`low ${low} must be ≤ min(open ${open}, close ${close})`);
  }
  if (high < Math.max(open, close)) {
    return invalidOhlc(`high ${high} must be ≥ max(open ${open}, close ${close})`);
  }
  return null;
}

/**
 * Checks where a base bar starting at `ts` falls in the symbol's session window; returns the failure,
 * or null when the bar is placed correctly.
 *
 * Rules, in the order they are checked:
 * - `MISALIGNED`: ts is not an integer number of milliseconds;
 * - `OUTSIDE_SESSION`: ts < window.start or ts ≥ window.end;
 * - `MISALIGNED`: (ts − window.start) is not a multiple of `baseMs`;
 * - `OUTSIDE_SESSION`: the bar would end after the window (ts + baseMs > window.end).
 */
export function validateBarPlacement(
  ts: Instant,
  baseMs: number,
  window: TimeWindow,
): ValidationFailure | null {
  const base = canonicalIntervalName(baseMs);
  if (!Number.isInteger(ts)) {
    return {
      code: 'MISALIGNED',
      message: `Bar time ${ts} (${formatInstant(ts)}) is not a whole number of milliseconds`,
    };
  }
  const session = `${formatInstant(window.start)}–${formatInstant(window.end)}`;
  if (ts < window.start || ts >= window.end) {
    return {
      code: 'OUTSIDE_SESSION',
      message: `Bar at ${formatInstant(ts)} is outside the session window ${session}`,
    };
  }
  if ((ts - window.start) % baseMs !== 0) {
    return {
      code: 'MISALIGNED',
      message: `Bar at ${formatInstant(ts)} is not aligned to the ${base} base interval (bars start every ${base} from ${formatInstant(window.start)})`,
    };
  }
  if (ts + baseMs > window.end) {
    return {
      code: 'OUTSIDE_SESSION',
      message: `Bar at ${formatInstant(ts)} (${base}) ends after the session window ${session}`,
    };
  }
  return null;
}

/**
 * Checks a base bar in full: {@link validateBarValues}, then {@link validateBarPlacement}; returns the
 * first failure, or null when the bar is accepted. A quick check that accepts exactly what both
 * accept runs first, so a valid bar (the usual case) builds no message.
 */
export function validateBar(
  input: BarValues & { readonly ts: Instant },
  baseMs: number,
  window: TimeWindow,
): ValidationFailure | null {
  if (isPlainValidBar(input, baseMs, window)) return null;
  return validateBarValues(input) ?? validateBarPlacement(input.ts, baseMs, window);
}

/**
 * True when a bar passes every rule of {@link validateBarValues} and {@link validateBarPlacement} (the
 * same conditions, without building messages). False means: ask those functions for the failure.
 */
export function isPlainValidBar(
  input: BarValues & { readonly ts: Instant },
  baseMs: number,
  window: TimeWindow,
): boolean {
  const { open, high, low, close, volume, vwap, tradeCount, ts } = input;
  return (
    Number.isFinite(open) &&
    Number.isFinite(high) &&
    Number.isFinite(low) &&
    Number.isFinite(close) &&
    Number.isFinite(volume) &&
    volume >= 0 &&
    (vwap === null || (Number.isFinite(vwap) && vwap > 0)) &&
    (tradeCount === null || isTradeCount(tradeCount)) &&
    low > 0 &&
    low <= open &&
    low <= close &&
    high >= open &&
    high >= close &&
    Number.isInteger(ts) &&
    ts >= window.start &&
    ts + baseMs <= window.end &&
    (ts - window.start) % baseMs === 0
  );
}

/**
 * Normalises a ticker symbol: trims and upper-cases it. Returns null when the result is not a valid
 * symbol (a letter, then up to 15 letters, digits, `.` or `-`, e.g. `BRK.B`, `BF-B`); the caller then
 * rejects the item with `INVALID_SYMBOL`.
 */
export function normaliseSymbol(raw: string): string | null {
  const symbol = raw.trim().toUpperCase();
  return SYMBOL_PATTERN.test(symbol) ? symbol : null;
}

function invalidNumber(message: string): ValidationFailure {
  return { code: 'INVALID_NUMBER', message };
}

function invalidOhlc(message: string): ValidationFailure {
  return { code: 'INVALID_OHLC', message };
}

function formatInstant(ts: Instant): string {
  const date = new Date(ts);
  return Number.isNaN(date.getTime()) ? String(ts) : date.toISOString();
}
