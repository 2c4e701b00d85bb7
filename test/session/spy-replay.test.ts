/**
 * Real data: SPY minute bars of March 2011 (fixtures/spy, Apache-2.0, see its README) replayed through
 * the session tree's ingest path, checked against an aggregation written here with plain loops.
 */
import { describe, expect, it } from 'vitest';
import { tradingDay } from '../../src/domain/calendar.ts';
import type { BarInput, Gap, Instant, IsoDate, StoredBar } from '../../src/domain/types.ts';
import { exportSession } from '../../src/session/export.ts';
import { SessionData } from '../../src/session/session-data.ts';
import { readSpy, SPY_MARCH } from '../helpers/spy.ts';

const MINUTE = 60_000;
const DERIVED = ['5m', '15m', '1h', '1d'];
const LENGTHS: Record<string, number> = { '5m': 5 * MINUTE, '15m': 15 * MINUTE, '1h': 60 * MINUTE };

interface Row {
  /** Start of the bar (the file gives its end). */
  readonly ts: Instant;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
}

/** The March file's bars by New York date, as plain rows. */
function parse(): Map<IsoDate, Row[]> {
  const byDate = new Map<IsoDate, Row[]>();
  for (const [date, bars] of readSpy(SPY_MARCH)) {
    byDate.set(
      date,
      bars.map(({ ts, open, high, low, close, volume }) => ({ ts, open, high, low, close, volume })),
    );
  }
  return byDate;
}

const ROWS = parse();

function input(row: Row): BarInput {
  return { symbol: 'SPY', ...row, vwap: null, tradeCount: null };
}

function storedBar(row: Row): StoredBar {
  return { ...row, vwap: null, tradeCount: null, revision: 0 };
}

interface Expected {
  ts: Instant;
  endTs: Instant;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  baseBars: number;
}

/** Derived bars of one interval by a plain loop over rows of one window [start, end). */
function aggregate(rows: readonly Row[], start: Instant, end: Instant, interval: string): Expected[] {
  const out: Expected[] = [];
  for (const row of rows) {
    if (row.ts < start || row.ts >= end) continue;
    const length = LENGTHS[interval];
    const windowStart = length === undefined ? start : start + Math.floor((row.ts - start) / length) * length;
    const windowEnd = length === undefined ? end : Math.min(windowStart + length, end);
    const last = out.at(-1);
    if (last !== undefined && last.ts === windowStart) {
      last.high = Math.max(last.high, row.high);
      last.low = Math.min(last.low, row.low);
      last.close = row.close;
      last.volume += row.volume;
      last.baseBars += 1;
    } else {
      out.push({ ...row, ts: windowStart, endTs: windowEnd, baseBars: 1 });
    }
  }
  return out;
}

/** Gaps of one interval by a plain loop over its windows: maximal runs of windows without a row. */
function gapsOf(rows: readonly Row[], start: Instant, end: Instant, interval: string): Gap[] {
  const length = LENGTHS[interval] ?? (interval === '1m' ? MINUTE : end - start);
  const held = new Set(
    rows.filter((r) => r.ts >= start && r.ts < end).map((r) => Math.floor((r.ts - start) / length)),
  );
  const gaps: Gap[] = [];
  for (let w = 0; start + w * length < end; w++) {
    if (held.has(w)) continue;
    const windowStart = start + w * length;
    const windowEnd = Math.min(windowStart + length, end);
    const last = gaps.at(-1);
    if (last !== undefined && last.end === windowStart)
      gaps[gaps.length - 1] = { ...last, end: windowEnd, missingBars: last.missingBars + 1 };
    else gaps.push({ start: windowStart, end: windowEnd, missingBars: 1 });
  }
  return gaps;
}

/** Replays one date's rows into a fresh MANUAL session, `batch` rows per ingestBars call. */
function replay(date: IsoDate, rows: readonly Row[], batch: number, extendedHours: boolean): SessionData {
  const session = new SessionData();
  session.start(date, 'MANUAL');
  session.beginLoad({ symbol: 'SPY', derivedIntervals: DERIVED, extendedHours });
  session.completeLoad('SPY', new Map(), []);
  for (let i = 0; i < rows.length; i += batch) {
    const result = session.ingestBars(rows.slice(i, i + batch).map(input));
    expect(result.rejected).toEqual([]);
    expect(result.accepted).toBe(Math.min(batch, rows.length - i));
  }
  return session;
}

describe('SPY minute bars, March 2011', () => {
  it('parses every row into a trading day of New York', () => {
    expect(ROWS.size).toBe(23);
    for (const date of ROWS.keys()) expect(tradingDay(date).isTradingDay, date).toBe(true);
    const march10 = ROWS.get('2011-03-10')!;
    expect(march10.length).toBe(780);
  });

  for (const date of ['2011-03-10', '2011-03-14']) {
    describe(`${date}, regular session`, () => {
      const day = tradingDay(date);
      const open = day.regularOpen!;
      const close = day.regularClose!;
      const regular = ROWS.get(date)!.filter((r) => r.ts >= open && r.ts < close);

      it.each([1, 30])('batches of %i: derived bars equal an independent aggregation', (batch) => {
        expect(regular.length).toBe(390);
        const session = replay(date, regular, batch, false);
        const data = session.symbol('SPY')!;
        expect(session.time).toBe(close);
        const complete = session.time!;
        for (const interval of DERIVED) {
          const expected = aggregate(regular, open, close, interval).map((bar) => ({
            ...bar,
            vwap: null,
            tradeCount: null,
            revision: 0,
            complete: bar.endTs <= complete,
          }));
          expect(data.interval(interval)!.barsBetween(open, close), interval).toEqual(expected);
        }
        expect(data.interval('1h')!.size).toBe(7);
        expect(data.interval('1h')!.latestBar()).toMatchObject({ ts: close - 30 * MINUTE, baseBars: 30 });
        const metrics = data.metrics();
        expect(metrics.volume).toBe(regular.reduce((sum, r) => sum + r.volume, 0));
        expect(metrics.barCount).toBe(390);
        expect(metrics.vwap).toBeNull();

        session.end();
        for (const interval of data.intervals()) {
          expect(interval.gaps(), interval.name).toEqual([]);
          expect(interval.quality(), interval.name).toBe(100);
        }
      });

      it('the same document whatever the batch size', () => {
        const one = replay(date, regular, 1, false);
        const thirty = replay(date, regular, 30, false);
        one.end();
        thirty.end();
        expect(exportSession(thirty).data).toEqual(exportSession(one).data);
      });
    });
  }

  it('2011-03-10: the known closes', () => {
    const day = tradingDay('2011-03-10');
    const regular = ROWS.get('2011-03-10')!.filter(
      (r) => r.ts >= day.regularOpen! && r.ts < day.regularClose!,
    );
    const session = replay('2011-03-10', regular, 30, false);
    const base = session.symbol('SPY')!.interval('1m')!;
    // The bar ending 09:31 ET starts at 09:30 ET (14:30 UTC, EST); the one ending 16:00 starts at 15:59.
    expect(base.at(0)).toMatchObject({ ts: Date.UTC(2011, 2, 10, 14, 30), close: 130.81 });
    expect(base.latestBar()).toMatchObject({
      ts: Date.UTC(2011, 2, 10, 20, 59),
      endTs: day.regularClose,
      close: 129.92,
    });
    const daily = session.symbol('SPY')!.interval('1d')!.latestBar()!;
    expect(daily).toMatchObject({ open: 130.99, close: 129.92, baseBars: 390 });
  });

  it('2011-03-10 with extended hours: the extended-hours gaps match an independent count', () => {
    const date = '2011-03-10';
    const day = tradingDay(date);
    const start = day.extendedOpen!;
    const end = day.extendedClose!;
    const all = ROWS.get(date)!;
    const inside = all.filter((r) => r.ts >= start && r.ts < end);
    const session = new SessionData();
    session.start(date, 'MANUAL');
    session.beginLoad({ symbol: 'SPY', derivedIntervals: DERIVED, extendedHours: true });
    session.completeLoad('SPY', new Map(), []);
    for (let i = 0; i < all.length; i += 30) session.ingestBars(all.slice(i, i + 30).map(input));
    session.end();
    expect(session.time).toBe(end);
    const data = session.symbol('SPY')!;
    expect(data.interval('1m')!.size).toBe(inside.length);

    const oneMinuteGaps = gapsOf(inside, start, end, '1m');
    expect(oneMinuteGaps.length).toBeGreaterThan(10); // pre- and post-market trade thinly
    expect(oneMinuteGaps.every((g) => g.end <= day.regularOpen! || g.start >= day.regularClose!)).toBe(true);
    expect(data.interval('1m')!.gaps()).toEqual(oneMinuteGaps);
    for (const interval of ['5m', '15m', '1h', '1d']) {
      expect(data.interval(interval)!.gaps(), interval).toEqual(gapsOf(inside, start, end, interval));
      expect(data.interval(interval)!.barsBetween(start, end), interval).toEqual(
        aggregate(inside, start, end, interval).map((bar) => ({
          ...bar,
          vwap: null,
          tradeCount: null,
          revision: 0,
          complete: true,
        })),
      );
    }
    const quality = (100 * inside.length) / 960;
    for (const interval of data.intervals()) expect(interval.quality(), interval.name).toBe(quality);
    const missing = oneMinuteGaps.reduce((n, g) => n + g.missingBars, 0);
    expect(missing).toBe(960 - inside.length);
  });

  it('2011-03-10 with two days of history: 100% historical quality and the previous close', () => {
    const history = new Map(
      ['2011-03-08', '2011-03-09'].map((date) => {
        const day = tradingDay(date);
        const rows = ROWS.get(date)!.filter((r) => r.ts >= day.regularOpen! && r.ts < day.regularClose!);
        return [date, rows.map(storedBar)] as const;
      }),
    );
    const session = new SessionData();
    session.start('2011-03-10', 'MANUAL');
    session.beginLoad({
      symbol: 'SPY',
      derivedIntervals: ['1h'],
      historicalDays: 2,
      indicators: ['prev_close', 'avg_volume_2d', 'max_price_2d'],
    });
    session.completeLoad('SPY', history, []);
    const historical = session.symbol('SPY')!.historical;
    expect(historical.dates).toEqual(['2011-03-08', '2011-03-09']);
    for (const interval of historical.intervals()) {
      expect(interval.quality(), interval.name).toBe(100);
      expect(interval.gaps(), interval.name).toEqual([]);
    }
    const [march8, march9] = [...history.values()];
    expect(historical.indicator('prev_close')!.value).toBe(march9!.at(-1)!.close);
    const volume = (bars: readonly StoredBar[]) => bars.reduce((sum, b) => sum + b.volume, 0);
    expect(historical.indicator('avg_volume_2d')!.value).toBe((volume(march8!) + volume(march9!)) / 2);
    expect(historical.indicator('max_price_2d')!.value).toBe(
      Math.max(...march8!.map((b) => b.high), ...march9!.map((b) => b.high)),
    );
    expect(historical.interval('1d')!.size).toBe(2);
    expect(historical.interval('1h')!.size).toBe(14);
  });
});
