import type { Instant } from '../domain/types.ts';

/** Set in a trade's flags once it is cancelled (or replaced by a correction). */
export const CANCELLED = 0x80;
/** The UPDATES_* bits of a trade's flags (resolved for its window: regular or extended hours). */
export const UPDATE_BITS = 0x07;

/** Slot flags. */
export const SLOT_SEALED = 1;
/** The slot holds a live trade that sets open/close. */
export const SLOT_PRICED = 2;
/** The slot holds a live trade that updates anything. */
export const SLOT_COUNTED = 4;

/** Default bound of the trades kept per symbol and session date (2²⁰). */
export const DEFAULT_MAX_TRADES = 1 << 20;

const NONE = -1;

/** What {@link TradeBook.stage} reads of a trade (an object: doubles passed one by one are boxed). */
export interface StagedTrade {
  readonly ts: Instant;
  readonly price: number;
  readonly size: number;
}

/** Trades per chunk of columns (one allocation each). */
const CHUNK_TRADES = 4_096;

/** One chunk: ts, price, size and numeric id (Float64, column after column), links, flags. */
interface Chunk {
  readonly f: Float64Array;
  readonly next: Int32Array;
  readonly flags: Uint8Array;
  /** String ids (allocated with the chunk's first string id). */
  ids: (string | undefined)[] | null;
}

/**
 * The trades of one symbol over one session window, kept so that any base bar can be recomputed
 * from its window's surviving trades (late trades, corrections, cancels).
 *
 * Columnar and bounded: per trade a Float64 ts, price, size and numeric id, an Int32 link and a
 * Uint8 of flags (37 bytes), in chunks of 4,096 trades allocated as the day fills (no copy on
 * growth), plus its id's entry in an open-addressing table (4–8 bytes). At most `maxTrades` (a
 * power of two) are held: past that the book is a ring, the oldest trade is dropped and its base
 * slot **sealed** (that window can no longer be recomputed; the session tree refuses what would
 * need it with `TRADE_NOT_KEPT`). Per base slot: an Int32 head and tail of the slot's list and a
 * Uint8 of flags (9 bytes).
 *
 * Trades are numbered by arrival (0, 1, …). Each slot's trades form a singly linked list ordered by
 * (ts, arrival): a trade arriving in time order is appended in O(1), a late one inserted by walking
 * its slot's list.
 *
 * Ids: a decimal id of up to 15 digits without leading zeros (what Alpaca and Polygon send) is kept
 * as a number in the table; any other string in a Map.
 */
export class TradeBook {
  private readonly chunks: (Chunk | undefined)[];
  private readonly shift: number;
  private readonly within: number;
  private readonly stringIds = new Map<string, number>();
  private table: Int32Array = new Int32Array(0);
  /** The highest numeric id ever indexed (-1: none); dropped ids keep it (it only says "not above"). */
  private maxNumericId = -1;
  private tableUsed = 0;
  private tableDead = 0;
  /** Per base slot: first and last trade (arrival) of its list, and its flags. */
  readonly head: Int32Array;
  readonly tail: Int32Array;
  readonly slotFlags: Uint8Array;
  /** Trades accepted so far (the next arrival number). */
  count = 0;
  /** Trades dropped because the book was full. */
  dropped = 0;
  /** Trades of arrival numbers below this were dropped. */
  private keptFrom = 0;
  /** Highest slot holding a trade (-1: none). */
  maxSlot = NONE;
  private readonly mask: number;
  readonly maxTrades: number;

  /**
   * @param start the session window's start
   * @param baseMs the base interval
   * @param slotCount base slots in the window
   * @param maxTrades the bound (rounded up to a power of two)
   */
  constructor(
    readonly start: Instant,
    readonly baseMs: number,
    readonly slotCount: number,
    maxTrades = DEFAULT_MAX_TRADES,
  ) {
    this.maxTrades = 2 ** Math.ceil(Math.log2(Math.max(2, maxTrades)));
    this.mask = this.maxTrades - 1;
    const chunk = Math.min(CHUNK_TRADES, this.maxTrades);
    this.shift = Math.log2(chunk);
    this.within = chunk - 1;
    this.chunks = new Array<Chunk | undefined>(this.maxTrades / chunk);
    this.head = new Int32Array(slotCount).fill(NONE);
    this.tail = new Int32Array(slotCount).fill(NONE);
    this.slotFlags = new Uint8Array(slotCount);
  }

  private chunkOf(a: number): Chunk {
    return this.chunks[(a & this.mask) >>> this.shift]!;
  }

  /** ts of trade `a`. */
  tsOf(a: number): number {
    return this.chunkOf(a).f[a & this.within]!;
  }

  /** Price of trade `a`. */
  priceOf(a: number): number {
    return this.chunkOf(a).f[(a & this.within) + this.within + 1]!;
  }

  /** Size of trade `a`. */
  sizeOf(a: number): number {
    return this.chunkOf(a).f[(a & this.within) + 2 * (this.within + 1)]!;
  }

  /** Flags of trade `a` (UPDATE_BITS, CANCELLED). */
  flagsOf(a: number): number {
    return this.chunkOf(a).flags[a & this.within]!;
  }

  /** Next trade of the same slot's list (-1 at the end). */
  nextOf(a: number): number {
    return this.chunkOf(a).next[a & this.within]!;
  }

  /** Marks trade `a` cancelled. */
  markCancelled(a: number): void {
    this.chunkOf(a).flags[a & this.within]! |= CANCELLED;
  }

  /** Whether arrival `a` is still held. */
  holds(a: number): boolean {
    return a >= this.keptFrom && a < this.count;
  }

  /** Base slot of an instant. */
  slotOf(ts: Instant): number {
    return Math.floor((ts - this.start) / this.baseMs);
  }

  /** Bytes held by the columns, the id table and the slot lists. */
  byteSize(): number {
    let chunks = 0;
    for (const c of this.chunks) if (c !== undefined) chunks++;
    return chunks * (this.within + 1) * 37 + this.table.length * 4 + this.slotCount * 9;
  }

  /** Arrival number of a held trade with this id, or -1. `numeric` is {@link numericId} of it. */
  find(id: string, numeric = numericId(id)): number {
    if (Number.isNaN(numeric)) return this.stringIds.get(id) ?? NONE;
    // Venues number a symbol's trades upwards: an id above every one held is new, without a probe.
    if (numeric > this.maxNumericId) return NONE;
    return this.findNumeric(numeric);
  }

  /**
   * Makes room for the next arrival and writes its columns (not yet linked into its slot nor
   * counted: {@link commit} does both). When the book is full this drops the oldest trade, seals
   * its slot and forgets its id. Returns the arrival number the trade will take.
   */
  stage(trade: StagedTrade, bits: number, id: string | null, numeric: number): number {
    const a = this.count;
    const oldest = a - this.maxTrades;
    if (oldest >= this.keptFrom) {
      this.evict(oldest);
      this.keptFrom = oldest + 1;
    }
    const index = (a & this.mask) >>> this.shift;
    let chunk = this.chunks[index];
    if (chunk === undefined) chunk = this.chunks[index] = newChunk(this.within + 1);
    const o = a & this.within;
    const n = this.within + 1;
    const f = chunk.f;
    f[o] = trade.ts;
    f[o + n] = trade.price;
    f[o + 2 * n] = trade.size;
    f[o + 3 * n] = id === null ? Number.NaN : numeric;
    chunk.flags[o] = bits;
    chunk.next[o] = NONE;
    if (chunk.ids !== null) chunk.ids[o] = undefined;
    if (id !== null && Number.isNaN(numeric)) {
      chunk.ids ??= new Array<string | undefined>(n);
      chunk.ids[o] = id;
    }
    return a;
  }

  /** Links the staged trade `a` into its slot's list (in (ts, arrival) order) and indexes its id. */
  commit(a: number, slot: number): void {
    const tail = this.tail[slot]!;
    // A dropped tail's entry now holds a newer trade: a sealed slot's list starts again at `a`.
    if (tail === NONE || !this.holds(tail)) {
      this.head[slot] = a;
      this.tail[slot] = a;
    } else if (this.tsOf(tail) <= this.tsOf(a)) {
      this.setNext(tail, a);
      this.tail[slot] = a;
    } else {
      this.insertInto(slot, a);
    }
    this.count = a + 1;
    if (slot > this.maxSlot) this.maxSlot = slot;
    const chunk = this.chunkOf(a);
    const o = a & this.within;
    const numeric = chunk.f[o + 3 * (this.within + 1)]!;
    if (!Number.isNaN(numeric)) {
      this.insertNumeric(numeric, a);
      if (numeric > this.maxNumericId) this.maxNumericId = numeric;
    } else {
      const id = chunk.ids?.[o];
      if (id !== undefined) this.stringIds.set(id, a);
    }
  }

  private setNext(a: number, next: number): void {
    this.chunkOf(a).next[a & this.within] = next;
  }

  private insertInto(slot: number, a: number): void {
    const ts = this.tsOf(a);
    let previous = NONE;
    let current = this.head[slot]!;
    while (current !== NONE && this.tsOf(current) <= ts) {
      previous = current;
      current = this.nextOf(current);
    }
    this.setNext(a, current);
    if (previous === NONE) this.head[slot] = a;
    else this.setNext(previous, a);
    if (current === NONE) this.tail[slot] = a;
  }

  /** The ts of the last trade of a slot's list (its latest), or -Infinity. */
  tailTs(slot: number): number {
    const tail = this.tail[slot]!;
    if (tail === NONE) return Number.NEGATIVE_INFINITY;
    // A dropped tail's ts is gone: nothing can be known to come after it.
    return this.holds(tail) ? this.tsOf(tail) : Number.POSITIVE_INFINITY;
  }

  private numericOf(a: number): number {
    return this.chunkOf(a).f[(a & this.within) + 3 * (this.within + 1)]!;
  }

  private evict(a: number): void {
    this.slotFlags[this.slotOf(this.tsOf(a))]! |= SLOT_SEALED;
    const numeric = this.numericOf(a);
    if (!Number.isNaN(numeric)) this.removeNumeric(a);
    else {
      const id = this.chunkOf(a).ids?.[a & this.within];
      if (id !== undefined && this.stringIds.get(id) === a) this.stringIds.delete(id);
    }
    this.dropped++;
  }

  // Open-addressing table of numeric ids: entries hold arrival + 1 (0 empty, -1 deleted); the key is
  // read from the trade's numeric id column.

  /**
   * The slot hash of a numeric id. The low 12 bits stay as they are, so the consecutive ids a venue
   * hands out land in neighbouring slots (one cache line serves many lookups); the bits above are
   * mixed (with the high word) so that ids far apart spread over the table.
   */
  private hash(id: number): number {
    const lo = id >>> 0; // ToUint32: id mod 2³², exact for integers below 2⁵³
    const hi = (id / 4_294_967_296) | 0;
    const mixed = Math.imul((lo >>> 12) ^ Math.imul(hi, 0x9e37_79b1), 0x85eb_ca6b);
    return ((lo & 0xfff) | (mixed << 12)) >>> 0;
  }

  private findNumeric(id: number): number {
    const table = this.table;
    if (table.length === 0) return NONE;
    const mask = table.length - 1;
    for (let p = this.hash(id) & mask; ; p = (p + 1) & mask) {
      const entry = table[p]!;
      if (entry === 0) return NONE;
      if (entry > 0 && this.holds(entry - 1) && this.numericOf(entry - 1) === id) return entry - 1;
    }
  }

  private insertNumeric(id: number, a: number): void {
    if ((this.tableUsed + this.tableDead + 1) * 4 > this.table.length * 3) this.rehash();
    const table = this.table;
    const mask = table.length - 1;
    let p = this.hash(id) & mask;
    while (table[p]! > 0) p = (p + 1) & mask;
    if (table[p] === -1) this.tableDead--;
    table[p] = a + 1;
    this.tableUsed++;
  }

  private removeNumeric(a: number): void {
    const table = this.table;
    const mask = table.length - 1;
    for (let p = this.hash(this.numericOf(a)) & mask; table[p] !== 0; p = (p + 1) & mask) {
      if (table[p] === a + 1) {
        table[p] = -1;
        this.tableUsed--;
        this.tableDead++;
        return;
      }
    }
  }

  private rehash(): void {
    const old = this.table;
    const size = Math.max(64, 2 ** Math.ceil(Math.log2((this.tableUsed + 1) * 2)));
    this.table = new Int32Array(size);
    this.tableUsed = 0;
    this.tableDead = 0;
    for (const entry of old) if (entry > 0) this.insertNumeric(this.numericOf(entry - 1), entry - 1);
  }
}

function newChunk(n: number): Chunk {
  const buffer = new ArrayBuffer(n * 37);
  return {
    f: new Float64Array(buffer, 0, 4 * n),
    next: new Int32Array(buffer, 32 * n, n),
    flags: new Uint8Array(buffer, 36 * n, n),
    ids: null,
  };
}

/**
 * A decimal id of 1–15 digits without a leading zero as a number; NaN for any other string (kept as
 * a string).
 */
export function numericId(id: string): number {
  const length = id.length;
  if (length === 0 || length > 15) return Number.NaN;
  let value = 0;
  for (let k = 0; k < length; k++) {
    const d = id.charCodeAt(k) - 48;
    if (d < 0 || d > 9 || (k === 0 && d === 0 && length > 1)) return Number.NaN;
    value = value * 10 + d;
  }
  return value;
}
