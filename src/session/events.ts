import type { Bar, IsoDate, Quote, Tick } from '../domain/types.ts';

/** What happened to a bar. */
export type BarEventKind = 'ADDED' | 'UPDATED';

/** One bar change of one symbol and interval. */
export interface BarChange {
  readonly symbol: string;
  readonly interval: string;
  /** True for the streamed base interval. */
  readonly base: boolean;
  readonly kind: BarEventKind;
  /** Snapshot of the bar after the change. */
  readonly bar: Bar;
  /**
   * True when this change is the window closing (the bar turned complete). For a derived bar this
   * is an `UPDATED` change like any other; for a base bar it only says that the bar (unchanged
   * since its last event) is now complete: `barUpdates` delivers it to `completeOnly` readers
   * only, and the store writer never sees it (it is not on the `baseBar` topic).
   */
  readonly closed: boolean;
  /** Session date the bar belongs to. */
  readonly date: IsoDate;
}

/** Lifecycle events of the session tree. */
export type SessionEventKind = 'SESSION_STARTED' | 'SESSION_ENDED' | 'SYMBOL_LOADED' | 'SYMBOL_REMOVED';

/** One lifecycle event. */
export interface SessionChange {
  readonly kind: SessionEventKind;
  readonly symbol: string | null;
}

/**
 * A quote or tick accepted for a symbol; `seq` is its arrival number among the symbol's quotes (or
 * ticks) of the date, continued across restarts (the store's key).
 */
export type MarketDataChange =
  | {
      readonly type: 'quote';
      readonly symbol: string;
      readonly date: IsoDate;
      readonly seq: number;
      readonly quote: Quote;
    }
  | {
      readonly type: 'tick';
      readonly symbol: string;
      readonly date: IsoDate;
      readonly seq: number;
      readonly tick: Tick;
    };

/** The typed topics of the tree and their payloads. */
export interface SessionTopics {
  /** Every bar change, base and derived intervals. */
  bar: BarChange;
  /** Base-interval bar changes only (what the store writer persists). */
  baseBar: BarChange;
  session: SessionChange;
  marketData: MarketDataChange;
}

type Listener<T> = (payload: T) => void;

/**
 * A small synchronous typed emitter. `on` returns the function that removes the listener.
 * `has(topic)` lets the hot path skip building payloads nobody listens to. A listener that throws
 * never interrupts the change being made nor the other listeners: its error is counted and handed
 * to `onListenerError` (default: a process warning).
 */
export class SessionEvents {
  /** Errors thrown by listeners so far. */
  listenerErrors = 0;

  constructor(
    private readonly onListenerError: (error: unknown, topic: keyof SessionTopics) => void = (error, topic) =>
      process.emitWarning(`a "${topic}" listener of the session tree threw: ${String(error)}`),
  ) {}

  private readonly listeners: { [K in keyof SessionTopics]: Set<Listener<SessionTopics[K]>> } = {
    bar: new Set(),
    baseBar: new Set(),
    session: new Set(),
    marketData: new Set(),
  };

  /** Adds a listener; returns its remover. */
  on<K extends keyof SessionTopics>(topic: K, listener: Listener<SessionTopics[K]>): () => void {
    const set = this.listeners[topic] as Set<Listener<SessionTopics[K]>>;
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  /** Whether anyone listens to a topic. */
  has(topic: keyof SessionTopics): boolean {
    return this.listeners[topic].size > 0;
  }

  /** Number of listeners of a topic. */
  count(topic: keyof SessionTopics): number {
    return this.listeners[topic].size;
  }

  /** Calls every listener of a topic, in registration order. */
  emit<K extends keyof SessionTopics>(topic: K, payload: SessionTopics[K]): void {
    for (const listener of this.listeners[topic] as Set<Listener<SessionTopics[K]>>) {
      try {
        listener(payload);
      } catch (error) {
        this.listenerErrors++;
        this.onListenerError(error, topic);
      }
    }
  }
}
