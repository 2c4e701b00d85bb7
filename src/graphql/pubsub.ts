/**
 * Subscriptions over the tree's typed events (`session.events`).
 *
 * Every subscriber gets its own listener and its own bounded queue, so a slow subscriber never
 * holds the ingest path or other subscribers back.
 *
 * **Overflow policy: drop the subscriber.** Events come in bursts: everything one ingest batch (or
 * one lifecycle change) emits is queued synchronously and handed over afterwards. When a burst
 * starts while a subscriber still has `limit` (default 1,000) or more events of earlier bursts
 * waiting, that subscriber is dropped: its listener is removed at once, its queue is discarded and
 * the stream delivers one last result whose error has `extensions.code = "SLOW_CONSUMER"`, then
 * completes. A consumer that keeps up never loses anything, however large one batch is; a queue
 * never holds more than `limit` events plus one burst (bounded by the ingest batch limit). Events
 * are never dropped silently: a subscriber sees every event of its filter in order, or is told that
 * it fell behind (it can re-read the state with a query and subscribe again). Dropping the oldest
 * events instead would leave a client with a quietly wrong picture.
 *
 * Every subscriber is removed when its stream ends for any reason: the client leaves (the
 * transport calls `return()`, or the request's abort signal fires), an overflow, or the server
 * shuts down (`close()`); the routing listener on `session.events` goes with the last one.
 */
import type { SessionEvents, SessionTopics } from '../session/events.ts';

/** Marker delivered once, as the last item of a subscriber's stream, when its queue overflowed. */
export const OVERFLOW: unique symbol = Symbol('SLOW_CONSUMER');
export type Overflow = typeof OVERFLOW;

/**
 * Tells synchronous runs of events (bursts) apart: `current` changes once after each run, in a
 * microtask scheduled by the run's first event, so every queue can tell whether a push starts a
 * new burst for it without scheduling anything of its own.
 */
export class BurstClock {
  /** The number of the burst under way (or of the next one). */
  current = 0;
  private scheduled = false;

  /** Marks that a burst is under way; it ends when the synchronous run of work does. */
  touch(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.current++;
    });
  }
}

/**
 * A bounded async queue of one subscriber. The producer pushes synchronously; the consumer pulls
 * with `next()`, and a consumer that waits is resumed as a microtask, after the producer's
 * synchronous work (an ingest batch, which moves the clock at its end) is done. `return()` ends
 * the stream immediately, even while a `next()` waits.
 */
export class BoundedQueue<T> implements AsyncIterableIterator<T | Overflow> {
  private items: (T | Overflow)[] = [];
  private head = 0;
  private waiting: ((result: IteratorResult<T | Overflow>) => void) | null = null;
  private done = false;
  private overflowed = false;
  private finished = false;
  private lastBurst = -1;

  /**
   * @param limit most events that may wait undelivered
   * @param onEnd called exactly once when the stream ends (removes the listener)
   * @param bursts tells bursts apart (shared by the queues of one pubsub)
   */
  constructor(
    private readonly limit: number,
    private readonly onEnd: () => void,
    private readonly bursts: BurstClock = new BurstClock(),
  ) {}

  /** Events waiting. */
  get size(): number {
    return this.items.length - this.head;
  }

  /** Whether the stream has ended or will end after the overflow marker. */
  get ended(): boolean {
    return this.done || this.overflowed;
  }

  /**
   * Adds an event. The first event of a burst (a synchronous run of pushes) overflows the queue,
   * ending the stream, when `limit` events of earlier bursts are still waiting.
   */
  push(item: T): void {
    if (this.done || this.overflowed) return;
    const bursts = this.bursts;
    bursts.touch();
    if (this.lastBurst !== bursts.current) {
      this.lastBurst = bursts.current;
      if (this.size >= this.limit) {
        this.overflowed = true;
        this.items = [];
        this.head = 0;
        this.finish();
        this.handOver(OVERFLOW);
        return;
      }
    }
    this.handOver(item);
  }

  private handOver(item: T | Overflow): void {
    const waiting = this.waiting;
    if (waiting !== null) {
      this.waiting = null;
      waiting({ value: item, done: false });
    } else {
      this.items.push(item);
    }
  }

  /** The next result, or null when the consumer has to wait. */
  private take(): IteratorResult<T | Overflow> | null {
    if (this.head < this.items.length) {
      const item = this.items[this.head]!;
      this.head++;
      if (this.head === this.items.length) {
        this.items.length = 0;
        this.head = 0;
      } else if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items = this.items.slice(this.head);
        this.head = 0;
      }
      return { value: item, done: false };
    }
    if (this.done || this.overflowed) {
      this.done = true;
      return { value: undefined, done: true };
    }
    return null;
  }

  next(): Promise<IteratorResult<T | Overflow>> {
    const result = this.take();
    if (result !== null) return Promise.resolve(result);
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  return(): Promise<IteratorResult<T | Overflow>> {
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error?: unknown): Promise<IteratorResult<T | Overflow>> {
    this.close();
    return Promise.reject(error);
  }

  /** Ends the stream now: a waiting and every later `next()` resolve as done. */
  close(): void {
    if (this.done) return;
    this.done = true;
    this.items = [];
    this.head = 0;
    this.finish();
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.({ value: undefined, done: true });
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.onEnd();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/** A filter and mapper of one topic's events; return undefined to skip an event. */
export type Selector<K extends keyof SessionTopics, T> = (payload: SessionTopics[K]) => T | undefined;

/** The symbol an event is about (null for session-wide events). */
function keyOf(payload: SessionTopics[keyof SessionTopics]): string | null {
  return payload.symbol;
}

type Listener = (payload: SessionTopics[keyof SessionTopics]) => void;

/** Calls one subscriber; a subscriber that throws never keeps the event from the others. */
function deliver(listener: Listener, payload: SessionTopics[keyof SessionTopics]): void {
  try {
    listener(payload);
  } catch (error) {
    process.emitWarning(`a subscriber failed on an event: ${String(error)}`);
  }
}

/**
 * One listener on `session.events` per topic, installed while the topic has subscribers, routing
 * each event to the subscribers of its symbol and to those of every symbol — so an event costs
 * work only for the subscribers that want it, whatever their number.
 */
class TopicRouter {
  readonly all = new Set<Listener>();
  readonly bySymbol = new Map<string, Set<Listener>>();
  private off: (() => void) | null = null;
  private count = 0;

  constructor(
    private readonly events: SessionEvents,
    private readonly topic: keyof SessionTopics,
  ) {}

  add(listener: Listener, symbols: ReadonlySet<string> | null): () => void {
    if (symbols === null) this.all.add(listener);
    else {
      for (const symbol of symbols) {
        let set = this.bySymbol.get(symbol);
        if (!set) {
          set = new Set();
          this.bySymbol.set(symbol, set);
        }
        set.add(listener);
      }
    }
    this.count++;
    if (this.off === null) this.off = this.events.on(this.topic, (payload) => this.dispatch(payload));
    let removed = false;
    return () => {
      if (removed) return;
      removed = true;
      if (symbols === null) this.all.delete(listener);
      else {
        for (const symbol of symbols) {
          const set = this.bySymbol.get(symbol);
          set?.delete(listener);
          if (set?.size === 0) this.bySymbol.delete(symbol);
        }
      }
      this.count--;
      if (this.count === 0) {
        this.off?.();
        this.off = null;
      }
    };
  }

  private dispatch(payload: SessionTopics[keyof SessionTopics]): void {
    for (const listener of this.all) deliver(listener, payload);
    const key = keyOf(payload);
    if (key === null) {
      // Session-wide events reach every subscriber of the topic.
      for (const set of this.bySymbol.values()) for (const listener of set) deliver(listener, payload);
      return;
    }
    const set = this.bySymbol.get(key);
    if (set) for (const listener of set) deliver(listener, payload);
  }
}

/**
 * The typed pubsub of the API: each `subscribe` feeds one bounded queue from `session.events`
 * (through one routing listener per topic). Tracks open streams so a shutdown can end them all.
 */
export class SessionPubSub {
  private readonly open = new Set<BoundedQueue<unknown>>();
  private readonly routers = new Map<keyof SessionTopics, TopicRouter>();
  private readonly bursts = new BurstClock();

  constructor(
    private readonly events: SessionEvents,
    private readonly limit: number,
  ) {}

  /** Open subscriber streams. */
  get subscribers(): number {
    return this.open.size;
  }

  /**
   * Subscribes to one topic: `select` filters and maps each event synchronously when it happens
   * (undefined skips it). `symbols` (null = all) routes only those symbols' events (and
   * session-wide ones) to `select`. `signal` (the HTTP request's, for SSE) ends the stream as soon
   * as the client goes away, even while nothing is being delivered.
   */
  subscribe<K extends keyof SessionTopics, T>(
    topic: K,
    select: Selector<K, T>,
    options: { readonly signal?: AbortSignal | null; readonly symbols?: ReadonlySet<string> | null } = {},
  ): BoundedQueue<T> {
    const signal = options.signal ?? null;
    let off: (() => void) | null = null;
    const onAbort = () => queue.close();
    const queue: BoundedQueue<T> = new BoundedQueue<T>(
      this.limit,
      () => {
        off?.();
        off = null;
        signal?.removeEventListener('abort', onAbort);
        this.open.delete(queue as BoundedQueue<unknown>);
      },
      this.bursts,
    );
    if (signal?.aborted) {
      queue.close();
      return queue;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    let router = this.routers.get(topic);
    if (!router) {
      router = new TopicRouter(this.events, topic);
      this.routers.set(topic, router);
    }
    off = router.add((payload) => {
      const item = select(payload as SessionTopics[K]);
      if (item !== undefined) queue.push(item);
    }, options.symbols ?? null);
    this.open.add(queue as BoundedQueue<unknown>);
    return queue;
  }

  /** Ends every open stream (server shutdown). */
  close(): void {
    for (const queue of [...this.open]) queue.close();
  }
}
