/**
 * How a symbol is loaded: the settings a caller gives (`SymbolSettingsInput`), their defaults and
 * validation (`resolveSettings`), and the resolved `SymbolSettings` the tree holds and the store
 * keeps per symbol.
 */
import { normaliseSymbol } from './bar-validation.ts';
import { ServiceError } from './errors.ts';
import { validateIndicatorNames } from './indicators.ts';
import { resolveIntervals } from './intervals.ts';

/** How a symbol is loaded (the persisted configuration of one symbol). */
export interface SymbolSettings {
  readonly symbol: string;
  /** `1s` or `1m`. */
  readonly baseInterval: string;
  /** Canonical derived interval names, ascending. */
  readonly derivedIntervals: readonly string[];
  /** Trading days of history held in memory. */
  readonly historicalDays: number;
  /** Whether the session window is the extended session. */
  readonly extendedHours: boolean;
  /** Canonical indicator names. */
  readonly indicators: readonly string[];
  /** Where the base bars come from: streamed bars, or built from trades. */
  readonly source: BarSource;
  /** The feed the symbol's data comes from (`api`: data pushed through the API). */
  readonly feed: string;
}

/** Where a symbol's base bars come from. */
export type BarSource = 'BARS' | 'TRADES';

/** The feed of a symbol loaded without one: data pushed through the API. */
export const DEFAULT_FEED = 'api';

/** A feed name: a letter or digit, then up to 31 letters, digits, `.`, `_` or `-`. */
const FEED_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/;

/** Whether a string is a valid feed name. */
export function isFeedName(feed: string): boolean {
  return FEED_PATTERN.test(feed);
}

/** The settings a caller gives to load a symbol; missing fields take the contract defaults. */
export interface SymbolSettingsInput {
  readonly symbol: string;
  readonly baseInterval?: string;
  readonly derivedIntervals?: readonly string[];
  readonly historicalDays?: number;
  readonly extendedHours?: boolean;
  readonly indicators?: readonly string[];
  /** Default BARS. */
  readonly source?: BarSource;
  /** Default `api`. */
  readonly feed?: string;
}

/** Largest accepted `historicalDays`. */
export const MAX_HISTORICAL_DAYS = 260;

/**
 * Applies the contract defaults (base `1m`, derived `5m` and `15m`, 2 historical days, regular
 * hours, no indicators, source BARS, feed `api`) and validates a symbol's settings into their canonical form.
 * @throws ServiceError BAD_USER_INPUT (symbol, historicalDays, source, feed), INVALID_INTERVAL, INVALID_INDICATOR
 */
export function resolveSettings(input: SymbolSettingsInput): SymbolSettings {
  const symbol = normaliseSymbol(input.symbol);
  if (symbol === null) throw new ServiceError('BAD_USER_INPUT', `"${input.symbol}" is not a valid symbol`);
  const historicalDays = input.historicalDays ?? 2;
  if (!Number.isInteger(historicalDays) || historicalDays < 0 || historicalDays > MAX_HISTORICAL_DAYS) {
    throw new ServiceError(
      'BAD_USER_INPUT',
      `historicalDays must be an integer from 0 to ${MAX_HISTORICAL_DAYS}`,
    );
  }
  let intervals: ReturnType<typeof resolveIntervals>;
  try {
    intervals = resolveIntervals(input.baseInterval ?? '1m', input.derivedIntervals ?? ['5m', '15m']);
  } catch (error) {
    throw new ServiceError('INVALID_INTERVAL', (error as Error).message);
  }
  let indicators: string[];
  try {
    indicators = validateIndicatorNames(input.indicators ?? [], historicalDays);
  } catch (error) {
    throw new ServiceError('INVALID_INDICATOR', (error as Error).message);
  }
  const source = input.source ?? 'BARS';
  if (source !== 'BARS' && source !== 'TRADES') {
    throw new ServiceError('BAD_USER_INPUT', `source must be BARS or TRADES, got ${JSON.stringify(source)}`);
  }
  const feed = input.feed ?? DEFAULT_FEED;
  if (!isFeedName(feed)) {
    throw new ServiceError(
      'BAD_USER_INPUT',
      `feed ${JSON.stringify(feed)} is not a feed name (a letter or digit, then up to 31 letters, digits, ".", "_" or "-")`,
    );
  }
  return {
    symbol,
    baseInterval: intervals.base.name,
    derivedIntervals: intervals.derived.map((d) => d.name),
    historicalDays,
    extendedHours: input.extendedHours ?? false,
    indicators,
    source,
    feed,
  };
}

/** Whether two resolved settings are the same (a load with the same settings changes nothing). */
export function sameSettings(a: SymbolSettings, b: SymbolSettings): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
