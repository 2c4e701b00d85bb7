// API outline; implementation pending (see issue 2).
import type { Instant, IsoDate } from './types.ts';

/** The exchange calendar for one date. Instants are null on a non-trading day. */
export interface TradingDayInfo {
  readonly date: IsoDate;
  readonly isTradingDay: boolean;
  readonly isEarlyClose: boolean;
  /** Holiday or closure name when the exchange is closed on a weekday. */
  readonly holiday: string | null;
  readonly regularOpen: Instant | null;
  readonly regularClose: Instant | null;
  readonly extendedOpen: Instant | null;
  readonly extendedClose: Instant | null;
}

/** A half-open time range [start, end). */
export interface TimeWindow {
  readonly start: Instant;
  readonly end: Instant;
}
