/**
 * The sink a live feed delivers to (src/feed/live/types.ts): it applies what the feed receives
 * through the same ingest path and validation as the API (`SessionService.ingestBars`,
 * `ingestQuotes`, `ingestTicks`), so a feed's bar is accepted, corrected or refused by exactly the
 * rules an `ingestBars` mutation follows. It counts what it applied and refused (by rejection
 * code), logs connection changes and problems (each distinct problem at 1, 10, 100, … occurrences
 * so a flood of malformed frames cannot flood the log) and keeps each symbol's latest trading
 * status (halts are information, never outages).
 */
import type { RejectionCode, TickInput } from '../domain/types.ts';
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
} from '../feed/live/types.ts';
import type { SessionService } from './session-service.ts';

/** The log lines a feed writes (pino's shape). */
export interface FeedLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** Counters of what a feed delivered and what became of it. */
export interface FeedCounts {
  /** Items delivered, by kind (bars by their kind: STREAMED, UPDATED, BACKFILL). */
  readonly received: Record<string, number>;
  /** Items the tree accepted, by kind. */
  readonly accepted: Record<string, number>;
  /** Items the tree refused, by rejection code. */
  readonly rejected: Partial<Record<RejectionCode, number>>;
  /** Trade corrections and cancels of symbols that do not build their bars from trades. */
  readonly unapplied: Record<string, number>;
  readonly problems: number;
}

/** Options of the sink. */
export interface FeedIngestOptions {
  readonly log: FeedLog;
  /** Called after every connection change (the controller records outages there). */
  readonly onStatus?: (change: FeedStatusChange) => void;
}

/** Applies a feed's data to the session through the service. */
export class FeedIngest implements FeedSink {
  private readonly received: Record<string, number> = {};
  private readonly accepted: Record<string, number> = {};
  private readonly rejected: Partial<Record<RejectionCode, number>> = {};
  private readonly unapplied: Record<string, number> = {};
  private readonly problemCounts = new Map<string, number>();
  private problemTotal = 0;
  private readonly statuses = new Map<string, FeedTradingStatus>();

  constructor(
    private readonly service: SessionService,
    private readonly options: FeedIngestOptions,
  ) {}

  bars(bars: readonly FeedBar[], kind: FeedBarKind): void {
    this.tally(`bars_${kind.toLowerCase()}`, bars.length, this.service.ingestBars(bars));
  }

  trades(trades: readonly FeedTrade[]): void {
    this.tally('trades', trades.length, this.service.ingestTicks(trades));
  }

  /**
   * Corrections of a symbol built from trades replace the original print (`replaces`); for any other
   * symbol they are counted as unapplied (its bars come finished).
   */
  corrections(corrections: readonly FeedTradeCorrection[]): void {
    const applied: TickInput[] = [];
    for (const c of corrections) {
      if (this.fromTrades(c.symbol))
        applied.push({ ...c.corrected, symbol: c.symbol, replaces: c.originalId });
      else this.unapplied['corrections'] = (this.unapplied['corrections'] ?? 0) + 1;
    }
    if (applied.length > 0) this.tally('corrections', applied.length, this.service.ingestTicks(applied));
  }

  /** Cancels (and errors) of a symbol built from trades remove the print (`cancels`); see {@link corrections}. */
  cancels(cancels: readonly FeedTradeCancel[]): void {
    const applied: TickInput[] = [];
    for (const c of cancels) {
      if (this.fromTrades(c.symbol))
        applied.push({ symbol: c.symbol, ts: c.ts, price: c.price ?? 0, size: c.size ?? 0, cancels: c.id });
      else this.unapplied['cancels'] = (this.unapplied['cancels'] ?? 0) + 1;
    }
    if (applied.length > 0) this.tally('cancels', applied.length, this.service.ingestTicks(applied));
  }

  private fromTrades(symbol: string): boolean {
    return this.service.session.symbol(symbol)?.source === 'TRADES';
  }

  quotes(quotes: readonly FeedQuote[]): void {
    this.tally('quotes', quotes.length, this.service.ingestQuotes(quotes));
  }

  tradingStatuses(statuses: readonly FeedTradingStatus[]): void {
    for (const status of statuses) {
      this.statuses.set(status.symbol, status);
      this.options.log.info(
        {
          symbol: status.symbol,
          at: new Date(status.ts).toISOString(),
          code: status.code,
          reason: status.reasonCode,
        },
        `${status.symbol}: ${status.message || status.code}${status.reasonMessage ? ` (${status.reasonMessage})` : ''}`,
      );
    }
  }

  status(change: FeedStatusChange): void {
    const fields = {
      feed: change.feed,
      status: change.status,
      at: new Date(change.at).toISOString(),
      ...(change.code === undefined ? {} : { code: change.code }),
    };
    if (change.status === 'UP') this.options.log.info(fields, change.reason);
    else if (change.fatal)
      this.options.log.error(fields, `${change.reason}: the feed stopped and will not reconnect`);
    else this.options.log.warn(fields, change.reason);
    // The same path as the API's reportFeedStatus: the outage gives the gaps it overlaps their cause.
    const refused = (error: unknown) =>
      this.options.log.warn({ ...fields, err: error }, 'the feed status could not be recorded');
    try {
      this.service.reportFeedStatus(change.feed, change.status, change.at, change.reason).catch(refused);
    } catch (error) {
      refused(error);
    }
    this.options.onStatus?.(change);
  }

  problem(problem: FeedProblem): void {
    this.problemTotal++;
    const key = problem.message.replace(/\d+/g, '#').slice(0, 120);
    const count = (this.problemCounts.get(key) ?? 0) + 1;
    if (this.problemCounts.size < 1_000 || this.problemCounts.has(key)) this.problemCounts.set(key, count);
    if (Number.isInteger(Math.log10(count))) {
      this.options.log.warn(
        {
          feed: problem.feed,
          ...(problem.code === undefined ? {} : { code: problem.code }),
          occurrences: count,
        },
        problem.message,
      );
    }
  }

  /** The latest trading status (halt, resumption) of a symbol, if the feed sent one. */
  tradingStatus(symbol: string): FeedTradingStatus | undefined {
    return this.statuses.get(symbol);
  }

  /** What was delivered and what became of it. */
  counts(): FeedCounts {
    return {
      received: { ...this.received },
      accepted: { ...this.accepted },
      rejected: { ...this.rejected },
      unapplied: { ...this.unapplied },
      problems: this.problemTotal,
    };
  }

  private tally(
    kind: string,
    count: number,
    result: { accepted: number; rejected: readonly { code: RejectionCode }[] },
  ) {
    this.received[kind] = (this.received[kind] ?? 0) + count;
    this.accepted[kind] = (this.accepted[kind] ?? 0) + result.accepted;
    for (const rejection of result.rejected)
      this.rejected[rejection.code] = (this.rejected[rejection.code] ?? 0) + 1;
  }
}
