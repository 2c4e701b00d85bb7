import type { BarInput, IngestResult, IsoDate, SessionBarsKey, StoredBar } from '../domain/types.ts';
import type { SessionData } from '../session/session-data.ts';

type ReplayBar = StoredBar & { readonly symbol: string };

/**
 * What a replay drives (the session service): the tree, and the service's own ways to play stored
 * bars, end the session and save where it stands.
 */
export interface ReplayTarget {
  readonly session: SessionData;
  /** Plays bars read from the store: their stored revisions kept, nothing written again. */
  replayStoredBars(bars: readonly (BarInput & { readonly revision: number })[]): IngestResult;
  /** Ends the session (the replay played its last bar). */
  endSession(): Promise<void>;
  /** Saves the session state (the replay's position is the clock). */
  persistState(): Promise<void>;
}

/** Where a replay reads the stored bars of the session date (the store). */
export interface ReplaySource {
  /** Stored bars of each key, ascending. */
  readSessionBars(keys: readonly SessionBarsKey[]): Promise<StoredBar[][]>;
}

/** Options of a replay. */
export interface ReplayOptions {
  /** Market time per wall time: 60 plays one 1m bar per second. Default 60. */
  readonly speed?: number;
  /** Called when the replay has played its last bar (after the session is ended). */
  readonly onFinished?: () => void;
}

/** Where a replay stands. */
export interface ReplayStatus {
  readonly date: IsoDate | null;
  readonly speed: number;
  readonly paused: boolean;
  readonly finished: boolean;
  /** Bars still to play. */
  readonly remaining: number;
}

/** Largest speed factor accepted. */
export const MAX_REPLAY_SPEED = 100_000;

/**
 * Streams the bars stored for the session date through the same ingest path as live data, one
 * timestamp at a time, waiting (gap between timestamps) / speed between steps, so the REPLAY clock,
 * derived bars, quality and subscriptions behave as live. Symbols loaded while it runs join at the
 * current clock. When the last bar is played the session is ended; a replay with nothing to play
 * yet waits for a symbol to be loaded.
 */
export class ReplayDriver {
  private queue: ReplayBar[] = [];
  private lastPersisted = 0;
  private played = 0;
  private symbols: string[] = [];
  private position = 0;
  private timer: NodeJS.Timeout | null = null;
  private paused = false;
  private finished = false;
  private stopped = false;
  /** While start() reads the first symbols: nothing plays before every one of them is queued. */
  private starting = false;
  private readonly offLoaded: () => void;
  readonly speed: number;

  constructor(
    private readonly service: ReplayTarget,
    private readonly store: ReplaySource,
    private readonly options: ReplayOptions = {},
  ) {
    this.speed = options.speed ?? 60;
    this.offLoaded = service.session.events.on('session', (event) => {
      if (event.kind !== 'SYMBOL_LOADED' || !event.symbol) return;
      // The load installed the stored bars ending by the clock of this very moment.
      const installedUntil = service.session.time ?? Number.NEGATIVE_INFINITY;
      this.addSymbols([event.symbol], installedUntil).catch(() => undefined);
    });
  }

  /** Reads the loaded symbols' bars after the clock (in one read) and starts playing. */
  async start(): Promise<void> {
    const installedUntil = this.service.session.time ?? Number.NEGATIVE_INFINITY;
    this.starting = true;
    try {
      await this.addSymbols(this.service.session.loadedSymbols(), installedUntil);
    } finally {
      this.starting = false;
    }
    this.schedule(0);
  }

  /**
   * Queues the stored bars of symbols whose load installed those ending by `installedUntil`: exactly
   * the bars the load did not install. The clock is taken when the load completed, never after the
   * read, which other symbols' bars may have moved it past: every stored bar is played once.
   */
  private async addSymbols(symbols: readonly string[], installedUntil: number): Promise<void> {
    const session = this.service.session;
    const date = session.date;
    if (date === null) return;
    const entries = symbols.flatMap((symbol) => {
      const data = session.symbol(symbol);
      return data ? [data] : [];
    });
    if (entries.length === 0) return;
    const rows = await this.store.readSessionBars(
      entries.map((data) => ({ symbol: data.symbol, interval: data.baseInterval, date })),
    );
    const added = new Set(entries.map((data) => data.symbol));
    const fresh = entries.flatMap((data, i) => {
      if (session.symbol(data.symbol) !== data || session.date !== date) return [];
      const baseMs = data.day.base.spec.ms;
      return (rows[i] ?? [])
        .filter(
          (bar) =>
            bar.ts + baseMs > installedUntil && bar.ts >= data.window.start && bar.ts < data.window.end,
        )
        .map((bar) => ({ ...bar, symbol: data.symbol }));
    });
    const rest = this.queue.slice(this.position).filter((bar) => !added.has(bar.symbol));
    this.queue = [...rest, ...fresh].sort((a, b) => a.ts - b.ts);
    this.position = 0;
    for (const symbol of added) if (!this.symbols.includes(symbol)) this.symbols.push(symbol);
    if (!this.starting && this.timer === null && this.queue.length > 0) this.schedule(0);
  }

  private schedule(delay: number): void {
    if (this.stopped || this.paused || this.finished) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.step(), delay);
    this.timer.unref?.();
  }

  private step(): void {
    this.timer = null;
    const session = this.service.session;
    if (!session.active || session.clockMode !== 'REPLAY') {
      this.finished = true;
      return;
    }
    if (this.position >= this.queue.length) {
      // Nothing was ever there to play: wait for a symbol to be loaded instead of ending at once.
      if (this.played === 0) return;
      this.finished = true;
      this.service
        .endSession()
        .catch(() => undefined)
        .then(() => this.options.onFinished?.());
      return;
    }
    const ts = this.queue[this.position]!.ts;
    const batch: ReplayBar[] = [];
    while (this.position < this.queue.length && this.queue[this.position]!.ts === ts) {
      batch.push(this.queue[this.position]!);
      this.position++;
    }
    this.service.replayStoredBars(batch);
    this.played += batch.length;
    const now = Date.now();
    if (now - this.lastPersisted >= 1000) {
      this.lastPersisted = now;
      // A failed write is retried by the next one; the tree is unaffected.
      this.service.persistState().catch(() => undefined);
    }
    const next = this.queue[this.position];
    this.schedule(next ? Math.max(0, (next.ts - ts) / this.speed) : 0);
  }

  /** Pauses the replay (the clock stays where it is). */
  pause(): void {
    this.paused = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Resumes a paused replay. */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.schedule(0);
  }

  /** Stops the replay for good and releases its listener. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.offLoaded();
  }

  /** Where the replay stands. */
  status(): ReplayStatus {
    return {
      date: this.service.session.date,
      speed: this.speed,
      paused: this.paused,
      finished: this.finished,
      remaining: this.queue.length - this.position,
    };
  }
}
