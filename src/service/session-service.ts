import type { WriteMode } from '../config.ts';
import { normaliseSymbol } from '../domain/bar-validation.ts';
import { tradingDatesBefore } from '../domain/calendar.ts';
import { ServiceError } from '../domain/errors.ts';
import type { FeedState, FeedStatus, Outage } from '../domain/feed-health.ts';
import type { SymbolSettings, SymbolSettingsInput } from '../domain/symbol-settings.ts';
import type {
  BarInput,
  ClockMode,
  IngestResult,
  Instant,
  IsoDate,
  PersistedSessionState,
  Quote,
  QuoteInput,
  SessionBarsKey,
  StoredBar,
  StoredMarketData,
  Tick,
  TickInput,
} from '../domain/types.ts';
import { MAX_REPLAY_SPEED, ReplayDriver, type ReplayStatus } from '../feed/replay.ts';
import type { SessionData } from '../session/session-data.ts';
import type { SymbolSessionData } from '../session/symbol-session-data.ts';

/** What the service needs from the persistent store. */
export interface SessionStore {
  /** Stored bars of each key, ascending, in one statement. */
  readSessionBars(keys: readonly SessionBarsKey[]): Promise<StoredBar[][]>;
  /**
   * A symbol's stored quotes of a date with from ≤ ts < to: the latest `limit` in arrival order,
   * their count, and the arrival number after every stored quote of the date.
   */
  readStoredQuotes(
    symbol: string,
    date: IsoDate,
    from: Instant,
    to: Instant,
    limit: number,
  ): Promise<StoredMarketData<Quote>>;
  /** The same for ticks. */
  readStoredTicks(
    symbol: string,
    date: IsoDate,
    from: Instant,
    to: Instant,
    limit: number,
  ): Promise<StoredMarketData<Tick>>;
  /** Every stored trade message of a symbol's session date, in arrival order (TRADES symbols). */
  readTradeLog(symbol: string, date: IsoDate): Promise<Tick[]>;
  /** Records the start of a feed's outage. */
  openOutage(feed: string, outage: Outage): Promise<void>;
  /** Closes a feed's open outage. */
  closeOutage(feed: string, end: Instant): Promise<void>;
  /** Every feed reported on, with its outages. */
  listFeedStates(): Promise<FeedState[]>;
  saveSymbolConfig(settings: SymbolSettings): Promise<void>;
  deleteSymbolConfig(symbol: string): Promise<void>;
  listSymbolConfigs(): Promise<SymbolSettings[]>;
  saveSessionState(state: PersistedSessionState): Promise<void>;
  loadSessionState(): Promise<PersistedSessionState | null>;
}

/** Where accepted data goes to be persisted (the write-behind writer). */
export interface DataSink {
  enqueueBar(symbol: string, interval: string, date: IsoDate, bar: StoredBar): void;
  enqueueQuote(symbol: string, date: IsoDate, seq: number, quote: Quote): void;
  enqueueTick(symbol: string, date: IsoDate, seq: number, tick: Tick): void;
  /** Resolves once everything enqueued so far is durable. */
  flush(): Promise<void>;
  /** Whether `count` more items can be accepted without exceeding the writer's backlog bound. */
  hasCapacity(count: number): boolean;
}

/** Options of {@link SessionService}. */
export interface SessionServiceOptions {
  /**
   * Move a LIVE clock with the wall clock once a second (default true). A replica turns it off: there
   * the lease holder publishes the clock's ticks to the log (src/service/replication/).
   */
  readonly liveTicker?: boolean;
  /** `durable`: an ingest answers once its items are committed; default `write-behind`. */
  readonly writeMode?: WriteMode;
  /** How long a durable acknowledgement waits for the commit (default 10,000 ms). */
  readonly ackTimeoutMs?: number;
}

/**
 * The session lifecycle over the tree and the store: starts and ends sessions, loads symbols with
 * their history, persists configuration and feeds every accepted change to the writer. The tree
 * stays the single source of truth; this class only moves data between it and PostgreSQL.
 */
export class SessionService {
  private readonly unsubscribe: Array<() => void> = [];
  /** The running replay of a REPLAY session, if any. */
  replay: ReplayDriver | null = null;
  private persistTimer: NodeJS.Timeout | null = null;
  /** While a replay is being restored: the instant it resumes at. */
  private replayResumeAt: Instant | null = null;
  /** Loads in flight, per symbol entry: a second identical load waits for the first. */
  private readonly loading = new Map<SymbolSessionData, Promise<SymbolSessionData>>();
  /**
   * The feed a symbol loaded without one names (default null: `api`, data pushed through the API).
   * A running live feed sets its own name, so what is loaded while it runs is followed by it.
   */
  defaultFeed: string | null = null;
  /** Status of the last replay when it stopped (finished or replaced). */
  lastReplay: ReplayStatus | null = null;
  /** Moves a LIVE clock with the wall clock, so windows close even when no bar arrives. */
  private readonly liveTicker: NodeJS.Timeout;

  /** When ingest mutations answer (see {@link SessionService.acknowledged}). */
  readonly writeMode: WriteMode;
  private readonly ackTimeoutMs: number;

  constructor(
    readonly session: SessionData,
    private readonly store: SessionStore,
    private readonly sink: DataSink,
    options: SessionServiceOptions = {},
  ) {
    this.writeMode = options.writeMode ?? 'write-behind';
    this.ackTimeoutMs = options.ackTimeoutMs ?? 10_000;
    this.liveTicker = setInterval(() => {
      if (options.liveTicker !== false) session.syncWallClock();
    }, 1000);
    this.liveTicker.unref();
    this.unsubscribe.push(
      session.events.on('baseBar', (change) => {
        sink.enqueueBar(change.symbol, change.interval, change.date, change.bar);
      }),
      session.events.on('marketData', (change) => {
        if (change.type === 'quote') sink.enqueueQuote(change.symbol, change.date, change.seq, change.quote);
        else sink.enqueueTick(change.symbol, change.date, change.seq, change.tick);
      }),
    );
  }

  /**
   * Rebuilds the tree from the persisted session state (after a restart): starts the session
   * again, reloads every configured symbol with its stored bars, restores the clock, and ends it
   * again when it had ended; restores the feeds' outages first. Does nothing more when no session
   * state was persisted.
   */
  async restore(): Promise<boolean> {
    this.session.feeds.restore(await this.store.listFeedStates(), this.session);
    const state = await this.store.loadSessionState();
    if (!state) return false;
    if (state.clockMode === 'REPLAY' && state.clock !== null) {
      await this.startWithoutPersisting(
        state.date,
        state.clockMode,
        state.replaySpeed ?? undefined,
        state.clock,
      );
    } else {
      await this.startWithoutPersisting(state.date, state.clockMode);
    }
    if (state.clock !== null && state.clockMode === 'MANUAL' && state.clock > (this.session.time ?? 0)) {
      this.session.advanceClock(state.clock);
    }
    if (!state.active) {
      this.stopReplay();
      this.session.end();
    }
    return true;
  }

  /**
   * Starts a session (ending the active one) and reloads every configured symbol. In REPLAY mode a
   * replay of the date's stored bars starts at `replaySpeed` (market time per wall time, default 60).
   * @throws ServiceError NOT_TRADING_DAY, BAD_USER_INPUT (speed)
   */
  async startSession(date: IsoDate, mode: ClockMode, replaySpeed?: number): Promise<void> {
    if (replaySpeed !== undefined && !(replaySpeed > 0 && replaySpeed <= MAX_REPLAY_SPEED)) {
      throw new ServiceError('BAD_USER_INPUT', `replaySpeed must be > 0 and ≤ ${MAX_REPLAY_SPEED}`);
    }
    await this.sink.flush();
    await this.startWithoutPersisting(date, mode, replaySpeed);
    await this.persistState();
  }

  private async startWithoutPersisting(
    date: IsoDate,
    mode: ClockMode,
    replaySpeed?: number,
    replayClock?: Instant,
  ): Promise<void> {
    this.stopReplay();
    this.session.start(date, mode);
    // A restored replay resumes where it was: the loads install the bars up to that instant, and the
    // clock moves there once every symbol is in (its cap depends on their extended hours).
    this.replayResumeAt = replayClock ?? null;
    try {
      const configs = await this.store.listSymbolConfigs();
      for (const config of configs) await this.loadSymbol(config, false);
    } finally {
      this.replayResumeAt = null;
    }
    if (replayClock !== undefined) this.session.setReplayClock(replayClock);
    if (mode === 'REPLAY') {
      this.replay = new ReplayDriver(
        this,
        this.store,
        replaySpeed === undefined ? {} : { speed: replaySpeed },
      );
      await this.replay.start();
    }
  }

  private stopReplay(): void {
    if (this.replay) this.lastReplay = this.replay.status();
    this.replay?.stop();
    this.replay = null;
  }

  /** Ends the session: every window closes; data stays readable until the next start. */
  async endSession(): Promise<void> {
    this.stopReplay();
    this.session.end();
    await this.persistState();
  }

  /** Moves the MANUAL clock forward and persists it. */
  async advanceClock(to: Instant): Promise<void> {
    this.session.advanceClock(to);
    await this.persistState();
  }

  /**
   * Loads a symbol (mid-session allowed): creates its entry, reads its trailing historical days and
   * today's stored bars in one statement (and today's quotes and ticks), installs them and marks it loaded. The same settings
   * again change nothing; new settings rebuild the entry from the store.
   */
  async loadSymbol(input: SymbolSettingsInput, persist = true): Promise<SymbolSessionData> {
    const settings =
      input.feed === undefined && this.defaultFeed !== null ? { ...input, feed: this.defaultFeed } : input;
    const { data, changed } = this.session.beginLoad(settings);
    if (!changed && data.loaded) return data;
    const inFlight = this.loading.get(data);
    if (inFlight) return inFlight;
    const load = this.readAndInstall(data, persist).finally(() => this.loading.delete(data));
    this.loading.set(data, load);
    return load;
  }

  private async readAndInstall(data: SymbolSessionData, persist: boolean): Promise<SymbolSessionData> {
    if (persist) await this.store.saveSymbolConfig(data.settings);
    await this.sink.flush();
    const date = data.date;
    const dates = tradingDatesBefore(date, data.settings.historicalDays);
    const keys = [...dates, date].map((d) => ({ symbol: data.symbol, interval: data.baseInterval, date: d }));
    const until =
      this.session.clockMode === 'REPLAY' ? (this.replayResumeAt ?? this.session.time ?? 0) : data.window.end;
    const fromTrades = data.trades !== null;
    const [rows, quotes, storedTicks, log] = await Promise.all([
      this.store.readSessionBars(keys),
      this.store.readStoredQuotes(data.symbol, date, data.window.start, until, data.quotes.capacity),
      fromTrades
        ? null
        : this.store.readStoredTicks(data.symbol, date, data.window.start, until, data.ticks.capacity),
      fromTrades ? this.store.readTradeLog(data.symbol, date) : null,
    ]);
    const tradeLog = (log ?? []).filter((t) => t.ts >= data.window.start && t.ts < until);
    const ticks = storedTicks ?? ticksOfLog(tradeLog, log?.length ?? 0, data.ticks.capacity);
    if (this.session.symbol(data.symbol) !== data) return this.session.symbol(data.symbol) ?? data;
    const history = new Map<IsoDate, StoredBar[]>();
    dates.forEach((d, i) => {
      history.set(d, rows[i] ?? []);
    });
    let today = rows[dates.length] ?? [];
    if (this.session.clockMode === 'REPLAY') {
      const clock = this.replayResumeAt ?? this.session.time ?? Number.NEGATIVE_INFINITY;
      const baseMs = data.day.base.spec.ms;
      today = today.filter((bar) => bar.ts + baseMs <= clock);
    }
    return this.session.completeLoad(data.symbol, history, today, { quotes, ticks }, tradeLog) ?? data;
  }

  /** Removes a symbol from memory and from the configuration; its stored bars stay. */
  async removeSymbol(symbol: string): Promise<boolean> {
    const key = normaliseSymbol(symbol);
    if (key === null) return false;
    const removed = this.session.removeSymbol(key);
    await this.store.deleteSymbolConfig(key);
    return removed;
  }

  /**
   * Ingests base bars (see SessionData.ingestBars); accepted bars reach the writer. While the
   * writer's backlog is full (PostgreSQL unreachable for long) the whole batch is refused with
   * STORE_UNAVAILABLE, so nothing is acknowledged that could not be persisted.
   */
  ingestBars(bars: readonly BarInput[]): IngestResult {
    const before = this.session.time;
    const result = this.refuseWhenFull(bars.length) ?? this.session.ingestBars(bars);
    if (this.session.time !== before && this.session.clockMode === 'MANUAL') this.persistSoon();
    return result;
  }

  /**
   * Persists the session state within a second (once per second at most): a MANUAL clock moved by
   * ingested bars survives a restart even if the symbols that moved it are removed later.
   */
  private persistSoon(): void {
    if (this.persistTimer) return;
    this.persistTimer = setTimeout(() => {
      this.persistTimer = null;
      // A failed write is retried by the next one; the tree is unaffected.
      this.persistState().catch(() => undefined);
    }, 1000);
    this.persistTimer.unref();
  }

  /** Plays bars read from the store (REPLAY): stored revisions kept, nothing written again. */
  replayStoredBars(bars: readonly (BarInput & { readonly revision: number })[]): IngestResult {
    return this.session.replayStoredBars(bars);
  }

  /** Ingests quotes (same backlog rule as bars). */
  ingestQuotes(quotes: readonly QuoteInput[]): IngestResult {
    return this.refuseWhenFull(quotes.length) ?? this.session.ingestQuotes(quotes);
  }

  /**
   * Records a feed's status (src/domain/feed-health.ts) in the tree, then in the store; resolves
   * once it is durable.
   * @throws ServiceError BAD_USER_INPUT
   */
  reportFeedStatus(feed: string, status: FeedStatus, at: Instant, reason: string | null): Promise<FeedState> {
    // The tree first, at once (a replica applies the report in log order), then the store.
    const before = this.session.feeds.state(feed);
    const state = this.session.reportFeedStatus(feed, status, at, reason);
    if (state === before) return Promise.resolve(state);
    const write =
      status === 'DOWN'
        ? this.store.openOutage(feed, state.outages.at(-1)!)
        : this.store.closeOutage(feed, at);
    return write.then(() => state);
  }

  /** Ingests trades handed in by a feed (prints with their venue fields): {@link ingestTicks}. */
  ingestTrades(trades: readonly TickInput[]): IngestResult {
    return this.ingestTicks(trades);
  }

  /** Ingests ticks (same backlog rule as bars). */
  ingestTicks(ticks: readonly TickInput[]): IngestResult {
    return this.refuseWhenFull(ticks.length) ?? this.session.ingestTicks(ticks);
  }

  /**
   * What an ingest mutation waits for before it answers. Durable mode: the commit of everything
   * accepted so far — the writer's next write takes every item waiting, so concurrent requests
   * share one commit (group commit). Write-behind: nothing (the items are committed within the
   * writer's delay).
   * @throws ServiceError STORE_UNAVAILABLE when the commit has not come within the ack timeout (the
   *   items stay in memory and are written once the store answers; sending them again is safe)
   */
  async acknowledged(): Promise<void> {
    if (this.writeMode !== 'durable') return;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.sink.flush(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('timeout')), this.ackTimeoutMs);
        }),
      ]);
    } catch {
      throw new ServiceError(
        'STORE_UNAVAILABLE',
        `the store did not commit this batch within ${this.ackTimeoutMs} ms: its items are kept in memory and written when the store answers; sending them again is safe`,
      );
    } finally {
      clearTimeout(timer);
    }
  }

  private refuseWhenFull(count: number): IngestResult | null {
    // A bar change may also rewrite derived windows, but only base bars are written: one item each.
    if (count === 0 || this.sink.hasCapacity(count)) return null;
    const message = 'the store is unreachable and its write backlog is full: retry later';
    return {
      accepted: 0,
      rejected: Array.from({ length: count }, (_, index) => ({
        index,
        code: 'STORE_UNAVAILABLE' as const,
        message,
      })),
    };
  }

  /** Pauses the running replay; false when none runs. */
  pauseReplay(): boolean {
    if (!this.replay) return false;
    this.replay.pause();
    return true;
  }

  /** Resumes a paused replay; false when none runs. */
  resumeReplay(): boolean {
    if (!this.replay) return false;
    this.replay.resume();
    return true;
  }

  /** Where the replay stands; null when no replay runs. */
  replayStatus(): ReplayStatus | null {
    return this.replay?.status() ?? null;
  }

  /** Persists the session state (date, mode, active, clock, replay speed). */
  async persistState(): Promise<void> {
    const date = this.session.date;
    if (date === null) return;
    await this.store.saveSessionState({
      date,
      clockMode: this.session.clockMode,
      active: this.session.active,
      clock: this.session.time,
      replaySpeed: this.replay?.speed ?? null,
    });
  }

  /** Writes a pending state change now (clean shutdown). */
  async flushState(): Promise<void> {
    if (!this.persistTimer) return;
    clearTimeout(this.persistTimer);
    this.persistTimer = null;
    await this.persistState();
  }

  /** Stops feeding the writer. */
  dispose(): void {
    clearInterval(this.liveTicker);
    if (this.persistTimer) clearTimeout(this.persistTimer);
    this.stopReplay();
    for (const off of this.unsubscribe.splice(0)) off();
  }
}

/**
 * The tick buffer's restore of a symbol built from trades, from its trade log (every stored message
 * of the date, `total` of them, of which `log` are inside the window): the latest `capacity`.
 */
function ticksOfLog(log: readonly Tick[], total: number, capacity: number): StoredMarketData<Tick> {
  return { items: log.slice(-capacity), count: log.length, next: total };
}
