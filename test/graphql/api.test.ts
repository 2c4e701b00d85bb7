/**
 * The contract through yoga.fetch on real SPY minute bars: a MANUAL session of 2011-01-06 whose
 * first 75 regular minutes are ingested through the API (minus three, to make a gap), with
 * 2011-01-04 and 2011-01-05 as history. Expected values are computed here from the CSV rows with
 * plain arithmetic, independently of the tree.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { StoredBar } from '../../src/domain/types.ts';
import { createYoga } from '../../src/graphql/yoga.ts';
import { barInput, createTestApi, type TestApi, useAppDatabase } from '../helpers/app.ts';
import { ADMIN_TOKEN } from '../helpers/gql.ts';
import { readSpy } from '../helpers/spy.ts';

const DATE = '2011-01-06';
const spy = readSpy();
const open = Date.UTC(2011, 0, 6, 14, 30); // 09:30 New York (EST)
const minute = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();
const regular = (date: string) => {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const start = Date.UTC(y, m - 1, d, 14, 30);
  return spy.get(date)!.filter((b) => b.ts >= start && b.ts < start + 390 * minute);
};
const day = regular(DATE);
const first75 = day.filter((b) => b.ts < open + 75 * minute);
const gapTs = [open + 30 * minute, open + 31 * minute, open + 32 * minute]; // 10:00, 10:01, 10:02
const sent = first75.filter((b) => !gapTs.includes(b.ts));
// biome-ignore lint/suspicious/noExplicitAny: the export is a JSON document read by path
type ExportDoc = { cursor: string; complete: boolean; data: any };
const sum = (bars: readonly StoredBar[], f: (b: StoredBar) => number) => bars.reduce((s, b) => s + f(b), 0);

const database = useAppDatabase();
let api: TestApi;

const ingestBars = `mutation($bars: [BarInput!]!) { ingestBars(bars: $bars) { accepted rejected { index code message } } }`;

afterAll(async () => {
  await api.dispose();
});

beforeAll(async () => {
  api = await createTestApi({ database: database(), notStored: [DATE] });
  const started = await api.gql(
    `mutation { startSession(date: "${DATE}", clockMode: MANUAL) { date active clockMode } }`,
  );
  expect(started).toEqual({ data: { startSession: { date: DATE, active: true, clockMode: 'MANUAL' } } });
  const loaded = await api.gql(
    `mutation { loadSymbol(input: { symbol: "spy", derivedIntervals: ["15m", "5m", "60m", "1d"], indicators: ["avg_volume_2d", "max_price_2d", "min_price_2d", "avg_range_2d", "avg_close_2d", "atr_1d", "prev_close"] }) { symbol baseInterval derivedIntervals loaded extendedHours historicalDays } }`,
  );
  expect(loaded.data).toEqual({
    loadSymbol: {
      symbol: 'SPY',
      baseInterval: '1m',
      derivedIntervals: ['5m', '15m', '1h', '1d'],
      loaded: true,
      extendedHours: false,
      historicalDays: 2,
    },
  });
  const result = await api.gql(ingestBars, { bars: sent.map((b) => barInput('SPY', b)) });
  expect(result.data).toEqual({ ingestBars: { accepted: 72, rejected: [] } });
});

describe('session', () => {
  it('reads the root of the tree', async () => {
    const r = await api.gql(
      `{ session { date active phase clockMode time tradingDay { date isTradingDay } } }`,
      {},
      null,
    );
    expect(r.data).toEqual({
      session: {
        date: DATE,
        active: true,
        phase: 'REGULAR',
        clockMode: 'MANUAL',
        time: '2011-01-06T15:45:00.000Z',
        tradingDay: { date: DATE, isTradingDay: true },
      },
    });
  });

  it('lists symbols sorted, filtered by name and loaded state', async () => {
    const r = await api.gql(
      `{ session { all: symbols { symbol } some: symbols(symbols: ["spy", "AAPL"]) { symbol } loaded: symbols(loaded: true) { symbol } notLoaded: symbols(loaded: false) { symbol } one: symbol(symbol: " spy ") { symbol } none: symbol(symbol: "AAPL") { symbol } } }`,
    );
    expect(r.data).toEqual({
      session: {
        all: [{ symbol: 'SPY' }],
        some: [{ symbol: 'SPY' }],
        loaded: [{ symbol: 'SPY' }],
        notLoaded: [],
        one: { symbol: 'SPY' },
        none: null,
      },
    });
  });
});

describe('symbol', () => {
  it('has session metrics over every base bar', async () => {
    const r = await api.gql(
      `{ symbol(symbol: "SPY") { metrics { volume high low open last vwap barCount lastUpdate } } }`,
    );
    expect(r.data).toEqual({
      symbol: {
        metrics: {
          volume: sum(sent, (b) => b.volume),
          high: Math.max(...sent.map((b) => b.high)),
          low: Math.min(...sent.map((b) => b.low)),
          open: sent[0]!.open,
          last: sent.at(-1)!.close,
          vwap: null,
          barCount: 72,
          lastUpdate: '2011-01-06T15:45:00.000Z',
        },
      },
    });
  });

  it('has the base interval first, then derived ones, each with quality and gaps', async () => {
    const r = await api.gql<{ symbol: { intervals: unknown[] } }>(
      `{ symbol(symbol: "SPY") { intervals { name derived base quality gapCount missingBars barCount gaps { start end missingBars } } } }`,
    );
    expect(r.data?.symbol.intervals).toEqual([
      {
        name: '1m',
        derived: false,
        base: null,
        quality: (72 / 75) * 100,
        gapCount: 1,
        missingBars: 3,
        barCount: 72,
        gaps: [{ start: '2011-01-06T15:00:00.000Z', end: '2011-01-06T15:03:00.000Z', missingBars: 3 }],
      },
      {
        name: '5m',
        derived: true,
        base: '1m',
        quality: 96,
        gapCount: 0,
        missingBars: 0,
        barCount: 15,
        gaps: [],
      },
      {
        name: '15m',
        derived: true,
        base: '1m',
        quality: 96,
        gapCount: 0,
        missingBars: 0,
        barCount: 5,
        gaps: [],
      },
      {
        name: '1h',
        derived: true,
        base: '1m',
        quality: 95,
        gapCount: 0,
        missingBars: 0,
        barCount: 2,
        gaps: [],
      },
      {
        name: '1d',
        derived: true,
        base: '1m',
        quality: null,
        gapCount: 0,
        missingBars: 0,
        barCount: 1,
        gaps: [],
      },
    ]);
  });

  it('builds derived bars from every base bar present in the window', async () => {
    const window = sent.filter((b) => b.ts >= open + 30 * minute && b.ts < open + 35 * minute); // 10:03, 10:04
    const hour = sent.filter((b) => b.ts >= open + 60 * minute);
    const r = await api.gql(
      `{ symbol(symbol: "SPY") { five: interval(name: "5m") { bars(from: "2011-01-06T10:00:00-05:00", first: 1) { nodes { ts endTs open high low close volume vwap tradeCount complete baseBars revision } } }
         hour: interval(name: "60m") { name latestBar { ts endTs open close volume complete baseBars } }
         day: interval(name: "1d") { latestBar { ts endTs volume complete baseBars } }
         latestBar { ts close complete baseBars } } }`,
    );
    expect(r.data).toEqual({
      symbol: {
        five: {
          bars: {
            nodes: [
              {
                ts: '2011-01-06T15:00:00.000Z',
                endTs: '2011-01-06T15:05:00.000Z',
                open: window[0]!.open,
                high: Math.max(...window.map((b) => b.high)),
                low: Math.min(...window.map((b) => b.low)),
                close: window.at(-1)!.close,
                volume: sum(window, (b) => b.volume),
                vwap: null,
                tradeCount: null,
                complete: true,
                baseBars: 2,
                revision: 0,
              },
            ],
          },
        },
        hour: {
          name: '1h',
          latestBar: {
            ts: '2011-01-06T15:30:00.000Z',
            endTs: '2011-01-06T16:30:00.000Z',
            open: hour[0]!.open,
            close: hour.at(-1)!.close,
            volume: sum(hour, (b) => b.volume),
            complete: false,
            baseBars: 15,
          },
        },
        day: {
          latestBar: {
            ts: '2011-01-06T14:30:00.000Z',
            endTs: '2011-01-06T21:00:00.000Z',
            volume: sum(sent, (b) => b.volume),
            complete: false,
            baseBars: 72,
          },
        },
        latestBar: { ts: '2011-01-06T15:44:00.000Z', close: sent.at(-1)!.close, complete: true, baseBars: 1 },
      },
    });
  });

  it('returns null for an interval it does not hold and refuses a malformed name', async () => {
    const r = await api.gql(`{ symbol(symbol: "SPY") { interval(name: "30m") { name } } }`);
    expect(r.data).toEqual({ symbol: { interval: null } });
    const bad = await api.gql(`{ symbol(symbol: "SPY") { interval(name: "7x") { name } } }`);
    expect(bad.errors?.[0]?.extensions?.code).toBe('INVALID_INTERVAL');
    expect(bad.errors?.[0]?.message).toContain('7x');
  });
});

describe('bars paging', () => {
  const page = (args: string) =>
    api.gql<{ symbol: { interval: { bars: Record<string, unknown> } } }>(
      `{ symbol(symbol: "SPY") { interval(name: "1m") { bars${args ? `(${args})` : ''} { totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { ts } } nodes { ts } } } } }`,
    );
  const tsOf = (r: Awaited<ReturnType<typeof page>>) =>
    (r.data!.symbol.interval.bars['nodes'] as { ts: string }[]).map((n) => n.ts);

  it('pages forward with first/after', async () => {
    const one = await page('first: 10');
    const bars = one.data!.symbol.interval.bars;
    expect(bars['totalCount']).toBe(72);
    expect(tsOf(one)).toEqual(sent.slice(0, 10).map((b) => iso(b.ts)));
    const info = bars['pageInfo'] as Record<string, unknown>;
    expect(info).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const edges = bars['edges'] as { cursor: string; node: { ts: string } }[];
    expect(edges.map((e) => e.node.ts)).toEqual(tsOf(one));
    expect(info['startCursor']).toBe(edges[0]!.cursor);
    expect(info['endCursor']).toBe(edges[9]!.cursor);
    const two = await page(`first: 10, after: "${info['endCursor']}"`);
    expect(tsOf(two)).toEqual(sent.slice(10, 20).map((b) => iso(b.ts)));
    expect(two.data!.symbol.interval.bars['pageInfo']).toMatchObject({
      hasNextPage: true,
      hasPreviousPage: true,
    });
  });

  it('pages backward with last/before, and filters from ≤ ts < to', async () => {
    const all = await page('');
    const edges = all.data!.symbol.interval.bars['edges'] as { cursor: string; node: { ts: string } }[];
    expect(edges).toHaveLength(72);
    const at1003 = edges.find((e) => e.node.ts === '2011-01-06T15:03:00.000Z')!;
    const back = await page(`last: 5, before: "${at1003.cursor}"`);
    expect(tsOf(back)).toEqual(
      ['54', '55', '56', '57', '58', '59'].slice(1).map((m) => `2011-01-06T14:${m}:00.000Z`),
    );
    const range = await page('from: "2011-01-06T14:58:00Z", to: "2011-01-06T10:05:00-05:00"');
    expect(tsOf(range)).toEqual([
      '2011-01-06T14:58:00.000Z',
      '2011-01-06T14:59:00.000Z',
      '2011-01-06T15:03:00.000Z',
      '2011-01-06T15:04:00.000Z',
    ]);
    expect(range.data!.symbol.interval.bars['totalCount']).toBe(4);
    const lastOfRange = await page('from: "2011-01-06T14:58:00Z", to: "2011-01-06T15:05:00Z", last: 1');
    expect(tsOf(lastOfRange)).toEqual(['2011-01-06T15:04:00.000Z']);
    expect(lastOfRange.data!.symbol.interval.bars['pageInfo']).toMatchObject({
      hasNextPage: false,
      hasPreviousPage: true,
    });
  });

  it('refuses pages above 10,000, negative counts and foreign cursors', async () => {
    expect((await page('first: 10001')).errors?.[0]?.extensions?.code).toBe('PAGE_TOO_LARGE');
    expect((await page('last: 10001')).errors?.[0]?.extensions?.code).toBe('PAGE_TOO_LARGE');
    expect((await page('first: -1')).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect((await page('after: "not a cursor!"')).errors?.[0]?.extensions?.code).toBe('INVALID_CURSOR');
    expect((await page('from: "yesterday"')).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(tsOf(await page('first: 0'))).toEqual([]);
    expect((await page('first: 10000')).errors).toBeUndefined();
  });
});

describe('historical', () => {
  const d4 = regular('2011-01-04');
  const d5 = regular('2011-01-05');

  it('holds the trailing trading days with quality, gaps and indicators', async () => {
    const r = await api.gql(
      `{ symbol(symbol: "SPY") { historical { loaded dates interval(name: "1m") { name quality gaps { start } bars(first: 1) { totalCount nodes { ts } } }
          hour: interval(name: "60m") { name bars(first: 1) { totalCount nodes { ts open baseBars complete } } }
          missing: interval(name: "30m") { name }
          indicators { name value valid } indicator(name: "avg_close_1d") { name value valid } } } }`,
    );
    const trueRange = Math.max(
      Math.max(...d5.map((b) => b.high)) - Math.min(...d5.map((b) => b.low)),
      Math.abs(Math.max(...d5.map((b) => b.high)) - d4.at(-1)!.close),
      Math.abs(Math.min(...d5.map((b) => b.low)) - d4.at(-1)!.close),
    );
    const range = (bars: StoredBar[]) =>
      Math.max(...bars.map((b) => b.high)) - Math.min(...bars.map((b) => b.low));
    expect(r.data).toEqual({
      symbol: {
        historical: {
          loaded: true,
          dates: ['2011-01-04', '2011-01-05'],
          interval: {
            name: '1m',
            quality: 100,
            gaps: [],
            bars: { totalCount: 780, nodes: [{ ts: '2011-01-04T14:30:00.000Z' }] },
          },
          hour: {
            name: '1h',
            bars: {
              totalCount: 14,
              nodes: [{ ts: '2011-01-04T14:30:00.000Z', open: d4[0]!.open, baseBars: 60, complete: true }],
            },
          },
          missing: null,
          indicators: [
            {
              name: 'avg_volume_2d',
              value: (sum(d4, (b) => b.volume) + sum(d5, (b) => b.volume)) / 2,
              valid: true,
            },
            { name: 'max_price_2d', value: Math.max(...[...d4, ...d5].map((b) => b.high)), valid: true },
            { name: 'min_price_2d', value: Math.min(...[...d4, ...d5].map((b) => b.low)), valid: true },
            { name: 'avg_range_2d', value: (range(d4) + range(d5)) / 2, valid: true },
            { name: 'avg_close_2d', value: (d4.at(-1)!.close + d5.at(-1)!.close) / 2, valid: true },
            { name: 'atr_1d', value: trueRange, valid: true },
            { name: 'prev_close', value: 127.63, valid: true },
          ],
          indicator: { name: 'avg_close_1d', value: 127.63, valid: true },
        },
      },
    });
  });

  it('reads dates outside the in-memory window from the store, in one batch per request', async () => {
    const before = api.selects();
    const r = await api.gql(
      `{ symbol(symbol: "SPY") { historical {
          m1: interval(name: "1m") { bars(from: "2011-01-03T00:00:00Z", to: "2011-01-06T00:00:00Z", first: 2) { totalCount nodes { ts close } } }
          m5: interval(name: "5m") { bars(from: "2011-01-03T00:00:00Z", last: 1) { totalCount nodes { ts baseBars } } } } } }`,
    );
    const d3 = regular('2011-01-03');
    expect(r.data).toEqual({
      symbol: {
        historical: {
          m1: {
            bars: {
              totalCount: 390 * 3,
              nodes: [
                { ts: '2011-01-03T14:30:00.000Z', close: d3[0]!.close },
                { ts: '2011-01-03T14:31:00.000Z', close: d3[1]!.close },
              ],
            },
          },
          m5: { bars: { totalCount: 78 * 3, nodes: [{ ts: '2011-01-05T20:55:00.000Z', baseBars: 5 }] } },
        },
      },
    });
    expect(api.selects() - before).toBe(1);
  });

  it('refuses an unbounded reach into the store', async () => {
    const r = await api.gql(
      `{ symbol(symbol: "SPY") { historical { interval(name: "1m") { bars(from: "2000-01-01T00:00:00Z") { totalCount } } } } }`,
    );
    expect(r.errors?.[0]?.extensions?.code).toBe('RANGE_TOO_LARGE');
  });
});

describe('quotes and ticks', () => {
  it('keeps the good items of a batch and reads the latest ones', async () => {
    const q = await api.gql(
      `mutation($q: [QuoteInput!]!) { ingestQuotes(quotes: $q) { accepted rejected { index code } } }`,
      {
        q: [
          {
            symbol: 'SPY',
            ts: '2011-01-06T15:40:00.000Z',
            bid: 127.5,
            bidSize: 300,
            ask: 127.51,
            askSize: 200,
          },
          { symbol: 'SPY', ts: '2011-01-06T15:40:01.000Z', bid: 0, bidSize: 300, ask: 127.51, askSize: 200 },
          { symbol: 'QQQ', ts: '2011-01-06T15:40:01.000Z', bid: 1, bidSize: 1, ask: 1, askSize: 1 },
          {
            symbol: 'SPY',
            ts: '2011-01-06T15:40:02.500Z',
            bid: 127.49,
            bidSize: 100,
            ask: 127.5,
            askSize: 400,
          },
          { symbol: 'SPY', ts: '15:40', bid: 127.49, bidSize: 100, ask: 127.5, askSize: 400 },
        ],
      },
    );
    expect(q.data).toEqual({
      ingestQuotes: {
        accepted: 2,
        rejected: [
          { index: 1, code: 'INVALID_NUMBER' },
          { index: 2, code: 'NOT_LOADED' },
          { index: 4, code: 'INVALID_TIMESTAMP' },
        ],
      },
    });
    const t = await api.gql(
      `mutation { ingestTicks(ticks: [{ symbol: "SPY", ts: "2011-01-06T15:40:00Z", price: 127.5, size: 100 }, { symbol: "SPY", ts: "2011-01-06T15:40:00.250Z", price: 127.51, size: 50 }]) { accepted rejected { index } } }`,
    );
    expect(t.data).toEqual({ ingestTicks: { accepted: 2, rejected: [] } });
    const r = await api.gql(
      `{ symbol(symbol: "SPY") { latestQuote { ts bid ask bidSize askSize } quotes(last: 1) { ts } all: quotes { ts } ticks { ts price size } } }`,
    );
    expect(r.data).toEqual({
      symbol: {
        latestQuote: { ts: '2011-01-06T15:40:02.500Z', bid: 127.49, ask: 127.5, bidSize: 100, askSize: 400 },
        quotes: [{ ts: '2011-01-06T15:40:02.500Z' }],
        all: [{ ts: '2011-01-06T15:40:00.000Z' }, { ts: '2011-01-06T15:40:02.500Z' }],
        ticks: [
          { ts: '2011-01-06T15:40:00.000Z', price: 127.5, size: 100 },
          { ts: '2011-01-06T15:40:00.250Z', price: 127.51, size: 50 },
        ],
      },
    });
    expect(
      (await api.gql(`{ symbol(symbol: "SPY") { quotes(last: -1) { ts } } }`)).errors?.[0]?.extensions?.code,
    ).toBe('BAD_USER_INPUT');
    expect(
      (await api.gql(`{ symbol(symbol: "SPY") { ticks(last: 10001) { ts } } }`)).errors?.[0]?.extensions
        ?.code,
    ).toBe('PAGE_TOO_LARGE');
  });
});

describe('tradingDay', () => {
  it('answers for holidays, early closes and DST', async () => {
    const r = await api.gql(
      `{ mlk: tradingDay(date: "2011-01-17") { date isTradingDay isEarlyClose holiday regularOpen regularClose extendedOpen extendedClose previousTradingDate nextTradingDate }
         early: tradingDay(date: "2011-11-25") { isTradingDay isEarlyClose holiday regularOpen regularClose extendedClose }
         dst: tradingDay(date: "2011-03-14") { regularOpen regularClose extendedOpen extendedClose previousTradingDate } }`,
      {},
      null,
    );
    expect(r.data).toEqual({
      mlk: {
        date: '2011-01-17',
        isTradingDay: false,
        isEarlyClose: false,
        holiday: 'Martin Luther King Jr. Day',
        regularOpen: null,
        regularClose: null,
        extendedOpen: null,
        extendedClose: null,
        previousTradingDate: '2011-01-14',
        nextTradingDate: '2011-01-18',
      },
      early: {
        isTradingDay: true,
        isEarlyClose: true,
        holiday: null,
        regularOpen: '2011-11-25T14:30:00.000Z',
        regularClose: '2011-11-25T18:00:00.000Z',
        extendedClose: '2011-11-25T22:00:00.000Z',
      },
      dst: {
        regularOpen: '2011-03-14T13:30:00.000Z',
        regularClose: '2011-03-14T20:00:00.000Z',
        extendedOpen: '2011-03-14T08:00:00.000Z',
        extendedClose: '2011-03-15T00:00:00.000Z',
        previousTradingDate: '2011-03-11',
      },
    });
  });

  it('refuses dates that do not exist', async () => {
    const r = await api.gql(`{ tradingDay(date: "2011-02-29") { date } }`);
    expect(r.errors?.[0]?.message).toContain('2011-02-29');
    const v = await api.gql(`query($d: Date!) { tradingDay(date: $d) { date } }`, { d: '6 Jan 2011' });
    expect(v.errors?.[0]?.message).toContain('YYYY-MM-DD');
  });
});

describe('export', () => {
  it('exports the tree and then only what changed', async () => {
    const full = await api.gql<{ session: { export: ExportDoc } }>(
      `{ session { export { cursor complete data } } }`,
    );
    const doc = full.data!.session.export;
    expect(doc.complete).toBe(true);
    expect(doc.data.session).toMatchObject({ date: DATE, active: true, phase: 'REGULAR' });
    const oneMinute = doc.data.symbols.SPY.session.data['1m'];
    expect(oneMinute.count).toBe(72);
    expect(oneMinute.gaps).toEqual({
      gap_count: 1,
      missing_bars: 3,
      ranges: [
        {
          start: '2011-01-06T15:00:00.000Z',
          end: '2011-01-06T15:03:00.000Z',
          missing_bars: 3,
          cause: 'NO_DATA',
        },
      ],
    });
    expect(doc.data.symbols.SPY.historical.indicators.prev_close).toBe(127.63);
    const again = await api.gql<{ session: { export: ExportDoc } }>(
      `query($since: String) { session { export(since: $since, symbols: ["spy"]) { cursor complete data } } }`,
      { since: doc.cursor },
    );
    expect(again.data!.session.export.complete).toBe(false);
    expect(again.data!.session.export.data.symbols).toEqual({});
    const bad = await api.gql(`{ session { export(since: "nope") { cursor } } }`);
    expect(bad.errors?.[0]?.extensions?.code).toBe('INVALID_CURSOR');
  });
});

describe('result cache', () => {
  it('answers a repeated query from the cache until the tree changes', async () => {
    const spy = vi.spyOn(api.session, 'symbols');
    const q = `{ session { time symbols { symbol metrics { barCount } } } }`;
    const first = await api.gql(q);
    const calls = spy.mock.calls.length;
    expect(calls).toBeGreaterThan(0);
    expect(await api.gql(q)).toEqual(first);
    expect(spy.mock.calls.length).toBe(calls);
    await api.gql(
      `mutation { ingestTicks(ticks: [{ symbol: "SPY", ts: "2011-01-06T15:44:00Z", price: 127.5, size: 1 }]) { accepted } }`,
    );
    expect(await api.gql(q)).toEqual(first);
    expect(spy.mock.calls.length).toBe(calls + 1);
    spy.mockRestore();
  });

  it('serves a cached answer as the same bytes, with the media type yoga negotiates without the cache', async () => {
    const uncached = createYoga({ service: api.service, adminToken: ADMIN_TOKEN, resultCache: false });
    const body = JSON.stringify({
      query: `{ session { date symbols { symbol intervals { name quality } } } }`,
    });
    const post = (accept?: string, yoga = api.yoga) =>
      yoga.fetch('http://localhost/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(accept ? { accept } : {}) },
        body,
      });
    const cases: [string | undefined, string][] = [
      [undefined, 'application/json'],
      ['*/*', 'application/json'],
      ['application/graphql-response+json', 'application/graphql-response+json'],
      ['application/graphql-response+json, application/json;q=0.9', 'application/graphql-response+json'],
      ['application/json, application/graphql-response+json', 'application/json'],
      ['text/plain;charset=latin1, application/*', 'application/json'],
    ];
    const miss = await post();
    const text = await miss.text();
    expect(JSON.parse(text).data.session.date).toBe('2011-01-06');
    for (const [accept, type] of cases) {
      const hit = await post(accept);
      const reference = await post(accept, uncached);
      expect(await reference.text()).toBe(text);
      expect([accept, reference.status, reference.headers.get('content-type')]).toEqual([
        accept,
        200,
        `${type}; charset=utf-8`,
      ]);
      expect([accept, hit.status, hit.headers.get('content-type')]).toEqual([
        accept,
        200,
        `${type}; charset=utf-8`,
      ]);
      expect(hit.headers.get('content-length')).toBe(String(Buffer.byteLength(text)));
      expect(await hit.text()).toBe(text);
    }
    const sse = await post('text/event-stream');
    expect(sse.headers.get('content-type')).toContain('text/event-stream');
    expect(await sse.text()).toContain(text);
    expect((await post('text/html')).status).toBe(406);
    await uncached.dispose();
  });

  it('never caches reads from the store or errors', async () => {
    const q = `{ symbol(symbol: "SPY") { historical { interval(name: "1m") { bars(from: "2011-01-03T00:00:00Z", first: 1) { totalCount } } } } }`;
    const before = api.selects();
    await api.gql(q);
    await api.gql(q);
    expect(api.selects() - before).toBe(2);
    const bad = `{ symbol(symbol: "SPY") { interval(name: "1m") { bars(first: -1) { totalCount } } } }`;
    expect((await api.gql(bad)).errors).toHaveLength(1);
    expect((await api.gql(bad)).errors).toHaveLength(1);
  });
});
