import type { TimeWindow } from '../domain/calendar.ts';
import {
  UPDATES_HIGH_LOW,
  UPDATES_OPEN_CLOSE,
  UPDATES_VOLUME,
  updatesOf,
} from '../domain/trade-conditions.ts';
import type { BarValues, Instant } from '../domain/types.ts';
import { F_CLOSE, V_CLOSE, V_HIGH, V_LOW, V_OPEN, V_TRADES, V_VOLUME, V_VWAP } from './bar-series.ts';
import type { ChangeSequence, DayBars, IntervalChangeSink } from './day-bars.ts';
import {
  CANCELLED,
  DEFAULT_MAX_TRADES,
  numericId,
  SLOT_COUNTED,
  SLOT_PRICED,
  SLOT_SEALED,
  TradeBook,
  UPDATE_BITS,
} from './trade-book.ts';

/** A trade as the bar builder takes it (validated). */
export interface TradeFacts {
  readonly ts: Instant;
  readonly price: number;
  readonly size: number;
  /** The venue's trade id, unique per symbol and day; null when the source gives none. */
  readonly id: string | null;
  /** The trade's conditions resolved by `resolveConditions`. */
  readonly resolved: number;
}

/** Why a trade, a correction or a cancel was refused. */
export type TradeRefusal =
  /** The window it needs was (partly) dropped from the bounded trade book. */
  | 'TRADE_NOT_KEPT'
  /** `replaces` / `cancels` names an id never seen for this symbol and date. */
  | 'UNKNOWN_TRADE'
  /** `replaces` names a trade already cancelled or replaced. */
  | 'TRADE_CANCELLED'
  /** The cancel would leave a window that has a bar without any price (bars are never removed). */
  | 'BAR_WOULD_VANISH';

/** What happened to one trade message. */
export type TradeOutcome = 'applied' | 'duplicate' | 'unchanged' | TradeRefusal;

// Accumulator layout (one window's surviving trades in (ts, arrival) order).
const A_OPEN = 0;
const A_CLOSE = 1;
const A_HIGH = 2;
const A_LOW = 3;
const A_VOLUME = 4;
const A_PV = 5;
const A_COUNT = 6;
const A_FLAGS = 7;
const ACC_LENGTH = 8;

const NONE = -1;

/**
 * Builds a TRADES symbol's base bars from its trades, into its {@link DayBars} (which derives every
 * other interval, quality and gaps as for streamed bars). The rules (src/session/README.md):
 *
 * - a window's bar: open / close = first / last trade that sets open/close, high / low = extremes of
 *   the trades that set high/low and of open and close, volume = Σ size, vwap = Σ price×size / volume
 *   and tradeCount = count, over the trades that count in volume; trades in (ts, arrival) order;
 * - a window whose trades set no open/close but update something takes the previous bar's close as
 *   open = close (carried) and gets a bar only when there is one; a window of trades that update
 *   nothing has no bar;
 * - trades arriving in time order for the latest window are merged in O(1) and the bar is applied
 *   once per window and batch ({@link flush}); anything else (a late trade, a correction, a cancel)
 *   recomputes its window from the surviving trades and carries the new close forward through the
 *   following windows that take it;
 * - bars are never removed: a cancel that would leave a window with a bar without any price is
 *   refused (`BAR_WOULD_VANISH`); what needs a window dropped from the bounded book is refused
 *   (`TRADE_NOT_KEPT`).
 */
export class TradeBars {
  readonly book: TradeBook;
  /** The latest window's accumulator (valid when `runSlot` ≥ 0). */
  private readonly run = new Float64Array(ACC_LENGTH);
  private runSlot = NONE;
  /** Whether the run holds trades not yet applied to the day's bars. */
  private pending = false;
  private readonly scratch = new Float64Array(ACC_LENGTH);
  /** The last ingest batch that touched this symbol (the tree's bookkeeping of what to flush). */
  batch = 0;
  /** The tree's change sink of this symbol for batch `sinkBatch` (built once per batch). */
  sink: IntervalChangeSink | null = null;
  sinkBatch = 0;
  /** The accumulator of the latest window when a rebuild recomputed it. */
  private readonly latest = new Float64Array(ACC_LENGTH);

  /**
   * @param day the symbol's bars
   * @param regular the regular session of the date (trades outside it follow the extended-hours rules)
   * @param maxTrades the trade book's bound
   */
  constructor(
    readonly day: DayBars,
    private readonly regular: TimeWindow,
    maxTrades = DEFAULT_MAX_TRADES,
  ) {
    const series = day.base.series;
    this.book = new TradeBook(series.start, series.slotMs, series.slotCount, maxTrades);
    day.reserve();
  }

  /** Whether a window holds pending trades (applied by the next {@link flush}). */
  get hasPending(): boolean {
    return this.pending;
  }

  private updatesAt(trade: TradeFacts): number {
    const ts = trade.ts;
    return updatesOf(trade.resolved, ts < this.regular.start || ts >= this.regular.end);
  }

  /** Adds a trade. A trade whose id was seen before changes nothing (`duplicate`). */
  add(trade: TradeFacts, seqs: ChangeSequence, sink: IntervalChangeSink | null): TradeOutcome {
    const book = this.book;
    const id = trade.id;
    const numeric = id === null ? Number.NaN : numericId(id);
    if (id !== null && book.find(id, numeric) >= 0) return 'duplicate';
    const slot = book.slotOf(trade.ts);
    const bits = this.updatesAt(trade);
    const maxSlot = book.maxSlot;
    if (slot > maxSlot || (slot === this.runSlot && slot === maxSlot && trade.ts >= book.tailTs(slot))) {
      if (slot !== this.runSlot) {
        this.flush(seqs, sink);
        this.run.fill(0);
        this.run[A_HIGH] = Number.NEGATIVE_INFINITY;
        this.run[A_LOW] = Number.POSITIVE_INFINITY;
        this.runSlot = slot;
      }
      const a = book.stage(trade, bits, id, numeric);
      book.commit(a, slot);
      accumulateTrade(this.run, trade, bits);
      book.slotFlags[slot]! |= this.run[A_FLAGS]!;
      this.pending = true;
      return 'applied';
    }
    if ((book.slotFlags[slot]! & SLOT_SEALED) !== 0) return 'TRADE_NOT_KEPT';
    const a = book.stage(trade, bits, id, numeric);
    return this.rebuild(a, slot, NONE, seqs, sink);
  }

  /** Cancels an earlier trade by id. Cancelling a cancelled trade again changes nothing. */
  cancel(id: string, seqs: ChangeSequence, sink: IntervalChangeSink | null): TradeOutcome {
    const book = this.book;
    const a = book.find(id);
    if (a < 0) return book.dropped > 0 ? 'TRADE_NOT_KEPT' : 'UNKNOWN_TRADE';
    if ((book.flagsOf(a) & CANCELLED) !== 0) return 'unchanged';
    return this.rebuild(NONE, NONE, a, seqs, sink);
  }

  /** Replaces an earlier trade (a correction): the old one is cancelled and the new one added, at once. */
  replace(
    id: string,
    trade: TradeFacts,
    seqs: ChangeSequence,
    sink: IntervalChangeSink | null,
  ): TradeOutcome {
    const book = this.book;
    if (trade.id !== null && book.find(trade.id) >= 0) return 'duplicate';
    const old = book.find(id);
    if (old < 0) return book.dropped > 0 ? 'TRADE_NOT_KEPT' : 'UNKNOWN_TRADE';
    if ((book.flagsOf(old) & CANCELLED) !== 0) return 'TRADE_CANCELLED';
    const slot = book.slotOf(trade.ts);
    if ((book.slotFlags[slot]! & SLOT_SEALED) !== 0) return 'TRADE_NOT_KEPT';
    const a = stageTrade(book, trade, this.updatesAt(trade));
    // A full book drops its oldest trade to make room: when that is the replaced one, its columns
    // now hold the new trade's and its window is sealed.
    if (!book.holds(old)) return 'TRADE_NOT_KEPT';
    return this.rebuild(a, slot, old, seqs, sink);
  }

  /** Applies the latest window's pending trades to the day's bars (one bar write per window and batch). */
  flush(seqs: ChangeSequence, sink: IntervalChangeSink | null): void {
    if (!this.pending) return;
    this.pending = false;
    const run = this.run;
    const carry = (run[A_FLAGS]! & SLOT_PRICED) !== 0 ? Number.NaN : this.carryBefore(this.runSlot);
    if (finishInto(run, carry, this.day.input)) this.day.applyInput(this.runSlot, seqs, sink);
  }

  /**
   * Rebuilds the book from stored trades (in arrival order) without touching the bars, which come
   * from the store as they were. Call {@link finishRestore} after the last one.
   */
  restore(trade: TradeFacts, cancelled: boolean): void {
    const book = this.book;
    const a = stageTrade(book, trade, this.updatesAt(trade));
    book.commit(a, book.slotOf(trade.ts));
    if (cancelled) book.markCancelled(a);
  }

  /** Marks a restored trade cancelled (a stored cancel or correction); unknown ids are ignored. */
  restoreCancel(id: string): void {
    const a = this.book.find(id);
    if (a >= 0) this.book.markCancelled(a);
  }

  /** Recomputes every slot's flags after a restore. */
  finishRestore(): void {
    const book = this.book;
    for (let s = 0; s <= book.maxSlot; s++) {
      if (book.head[s] === NONE) continue;
      this.compute(s, NONE, NONE, this.scratch);
      book.slotFlags[s] = (book.slotFlags[s]! & SLOT_SEALED) | this.scratch[A_FLAGS]!;
    }
    this.runSlot = NONE;
    this.pending = false;
  }

  /** The close of the last bar before `slot` (NaN: none). */
  private carryBefore(slot: number): number {
    const series = this.day.base.series;
    const position = series.positionOfSlot(slot) - 1;
    if (position < 0) return Number.NaN;
    return series.f[series.fo + F_CLOSE * series.slotCount + series.slotAt(position)]!;
  }

  /** The close of the bar at `slot` (NaN: no bar). */
  private closeAt(slot: number): number {
    const series = this.day.base.series;
    return series.has(slot) ? series.f[series.fo + F_CLOSE * series.slotCount + slot]! : Number.NaN;
  }

  /**
   * Recomputes the windows a late trade (`added`, staged, in `addedSlot`) and/or the removal of trade
   * `removed` change, then carries the new close forward; commits and applies everything, or nothing
   * when a window it needs is sealed or a bar would vanish.
   */
  private rebuild(
    added: number,
    addedSlot: number,
    removed: number,
    seqs: ChangeSequence,
    sink: IntervalChangeSink | null,
  ): TradeOutcome {
    const book = this.book;
    this.flush(seqs, sink);
    const removedSlot = removed < 0 ? NONE : book.slotOf(book.tsOf(removed));
    const first =
      removedSlot < 0 ? addedSlot : addedSlot < 0 ? removedSlot : Math.min(addedSlot, removedSlot);
    const lastOwn = Math.max(addedSlot, removedSlot);
    const end = Math.max(book.maxSlot, addedSlot);
    const slots: number[] = [];
    const values: (BarValues | null)[] = [];
    const flags: number[] = [];
    let latestComputed = false;
    let oldCarry = this.carryBefore(first);
    let newCarry = oldCarry;
    for (let s = first; s <= end; s++) {
      const own = s === addedSlot || s === removedSlot;
      const oldClose = this.closeAt(s);
      if (!own) {
        if (book.head[s] === NONE) continue;
        const same = Object.is(oldCarry, newCarry);
        if (same || (book.slotFlags[s]! & SLOT_PRICED) !== 0) {
          if (!Number.isNaN(oldClose)) oldCarry = newCarry = oldClose;
          if (s > lastOwn && (same || !Number.isNaN(oldClose))) break;
          continue;
        }
      }
      if ((book.slotFlags[s]! & SLOT_SEALED) !== 0) return 'TRADE_NOT_KEPT';
      const acc = s === end ? this.latest : this.scratch;
      if (s === end) latestComputed = true;
      this.compute(s, s === removedSlot ? removed : NONE, s === addedSlot ? added : NONE, acc);
      const bar = finish(acc, newCarry);
      if (bar === null && !Number.isNaN(oldClose)) return 'BAR_WOULD_VANISH';
      slots.push(s);
      values.push(bar);
      flags.push(acc[A_FLAGS]!);
      if (!Number.isNaN(oldClose)) oldCarry = oldClose;
      if (bar !== null) newCarry = bar.close;
      if (s >= lastOwn && Object.is(oldCarry, newCarry)) break;
    }
    if (added >= 0) book.commit(added, addedSlot);
    if (removed >= 0) book.markCancelled(removed);
    for (let k = 0; k < slots.length; k++) {
      const s = slots[k]!;
      book.slotFlags[s] = (book.slotFlags[s]! & SLOT_SEALED) | flags[k]!;
      const bar = values[k]!;
      if (bar !== null) this.day.apply(s, bar, seqs, sink);
    }
    if (latestComputed) {
      this.run.set(this.latest);
      this.runSlot = book.maxSlot;
    } else if (slots.includes(this.runSlot)) {
      this.runSlot = NONE;
    }
    return 'applied';
  }

  /**
   * Accumulates window `slot`'s surviving trades in (ts, arrival) order into `acc`, leaving out
   * trade `skip` and including the staged trade `extra` at its place.
   */
  private compute(slot: number, skip: number, extra: number, acc: Float64Array): void {
    const book = this.book;
    acc.fill(0);
    acc[A_HIGH] = Number.NEGATIVE_INFINITY;
    acc[A_LOW] = Number.POSITIVE_INFINITY;
    const extraTs = extra < 0 ? Number.POSITIVE_INFINITY : book.tsOf(extra);
    let extraDone = extra < 0;
    for (let a = book.head[slot]!; a !== NONE; a = book.nextOf(a)) {
      if (!extraDone && book.tsOf(a) > extraTs) {
        accumulate(acc, book.priceOf(extra), book.sizeOf(extra), book.flagsOf(extra) & UPDATE_BITS);
        extraDone = true;
      }
      const f = book.flagsOf(a);
      if (a !== skip && (f & CANCELLED) === 0)
        accumulate(acc, book.priceOf(a), book.sizeOf(a), f & UPDATE_BITS);
    }
    if (!extraDone)
      accumulate(acc, book.priceOf(extra), book.sizeOf(extra), book.flagsOf(extra) & UPDATE_BITS);
  }
}

function stageTrade(book: TradeBook, trade: TradeFacts, bits: number): number {
  const numeric = trade.id === null ? Number.NaN : numericId(trade.id);
  return book.stage(trade, bits, trade.id, numeric);
}

/** {@link accumulate} of a trade object (the fast path: no boxed doubles). */
function accumulateTrade(acc: Float64Array, trade: TradeFacts, bits: number): void {
  accumulate(acc, trade.price, trade.size, bits);
}

/** Adds one trade to a window's accumulator. */
function accumulate(acc: Float64Array, price: number, size: number, bits: number): void {
  if (bits === 0) return;
  let flags = acc[A_FLAGS]! | SLOT_COUNTED;
  if ((bits & UPDATES_VOLUME) !== 0) {
    acc[A_VOLUME] = acc[A_VOLUME]! + size;
    acc[A_PV] = acc[A_PV]! + price * size;
    acc[A_COUNT] = acc[A_COUNT]! + 1;
  }
  if ((bits & UPDATES_HIGH_LOW) !== 0) {
    if (price > acc[A_HIGH]!) acc[A_HIGH] = price;
    if (price < acc[A_LOW]!) acc[A_LOW] = price;
  }
  if ((bits & UPDATES_OPEN_CLOSE) !== 0) {
    if ((flags & SLOT_PRICED) === 0) acc[A_OPEN] = price;
    acc[A_CLOSE] = price;
    flags |= SLOT_PRICED;
  }
  acc[A_FLAGS] = flags;
}

/** A window's bar from its accumulator and the carried close (NaN: none); null when it has none. */
function finish(acc: Float64Array, carry: number): BarValues | null {
  const flags = acc[A_FLAGS]!;
  let open: number;
  let close: number;
  if ((flags & SLOT_PRICED) !== 0) {
    open = acc[A_OPEN]!;
    close = acc[A_CLOSE]!;
  } else {
    if ((flags & SLOT_COUNTED) === 0 || Number.isNaN(carry)) return null;
    open = carry;
    close = carry;
  }
  const volume = acc[A_VOLUME]!;
  const high = Math.max(acc[A_HIGH]!, open, close);
  const low = Math.min(acc[A_LOW]!, open, close);
  const vwap = volume > 0 ? acc[A_PV]! / volume : null;
  return { open, high, low, close, volume, vwap, tradeCount: acc[A_COUNT]! };
}

/**
 * {@link finish} written into `out` at the `V_*` indices of `DayBars.input` (no allocation, no
 * boxed number: the path of every bar a flush writes). Returns false when the window has no bar.
 */
function finishInto(acc: Float64Array, carry: number, out: Float64Array): boolean {
  const flags = acc[A_FLAGS]!;
  let open: number;
  let close: number;
  if ((flags & SLOT_PRICED) !== 0) {
    open = acc[A_OPEN]!;
    close = acc[A_CLOSE]!;
  } else {
    if ((flags & SLOT_COUNTED) === 0 || Number.isNaN(carry)) return false;
    open = carry;
    close = carry;
  }
  const volume = acc[A_VOLUME]!;
  out[V_OPEN] = open;
  out[V_HIGH] = Math.max(acc[A_HIGH]!, open, close);
  out[V_LOW] = Math.min(acc[A_LOW]!, open, close);
  out[V_CLOSE] = close;
  out[V_VOLUME] = volume;
  out[V_VWAP] = volume > 0 ? acc[A_PV]! / volume : Number.NaN;
  out[V_TRADES] = acc[A_COUNT]!;
  return true;
}
