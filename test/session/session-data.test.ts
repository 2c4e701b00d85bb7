import { describe, expect, it } from 'vitest';
import { aggregateBars } from '../../src/domain/aggregate.ts';
import { tradingDay } from '../../src/domain/calendar.ts';
import type { BarInput, BarValues, Instant, StoredBar } from '../../src/domain/types.ts';
import type { BarChange } from '../../src/session/events.ts';
import { exportSession } from '../../src/session/export.ts';
import { RingBuffer } from '../../src/session/ring-buffer.ts';
import { SessionData } from '../../src/session/session-data.ts';
import {
  at,
  bar,
  barsBetween,
  DATE,
  errorCode,
  et,
  load,
  MINUTE,
  record,
  SECOND,
  sessionWith,
  stored,
} from './helpers.ts';

const DAY = tradingDay(DATE);
const OPEN = DAY.regularOpen!;
const CLOSE = DAY.regularClose!;
const EXT_OPEN = DAY.extendedOpen!;
const EXT_CLOSE = DAY.extendedClose!;

const ALL_DERIVED = ['5m', '15m', '1h', '1d'];

/** The values of bar inputs, in the given order. */
function values(inputs: readonly BarInput[]): BarValues[] {
  return inputs.map(({ open, high, low, close, volume, vwap, tradeCount }) => ({
    open,
    high,
    low,
    close,
    volume,
    vwap,
    tradeCount,
  }));
}

function barEvents(events: readonly BarChange[], interval?: string): BarChange[] {
  return interval === undefined ? [...events] : events.filter((e) => e.interval === interval);
}

describe('session lifecycle', () => {
  it('refuses to start on a non-trading day', () => {
    const session = new SessionData();
    expect(errorCode(() => session.start('2011-01-17', 'MANUAL'))).toBe('NOT_TRADING_DAY');
    expect(() => session.start('2011-01-17', 'MANUAL')).toThrow(/Martin Luther King/);
    expect(errorCode(() => session.start('2011-03-12', 'MANUAL'))).toBe('NOT_TRADING_DAY'); // Saturday
    expect(errorCode(() => session.start('2012-10-29', 'MANUAL'))).toBe('NOT_TRADING_DAY'); // Sandy
    expect(session.active).toBe(false);
    expect(session.date).toBeNull();
    expect(session.phase).toBe('CLOSED');
  });

  it('a refused start leaves the running session untouched', () => {
    const session = sessionWith([{ symbol: 'AAPL' }]);
    session.ingestBars([bar('AAPL', at('10:00'))]);
    expect(errorCode(() => session.start('2011-01-17', 'MANUAL'))).toBe('NOT_TRADING_DAY');
    expect(session.active).toBe(true);
    expect(session.date).toBe(DATE);
    expect(session.symbol('AAPL')?.latestBar()?.ts).toBe(at('10:00'));
  });

  it('starts on a trading day with the clock at the extended open', () => {
    const session = new SessionData();
    const { sessions } = record(session);
    session.start(DATE, 'MANUAL');
    expect(session.active).toBe(true);
    expect(session.ended).toBe(false);
    expect(session.date).toBe(DATE);
    expect(session.clockMode).toBe('MANUAL');
    expect(session.time).toBe(EXT_OPEN);
    expect(session.phase).toBe('PRE_MARKET');
    expect(sessions).toEqual([{ kind: 'SESSION_STARTED', symbol: null }]);
  });

  it('a new start ends the running session and clears every symbol; any trading date is allowed', () => {
    const session = sessionWith([{ symbol: 'AAPL' }]);
    session.ingestBars([bar('AAPL', at('10:00'))]);
    const { sessions } = record(session);
    session.start('2008-06-02', 'MANUAL'); // back in time
    expect(sessions.map((e) => e.kind)).toEqual(['SESSION_ENDED', 'SESSION_STARTED']);
    expect(session.date).toBe('2008-06-02');
    expect(session.activeSymbols()).toEqual([]);
    expect(session.symbol('AAPL')).toBeUndefined();
  });

  it('endSession closes every window and keeps the data readable', () => {
    const session = sessionWith([{ symbol: 'AAPL', derivedIntervals: ALL_DERIVED }]);
    const { bars, sessions } = record(session);
    session.ingestBars(barsBetween('AAPL', OPEN, at('12:00')));
    const data = session.symbol('AAPL')!;
    expect(data.interval('1d')!.latestBar()!.complete).toBe(false);
    expect(data.interval('1h')!.latestBar()!.complete).toBe(false); // 11:30–12:30
    expect(data.interval('1d')!.quality()).toBeNull();
    bars.length = 0;

    session.end();
    expect(session.active).toBe(false);
    expect(session.ended).toBe(true);
    expect(session.time).toBe(CLOSE);
    expect(session.phase).toBe('CLOSED');
    expect(sessions.map((e) => e.kind)).toEqual(['SESSION_ENDED']);
    for (const interval of data.intervals()) {
      for (const b of interval.barsBetween(OPEN, CLOSE)) expect(b.complete).toBe(true);
    }
    // Quality over the whole window: 150 of 390 base bars.
    const expected = (100 * 150) / 390;
    for (const name of ['1m', ...ALL_DERIVED]) expect(data.interval(name)!.quality()).toBe(expected);
    expect(data.interval('1m')!.gaps()).toEqual([{ start: at('12:00'), end: CLOSE, missingBars: 240 }]);
    expect(data.interval('5m')!.gaps()).toEqual([{ start: at('12:00'), end: CLOSE, missingBars: 48 }]);
    expect(data.interval('15m')!.gaps()).toEqual([{ start: at('12:00'), end: CLOSE, missingBars: 16 }]);
    expect(data.interval('1h')!.gaps()).toEqual([{ start: at('12:30'), end: CLOSE, missingBars: 4 }]);
    expect(data.interval('1d')!.gaps()).toEqual([]);
    // The windows still open at 12:00 closed with the session: one closing event each.
    expect(bars.map((e) => `${e.interval} ${e.kind} ${e.closed} ${e.bar.complete}`)).toEqual([
      '1h UPDATED true true',
      '1d UPDATED true true',
    ]);
    // Readable after the end; writes are refused.
    expect(data.latestBar()!.ts).toBe(at('11:59'));
    expect(session.ingestBars([bar('AAPL', at('12:00'))]).rejected[0]!.code).toBe('NO_SESSION');
    expect(errorCode(() => session.advanceClock(CLOSE))).toBe('NO_SESSION');
    expect(errorCode(() => session.end())).toBe('NO_SESSION');
  });

  it('endSession with an extended-hours symbol moves the clock to the extended close', () => {
    const session = sessionWith([{ symbol: 'AAPL' }, { symbol: 'TSLA', extendedHours: true }]);
    session.end();
    expect(session.time).toBe(EXT_CLOSE);
    expect(session.symbol('AAPL')!.interval('1m')!.quality()).toBe(0);
    expect(session.symbol('TSLA')!.interval('1m')!.gaps()).toEqual([
      { start: EXT_OPEN, end: EXT_CLOSE, missingBars: 960 },
    ]);
  });
});

describe('session clock', () => {
  it('MANUAL: the later of advanceClock and the latest accepted bar end', () => {
    const session = sessionWith([{ symbol: 'AAPL' }]);
    session.ingestBars([bar('AAPL', at('10:00'))]);
    expect(session.time).toBe(at('10:01'));
    session.advanceClock(at('10:30'));
    expect(session.time).toBe(at('10:30'));
    session.ingestBars([bar('AAPL', at('10:05'))]); // late bar: the clock stays
    expect(session.time).toBe(at('10:30'));
    session.ingestBars([bar('AAPL', at('10:40')), bar('AAPL', at('10:35'))]);
    expect(session.time).toBe(at('10:41'));
    session.advanceClock(at('10:41')); // same instant: allowed, no move
    expect(session.time).toBe(at('10:41'));
  });

  it('MANUAL: rejected bars and empty batches do not move the clock', () => {
    const session = sessionWith([{ symbol: 'AAPL' }]);
    session.ingestBars([bar('AAPL', at('11:00'), { low: 200 }), bar('MSFT', at('12:00'))]);
    expect(session.time).toBe(EXT_OPEN);
    session.ingestBars([]);
    expect(session.time).toBe(EXT_OPEN);
  });

  it('never moves backwards', () => {
    const session = sessionWith([{ symbol: 'AAPL' }]);
    session.advanceClock(at('11:00'));
    expect(errorCode(() => session.advanceClock(at('10:59')))).toBe('CLOCK_BACKWARDS');
    expect(session.time).toBe(at('11:00'));
    session.ingestBars([bar('AAPL', at('11:30'))]);
    expect(errorCode(() => session.advanceClock(at('11:00')))).toBe('CLOCK_BACKWARDS');
    expect(session.time).toBe(at('11:31'));
  });

  it('is capped at the regular close, or the extended close once a symbol trades extended hours', () => {
    const session = sessionWith([{ symbol: 'AAPL' }]);
    session.advanceClock(at('18:00'));
    expect(session.time).toBe(CLOSE);
    load(session, { symbol: 'TSLA', extendedHours: true });
    session.advanceClock(at('18:00'));
    expect(session.time).toBe(at('18:00'));
    session.advanceClock(at('23:00'));
    expect(session.time).toBe(EXT_CLOSE);
    expect(session.phase).toBe('CLOSED');
  });

  it('does not move backwards when the extended-hours symbol that allowed it is removed', () => {
    const session = sessionWith([{ symbol: 'AAPL' }, { symbol: 'TSLA', extendedHours: true }]);
    session.ingestBars([bar('TSLA', at('18:00'))]);
    expect(session.time).toBe(at('18:01'));
    session.removeSymbol('TSLA');
    session.advanceClock(at('19:00'));
    expect(session.time).toBe(at('18:01'));
    session.end();
    expect(session.time).toBe(at('18:01'));
    expect(session.symbol('AAPL')!.interval('1m')!.quality()).toBe(0);
  });

  it('advanceClock is refused outside MANUAL and without a session', () => {
    expect(errorCode(() => new SessionData().advanceClock(at('10:00')))).toBe('NO_SESSION');
    for (const mode of ['LIVE', 'REPLAY'] as const) {
      const session = new SessionData({ now: () => at('10:00') });
      session.start(DATE, mode);
      expect(errorCode(() => session.advanceClock(at('11:00')))).toBe('CLOCK_MODE');
    }
  });

  it('LIVE follows the injected wall clock, capped at the close', () => {
    let now = at('10:00');
    const session = new SessionData({ now: () => now });
    session.start(DATE, 'LIVE');
    expect(session.time).toBe(at('10:00'));
    expect(session.phase).toBe('REGULAR');
    load(session, { symbol: 'AAPL', derivedIntervals: ['5m'] });
    now = at('10:07:30');
    // A bar from the future does not move a LIVE clock; the wall clock does.
    session.ingestBars([bar('AAPL', at('10:20'))]);
    expect(session.time).toBe(at('10:07:30'));
    expect(session.symbol('AAPL')!.interval('1m')!.quality()).toBe(0); // 37 closed minutes, none held
    now = at('10:09');
    session.syncWallClock();
    expect(session.time).toBe(at('10:09'));
    now = at('21:00');
    session.syncWallClock();
    expect(session.time).toBe(CLOSE);
    expect(session.phase).toBe('POST_MARKET');
  });

  it('LIVE before the extended open: the clock is the wall clock and the phase CLOSED', () => {
    const session = new SessionData({ now: () => at('03:00') });
    session.start(DATE, 'LIVE');
    expect(session.time).toBe(at('03:00'));
    expect(session.phase).toBe('CLOSED');
  });

  it('REPLAY: the driver sets the clock, and accepted bars move it too', () => {
    const session = new SessionData();
    session.start(DATE, 'REPLAY');
    load(session, { symbol: 'AAPL' });
    session.setReplayClock(at('09:45'));
    expect(session.time).toBe(at('09:45'));
    session.setReplayClock(at('09:40')); // never backwards
    expect(session.time).toBe(at('09:45'));
    session.ingestBars([bar('AAPL', at('09:50'))]);
    expect(session.time).toBe(at('09:51'));
    session.setReplayClock(at('17:00'));
    expect(session.time).toBe(CLOSE);
  });
});

describe('session phase', () => {
  it('follows the clock', () => {
    const session = sessionWith([{ symbol: 'TSLA', extendedHours: true }]);
    const phases: [string, string][] = [
      ['04:00', 'PRE_MARKET'],
      ['09:29:59', 'PRE_MARKET'],
      ['09:30', 'REGULAR'],
      ['15:59:59', 'REGULAR'],
      ['16:00', 'POST_MARKET'],
      ['19:59:59', 'POST_MARKET'],
      ['20:00', 'CLOSED'],
    ];
    for (const [time, phase] of phases) {
      session.advanceClock(at(time));
      expect(session.phase, time).toBe(phase);
    }
    session.end();
    expect(session.phase).toBe('CLOSED');
  });

  it('is CLOSED when no session is active', () => {
    expect(new SessionData().phase).toBe('CLOSED');
  });
});

describe('ingestBars', () => {
  it('in order: base and derived bars, ADDED then UPDATED on each derived window', () => {
    const session = sessionWith([{ symbol: 'AAPL', derivedIntervals: ALL_DERIVED }]);
    const { bars } = record(session);
    const inputs = barsBetween('AAPL', OPEN, at('09:37'));
    for (const input of inputs) expect(session.ingestBars([input])).toEqual({ accepted: 1, rejected: [] });
    const data = session.symbol('AAPL')!;
    expect(data.interval('1m')!.size).toBe(7);
    const fiveMinute = data.interval('5m')!.barsBetween(OPEN, CLOSE);
    expect(fiveMinute.map((b) => [b.ts, b.endTs, b.baseBars, b.complete])).toEqual([
      [OPEN, at('09:35'), 5, true],
      [at('09:35'), at('09:40'), 2, false],
    ]);
    expect(fiveMinute[0]).toMatchObject({ ...aggregateBars(values(inputs.slice(0, 5))), revision: 0 });
    expect(fiveMinute[1]).toMatchObject({ ...aggregateBars(values(inputs.slice(5))), revision: 0 });
    expect(data.interval('1d')!.latestBar()).toMatchObject({
      ...aggregateBars(values(inputs)),
      ts: OPEN,
      endTs: CLOSE,
      complete: false,
    });
    const fiveEvents = barEvents(bars, '5m').filter((e) => !e.closed);
    expect(fiveEvents.map((e) => e.kind)).toEqual([
      'ADDED',
      'UPDATED',
      'UPDATED',
      'UPDATED',
      'UPDATED',
      'ADDED',
      'UPDATED',
    ]);
    // Each base bar: ADDED, then its window closing when the next batch moves the clock past it.
    expect(barEvents(bars, '1m').map((e) => `${e.kind} ${e.closed}`)).toEqual(
      Array(7).fill(['ADDED false', 'UPDATED true']).flat(),
    );
  });

  it('out of order: late bars are inserted in time order and every derived bar is rebuilt', () => {
    const session = sessionWith([{ symbol: 'AAPL', derivedIntervals: ALL_DERIVED }]);
    const inputs = barsBetween('AAPL', OPEN, at('09:40'));
    const shuffled = [7, 2, 9, 0, 4, 1, 8, 3, 6, 5].map((i) => inputs[i]!);
    for (const input of shuffled) session.ingestBars([input]);
    const data = session.symbol('AAPL')!;
    expect(
      data
        .interval('1m')!
        .barsBetween(OPEN, CLOSE)
        .map((b) => b.ts),
    ).toEqual(inputs.map((b) => b.ts));
    const [first, second] = data.interval('5m')!.barsBetween(OPEN, CLOSE);
    expect(first).toMatchObject(aggregateBars(values(inputs.slice(0, 5)))!);
    expect(second).toMatchObject(aggregateBars(values(inputs.slice(5)))!);
    expect(data.interval('1d')!.latestBar()).toMatchObject(aggregateBars(values(inputs))!);
    expect(data.latestBar()!.ts).toBe(at('09:39'));
    expect(data.metrics()).toMatchObject({ open: inputs[0]!.open, last: inputs[9]!.close, barCount: 10 });
  });

  it('corrections: revision + 1, UPDATED on the base and on every touched derived interval', () => {
    const session = sessionWith([{ symbol: 'AAPL', derivedIntervals: ALL_DERIVED }]);
    const inputs = barsBetween('AAPL', OPEN, at('10:00'));
    session.ingestBars(inputs);
    const { bars } = record(session);
    const corrected = { ...inputs[12]!, close: 100.05, low: 100, high: 102, volume: 5_000 };
    expect(session.ingestBars([corrected])).toEqual({ accepted: 1, rejected: [] });
    expect(bars.map((e) => `${e.interval} ${e.kind} ${e.closed}`)).toEqual([
      '1m UPDATED false',
      '5m UPDATED false',
      '15m UPDATED false',
      '1h UPDATED false',
      '1d UPDATED false',
    ]);
    const data = session.symbol('AAPL')!;
    expect(data.interval('1m')!.barsBetween(at('09:42'), at('09:43'))[0]).toMatchObject({
      close: 100.05,
      revision: 1,
    });
    const after = inputs.map((b, i) => (i === 12 ? corrected : b));
    expect(data.interval('5m')!.barsBetween(at('09:40'), at('09:45'))[0]).toMatchObject(
      aggregateBars(values(after.slice(10, 15)))!,
    );
    expect(data.interval('15m')!.barsBetween(OPEN, at('09:45'))[0]).toMatchObject(
      aggregateBars(values(after.slice(0, 15)))!,
    );
    expect(data.interval('1d')!.latestBar()).toMatchObject(aggregateBars(values(after))!);
    expect(data.metrics().volume).toBe(aggregateBars(values(after))!.volume);
    expect(data.metrics().high).toBe(102);
    session.ingestBars([{ ...corrected, close: 100.1 }]);
    expect(data.interval('1m')!.barsBetween(at('09:42'), at('09:43'))[0]!.revision).toBe(2);
    // Derived bars carry the sum of their base bars' revisions.
    expect(data.interval('5m')!.barsBetween(at('09:40'), at('09:45'))[0]!.revision).toBe(2);
    expect(data.interval('1d')!.latestBar()!.revision).toBe(2);
  });

  it('a correction that only changes vwap or tradeCount (to or from null) is a correction', () => {
    const session = sessionWith([{ symbol: 'AAPL', derivedIntervals: ['5m'] }]);
    session.ingestBars([bar('AAPL', OPEN), bar('AAPL', at('09:31'))]);
    session.ingestBars([bar('AAPL', OPEN, { vwap: null })]);
    const data = session.symbol('AAPL')!;
    expect(data.latestBar()!.vwap).toBe(100.25);
    expect(data.interval('1m')!.at(0)).toMatchObject({ vwap: null, revision: 1 });
    expect(data.interval('5m')!.at(0)).toMatchObject({ vwap: null, tradeCount: 20 });
    session.ingestBars([bar('AAPL', OPEN, { vwap: null, tradeCount: null })]);
    expect(data.interval('1m')!.at(0)).toMatchObject({ tradeCount: null, revision: 2 });
    expect(data.interval('5m')!.at(0)).toMatchObject({ vwap: null, tradeCount: null });
    session.ingestBars([bar('AAPL', OPEN)]);
    expect(data.interval('5m')!.at(0)).toMatchObject({ vwap: 100.25, tradeCount: 20, revision: 3 });
  });

  it('an identical re-send is accepted but changes nothing and emits nothing', () => {
    const session = sessionWith([{ symbol: 'AAPL', derivedIntervals: ALL_DERIVED }]);
    const input = bar('AAPL', at('10:00'), { vwap: null, tradeCount: null });
    session.ingestBars([input]);
    const before = exportSession(session);
    const { bars } = record(session);
    expect(session.ingestBars([{ ...input }, { ...input }])).toEqual({ accepted: 2, rejected: [] });
    expect(bars).toEqual([]);
    expect(session.symbol('AAPL')!.latestBar()!.revision).toBe(0);
    expect(exportSession(session, before.cursor).data['symbols']).toEqual({});
    expect(exportSession(session).data).toEqual(before.data);
  });

  it('rejects each bad item with a stable code and keeps the good items of the batch', () => {
    const session = sessionWith([{ symbol: 'AAPL' }, { symbol: 'TSLA', extendedHours: true }]);
    session.beginLoad({ symbol: 'PEND' }); // created, not loaded yet
    const good = [bar('AAPL', at('10:00')), bar('aapl ', at('10:01')), bar('TSLA', at('05:00'))];
    const cases: [BarInput, string][] = [
      [bar('1ABC', at('10:00')), 'INVALID_SYMBOL'],
      [bar('', at('10:00')), 'INVALID_SYMBOL'],
      [bar('MSFT', at('10:00')), 'NOT_LOADED'],
      [bar('PEND', at('10:00')), 'NOT_LOADED'],
      [bar('AAPL', at('10:00:30')), 'MISALIGNED'],
      [bar('AAPL', at('10:00') + 0.5), 'MISALIGNED'],
      [bar('AAPL', at('09:29')), 'OUTSIDE_SESSION'],
      [bar('AAPL', CLOSE), 'OUTSIDE_SESSION'],
      [bar('AAPL', at('10:00') + 86_400_000), 'OUTSIDE_SESSION'],
      [bar('TSLA', at('03:59')), 'OUTSIDE_SESSION'],
      [bar('TSLA', EXT_CLOSE), 'OUTSIDE_SESSION'],
      [bar('AAPL', at('10:02'), { low: 100.6 }), 'INVALID_OHLC'],
      [bar('AAPL', at('10:02'), { high: 100.4 }), 'INVALID_OHLC'],
      [bar('AAPL', at('10:02'), { low: 0, open: 0.5, close: 0.5, high: 1 }), 'INVALID_OHLC'],
      [bar('AAPL', at('10:02'), { open: Number.NaN }), 'INVALID_NUMBER'],
      [bar('AAPL', at('10:02'), { close: Number.POSITIVE_INFINITY }), 'INVALID_NUMBER'],
      [bar('AAPL', at('10:02'), { volume: -1 }), 'INVALID_NUMBER'],
      [bar('AAPL', at('10:02'), { vwap: 0 }), 'INVALID_NUMBER'],
      [bar('AAPL', at('10:02'), { tradeCount: 1.5 }), 'INVALID_NUMBER'],
    ];
    const batch: BarInput[] = [];
    const expectedCodes: [number, string][] = [];
    cases.forEach(([input, code], i) => {
      batch.push(input);
      expectedCodes.push([batch.length - 1, code]);
      if (i < good.length) batch.push(good[i]!);
    });
    const result = session.ingestBars(batch);
    expect(result.accepted).toBe(good.length);
    expect(result.rejected.map((r) => [r.index, r.code])).toEqual(expectedCodes);
    for (const r of result.rejected) expect(r.message.length).toBeGreaterThan(5);
    expect(
      session
        .symbol('AAPL')!
        .interval('1m')!
        .barsBetween(OPEN, CLOSE)
        .map((b) => b.ts),
    ).toEqual([at('10:00'), at('10:01')]);
    expect(session.symbol('TSLA')!.latestBar()!.ts).toBe(at('05:00'));
    expect(session.time).toBe(at('10:02'));
  });

  it('rejects everything with NO_SESSION before a start and after an end', () => {
    const session = new SessionData();
    expect(session.ingestBars([bar('AAPL', at('10:00'))]).rejected.map((r) => r.code)).toEqual([
      'NO_SESSION',
    ]);
    const ended = sessionWith([{ symbol: 'AAPL' }]);
    ended.end();
    expect(ended.ingestBars([bar('AAPL', at('10:00'))])).toMatchObject({
      accepted: 0,
      rejected: [{ index: 0, code: 'NO_SESSION' }],
    });
  });
});

describe('the worked examples of docs/semantics.md through the tree', () => {
  it('380 of 390 1m bars at 16:00 → quality 97.43589743589743', () => {
    const session = sessionWith([{ symbol: 'AAPL', derivedIntervals: ALL_DERIVED }]);
    const missing = new Set([0, 17, 44, 45, 100, 200, 201, 202, 300, 389]);
    session.ingestBars(barsBetween('AAPL', OPEN, CLOSE).filter((_, i) => !missing.has(i)));
    session.advanceClock(CLOSE);
    const data = session.symbol('AAPL')!;
    expect(data.interval('1m')!.quality()).toBe(97.43589743589743);
    expect(data.interval('1d')!.quality()).toBe(97.43589743589743);
    expect(data.interval('1m')!.gaps().length).toBe(7);
    expect(
      data
        .interval('1m')!
        .gaps()
        .reduce((n, g) => n + g.missingBars, 0),
    ).toBe(10);
    session.end();
    expect(data.interval('1m')!.quality()).toBe(97.43589743589743);
  });

  it('09:45, 09:46, 09:47 missing → one 1m gap 09:45–09:48 of 3 bars; no 5m gap (window has 2 of 5)', () => {
    const session = sessionWith([{ symbol: 'AAPL', derivedIntervals: ['5m'] }]);
    const skipped = new Set([at('09:45'), at('09:46'), at('09:47')]);
    session.ingestBars(barsBetween('AAPL', OPEN, at('10:00')).filter((b) => !skipped.has(b.ts)));
    expect(session.time).toBe(at('10:00'));
    const data = session.symbol('AAPL')!;
    expect(data.interval('1m')!.gaps()).toEqual([{ start: at('09:45'), end: at('09:48'), missingBars: 3 }]);
    expect(data.interval('5m')!.gaps()).toEqual([]);
    expect(data.interval('5m')!.barsBetween(at('09:45'), at('09:50'))[0]).toMatchObject({
      ts: at('09:45'),
      endTs: at('09:50'),
      baseBars: 2,
    });
    expect(data.interval('1m')!.quality()).toBe(90);
    expect(data.interval('5m')!.quality()).toBe(90);
    // Filling the middle minute splits the gap in two.
    session.ingestBars([bar('AAPL', at('09:46'))]);
    expect(data.interval('1m')!.gaps()).toEqual([
      { start: at('09:45'), end: at('09:46'), missingBars: 1 },
      { start: at('09:47'), end: at('09:48'), missingBars: 1 },
    ]);
    expect(data.interval('1m')!.quality()).toBe((100 * 28) / 30);
  });

  it('60m windows start at 09:30, 10:30, …, 15:30 and the last one is 30 minutes long', () => {
    const session = sessionWith([{ symbol: 'AAPL', derivedIntervals: ['60m'] }]);
    expect(session.symbol('AAPL')!.derivedIntervals).toEqual(['1h']);
    session.ingestBars(barsBetween('AAPL', OPEN, CLOSE));
    const hours = session.symbol('AAPL')!.interval('1h')!.barsBetween(OPEN, CLOSE);
    expect(hours.map((b) => b.ts)).toEqual(
      ['09:30', '10:30', '11:30', '12:30', '13:30', '14:30', '15:30'].map(at),
    );
    expect(hours.map((b) => b.baseBars)).toEqual([60, 60, 60, 60, 60, 60, 30]);
    expect(hours.at(-1)!.endTs).toBe(CLOSE);
    // Any spelling of a held interval finds it.
    expect(session.symbol('AAPL')!.interval('60m')).toBe(session.symbol('AAPL')!.interval('1h'));
    expect(session.symbol('AAPL')!.interval('3600s')!.name).toBe('1h');
    expect(session.symbol('AAPL')!.interval('2h')).toBeUndefined();
    expect(session.symbol('AAPL')!.interval('bogus')).toBeUndefined();
  });

  it('2015-12-24 closes at 13:00: 210 1m slots, every window ends at 13:00 ET', () => {
    const date = '2015-12-24';
    const open = et(date, '09:30');
    const close = et(date, '13:00');
    const session = sessionWith([{ symbol: 'AAPL', derivedIntervals: ['5m', '1h', '1d'] }], date);
    const inputs = barsBetween('AAPL', open, close);
    expect(inputs.length).toBe(210);
    const result = session.ingestBars([...inputs.slice(10), bar('AAPL', close)]);
    expect(result.accepted).toBe(200);
    expect(result.rejected.map((r) => r.code)).toEqual(['OUTSIDE_SESSION']);
    session.end();
    expect(session.time).toBe(close);
    const data = session.symbol('AAPL')!;
    expect(data.interval('1m')!.quality()).toBe((100 * 200) / 210);
    expect(data.interval('1m')!.gaps()).toEqual([{ start: open, end: et(date, '09:40'), missingBars: 10 }]);
    expect(data.interval('1d')!.latestBar()).toMatchObject({ ts: open, endTs: close, baseBars: 200 });
    const hours = data.interval('1h')!.barsBetween(open, close);
    expect(hours.map((b) => [b.ts, b.endTs])).toEqual([
      [et(date, '09:30'), et(date, '10:30')],
      [et(date, '10:30'), et(date, '11:30')],
      [et(date, '11:30'), et(date, '12:30')],
      [et(date, '12:30'), close],
    ]);
    expect(data.interval('5m')!.latestBar()!.endTs).toBe(close);
    expect(data.interval('5m')!.size).toBe(40);
  });
});

describe('access patterns', () => {
  it('active, loaded and derived symbols are inferred from the map', () => {
    const session = sessionWith([
      { symbol: 'TSLA', derivedIntervals: ['1d'] },
      { symbol: 'aapl', derivedIntervals: ['15m', '5m'] },
    ]);
    session.beginLoad({ symbol: 'RIVN', baseInterval: '1s', derivedIntervals: ['1m'] });
    expect(session.activeSymbols()).toEqual(['AAPL', 'RIVN', 'TSLA']);
    expect(session.loadedSymbols()).toEqual(['AAPL', 'TSLA']);
    expect(session.symbolsWithDerived()).toEqual(
      new Map([
        ['AAPL', ['5m', '15m']],
        ['RIVN', ['1m']],
        ['TSLA', ['1d']],
      ]),
    );
    expect(session.symbols().map((s) => s.symbol)).toEqual(['AAPL', 'RIVN', 'TSLA']);
    expect(session.symbol(' aapl ')!.symbol).toBe('AAPL');
    expect(session.symbol('MSFT')).toBeUndefined();
    expect(session.symbol('not a symbol')).toBeUndefined();
    expect(
      session
        .symbol('AAPL')!
        .intervals()
        .map((i) => i.name),
    ).toEqual(['1m', '5m', '15m']);
  });

  it('latest bar, last N bars and bars in a time range', () => {
    const session = sessionWith([{ symbol: 'AAPL', derivedIntervals: ['5m'] }]);
    const data = session.symbol('AAPL')!;
    expect(data.latestBar()).toBeNull();
    expect(data.interval('1m')!.lastBars(3)).toEqual([]);
    expect(data.interval('1m')!.barsBetween(OPEN, CLOSE)).toEqual([]);
    const times = ['10:07', '09:31', '10:00', '09:59', '10:03', '09:30'].map(at);
    for (const ts of times) session.ingestBars([bar('AAPL', ts)]);
    const oneMinute = data.interval('1m')!;
    expect(data.latestBar()!.ts).toBe(at('10:07'));
    expect(oneMinute.latestBar()!.ts).toBe(at('10:07'));
    const sorted = [...times].sort((a, b) => a - b);
    expect(oneMinute.lastBars(2).map((b) => b.ts)).toEqual(sorted.slice(-2));
    expect(oneMinute.lastBars(100).map((b) => b.ts)).toEqual(sorted);
    expect(oneMinute.lastBars(0)).toEqual([]);
    expect(oneMinute.barsBetween(at('09:31'), at('10:03')).map((b) => b.ts)).toEqual(
      ['09:31', '09:59', '10:00'].map(at),
    );
    // Bounds between slots: from rounds up, to is exclusive.
    expect(oneMinute.barsBetween(at('09:30:30'), at('10:03:01')).map((b) => b.ts)).toEqual(
      ['09:31', '09:59', '10:00', '10:03'].map(at),
    );
    expect(oneMinute.barsBetween(0, Number.MAX_SAFE_INTEGER).length).toBe(6);
    expect(oneMinute.barsBetween(at('10:08'), at('11:00'))).toEqual([]);
    expect(oneMinute.barsBetween(at('10:00'), at('10:00'))).toEqual([]);
    const five = data.interval('5m')!;
    expect(five.barsBetween(at('09:31'), CLOSE).map((b) => b.ts)).toEqual(
      ['09:55', '10:00', '10:05'].map(at),
    );
    expect(five.lastBars(1)[0]).toMatchObject({ ts: at('10:05'), baseBars: 1 });
    expect(five.lowerBound(at('09:56'))).toBe(2);
    expect(five.at(0)).toMatchObject({ ts: OPEN, baseBars: 2 });
  });

  it('reads a 1s base with 1m and 5m derived bars', () => {
    const session = sessionWith([{ symbol: 'AAPL', baseInterval: '1s', derivedIntervals: ['1m', '5m'] }]);
    const inputs = barsBetween('AAPL', OPEN, OPEN + 90 * SECOND, SECOND);
    expect(session.ingestBars(inputs).accepted).toBe(90);
    const data = session.symbol('AAPL')!;
    expect(session.time).toBe(OPEN + 90 * SECOND);
    expect(
      data
        .interval('1m')!
        .barsBetween(OPEN, CLOSE)
        .map((b) => b.baseBars),
    ).toEqual([60, 30]);
    expect(data.interval('1m')!.at(0)).toMatchObject(aggregateBars(values(inputs.slice(0, 60)))!);
    expect(data.interval('1m')!.quality()).toBe(100);
    expect(data.interval('5m')!.quality()).toBeNull();
    expect(session.ingestBars([bar('AAPL', OPEN + 500)]).rejected[0]!.code).toBe('MISALIGNED');
  });
});

describe('removeSymbol', () => {
  it('drops everything of the symbol, announces SYMBOL_REMOVED, leaves the others alone', () => {
    const session = sessionWith(
      [
        { symbol: 'AAPL', derivedIntervals: ['5m'] },
        { symbol: 'TSLA', derivedIntervals: ['5m'] },
      ],
      DATE,
      { buffers: { quotes: 5, ticks: 5 } },
    );
    session.ingestBars([
      ...barsBetween('AAPL', OPEN, at('10:00')),
      ...barsBetween('TSLA', OPEN, at('10:00')),
    ]);
    session.ingestQuotes([{ symbol: 'AAPL', ts: at('10:00'), bid: 1, bidSize: 1, ask: 2, askSize: 1 }]);
    const before = exportSession(session);
    const { bars, sessions } = record(session);

    expect(session.removeSymbol('aapl')).toBe(true);
    expect(sessions).toEqual([{ kind: 'SYMBOL_REMOVED', symbol: 'AAPL' }]);
    expect(session.activeSymbols()).toEqual(['TSLA']);
    expect(session.loadedSymbols()).toEqual(['TSLA']);
    expect([...session.symbolsWithDerived().keys()]).toEqual(['TSLA']);
    expect(session.symbol('AAPL')).toBeUndefined();
    expect(session.ingestBars([bar('AAPL', at('10:00')), bar('TSLA', at('10:00'))])).toMatchObject({
      accepted: 1,
      rejected: [{ index: 0, code: 'NOT_LOADED' }],
    });
    expect(
      session.ingestQuotes([{ symbol: 'AAPL', ts: at('10:00'), bid: 1, bidSize: 1, ask: 2, askSize: 1 }]),
    ).toMatchObject({ accepted: 0, rejected: [{ code: 'NOT_LOADED' }] });
    expect(new Set(bars.map((e) => e.symbol))).toEqual(new Set(['TSLA']));
    expect(session.symbol('TSLA')!.interval('1m')!.size).toBe(31);
    expect(session.symbol('TSLA')!.interval('1m')!.quality()).toBe(100);
    const full = exportSession(session).data;
    expect(Object.keys(full['symbols'] as object)).toEqual(['TSLA']);
    const delta = exportSession(session, before.cursor).data;
    expect(delta['removed']).toEqual(['AAPL']);
    expect(session.removeSymbol('AAPL')).toBe(false);
    expect(session.removeSymbol('??')).toBe(false);
  });

  it('a re-loaded symbol starts empty and is a new entry', () => {
    const session = sessionWith([{ symbol: 'AAPL' }]);
    session.ingestBars(barsBetween('AAPL', OPEN, at('10:00')));
    session.removeSymbol('AAPL');
    load(session, { symbol: 'AAPL' });
    expect(session.symbol('AAPL')!.interval('1m')!.size).toBe(0);
    expect(session.symbol('AAPL')!.interval('1m')!.quality()).toBe(0);
    expect(session.symbol('AAPL')!.interval('1m')!.gaps()).toEqual([
      { start: OPEN, end: at('10:00'), missingBars: 30 },
    ]);
  });
});

describe('quotes and ticks', () => {
  const quote = (ts: Instant, bid: number) => ({
    symbol: 'AAPL',
    ts,
    bid,
    bidSize: 100,
    ask: bid + 0.01,
    askSize: 200,
  });

  it('keeps bounded buffers with the latest item at hand', () => {
    const session = sessionWith([{ symbol: 'AAPL' }], DATE, { buffers: { quotes: 3, ticks: 2 } });
    const quotes = [1, 2, 3, 4, 5].map((i) => quote(at('10:00') + i * SECOND, 100 + i));
    expect(session.ingestQuotes(quotes)).toEqual({ accepted: 5, rejected: [] });
    const ticks = [1, 2, 3].map((i) => ({ symbol: 'aapl', ts: at('10:00') + i, price: 100 + i, size: i }));
    expect(session.ingestTicks(ticks)).toEqual({ accepted: 3, rejected: [] });
    const data = session.symbol('AAPL')!;
    expect(data.quotes.size).toBe(3);
    expect(data.quotes.total).toBe(5);
    const { symbol: _symbol, ...latest } = quotes[4]!;
    expect(data.quotes.latest()).toEqual(latest);
    expect(data.quotes.last(10).map((q) => q.bid)).toEqual([103, 104, 105]);
    expect(data.quotes.last(1).map((q) => q.bid)).toEqual([105]);
    expect(data.ticks.size).toBe(2);
    expect(data.ticks.last(5).map((t) => t.price)).toEqual([102, 103]);
    expect(data.ticks.latest()).toEqual({ ts: at('10:00') + 3, price: 103, size: 3 });
  });

  it('validates quotes and ticks per item', () => {
    const session = sessionWith([{ symbol: 'AAPL' }]);
    const result = session.ingestQuotes([
      quote(at('10:00'), 100),
      quote(at('10:00'), 0),
      { ...quote(at('10:00'), 100), symbol: 'MSFT' },
      quote(at('09:00'), 100),
      { ...quote(at('10:00'), 100), askSize: -1 },
    ]);
    expect(result.accepted).toBe(1);
    expect(result.rejected.map((r) => [r.index, r.code])).toEqual([
      [1, 'INVALID_NUMBER'],
      [2, 'NOT_LOADED'],
      [3, 'OUTSIDE_SESSION'],
      [4, 'INVALID_NUMBER'],
    ]);
    const ticks = session.ingestTicks([
      { symbol: 'AAPL', ts: at('10:00'), price: -1, size: 1 },
      { symbol: 'AAPL', ts: at('10:00'), price: 1, size: Number.NaN },
      { symbol: 'AAPL', ts: at('10:00'), price: 1, size: 0 },
    ]);
    expect(ticks.rejected.map((r) => r.code)).toEqual(['INVALID_NUMBER', 'INVALID_NUMBER']);
    expect(session.symbol('AAPL')!.ticks.latest()).toEqual({ ts: at('10:00'), price: 1, size: 0 });
  });

  it('RingBuffer honours its bound over many wraps', () => {
    const buffer = new RingBuffer<number>(4);
    expect(buffer.latest()).toBeNull();
    expect(buffer.last(3)).toEqual([]);
    for (let i = 1; i <= 1_003; i++) buffer.push(i);
    expect(buffer.size).toBe(4);
    expect(buffer.total).toBe(1_003);
    expect(buffer.latest()).toBe(1_003);
    expect(buffer.last(4)).toEqual([1_000, 1_001, 1_002, 1_003]);
    expect(buffer.last(2)).toEqual([1_002, 1_003]);
    expect(() => new RingBuffer(0)).toThrow(RangeError);
  });
});

describe('load with history', () => {
  /** One regular session of stored 1m bars on a date, with a daily pattern scaled by `k`. */
  function day(date: string, k: number, skip: ReadonlySet<number> = new Set()): StoredBar[] {
    const open = et(date, '09:30');
    return barsBetween('X', open, open + 390 * MINUTE)
      .filter((_, i) => !skip.has(i))
      .map((b, i) => ({
        ...stored(b),
        open: b.open * k,
        high: b.high * k + (i === 200 ? 5 : 0),
        low: b.low * k,
        close: b.close * k,
        volume: b.volume * k,
      }));
  }

  it('holds the trailing dates, their quality, gaps, bars and indicators', () => {
    const session = sessionWith([]);
    const history = new Map([
      ['2011-03-07', day('2011-03-07', 1)],
      ['2011-03-08', day('2011-03-08', 1.1, new Set([10, 11, 12]))],
      ['2011-03-09', day('2011-03-09', 0.9)],
    ]);
    // atr_3d needs 4 days of history: refused for historicalDays 3.
    expect(
      errorCode(() => session.beginLoad({ symbol: 'SPY', historicalDays: 3, indicators: ['atr_3d'] })),
    ).toBe('INVALID_INDICATOR');
    const indicators = [
      'avg_volume_2d',
      'atr_2d',
      'prev_close',
      'max_price_3d',
      'min_price_3d',
      'avg_close_3d',
    ];
    session.beginLoad({ symbol: 'SPY', derivedIntervals: ['5m', '1h'], historicalDays: 3, indicators });
    expect(session.symbol('SPY')!.historical.loaded).toBe(false);
    session.completeLoad('SPY', history, []);
    const historical = session.symbol('SPY')!.historical;
    expect(historical.loaded).toBe(true);
    expect(historical.dates).toEqual(['2011-03-07', '2011-03-08', '2011-03-09']);
    expect(historical.intervals().map((i) => i.name)).toEqual(['1m', '5m', '1h', '1d']);
    const base = historical.interval('1m')!;
    expect(base.size).toBe(3 * 390 - 3);
    expect(base.quality()).toBe((100 * (3 * 390 - 3)) / (3 * 390));
    const march8 = et('2011-03-08', '09:30');
    expect(base.gaps()).toEqual([{ start: march8 + 10 * MINUTE, end: march8 + 13 * MINUTE, missingBars: 3 }]);
    expect(historical.interval('5m')!.gaps()).toEqual([]);
    const daily = historical.interval('1d')!;
    expect(daily.size).toBe(3);
    const dailyValues = [...history.values()].map((bars) => aggregateBars(bars)!);
    for (let i = 0; i < 3; i++) {
      expect(daily.at(i)).toMatchObject({ ...dailyValues[i], complete: true });
    }
    expect(daily.at(1)).toMatchObject({ ts: march8, endTs: et('2011-03-08', '16:00'), baseBars: 387 });
    expect(base.lowerBound(march8)).toBe(390);
    expect(base.at(390).ts).toBe(march8);

    const values = new Map(historical.indicators().map((i) => [i.name, i]));
    expect([...values.keys()]).toEqual(indicators);
    const prevClose = dailyValues[2]!.close;
    expect(values.get('prev_close')).toEqual({ name: 'prev_close', value: prevClose, valid: true });
    expect(values.get('avg_volume_2d')!.value).toBe((dailyValues[1]!.volume + dailyValues[2]!.volume) / 2);
    expect(values.get('max_price_3d')!.value).toBe(Math.max(...dailyValues.map((d) => d.high)));
    expect(values.get('min_price_3d')!.value).toBe(Math.min(...dailyValues.map((d) => d.low)));
    const trueRange = (i: number) => {
      const d = dailyValues[i]!;
      const prev = dailyValues[i - 1]!.close;
      return Math.max(d.high - d.low, Math.abs(d.high - prev), Math.abs(d.low - prev));
    };
    expect(values.get('atr_2d')).toEqual({
      name: 'atr_2d',
      value: (trueRange(1) + trueRange(2)) / 2,
      valid: true,
    });
    // Computed on the fly for a name not configured.
    expect(historical.indicator('avg_range_1d')!.value).toBe(dailyValues[2]!.high - dailyValues[2]!.low);
    expect(historical.indicator('nonsense')).toBeUndefined();
  });

  it('an atr needs N + 1 days: invalid with only N held', () => {
    const session = sessionWith([]);
    session.beginLoad({ symbol: 'SPY', historicalDays: 3, indicators: ['atr_2d', 'avg_close_2d'] });
    session.completeLoad(
      'SPY',
      new Map([
        ['2011-03-08', day('2011-03-08', 1)],
        ['2011-03-09', day('2011-03-09', 1.2)],
        ['2011-03-07', []], // no stored bar: not held
      ]),
      [],
    );
    const historical = session.symbol('SPY')!.historical;
    expect(historical.dates).toEqual(['2011-03-08', '2011-03-09']);
    expect(historical.indicator('atr_2d')).toEqual({ name: 'atr_2d', value: null, valid: false });
    expect(historical.indicator('avg_close_2d')!.valid).toBe(true);
  });

  it('daily bars do not depend on the order the store returns bars in', () => {
    const session = sessionWith([]);
    const bars = day('2011-03-09', 1);
    session.beginLoad({ symbol: 'SPY', historicalDays: 1, indicators: ['prev_close'] });
    session.completeLoad('SPY', new Map([['2011-03-09', [...bars].reverse()]]), []);
    const historical = session.symbol('SPY')!.historical;
    expect(historical.indicator('prev_close')!.value).toBe(bars.at(-1)!.close);
    expect(historical.dailyBars[0]).toEqual(aggregateBars(bars));
    expect(historical.interval('1d')!.at(0)).toMatchObject(aggregateBars(bars)!);
  });

  it("installs today's stored bars with their revisions and moves a MANUAL clock to their end", () => {
    const session = sessionWith([]);
    const { sessions, bars } = record(session);
    const today = barsBetween('SPY', OPEN, at('10:00')).map((b, i) => stored(b, i % 3));
    session.beginLoad({ symbol: 'SPY', derivedIntervals: ['5m'] });
    session.completeLoad('SPY', new Map(), [...today].reverse());
    const data = session.symbol('SPY')!;
    expect(data.loaded).toBe(true);
    expect(sessions).toEqual([{ kind: 'SYMBOL_LOADED', symbol: 'SPY' }]);
    expect(bars).toEqual([]); // a load is announced once, not bar by bar nor window by window
    expect(session.time).toBe(at('10:00'));
    expect(
      data
        .interval('1m')!
        .barsBetween(OPEN, CLOSE)
        .map((b) => b.revision),
    ).toEqual(today.map((b) => b.revision));
    expect(data.interval('1m')!.quality()).toBe(100);
    expect(data.interval('5m')!.at(0)).toMatchObject({ ...aggregateBars(today.slice(0, 5)), complete: true });
    // The next live correction continues from the stored revision.
    session.ingestBars([{ ...today[2]!, symbol: 'SPY', close: today[2]!.close + 0.01 }]);
    expect(data.interval('1m')!.at(2).revision).toBe(3);
  });

  it('loading again with the same settings changes nothing; new settings make a new entry', () => {
    const session = sessionWith([{ symbol: 'SPY', derivedIntervals: ['5m'] }]);
    session.ingestBars([bar('SPY', at('10:00'))]);
    const first = session.symbol('SPY')!;
    expect(session.beginLoad({ symbol: 'spy', derivedIntervals: ['5m'] })).toEqual({
      data: first,
      changed: false,
    });
    expect(session.symbol('SPY')).toBe(first);
    const { data, changed } = session.beginLoad({ symbol: 'SPY', derivedIntervals: ['15m'] });
    expect(changed).toBe(true);
    expect(data).not.toBe(first);
    expect(data.loaded).toBe(false);
    expect(session.loadedSymbols()).toEqual([]);
  });

  it('validates the settings', () => {
    expect(errorCode(() => new SessionData().beginLoad({ symbol: 'SPY' }))).toBe('NO_SESSION');
    const session = sessionWith([]);
    expect(errorCode(() => session.beginLoad({ symbol: '12' }))).toBe('BAD_USER_INPUT');
    expect(errorCode(() => session.beginLoad({ symbol: 'SPY', historicalDays: 261 }))).toBe('BAD_USER_INPUT');
    expect(errorCode(() => session.beginLoad({ symbol: 'SPY', historicalDays: 1.5 }))).toBe('BAD_USER_INPUT');
    expect(errorCode(() => session.beginLoad({ symbol: 'SPY', baseInterval: '5m' }))).toBe(
      'INVALID_INTERVAL',
    );
    expect(errorCode(() => session.beginLoad({ symbol: 'SPY', derivedIntervals: ['90s'] }))).toBe(
      'INVALID_INTERVAL',
    );
    expect(errorCode(() => session.beginLoad({ symbol: 'SPY', derivedIntervals: ['1m'] }))).toBe(
      'INVALID_INTERVAL',
    );
    expect(errorCode(() => session.beginLoad({ symbol: 'SPY', indicators: ['avg_volume_3d'] }))).toBe(
      'INVALID_INDICATOR',
    );
    expect(session.activeSymbols()).toEqual([]);
    expect(session.completeLoad('NOPE', new Map(), [])).toBeUndefined();
  });
});

describe('bar events', () => {
  it('reach listeners in the order they happened, per symbol and interval, with the bar after the change', () => {
    const session = sessionWith([
      { symbol: 'AAPL', derivedIntervals: ['5m', '1d'] },
      { symbol: 'TSLA', derivedIntervals: ['5m'] },
    ]);
    const { bars } = record(session);
    session.ingestBars([bar('AAPL', at('09:31')), bar('TSLA', at('09:31'))]);
    session.ingestBars([bar('AAPL', at('09:30'), { close: 100.9 })]);
    session.ingestBars([bar('AAPL', at('09:31'), { volume: 7 })]);
    session.advanceClock(at('09:40'));
    session.ingestBars([bar('AAPL', at('09:33'))]); // late, into a closed window
    const keyed = new Map<string, BarChange[]>();
    for (const e of bars) {
      const key = `${e.symbol} ${e.interval}`;
      keyed.set(key, [...(keyed.get(key) ?? []), e]);
    }
    const summary = (key: string) =>
      keyed.get(key)!.map((e) => `${e.kind}:${e.bar.baseBars}:${e.bar.volume}:${e.closed}:${e.bar.complete}`);
    expect(summary('AAPL 1m')).toEqual([
      'ADDED:1:1000:false:false',
      'UPDATED:1:1000:true:true', // the batch moved the clock to 09:32: 09:31 closed
      'ADDED:1:1000:false:true', // 09:30 arrives when the clock is already at 09:32
      'UPDATED:1:7:false:true',
      'ADDED:1:1000:false:true',
    ]);
    expect(summary('AAPL 5m')).toEqual([
      'ADDED:1:1000:false:false',
      'UPDATED:2:2000:false:false',
      'UPDATED:2:1007:false:false',
      'UPDATED:2:1007:true:true',
      'UPDATED:3:2007:false:true',
    ]);
    expect(summary('AAPL 1d')).toEqual([
      'ADDED:1:1000:false:false',
      'UPDATED:2:2000:false:false',
      'UPDATED:2:1007:false:false',
      'UPDATED:3:2007:false:false',
    ]);
    expect(summary('TSLA 5m')).toEqual(['ADDED:1:1000:false:false', 'UPDATED:1:1000:true:true']);
    // Each event's snapshot is the bar right after its change: the last one is the current bar.
    for (const [key, events] of keyed) {
      const [symbol, interval] = key.split(' ');
      const last = events.at(-1)!;
      const current = session
        .symbol(symbol!)!
        .interval(interval!)!
        .barsBetween(last.bar.ts, last.bar.ts + 1)[0]!;
      expect(current).toEqual(last.bar);
      expect(last.date).toBe(DATE);
      expect(last.base).toBe(interval === '1m');
    }
  });

  it('closed is true only on window-close events: derived bars UPDATED, base bars unchanged but complete', () => {
    const session = sessionWith([{ symbol: 'AAPL', derivedIntervals: ['5m', '15m'] }]);
    const { bars } = record(session);
    session.ingestBars(barsBetween('AAPL', OPEN, at('09:50')));
    session.ingestBars([bar('AAPL', at('10:10'))]); // closes 09:45–09:50 and the empty 09:50–10:10 windows
    session.end();
    const closing = bars.filter((e) => e.closed && !e.base);
    expect(closing.every((e) => e.kind === 'UPDATED' && e.bar.complete)).toBe(true);
    expect(closing.map((e) => `${e.interval} ${new Date(e.bar.ts).toISOString().slice(11, 16)}`)).toEqual([
      '5m 14:30',
      '5m 14:35',
      '5m 14:40',
      '5m 14:45',
      '15m 14:30',
      '15m 14:45',
      '5m 15:10',
      '15m 15:00',
    ]);
    // Window closings that hold no bar emit nothing. Every base bar closes exactly once, with the
    // bar of its last change, now complete.
    const baseClosing = bars.filter((e) => e.closed && e.base);
    expect(baseClosing.map((e) => e.bar.ts)).toEqual([
      ...barsBetween('AAPL', OPEN, at('09:50')).map((b) => b.ts),
      at('10:10'),
    ]);
    for (const e of baseClosing) {
      const last = bars.findLast((b) => b.base && !b.closed && b.bar.ts === e.bar.ts)!;
      expect(e).toEqual({ ...last, kind: 'UPDATED', closed: true, bar: { ...last.bar, complete: true } });
    }
    expect(bars.filter((e) => e.interval === '5m' && e.kind === 'ADDED').length).toBe(5);
  });

  it('a listener may join mid-session', () => {
    const session = sessionWith([{ symbol: 'AAPL', derivedIntervals: ['5m'] }]);
    expect(session.events.has('bar')).toBe(false);
    session.ingestBars(barsBetween('AAPL', OPEN, at('09:40')));
    const { bars } = record(session);
    expect(session.events.count('bar')).toBe(1);
    session.ingestBars([bar('AAPL', at('09:40'))]);
    // 1m ADDED and 5m ADDED (the 09:35 window closed with the previous batch), then the clock
    // passes 09:41: the 09:40 base bar closes.
    expect(bars.map((e) => `${e.interval} ${e.kind} ${e.closed}`)).toEqual([
      '1m ADDED false',
      '5m ADDED false',
      '1m UPDATED true',
    ]);
  });
});

describe('event listeners', () => {
  it('a throwing listener neither breaks ingest nor starves the other listeners', () => {
    const errors: unknown[] = [];
    const session = new SessionData({ onListenerError: (e) => errors.push(e) });
    session.start('2011-01-03', 'MANUAL');
    session.beginLoad({ symbol: 'SPY', derivedIntervals: ['5m'], historicalDays: 0 });
    session.completeLoad('SPY', new Map(), []);
    const seen: string[] = [];
    session.events.on('bar', () => {
      throw new Error('boom');
    });
    session.events.on('bar', (change) => seen.push(change.interval));
    const ts = Date.UTC(2011, 0, 3, 14, 30);
    const result = session.ingestBars([
      { symbol: 'SPY', ts, open: 10, high: 11, low: 9, close: 10, volume: 1, vwap: null, tradeCount: null },
      {
        symbol: 'SPY',
        ts: ts + 60_000,
        open: 10,
        high: 11,
        low: 9,
        close: 10,
        volume: 1,
        vwap: null,
        tradeCount: null,
      },
    ]);
    expect(result.accepted).toBe(2);
    expect(seen).toEqual(['1m', '5m', '1m', '5m', '1m', '1m']);
    expect(session.events.listenerErrors).toBe(6);
    expect(errors).toHaveLength(6);
    expect(session.symbol('SPY')!.interval('5m')!.latestBar()!.baseBars).toBe(2);
  });
});
