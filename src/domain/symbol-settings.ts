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
}

/** The settings a caller gives to load a symbol; missing fields take the contract defaults. */
export interface SymbolSettingsInput {
  readonly symbol: string;
  readonly baseInterval?: string;
  readonly derivedIntervals?: readonly string[];
  readonly historicalDays?: number;
  readonly extendedHours?: boolean;
  readonly indicators?: readonly string[];
}

/** Largest accepted `historicalDays`. */
export const MAX_HISTORICAL_DAYS = 260;

/**
 * Applies the contract defaults (base `1m`, derived `5m` and `15m`, 2 historical days, regular
 * hours, no indicators) and validates a symbol's settings into their canonical form.
 * @throws ServiceError BAD_USER_INPUT (symbol, historicalDays), INVALID_INTERVAL, INVALID_INDICATOR
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
  return {
    symbol,
    baseInterval: intervals.base.name,
    derivedIntervals: intervals.derived.map((d) => d.name),
    historicalDays,
    extendedHours: input.extendedHours ?? false,
    indicators,
  };
}

/** Whether two resolved settings are the same (a load with the same settings changes nothing). */
export function sameSettings(a: SymbolSettings, b: SymbolSettings): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
