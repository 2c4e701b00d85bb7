/**
 * Generated realistic trade streams through the bar builder, each figure checked against the
 * independent from-scratch aggregation of what the generator produced.
 */
import { describe, expect, it } from 'vitest';
import { sessionWindow } from '../../src/domain/calendar.ts';
import { parseInterval } from '../../src/domain/intervals.ts';
import { resolveConditions } from '../../src/domain/trade-conditions.ts';
import type { Bar, StoredBar } from '../../src/domain/types.ts';
import { type ChangeSequence, DayBars } from '../../src/session/day-bars.ts';
import type { SessionInterval } from '../../src/session/session-interval.ts';
import { TradeBars, type TradeOutcome } from '../../src/session/trade-bars.ts';
import { TradeReference } from '../helpers/trade-reference.ts';
import { type GeneratedTrade, generateTradeStream } from '../helpers/trade-stream.ts';
import { DATE } from './helpers.ts';

const REGULAR = sessionWindow(DATE, false)!;
const EXTENDED = sessionWindow(DATE, true)!;

function values(bar: Bar | StoredBar) {
  const { ts, open, high, low, close, volume, vwap, tradeCount } = bar;
  return { ts, open, high, low, close, volume, vwap, tradeCount };
}

function all(interval: SessionInterval) {
  return interval.lastBars(interval.size).map(values);
}

function facts(m: GeneratedTrade) {
  return {
    ts: m.ts,
    price: m.price,
    size: m.size,
    id: m.id ?? null,
    resolved: resolveConditions(m.conditions, m.tape),
  };
}

describe('generated trade streams', () => {
  it('is reproducible from its seed', () => {
    const options = { seed: 7, symbols: ['AAA', 'BBB'], date: DATE, tradesPerSymbol: 3_000 };
    expect(generateTradeStream(options).messages).toEqual(generateTradeStream(options).messages);
    expect(generateTradeStream({ ...options, seed: 8 }).messages).not.toEqual(
      generateTradeStream(options).messages,
    );
  });

  it('looks like a real stream: quiet minutes, bursts, odd lots, ISOs, late and corrected prints', () => {
    const stream = generateTradeStream({ seed: 1, symbols: ['AAA'], date: DATE });
    const trades = stream.messages.filter((m) => m.cancels === undefined && m.replaces === undefined);
    expect(trades.length).toBe(19_500 + 2);
    const perMinute = new Map<number, number>();
    for (const t of trades)
      perMinute.set(Math.floor(t.ts / 60_000), (perMinute.get(Math.floor(t.ts / 60_000)) ?? 0) + 1);
    expect(390 - perMinute.size).toBeGreaterThan(10); // quiet minutes
    expect(Math.max(...perMinute.values())).toBeGreaterThan(1_000); // a burst
    const share = (code: string) => trades.filter((t) => t.conditions.includes(code)).length / trades.length;
    expect(share('I')).toBeGreaterThan(0.3);
    expect(share('F')).toBeGreaterThan(0.1);
    expect(stream.late).toBeGreaterThan(40);
    let outOfOrder = 0;
    for (let k = 1; k < trades.length; k++) if (trades[k]!.ts < trades[k - 1]!.ts) outOfOrder++;
    expect(outOfOrder).toBeGreaterThan(40);
  });

  for (const extendedHours of [false, true]) {
    it(`every bar equals the reference aggregation (${extendedHours ? 'extended' : 'regular'} session)`, () => {
      const window = extendedHours ? EXTENDED : REGULAR;
      const stream = generateTradeStream({
        seed: extendedHours ? 11 : 12,
        symbols: ['AAA', 'BBB', 'CCC'],
        date: DATE,
        extendedHours,
        tradesPerSymbol: 4_000,
        late: 0.03,
        corrected: 0.004,
        cancelled: 0.004,
      });
      const derived = ['1m', '5m', '1h', '1d'].map(parseInterval);
      const seqs: ChangeSequence = {
        next: (() => {
          let n = 0;
          return () => ++n;
        })(),
      };
      const builders = new Map<string, TradeBars>();
      const references = new Map<string, TradeReference>();
      for (const symbol of ['AAA', 'BBB', 'CCC']) {
        const day = new DayBars(window, parseInterval('1s'), derived, { time: window.start, ended: false });
        builders.set(symbol, new TradeBars(day, REGULAR));
        references.set(symbol, new TradeReference(window, REGULAR, 1_000));
      }
      const outcomes = new Map<string, number>();
      stream.messages.forEach((m, k) => {
        const bars = builders.get(m.symbol)!;
        const reference = references.get(m.symbol)!;
        let outcome: TradeOutcome;
        if (m.cancels !== undefined) {
          outcome = bars.cancel(m.cancels, seqs, null);
          expect(outcome).toBe(reference.play({ kind: 'cancel', id: m.cancels }));
        } else if (m.replaces !== undefined) {
          outcome = bars.replace(m.replaces, facts(m), seqs, null);
          expect(outcome).toBe(reference.play({ kind: 'replace', id: m.replaces, trade: m }));
        } else {
          outcome = bars.add(facts(m), seqs, null);
          expect(outcome).toBe(reference.play({ kind: 'trade', trade: m }));
        }
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        if (k % 500 === 499) for (const b of builders.values()) b.flush(seqs, null);
      });
      for (const [symbol, bars] of builders) {
        bars.flush(seqs, null);
        const reference = references.get(symbol)!;
        expect(all(bars.day.base)).toEqual(reference.baseBars().map(values));
        for (const interval of bars.day.derived) {
          expect(all(interval)).toEqual(reference.derivedBars(interval.spec).map(values));
        }
      }
      expect(outcomes.get('applied')).toBeGreaterThan(12_000);
    });
  }
});
