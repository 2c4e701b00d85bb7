/**
 * A bounded first-in-first-out buffer: once full, each push drops the oldest item.
 * Used for a symbol's quotes and ticks; `latest` is O(1) and `last(n)` is O(n).
 */
export class RingBuffer<T> {
  private readonly items: (T | undefined)[];
  private head = 0;
  /** Items currently held (≤ capacity). */
  size = 0;
  /** Items ever pushed. */
  total = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError('capacity must be a positive integer');
    this.items = new Array<T | undefined>(capacity);
  }

  /** Appends an item, dropping the oldest one when full. */
  push(item: T): void {
    this.items[this.head] = item;
    this.head = (this.head + 1) % this.capacity;
    if (this.size < this.capacity) this.size++;
    this.total++;
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
      out[i] = this.items[(this.head - count + i + this.capacity * 2) % this.capacity] as T;
    }
    return out;
  }
}
