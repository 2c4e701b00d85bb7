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

const INITIAL_CAPACITY = 1 << 10;
const NONE = -1;

/**
 * The trades of one symbol over one session window, kept so that any base bar can be recomputed
 * from its window's surviving trades (late trades, corrections, cancels).
 *
 * Columnar and bounded: per trade a Float64 ts, price, size and numeric id, an Int32 link and a
 * Uint8 of flags (37 bytes) plus its id's entry in an open-addressing table (8 bytes at most); the
 * columns grow by doubling up to `maxTrades` (a power of two). Past that the book is a ring: the
 * oldest trade is dropped and its base slot **sealed** (that window can no longer be recomputed; the
 * session tree refuses what would need it with `TRADE_NOT_KEPT`). Per base slot: an Int32 head and
 * tail of the slot's list and a Uint8 of flags (9 bytes).
 *
 * Trades are numbered by arrival (0, 1, …); trade `a` lives at index `a & mask`. Each slot's trades
 * form a singly linked list ordered by (ts, arrival): a trade arriving in time order is appended in
 * O(1), a late one is inserted by walking its slot's list.
 *
 * Ids: a decimal id of up to 15 digits without leading zeros (what Alpaca and Polygon send) is kept
 * as a number in the table; any other string in a Map.
 */
export class TradeBook {
  ts: Float64Array;
  price: Float64Array;
  size: Float64Array;
  /** Numeric id (NaN: none, or a string id). */
  idNum: Float64Array;
  /** Next trade (arrival number) of the same slot's list; -1 at the end. */
  next: Int32Array;
  flags: Uint8Array;
  /** String ids by index (allocated with the first string id). */
  private idStr: (string | undefined)[] | null = null;
  private readonly stringIds = new Map<string, number>();
  private table: Int32Array = new Int32Array(0);
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
  private mask: number;
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
    const capacity = Math.min(INITIAL_CAPACITY, this.maxTrades);
    this.ts = new Float64Array(capacity);
    this.price = new Float64Array(capacity);
    this.size = new Float64Array(capacity);
    this.idNum = new Float64Array(capacity);
    this.next = new Int32Array(capacity);
    this.flags = new Uint8Array(capacity);
    this.mask = capacity - 1;
    this.head = new Int32Array(slotCount).fill(NONE);
    this.tail = new Int32Array(slotCount).fill(NONE);
    this.slotFlags = new Uint8Array(slotCount);
  }

  /** Index of arrival `a` in the columns. */
  indexOf(a: number): number {
    return a & this.mask;
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
    const n = this.mask + 1;
    return n * 37 + this.table.length * 4 + this.slotCount * 9;
  }

  /** Arrival number of a held trade with this id, or -1. */
  find(id: string): number {
    const numeric = numericId(id);
    if (Number.isNaN(numeric)) return this.stringIds.get(id) ?? NONE;
    return this.findNumeric(numeric);
  }

  /**
   * Makes room for the next arrival and writes its columns (not yet linked into its slot nor
   * counted: {@link commit} does both). When the book is full this drops the oldest trade, seals
   * its slot and forgets its id. Returns the arrival number the trade will take.
   */
  stage(ts: Instant, price: number, size: number, bits: number, id: string | null): number {
    const a = this.count;
    const oldest = a - this.mask - 1;
    if (oldest >= 0) {
      if (this.mask + 1 < this.maxTrades) this.grow();
      else if (oldest >= this.keptFrom) {
        this.evict(oldest);
        this.keptFrom = oldest + 1;
      }
    }
    const i = a & this.mask;
    this.ts[i] = ts;
    this.price[i] = price;
    this.size[i] = size;
    this.flags[i] = bits;
    this.next[i] = NONE;
    this.idNum[i] = id === null ? Number.NaN : numericId(id);
    if (this.idStr !== null) this.idStr[i] = undefined;
    if (id !== null && Number.isNaN(this.idNum[i]!)) {
      this.idStr ??= new Array<string | undefined>(this.mask + 1);
      this.idStr[i] = id;
    }
    return a;
  }

  /** Links the staged trade `a` into its slot's list (in (ts, arrival) order) and indexes its id. */
  commit(a: number, slot: number): void {
    const i = a & this.mask;
    const tail = this.tail[slot]!;
    if (tail === NONE) {
      this.head[slot] = a;
      this.tail[slot] = a;
    } else if (this.ts[tail & this.mask]! <= this.ts[i]!) {
      this.next[tail & this.mask] = a;
      this.tail[slot] = a;
    } else {
      this.insertInto(slot, a);
    }
    this.count = a + 1;
    if (slot > this.maxSlot) this.maxSlot = slot;
    const numeric = this.idNum[i]!;
    if (!Number.isNaN(numeric)) this.insertNumeric(numeric, a);
    else {
      const id = this.idStr?.[i];
      if (id !== undefined) this.stringIds.set(id, a);
    }
  }

  private insertInto(slot: number, a: number): void {
    const mask = this.mask;
    const ts = this.ts[a & mask]!;
    let previous = NONE;
    let current = this.head[slot]!;
    while (current !== NONE && this.ts[current & mask]! <= ts) {
      previous = current;
      current = this.next[current & mask]!;
    }
    this.next[a & mask] = current;
    if (previous === NONE) this.head[slot] = a;
    else this.next[previous & mask] = a;
    if (current === NONE) this.tail[slot] = a;
  }

  /** The ts of the last trade of a slot's list (its latest), or -Infinity. */
  tailTs(slot: number): number {
    const tail = this.tail[slot]!;
    return tail === NONE ? Number.NEGATIVE_INFINITY : this.ts[tail & this.mask]!;
  }

  private grow(): void {
    const capacity = (this.mask + 1) * 2;
    this.ts = grown(this.ts, new Float64Array(capacity));
    this.price = grown(this.price, new Float64Array(capacity));
    this.size = grown(this.size, new Float64Array(capacity));
    this.idNum = grown(this.idNum, new Float64Array(capacity));
    this.next = grown(this.next, new Int32Array(capacity));
    this.flags = grown(this.flags, new Uint8Array(capacity));
    if (this.idStr !== null) this.idStr.length = capacity;
    this.mask = capacity - 1;
  }

  private evict(a: number): void {
    const i = a & this.mask;
    this.slotFlags[this.slotOf(this.ts[i]!)]! |= SLOT_SEALED;
    const numeric = this.idNum[i]!;
    if (!Number.isNaN(numeric)) this.removeNumeric(numeric, a);
    else {
      const id = this.idStr?.[i];
      if (id !== undefined && this.stringIds.get(id) === a) this.stringIds.delete(id);
    }
    this.dropped++;
  }

  // Open-addressing table of numeric ids: entries hold arrival + 1 (0 empty, -1 deleted); the key is
  // read from the idNum column.

  private hash(id: number): number {
    const lo = (id % 4_294_967_296) | 0;
    const hi = Math.floor(id / 4_294_967_296) | 0;
    return Math.imul(lo ^ Math.imul(hi, 0x9e37_79b1), 0x85eb_ca6b) >>> 0;
  }

  private findNumeric(id: number): number {
    const table = this.table;
    if (table.length === 0) return NONE;
    const mask = table.length - 1;
    for (let p = this.hash(id) & mask; ; p = (p + 1) & mask) {
      const entry = table[p]!;
      if (entry === 0) return NONE;
      if (entry > 0 && this.idNum[(entry - 1) & this.mask] === id && this.holds(entry - 1)) return entry - 1;
    }
  }

  private insertNumeric(id: number, a: number): void {
    if ((this.tableUsed + this.tableDead + 1) * 2 > this.table.length) this.rehash();
    const table = this.table;
    const mask = table.length - 1;
    let p = this.hash(id) & mask;
    while (table[p]! > 0) p = (p + 1) & mask;
    if (table[p] === -1) this.tableDead--;
    table[p] = a + 1;
    this.tableUsed++;
  }

  private removeNumeric(id: number, a: number): void {
    const table = this.table;
    const mask = table.length - 1;
    for (let p = this.hash(id) & mask; table[p] !== 0; p = (p + 1) & mask) {
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
    const size = Math.max(64, 2 ** Math.ceil(Math.log2((this.tableUsed + 1) * 4)));
    this.table = new Int32Array(size);
    this.tableUsed = 0;
    this.tableDead = 0;
    for (const entry of old) {
      if (entry > 0) this.insertNumeric(this.idNum[(entry - 1) & this.mask]!, entry - 1);
    }
  }
}

function grown<T extends Float64Array | Int32Array | Uint8Array>(from: T, to: T): T {
  to.set(from);
  return to;
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
