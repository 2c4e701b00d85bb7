/**
 * TRADES symbols in the session tree: trades in, bars out, through SessionData's ingest path
 * (validation, events, clock, feeds and gap causes, restore); then the property test: any sequence of
 * trades gives bars, quality and gaps equal to the from-scratch reference for every interval.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sessionWindow, tradingDay } from '../../src/domain/calendar.ts';
import { parseInterval } from '../../src/domain/intervals.ts';
import { computeGaps, computeQuality } from '../../src/domain/quality.ts';
import type { Bar, StoredBar, Tick, TickInput } from '../../src/domain/types.ts';
import { exportSession } from '../../src/session/export.ts';
import type { SessionData } from '../../src/session/session-data.ts';
import { type RefTrade, type TradeMessage, TradeReference } from '../helpers/trade-reference.ts';
import { at, DATE, load, MINUTE, record, SECOND, sessionWith } from './helpers.ts';

const DAY = tradingDay(DATE);
const OPEN = DAY.regularOpen!;
const REGULAR = sessionWindow(DATE, false)!;

function tradesSession(settings: Record<string, unknown> = {}): SessionData {
  return sessionWith([
    {
      symbol: 'AAPL',
      baseInterval: '1s',
      derivedIntervals: ['1m', '5m', '1d'],
      source: 'TRADES',
      ...settings,
    },
  ]);
}

function tick(ts: number, price: number, size: number, more: Partial<TickInput> = {}): TickInput {
  return { symbol: 'AAPL', ts, price, size, ...more };
}

function values(bar: Bar | StoredBar) {
  const { ts, open, high, low, close, volume, vwap, tradeCount } = bar;
  return { ts, open, high, low, close, volume, vwap, tradeCount };
}

describe('TRADES symbols', () => {
  it('build base and derived bars from trades; ingestBars is refused for them', () => {
    const session = tradesSession();
    const result = session.ingestTicks([
      tick(OPEN + 100, 10, 100, { id: '1', conditions: ['@'], tape: 'C', exchange: 'Q' }),
      tick(OPEN + 900, 11, 50, { id: '2' }),
      tick(OPEN + 1_500, 10.5, 7, { id: '3', conditions: ['@', 'I'], tape: 'C' }),
    ]);
    expect(result).toEqual({ accepted: 3, rejected: [] });
    const data = session.symbol('AAPL')!;
    expect(data.interval('1s')!.lastBars(5).map(values)).toEqual([
      {
        ts: OPEN,
        open: 10,
        high: 11,
        low: 10,
        close: 11,
        volume: 150,
        vwap: (1_000 + 550) / 150,
        tradeCount: 2,
      },
      { ts: OPEN + SECOND, open: 11, high: 11, low: 11, close: 11, volume: 7, vwap: 10.5, tradeCount: 1 },
    ]);
    expect(data.interval('1m')!.latestBar()).toMatchObject({ open: 10, close: 11, volume: 157, baseBars: 2 });
    expect(data.ticks.total).toBe(3);
    expect(data.ticks.last(3)[0]).toMatchObject({ id: '1', exchange: 'Q', conditions: ['@'], tape: 'C' });
    const bars = session.ingestBars([
      {
        symbol: 'AAPL',
        ts: OPEN,
        open: 1,
        high: 1,
        low: 1,
        close: 1,
        volume: 1,
        vwap: null,
        tradeCount: null,
      },
    ]);
    expect(bars.rejected).toEqual([
      expect.objectContaining({
        index: 0,
        code: 'TRADES_SOURCE',
        message: expect.stringMatching(/ingestTicks/),
      }),
    ]);
  });

  it('the MANUAL clock moves to the latest accepted trade once per batch', () => {
    const session = tradesSession();
    session.ingestTicks([tick(OPEN + 1_500, 10, 100), tick(OPEN + 200, 10, 100)]);
    expect(session.time).toBe(OPEN + 1_500);
    const base = session.symbol('AAPL')!.interval('1s')!;
    expect(base.barOfSlot(base.series.slotOf(OPEN)).complete).toBe(true);
    expect(base.latestBar()!.complete).toBe(false);
  });

  it('validates every item with a stable code and keeps the good ones', () => {
    const session = tradesSession();
    const result = session.ingestTicks([
      tick(OPEN, 0, 100),
      tick(OPEN, 10, 0),
      tick(OPEN, 10, Number.NaN),
      tick(at('08:00'), 10, 100),
      tick(OPEN, 10, 100, { replaces: 'a', cancels: 'b' }),
      tick(OPEN, 10, 100, { id: '' }),
      tick(OPEN, 10, 100, { id: 'x', replaces: 'x' }),
      tick(OPEN, 10, 100, { conditions: Array.from({ length: 17 }, () => '@') }),
      tick(OPEN, 10, 100, { cancels: 'never-seen' }),
      tick(OPEN, 10, 100, { replaces: 'never-seen', id: 'n' }),
      { ...tick(OPEN, 10, 100), symbol: 'MSFT' },
      tick(OPEN + 5, 10, 100, { id: 'ok' }),
    ]);
    expect(result.accepted).toBe(1);
    expect(result.rejected.map((r) => [r.index, r.code])).toEqual([
      [0, 'INVALID_NUMBER'],
      [1, 'INVALID_NUMBER'],
      [2, 'INVALID_NUMBER'],
      [3, 'OUTSIDE_SESSION'],
      [4, 'INVALID_TRADE'],
      [5, 'INVALID_TRADE'],
      [6, 'INVALID_TRADE'],
      [7, 'INVALID_TRADE'],
      [8, 'UNKNOWN_TRADE'],
      [9, 'UNKNOWN_TRADE'],
      [10, 'NOT_LOADED'],
    ]);
  });

  it('re-sent ids are accepted and change nothing; late trades, corrections and cancels revise bars', () => {
    const session = tradesSession();
    const { bars } = record(session);
    session.ingestTicks([tick(OPEN + 100, 10, 100, { id: 'a' }), tick(OPEN + 200, 12, 100, { id: 'b' })]);
    const seq = session.seq;
    expect(session.ingestTicks([tick(OPEN + 100, 10, 100, { id: 'a' })])).toEqual({
      accepted: 1,
      rejected: [],
    });
    expect(session.seq).toBe(seq);
    session.ingestTicks([tick(OPEN + 50, 9, 100, { id: 'late' })]);
    const base = session.symbol('AAPL')!.interval('1s')!;
    expect(base.latestBar()).toMatchObject({ open: 9, low: 9, close: 12, revision: 1 });
    session.ingestTicks([tick(OPEN + 200, 12, 100, { id: 'b-same', replaces: 'b' })]); // the same print: no change
    expect(base.latestBar()).toMatchObject({ revision: 1 });
    session.ingestTicks([tick(OPEN + 200, 11.5, 100, { id: 'b2', replaces: 'b-same' })]);
    session.ingestTicks([tick(OPEN + 50, 9, 100, { cancels: 'late' })]);
    expect(base.latestBar()).toMatchObject({
      open: 10,
      low: 10,
      high: 11.5,
      close: 11.5,
      volume: 200,
      revision: 3,
    });
    expect(bars.filter((e) => e.interval === '1s').map((e) => e.kind)).toEqual([
      'ADDED',
      'UPDATED',
      'UPDATED',
      'UPDATED',
    ]);
    expect(session.ingestTicks([tick(OPEN + 100, 10, 100, { cancels: 'a' })]).accepted).toBe(1);
    const vanish = session.ingestTicks([tick(OPEN + 200, 12, 100, { cancels: 'b2' })]);
    expect(vanish.rejected[0]).toMatchObject({ code: 'BAR_WOULD_VANISH' });
    expect(session.ingestTicks([tick(OPEN, 1, 1, { id: 'c', replaces: 'b' })]).rejected[0]).toMatchObject({
      code: 'TRADE_CANCELLED',
    });
  });

  it('counts unknown condition codes', () => {
    const session = tradesSession();
    session.ingestTicks([
      tick(OPEN, 10, 100, { conditions: ['@', '&', '%'], tape: 'A' }),
      tick(OPEN + 1, 10, 100),
    ]);
    expect(session.tradeCounters).toEqual({ applied: 2, unknownConditionCodes: 2 });
  });

  it('a cancel beyond the bounded trade book is refused with TRADE_NOT_KEPT', () => {
    const session = sessionWith([{ symbol: 'AAPL', baseInterval: '1s', source: 'TRADES' }], DATE, {
      buffers: { trades: 4 },
    });
    for (let k = 0; k < 6; k++) session.ingestTicks([tick(OPEN + k * SECOND, 10, 100, { id: String(k) })]);
    expect(session.ingestTicks([tick(OPEN, 10, 100, { cancels: '0' })]).rejected[0]).toMatchObject({
      code: 'TRADE_NOT_KEPT',
      message: expect.stringMatching(/no longer all kept/),
    });
  });

  it('a reloaded symbol rebuilds its trade book from the stored trade log', () => {
    const first = tradesSession();
    const log: Tick[] = [];
    first.events.on('marketData', (e) => {
      if (e.type === 'tick') log.push(e.tick);
    });
    const stored: StoredBar[] = [];
    first.events.on('baseBar', (e) => stored.push({ ...e.bar }));
    first.ingestTicks([tick(OPEN + 100, 10, 100, { id: 'a' }), tick(OPEN + 200, 12, 100, { id: 'b' })]);
    first.ingestTicks([tick(OPEN + 300, 11, 100, { id: 'c', replaces: 'b' })]);
    const latestOf = new Map<number, StoredBar>();
    for (const b of stored) latestOf.set(b.ts, b);
    const second = sessionWith([]);
    load(second, {
      symbol: 'AAPL',
      baseInterval: '1s',
      derivedIntervals: ['1m', '5m', '1d'],
      source: 'TRADES',
    });
    second.removeSymbol('AAPL');
    second.beginLoad({
      symbol: 'AAPL',
      baseInterval: '1s',
      derivedIntervals: ['1m', '5m', '1d'],
      source: 'TRADES',
    });
    second.completeLoad('AAPL', new Map(), [...latestOf.values()], undefined, log);
    const bars = (s: SessionData) => s.symbol('AAPL')!.interval('1s')!.lastBars(10);
    expect(bars(second)).toEqual(bars(first));
    expect(second.ingestTicks([tick(OPEN + 200, 12, 100, { id: 'b' })]).accepted).toBe(1); // still a duplicate
    second.ingestTicks([tick(OPEN + 100, 10, 100, { cancels: 'a' })]);
    first.ingestTicks([tick(OPEN + 100, 10, 100, { cancels: 'a' })]);
    expect(bars(second).map(values)).toEqual(bars(first).map(values));
  });
});

describe('feeds and gap causes', () => {
  it('a gap overlapping an outage of the symbol’s feed is FEED_OUTAGE, others NO_DATA', () => {
    const session = sessionWith([{ symbol: 'AAPL', feed: 'alpaca' }, { symbol: 'MSFT' }]);
    const state = session.reportFeedStatus('alpaca', 'DOWN', OPEN + 10 * MINUTE, 'socket closed');
    expect(state).toMatchObject({ feed: 'alpaca', status: 'DOWN', since: OPEN + 10 * MINUTE });
    session.reportFeedStatus('alpaca', 'UP', OPEN + 12 * MINUTE, null);
    session.advanceClock(OPEN + 20 * MINUTE);
    const aapl = session.symbol('AAPL')!.interval('1m')!;
    expect(aapl.gapsWithCause()).toEqual([
      { start: OPEN, end: OPEN + 20 * MINUTE, missingBars: 20, cause: 'FEED_OUTAGE' },
    ]);
    expect(session.symbol('MSFT')!.interval('1m')!.gapsWithCause()[0]!.cause).toBe('NO_DATA');
    expect(session.feeds.list(['api']).map((f) => [f.feed, f.status])).toEqual([
      ['alpaca', 'UP'],
      ['api', 'UP'],
    ]);
  });

  it('refuses a bad feed name and a report earlier than the last change', () => {
    const session = sessionWith([]);
    expect(() => session.reportFeedStatus('no spaces', 'DOWN', OPEN, null)).toThrow(/not a feed name/);
    session.reportFeedStatus('api', 'DOWN', OPEN, null);
    expect(() => session.reportFeedStatus('api', 'UP', OPEN - 1, null)).toThrow(/earlier/);
  });

  it('the export carries the cause and a status change re-exports the feed’s symbols', () => {
    const session = sessionWith([{ symbol: 'AAPL', feed: 'alpaca' }]);
    session.advanceClock(OPEN + 5 * MINUTE);
    const full = exportSession(session);
    const cursor = full.cursor as string;
    session.reportFeedStatus('alpaca', 'DOWN', OPEN, 'maintenance');
    const delta = exportSession(session, cursor);
    expect(JSON.stringify(delta)).toContain('FEED_OUTAGE');
    expect(JSON.stringify(full)).toContain('NO_DATA');
  });
});

/** Condition sets in both styles (see trade-bars.test.ts). */
const CONDITIONS: readonly [readonly string[] | null, string | null][] = [
  [null, null],
  [['@', 'I'], 'C'],
  [['F'], 'A'],
  [['T'], 'C'],
  [['Z'], 'A'],
  [['37'], '3'],
  [['M'], 'C'],
];

const tradeArb: fc.Arbitrary<RefTrade> = fc
  .record({
    offset: fc.integer({ min: -30, max: 300 }).map((q) => q * 250),
    cents: fc.integer({ min: 990, max: 1_010 }),
    size: fc.integer({ min: 1, max: 300 }),
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
  | { kind: 'resend'; pick: number }
  | { kind: 'clock'; seconds: number }
  | { kind: 'batch' };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 10, arbitrary: fc.record({ kind: fc.constant('trade' as const), trade: tradeArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('replace' as const), pick: fc.nat(), trade: tradeArb }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('resend' as const), pick: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('clock' as const), seconds: fc.integer({ min: 1, max: 60 }) }),
  },
  { weight: 3, arbitrary: fc.constant({ kind: 'batch' as const }) },
);

describe('TRADES symbols: property', () => {
  it('any sequence of trades gives bars, quality and gaps equal to the reference, every interval', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 60 }), fc.boolean(), (steps, extendedHours) => {
        const derived = ['5s', '1m', '5m', '1d'];
        const session = sessionWith([
          { symbol: 'AAPL', baseInterval: '1s', derivedIntervals: derived, source: 'TRADES', extendedHours },
        ]);
        const window = sessionWindow(DATE, extendedHours)!;
        const reference = new TradeReference(window, REGULAR, 1_000);
        const sent: RefTrade[] = [];
        let batch: TickInput[] = [];
        let messages: TradeMessage[] = [];
        let next = 1;
        const batchTs = new Map<TradeMessage, number>();
        const flush = () => {
          if (batch.length === 0) return;
          const result = session.ingestTicks(batch);
          const expected = messages.map((m) => {
            const ts = m.kind === 'cancel' ? batchTs.get(m) : m.trade.ts;
            return ts! < window.start || ts! >= window.end ? 'OUTSIDE_SESSION' : reference.play(m);
          });
          const refused = new Map(result.rejected.map((r) => [r.index, r.code]));
          expected.forEach((outcome, k) => {
            const code = refused.get(k);
            if (outcome === 'applied' || outcome === 'duplicate' || outcome === 'unchanged')
              expect(code).toBeUndefined();
            else expect(code).toBe(outcome);
          });
          batch = [];
          messages = [];
        };
        for (const step of steps) {
          if (step.kind === 'batch') flush();
          else if (step.kind === 'clock') {
            flush();
            session.advanceClock(Math.max(session.time!, OPEN) + step.seconds * SECOND);
          } else if (step.kind === 'trade') {
            const t = { ...step.trade, id: String(next++) };
            sent.push(t);
            batch.push({ symbol: 'AAPL', ...t });
            messages.push({ kind: 'trade', trade: t });
          } else if (sent.length > 0) {
            const target = sent[step.pick % sent.length]!;
            if (step.kind === 'resend') {
              batch.push({ symbol: 'AAPL', ...target });
              messages.push({ kind: 'trade', trade: target });
            } else if (step.kind === 'cancel') {
              batch.push({ symbol: 'AAPL', ...target, id: null, cancels: target.id! });
              const message: TradeMessage = { kind: 'cancel', id: target.id! };
              batchTs.set(message, target.ts);
              messages.push(message);
            } else {
              const t = { ...step.trade, id: String(next++) };
              sent.push(t);
              batch.push({ symbol: 'AAPL', ...t, replaces: target.id! });
              messages.push({ kind: 'replace', id: target.id!, trade: t });
            }
          }
        }
        flush();
        const data = session.symbol('AAPL')!;
        const clock = session.time!;
        const base = reference.baseBars();
        const present = base.map((b) => b.ts);
        const baseSpec = parseInterval('1s');
        expect(data.interval('1s')!.lastBars(100_000).map(values)).toEqual(base.map(values));
        expect(data.interval('1s')!.quality()).toEqual(
          computeQuality(present, window, baseSpec, 1_000, clock),
        );
        expect(data.interval('1s')!.gaps()).toEqual(computeGaps(present, window, baseSpec, 1_000, clock));
        for (const name of derived) {
          const spec = parseInterval(name);
          const interval = data.interval(name)!;
          expect(interval.lastBars(100_000).map(values), name).toEqual(
            reference.derivedBars(spec).map(values),
          );
          expect(interval.quality(), name).toEqual(computeQuality(present, window, spec, 1_000, clock));
          expect(interval.gaps(), name).toEqual(computeGaps(present, window, spec, 1_000, clock));
        }
      }),
      { numRuns: 150 },
    );
  });
});
