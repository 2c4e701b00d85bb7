/**
 * The live feed interface every provider adapter implements (src/feed/live/README.md).
 *
 * A feed connects, follows the symbols it is told to follow (each with the channels it needs),
 * and hands everything it receives to a `FeedSink` passed in by its owner: bars, trades, trade
 * corrections and cancels, quotes, trading statuses and its own connection status. The sink is
 * where the owner applies data through the same ingest path and validation as the API; a feed
 * never touches the session tree.
 *
 * Arrays given to the sink belong to the feed and are reused once the call returns: a sink keeps
 * the items (which are never mutated), not the arrays.
 */
import type { BarInput, Instant, QuoteInput } from '../../domain/types.ts';

/** What a followed symbol needs from the stream. */
export interface FeedChannels {
  /** Minute (or second) bars and their corrections: a `BARS` symbol. */
  readonly bars: boolean;
  /** Trades with their corrections and cancels: a `TRADES` symbol. */
  readonly trades: boolean;
  /** Top-of-book quotes. */
  readonly quotes: boolean;
}

/** One symbol to follow. */
export interface FeedSubscription {
  readonly symbol: string;
  /** `1m` or `1s`: the bar size a `bars` subscription streams. */
  readonly baseInterval: string;
  readonly channels: FeedChannels;
}

/** A bar as a feed delivers it (the API's bar input). */
export type FeedBar = BarInput;

/** Where a bar came from. */
export type FeedBarKind = 'STREAMED' | 'UPDATED' | 'BACKFILL';

/** A trade print with what the venue says about it. */
export interface FeedTrade {
  readonly symbol: string;
  readonly ts: Instant;
  readonly price: number;
  readonly size: number;
  /** The venue's trade id (unique per symbol and day), as text. */
  readonly id: string | null;
  /** Exchange code (Alpaca's letter, or Polygon's numeric id as text). */
  readonly exchange: string | null;
  /** Sale conditions as the provider writes them (CTA/UTP letters, or Polygon's numeric ids as text). */
  readonly conditions: readonly string[];
  /** Tape: Alpaca's A, B, C; Polygon's 1, 2, 3 (which mark its conditions as Polygon ids). */
  readonly tape: string | null;
}

/** A correction of an earlier trade: the original is replaced by the corrected print. */
export interface FeedTradeCorrection {
  readonly symbol: string;
  readonly ts: Instant;
  readonly originalId: string;
  readonly corrected: FeedTrade;
}

/** A cancel (or error) of an earlier trade. */
export interface FeedTradeCancel {
  readonly symbol: string;
  readonly ts: Instant;
  readonly id: string;
  /** The cancelled print's price and size, as the provider repeats them (null when it does not). */
  readonly price: number | null;
  readonly size: number | null;
  readonly exchange: string | null;
  readonly tape: string | null;
  /** `C` cancel or `E` error (Alpaca's `a`). */
  readonly action: string;
}

/** A quote as a feed delivers it (the API's quote input). */
export type FeedQuote = QuoteInput;

/** A trading status of a symbol (halts, resumptions): information, not an outage. */
export interface FeedTradingStatus {
  readonly symbol: string;
  readonly ts: Instant;
  readonly code: string;
  readonly message: string;
  readonly reasonCode: string;
  readonly reasonMessage: string;
}

/** Connection state of a feed. */
export type FeedState = 'IDLE' | 'CONNECTING' | 'UP' | 'DOWN' | 'STOPPED';

/** A change of a feed's connection status. */
export interface FeedStatusChange {
  /** The feed's name (`alpaca`, `polygon`). */
  readonly feed: string;
  /** `UP` once authenticated and subscribed; `DOWN` from the instant the connection was lost. */
  readonly status: 'UP' | 'DOWN';
  /** When it happened (the feed's clock). For a dead connection found by the read time-out: the last frame. */
  readonly at: Instant;
  /** Why, in words a person can act on (never a key). */
  readonly reason: string;
  /** The provider's error code, when one was given. */
  readonly code?: number | string;
  /** True when the feed stopped for good (bad keys, no entitlement): it will not reconnect. */
  readonly fatal?: boolean;
}

/** A problem that changes no status (a rejected subscription, a malformed frame). */
export interface FeedProblem {
  readonly feed: string;
  readonly at: Instant;
  readonly message: string;
  readonly code?: number | string;
}

/** Where a feed delivers what it receives. Every method is called synchronously, in arrival order. */
export interface FeedSink {
  bars(bars: readonly FeedBar[], kind: FeedBarKind): void;
  trades(trades: readonly FeedTrade[]): void;
  corrections(corrections: readonly FeedTradeCorrection[]): void;
  cancels(cancels: readonly FeedTradeCancel[]): void;
  quotes(quotes: readonly FeedQuote[]): void;
  tradingStatuses(statuses: readonly FeedTradingStatus[]): void;
  status(change: FeedStatusChange): void;
  problem(problem: FeedProblem): void;
}

/** Bars (or, for `TRADES` symbols, trades) to fetch from the provider's history. */
export interface BackfillRequest {
  /** `BARS` (default) or `TRADES`: trades are delivered through `trades` (the tree keeps one per id). */
  readonly data?: 'BARS' | 'TRADES';
  readonly symbols: readonly string[];
  /** `1m` or `1s`. */
  readonly baseInterval: string;
  /** First bar start wanted (inclusive). */
  readonly from: Instant;
  /** Bars starting before this instant. */
  readonly to: Instant;
}

/** What a backfill did. */
export interface BackfillResult {
  readonly bars: number;
  readonly trades: number;
  readonly requests: number;
  /** Symbols whose history could not be read (after retries), with the reason. */
  readonly failed: readonly { readonly symbol: string; readonly reason: string }[];
}

/** A live data source. */
export interface LiveFeed {
  /** The feed's name, as `Symbol.feed` and `Session.feeds` show it. */
  readonly name: string;
  /** Where the connection stands. */
  readonly state: FeedState;
  /** Opens the connection; resolves once authenticated, rejects when the provider refuses for good. */
  connect(): Promise<void>;
  /** Follows symbols (adds to, or changes the channels of, what is followed). */
  follow(subscriptions: readonly FeedSubscription[]): void;
  /** Stops following symbols. */
  unfollow(symbols: readonly string[]): void;
  /** The symbols followed now, with their channels. */
  following(): readonly FeedSubscription[];
  /** Fetches bars (as `BACKFILL`) or trades from the provider's history and delivers them to the sink. */
  backfill(request: BackfillRequest): Promise<BackfillResult>;
  /** Closes the connection for good. */
  close(): Promise<void>;
}
