/** Milliseconds since the Unix epoch, UTC. Every instant inside the service is one of these. */
export type Instant = number;

/** Exchange-local calendar date (America/New_York) written `YYYY-MM-DD`. */
export type IsoDate = string;

/** The price and size fields every bar carries. */
export interface BarValues {
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
  /** Volume-weighted average price; null when the source does not provide it. */
  readonly vwap: number | null;
  /** Number of trades; null when the source does not provide it. */
  readonly tradeCount: number | null;
}

/** A base bar as stored: its start instant plus its values and revision. */
export interface StoredBar extends BarValues {
  /** Start of the bar's interval. */
  readonly ts: Instant;
  /** 0 when first written; +1 for each correction. */
  readonly revision: number;
}

/** A bar as read from the session tree (base or derived). */
export interface Bar extends StoredBar {
  /** End of the bar's interval (exclusive). */
  readonly endTs: Instant;
  /** False while the bar's window is still open. */
  readonly complete: boolean;
  /** How many base bars it was built from (1 for a base bar). */
  readonly baseBars: number;
}

/** A base bar as it arrives from a feed or a mutation. */
export interface BarInput extends BarValues {
  readonly symbol: string;
  readonly ts: Instant;
}

/** A top-of-book quote. */
export interface Quote {
  readonly ts: Instant;
  readonly bid: number;
  readonly bidSize: number;
  readonly ask: number;
  readonly askSize: number;
}

/**
 * What the store holds of one symbol's quotes (or ticks) of one session date, for a restore: the
 * latest items (ascending arrival order, at most what the in-memory buffer keeps), how many there
 * are, and the arrival number (`seq`) the next one takes.
 */
export interface StoredMarketData<T> {
  readonly items: readonly T[];
  readonly count: number;
  readonly next: number;
}

/** The key of a stored quote or tick: symbol, session date and arrival number within them. */
export interface MarketDataKey {
  readonly symbol: string;
  readonly sessionDate: IsoDate;
  /** 0, 1, … in the order the tree accepted the symbol's quotes (or ticks) of that date. */
  readonly seq: number;
}

/** A quote as it arrives, with its symbol. */
export interface QuoteInput extends Quote {
  readonly symbol: string;
}

/**
 * A trade print. The venue fields are optional (a plain tick has none); a TRADES symbol builds its
 * bars from them (src/session/README.md "Bars from trades").
 */
export interface Tick {
  readonly ts: Instant;
  readonly price: number;
  readonly size: number;
  /** The venue's trade id, unique per symbol and day. */
  readonly id?: string | null;
  /** The exchange (venue) code as the source writes it. */
  readonly exchange?: string | null;
  /** Sale conditions: CTA/UTP letters or Polygon's numeric ids (src/domain/trade-conditions.ts). */
  readonly conditions?: readonly string[] | null;
  /** The tape: A, B, C (CTA/UTP) or Polygon's 1, 2, 3. */
  readonly tape?: string | null;
  /** A correction: the id of the earlier trade this print replaces. */
  readonly replaces?: string | null;
  /** A cancel: the id of the earlier trade it cancels (the print itself is not a trade). */
  readonly cancels?: string | null;
}

/** A tick as it arrives, with its symbol. */
export interface TickInput extends Tick {
  readonly symbol: string;
}

/** A maximal run of consecutive closed windows holding no base bar. */
export interface Gap {
  /** Start of the first missing window. */
  readonly start: Instant;
  /** End of the last missing window (exclusive). */
  readonly end: Instant;
  /** How many windows of the interval are missing. */
  readonly missingBars: number;
  /** Why (src/domain/feed-health.ts); absent where no feed is known: NO_DATA. */
  readonly cause?: 'FEED_OUTAGE' | 'NO_DATA';
}

/** Stable codes of per-item ingest rejections. */
export type RejectionCode =
  | 'NO_SESSION'
  | 'NOT_LOADED'
  | 'OUTSIDE_SESSION'
  | 'MISALIGNED'
  | 'INVALID_OHLC'
  | 'INVALID_NUMBER'
  | 'INVALID_SYMBOL'
  | 'BATCH_TOO_LARGE'
  | 'STORE_UNAVAILABLE'
  /** Bars sent for a symbol that builds its bars from trades (source TRADES). */
  | 'TRADES_SOURCE'
  /** A trade message that is malformed as such (both replaces and cancels, an empty id, …). */
  | 'INVALID_TRADE'
  /** A correction or cancel of an id never seen for the symbol and date. */
  | 'UNKNOWN_TRADE'
  /** A correction of a trade already cancelled or replaced. */
  | 'TRADE_CANCELLED'
  /** What needs a window whose trades were (partly) dropped from the bounded trade book. */
  | 'TRADE_NOT_KEPT'
  /** A cancel that would leave a window that has a bar without any price (bars are never removed). */
  | 'BAR_WOULD_VANISH';

/** Why one item of an ingest batch was refused. */
export interface Rejection {
  /** Position of the item in the input list. */
  readonly index: number;
  readonly code: RejectionCode;
  readonly message: string;
}

/** Outcome of an ingest batch: the count of accepted items and one rejection per refused item. */
export interface IngestResult {
  readonly accepted: number;
  readonly rejected: readonly Rejection[];
}

/** How the session clock moves. */
export type ClockMode = 'LIVE' | 'REPLAY' | 'MANUAL';

/** Where the session clock stands relative to the exchange day. */
export type SessionPhase = 'CLOSED' | 'PRE_MARKET' | 'REGULAR' | 'POST_MARKET';

/** One (symbol, base interval, session date) whose stored base bars are wanted. */
export interface SessionBarsKey {
  readonly symbol: string;
  /** Canonical base interval name (`1s`, `1m`). */
  readonly interval: string;
  readonly date: IsoDate;
}

/** The session state kept in the store (one per database), so a restarted server rebuilds the same tree. */
export interface PersistedSessionState {
  readonly date: IsoDate;
  readonly clockMode: ClockMode;
  readonly active: boolean;
  /** The session clock when last saved (covers advanceClock and the replay position); null when not started. */
  readonly clock: Instant | null;
  /** Market time per wall time of a REPLAY session (null or absent otherwise). */
  readonly replaySpeed?: number | null;
}
