import { describe, expect, it } from 'vitest';
import { BatchingSink } from '../../../src/feed/live/batching-sink.ts';
import type { FeedBar, FeedTrade } from '../../../src/feed/live/types.ts';
import { CollectingSink } from './collecting-sink.ts';

const trade = (id: string): FeedTrade => ({
  symbol: 'AAPL',
  ts: 1,
  price: 1,
  size: 1,
  id,
  exchange: null,
  conditions: [],
  tape: null,
});
const bar = (ts: number): FeedBar => ({
  symbol: 'SPY',
  ts,
  open: 1,
  high: 1,
  low: 1,
  close: 1,
  volume: 1,
  vwap: null,
  tradeCount: null,
});
const turn = () => new Promise((r) => setImmediate(r));

describe('BatchingSink', () => {
  it('hands the frames of one event-loop turn over in one batch per kind, in arrival order', async () => {
    const inner = new CollectingSink();
    const calls: string[] = [];
    const spy = new Proxy(inner, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver);
        return typeof value === 'function'
          ? (...args: unknown[]) => {
              calls.push(`${String(key)}:${(args[0] as unknown[]).length}`);
              return value.apply(target, args);
            }
          : value;
      },
    });
    const sink = new BatchingSink(spy);
    const frameA = [trade('1'), trade('2')];
    sink.trades(frameA);
    frameA.length = 0; // the feed reuses its arrays
    sink.bars([bar(2)], 'UPDATED');
    sink.trades([trade('3')]);
    sink.bars([bar(1)], 'STREAMED');
    sink.cancels([
      { symbol: 'AAPL', ts: 1, id: '1', price: 1, size: 1, exchange: null, tape: null, action: 'C' },
    ]);
    expect(calls).toEqual([]);
    await turn();
    expect(calls).toEqual(['bars:1', 'bars:1', 'trades:3', 'cancels:1']);
    expect(inner.tradeList.map((t) => t.id)).toEqual(['1', '2', '3']);
    expect(inner.barsByKind.STREAMED.map((b) => b.ts)).toEqual([1]);
    expect(inner.barsByKind.UPDATED.map((b) => b.ts)).toEqual([2]);
  });

  it('delivers what it holds before a status change, a problem or a backfill, and at its bound', () => {
    const inner = new CollectingSink();
    const sink = new BatchingSink(inner, { maxItems: 3 });
    sink.trades([trade('1')]);
    sink.status({ feed: 'x', status: 'DOWN', at: 1, reason: 'r' });
    expect(inner.tradeList).toHaveLength(1);
    sink.bars([bar(1)], 'STREAMED');
    sink.bars([bar(2)], 'BACKFILL');
    expect(inner.barsByKind.STREAMED).toHaveLength(1);
    expect(inner.barsByKind.BACKFILL).toHaveLength(1);
    sink.trades([trade('2'), trade('3'), trade('4')]);
    expect(inner.tradeList).toHaveLength(4);
    sink.trades([trade('5')]);
    sink.problem({ feed: 'x', at: 1, message: 'm' });
    expect(inner.tradeList).toHaveLength(5);
  });
});
