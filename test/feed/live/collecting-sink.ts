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
} from '../../../src/feed/live/types.ts';

/** A sink that keeps copies of everything a feed delivers (the feed reuses its arrays). */
export class CollectingSink implements FeedSink {
  readonly barsByKind: Record<FeedBarKind, FeedBar[]> = { STREAMED: [], UPDATED: [], BACKFILL: [] };
  readonly tradeList: FeedTrade[] = [];
  readonly correctionList: FeedTradeCorrection[] = [];
  readonly cancelList: FeedTradeCancel[] = [];
  readonly quoteList: FeedQuote[] = [];
  readonly statusList: FeedTradingStatus[] = [];
  readonly changes: FeedStatusChange[] = [];
  readonly problems: FeedProblem[] = [];
  private waiters: Array<{ test: () => boolean; resolve: () => void }> = [];

  bars(bars: readonly FeedBar[], kind: FeedBarKind): void {
    this.barsByKind[kind].push(...bars);
    this.wake();
  }
  trades(trades: readonly FeedTrade[]): void {
    this.tradeList.push(...trades);
    this.wake();
  }
  corrections(corrections: readonly FeedTradeCorrection[]): void {
    this.correctionList.push(...corrections);
    this.wake();
  }
  cancels(cancels: readonly FeedTradeCancel[]): void {
    this.cancelList.push(...cancels);
    this.wake();
  }
  quotes(quotes: readonly FeedQuote[]): void {
    this.quoteList.push(...quotes);
    this.wake();
  }
  tradingStatuses(statuses: readonly FeedTradingStatus[]): void {
    this.statusList.push(...statuses);
    this.wake();
  }
  status(change: FeedStatusChange): void {
    this.changes.push(change);
    this.wake();
  }
  problem(problem: FeedProblem): void {
    this.problems.push(problem);
    this.wake();
  }

  /** Resolves once `test` holds (checked after every delivery), or rejects after `ms`. */
  until(test: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
    if (test()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
      this.waiters.push({
        test,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  private wake(): void {
    this.waiters = this.waiters.filter((w) => {
      if (!w.test()) return true;
      w.resolve();
      return false;
    });
  }
}
