/**
 * Write-behind writer: the session tree hands every accepted base bar, quote and tick to
 * {@link StoreWriter}, which writes them to PostgreSQL in batches.
 *
 * Policy:
 * - **Bounded delay.** A write starts at most `maxDelayMs` (default 100 ms) after the first item of
 *   a batch was enqueued, or at once when `batchSize` items are waiting or {@link StoreWriter.flush} is
 *   called. One write runs at a time; items enqueued meanwhile form the next batch.
 * - **Coalescing.** Within a batch the latest version of a bar key (symbol, interval, ts) wins, so a bar
 *   corrected twice before it is written is written once, with its last revision.
 * - **Outage.** When a write fails (e.g. PostgreSQL unreachable), it is retried with exponential
 *   back-off (`retryInitialMs` doubling up to `retryMaxMs`); so is a write still running after
 *   `writeTimeoutMs` (a connection that hangs). Items enqueued meanwhile are merged into
 *   the retried batch (newer bar versions win). Parts of a batch already written (bars, quotes, tick
 *   chunks) are not written again, and every write is idempotent anyway (bars are upserts; quotes
 *   and ticks carry their arrival number as key), so a write whose commit succeeded but whose answer
 *   was lost stores nothing twice when it is retried.
 * - **Bounded backlog.** At most `maxBacklog` items (bars + quotes + ticks, waiting or being
 *   written) are held. When full, a NEW item is refused: `enqueue*` returns `null`, the `refused`
 *   counter grows and `status().full` is true (a newer version of a bar already waiting is still
 *   accepted: it takes no room). Callers that must not acknowledge what cannot be persisted check
 *   {@link StoreWriter.hasCapacity} (or the return value) first. Nothing accepted is ever dropped: it is
 *   written once the database is back.
 * - **Durability.** Every accepted item gets a sequence number; `status().durableSeq` is the highest
 *   sequence number such that every item up to it is in the database. {@link StoreWriter.flush}
 *   resolves when everything enqueued before the call is durable (it waits through an outage);
 *   {@link StoreWriter.close} flushes, then stops.
 */
import type { Instant, IsoDate, Quote, StoredBar, Tick } from '../domain/types.ts';
import type { BarRecord, UpsertOptions } from './bar-repository.ts';
import { describeError, type StoreLog } from './database.ts';
import type { QuoteRecord, TickRecord } from './market-data-repository.ts';
import { WriteBatch } from './write-batch.ts';

/** Where the writer writes (the store's `Repository`; a seam for tests). */
export interface WriterSink {
  upsertBars(rows: readonly BarRecord[], options?: UpsertOptions): Promise<unknown>;
  appendQuotes(rows: readonly QuoteRecord[]): Promise<void>;
  appendTicks(rows: readonly TickRecord[]): Promise<void>;
}

/** Options of {@link StoreWriter}. */
export interface StoreWriterOptions {
  /** Longest wait between the first enqueue of a batch and the start of its write (default 100 ms). */
  readonly maxDelayMs?: number;
  /** Items waiting that start a write at once (default 20,000). */
  readonly batchSize?: number;
  /** Ticks per append statement (default 10,000). */
  readonly tickChunk?: number;
  /** Most items held (waiting or being written) before new ones are refused (default 1,000,000). */
  readonly maxBacklog?: number;
  /** First retry delay after a failed write (default 100 ms). */
  readonly retryInitialMs?: number;
  /** Longest retry delay (default 5,000 ms). */
  readonly retryMaxMs?: number;
  /**
   * A write that has not finished after this long counts as failed and is retried (default 30,000 ms):
   * a connection that hangs (the server stopped answering) must not stall the writer forever.
   */
  readonly writeTimeoutMs?: number;
  /** How long {@link StoreWriter.close} waits for the last flush (default 30,000 ms). */
  readonly closeTimeoutMs?: number;
  readonly log?: StoreLog | undefined;
  /** Clock for `status()` times (tests). */
  readonly now?: () => Instant;
}

/** Counts per kind of item. */
export interface WriterCounts {
  readonly bars: number;
  readonly quotes: number;
  readonly ticks: number;
  readonly total: number;
}

/** A snapshot of the writer for health checks and metrics. */
export interface WriterStatus {
  /** Sequence number of the latest accepted item (0: none yet). */
  readonly acceptedSeq: number;
  /** Every item with a sequence number up to this one is in the database. */
  readonly durableSeq: number;
  /** Items held: waiting for a write or being written. */
  readonly backlog: WriterCounts;
  readonly maxBacklog: number;
  /** Whether the backlog is full (new items are refused). */
  readonly full: boolean;
  /** Items written since start (a bar rewritten by a correction counts again). */
  readonly written: WriterCounts;
  /** Items refused because the backlog was full or the writer closed. */
  readonly refused: WriterCounts;
  /** Batches written. */
  readonly writes: number;
  /** Failed write attempts since start. */
  readonly failedAttempts: number;
  /** Failed attempts since the last successful write (0 when healthy). */
  readonly consecutiveFailures: number;
  /** Message of the latest failure, null if the latest attempt succeeded. */
  readonly lastError: string | null;
  readonly lastErrorAt: Instant | null;
  readonly lastWriteAt: Instant | null;
  /** Duration of the latest successful write. */
  readonly lastWriteMs: number | null;
  /** When the next retry is due, while failing. */
  readonly nextRetryAt: Instant | null;
  /** True unless the latest attempt failed. */
  readonly healthy: boolean;
  readonly closed: boolean;
}

interface Waiter {
  readonly seq: number;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/** The write-behind writer (see the module comment for its policy). */
export class StoreWriter {
  readonly #sink: WriterSink;
  readonly #maxDelayMs: number;
  readonly #batchSize: number;
  readonly #tickChunk: number;
  readonly #maxBacklog: number;
  readonly #retryInitialMs: number;
  readonly #retryMaxMs: number;
  readonly #closeTimeoutMs: number;
  readonly #writeTimeoutMs: number;
  readonly #log: StoreLog | undefined;
  readonly #now: () => Instant;

  #pending: WriteBatch = new WriteBatch(0);
  #pendingSince: number | null = null;
  #inFlight: WriteBatch | null = null;
  #writing = false;
  /** Identifies the current write attempt; a timed-out attempt that finishes later changes nothing. */
  #attempt = 0;
  #timer: NodeJS.Timeout | null = null;
  #timerAt = 0;
  #waiters: Waiter[] = [];
  #closed = false;
  #stopped = false;
  #acceptedSeq = 0;
  #durableSeq = 0;
  #written = { bars: 0, quotes: 0, ticks: 0 };
  #refused = { bars: 0, quotes: 0, ticks: 0 };
  #writes = 0;
  #failedAttempts = 0;
  #consecutiveFailures = 0;
  #lastError: string | null = null;
  #lastErrorAt: Instant | null = null;
  #lastWriteAt: Instant | null = null;
  #lastWriteMs: number | null = null;
  #nextRetryAt: Instant | null = null;
  #fullReported = false;

  constructor(sink: WriterSink, options: StoreWriterOptions = {}) {
    this.#sink = sink;
    this.#maxDelayMs = positive(options.maxDelayMs ?? 100, 'maxDelayMs', true);
    this.#batchSize = positive(options.batchSize ?? 20_000, 'batchSize');
    this.#tickChunk = positive(options.tickChunk ?? 10_000, 'tickChunk');
    this.#maxBacklog = positive(options.maxBacklog ?? 1_000_000, 'maxBacklog');
    this.#retryInitialMs = positive(options.retryInitialMs ?? 100, 'retryInitialMs');
    this.#retryMaxMs = Math.max(this.#retryInitialMs, positive(options.retryMaxMs ?? 5_000, 'retryMaxMs'));
    this.#closeTimeoutMs = positive(options.closeTimeoutMs ?? 30_000, 'closeTimeoutMs', true);
    this.#writeTimeoutMs = positive(options.writeTimeoutMs ?? 30_000, 'writeTimeoutMs');
    this.#log = options.log;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Queues a base bar for writing. A waiting bar with the same key is replaced (the latest wins).
   * @returns the item's sequence number, or `null` if it was refused (backlog full or writer closed).
   */
  enqueueBar(symbol: string, interval: string, date: IsoDate, bar: StoredBar): number | null {
    if (this.#closed) return this.#refuse('bars');
    const bars = this.#pending.bars;
    const series = bars.series(symbol, interval);
    const isNew = !series.has(bar.ts);
    if (isNew && !this.#room('bars')) return null;
    if (isNew) bars.size++;
    series.set(bar.ts, {
      symbol,
      interval,
      sessionDate: date,
      ts: bar.ts,
      open: bar.open,
      high: bar.high,
      low: bar.low,
      close: bar.close,
      volume: bar.volume,
      vwap: bar.vwap,
      tradeCount: bar.tradeCount,
      revision: bar.revision,
    });
    return this.#accepted();
  }

  /**
   * Queues a quote, keyed by its session date and arrival number (`seq`, see MarketDataChange).
   * @returns as {@link enqueueBar}.
   */
  enqueueQuote(symbol: string, date: IsoDate, seq: number, quote: Quote): number | null {
    if (this.#closed) return this.#refuse('quotes');
    if (!this.#room('quotes')) return null;
    this.#pending.quotes.push({
      symbol,
      sessionDate: date,
      seq,
      ts: quote.ts,
      bid: quote.bid,
      bidSize: quote.bidSize,
      ask: quote.ask,
      askSize: quote.askSize,
    });
    return this.#accepted();
  }

  /** Queues a trade print, keyed like {@link enqueueQuote}. @returns as {@link enqueueBar}. */
  enqueueTick(symbol: string, date: IsoDate, seq: number, tick: Tick): number | null {
    if (this.#closed) return this.#refuse('ticks');
    if (!this.#room('ticks')) return null;
    this.#pending.ticks.push({
      symbol,
      sessionDate: date,
      seq,
      ts: tick.ts,
      price: tick.price,
      size: tick.size,
      ...(tick.id != null ? { id: tick.id } : {}),
      ...(tick.exchange != null ? { exchange: tick.exchange } : {}),
      ...(tick.conditions != null ? { conditions: tick.conditions } : {}),
      ...(tick.tape != null ? { tape: tick.tape } : {}),
      ...(tick.replaces != null ? { replaces: tick.replaces } : {}),
      ...(tick.cancels != null ? { cancels: tick.cancels } : {}),
    });
    return this.#accepted();
  }

  /** Whether `count` new items would be accepted now. */
  hasCapacity(count = 1): boolean {
    return !this.#closed && this.backlog + count <= this.#maxBacklog;
  }

  /** Items held (waiting or being written). */
  get backlog(): number {
    return this.#pending.size + (this.#inFlight === null ? 0 : this.#inFlight.size);
  }

  /**
   * Resolves when every item enqueued before the call is durable; starts a write at once. While the
   * database is unreachable it keeps waiting; it rejects only if the writer is closed without
   * writing them.
   */
  flush(): Promise<void> {
    const seq = this.#acceptedSeq;
    if (this.#durableSeq >= seq) return Promise.resolve();
    if (this.#stopped) return Promise.reject(new Error(this.#lostMessage()));
    const done = new Promise<void>((resolve, reject) => {
      this.#waiters.push({ seq, resolve, reject });
    });
    if (!this.#writing && this.#nextRetryAt === null) this.#schedule(0);
    return done;
  }

  /**
   * Refuses new items, writes everything held, then stops. If that takes longer than `timeoutMs`
   * (default `closeTimeoutMs`), stops anyway and rejects, reporting how many items were not written.
   */
  async close(timeoutMs = this.#closeTimeoutMs): Promise<void> {
    this.#closed = true;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.flush(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
        }),
      ]);
    } catch {
      const message = this.#lostMessage();
      this.#stop(new Error(message));
      this.#log?.error({ backlog: this.backlog, lastError: this.#lastError }, message);
      throw new Error(message);
    } finally {
      clearTimeout(timer);
    }
    this.#stop(null);
  }

  /** A snapshot of counters and health. */
  status(): WriterStatus {
    const p = this.#pending;
    const f = this.#inFlight;
    const bars = p.barsLeft + (f?.barsLeft ?? 0);
    const quotes = p.quotesLeft + (f?.quotesLeft ?? 0);
    const ticks = p.ticksLeft + (f?.ticksLeft ?? 0);
    const w = this.#written;
    const r = this.#refused;
    return {
      acceptedSeq: this.#acceptedSeq,
      durableSeq: this.#durableSeq,
      backlog: { bars, quotes, ticks, total: bars + quotes + ticks },
      maxBacklog: this.#maxBacklog,
      full: bars + quotes + ticks >= this.#maxBacklog,
      written: { ...w, total: w.bars + w.quotes + w.ticks },
      refused: { ...r, total: r.bars + r.quotes + r.ticks },
      writes: this.#writes,
      failedAttempts: this.#failedAttempts,
      consecutiveFailures: this.#consecutiveFailures,
      lastError: this.#lastError,
      lastErrorAt: this.#lastErrorAt,
      lastWriteAt: this.#lastWriteAt,
      lastWriteMs: this.#lastWriteMs,
      nextRetryAt: this.#nextRetryAt,
      healthy: this.#consecutiveFailures === 0,
      closed: this.#closed,
    };
  }

  #refuse(kind: 'bars' | 'quotes' | 'ticks'): null {
    this.#refused[kind]++;
    return null;
  }

  #room(kind: 'bars' | 'quotes' | 'ticks'): boolean {
    if (this.backlog < this.#maxBacklog) {
      this.#fullReported = false;
      return true;
    }
    this.#refused[kind]++;
    if (!this.#fullReported) {
      this.#fullReported = true;
      this.#log?.error(
        { maxBacklog: this.#maxBacklog, lastError: this.#lastError },
        'store writer backlog full: refusing new items until the database catches up',
      );
    }
    return false;
  }

  #accepted(): number {
    const seq = ++this.#acceptedSeq;
    this.#pending.seq = seq;
    if (this.#pendingSince === null) this.#pendingSince = this.#now();
    if (!this.#writing && this.#nextRetryAt === null) {
      this.#schedule(this.#pending.size >= this.#batchSize ? 0 : this.#maxDelayMs);
    }
    return seq;
  }

  /** Makes sure a write starts within `delayMs` (an earlier due time is kept). */
  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    const at = performance.now() + delayMs;
    if (this.#timer !== null) {
      if (this.#timerAt <= at) return;
      clearTimeout(this.#timer);
    }
    this.#timerAt = at;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.#write();
    }, delayMs);
  }

  async #write(): Promise<void> {
    if (this.#writing || this.#stopped) return;
    this.#nextRetryAt = null;
    const batch = this.#takeBatch();
    if (batch === null) return;
    this.#writing = true;
    const started = performance.now();
    const attempt = ++this.#attempt;
    let timer: NodeJS.Timeout | undefined;
    const work = this.#writeBatch(batch, attempt);
    work.catch(() => {}); // an abandoned attempt may fail after the race is over
    try {
      await Promise.race([
        work,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`write did not finish within ${this.#writeTimeoutMs} ms`)),
            this.#writeTimeoutMs,
          );
        }),
      ]);
    } catch (error) {
      this.#attempt++; // abandon the attempt if it is still running
      this.#writing = false;
      this.#failed(error);
      return;
    } finally {
      clearTimeout(timer);
    }
    this.#writing = false;
    this.#inFlight = null;
    this.#durableSeq = batch.seq;
    this.#writes++;
    this.#lastWriteAt = this.#now();
    this.#lastWriteMs = performance.now() - started;
    if (this.#consecutiveFailures > 0) {
      this.#log?.info(
        { failedAttempts: this.#consecutiveFailures, backlog: this.backlog },
        'store writer recovered: database writes succeed again',
      );
    }
    this.#consecutiveFailures = 0;
    this.#lastError = null;
    this.#settleWaiters();
    this.#next();
  }

  /** The batch to write: the retried one (merged with what arrived since), else the waiting items. */
  #takeBatch(): WriteBatch | null {
    const pending = this.#pending;
    const retried = this.#inFlight;
    if (retried === null && pending.size === 0) return null;
    this.#pending = new WriteBatch(this.#acceptedSeq);
    this.#pendingSince = null;
    if (retried === null) {
      this.#inFlight = pending;
      return pending;
    }
    retried.absorb(pending);
    return retried;
  }

  /** Writes what of `batch` is not written yet; stops (rejecting) once `attempt` is abandoned. */
  async #writeBatch(batch: WriteBatch, attempt: number): Promise<void> {
    const current = (): void => {
      if (attempt !== this.#attempt) throw new Error('write attempt abandoned');
    };
    if (!batch.barsDone) {
      const bars = batch.bars.values();
      if (bars.length > 0) await this.#sink.upsertBars(bars, { distinct: true });
      current();
      batch.barsDone = true;
      this.#written.bars += bars.length;
    }
    if (!batch.quotesDone) {
      const quotes = batch.quotes;
      if (quotes.length > 0) await this.#sink.appendQuotes(quotes);
      current();
      batch.quotesDone = true;
      this.#written.quotes += quotes.length;
    }
    while (batch.ticksDone < batch.ticks.length) {
      const end = Math.min(batch.ticks.length, batch.ticksDone + this.#tickChunk);
      await this.#sink.appendTicks(batch.ticks.slice(batch.ticksDone, end));
      current();
      this.#written.ticks += end - batch.ticksDone;
      batch.ticksDone = end;
    }
  }

  #failed(error: unknown): void {
    this.#failedAttempts++;
    this.#consecutiveFailures++;
    this.#lastError = describeError(error);
    this.#lastErrorAt = this.#now();
    const base = Math.min(this.#retryMaxMs, this.#retryInitialMs * 2 ** (this.#consecutiveFailures - 1));
    const delay = Math.round(base * (0.8 + 0.2 * Math.random()));
    this.#nextRetryAt = this.#now() + delay;
    const fields = { error: this.#lastError, attempt: this.#consecutiveFailures, retryInMs: delay };
    if (this.#consecutiveFailures === 1)
      this.#log?.warn({ ...fields, backlog: this.backlog }, 'store write failed');
    else this.#log?.debug(fields, 'store write failed again');
    if (this.#stopped) return;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timerAt = performance.now() + delay;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.#write();
    }, delay);
  }

  /** After a successful write: start the next one when due. */
  #next(): void {
    if (this.#pending.size === 0 || this.#stopped) return;
    const waited = this.#pendingSince === null ? 0 : this.#now() - this.#pendingSince;
    const urgent =
      this.#pending.size >= this.#batchSize ||
      this.#waiters.length > 0 ||
      this.#closed ||
      waited >= this.#maxDelayMs;
    this.#schedule(urgent ? 0 : this.#maxDelayMs - waited);
  }

  #settleWaiters(): void {
    if (this.#waiters.length === 0) return;
    const still: Waiter[] = [];
    for (const waiter of this.#waiters) {
      if (waiter.seq <= this.#durableSeq) waiter.resolve();
      else still.push(waiter);
    }
    this.#waiters = still;
  }

  #stop(error: Error | null): void {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#nextRetryAt = null;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) {
      if (error === null || waiter.seq <= this.#durableSeq) waiter.resolve();
      else waiter.reject(error);
    }
  }

  #lostMessage(): string {
    const lost = this.#acceptedSeq - this.#durableSeq;
    return `store writer closed with ${this.backlog} item(s) not written (${lost} accepted change(s) not durable)${
      this.#lastError === null ? '' : `; last error: ${this.#lastError}`
    }`;
  }
}

function positive(value: number, name: string, allowZero = false): number {
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new RangeError(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} number`);
  }
  return value;
}
