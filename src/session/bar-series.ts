import type { Bar, Instant } from '../domain/types.ts';

/** Marker for "no value" in the integer trade-count column. */
const NO_TRADE_COUNT = -1;

/**
 * Columnar storage of one interval's bars over one session window.
 *
 * The window is known in advance, so every possible bar has a fixed slot
 * (`slot = (ts - start) / slotMs`) and the columns are typed arrays sized to the slot count,
 * allocated on the first write. A bar's `ts` is implied by its slot and never stored. A sorted
 * list of occupied slots gives O(1) latest bar and O(log n + k) range and last-N reads.
 *
 * Nulls: `vwap` is NaN, `tradeCount` is -1. `seq` is the change sequence of the bar's last change
 * (0 = no bar). Derived series also keep `baseBars` (how many base bars the window holds) and
 * `pvSum` (Σ vwap × volume of those base bars, NaN when one of them has no vwap).
 */
export class BarSeries {
  /** Number of bars present. */
  size = 0;
  open!: Float64Array;
  high!: Float64Array;
  low!: Float64Array;
  close!: Float64Array;
  volume!: Float64Array;
  vwap!: Float64Array;
  tradeCount!: Int32Array;
  revision!: Uint16Array;
  seq!: Float64Array;
  baseBars: Uint32Array | null = null;
  pvSum: Float64Array | null = null;
  /** Occupied slots, ascending; only the first `size` entries are meaningful. */
  order!: Int32Array;
  private allocated = false;

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
  }

  /** How many slots (possible bars) the window holds. */
  readonly slotCount: number;

  private allocate(): void {
    const n = this.slotCount;
    this.open = new Float64Array(n);
    this.high = new Float64Array(n);
    this.low = new Float64Array(n);
    this.close = new Float64Array(n);
    this.volume = new Float64Array(n);
    this.vwap = new Float64Array(n);
    this.tradeCount = new Int32Array(n);
    this.revision = new Uint16Array(n);
    this.seq = new Float64Array(n);
    this.order = new Int32Array(n);
    if (this.derived) {
      this.baseBars = new Uint32Array(n);
      this.pvSum = new Float64Array(n);
    }
    this.allocated = true;
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
    return end < this.end ? end : this.end;
  }

  /** Whether a bar occupies the slot. */
  has(slot: number): boolean {
    return this.allocated && this.seq[slot]! !== 0;
  }

  /** Slot of the latest bar, or -1. */
  latestSlot(): number {
    return this.size === 0 ? -1 : this.order[this.size - 1]!;
  }

  /** Slot of the earliest bar, or -1. */
  firstSlot(): number {
    return this.size === 0 ? -1 : this.order[0]!;
  }

  /**
   * Writes every column of a slot and marks it present (inserting it into the slot order when new).
   * Returns true when the slot was empty before.
   */
  write(
    slot: number,
    open: number,
    high: number,
    low: number,
    close: number,
    volume: number,
    vwap: number,
    tradeCount: number,
    revision: number,
    seq: number,
  ): boolean {
    if (!this.allocated) this.allocate();
    const added = this.seq[slot] === 0;
    this.open[slot] = open;
    this.high[slot] = high;
    this.low[slot] = low;
    this.close[slot] = close;
    this.volume[slot] = volume;
    this.vwap[slot] = vwap;
    this.tradeCount[slot] = tradeCount;
    this.revision[slot] = revision;
    this.seq[slot] = seq;
    if (added) this.insertOrder(slot);
    return added;
  }

  private insertOrder(slot: number): void {
    const order = this.order;
    const n = this.size;
    if (n === 0 || order[n - 1]! < slot) {
      order[n] = slot;
    } else {
      const at = this.positionOfSlot(slot);
      order.copyWithin(at + 1, at, n);
      order[at] = slot;
    }
    this.size = n + 1;
  }

  /** Position in the slot order of the first occupied slot ≥ `slot` (binary search). */
  positionOfSlot(slot: number): number {
    const order = this.order;
    let lo = 0;
    let hi = this.size;
    if (hi === 0 || order[hi - 1]! < slot) return hi;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (order[mid]! < slot) lo = mid + 1;
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
    return this.order[position]!;
  }

  /** Number of occupied slots in [fromSlot, toSlot). */
  countBetween(fromSlot: number, toSlot: number): number {
    return this.positionOfSlot(toSlot) - this.positionOfSlot(fromSlot);
  }

  /** Builds a read-only bar object of an occupied slot. */
  barAt(slot: number, complete: boolean): Bar {
    const vwap = this.vwap[slot]!;
    const tradeCount = this.tradeCount[slot]!;
    return {
      ts: this.slotStart(slot),
      endTs: this.slotEnd(slot),
      open: this.open[slot]!,
      high: this.high[slot]!,
      low: this.low[slot]!,
      close: this.close[slot]!,
      volume: this.volume[slot]!,
      vwap: Number.isNaN(vwap) ? null : vwap,
      tradeCount: tradeCount === NO_TRADE_COUNT ? null : tradeCount,
      complete,
      baseBars: this.baseBars === null ? 1 : this.baseBars[slot]!,
      revision: this.revision[slot]!,
    };
  }

  /** Retained bytes of the columns (for memory reports). */
  byteSize(): number {
    if (!this.allocated) return 0;
    let bytes =
      this.open.byteLength * 6 + this.tradeCount.byteLength + this.revision.byteLength + this.seq.byteLength;
    bytes += this.order.byteLength;
    if (this.baseBars) bytes += this.baseBars.byteLength;
    if (this.pvSum) bytes += this.pvSum.byteLength;
    return bytes;
  }
}

/** Encodes a nullable vwap for the column. */
export function vwapToColumn(vwap: number | null): number {
  return vwap === null ? Number.NaN : vwap;
}

/** Encodes a nullable trade count for the column. */
export function tradeCountToColumn(tradeCount: number | null): number {
  return tradeCount === null ? NO_TRADE_COUNT : tradeCount;
}

export { NO_TRADE_COUNT };
