/**
 * Runs a live feed for the session (README "Connect a live feed"):
 *
 * - **The session.** On a trading day (by the feed's clock, America/New_York) it starts today's
 *   `LIVE` session, or keeps the restored one when it is today's `LIVE` session already. On a
 *   non-trading day it says so (with the next trading date) and waits; it checks again every
 *   `checkIntervalMs` (default 30 s), which is also how the next day's session starts by itself.
 * - **First run.** When the store holds no symbol configuration yet, it loads `FEED_SYMBOLS` with
 *   `FEED_BASE` and `FEED_SOURCE`, naming this feed, once the session is started.
 * - **Which symbols.** The feed follows exactly the loaded symbols whose `feed` is its name
 *   (`alpaca`, `polygon`). While it runs, `loadSymbol` without a `feed` names it (the service's
 *   default feed), so a symbol loaded through the API is followed; `feed: "api"` keeps a symbol for
 *   data pushed through the API. A symbol stored with the other built-in feed's name (the service
 *   ran with the other provider before) is moved to this one at start, with a log line.
 * - **Following the tree.** `loadSymbol` subscribes, `removeSymbol` unsubscribes, a new session
 *   resubscribes (changes are gathered for 50 ms, so a session's reload of the same symbols changes
 *   no subscription). A `BARS` symbol gets its bars and quotes, a `TRADES` symbol its trades (with
 *   their corrections and cancels) and quotes.
 * - **Backfill.** Each followed symbol is backfilled from the start of its session window to now
 *   once the feed is UP (start-up in the middle of a session, a symbol loaded mid-session), and again
 *   for every new session: bars for a `BARS` symbol, trades for a `TRADES` symbol (one per id in the
 *   tree); outages are backfilled by the feed itself.
 * - **Status.** The feed's connection status (UP, DOWN with the reason, the outages) is kept here
 *   for the banner and handed to `onStatus`; the sink reports it to the tree (`reportFeedStatus`),
 *   so the gaps of an outage say `FEED_OUTAGE`.
 */
import { nextTradingDate, nyDate, tradingDay } from '../domain/calendar.ts';
import type { Instant, IsoDate } from '../domain/types.ts';
import type { BackfillRequest, FeedStatusChange, FeedSubscription, LiveFeed } from '../feed/live/types.ts';
import type { FeedLog } from './feed-ingest.ts';
import type { SessionService } from './session-service.ts';

/** Symbols loaded on a first run. */
export interface InitialFeedSymbols {
  readonly symbols: readonly string[];
  readonly base: '1m' | '1s';
  readonly source: 'BARS' | 'TRADES';
}

/** The names of the built-in feeds (one runs at a time). */
const BUILT_IN_FEEDS: ReadonlySet<string> = new Set(['alpaca', 'polygon']);

/** Options of the controller. */
export interface LiveFeedControllerOptions {
  readonly service: SessionService;
  readonly feed: LiveFeed;
  readonly log: FeedLog;
  /** The feed's clock (the rehearsal clock when CLOCK_START is set). */
  readonly now: () => Instant;
  readonly initial: InitialFeedSymbols;
  /** Whether the store already holds a symbol configuration. */
  readonly hasSymbolConfigs: () => Promise<boolean>;
  /** How often the date is checked (ms); default 30,000. */
  readonly checkIntervalMs?: number;
}

/** One recorded outage of the feed. */
export interface FeedOutage {
  readonly start: Instant;
  readonly end: Instant | null;
  readonly reason: string;
}

/** Where the feed stands, for the banner and tests. */
export interface LiveFeedStatus {
  readonly feed: string;
  readonly state: LiveFeed['state'];
  /** Last connection change, if any. */
  readonly last: FeedStatusChange | null;
  readonly outages: readonly FeedOutage[];
  /** The symbols followed. */
  readonly symbols: readonly string[];
  /** Set while waiting for a trading day: the date waited for. */
  readonly waitingFor: IsoDate | null;
}

/** Drives a live feed from the session tree. */
export class LiveFeedController {
  private timer: NodeJS.Timeout | null = null;
  private syncTimer: NodeJS.Timeout | null = null;
  private readonly offSession: () => void;
  private last: FeedStatusChange | null = null;
  private readonly outageList: FeedOutage[] = [];
  private waiting: IsoDate | null = null;
  private readonly backfilled = new Set<string>();
  private connecting: Promise<void> | null = null;
  private checking: Promise<void> | null = null;
  private disposed = false;
  private statusListeners: Array<(change: FeedStatusChange) => void> = [];

  constructor(private readonly options: LiveFeedControllerOptions) {
    this.offSession = options.service.session.events.on('session', (event) => {
      if (event.kind === 'SESSION_STARTED') this.backfilled.clear();
      this.scheduleSync();
    });
  }

  /** Starts (or keeps) today's LIVE session when today is a trading day, then connects the feed. */
  async start(): Promise<void> {
    await this.check();
    this.timer = setInterval(() => {
      this.check().catch((error: unknown) =>
        this.options.log.error({ err: error }, 'live feed: date check failed'),
      );
    }, this.options.checkIntervalMs ?? 30_000);
    this.timer.unref();
  }

  /** Feed the controller a status change (the sink's `onStatus`). */
  onStatus(change: FeedStatusChange): void {
    this.last = change;
    if (change.status === 'DOWN')
      this.outageList.push({ start: change.at, end: null, reason: change.reason });
    else {
      const open = this.outageList.at(-1);
      if (open && open.end === null)
        this.outageList[this.outageList.length - 1] = { ...open, end: change.at };
      this.backfillPending();
    }
    for (const listener of this.statusListeners) listener(change);
  }

  /** Resolves at the next status change, or after `ms` (whichever is first). */
  nextStatus(ms: number): Promise<FeedStatusChange | null> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.statusListeners = this.statusListeners.filter((l) => l !== listener);
        resolve(null);
      }, ms);
      timer.unref();
      const listener = (change: FeedStatusChange) => {
        clearTimeout(timer);
        this.statusListeners = this.statusListeners.filter((l) => l !== listener);
        resolve(change);
      };
      this.statusListeners.push(listener);
    });
  }

  /** Where the feed stands. */
  status(): LiveFeedStatus {
    return {
      feed: this.options.feed.name,
      state: this.options.feed.state,
      last: this.last,
      outages: [...this.outageList],
      symbols: this.options.feed.following().map((s) => s.symbol),
      waitingFor: this.waiting,
    };
  }

  /** Stops the timers and closes the feed. */
  async dispose(): Promise<void> {
    this.disposed = true;
    if (this.timer) clearInterval(this.timer);
    if (this.syncTimer) clearTimeout(this.syncTimer);
    this.offSession();
    if (this.options.service.defaultFeed === this.options.feed.name) this.options.service.defaultFeed = null;
    await this.options.feed.close();
  }

  private check(): Promise<void> {
    this.checking ??= this.checkDate().finally(() => {
      this.checking = null;
    });
    return this.checking;
  }

  private async checkDate(): Promise<void> {
    if (this.disposed) return;
    const { service, log } = this.options;
    const today = nyDate(this.options.now());
    const day = tradingDay(today);
    if (!day.isTradingDay) {
      if (this.waiting === null) {
        const next = nextTradingDate(today);
        this.waiting = next;
        log.info(
          { today, next },
          `live feed: ${today} is not a trading day (${day.holiday ?? 'weekend'}): waiting for ${next}`,
        );
      }
      return;
    }
    this.waiting = null;
    const session = service.session;
    const todays =
      session.date === today && session.clockMode === 'LIVE' && (session.active || session.ended);
    if (!todays) {
      await service.startSession(today, 'LIVE');
      log.info({ date: today }, `live feed: LIVE session of ${today} started`);
    }
    if (!(await this.options.hasSymbolConfigs())) await this.loadInitialSymbols();
    await this.adoptOtherFeedSymbols();
    this.sync();
    this.connecting ??= this.options.feed.connect().catch((error: unknown) => {
      log.error({ feed: this.options.feed.name }, `live feed: ${(error as Error).message}`);
    });
  }

  /** Moves symbols of the other built-in feed to this one (the provider changed since they were stored). */
  private async adoptOtherFeedSymbols(): Promise<void> {
    const name = this.options.feed.name;
    for (const data of this.options.service.session.symbols()) {
      if (data.feed === name || !BUILT_IN_FEEDS.has(data.feed)) continue;
      this.options.log.info(
        { symbol: data.symbol, from: data.feed, to: name },
        `live feed: ${data.symbol} moves from feed ${data.feed} to ${name}`,
      );
      try {
        await this.options.service.loadSymbol({ ...data.settings, feed: name });
      } catch (error) {
        this.options.log.error(
          { symbol: data.symbol },
          `live feed: ${data.symbol} could not move: ${(error as Error).message}`,
        );
      }
    }
  }

  private async loadInitialSymbols(): Promise<void> {
    const { initial, service, log } = this.options;
    for (const symbol of initial.symbols) {
      try {
        await service.loadSymbol({
          symbol,
          baseInterval: initial.base,
          source: initial.source,
          feed: this.options.feed.name,
        });
      } catch (error) {
        log.error(
          { symbol },
          `live feed: FEED_SYMBOLS could not load ${symbol}: ${(error as Error).message}`,
        );
      }
    }
    if (initial.symbols.length > 0)
      log.info({ symbols: initial.symbols }, 'live feed: FEED_SYMBOLS loaded (first run)');
  }

  private scheduleSync(): void {
    if (this.syncTimer || this.disposed) return;
    this.syncTimer = setTimeout(() => {
      this.syncTimer = null;
      this.sync();
    }, 50);
    this.syncTimer.unref();
  }

  /** Makes the feed follow exactly the loaded symbols. */
  private sync(): void {
    if (this.disposed) return;
    const feed = this.options.feed;
    const desired = new Map<string, FeedSubscription>();
    for (const data of this.options.service.session.symbols()) {
      if (!data.loaded || data.feed !== feed.name) continue;
      const trades = data.source === 'TRADES';
      desired.set(data.symbol, {
        symbol: data.symbol,
        baseInterval: data.baseInterval,
        channels: { bars: !trades, trades, quotes: true },
      });
    }
    const current = new Map(feed.following().map((s) => [s.symbol, s]));
    const gone = [...current.keys()].filter((s) => !desired.has(s));
    const added = [...desired.values()].filter(
      (s) => JSON.stringify(current.get(s.symbol)) !== JSON.stringify(s),
    );
    if (gone.length > 0) feed.unfollow(gone);
    if (added.length > 0) feed.follow(added);
    for (const symbol of gone) this.backfilled.delete(symbol);
    if (feed.state === 'UP') this.backfillPending();
  }

  /** Backfills every followed symbol not backfilled yet in this session: [window start, now). */
  private backfillPending(): void {
    const session = this.options.service.session;
    if (!session.active || session.date === null || this.options.feed.state !== 'UP') return;
    const now = this.options.now();
    const groups = new Map<string, BackfillRequest & { symbols: string[] }>();
    for (const sub of this.options.feed.following()) {
      if (this.backfilled.has(sub.symbol)) continue;
      const data = session.symbol(sub.symbol);
      if (!data?.loaded) continue;
      this.backfilled.add(sub.symbol);
      const trades = sub.channels.trades;
      const size = trades ? 1 : data.baseInterval === '1s' ? 1_000 : 60_000;
      const to = Math.floor(Math.min(now, data.window.end) / size) * size;
      if (to <= data.window.start) continue;
      const data_ = trades ? 'TRADES' : 'BARS';
      const key = `${data_}|${data.baseInterval}|${data.window.start}|${to}`;
      const group = groups.get(key) ?? {
        data: data_,
        symbols: [],
        baseInterval: data.baseInterval,
        from: data.window.start,
        to,
      };
      group.symbols.push(sub.symbol);
      groups.set(key, group);
    }
    for (const group of groups.values()) {
      void this.options.feed.backfill(group).then((result) => {
        const what = group.data === 'TRADES' ? `${result.trades} trades` : `${result.bars} bars`;
        this.options.log.info(
          { symbols: group.symbols, bars: result.bars, trades: result.trades, requests: result.requests },
          `live feed: backfilled ${what} of ${group.symbols.length} symbols from ${new Date(group.from).toISOString()}`,
        );
        for (const failure of result.failed) {
          this.backfilled.delete(failure.symbol);
          this.options.log.warn({ symbol: failure.symbol }, `live feed: backfill failed: ${failure.reason}`);
        }
      });
    }
  }
}
