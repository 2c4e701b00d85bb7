/**
 * A bounded first-in-first-out buffer: once full, each push drops the oldest item.
 * Used for a symbol's quotes and ticks; `latest` is O(1) and `last(n)` is O(n).
 * Storage grows geometrically up to the capacity (a symbol without quotes costs no 10,000-slot array).
 */
export class RingBuffer<T> {
  private readonly items: T[] = [];
  private head = 0;
  /** Items currently held (≤ capacity). */
  size = 0;
  /** Items ever pushed. */
  total = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError('capacity must be a positive integer');
  }

  /** Appends an item, dropping the oldest one when full. */
  push(item: T): void {
    if (this.size < this.capacity) {
      // Not full yet: items sit at 0…size-1 in order, so appending is a plain push.
      this.items.push(item);
      this.head = (this.head + 1) % this.capacity;
      this.size++;
      this.total++;
      return;
    }
    this.items[this.head] = item;
    this.head = (this.head + 1) % this.capacity;
    this.total++;
  }

  /**
   * Fills an empty buffer with stored items (oldest first) of which `total` were ever pushed
   * (`total` ≥ items; only the newest `capacity` items are kept).
   */
  restore(items: readonly T[], total: number): void {
    if (this.total !== 0) throw new Error('restore needs an empty buffer');
    for (const item of items) this.push(item);
    this.total = Math.max(total, this.total);
  }

  /** The most recent item. */
  latest(): T | null {
    if (this.size === 0) return null;
    return this.items[(this.head - 1 + this.capacity) % this.capacity] ?? null;
  }

  /** The most recent `n` items, oldest first. */
  last(n: number): T[] {
    const count = Math.max(0, Math.min(n, this.size));
    const out: T[] = new Array<T>(count);
    for (let i = 0; i < count; i++) {
      out[i] = this.items[(this.head - count + i + this.capacity * 2) % this.capacity]!;
    }
    return out;
  }
}
