import type { Bar, Instant } from '../domain/types.ts';

/** Marker for "no value" in the integer trade-count column. */
const NO_TRADE_COUNT = -1;

/*
 * Columns. Each column is `slotCount` long and contiguous (column-major). Float columns live in a
 * Float64Array, integer columns in an Int32Array and the slot order in a Uint16Array; all of a
 * symbol's series share one ArrayBuffer (see `SeriesStorage`), so a symbol's whole day is one
 * allocation however many intervals and fields it has. (One typed array per field costs ~200 bytes
 * of object and allocator overhead each and, with thousands of symbols, scatters every bar write over
 * dozens of separate allocations: four times slower and 20% more memory.)
 */
/** Float columns. The last one is `vwap` in a base series and `pv` in a derived one. */
export const F_OPEN = 0;
export const F_HIGH = 1;
export const F_LOW = 2;
export const F_CLOSE = 3;
export const F_VOLUME = 4;
/** Base series: the bar's vwap (NaN = null). */
export const F_VWAP = 5;
/** Derived series: Σ vwap × volume of the window's base bars (NaN when one has no vwap). */
export const F_PV = 5;
const FLOAT_COLUMNS = 6;
/**
 * Integer columns. `SEQ` holds the change sequence relative to the series' `seqOrigin` as an
 * unsigned 32-bit value (0 = no bar). `BASE_BARS` exists in derived series only.
 */
export const I_TRADES = 0;
export const I_REVISION = 1;
export const I_SEQ = 2;
export const I_BASE_BARS = 3;

/**
 * Indices of a bar's values in a Float64Array handed to {@link BarSeries.writeValues} (vwap NaN:
 * null; tradeCount -1: null).
 */
export const V_OPEN = 0;
export const V_HIGH = 1;
export const V_LOW = 2;
export const V_CLOSE = 3;
export const V_VOLUME = 4;
export const V_VWAP = 5;
export const V_TRADES = 6;
export const V_LENGTH = 7;

/** Largest relative change sequence a series stores. */
const MAX_RELATIVE_SEQ = 0xffff_ffff;

/** Slots are indexed by Uint16 in the order column: a session window never holds more. */
const MAX_SLOTS = 65_536;

const EMPTY_F64 = new Float64Array(0);
const EMPTY_I32 = new Int32Array(0);
const EMPTY_U16 = new Uint16Array(0);

/** Typed views over one buffer shared by several series. */
export interface SeriesStorage {
  readonly f: Float64Array;
  readonly i: Int32Array;
  readonly o: Uint16Array;
}

/**
 * Columnar storage of one interval's bars over one session window.
 *
 * The window is known in advance, so every possible bar has a fixed slot
 * (`slot = (ts - start) / slotMs`) and the columns are sized to the slot count, allocated on the
 * first write (or attached to a shared buffer before it). A bar's `ts` is implied by its slot and
 * never stored. A sorted list of occupied slots (the order column) gives O(1) latest bar and
 * O(log n + k) range and last-N reads.
 *
 * Column `c` of slot `s` is `f[fo + c * slotCount + s]` (float columns), `i[io + c * slotCount + s]`
 * (integer columns); position `p` of the slot order is `o[oo + p]`. Nulls: `vwap` is NaN,
 * `tradeCount` is -1. `seq` is the change sequence of the bar's last change (0 = no bar), stored
 * relative to the series' first one in 32 bits (four billion changes per series and session). Derived
 * series keep `baseBars` (how many base bars the window holds) and `pv` (Σ vwap × volume of those
 * base bars) instead of `vwap`, which is `pv / volume`.
 */
export class BarSeries {
  /** Number of bars present. */
  size = 0;
  /** Float columns (open, high, low, close, volume, vwap | pv) at offset `fo`. */
  f: Float64Array = EMPTY_F64;
  /** Integer columns (tradeCount, revision, seq[, baseBars]) at offset `io`. */
  i: Int32Array = EMPTY_I32;
  /** Occupied slots, ascending, at offset `oo`; only the first `size` entries are meaningful. */
  o: Uint16Array = EMPTY_U16;
  fo = 0;
  io = 0;
  oo = 0;
  /** The highest change sequence of any slot (0 before the first write): lets a delta skip the series. */
  latestSeq = 0;
  /** Change sequences are stored relative to this (set by the first write). */
  private seqOrigin = -1;
  /** How many slots (possible bars) the window holds; also the length of every column. */
  readonly slotCount: number;

  /**
   * @param start first slot's start instant (the session window's start)
   * @param end the window's end; the last slot is truncated there
   * @param slotMs slot length in ms
   * @param derived whether to keep the aggregation columns of a derived interval
   */
  constructor(
    readonly start: Instant,
    readonly end: Instant,
    readonly slotMs: number,
    readonly derived: boolean,
  ) {
    this.slotCount = Math.ceil((end - start) / slotMs);
    if (this.slotCount > MAX_SLOTS) throw new RangeError(`a series holds at most ${MAX_SLOTS} slots`);
  }

  /** Float64 elements the series needs. */
  get floatLength(): number {
    return FLOAT_COLUMNS * this.slotCount;
  }

  /** Int32 elements the series needs. */
  get intLength(): number {
    return (this.derived ? 4 : 3) * this.slotCount;
  }

  /** Whether the columns exist (attached or allocated). */
  get allocated(): boolean {
    return this.o.length !== 0;
  }

  /** Uses shared views from the given offsets (before the first write). */
  attach(storage: SeriesStorage, fo: number, io: number, oo: number): void {
    this.f = storage.f;
    this.i = storage.i;
    this.o = storage.o;
    this.fo = fo;
    this.io = io;
    this.oo = oo;
  }

  /** Allocates the series' own columns (when it was not attached to shared storage). */
  private allocate(): void {
    const floatBytes = this.floatLength * 8;
    const intBytes = this.intLength * 4;
    const buffer = new ArrayBuffer(floatBytes + intBytes + this.slotCount * 2);
    this.attach(
      {
        f: new Float64Array(buffer, 0, this.floatLength),
        i: new Int32Array(buffer, floatBytes, this.intLength),
        o: new Uint16Array(buffer, floatBytes + intBytes, this.slotCount),
      },
      0,
      0,
      0,
    );
  }

  /** Slot of an instant inside the window (floor), unchecked. */
  slotOf(ts: Instant): number {
    return Math.floor((ts - this.start) / this.slotMs);
  }

  /** Start instant of a slot. */
  slotStart(slot: number): Instant {
    return this.start + slot * this.slotMs;
  }

  /** End instant of a slot (the window's end for the last, truncated, slot). */
  slotEnd(slot: number): Instant {
    const end = this.start + (slot + 1) * this.slotMs;
    return Math.min(end, this.end);
  }

  /** Whether a bar occupies the slot. */
  has(slot: number): boolean {
    return this.size !== 0 && this.i[this.io + I_SEQ * this.slotCount + slot] !== 0;
  }

  /** Change sequence of a slot's last change (0 = no bar). */
  seqOf(slot: number): number {
    if (this.size === 0) return 0;
    const relative = this.i[this.io + I_SEQ * this.slotCount + slot]! >>> 0;
    return relative === 0 ? 0 : this.seqOrigin + relative;
  }

  /** Records the change sequence of a slot's last change. */
  setSeq(slot: number, seq: number): void {
    if (this.seqOrigin < 0) this.seqOrigin = seq - 1;
    if (seq > this.latestSeq) this.latestSeq = seq;
    const relative = seq - this.seqOrigin;
    if (!(relative > 0 && relative <= MAX_RELATIVE_SEQ)) {
      throw new RangeError(`change sequence ${seq} out of range for this series (origin ${this.seqOrigin})`);
    }
    this.i[this.io + I_SEQ * this.slotCount + slot] = relative | 0;
  }

  /** Base bars of an occupied slot (1 in a base series). */
  baseBarsOf(slot: number): number {
    return this.derived ? this.i[this.io + I_BASE_BARS * this.slotCount + slot]! : 1;
  }

  /** The vwap column value of an occupied slot: NaN for null. */
  vwapOf(slot: number): number {
    const f = this.f;
    const n = this.slotCount;
    if (!this.derived) return f[this.fo + F_VWAP * n + slot]!;
    return vwapOf(f[this.fo + F_PV * n + slot]!, f[this.fo + F_VOLUME * n + slot]!);
  }

  /** Slot of the latest bar, or -1. */
  latestSlot(): number {
    return this.size === 0 ? -1 : this.o[this.oo + this.size - 1]!;
  }

  /** Slot of the earliest bar, or -1. */
  firstSlot(): number {
    return this.size === 0 ? -1 : this.o[this.oo]!;
  }

  /**
   * Writes the bar columns of a slot (not `vwap` / `pv` nor `baseBars`, which the caller sets) and
   * marks it present (inserting it into the slot order when new). Returns true when the slot was
   * empty before.
   */
  write(
    slot: number,
    open: number,
    high: number,
    low: number,
    close: number,
    volume: number,
    tradeCount: number,
    revision: number,
    seq: number,
  ): boolean {
    if (this.o.length === 0) this.allocate();
    const n = this.slotCount;
    const f = this.f;
    const fo = this.fo;
    const i = this.i;
    const added = i[this.io + I_SEQ * n + slot] === 0;
    f[fo + slot] = open;
    f[fo + F_HIGH * n + slot] = high;
    f[fo + F_LOW * n + slot] = low;
    f[fo + F_CLOSE * n + slot] = close;
    f[fo + F_VOLUME * n + slot] = volume;
    i[this.io + slot] = tradeCount;
    i[this.io + I_REVISION * n + slot] = revision;
    this.setSeq(slot, seq);
    if (added) this.insertOrder(slot);
    return added;
  }

  /**
   * {@link write} of a base series' bar from values at the `V_*` indices, vwap included (the
   * numbers stay unboxed: the hot path of every bar write). Returns true when the slot was empty.
   */
  writeValues(slot: number, v: Float64Array, revision: number, seq: number): boolean {
    if (this.o.length === 0) this.allocate();
    const n = this.slotCount;
    const f = this.f;
    const fo = this.fo;
    const i = this.i;
    const io = this.io;
    const added = i[io + I_SEQ * n + slot] === 0;
    f[fo + slot] = v[V_OPEN]!;
    f[fo + F_HIGH * n + slot] = v[V_HIGH]!;
    f[fo + F_LOW * n + slot] = v[V_LOW]!;
    f[fo + F_CLOSE * n + slot] = v[V_CLOSE]!;
    f[fo + F_VOLUME * n + slot] = v[V_VOLUME]!;
    f[fo + F_VWAP * n + slot] = v[V_VWAP]!;
    i[io + slot] = v[V_TRADES]!;
    i[io + I_REVISION * n + slot] = revision;
    this.setSeq(slot, seq);
    if (added) this.insertOrder(slot);
    return added;
  }

  private insertOrder(slot: number): void {
    const o = this.o;
    const base = this.oo;
    const size = this.size;
    if (size === 0 || o[base + size - 1]! < slot) {
      o[base + size] = slot;
    } else {
      const at = this.positionOfSlot(slot);
      o.copyWithin(base + at + 1, base + at, base + size);
      o[base + at] = slot;
    }
    this.size = size + 1;
  }

  /** Position in the slot order of the first occupied slot ≥ `slot` (binary search). */
  positionOfSlot(slot: number): number {
    const o = this.o;
    const base = this.oo;
    let lo = 0;
    let hi = this.size;
    if (hi === 0 || o[base + hi - 1]! < slot) return hi;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (o[base + mid]! < slot) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Position of the first bar whose ts ≥ `ts` (0…size). O(log n). */
  lowerBound(ts: Instant): number {
    if (ts <= this.start) return 0;
    if (ts >= this.end) return this.size;
    return this.positionOfSlot(Math.ceil((ts - this.start) / this.slotMs));
  }

  /** Slot of the bar at a position of the ascending order. */
  slotAt(position: number): number {
    return this.o[this.oo + position]!;
  }

  /** Number of occupied slots in [fromSlot, toSlot). */
  countBetween(fromSlot: number, toSlot: number): number {
    return this.positionOfSlot(toSlot) - this.positionOfSlot(fromSlot);
  }

  /** Builds a read-only bar object of an occupied slot. */
  barAt(slot: number, complete: boolean): Bar {
    const n = this.slotCount;
    const f = this.f;
    const fo = this.fo;
    const vwap = this.vwapOf(slot);
    const tradeCount = this.i[this.io + slot]!;
    return {
      ts: this.slotStart(slot),
      endTs: this.slotEnd(slot),
      open: f[fo + slot]!,
      high: f[fo + F_HIGH * n + slot]!,
      low: f[fo + F_LOW * n + slot]!,
      close: f[fo + F_CLOSE * n + slot]!,
      volume: f[fo + F_VOLUME * n + slot]!,
      vwap: Number.isNaN(vwap) ? null : vwap,
      tradeCount: tradeCount === NO_TRADE_COUNT ? null : tradeCount,
      complete,
      baseBars: this.baseBarsOf(slot),
      revision: this.i[this.io + I_REVISION * n + slot]!,
    };
  }

  /** Bytes of the columns (for memory reports). */
  byteSize(): number {
    return this.allocated ? this.floatLength * 8 + this.intLength * 4 + this.slotCount * 2 : 0;
  }
}

/**
 * Allocates one buffer for several series and attaches each to its part of it (every series must be
 * unallocated). Float columns come first, then integer columns, then the slot orders, so each view
 * stays aligned.
 */
export function attachShared(series: readonly BarSeries[]): void {
  let floats = 0;
  let ints = 0;
  let orders = 0;
  for (const s of series) {
    floats += s.floatLength;
    ints += s.intLength;
    orders += s.slotCount;
  }
  const buffer = new ArrayBuffer(floats * 8 + ints * 4 + orders * 2);
  const storage: SeriesStorage = {
    f: new Float64Array(buffer, 0, floats),
    i: new Int32Array(buffer, floats * 8, ints),
    o: new Uint16Array(buffer, floats * 8 + ints * 4, orders),
  };
  let fo = 0;
  let io = 0;
  let oo = 0;
  for (const s of series) {
    s.attach(storage, fo, io, oo);
    fo += s.floatLength;
    io += s.intLength;
    oo += s.slotCount;
  }
}

/** vwap of a Σ(vwap × volume) and a volume: NaN (null) when the volume is 0 or a vwap was missing. */
export function vwapOf(pvSum: number, volume: number): number {
  return volume > 0 ? pvSum / volume : Number.NaN;
}

export { NO_TRADE_COUNT };
