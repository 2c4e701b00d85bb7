/**
 * Gathers what a stream delivers over consecutive frames into larger batches before it reaches the
 * owner's sink: the tree applies a batch per symbol and window at once, so a few thousand trades in
 * one call cost far less than a few per call. A batch is flushed on the next turn of the event loop
 * (`setImmediate`: after the frames already read from the socket), at `maxItems`, and before
 * anything else is delivered (a status change, a problem, a backfill), so nothing waits for more
 * data and the order that matters is kept: within a kind, arrival order; across kinds, streamed
 * bars before updated bars, trades before their corrections and cancels.
 */
import type {
  FeedBar,
  FeedBarKind,
  FeedProblem,
  FeedQuote,
  FeedSink,
  FeedStatusChange,
  FeedTrade,
  FeedTradeCancel,
  FeedTradeCorrection,
  FeedTradingStatus,
} from './types.ts';

/** Most items held before a flush (default 20,000). */
const DEFAULT_MAX_ITEMS = 20_000;

/** A sink in front of another that batches data across frames. */
export class BatchingSink implements FeedSink {
  private streamed: FeedBar[] = [];
  private updated: FeedBar[] = [];
  private trades_: FeedTrade[] = [];
  private corrections_: FeedTradeCorrection[] = [];
  private cancels_: FeedTradeCancel[] = [];
  private quotes_: FeedQuote[] = [];
  private held = 0;
  private scheduled: NodeJS.Immediate | null = null;
  private readonly maxItems: number;

  constructor(
    private readonly inner: FeedSink,
    options: { readonly maxItems?: number } = {},
  ) {
    this.maxItems = options.maxItems ?? DEFAULT_MAX_ITEMS;
  }

  bars(bars: readonly FeedBar[], kind: FeedBarKind): void {
    if (kind === 'BACKFILL') {
      this.flush();
      this.inner.bars(bars, kind);
      return;
    }
    this.hold(kind === 'UPDATED' ? this.updated : this.streamed, bars);
  }

  trades(trades: readonly FeedTrade[]): void {
    this.hold(this.trades_, trades);
  }

  corrections(corrections: readonly FeedTradeCorrection[]): void {
    this.hold(this.corrections_, corrections);
  }

  cancels(cancels: readonly FeedTradeCancel[]): void {
    this.hold(this.cancels_, cancels);
  }

  quotes(quotes: readonly FeedQuote[]): void {
    this.hold(this.quotes_, quotes);
  }

  tradingStatuses(statuses: readonly FeedTradingStatus[]): void {
    this.flush();
    this.inner.tradingStatuses(statuses);
  }

  status(change: FeedStatusChange): void {
    this.flush();
    this.inner.status(change);
  }

  problem(problem: FeedProblem): void {
    this.flush();
    this.inner.problem(problem);
  }

  /** Hands everything held to the inner sink now. */
  flush(): void {
    if (this.scheduled) {
      clearImmediate(this.scheduled);
      this.scheduled = null;
    }
    if (this.held === 0) return;
    this.held = 0;
    const { streamed, updated, trades_, corrections_, cancels_, quotes_ } = this;
    this.streamed = [];
    this.updated = [];
    this.trades_ = [];
    this.corrections_ = [];
    this.cancels_ = [];
    this.quotes_ = [];
    if (streamed.length > 0) this.inner.bars(streamed, 'STREAMED');
    if (updated.length > 0) this.inner.bars(updated, 'UPDATED');
    if (trades_.length > 0) this.inner.trades(trades_);
    if (corrections_.length > 0) this.inner.corrections(corrections_);
    if (cancels_.length > 0) this.inner.cancels(cancels_);
    if (quotes_.length > 0) this.inner.quotes(quotes_);
  }

  private hold<T>(into: T[], items: readonly T[]): void {
    for (let i = 0; i < items.length; i++) into.push(items[i]!);
    this.held += items.length;
    if (this.held >= this.maxItems) this.flush();
    else
      this.scheduled ??= setImmediate(() => {
        this.scheduled = null;
        this.flush();
      });
  }
}
