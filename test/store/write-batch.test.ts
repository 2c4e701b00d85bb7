/** The writer's batch and the bar set it shares with the repository's de-duplication (no database). */
import { describe, expect, it } from 'vitest';
import type { BarRecord } from '../../src/store/bar-repository.ts';
import { BarSet } from '../../src/store/bar-set.ts';
import type { TickRecord } from '../../src/store/market-data-repository.ts';
import { WriteBatch } from '../../src/store/write-batch.ts';

function bar(symbol: string, interval: string, ts: number, close: number): BarRecord {
  const values = { open: close, high: close, low: close, close, volume: 1, vwap: null, tradeCount: null };
  return { symbol, interval, sessionDate: '2024-03-04', ts, revision: 0, ...values };
}

function tick(seq: number): TickRecord {
  return { symbol: 'SPY', sessionDate: '2024-03-04', seq, ts: seq, price: 1, size: 1 };
}

describe('BarSet', () => {
  it('keeps the latest bar of each (symbol, interval, ts)', () => {
    const set = new BarSet<BarRecord>();
    set.set(bar('SPY', '1m', 0, 1));
    set.set(bar('SPY', '1s', 0, 2));
    set.set(bar('QQQ', '1m', 0, 3));
    set.set(bar('SPY', '1m', 60_000, 4));
    set.set(bar('SPY', '1m', 0, 5));
    expect(set.size).toBe(4);
    expect(set.values().map((b) => [b.symbol, b.interval, b.ts, b.close])).toEqual([
      ['SPY', '1m', 0, 5],
      ['SPY', '1m', 60_000, 4],
      ['SPY', '1s', 0, 2],
      ['QQQ', '1m', 0, 3],
    ]);
  });
});

describe('WriteBatch', () => {
  it('counts what is left to write', () => {
    const batch = new WriteBatch(3);
    batch.bars.set(bar('SPY', '1m', 0, 1));
    batch.ticks.push(tick(0), tick(1), tick(2));
    batch.ticksDone = 2;
    expect([batch.barsLeft, batch.quotesLeft, batch.ticksLeft, batch.size]).toEqual([1, 0, 1, 2]);
    batch.barsDone = true;
    expect(batch.size).toBe(1);
  });

  it('takes in a later batch: newer bars win, unwritten items stay, the sequence moves on', () => {
    const retried = new WriteBatch(2);
    retried.bars.set(bar('SPY', '1m', 0, 1));
    retried.ticks.push(tick(0), tick(1));
    retried.ticksDone = 1;
    const later = new WriteBatch(5);
    later.bars.set(bar('SPY', '1m', 0, 2));
    later.bars.set(bar('SPY', '1m', 60_000, 3));
    later.ticks.push(tick(2));
    retried.absorb(later);
    expect(retried.bars.values().map((b) => b.close)).toEqual([2, 3]);
    expect(retried.ticks.map((t) => t.seq)).toEqual([1, 2]);
    expect([retried.ticksDone, retried.seq]).toEqual([0, 5]);
  });

  it('replaces the parts already written, and ignores an empty later batch', () => {
    const retried = new WriteBatch(2);
    retried.bars.set(bar('SPY', '1m', 0, 1));
    retried.barsDone = true;
    retried.quotesDone = true;
    retried.absorb(new WriteBatch(9));
    expect(retried.seq).toBe(2);
    const later = new WriteBatch(4);
    later.bars.set(bar('QQQ', '1m', 0, 7));
    retried.absorb(later);
    expect([retried.barsDone, retried.bars.values().map((b) => b.symbol), retried.quotesDone]).toEqual([
      false,
      ['QQQ'],
      true,
    ]);
  });
});
