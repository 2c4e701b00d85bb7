import { normaliseSymbol, type ValidationFailure, validateBar } from '../domain/bar-validation.ts';
import {
  inCalendarRange,
  outOfCalendarRange,
  phaseAt,
  sessionWindow,
  type TimeWindow,
  type TradingDayInfo,
  tradingDay,
} from '../domain/calendar.ts';
import { ServiceError } from '../domain/errors.ts';
import type { FeedState, FeedStatus } from '../domain/feed-health.ts';
import { parseInterval } from '../domain/intervals.ts';
import { validateQuote, validateTick } from '../domain/market-data-validation.ts';
import {
  isFeedName,
  resolveSettings,
  type SymbolSettingsInput,
  sameSettings,
} from '../domain/symbol-settings.ts';
import { validateTrade } from '../domain/trade-validation.ts';
import type {
  BarInput,
  ClockMode,
  IngestResult,
  Instant,
  IsoDate,
  QuoteInput,
  Rejection,
  RejectionCode,
  SessionPhase,
  StoredBar,
  StoredMarketData,
  Tick,
  TickInput,
} from '../domain/types.ts';
import type { ChangeSequence, IntervalChangeSink } from './day-bars.ts';
import { type BarEventKind, SessionEvents } from './events.ts';
import { FeedRegistry } from './feeds.ts';
import type { SessionClock, SessionInterval } from './session-interval.ts';
import { type BufferBounds, type StoredQuotesAndTicks, SymbolSessionData } from './symbol-session-data.ts';
import {
  applyTradeMessage,
  isAccepted,
  refusalMessage,
  restoreTradeLog,
  type TradeCounters,
} from './trade-ingest.ts';

/** Options of the session tree. */
export interface SessionDataOptions {
  /** Bounds of each symbol's quote and tick buffers (default 10,000 each) and trade book (2²⁰). */
  readonly buffers?: Partial<BufferBounds>;
  /** Wall clock for LIVE mode (default Date.now). */
  readonly now?: () => Instant;
  /** Receives errors thrown by event listeners (default: a process warning). */
  readonly onListenerError?: (error: unknown, topic: string) => void;
}

/** A store holding no quotes or ticks for a symbol's date. */
const NOTHING_STORED: StoredMarketData<never> = { items: [], count: 0, next: 0 };

/**
 * The root of the tree: the session (date, active, clock) and the map symbol → SymbolSessionData.
 * Nothing else tracks which symbols exist, what they derive or whether they are loaded: every such
 * question is answered from the map. All changes carry a number of one monotonic change sequence
 * (`seq`), which the export uses as its cursor.
 */
export class SessionData implements SessionClock, ChangeSequence {
  /** Typed events: bar changes, lifecycle, quotes and ticks. */
  readonly events: SessionEvents;
  /** Random id of this process's change sequence; cursors of another epoch get a full export. */
  #epoch = Math.random().toString(36).slice(2, 10);
  /** The recorded state of every feed (outlives sessions). */
  readonly feeds = new FeedRegistry();
  /** Counters of the trade path (`/metrics`). */
  readonly tradeCounters: TradeCounters = { applied: 0, unknownConditionCodes: 0 };
  private readonly symbolMap = new Map<string, SymbolSessionData>();
  /** Numbers the ingestTicks batches (a symbol's builder remembers the last one that touched it). */
  private tradeBatches = 0;
  private readonly removedAt = new Map<string, number>();
  private readonly bounds: BufferBounds;
  private readonly now: () => Instant;
  private sessionDate: IsoDate | null = null;
  private isActive = false;
  private isEnded = false;
  private mode: ClockMode = 'MANUAL';
  private clockTime: Instant | null = null;
  private lastSeq = 0;
  /** How many entries of the map have extendedHours (kept with the map, for the clock's cap). */
  private extendedSymbols = 0;
  /** Change sequence of the last change of the session's own fields (date, active, clock). */
  sessionSeq = 0;

  constructor(options: SessionDataOptions = {}) {
    this.events = new SessionEvents(options.onListenerError);
    this.bounds = {
      quotes: options.buffers?.quotes ?? 10_000,
      ticks: options.buffers?.ticks ?? 10_000,
      ...(options.buffers?.trades === undefined ? {} : { trades: options.buffers.trades }),
    };
    this.now = options.now ?? Date.now;
  }

  /** Id of the change sequence (the export cursor's first part). */
  get epoch(): string {
    return this.#epoch;
  }

  /**
   * Begins a new change sequence named `epoch` (a replica, before it applies a session start, so that
   * every replica that applied the same log — from its start or from this record on — numbers its
   * changes alike and exports byte-identical documents): drops every symbol without recording the
   * removals (cursors of the old epoch get a full export anyway) and restarts the numbering at 0. The
   * session must not be active (end it first).
   */
  restartSequence(epoch: string): void {
    if (this.isActive) throw new Error('restartSequence needs an inactive session');
    if (!/^[a-z0-9]+$/.test(epoch)) throw new Error(`"${epoch}" is not an epoch`);
    this.symbolMap.clear();
    this.removedAt.clear();
    this.extendedSymbols = 0;
    this.lastSeq = 0;
    this.sessionSeq = 0;
    this.#epoch = epoch;
  }

  /** Issues the next change sequence number. */
  next(): number {
    return ++this.lastSeq;
  }

  /** The latest change sequence number issued. */
  get seq(): number {
    return this.lastSeq;
  }

  /** The session date, null before the first start. */
  get date(): IsoDate | null {
    return this.sessionDate;
  }

  /** Whether a session is running (started and not ended). */
  get active(): boolean {
    return this.isActive;
  }

  /** Whether the last session was ended (its windows all closed). */
  get ended(): boolean {
    return this.isEnded;
  }

  /** How the clock moves. */
  get clockMode(): ClockMode {
    return this.mode;
  }

  /** The session clock. */
  get time(): Instant | null {
    return this.clockTime;
  }

  /** Phase of the clock; CLOSED when no session is active. */
  get phase(): SessionPhase {
    if (!this.isActive || this.sessionDate === null || this.clockTime === null) return 'CLOSED';
    return phaseAt(this.sessionDate, this.clockTime);
  }

  /** The exchange calendar of the session date. */
  get tradingDay(): TradingDayInfo | null {
    return this.sessionDate === null ? null : tradingDay(this.sessionDate);
  }

  /** Active symbols (the keys of the map), sorted. */
  activeSymbols(): string[] {
    return [...this.symbolMap.keys()].sort();
  }

  /** Loaded symbols, sorted. */
  loadedSymbols(): string[] {
    return this.symbols().flatMap((s) => (s.loaded ? [s.symbol] : []));
  }

  /** Each symbol with its derived intervals. */
  symbolsWithDerived(): Map<string, readonly string[]> {
    return new Map(this.symbols().map((s) => [s.symbol, s.derivedIntervals]));
  }

  /** Every symbol's data, sorted by symbol. */
  symbols(): SymbolSessionData[] {
    return this.activeSymbols().map((s) => this.symbolMap.get(s)!);
  }

  /** One symbol's data (case-insensitive), or undefined. */
  symbol(symbol: string): SymbolSessionData | undefined {
    const key = normaliseSymbol(symbol);
    return key === null ? undefined : this.symbolMap.get(key);
  }

  /**
   * Symbols whose entry was dropped after change `cursor` (an explicit removal, a reload with new
   * settings or a new session), sorted: the `removed` list of a delta export.
   */
  removedSince(cursor: number): string[] {
    return [...this.removedAt].flatMap(([symbol, seq]) => (seq > cursor ? [symbol] : [])).sort();
  }

  /**
   * Starts a session on a trading date: ends the active one, clears every symbol (the caller
   * reloads the configured ones) and sets the clock to the extended open.
   * @throws ServiceError DATE_OUT_OF_RANGE, NOT_TRADING_DAY
   */
  start(date: IsoDate, mode: ClockMode): void {
    if (!inCalendarRange(date)) throw new ServiceError('DATE_OUT_OF_RANGE', outOfCalendarRange(date));
    const day = tradingDay(date);
    if (!day.isTradingDay || day.extendedOpen === null) {
      throw new ServiceError(
        'NOT_TRADING_DAY',
        `${date} is not a trading day${day.holiday ? ` (${day.holiday})` : ''}`,
      );
    }
    if (this.isActive) this.end();
    for (const symbol of this.activeSymbols()) this.dropSymbol(symbol);
    this.sessionDate = date;
    this.mode = mode;
    this.isActive = true;
    this.isEnded = false;
    // LIVE: the clock is the wall clock (capped at the close), even before the extended open.
    this.clockTime = mode === 'LIVE' ? Math.min(this.now(), day.regularClose!) : day.extendedOpen;
    this.sessionSeq = this.next();
    if (mode === 'LIVE') this.syncWallClock();
    this.events.emit('session', { kind: 'SESSION_STARTED', symbol: null });
  }

  /** Ends the session: the clock moves to the close and every window closes. Data stays readable. */
  end(): void {
    if (!this.isActive) throw new ServiceError('NO_SESSION', 'no session is active');
    this.moveClock(this.closeInstant(), true);
    this.isEnded = true;
    this.isActive = false;
    this.sessionSeq = this.next();
    this.events.emit('session', { kind: 'SESSION_ENDED', symbol: null });
  }

  /**
   * Moves the MANUAL clock forward (capped at the close).
   * @throws ServiceError NO_SESSION, CLOCK_MODE, CLOCK_BACKWARDS
   */
  advanceClock(to: Instant): void {
    this.requireActive();
    if (this.mode !== 'MANUAL') {
      throw new ServiceError('CLOCK_MODE', `advanceClock needs a MANUAL session; this one is ${this.mode}`);
    }
    if (this.clockTime !== null && to < this.clockTime) {
      throw new ServiceError(
        'CLOCK_BACKWARDS',
        `the clock is at ${new Date(this.clockTime).toISOString()} and never moves backwards`,
      );
    }
    this.moveClock(to, false);
  }

  /** Sets the REPLAY clock (used by the replay driver); never backwards, capped at the close. */
  setReplayClock(to: Instant): void {
    if (this.isActive && this.mode === 'REPLAY') this.moveClock(to, false);
  }

  /** In LIVE mode, moves the clock to the wall clock (capped at the close). */
  syncWallClock(): void {
    if (this.isActive && this.mode === 'LIVE') this.moveClock(this.now(), false);
  }

  /** The instant the clock never passes: the extended close when a symbol trades extended hours. */
  closeInstant(): Instant {
    const day = tradingDay(this.sessionDate!);
    return (this.extendedSymbols > 0 ? day.extendedClose : day.regularClose)!;
  }

  private moveClock(to: Instant, force: boolean): void {
    if (this.clockTime === null) return;
    const cap = this.closeInstant();
    // The cap can sit below the clock (an extended-hours symbol was removed): the clock then stays.
    const target = Math.max(this.clockTime, Math.min(to, force ? Math.max(to, cap) : cap));
    if (target === this.clockTime && !force) return;
    this.clockTime = target;
    this.sessionSeq = this.next();
    for (const data of this.symbolMap.values()) {
      data.day.closeUpTo(target, this, this.sinkFor(data, true));
    }
  }

  private requireActive(): void {
    if (!this.isActive) throw new ServiceError('NO_SESSION', 'no session is active: call startSession first');
  }

  /**
   * Validates settings and creates (or replaces) a symbol's entry, not yet loaded.
   * The same settings as an existing entry return it unchanged.
   * @throws ServiceError NO_SESSION, BAD_USER_INPUT, INVALID_INTERVAL, INVALID_INDICATOR
   */
  beginLoad(input: SymbolSettingsInput): { data: SymbolSessionData; changed: boolean } {
    this.requireActive();
    const settings = resolveSettings(input);
    const existing = this.symbolMap.get(settings.symbol);
    if (existing && sameSettings(existing.settings, settings)) return { data: existing, changed: false };
    if (existing) this.dropSymbol(settings.symbol);
    const window = sessionWindow(this.sessionDate!, settings.extendedHours)!;
    const specs = [settings.baseInterval, ...settings.derivedIntervals].map(parseInterval);
    const historical = settings.derivedIntervals.includes('1d') ? specs : [...specs, parseInterval('1d')];
    const data = new SymbolSessionData(
      settings,
      this.sessionDate!,
      window,
      specs,
      historical,
      this,
      this.bounds,
      this.next(),
      this.feeds,
    );
    this.symbolMap.set(settings.symbol, data);
    if (data.extendedHours) this.extendedSymbols++;
    return { data, changed: true };
  }

  /**
   * Completes a load: installs the historical bars, today's stored bars (with their revisions) and
   * today's stored quotes and ticks (the latest, in arrival order, with their count and the next
   * arrival number), a TRADES symbol's trade book from its stored trade messages (`tradeLog`, all of
   * the date in arrival order), closes the windows the clock has passed, marks the symbol loaded and emits
   * SYMBOL_LOADED.
   */
  completeLoad(
    symbol: string,
    history: ReadonlyMap<IsoDate, readonly StoredBar[]>,
    today: readonly StoredBar[],
    market: StoredQuotesAndTicks = { quotes: NOTHING_STORED, ticks: NOTHING_STORED },
    tradeLog: readonly Tick[] = [],
  ): SymbolSessionData | undefined {
    const data = this.symbol(symbol);
    if (!data) return undefined;
    data.installHistory(history, this.next());
    data.restoreMarketData(market, this);
    if (data.trades !== null) restoreTradeLog(data.trades, tradeLog);
    const day = data.day;
    const baseMs = day.base.spec.ms;
    for (const bar of [...today].sort((a, b) => a.ts - b.ts)) {
      if (validateBar(bar, baseMs, data.window) !== null) continue;
      day.apply((bar.ts - data.window.start) / baseMs, bar, this, null, bar.revision);
    }
    const latest = day.base.series.latestSlot();
    // A TRADES symbol's data is current to its latest trade (as when it was ingested), not its bar's end.
    const latestEnd =
      latest < 0
        ? Number.NEGATIVE_INFINITY
        : data.trades !== null && tradeLog.length > 0
          ? Math.min(day.base.series.slotEnd(latest), latestTradeTs(tradeLog))
          : day.base.series.slotEnd(latest);
    const movesClock = this.isActive && this.mode !== 'LIVE' && latest >= 0;
    if (this.clockTime !== null) {
      // The symbol's own windows close silently (its bars were never announced one by one: the load is,
      // once); moving the clock below then closes the other symbols' windows with their events.
      const closeAt = this.isEnded
        ? data.window.end
        : movesClock
          ? Math.max(this.clockTime, Math.min(latestEnd, this.closeInstant()))
          : this.clockTime;
      day.closeUpTo(closeAt, this, null);
    }
    data.loaded = true;
    if (movesClock) this.moveClock(latestEnd, false);
    data.stateSeq = this.next();
    this.events.emit('session', { kind: 'SYMBOL_LOADED', symbol: data.symbol });
    return data;
  }

  /**
   * Records a feed's status (src/domain/feed-health.ts): `DOWN` opens an outage, `UP` closes it.
   * A change re-dates the quality figures of the feed's symbols (their gaps' causes changed) for
   * export deltas. Needs no session.
   * @throws ServiceError BAD_USER_INPUT (a feed name that is not one, a report earlier than the last change)
   */
  reportFeedStatus(feed: string, status: FeedStatus, at: Instant, reason: string | null): FeedState {
    if (!isFeedName(feed))
      throw new ServiceError('BAD_USER_INPUT', `${JSON.stringify(feed)} is not a feed name`);
    const outcome = this.feeds.report(feed, status, at, reason, this);
    if (!outcome.ok) throw new ServiceError('BAD_USER_INPUT', outcome.message);
    if (outcome.changed) {
      for (const data of this.symbolMap.values()) {
        if (data.feed !== feed) continue;
        for (const interval of data.intervals()) interval.statsSeq = this.feeds.seq;
      }
    }
    return outcome.state;
  }

  /** Removes a symbol and everything under it. Returns false when it was not there. */
  removeSymbol(symbol: string): boolean {
    const key = normaliseSymbol(symbol);
    if (key === null || !this.symbolMap.has(key)) return false;
    this.dropSymbol(key, true);
    return true;
  }

  /**
   * Deletes a symbol's entry and records the removal for delta exports. Only an explicit removal is
   * announced (SYMBOL_REMOVED); a reload with new settings or a new session re-creates the entry and
   * announces SYMBOL_LOADED / SESSION_STARTED instead.
   */
  private dropSymbol(symbol: string, announce = false): void {
    if (this.symbolMap.get(symbol)?.extendedHours) this.extendedSymbols--;
    this.symbolMap.delete(symbol);
    this.removedAt.set(symbol, this.next());
    if (announce) this.events.emit('session', { kind: 'SYMBOL_REMOVED', symbol });
  }

  /**
   * Ingests base bars. Each item is validated on its own; refused items get a rejection with a
   * stable code, the others are applied in order. In MANUAL and REPLAY modes the clock then moves
   * to the latest end of the batch's accepted bars (once per batch, so a batch of many symbols'
   * bars for the same minute does not close that minute before all of them are in).
   */
  ingestBars(inputs: readonly BarInput[]): IngestResult {
    return this.ingest(inputs, false);
  }

  /**
   * Replays bars read from the store (the REPLAY driver): the same path as `ingestBars`, but each
   * bar keeps its stored revision and is not announced on `baseBar` (it is already persisted).
   */
  replayStoredBars(inputs: readonly (BarInput & { readonly revision: number })[]): IngestResult {
    return this.ingest(inputs, true);
  }

  private ingest(
    inputs: readonly (BarInput & { readonly revision?: number })[],
    stored: boolean,
  ): IngestResult {
    const rejected: Rejection[] = [];
    let accepted = 0;
    let latestEnd = Number.NEGATIVE_INFINITY;
    if (this.mode === 'LIVE') this.syncWallClock();
    const emitting = this.events.has('bar') || this.events.has('baseBar');
    let sinkData: SymbolSessionData | null = null;
    let sink: IntervalChangeSink | null = null;
    for (let i = 0; i < inputs.length; i++) {
      const input = inputs[i]!;
      const found = this.resolveTarget(input.symbol);
      if (typeof found === 'string') {
        rejected.push(rejection(i, found, input.symbol));
        continue;
      }
      if (found.trades !== null && !stored) {
        rejected.push({
          index: i,
          code: 'TRADES_SOURCE',
          message: `${found.symbol} builds its bars from trades (source TRADES): send its trades with ingestTicks`,
        });
        continue;
      }
      const baseMs = found.day.base.spec.ms;
      const invalid = validateBar(input, baseMs, found.window);
      if (invalid) {
        rejected.push({ index: i, code: invalid.code, message: invalid.message });
        continue;
      }
      if (emitting && sinkData !== found) {
        sinkData = found;
        sink = this.sinkFor(found, false, !stored);
      }
      found.day.apply(
        (input.ts - found.window.start) / baseMs,
        input,
        this,
        emitting ? sink : null,
        stored ? (input.revision ?? -1) : -1,
      );
      accepted++;
      const end = input.ts + baseMs;
      if (end > latestEnd) latestEnd = end;
    }
    if (accepted > 0 && this.mode !== 'LIVE') this.moveClock(latestEnd, false);
    return { accepted, rejected };
  }

  /** Ingests quotes into each symbol's bounded buffer. Same validation model as bars. */
  ingestQuotes(inputs: readonly QuoteInput[]): IngestResult {
    return this.ingestMarketData(
      inputs,
      (data, q) => {
        const { symbol: _symbol, ...quote } = q;
        const seq = data.addQuote(quote, this);
        if (this.events.has('marketData')) {
          this.events.emit('marketData', { type: 'quote', symbol: data.symbol, date: data.date, seq, quote });
        }
      },
      validateQuote,
    );
  }

  /**
   * Ingests ticks. A BARS symbol keeps them in its bounded buffer. A TRADES symbol builds its base
   * bars from them (src/session/README.md "Bars from trades"): prints, corrections (`replaces`) and
   * cancels (`cancels`), validated item by item; a re-sent id changes nothing and counts as accepted.
   * Each window's bar is written once per batch; in MANUAL and REPLAY modes the clock then moves to
   * the latest accepted trade's ts.
   */
  ingestTicks(inputs: readonly TickInput[]): IngestResult {
    for (let i = 0; i < inputs.length; i++) {
      const found = this.symbolMap.get(inputs[i]!.symbol);
      if (found === undefined || found.trades !== null) return this.ingestTrades(inputs);
    }
    return this.ingestPlainTicks(inputs);
  }

  private ingestTrades(inputs: readonly TickInput[]): IngestResult {
    const rejected: Rejection[] = [];
    let accepted = 0;
    let latest = Number.NEGATIVE_INFINITY;
    if (this.mode === 'LIVE') this.syncWallClock();
    const emitting = this.events.has('bar') || this.events.has('baseBar');
    const marketData = this.events.has('marketData');
    const touched: SymbolSessionData[] = [];
    const batch = ++this.tradeBatches;
    const plain: TickInput[] = [];
    const plainIndex: number[] = [];
    for (let i = 0; i < inputs.length; i++) {
      const input = inputs[i]!;
      const found = this.resolveTarget(input.symbol);
      if (typeof found === 'string') {
        rejected.push(rejection(i, found, input.symbol));
        continue;
      }
      const trades = found.trades;
      if (trades === null) {
        plain.push(input);
        plainIndex.push(i);
        continue;
      }
      const invalid = validateTrade(input, found.symbol, found.window);
      if (invalid) {
        rejected.push({ index: i, code: invalid.code, message: invalid.message });
        continue;
      }
      // One change sink per symbol and batch (symbols interleave: no closure per trade).
      if (emitting && trades.sinkBatch !== batch) {
        trades.sinkBatch = batch;
        trades.sink = this.sinkFor(found, false);
      }
      const outcome = applyTradeMessage(
        trades,
        input,
        this,
        emitting ? trades.sink : null,
        this.tradeCounters,
      );
      if (!isAccepted(outcome)) {
        rejected.push({ index: i, code: outcome, message: refusalMessage(outcome, input, found.symbol) });
        continue;
      }
      accepted++;
      if (outcome !== 'applied') continue;
      if (trades.batch !== batch) {
        trades.batch = batch;
        touched.push(found);
      }
      if (input.ts > latest) latest = input.ts;
      const seq = found.addTick(input, this);
      if (marketData) {
        this.events.emit('marketData', {
          type: 'tick',
          symbol: found.symbol,
          date: found.date,
          seq,
          tick: input,
        });
      }
    }
    for (const data of touched) data.trades!.flush(this, emitting ? data.trades!.sink : null);
    if (plain.length > 0) {
      const result = this.ingestPlainTicks(plain);
      accepted += result.accepted;
      for (const r of result.rejected) rejected.push({ ...r, index: plainIndex[r.index]! });
      rejected.sort((a, b) => a.index - b.index);
    }
    if (touched.length > 0 && this.mode !== 'LIVE') this.moveClock(latest, false);
    return { accepted, rejected };
  }

  private ingestPlainTicks(inputs: readonly TickInput[]): IngestResult {
    return this.ingestMarketData(
      inputs,
      (data, t) => {
        const { symbol: _symbol, ...tick } = t;
        const seq = data.addTick(tick, this);
        if (this.events.has('marketData')) {
          this.events.emit('marketData', { type: 'tick', symbol: data.symbol, date: data.date, seq, tick });
        }
      },
      validateTick,
    );
  }

  private ingestMarketData<T extends { symbol: string; ts: Instant }>(
    inputs: readonly T[],
    store: (data: SymbolSessionData, item: T) => void,
    validate: (item: T, symbol: string, window: TimeWindow) => ValidationFailure | null,
  ): IngestResult {
    const rejected: Rejection[] = [];
    let accepted = 0;
    inputs.forEach((input, index) => {
      const found = this.resolveTarget(input.symbol);
      if (typeof found === 'string') {
        rejected.push(rejection(index, found, input.symbol));
        return;
      }
      const invalid = validate(input, found.symbol, found.window);
      if (invalid) {
        rejected.push({ index, code: invalid.code, message: invalid.message });
        return;
      }
      store(found, input);
      accepted++;
    });
    return { accepted, rejected };
  }

  private resolveTarget(raw: string): SymbolSessionData | RejectionCode {
    if (!this.isActive) return 'NO_SESSION';
    // Keys are normalised symbols: a raw string equal to one needs no normalising.
    const direct = this.symbolMap.get(raw);
    if (direct !== undefined) return direct.loaded ? direct : 'NOT_LOADED';
    const symbol = normaliseSymbol(raw);
    if (symbol === null) return 'INVALID_SYMBOL';
    const data = this.symbolMap.get(symbol);
    if (!data?.loaded) return 'NOT_LOADED';
    return data;
  }

  /**
   * The change sink of one symbol: builds each bar snapshot once, only for topics that have
   * listeners (`bar`: every interval; `baseBar`: the base interval only, e.g. the store writer).
   * A closing base window changes no bar, so it goes to `bar` only.
   */
  private sinkFor(data: SymbolSessionData, closing: boolean, persist = true): IntervalChangeSink | null {
    const all = this.events.has('bar');
    const baseOnly = !closing && persist && this.events.has('baseBar');
    if (!all && !baseOnly) return null;
    return (interval: SessionInterval, slot: number, kind: BarEventKind) => {
      const base = !interval.derived;
      if (!all && !base) return;
      const change = {
        symbol: data.symbol,
        interval: interval.name,
        base,
        kind,
        bar: interval.barOfSlot(slot),
        closed: closing,
        date: data.date,
      };
      if (all) this.events.emit('bar', change);
      if (base && baseOnly) this.events.emit('baseBar', change);
    };
  }
}

/** The latest ts of a trade log's prints (cancels repeat an earlier print's ts). */
function latestTradeTs(log: readonly Tick[]): Instant {
  let latest = Number.NEGATIVE_INFINITY;
  for (const message of log) if (message.cancels == null && message.ts > latest) latest = message.ts;
  return latest;
}

function rejection(index: number, code: RejectionCode, symbol: string): Rejection {
  const messages: Partial<Record<RejectionCode, string>> = {
    NO_SESSION: 'no session is active: call startSession first',
    INVALID_SYMBOL: `"${symbol}" is not a valid symbol`,
    NOT_LOADED: `${symbol} is not loaded: call loadSymbol first`,
  };
  return { index, code, message: messages[code] ?? code };
}
