import type { TimeWindow } from '../domain/calendar.ts';
import { sessionWindow } from '../domain/calendar.ts';
import { type IntervalSpec, parseInterval } from '../domain/intervals.ts';
import { type BarSource, DEFAULT_FEED, type SymbolSettings } from '../domain/symbol-settings.ts';
import type { Bar, Instant, IsoDate, Quote, StoredBar, StoredMarketData, Tick } from '../domain/types.ts';
import { type ChangeSequence, DayBars } from './day-bars.ts';
import type { FeedRegistry } from './feeds.ts';
import { HistoricalData } from './historical-data.ts';
import { RingBuffer } from './ring-buffer.ts';
import type { SessionClock, SessionInterval } from './session-interval.ts';
import { TradeBars } from './trade-bars.ts';

/** Session metrics of a symbol, over every base bar of the current session. */
export interface SessionMetrics {
  readonly volume: number;
  readonly high: number | null;
  readonly low: number | null;
  readonly open: number | null;
  readonly last: number | null;
  readonly vwap: number | null;
  readonly barCount: number;
  /** End of the latest base bar: the instant the symbol's data is current to. */
  readonly lastUpdate: Instant | null;
}

/** What the store holds of a symbol's quotes and ticks of its session date (see StoredMarketData). */
export interface StoredQuotesAndTicks {
  readonly quotes: StoredMarketData<Quote>;
  readonly ticks: StoredMarketData<Tick>;
}

/** Bounds of the per-symbol quote and tick buffers and of a TRADES symbol's trade book. */
export interface BufferBounds {
  readonly quotes: number;
  readonly ticks: number;
  /** Trades kept per TRADES symbol and date for corrections and cancels (default 2²⁰). */
  readonly trades?: number;
}

/**
 * Everything the session holds about one symbol: identity and settings, the session bars with
 * their derived intervals, quality and gaps, metrics, quotes, ticks and the historical window.
 * Removing the symbol from the root map drops all of it at once.
 */
export class SymbolSessionData {
  /** The current session's bars. */
  readonly day: DayBars;
  /** A TRADES symbol's bar builder and trade book; null for a BARS symbol. */
  readonly trades: TradeBars | null;
  /** True once the historical window is in memory and session data is accepted. */
  loaded = false;
  /** The trailing historical window (empty until loaded). */
  historical: HistoricalData;
  readonly quotes: RingBuffer<Quote>;
  readonly ticks: RingBuffer<Tick>;
  /** Change sequence at which this entry was created. */
  readonly createdSeq: number;
  /** Change sequence of the last change of loaded state or history. */
  stateSeq: number;
  #quotesSeq = 0;
  #ticksSeq = 0;
  /** Arrival number the next quote of the date takes (MarketDataChange.seq). */
  #nextQuoteSeq = 0;
  /** Arrival number the next tick of the date takes. */
  #nextTickSeq = 0;
  private readonly byName = new Map<string, SessionInterval>();

  constructor(
    readonly settings: SymbolSettings,
    readonly date: IsoDate,
    readonly window: TimeWindow,
    readonly specs: readonly IntervalSpec[],
    readonly historicalSpecs: readonly IntervalSpec[],
    clock: SessionClock,
    bounds: BufferBounds,
    seq: number,
    feeds: FeedRegistry | null = null,
  ) {
    const [baseSpec, ...derivedSpecs] = specs;
    if (!baseSpec) throw new Error('a symbol needs a base interval');
    this.day = new DayBars(window, baseSpec, derivedSpecs, clock);
    const feed = this.feed;
    for (const interval of this.day.intervals()) {
      this.byName.set(interval.name, interval);
      if (feeds !== null) interval.outages = () => feeds.outagesOf(feed);
    }
    this.trades =
      this.source === 'TRADES' ? new TradeBars(this.day, sessionWindow(date, false)!, bounds.trades) : null;
    this.quotes = new RingBuffer(bounds.quotes);
    this.ticks = new RingBuffer(bounds.ticks);
    this.historical = new HistoricalData(false, new Map(), historicalSpecs, settings.extendedHours, []);
    this.createdSeq = seq;
    this.stateSeq = seq;
  }

  /** The symbol. */
  get symbol(): string {
    return this.settings.symbol;
  }

  /** The streamed base interval's name. */
  get baseInterval(): string {
    return this.settings.baseInterval;
  }

  /** Derived interval names, ascending. */
  get derivedIntervals(): readonly string[] {
    return this.settings.derivedIntervals;
  }

  /** Whether the session window is the extended session. */
  get extendedHours(): boolean {
    return this.settings.extendedHours;
  }

  /** Where the base bars come from. */
  get source(): BarSource {
    return this.settings.source ?? 'BARS';
  }

  /** The feed the symbol's data comes from. */
  get feed(): string {
    return this.settings.feed ?? DEFAULT_FEED;
  }

  /** The base interval first, then the derived ones ascending. */
  intervals(): SessionInterval[] {
    return this.day.intervals();
  }

  /** One interval by name (any spelling that canonicalises to a held one). */
  interval(name: string): SessionInterval | undefined {
    const held = this.byName.get(name);
    if (held !== undefined) return held;
    try {
      return this.byName.get(parseInterval(name).name);
    } catch {
      return undefined;
    }
  }

  /** The latest base bar, O(1). */
  latestBar(): Bar | null {
    return this.day.base.latestBar();
  }

  /** Session metrics over every base bar so far. */
  metrics(): SessionMetrics {
    const agg = this.day.aggregateBar();
    const latest = this.day.base.series.latestSlot();
    return {
      volume: agg?.volume ?? 0,
      high: agg?.high ?? null,
      low: agg?.low ?? null,
      open: agg?.open ?? null,
      last: agg?.close ?? null,
      vwap: agg?.vwap ?? null,
      barCount: this.day.base.size,
      lastUpdate: latest < 0 ? null : this.day.base.series.slotEnd(latest),
    };
  }

  /** Change sequence of the last accepted (or restored) quote; 0 when none. */
  get quotesSeq(): number {
    return this.#quotesSeq;
  }

  /** Change sequence of the last accepted (or restored) tick; 0 when none. */
  get ticksSeq(): number {
    return this.#ticksSeq;
  }

  /**
   * Keeps an accepted quote (validated by the caller) in the bounded buffer.
   * @returns its arrival number within the symbol's session date (the store's key).
   */
  addQuote(quote: Quote, seqs: ChangeSequence): number {
    this.quotes.push(quote);
    this.#quotesSeq = seqs.next();
    return this.#nextQuoteSeq++;
  }

  /** Keeps an accepted trade print, like {@link addQuote}. @returns its arrival number. */
  addTick(tick: Tick, seqs: ChangeSequence): number {
    this.ticks.push(tick);
    this.#ticksSeq = seqs.next();
    return this.#nextTickSeq++;
  }

  /**
   * Restores the quotes and ticks the store holds of the session date (the latest, in arrival order,
   * with their count), and continues their arrival numbers after the stored ones.
   */
  restoreMarketData(market: StoredQuotesAndTicks, seqs: ChangeSequence): void {
    this.quotes.restore(market.quotes.items, market.quotes.count);
    this.ticks.restore(market.ticks.items, market.ticks.count);
    this.#nextQuoteSeq = market.quotes.next;
    this.#nextTickSeq = market.ticks.next;
    if (this.quotes.total > 0) this.#quotesSeq = seqs.next();
    if (this.ticks.total > 0) this.#ticksSeq = seqs.next();
  }

  /** Change sequence of the last change of the metrics. */
  get metricsSeq(): number {
    return this.day.aggregate.seqOf(0);
  }

  /**
   * Replaces the historical window with the stored bars of its dates (`seq`: the change sequence of
   * the change). Today's bars, quotes and ticks and the loaded flag are the caller's (see
   * SessionData.completeLoad).
   */
  installHistory(barsByDate: ReadonlyMap<IsoDate, readonly StoredBar[]>, seq: number): void {
    this.historical = new HistoricalData(
      true,
      barsByDate,
      this.historicalSpecs,
      this.settings.extendedHours,
      this.settings.indicators,
    );
    this.stateSeq = seq;
  }
}
