/**
 * A seeded, reproducible "recorded day" of 1m bars for the fakes: the same bars as a REST history
 * and as stream messages, so a test can stream part of a day, break the connection and check that
 * backfill restores exactly what an uninterrupted run would hold.
 */
import { tradingDay } from '../../src/domain/calendar.ts';
import type { AlpacaWireMessage, RecordedBar } from './alpaca.ts';
import type { PolygonWireEvent, RecordedAggregate } from './polygon.ts';

/** mulberry32: a tiny seeded PRNG. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** One recorded minute. */
export interface DayBar {
  readonly ts: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
  readonly vwap: number;
  readonly tradeCount: number;
}

/** The regular session's 1m bars of `symbol` on `date` (every minute present). */
export function recordedDay(symbol: string, date: string, seed = 1): DayBar[] {
  const day = tradingDay(date);
  if (!day.isTradingDay) throw new Error(`${date} is not a trading day`);
  const random = seeded(seed + [...symbol].reduce((s, c) => s * 31 + c.charCodeAt(0), 7));
  const out: DayBar[] = [];
  let price = 50 + random() * 400;
  for (let ts = day.regularOpen!; ts < day.regularClose!; ts += 60_000) {
    const open = round(price);
    const close = round(price * (1 + (random() - 0.5) / 200));
    const high = round(Math.max(open, close) * (1 + random() / 500));
    const low = round(Math.min(open, close) * (1 - random() / 500));
    const volume = 1_000 + Math.floor(random() * 50_000);
    out.push({
      ts,
      open,
      high,
      low,
      close,
      volume,
      vwap: round((open + close + high + low) / 4),
      tradeCount: 10 + Math.floor(random() * 400),
    });
    price = close;
  }
  return out;
}

const round = (n: number) => Math.round(n * 100) / 100;
const iso = (ts: number) => new Date(ts).toISOString().replace('.000Z', 'Z');

/** As Alpaca's REST history. */
export function asAlpacaHistory(bars: readonly DayBar[]): RecordedBar[] {
  return bars.map((b) => ({
    t: iso(b.ts),
    o: b.open,
    h: b.high,
    l: b.low,
    c: b.close,
    v: b.volume,
    n: b.tradeCount,
    vw: b.vwap,
  }));
}

/** As Alpaca `b` stream messages. */
export function asAlpacaBars(
  symbol: string,
  bars: readonly DayBar[],
  type: 'b' | 'u' = 'b',
): AlpacaWireMessage[] {
  return bars.map((b) => ({
    T: type,
    S: symbol,
    o: b.open,
    h: b.high,
    l: b.low,
    c: b.close,
    v: b.volume,
    n: b.tradeCount,
    vw: b.vwap,
    t: iso(b.ts),
  }));
}

/** As Polygon's REST aggregates. */
export function asPolygonHistory(bars: readonly DayBar[]): RecordedAggregate[] {
  return bars.map((b) => ({
    t: b.ts,
    o: b.open,
    h: b.high,
    l: b.low,
    c: b.close,
    v: b.volume,
    vw: b.vwap,
    n: b.tradeCount,
  }));
}

/** As Polygon `AM` events. */
export function asPolygonMinutes(symbol: string, bars: readonly DayBar[]): PolygonWireEvent[] {
  return bars.map((b) => ({
    ev: 'AM',
    sym: symbol,
    v: b.volume,
    av: 0,
    op: bars[0]!.open,
    vw: b.vwap,
    o: b.open,
    c: b.close,
    h: b.high,
    l: b.low,
    a: b.vwap,
    z: 100,
    s: b.ts,
    e: b.ts + 60_000,
  }));
}
