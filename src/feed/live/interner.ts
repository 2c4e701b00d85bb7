/**
 * Interns values made from short byte runs (symbols, exchange codes, condition lists) so a decoder
 * turns the same bytes into the same string or array every time instead of a new one per message.
 * Open addressing over an FNV-1a hash of the bytes, verified byte for byte; bounded: once full it
 * starts over (what a stream repeats comes back at once).
 */
export class Interner<T> {
  private readonly keys: (Uint8Array | undefined)[];
  private readonly values: (T | undefined)[];
  private readonly mask: number;
  private size = 0;

  /** @param capacity a power of two; at most half of it is filled before the table starts over */
  constructor(capacity = 4096) {
    if (capacity & (capacity - 1)) throw new RangeError('capacity must be a power of two');
    this.keys = new Array(capacity);
    this.values = new Array(capacity);
    this.mask = capacity - 1;
  }

  /** The value for `bytes[start, end)`, made by `make` the first time those bytes are seen. */
  get(
    bytes: Uint8Array,
    start: number,
    end: number,
    make: (bytes: Uint8Array, start: number, end: number) => T,
  ): T {
    let hash = 0x811c9dc5;
    for (let i = start; i < end; i++) hash = Math.imul(hash ^ bytes[i]!, 0x01000193);
    const length = end - start;
    let slot = hash & this.mask;
    for (;;) {
      const key = this.keys[slot];
      if (key === undefined) break;
      if (key.length === length) {
        let same = true;
        for (let i = 0; i < length; i++) {
          if (key[i] !== bytes[start + i]) {
            same = false;
            break;
          }
        }
        if (same) return this.values[slot]!;
      }
      slot = (slot + 1) & this.mask;
    }
    const value = make(bytes, start, end);
    if (this.size * 2 >= this.keys.length) {
      this.keys.fill(undefined);
      this.values.fill(undefined);
      this.size = 0;
      slot = hash & this.mask;
    }
    this.keys[slot] = bytes.slice(start, end);
    this.values[slot] = value;
    this.size++;
    return value;
  }
}
