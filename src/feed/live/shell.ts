/**
 * The thin WebSocket shell every stream feed runs in (the `ws` package): it opens the connection
 * with the core's headers, passes frames to the core and carries out its effects, and owns what
 * no protocol says:
 *
 * - **Dead connections.** A ping every `pingIntervalMs`; a connection with no frame and no pong
 *   for `readTimeoutMs` is dead and is dropped (a TCP connection can stay "open" long after the
 *   peer is gone).
 * - **Reconnect.** After a drop, a refused handshake or a `reconnect` effect: capped exponential
 *   back-off with full jitter (src/feed/live/backoff.ts), reset once the feed is UP again. A new
 *   core is made per connection and subscribes to everything followed.
 * - **Outages.** `DOWN` is reported once, at the instant the connection was lost (for a dead
 *   connection: its last frame), `UP` when the next connection is authenticated and subscribed:
 *   the outage is `[DOWN.at, UP.at)`.
 * - **Backfill.** After every reconnect, the bars of the outage's windows for every followed
 *   `bars` symbol: `[DOWN.at aligned down to the bar, UP.at aligned down)`; the window holding the
 *   reconnect instant streams normally. Results go to the sink as `BACKFILL`. The same range is
 *   asked again after `backfillRetriesMs` (1 and 16 minutes), for minutes the history lagged on.
 *   A followed `TRADES` symbol gets the trades of `[DOWN.at's minute, UP.at)` from the trade
 *   history (delivered through `trades`; the tree keeps one trade per id).
 * - **Stop.** A `stop` effect (bad keys, no entitlement) closes for good and reports a fatal DOWN.
 *
 * Instants reported to the sink come from `now` (the feed's clock, which a rehearsal may run
 * fast); time-outs are wall-clock timers. Reasons pass through `redact`, so no secret leaves. Data
 * reaches the owner's sink in batches gathered over the frames of one event-loop turn
 * (src/feed/live/batching-sink.ts).
 */
import WebSocket from 'ws';
import type { Instant } from '../../domain/types.ts';
import { Backoff, type BackoffOptions } from './backoff.ts';
import { BatchingSink } from './batching-sink.ts';
import type { CoreEffect, OutgoingFrame, StreamCore } from './stream-core.ts';
import type {
  BackfillRequest,
  BackfillResult,
  FeedBar,
  FeedSink,
  FeedState,
  FeedSubscription,
  FeedTrade,
  LiveFeed,
} from './types.ts';

/** Reads a provider's bar history: calls `onPage` per page, returns the request count. */
export type BarHistory = (
  symbols: readonly string[],
  baseInterval: string,
  from: Instant,
  to: Instant,
  onPage: (bars: FeedBar[]) => void,
) => Promise<number>;

/** Reads a provider's trade history: calls `onPage` per page, returns the request count. */
export type TradeHistory = (
  symbols: readonly string[],
  from: Instant,
  to: Instant,
  onPage: (trades: FeedTrade[]) => void,
) => Promise<number>;

/** Options of a stream feed. */
export interface StreamFeedOptions {
  /** The feed's name (`alpaca`, `polygon`). */
  readonly name: string;
  /** WebSocket URL. */
  readonly url: string;
  /** Makes the protocol core of a new connection. */
  readonly makeCore: (sink: FeedSink) => StreamCore;
  /** The provider's REST bar history. */
  readonly history: BarHistory;
  /** Base intervals the provider's history serves (`1m`, `1s`). */
  readonly historyIntervals: readonly string[];
  /** The provider's REST trade history (backfill of `TRADES` symbols). */
  readonly tradeHistory?: TradeHistory;
  readonly sink: FeedSink;
  /** The feed's clock (default Date.now). */
  readonly now?: () => Instant;
  /** Ping period (ms); default 10,000. */
  readonly pingIntervalMs?: number;
  /** No frame and no pong for this long (ms) means the connection is dead; default 30,000. */
  readonly readTimeoutMs?: number;
  /** Opening handshake time-out (ms); default 10,000. */
  readonly handshakeTimeoutMs?: number;
  readonly backoff?: BackoffOptions;
  /** Values that must never appear in what the feed reports (keys, secrets). */
  readonly secrets?: readonly string[];
  /** Backfill the outage after every reconnect (default true). */
  readonly backfillOnReconnect?: boolean;
  /**
   * Delays (ms) after which an outage's backfill runs again, for bars the provider's history did not
   * hold yet (recent minutes can lag); default one minute and sixteen minutes. Identical bars change
   * nothing, so a repeat is harmless.
   */
  readonly backfillRetriesMs?: readonly number[];
}

/** A feed over one WebSocket connection at a time. */
export class StreamFeed implements LiveFeed {
  readonly name: string;
  private current: FeedState = 'IDLE';
  private socket: WebSocket | null = null;
  private core: StreamCore | null = null;
  private readonly subscriptions = new Map<string, FeedSubscription>();
  private readonly backoff: Backoff;
  private readonly now: () => Instant;
  private heartbeat: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private lastWall = 0;
  private lastFrameAt: Instant = 0;
  /** When the current outage began; null while UP (or before the first connection). */
  private downSince: Instant | null = null;
  private everUp = false;
  private connectWaiters: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  private stopReason: string | null = null;
  /** Backfills running (so `close` can wait for them). */
  private readonly running = new Set<Promise<unknown>>();
  /** Repeats of outage backfills waiting. */
  private readonly retries = new Set<NodeJS.Timeout>();
  /** Connections opened so far. */
  connections = 0;
  /** Where everything goes: the owner's sink behind a batcher (src/feed/live/batching-sink.ts). */
  private readonly sink: BatchingSink;

  constructor(private readonly options: StreamFeedOptions) {
    this.name = options.name;
    this.sink = new BatchingSink(options.sink);
    this.backoff = new Backoff(options.backoff);
    this.now = options.now ?? Date.now;
  }

  get state(): FeedState {
    return this.current;
  }

  connect(): Promise<void> {
    if (this.current === 'STOPPED') {
      return Promise.reject(new Error(this.stopReason ?? `${this.name} feed is closed`));
    }
    const ready = new Promise<void>((resolve, reject) => {
      if (this.current === 'UP') resolve();
      else this.connectWaiters.push({ resolve, reject });
    });
    if (this.current === 'IDLE') this.open();
    return ready;
  }

  follow(subscriptions: readonly FeedSubscription[]): void {
    for (const sub of subscriptions) this.subscriptions.set(sub.symbol, sub);
    this.resubscribe();
  }

  unfollow(symbols: readonly string[]): void {
    let changed = false;
    for (const symbol of symbols) changed = this.subscriptions.delete(symbol) || changed;
    if (changed) this.resubscribe();
  }

  following(): readonly FeedSubscription[] {
    return [...this.subscriptions.values()];
  }

  async backfill(request: BackfillRequest): Promise<BackfillResult> {
    const task = this.runBackfill(request);
    this.running.add(task);
    try {
      return await task;
    } finally {
      this.running.delete(task);
    }
  }

  private async runBackfill(request: BackfillRequest): Promise<BackfillResult> {
    const failed: Array<{ symbol: string; reason: string }> = [];
    const trades = request.data === 'TRADES';
    const history = this.options.tradeHistory;
    let why: string | null = null;
    if (trades && !history) why = `${this.name} has no trade history`;
    if (!trades && !this.options.historyIntervals.includes(request.baseInterval)) {
      why = `${this.name} has no ${request.baseInterval} bar history`;
    }
    if (why !== null) {
      for (const symbol of request.symbols) failed.push({ symbol, reason: why });
      return { bars: 0, trades: 0, requests: 0, failed };
    }
    let bars = 0;
    let tradeCount = 0;
    let requests = 0;
    if (request.symbols.length === 0 || request.to <= request.from)
      return { bars, trades: 0, requests, failed };
    try {
      if (trades) {
        requests += await history!(request.symbols, request.from, request.to, (page) => {
          if (page.length === 0 || this.current === 'STOPPED') return;
          tradeCount += page.length;
          this.sink.trades(page);
        });
      } else {
        requests += await this.options.history(
          request.symbols,
          request.baseInterval,
          request.from,
          request.to,
          (page) => {
            if (page.length === 0 || this.current === 'STOPPED') return;
            bars += page.length;
            this.sink.bars(page, 'BACKFILL');
          },
        );
      }
    } catch (error) {
      const reason = this.redact((error as Error).message);
      for (const symbol of request.symbols) failed.push({ symbol, reason });
    }
    return { bars, trades: tradeCount, requests, failed };
  }

  async close(): Promise<void> {
    if (this.current === 'STOPPED') return;
    this.stopReason = `${this.name} feed was closed`;
    const wasUp = this.current === 'UP';
    this.current = 'STOPPED';
    this.clearTimers();
    const socket = this.socket;
    this.socket = null;
    this.core = null;
    if (socket) {
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      if (socket.readyState === WebSocket.OPEN) socket.close(1000, 'closing');
      else socket.terminate();
    }
    this.rejectWaiters(new Error(this.stopReason));
    if (wasUp) this.report('DOWN', this.now(), `${this.name} feed closed (service stopping)`);
    this.sink.flush();
    await Promise.allSettled([...this.running]);
  }

  private resubscribe(): void {
    const core = this.core;
    if (!core) return;
    for (const frame of core.update(this.following())) this.send(frame);
  }

  private open(): void {
    this.current = 'CONNECTING';
    this.connections++;
    const core = this.options.makeCore(this.sink);
    core.update(this.following());
    const socket = new WebSocket(this.options.url, {
      headers: { ...core.headers },
      handshakeTimeout: this.options.handshakeTimeoutMs ?? 10_000,
      perMessageDeflate: true,
    });
    this.socket = socket;
    this.core = core;
    this.lastWall = Date.now();
    socket.on('open', () => {
      this.touch();
      for (const frame of core.opened()) this.send(frame);
      this.startHeartbeat();
    });
    socket.on('message', (data, binary) => {
      if (this.socket !== socket) return;
      this.touch();
      const effects = core.received(binary ? (data as Buffer) : (data as Buffer).toString('utf8'), binary);
      if (effects.length > 0) this.apply(effects);
    });
    socket.on('pong', () => this.touch());
    socket.on('error', (error) => {
      if (this.socket === socket) this.drop(`${this.name} connection error: ${error.message}`, this.now());
    });
    socket.on('close', (code, reason) => {
      if (this.socket !== socket) return;
      const why = reason.length > 0 ? `: ${reason.toString()}` : '';
      this.drop(`${this.name} connection closed (${code}${why})`, this.now());
    });
  }

  private touch(): void {
    this.lastWall = Date.now();
    this.lastFrameAt = this.now();
  }

  private startHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    const period = this.options.pingIntervalMs ?? 10_000;
    const timeout = this.options.readTimeoutMs ?? 30_000;
    this.heartbeat = setInterval(
      () => {
        const socket = this.socket;
        if (!socket || socket.readyState !== WebSocket.OPEN) return;
        if (Date.now() - this.lastWall > timeout) {
          this.drop(
            `${this.name} connection is dead: no frame or pong for ${Math.round(timeout / 1000)} s`,
            this.lastFrameAt,
          );
          return;
        }
        socket.ping();
      },
      Math.min(period, timeout),
    );
    this.heartbeat.unref();
  }

  private send(frame: OutgoingFrame): void {
    const socket = this.socket;
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(frame.data, { binary: frame.binary });
  }

  private apply(effects: readonly CoreEffect[]): void {
    for (const effect of effects) {
      if (this.current === 'STOPPED') return;
      switch (effect.kind) {
        case 'send':
          this.send(effect.frame);
          break;
        case 'ready':
          this.up();
          break;
        case 'problem':
          this.sink.problem({
            feed: this.name,
            at: this.now(),
            message: this.redact(effect.message),
            ...(effect.code === undefined ? {} : { code: effect.code }),
          });
          break;
        case 'reconnect':
          this.drop(this.redact(effect.reason), this.now(), effect.code);
          return;
        case 'stop':
          this.stop(this.redact(effect.reason), effect.code);
          return;
      }
    }
  }

  private up(): void {
    this.current = 'UP';
    this.backoff.reset();
    const at = this.now();
    const outageStart = this.downSince;
    this.downSince = null;
    this.report('UP', at, this.everUp ? `${this.name} reconnected` : `${this.name} connected`);
    this.everUp = true;
    const waiters = this.connectWaiters;
    this.connectWaiters = [];
    for (const w of waiters) w.resolve();
    if (outageStart !== null && (this.options.backfillOnReconnect ?? true))
      this.backfillOutage(outageStart, at);
  }

  private backfillOutage(start: Instant, end: Instant, retry = 0): void {
    const delays = this.options.backfillRetriesMs ?? [60_000, 16 * 60_000];
    if (retry < delays.length) {
      const timer = setTimeout(() => {
        this.retries.delete(timer);
        if (this.current !== 'STOPPED') this.backfillOutage(start, end, retry + 1);
      }, delays[retry]!);
      timer.unref();
      this.retries.add(timer);
    }
    const byInterval = new Map<string, string[]>();
    const tradeSymbols: string[] = [];
    for (const sub of this.subscriptions.values()) {
      if (sub.channels.trades) tradeSymbols.push(sub.symbol);
      if (!sub.channels.bars) continue;
      const list = byInterval.get(sub.baseInterval) ?? [];
      list.push(sub.symbol);
      byInterval.set(sub.baseInterval, list);
    }
    const requests: BackfillRequest[] = [];
    for (const [baseInterval, symbols] of byInterval) {
      const size = baseInterval === '1s' ? 1_000 : 60_000;
      requests.push({
        symbols,
        baseInterval,
        from: Math.floor(start / size) * size,
        to: Math.floor(end / size) * size,
      });
    }
    // Trades from the minute of the drop to the reconnect: the tree keeps one trade per id.
    if (tradeSymbols.length > 0 && this.options.tradeHistory) {
      requests.push({
        data: 'TRADES',
        symbols: tradeSymbols,
        baseInterval: '1s',
        from: Math.floor(start / 60_000) * 60_000,
        to: end,
      });
    }
    for (const request of requests) {
      void this.backfill(request).then((result) => {
        for (const failure of result.failed) {
          this.sink.problem({
            feed: this.name,
            at: this.now(),
            message: `backfill of ${failure.symbol} failed: ${failure.reason}`,
          });
        }
      });
    }
  }

  private drop(reason: string, at: Instant, code?: number | string): void {
    if (this.current === 'STOPPED') return;
    this.closeSocket();
    this.current = 'DOWN';
    if (this.downSince === null) {
      this.downSince = at;
      this.report('DOWN', at, this.redact(reason), code);
    }
    if (this.retryTimer) return;
    const wait = this.backoff.next();
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.current !== 'STOPPED') this.open();
    }, wait);
    this.retryTimer.unref();
  }

  private stop(reason: string, code?: number | string): void {
    this.closeSocket();
    this.clearTimers();
    this.current = 'STOPPED';
    this.stopReason = reason;
    const at = this.downSince ?? this.now();
    this.report('DOWN', at, reason, code, true);
    this.rejectWaiters(new Error(reason));
  }

  private closeSocket(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    const socket = this.socket;
    this.socket = null;
    this.core = null;
    if (socket) {
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      socket.terminate();
    }
  }

  private clearTimers(): void {
    for (const timer of this.retries) clearTimeout(timer);
    this.retries.clear();
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.heartbeat = null;
    this.retryTimer = null;
  }

  private rejectWaiters(error: Error): void {
    const waiters = this.connectWaiters;
    this.connectWaiters = [];
    for (const w of waiters) w.reject(error);
  }

  private report(
    status: 'UP' | 'DOWN',
    at: Instant,
    reason: string,
    code?: number | string,
    fatal?: boolean,
  ): void {
    this.sink.status({
      feed: this.name,
      status,
      at,
      reason,
      ...(code === undefined ? {} : { code }),
      ...(fatal ? { fatal } : {}),
    });
  }

  private redact(text: string): string {
    let out = text;
    for (const secret of this.options.secrets ?? []) {
      if (secret.length >= 4) out = out.split(secret).join('***');
    }
    return out;
  }
}
