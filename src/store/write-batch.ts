/**
 * One batch of the write-behind writer: bars (the latest version of each key), quotes and ticks, the
 * sequence number it covers, and how far its write got (a retried write skips the written parts).
 */
import type { BarRecord } from './bar-repository.ts';
import { BarSet } from './bar-set.ts';
import type { QuoteRecord, TickRecord } from './market-data-repository.ts';

/** Items of one write, and what of them is already written. */
export class WriteBatch {
  bars = new BarSet<BarRecord>();
  /** The bars are written. */
  barsDone = false;
  quotes: QuoteRecord[] = [];
  /** The quotes are written. */
  quotesDone = false;
  ticks: TickRecord[] = [];
  /** Ticks already appended (they are written in chunks). */
  ticksDone = 0;

  /** @param seq every item with a sequence number up to this one is in this batch or an earlier one. */
  constructor(public seq: number) {}

  /** Bars not written yet. */
  get barsLeft(): number {
    return this.barsDone ? 0 : this.bars.size;
  }

  /** Quotes not written yet. */
  get quotesLeft(): number {
    return this.quotesDone ? 0 : this.quotes.length;
  }

  /** Ticks not written yet. */
  get ticksLeft(): number {
    return this.ticks.length - this.ticksDone;
  }

  /** Items not written yet. */
  get size(): number {
    return this.barsLeft + this.quotesLeft + this.ticksLeft;
  }

  /**
   * Takes in a later batch (what arrived while this one failed): newer bar versions win, quotes and
   * ticks follow this batch's unwritten ones, and this batch then covers the later one's sequence.
   */
  absorb(later: WriteBatch): void {
    if (later.size === 0) return;
    if (this.barsDone) {
      this.bars = later.bars;
      this.barsDone = later.bars.size === 0;
    } else {
      for (const bar of later.bars.values()) this.bars.set(bar);
    }
    if (this.quotesDone) {
      this.quotes = later.quotes;
      this.quotesDone = later.quotes.length === 0;
    } else {
      this.quotes.push(...later.quotes);
    }
    this.ticks = this.ticks.slice(this.ticksDone).concat(later.ticks);
    this.ticksDone = 0;
    this.seq = later.seq;
  }
}
