/**
 * The trade → bar builder on its own (a symbol's DayBars and its trade book): the rules of
 * src/session/README.md "Bars from trades", then a property test against the from-scratch reference.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sessionWindow, type TimeWindow } from '../../src/domain/calendar.ts';
import { parseInterval } from '../../src/domain/intervals.ts';
import { resolveConditions } from '../../src/domain/trade-conditions.ts';
import type { Bar, Instant, StoredBar } from '../../src/domain/types.ts';
import { type ChangeSequence, DayBars, type IntervalChangeSink } from '../../src/session/day-bars.ts';
import type { SessionInterval } from '../../src/session/session-interval.ts';
import { TradeBars, type TradeOutcome } from '../../src/session/trade-bars.ts';
import {
  type RefTrade,
  referenceBaseBars,
  type TradeMessage,
  TradeReference,
} from '../helpers/trade-reference.ts';
import { at, DATE } from './helpers.ts';

const EXTENDED = sessionWindow(DATE, true)!;
const REGULAR = sessionWindow(DATE, false)!;
const OPEN = at('09:30');

class Seq implements ChangeSequence {
  n = 0;
  next(): number {
    return ++this.n;
  }
}

interface Harness {
  readonly bars: TradeBars;
  readonly day: DayBars;
  readonly seqs: Seq;
  readonly events: { interval: string; kind: string; revision: number }[];
  /** Sends one message and flushes (one message per batch). */
  send(message: TradeMessage): TradeOutcome;
}

function harness(
  options: { base?: string; derived?: string[]; window?: TimeWindow; maxTrades?: number } = {},
) {
  const base = parseInterval(options.base ?? '1s');
  const derived = (options.derived ?? ['5s', '1m', '1d']).map(parseInterval);
  const clock = { time: EXTENDED.start, ended: false };
  const day = new DayBars(options.window ?? EXTENDED, base, derived, clock);
  const bars = new TradeBars(day, REGULAR, options.maxTrades);
  const seqs = new Seq();
  const events: Harness['events'] = [];
  const sink: IntervalChangeSink = (interval: SessionInterval, slot: number, kind) =>
    events.push({ interval: interval.name, kind, revision: interval.barOfSlot(slot).revision });
  const send = (message: TradeMessage): TradeOutcome => {
    let outcome: TradeOutcome;
    if (message.kind === 'trade') outcome = bars.add(facts(message.trade), seqs, sink);
    else if (message.kind === 'cancel') outcome = bars.cancel(message.id, seqs, sink);
    else outcome = bars.replace(message.id, facts(message.trade), seqs, sink);
    bars.flush(seqs, sink);
    return outcome;
  };
  return { bars, day, seqs, events, send } satisfies Harness;
}

function facts(trade: RefTrade) {
  return {
    ts: trade.ts,
    price: trade.price,
    size: trade.size,
    id: trade.id ?? null,
    resolved: resolveConditions(trade.conditions, trade.tape),
  };
}

function trade(ts: Instant, price: number, size: number, more: Partial<RefTrade> = {}): TradeMessage {
  return { kind: 'trade', trade: { ts, price, size, ...more } };
}

function values(bar: Bar | StoredBar) {
  const { ts, open, high, low, close, volume, vwap, tradeCount } = bar;
  return { ts, open, high, low, close, volume, vwap, tradeCount };
}

function all(interval: SessionInterval) {
  return interval.lastBars(interval.size).map(values);
}

describe('bars from trades', () => {
  it('builds a window from its trades: open/close first/last, high/low, volume, vwap, count', () => {
    const h = harness();
    h.send(trade(OPEN + 100, 10, 100));
    h.send(trade(OPEN + 200, 12, 50));
    h.send(trade(OPEN + 300, 9, 50));
    h.send(trade(OPEN + 400, 11, 100));
    expect(all(h.day.base)).toEqual([
      {
        ts: OPEN,
        open: 10,
        high: 12,
        low: 9,
        close: 11,
        volume: 300,
        vwap: (10 * 100 + 12 * 50 + 9 * 50 + 11 * 100) / 300,
        tradeCount: 4,
      },
    ]);
    expect(h.events.filter((e) => e.interval === '1s').map((e) => [e.kind, e.revision])).toEqual([
      ['ADDED', 0],
      ['UPDATED', 1],
      ['UPDATED', 2],
      ['UPDATED', 3],
    ]);
  });

  it('trades of one batch and window are applied once', () => {
    const h = harness();
    for (let k = 0; k < 50; k++)
      h.bars.add(facts({ ts: OPEN + k, price: 10 + k / 100, size: 1 }), h.seqs, null);
    h.bars.flush(h.seqs, null);
    const bar = h.day.base.latestBar()!;
    expect(bar.revision).toBe(0);
    expect(bar.tradeCount).toBe(50);
  });

  it('odd lots, average-price and other volume-only trades: volume but no price', () => {
    const h = harness();
    h.send(trade(OPEN, 10, 100));
    h.send(trade(OPEN + 10, 50, 5, { conditions: ['I'], tape: 'C' }));
    h.send(trade(OPEN + 20, 1, 500, { conditions: ['B'], tape: 'A' }));
    const bar = h.day.base.latestBar()!;
    expect([bar.open, bar.high, bar.low, bar.close, bar.volume, bar.tradeCount]).toEqual([
      10, 10, 10, 10, 605, 3,
    ]);
  });

  it('a volume-only window carries the previous close; with no earlier price it has no bar until one comes', () => {
    const h = harness();
    h.send(trade(OPEN + 2_000, 20, 3, { conditions: ['I'] }));
    expect(h.day.base.size).toBe(0);
    h.send(trade(OPEN + 500, 19.5, 100)); // a late regular trade in an earlier window
    expect(all(h.day.base).map((b) => [b.ts, b.open, b.close, b.volume])).toEqual([
      [OPEN, 19.5, 19.5, 100],
      [OPEN + 2_000, 19.5, 19.5, 3],
    ]);
    h.send(trade(OPEN + 700, 19.75, 100)); // changes the carried close of the later window
    expect(h.day.base.latestBar()).toMatchObject({ open: 19.75, close: 19.75, high: 19.75, revision: 1 });
  });

  it('a window of trades that update nothing (official open/close markers) has no bar', () => {
    const h = harness();
    h.send(trade(OPEN, 10, 100));
    h.send(trade(OPEN + 1_000, 11, 100, { conditions: ['M'] }));
    expect(h.day.base.size).toBe(1);
  });

  it('Form T sets pre- and post-market prices, not regular-session ones', () => {
    const h = harness();
    h.send(trade(at('09:00'), 10, 100, { conditions: ['T'], tape: 'C' }));
    h.send(trade(OPEN, 11, 100));
    h.send(trade(OPEN + 10, 30, 100, { conditions: ['@', 'T'], tape: 'C' }));
    h.send(trade(at('16:30'), 12, 100, { conditions: ['12'], tape: '3' }));
    expect(all(h.day.base).map((b) => [b.open, b.high, b.low, b.close, b.volume])).toEqual([
      [10, 10, 10, 10, 100],
      [11, 11, 11, 11, 200],
      [12, 12, 12, 12, 100],
    ]);
  });

  it('a late trade revises its bar, the derived bars and the carried windows', () => {
    const h = harness();
    h.send(trade(OPEN + 100, 10, 100, { id: '1' }));
    h.send(trade(OPEN + 1_100, 11, 100, { id: '2' }));
    h.send(trade(OPEN + 50, 9, 100, { id: '3' }));
    expect(h.day.base.barOfSlot((OPEN - EXTENDED.start) / 1_000)).toMatchObject({
      open: 9,
      close: 10,
      low: 9,
      revision: 1,
    });
    const minute = h.day.derived.find((d) => d.name === '1m')!.latestBar()!;
    expect(minute).toMatchObject({ open: 9, high: 11, low: 9, close: 11, volume: 300 });
  });

  it('re-sent trades change nothing', () => {
    const h = harness();
    expect(h.send(trade(OPEN, 10, 100, { id: '7' }))).toBe('applied');
    const seq = h.seqs.n;
    expect(h.send(trade(OPEN, 10, 100, { id: '7' }))).toBe('duplicate');
    expect(h.send(trade(OPEN + 5, 99, 1, { id: '7' }))).toBe('duplicate');
    expect(h.seqs.n).toBe(seq);
    expect(h.day.base.latestBar()!.volume).toBe(100);
  });

  it('cancels and corrections recompute the window from its remaining trades', () => {
    const h = harness();
    h.send(trade(OPEN, 10, 100, { id: 'a' }));
    h.send(trade(OPEN + 10, 15, 100, { id: 'b' }));
    h.send(trade(OPEN + 20, 11, 100, { id: 'c' }));
    expect(h.send({ kind: 'cancel', id: 'b' })).toBe('applied');
    expect(h.day.base.latestBar()).toMatchObject({ high: 11, volume: 200, tradeCount: 2 });
    expect(h.send({ kind: 'cancel', id: 'b' })).toBe('unchanged');
    expect(
      h.send({ kind: 'replace', id: 'c', trade: { ts: OPEN + 20, price: 10.5, size: 300, id: 'c2' } }),
    ).toBe('applied');
    expect(h.day.base.latestBar()).toMatchObject({ close: 10.5, volume: 400, high: 10.5 });
    expect(h.send({ kind: 'replace', id: 'c', trade: { ts: OPEN, price: 1, size: 1, id: 'c3' } })).toBe(
      'TRADE_CANCELLED',
    );
    expect(h.send({ kind: 'cancel', id: 'zz' })).toBe('UNKNOWN_TRADE');
  });

  it('bars never vanish: cancelling the only trade of a window is refused, correcting it is not', () => {
    const h = harness();
    h.send(trade(OPEN, 10, 100, { id: 'only' }));
    expect(h.send({ kind: 'cancel', id: 'only' })).toBe('BAR_WOULD_VANISH');
    expect(h.day.base.latestBar()).toMatchObject({ close: 10, revision: 0 });
    expect(
      h.send({ kind: 'replace', id: 'only', trade: { ts: OPEN + 1, price: 10.1, size: 100, id: 'fix' } }),
    ).toBe('applied');
    expect(h.day.base.latestBar()).toMatchObject({ close: 10.1, revision: 1 });
  });

  it('a bounded book: what needs a dropped window is refused with TRADE_NOT_KEPT', () => {
    const h = harness({ maxTrades: 4 });
    for (let k = 0; k < 6; k++) h.send(trade(OPEN + k * 1_000, 10 + k, 100, { id: String(k + 1) }));
    expect(h.bars.book.dropped).toBe(2);
    expect(h.send({ kind: 'cancel', id: '1' })).toBe('TRADE_NOT_KEPT');
    expect(h.send(trade(OPEN + 500, 9, 100))).toBe('TRADE_NOT_KEPT');
    expect(h.send(trade(OPEN + 4_500, 14.5, 100, { id: '7' }))).toBe('applied'); // a late one, kept window
    expect(h.send({ kind: 'cancel', id: '5' })).toBe('applied');
    expect(h.day.base.size).toBe(6);
    expect(h.bars.book.dropped).toBe(3);
  });

  it('a correction whose room in a full book drops the very trade it replaces is refused, its bar unchanged', () => {
    const h = harness({ maxTrades: 4 });
    for (let k = 0; k < 4; k++) h.send(trade(OPEN, 10 + k, 100, { id: String(k + 1) }));
    const before = h.day.base.barOfSlot(0);
    const correction = { ts: OPEN + 1_000, price: 20, size: 100, id: '5' };
    expect(h.send({ kind: 'replace', id: '1', trade: correction })).toBe('TRADE_NOT_KEPT');
    expect(h.day.base.barOfSlot(0)).toEqual(before);
    expect(h.day.base.size).toBe(1);
  });
});

/** Small condition sets in both styles, regular and extended-hours ones among them. */
const CONDITIONS: readonly [readonly string[] | null, string | null][] = [
  [null, null],
  [['@'], 'C'],
  [['I'], 'A'],
  [['F', 'I'], 'C'],
  [['T'], 'C'],
  [['Z'], 'A'],
  [['M'], 'C'],
  [['9'], 'A'],
  [['37'], '3'],
  [['12'], '1'],
  [['14'], '3'],
  [['U'], 'A'],
  [['B'], null],
];

/**
 * Trades around the regular open (09:29:57–09:30:06) so both hour rules and 5s windows are exercised;
 * often on a 250 ms grid, so that trades share a ts.
 */
const tradeArb: fc.Arbitrary<RefTrade> = fc
  .record({
    offset: fc.oneof(
      fc.integer({ min: -3_000, max: 6_999 }),
      fc.integer({ min: -12, max: 27 }).map((q) => q * 250),
    ),
    cents: fc.integer({ min: 900, max: 1_100 }),
    size: fc.oneof(fc.integer({ min: 1, max: 500 }), fc.double({ min: 0.001, max: 10, noNaN: true })),
    condition: fc.integer({ min: 0, max: CONDITIONS.length - 1 }),
  })
  .map(({ offset, cents, size, condition }) => ({
    ts: OPEN + offset,
    price: cents / 100,
    size,
    conditions: CONDITIONS[condition]![0],
    tape: CONDITIONS[condition]![1],
  }));

type Step =
  | { kind: 'trade'; trade: RefTrade }
  | { kind: 'cancel'; pick: number }
  | { kind: 'replace'; pick: number; trade: RefTrade }
  | { kind: 'resend'; pick: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 10, arbitrary: fc.record({ kind: fc.constant('trade' as const), trade: tradeArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('replace' as const), pick: fc.nat(), trade: tradeArb }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('resend' as const), pick: fc.nat() }) },
);

/** How ids look: rising numbers (Alpaca), scattered numbers, or text (any other source). */
type IdStyle = 'rising' | 'scattered' | 'text';

function idOf(n: number, style: IdStyle): string {
  if (style === 'rising') return String(n);
  if (style === 'scattered') return String((n * 7_919) % 100_003);
  return `T-${(n * 31) % 997}-${n}`;
}

/** Turns steps into messages with ids (every trade gets one; picks name earlier ids). */
function messagesOf(steps: readonly Step[], style: IdStyle = 'rising'): TradeMessage[] {
  const sent: RefTrade[] = [];
  const out: TradeMessage[] = [];
  let next = 1;
  const named = (t: RefTrade): RefTrade => ({ ...t, id: idOf(next++, style) });
  for (const step of steps) {
    if (step.kind === 'trade') {
      const t = named(step.trade);
      sent.push(t);
      out.push({ kind: 'trade', trade: t });
    } else if (sent.length > 0) {
      const target = sent[step.pick % sent.length]!;
      if (step.kind === 'resend') out.push({ kind: 'trade', trade: target });
      else if (step.kind === 'cancel') out.push({ kind: 'cancel', id: target.id! });
      else {
        const t = named(step.trade);
        sent.push(t);
        out.push({ kind: 'replace', id: target.id!, trade: t });
      }
    }
  }
  return out;
}

describe('bars from trades: property', () => {
  it('any stream gives bars bit-identical to the reference, base and derived', () => {
    fc.assert(
      fc.property(
        fc.array(stepArb, { maxLength: 80 }),
        fc.integer({ min: 1, max: 8 }),
        fc.constantFrom<IdStyle>('rising', 'scattered', 'text'),
        (steps, batch, style) => {
          const h = harness();
          const reference = new TradeReference(EXTENDED, REGULAR, 1_000);
          const messages = messagesOf(steps, style);
          messages.forEach((message, k) => {
            const sink = null;
            let outcome: TradeOutcome;
            if (message.kind === 'trade') outcome = h.bars.add(facts(message.trade), h.seqs, sink);
            else if (message.kind === 'cancel') outcome = h.bars.cancel(message.id, h.seqs, sink);
            else outcome = h.bars.replace(message.id, facts(message.trade), h.seqs, sink);
            if (k % batch === batch - 1) h.bars.flush(h.seqs, sink);
            expect(outcome).toBe(reference.play(message));
          });
          h.bars.flush(h.seqs, null);
          expect(all(h.day.base)).toEqual(reference.baseBars().map(values));
          for (const interval of h.day.derived) {
            expect(all(interval)).toEqual(reference.derivedBars(interval.spec).map(values));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a correction of the trade a full book drops to make room for it is refused, not misapplied', () => {
    const h = harness({ maxTrades: 4 });
    const reference = new TradeReference(EXTENDED, REGULAR, 1_000);
    const steps = [1, 0.001, 0.001, 1].map((size, i) => ({
      kind: 'trade' as const,
      trade: { id: String(i + 1), ts: OPEN, price: 9, size, conditions: null, tape: null },
    }));
    for (const message of steps) expect(h.send(message)).toBe(reference.play(message));
    const correction = {
      kind: 'replace' as const,
      id: '1',
      trade: { id: '5', ts: OPEN + 1_000, price: 9, size: 1, conditions: null, tape: null },
    };
    expect(h.send(correction)).toBe('TRADE_NOT_KEPT');
    expect(all(h.day.base)).toEqual(reference.baseBars().map(values));
  });

  it('a full book never links a new trade through the entry of a dropped one', () => {
    const h = harness({ maxTrades: 4 });
    const reference = new TradeReference(EXTENDED, REGULAR, 1_000);
    const trade = (id: string, seconds: number, size: number) => ({
      id,
      ts: OPEN + seconds * 1_000,
      price: 9,
      size,
      conditions: null,
      tape: null,
    });
    const messages: TradeMessage[] = [
      { kind: 'trade', trade: trade('1', 3, 0.001) },
      { kind: 'trade', trade: trade('2', 0, 0.001) },
      { kind: 'trade', trade: trade('3', 0, 0.001) },
      { kind: 'replace', id: '2', trade: trade('4', 0, 0.001) },
      { kind: 'trade', trade: trade('5', 2, 0.001) },
      { kind: 'trade', trade: trade('6', 3, 1) },
      { kind: 'trade', trade: trade('7', 2, 0.001) },
    ];
    for (const message of messages) {
      const outcome = h.send(message);
      if (outcome !== 'TRADE_NOT_KEPT') expect(outcome).toBe(reference.play(message));
    }
    h.bars.flush(h.seqs, null);
    expect(all(h.day.base)).toEqual(reference.baseBars().map(values));
  });

  it('a small bounded book refuses what it no longer holds, and every bar stays right', () => {
    fc.assert(
      fc.property(
        fc.array(stepArb, { maxLength: 80 }),
        fc.constantFrom(4, 8, 16),
        fc.constantFrom<IdStyle>('rising', 'scattered'),
        (steps, maxTrades, style) => {
          const h = harness({ maxTrades });
          const reference = new TradeReference(EXTENDED, REGULAR, 1_000);
          for (const message of messagesOf(steps, style)) {
            const outcome = h.send(message);
            // What needs a dropped trade is refused and changes nothing: the reference skips it too.
            if (outcome !== 'TRADE_NOT_KEPT') expect(outcome).toBe(reference.play(message));
          }
          expect(all(h.day.base)).toEqual(reference.baseBars().map(values));
          for (const interval of h.day.derived) {
            expect(all(interval)).toEqual(reference.derivedBars(interval.spec).map(values));
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('the reference itself: ties on ts keep arrival order', () => {
    const a = { trade: { ts: OPEN, price: 10, size: 1 }, arrival: 1 };
    const b = { trade: { ts: OPEN, price: 11, size: 1 }, arrival: 0 };
    const [bar] = referenceBaseBars([a, b], EXTENDED, REGULAR, 1_000);
    expect([bar!.open, bar!.close]).toEqual([11, 10]);
  });
});
